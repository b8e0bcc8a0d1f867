"""What the metadata pickers read from an unpruned page tree: meta tags, JSON-LD objects (also
wrapped in CDATA or HTML comments), the site's own names, visible text without scripts."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from html import unescape
from urllib.parse import urlparse

from lxml import etree

from crawler.extraction.marks import Marks, page_marks

ARTICLE_TYPES = {"newsarticle", "article", "reportagenewsarticle", "blogposting", "analysisnewsarticle",
                 "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle", "liveblogposting",
                 "report", "techarticle", "scholarlyarticle", "posting", "socialmediaposting"}
_WS = re.compile(r"\s+")
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_WRAPPERS = re.compile(r"^\s*(?://[ \t]*|/\*\s*)?(?:<!\[CDATA\[|<!--)\s*(?:\*/)?|"
                       r"(?://[ \t]*|/\*\s*)?(?:\]\]>|-->)\s*(?:\*/)?\s*$")
_SKIP_TEXT = {"script", "style", "noscript", "template"}


def clean(s) -> str:
    """Entities decoded (also double-encoded ones), invisible characters dropped, spaces collapsed."""
    text = str(s or "")
    if "&" in text:
        text = unescape(unescape(text))
    return _WS.sub(" ", text.translate(_INVISIBLE)).strip()


def key(s: str) -> str:
    """A comparison key: case-folded letters and digits only (``Börsen-Zeitung`` ~ ``börsenzeitung``)."""
    return re.sub(r"[\W_]+", "", clean(s).casefold())


def visible_text(el) -> str:
    """Text of an element without the contents of script/style/template children."""
    parts: list[str] = []

    def walk(node):
        if node.text:
            parts.append(node.text)
        for child in node:
            if isinstance(child.tag, str) and child.tag not in _SKIP_TEXT:
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(el)
    return clean(" ".join(parts))


def meta_tags(tree) -> dict[str, str]:
    """First value of every ``<meta>`` by its lower-cased name/property/itemprop."""
    out: dict[str, str] = {}
    for m in tree.iter("meta"):
        content = m.get("content")
        if not content or not content.strip():
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            k = (m.get(attr) or "").strip().lower()
            if k and k not in out:
                out[k] = content.strip()
    return out


def _load_json(raw: str):
    for text in (raw, _WRAPPERS.sub("", raw)):
        for candidate in (text, re.sub(r"[\x00-\x1f]", " ", text)):
            try:
                return json.loads(candidate)
            except ValueError:
                continue
    return None


_JSONLD = etree.XPath('//script[@type="application/ld+json" or @type="application/json+ld"]')


def iter_jsonld(tree):
    """Every JSON-LD object of the page (``@graph`` members and nested main entities too)."""
    for node in _JSONLD(tree):
        raw = (node.text or "").strip()
        data = _load_json(raw) if raw else None
        stack = [data] if data is not None else []
        while stack:
            obj = stack.pop()
            if isinstance(obj, list):
                stack.extend(reversed(obj))
            elif isinstance(obj, dict):
                yield obj
                for k in ("@graph", "mainEntity", "mainEntityOfPage", "itemListElement"):
                    if isinstance(obj.get(k), (list, dict)):
                        stack.append(obj[k])


def types(obj) -> set[str]:
    t = obj.get("@type")
    t = [t] if isinstance(t, str) else t
    return {str(x).lower() for x in t or () if isinstance(x, str)}


@dataclass
class Page:
    """The parsed inputs every picker shares."""

    tree: object
    url: str | None
    tz: str
    meta: dict[str, str] = field(default_factory=dict)
    article: dict = field(default_factory=dict)   # the page's own JSON-LD article object
    crumbs: list[str] = field(default_factory=list)  # JSON-LD breadcrumb names
    site_names: set[str] = field(default_factory=set)  # keys (see ``key``) of the site's names

    @cached_property
    def body(self):
        return self.tree.find(".//body")

    @cached_property
    def marks(self) -> Marks:
        """The elements the pickers look for by class, id, itemprop or rel (one walk)."""
        return page_marks(self.tree)


def _crumb_names(obj) -> list[str]:
    items = obj.get("itemListElement") or []
    out = []
    for it in items if isinstance(items, list) else [items]:
        if isinstance(it, dict):
            name = it.get("name") or (it["item"].get("name") if isinstance(it.get("item"), dict) else None)
            if name:
                out.append(clean(name))
    return out


def _pick_article(objs: list[dict], url: str | None) -> dict:
    arts = [o for o in objs if types(o) & ARTICLE_TYPES]
    if len(arts) > 1 and url:  # several (related articles too): the one about this URL
        path = urlparse(url).path.rstrip("/")
        for o in arts:
            ref = o.get("url") or o.get("mainEntityOfPage")
            ref = ref.get("@id") if isinstance(ref, dict) else ref
            if isinstance(ref, str) and path and urlparse(ref).path.rstrip("/") == path:
                return o
    if arts:
        return arts[0]
    return next((o for o in objs if "webpage" in types(o) and (o.get("datePublished") or o.get("headline"))), {})


def site_names(meta: dict, objs: list[dict], url: str | None) -> set[str]:
    names = {meta.get("og:site_name"), meta.get("application-name"), meta.get("twitter:site", "").lstrip("@")}
    for o in objs:
        pub = o.get("publisher")
        if isinstance(pub, dict):
            names.add(pub.get("name"))
        if types(o) & {"organization", "newsmediaorganization", "website"}:
            names.add(o.get("name"))
    host = urlparse(url or meta.get("og:url") or "").hostname or ""
    labels = [lb for lb in host.split(".") if lb not in ("www", "m", "amp")]
    if len(labels) >= 2:
        names.update({labels[-2], ".".join(labels[-2:])})
    return {k for k in (key(n) for n in names if isinstance(n, str)) if len(k) >= 2}


def parse_page(tree, url: str | None, tz: str) -> Page:
    objs = list(iter_jsonld(tree))
    crumbs = next((_crumb_names(o) for o in objs if "breadcrumblist" in types(o)), [])
    meta = meta_tags(tree)
    return Page(tree=tree, url=url, tz=tz, meta=meta, article=_pick_article(objs, url), crumbs=crumbs,
                site_names=site_names(meta, objs, url))


def is_site_name(name: str, page: Page) -> bool:
    k = key(name)
    return bool(k) and any(k == s or (len(s) >= 3 and k.startswith(s) and len(k) - len(s) <= 12)
                           for s in page.site_names)
