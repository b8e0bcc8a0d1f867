"""Article metadata from a parsed, unpruned page tree: one small picker per field
(``crawler.extraction.title``, ``.authors``, ``.timestamps`` and the section, language,
canonical URL and description pickers here). Call before main-text extraction prunes the tree."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlparse

from crawler.extraction.authors import pick_authors
from crawler.extraction.markup import Page, clean, parse_page
from crawler.extraction.timestamps import pick_dates
from crawler.extraction.title import pick_title_heading

_GENERIC_SECTIONS = {"home", "startseite", "news", "nachrichten", "artikel", "article", "articles",
                     "de", "en", "index", "aktuelles", "aktuell", "blog", "stories", "story", "meldungen"}


def _html_crumbs(boxes) -> list[str]:
    for el in boxes:
        crumbs = [c for c in (clean(a.text_content()) for a in el.iter("a")) if c and len(c) <= 60]
        if crumbs:
            return crumbs
    return []


def _section_label(value) -> str | None:
    """First entry of a (comma-separated) section value, entities decoded."""
    if isinstance(value, list):
        value = value[0] if value else None
    text = clean(value) if isinstance(value, str) else ""
    first = next((p.strip() for p in text.split(",") if p.strip()), "")
    return first[:60] or None


def section_from_url(url: str | None) -> str | None:
    if not url:
        return None
    segs = [s for s in urlparse(url).path.split("/") if s]
    for seg in segs[:-1]:
        if re.fullmatch(r"[a-zäöü][a-zäöü-]{2,30}", seg) and seg not in _GENERIC_SECTIONS:
            return seg.replace("-", " ").title() if "-" in seg else seg.capitalize()
    return None


def pick_section(page: Page, title: str | None, canonical: str | None) -> str | None:
    declared = _section_label(page.article.get("articleSection")) or _section_label(page.meta.get("article:section"))
    if declared:
        return declared
    crumbs = page.crumbs or _html_crumbs(page.marks.crumb_boxes)
    cands = [c for c in crumbs if c.lower() not in _GENERIC_SECTIONS and c != title and len(c) <= 40]
    return cands[-1] if cands else section_from_url(canonical or page.url)


def _norm_lang(value) -> str | None:
    m = re.match(r"\s*([a-zA-Z]{2,3})(?:[-_]|$)", value) if isinstance(value, str) else None
    return m.group(1).lower() if m else None


def pick_language(page: Page) -> str | None:
    tree = page.tree
    root = tree if tree.tag == "html" else tree.getroottree().getroot()
    for value in (page.article.get("inLanguage"), root.get("lang"), root.get("xml:lang"), page.meta.get("og:locale"),
                  page.meta.get("content-language"), page.meta.get("language")):
        lang = _norm_lang(value)
        if lang:
            return lang
    return None


def pick_canonical(page: Page) -> str | None:
    href = page.marks.canonical
    if href is not None:
        return urljoin(page.url or "", href.strip())
    og = page.meta.get("og:url")
    return urljoin(page.url or "", og) if og else None


def pick_paywall(page: Page) -> str | None:
    """Why the page may show only a teaser: the article declares ``isAccessibleForFree: false``
    (schema.org paywall markup, also on a part), or paywall elements are in the page."""
    parts = page.article.get("hasPart")
    parts = parts if isinstance(parts, list) else [parts]
    for obj in [page.article, *parts]:
        if isinstance(obj, dict) and str(obj.get("isAccessibleForFree")).strip().lower() in ("false", "0", "no"):
            return "json-ld"
    return "markup" if page.marks.paywall else None


def extract_metadata(tree, url: str | None, tz: str) -> dict:
    """Title, authors, dates, section, language, canonical URL and description."""
    page = parse_page(tree, url, tz)
    title, heading = pick_title_heading(page)
    published, modified = pick_dates(page)
    canonical = pick_canonical(page)
    return {
        "title": title or None,
        "authors": pick_authors(page),
        "published": published,
        "modified": modified,
        "section": pick_section(page, title, canonical),
        "language": pick_language(page),
        "canonical_url": canonical,
        "description": clean(page.meta.get("description") or page.meta.get("og:description")) or None,
        "paywall": pick_paywall(page),
        "heading": heading,  # the displayed headline, when the title is another wording
    }
