"""Builds every resource of the demo portals for one edition: ``build_site(edition)`` returns a
mapping (host, path) -> Resource. Pure function of the bundled content, so URLs and bodies are
identical from run to run."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from . import feeds
from .content import Article, Version, articles_for
from .layouts import LAYOUTS
from .layouts.common import Page, de_short, teaser
from .portals import NORDTICKER, PORTALS, TAGESBLICK, WESERBOTE

HTML = "text/html; charset=utf-8"
XML = "application/xml; charset=utf-8"

# Special pages: exercised by the crawl, listed in the manifest.
GALLERY_PATH = "/lokales/bildergalerie-weihnachtsmarkt-herford-1099.html"
INTERN_PATH = "/intern/vorschau-serie-ehrenamt-1200.html"
REDIRECT_OLD_PATH = "/wirtschaft/inflationsrate-november-a20380"
REDIRECT_TARGET_KEY = "tb-inflation"
MISSING_PATH = "/meldung/48790-kreistag-minden-luebbecke-haushalt.html"

GALLERY_URL = WESERBOTE.url(GALLERY_PATH)
INTERN_URL = WESERBOTE.url(INTERN_PATH)
REDIRECT_OLD_URL = TAGESBLICK.url(REDIRECT_OLD_PATH)
MISSING_URL = NORDTICKER.url(MISSING_PATH)


@dataclass(frozen=True)
class Resource:
    status: int
    content_type: str
    body: bytes
    kind: str                       # article | section | home | feed | sitemap | robots | gallery | intern | redirect | asset
    gzip: bool = False              # compress when the client accepts gzip
    chunked: bool = False           # send with Transfer-Encoding: chunked
    headers: tuple[tuple[str, str], ...] = ()


@dataclass
class Site:
    edition: int
    resources: dict[tuple[str, str], Resource] = field(default_factory=dict)
    pages: dict[str, Page] = field(default_factory=dict)       # article URL -> page (residue)
    articles: dict[str, tuple[Article, Version]] = field(default_factory=dict)  # URL -> data

    def lookup(self, host: str, path: str) -> Resource | None:
        return self.resources.get((host, path))


def _policy(spec, kind: str) -> dict:
    """Transfer behaviour per portal: weserbote gzips, tagesblick gzips and streams chunked,
    nordticker sends plain bodies (its RSS feed chunked)."""
    if kind in ("robots", "redirect"):
        return {"gzip": False, "chunked": False}
    if spec is WESERBOTE:
        return {"gzip": True, "chunked": False}
    if spec is TAGESBLICK:
        return {"gzip": True, "chunked": True}
    return {"gzip": False, "chunked": kind == "feed"}


def article_url(art: Article) -> str:
    spec = next(p for p in PORTALS if p.name == art.portal)
    return spec.url(spec.article_path(art.section, art.slug, art.num))


def _entry(spec, art: Article, ver: Version) -> dict:
    return {
        "url": article_url(art), "num": art.num, "title": ver.title,
        "summary": teaser(ver.paragraphs, 30), "published": ver.published,
        "lastmod": ver.lastmod, "author": art.author, "section": spec.section_label(art.section),
    }


@lru_cache(maxsize=4)
def build_site(edition: int) -> Site:
    site = Site(edition)
    for spec in PORTALS:
        _build_portal(site, spec, edition)
    return site


def _build_portal(site: Site, spec, edition: int) -> None:
    layout = LAYOUTS[spec.name]
    items = articles_for(spec.name, edition)
    entries = [_entry(spec, a, v) for a, v in items]
    # link boxes on article pages list edition-1 articles only, so that a new edition changes
    # no page except the new and the updated article (and listings, feeds, sitemaps)
    siblings = [{"href": article_url(a), "title": v.title} for a, v in articles_for(spec.name, 1)]

    def put(path, kind, body, ctype=HTML, status=200, headers=()):
        site.resources[(spec.host, path)] = Resource(
            status, ctype, body.encode("utf-8"), kind, headers=tuple(headers), **_policy(spec, kind))

    for (art, ver), e in zip(items, entries):
        page = layout.render_article(spec, art, ver, e["url"], edition, siblings)
        site.pages[e["url"]] = page
        site.articles[e["url"]] = (art, ver)
        put(e["url"][len(spec.base):], "article", page.html)
    _put_listings(put, spec, layout, items, entries)
    _put_feeds(put, spec, layout, entries)
    _put_special_pages(put, spec, layout, items, entries)


def _section_teasers(spec, slug: str, items, entries) -> list[dict]:
    teasers = [{"href": e["url"], "title": v.title, "teaser": teaser(v.paragraphs), "kicker": a.kicker,
                "time": de_short(v.published)[:16].replace(",", "")}
               for (a, v), e in zip(items, entries) if a.section == slug]
    if spec is TAGESBLICK and slug == "wirtschaft":
        # the section page still links the article under its old URL (-> 301)
        for t in teasers:
            if t["href"].endswith("-a20391"):
                t["href"] = REDIRECT_OLD_URL
    if spec is WESERBOTE and slug == "lokales":
        teasers.append({"href": GALLERY_URL, "title": "Bildergalerie: So sieht der neue Weihnachtsmarkt aus",
                        "teaser": "Die schönsten Bilder vom Aufbau auf dem Linnenbauerplatz.", "kicker": "Fotos"})
        teasers.append({"href": INTERN_URL, "title": "Vorschau: Neue Serie über das Ehrenamt im Kreis",
                        "teaser": "Nur für angemeldete Redaktionsmitglieder.", "kicker": "Intern"})
    if spec is NORDTICKER and slug == "regional":
        teasers.append({"href": MISSING_URL, "title": "Kreistag Minden-Lübbecke verabschiedet Haushalt",
                        "teaser": "", "time": "18.11.2026 17:20"})
    return teasers


def _put_listings(put, spec, layout, items, entries) -> None:
    """Section pages and the home page."""
    home = []
    for slug, label in spec.sections:
        teasers = _section_teasers(spec, slug, items, entries)
        home += teasers
        path = spec.section_path(slug)
        put(path, "section", layout.render_listing(spec, label, spec.url(path), teasers))
    put("/", "home", layout.render_listing(spec, f"{spec.display} – Nachrichten", spec.url("/"), home))


def _put_feeds(put, spec, layout, entries) -> None:
    """The feed, the sitemaps, robots.txt and the stylesheet."""
    if spec.feed_kind == "atom":
        feed, ftype = feeds.atom(spec, entries, title=f"{spec.display} – Alle Artikel"), "application/atom+xml; charset=utf-8"
    else:
        feed = feeds.rss(spec, entries, title=f"{spec.display} – Alle Meldungen",
                         description=f"Aktuelle Nachrichten von {spec.display}")
        ftype = "application/rss+xml; charset=utf-8"
    put(spec.feed_path, "feed", feed, ftype)
    if spec is WESERBOTE:
        news_path, all_path = "/sitemaps/news.xml", "/sitemaps/artikel.xml"
        newest = max(e["lastmod"] for e in entries)
        put(spec.sitemap_path, "sitemap",
            feeds.sitemap_index([(spec.url(news_path), newest), (spec.url(all_path), newest)]), XML)
        put(news_path, "sitemap", feeds.news_sitemap(entries, publication=spec.display), XML)
        put(all_path, "sitemap", feeds.urlset(entries), XML)
    else:
        put(spec.sitemap_path, "sitemap", feeds.urlset(entries), XML)
    put("/robots.txt", "robots", spec.robots, "text/plain; charset=utf-8")
    if spec is WESERBOTE:
        put(layout.STYLESHEET_PATH, "asset", layout.STYLESHEET, "text/css; charset=utf-8")


def _put_special_pages(put, spec, layout, items, entries) -> None:
    """Weserbote's gallery and members-only page, Tagesblick's moved article (301)."""
    if spec is WESERBOTE:
        put(GALLERY_PATH, "gallery", layout.render_gallery(
            spec, GALLERY_URL, "Bildergalerie: So sieht der neue Weihnachtsmarkt aus",
            ["Die ersten Buden stehen auf dem Linnenbauerplatz. Foto: Sabine Oevermann",
             "Der neue Wintergarten mit überdachten Sitzplätzen. Foto: Sabine Oevermann",
             "Lichterketten am Rathausplatz. Foto: Sabine Oevermann",
             "Das Riesenrad wird aufgebaut. Foto: Henrik Lückemeier"]))
        put(INTERN_PATH, "intern", layout.render_intern(spec, INTERN_URL))
    if spec is TAGESBLICK:
        target = next(e["url"] for (a, _), e in zip(items, entries) if a.key == REDIRECT_TARGET_KEY)
        body = (f'<!DOCTYPE html><html><head><title>301 Moved Permanently</title></head><body>'
                f'<h1>Moved Permanently</h1><p>The document has moved <a href="{target}">here</a>.</p>'
                f"</body></html>\n")
        put(REDIRECT_OLD_PATH, "redirect", body, status=301, headers=[("Location", target)])


def not_found_body(spec) -> bytes:
    return LAYOUTS[spec.name].render_not_found(spec, spec.url("/")).encode("utf-8")
