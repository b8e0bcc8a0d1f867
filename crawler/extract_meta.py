"""Article metadata from a parsed HTML tree: JSON-LD, meta tags, ``<time>``, breadcrumbs, URL.

Works on an lxml tree that has not been pruned yet (call before main-text extraction).
"""

from __future__ import annotations

import json
import re
from html import unescape as html_unescape
from urllib.parse import urljoin, urlparse

from crawler.dates import date_from_url, dates_in_text, parse_date, to_iso

ARTICLE_TYPES = {"newsarticle", "article", "reportagenewsarticle", "blogposting", "analysisnewsarticle",
                 "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle", "liveblogposting",
                 "report", "techarticle", "scholarlyarticle", "posting", "socialmediaposting"}
_WS = re.compile(r"\s+")
_TITLE_SUFFIX = re.compile(r"\s+[|–—·»:-]\s+[^|–—·»]{2,60}$")
_GENERIC_SECTIONS = {"home", "startseite", "news", "nachrichten", "artikel", "article", "articles",
                     "de", "en", "index", "aktuelles", "aktuell", "blog", "stories", "story", "meldungen"}


def _clean(s) -> str:
    return _WS.sub(" ", str(s or "")).strip()


def _iter_jsonld(tree):
    for node in tree.xpath('//script[@type="application/ld+json"]'):
        raw = (node.text or "").strip()
        if not raw:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            try:
                data = json.loads(re.sub(r"[\x00-\x1f]", " ", raw))
            except ValueError:
                continue
        stack = [data]
        while stack:
            obj = stack.pop()
            if isinstance(obj, list):
                stack.extend(reversed(obj))
            elif isinstance(obj, dict):
                yield obj
                for key in ("@graph", "mainEntity", "mainEntityOfPage", "itemListElement"):
                    if isinstance(obj.get(key), (list, dict)):
                        stack.append(obj[key])


def _types(obj) -> set[str]:
    t = obj.get("@type")
    if isinstance(t, str):
        t = [t]
    return {str(x).lower() for x in t or ()}


def _names(value) -> list[str]:
    out: list[str] = []
    if value is None:
        return out
    if isinstance(value, list):
        for v in value:
            out.extend(_names(v))
    elif isinstance(value, dict):
        if "person" in _types(value) or "name" in value:
            name = _clean(value.get("name"))
            if name and "organization" not in _types(value):
                out.append(name)
    elif isinstance(value, str):
        out.extend(split_authors(value))
    return out


_AUTHOR_SPLIT = re.compile(r"\s*(?:,|\bund\b|\band\b|&|/)\s*")
_SOURCE_PREFIX = re.compile(r"^(?:quelle|source|von|by|text|autor(?:in)?)\s*:?\s+", re.I)
_AUTHOR_PREFIX = re.compile(r"^(?:von|by|autor(?:in)?:?|text:?)\s+", re.I)


_NAME_RE = re.compile(r"^[A-ZÄÖÜ][\w.'-]*(?:\s+(?:von|van|de|der|zu|le|la)?\s*[A-ZÄÖÜ][\w.'-]*){0,3}$|^[a-z]{2,5}$")


def split_authors(value: str) -> list[str]:
    """``"Max Muster und Erika Beispiel"`` -> two names; an organisation name such as
    "Bündnis 90/Die Grünen" or "Landesanstalt für Wald und Forst" stays whole."""
    value = _AUTHOR_PREFIX.sub("", _clean(html_unescape(value)))
    if not value or value.startswith("http"):
        return []
    out = []
    for chunk in (c.strip() for c in value.split(";")):
        parts = [p.strip() for p in _AUTHOR_SPLIT.split(chunk) if p.strip()]
        if len(parts) > 1 and all(_NAME_RE.match(p) for p in parts):
            out.extend(parts)
        elif chunk:
            out.append(chunk)
    return [p for p in out if 1 < len(p) <= 80 and not p.startswith("http")]


def _meta(tree) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in tree.iter("meta"):
        key = (m.get("property") or m.get("name") or m.get("itemprop") or m.get("http-equiv") or "").strip().lower()
        content = m.get("content")
        if key and content and key not in out:
            out[key] = content.strip()
    return out


def _breadcrumbs(tree, jsonld_crumbs: list[str]) -> list[str]:
    if jsonld_crumbs:
        return jsonld_crumbs
    for el in tree.xpath('//*[contains(@class,"breadcrumb") or contains(@id,"breadcrumb") '
                         'or contains(@class,"Breadcrumb")][.//a][1]'):
        crumbs = [_clean(a.text_content()) for a in el.iter("a")]
        crumbs = [c for c in crumbs if c and len(c) <= 60]
        if crumbs:
            return crumbs
    return []


def _section_from_crumbs(crumbs: list[str], title: str | None) -> str | None:
    cands = [c for c in crumbs if c.lower() not in _GENERIC_SECTIONS and c != title and len(c) <= 40]
    return cands[-1] if cands else None


def _section_label(value) -> str | None:
    """First entry of a (comma-separated) section value, entities decoded."""
    text = _clean(html_unescape(str(value))) if value else ""
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


def _norm_lang(value: str | None) -> str | None:
    if not value:
        return None
    m = re.match(r"\s*([a-zA-Z]{2,3})(?:[-_]|$)", value)
    return m.group(1).lower() if m else None


def extract_metadata(tree, url: str | None, tz: str) -> dict:
    """Title, authors, dates, section, language, canonical URL from the unpruned tree."""
    meta = _meta(tree)
    ld_article: dict = {}
    ld_crumbs: list[str] = []
    for obj in _iter_jsonld(tree):
        types = _types(obj)
        if types & ARTICLE_TYPES and not ld_article:
            ld_article = obj
        elif "breadcrumblist" in types and not ld_crumbs:
            items = obj.get("itemListElement") or []
            items = items if isinstance(items, list) else [items]
            for it in items:
                if isinstance(it, dict):
                    name = it.get("name")
                    if not name and isinstance(it.get("item"), dict):
                        name = it["item"].get("name")
                    if name:
                        ld_crumbs.append(_clean(name))
    if not ld_article:
        for obj in _iter_jsonld(tree):
            if ("webpage" in _types(obj)) and (obj.get("datePublished") or obj.get("headline")):
                ld_article = obj
                break

    # title
    title = _clean(ld_article.get("headline")) or _clean(meta.get("og:title")) or None
    if not title:
        h1 = tree.xpath("//h1")
        title = _clean(h1[0].text_content()) if h1 else None
    if not title:
        t = tree.find(".//title")
        title = _clean(t.text_content()) if t is not None else None
        if title:
            title = _TITLE_SUFFIX.sub("", title) or title
    if title and meta.get("og:site_name") and title.endswith(meta["og:site_name"]):
        title = _TITLE_SUFFIX.sub("", title) or title

    # authors
    authors = _names(ld_article.get("author"))
    if not authors:
        for key in ("author", "article:author", "dc.creator", "sailthru.author", "parsely-author"):
            if meta.get(key):
                authors = split_authors(meta[key])
                if authors:
                    break
    if not authors:
        for el in tree.xpath('//*[@rel="author" or @itemprop="author" or contains(@class,"author-name") '
                             'or contains(@class,"byline__author") or contains(@class,"quelle") '
                             'or contains(@class,"autor")][1]'):
            text = _SOURCE_PREFIX.sub("", _clean(el.text_content()))
            if len(text) <= 80:
                authors = split_authors(text)
    authors = list(dict.fromkeys(a for a in authors if len(a.split()) <= 5))

    # dates
    pub = mod = None
    for v in (ld_article.get("datePublished"), meta.get("article:published_time"), meta.get("og:published_time"),
              meta.get("datepublished"), meta.get("date"), meta.get("pubdate"), meta.get("publishdate"),
              meta.get("dc.date.issued"), meta.get("dc.date"), meta.get("dcterms.date"),
              meta.get("parsely-pub-date"), meta.get("sailthru.date")):
        pub = parse_date(v, tz)
        if pub:
            break
    for v in (ld_article.get("dateModified"), meta.get("article:modified_time"), meta.get("og:updated_time"),
              meta.get("last-modified"), meta.get("dc.date.modified"), meta.get("datemodified")):
        mod = parse_date(v, tz)
        if mod:
            break
    if pub is None:
        for t in tree.xpath('//time[@datetime][1] | //*[@itemprop="datePublished"][1]'):
            pub = parse_date(t.get("datetime") or t.get("content") or t.text_content(), tz)
    body = tree.find(".//body")
    if pub is None or mod is None:
        vis = _visible_date_text(body)
        vpub, vmod = dates_in_text(vis, tz)
        pub = pub or vpub
        mod = mod or vmod
    if pub is None:
        pub = date_from_url(url, tz)
    if pub is None and mod is not None:  # a lone "Stand:" stamp is the best publication date we have
        pub = mod
    if mod is not None and pub is not None and mod <= pub:
        mod = None  # not modified after publication

    # canonical
    canonical = None
    for link in tree.xpath('//link[@rel="canonical"]/@href'):
        canonical = urljoin(url or "", link.strip())
        break
    if not canonical and meta.get("og:url"):
        canonical = urljoin(url or "", meta["og:url"])

    # section
    sec = ld_article.get("articleSection")
    if isinstance(sec, list):
        sec = sec[0] if sec else None
    section = _section_label(sec) or _section_label(meta.get("article:section"))
    if not section:
        section = _section_from_crumbs(_breadcrumbs(tree, ld_crumbs), title)
    if not section:
        section = section_from_url(canonical or url)

    html_el = tree if tree.tag == "html" else tree.getroottree().getroot()
    language = (_norm_lang(ld_article.get("inLanguage") if isinstance(ld_article.get("inLanguage"), str) else None)
                or _norm_lang(html_el.get("lang") or html_el.get("xml:lang"))
                or _norm_lang(meta.get("og:locale")) or _norm_lang(meta.get("content-language"))
                or _norm_lang(meta.get("language")))
    return {
        "title": title or None,
        "authors": authors,
        "published": to_iso(pub),
        "modified": to_iso(mod),
        "section": section or None,
        "language": language,
        "canonical_url": canonical,
        "description": _clean(meta.get("description") or meta.get("og:description")) or None,
    }


_DATE_HINT = re.compile(r"(Stand|Aktualisiert|Veröffentlicht|Erschienen|Publiziert|Erstellt|Letzte Änderung|"
                        r"Updated|Published|Posted)", re.I)


def _visible_date_text(body) -> str:
    """Text nodes that carry a date label (cheap: no full text_content of the page)."""
    if body is None:
        return ""
    parts = []
    for node in body.iter():
        if node.tag in ("script", "style"):
            continue
        for t in (node.text, node.tail):
            if t and _DATE_HINT.search(t):
                parts.append(t.strip() + " " + (_clean(node.text_content())[:80] if t is node.text else ""))
                if len(parts) > 5:
                    return "\n".join(parts)
    return "\n".join(parts)
