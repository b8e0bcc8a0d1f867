"""What a crawl of the demo portals must produce, per edition. Tests import this module.

    from crawler.demo import manifest
    for a in manifest.articles(1): a.url, a.portal, a.story, a.title, a.paragraphs, a.residue_lines
    manifest.stories(1)            # story id -> sorted article URLs (expected clusters)
    manifest.EDITION2_NEW_URLS, manifest.EDITION2_UPDATED_URLS
    manifest.NON_ARTICLE_URLS, manifest.REDIRECTS, manifest.NOT_FOUND_URLS, manifest.ROBOTS_DISALLOWED_URLS
    manifest.missing_paragraphs(text, a), manifest.residue_violations(text, a)

Paragraphs are the body as served (a dateline such as "Moskau (dpa) – " is part of the first
paragraph; ``dateline`` names it). Residue lines are the visible chrome strings of the page
(navigation, kicker, captions, share/newsletter/comment/cookie boxes, related links, date
lines...): none of them may appear as a line of the stored text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .content import load_articles
from .portals import BY_NAME
from .site import (GALLERY_URL, INTERN_URL, MISSING_URL, REDIRECT_OLD_URL, REDIRECT_TARGET_KEY,
                   article_url, build_site)

EDITIONS = (1, 2)


@dataclass(frozen=True)
class ExpectedArticle:
    url: str                       # final URL (after redirects); also the canonical URL
    portal: str
    host: str
    story: str                     # same id for republications of one report
    title: str
    paragraphs: tuple[str, ...]    # body lines the stored text must contain
    residue_lines: tuple[str, ...] # page chrome that must not be in the stored text
    published: str                 # ISO 8601 with offset
    lastmod: str                   # = modified, else published (as in feed/sitemap)
    modified: str | None
    authors: tuple[str, ...]
    section: str
    dateline: str | None           # "Moskau (dpa)" when the first paragraph starts with one
    version: int                   # 1, or 2 for the edition-2 update of an article
    key: str                       # internal key of the article in content/articles.toml


def articles(edition: int = 1) -> list[ExpectedArticle]:
    site = build_site(edition)
    out = []
    for art in load_articles():
        ver = art.version(edition)
        if ver is None:
            continue
        url = article_url(art)
        spec = BY_NAME[art.portal]
        out.append(ExpectedArticle(
            url=url, portal=art.portal, host=spec.host, story=art.story, title=ver.title,
            paragraphs=ver.paragraphs, residue_lines=tuple(site.pages[url].residue),
            published=ver.published, lastmod=ver.lastmod, modified=ver.modified,
            authors=(art.author,) if art.author else (), section=spec.section_label(art.section),
            dateline=art.dateline, version=2 if (edition >= 2 and art.update is not None) else 1,
            key=art.key,
        ))
    return out


def by_url(edition: int = 1) -> dict[str, ExpectedArticle]:
    return {a.url: a for a in articles(edition)}


def stories(edition: int = 1) -> dict[str, list[str]]:
    """Expected story clusters: story id -> sorted member URLs (singletons included)."""
    out: dict[str, list[str]] = {}
    for a in articles(edition):
        out.setdefault(a.story, []).append(a.url)
    return {k: sorted(v) for k, v in sorted(out.items())}


def representative(story: str, edition: int = 1) -> str:
    """URL of the earliest-published member of a story."""
    members = [a for a in articles(edition) if a.story == story]
    return min(members, key=lambda a: a.published).url


def _key_url(key: str) -> str:
    return article_url(next(a for a in load_articles() if a.key == key))


# Seeds: story ids of the two seed articles.
SEED_000_STORY = "putin-trump-peskow"     # on weserbote, republished by tagesblick and nordticker
SEED_002_STORY = "putin-trump-sluzki"     # different report on the same event, weserbote only

# Pages matching an article URL pattern that are not articles (picture gallery, og:type website).
NON_ARTICLE_URLS: tuple[str, ...] = (GALLERY_URL,)
# Old URL linked from a section page -> 301 -> current URL.
REDIRECTS: dict[str, str] = {REDIRECT_OLD_URL: _key_url(REDIRECT_TARGET_KEY)}
# Linked from a section page, matches the article pattern, answers 404.
NOT_FOUND_URLS: tuple[str, ...] = (MISSING_URL,)
# Linked from a section page, matches the article pattern, disallowed by robots.txt.
ROBOTS_DISALLOWED_URLS: tuple[str, ...] = (INTERN_URL,)

# Edition 2 (tagesblick): one new article (republication of story "sturmtief-lisa") and one
# updated article (paragraph appended, lastmod changed in feed + sitemap, modified on the page).
EDITION2_NEW_URLS: tuple[str, ...] = (_key_url("tb-sturmtief"),)
EDITION2_UPDATED_URLS: tuple[str, ...] = (_key_url("tb-rentenpaket"),)
EDITION2_PORTAL = "tagesblick"


# --- checking helpers ------------------------------------------------------------------
_WS = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Whitespace (incl. no-break space) collapsed to single spaces, stripped."""
    return _WS.sub(" ", text.replace("\u00a0", " ")).strip()


def missing_paragraphs(text: str, article: ExpectedArticle) -> list[str]:
    """Paragraphs of ``article`` not found in ``text`` (whitespace-normalised substring test;
    the first paragraph also counts as found without its dateline prefix)."""
    body = normalize(text)
    missing = []
    for i, p in enumerate(article.paragraphs):
        cand = [normalize(p)]
        if i == 0 and article.dateline and cand[0].startswith(normalize(article.dateline)):
            cand.append(cand[0][len(normalize(article.dateline)):].lstrip(" –-"))
        if not any(c in body for c in cand):
            missing.append(p)
    return missing


def residue_violations(text: str, article: ExpectedArticle, *, min_substring: int = 30) -> list[str]:
    """Residue lines of ``article`` present in ``text``: equal to a stored line (normalised),
    or, for lines of at least ``min_substring`` characters, contained anywhere in the text."""
    lines = {normalize(line) for line in text.splitlines()}
    body = normalize(text)
    bad = []
    for r in article.residue_lines:
        n = normalize(r)
        if n in lines or (len(n) >= min_substring and n in body):
            bad.append(r)
    return bad
