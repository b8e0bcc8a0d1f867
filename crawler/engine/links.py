"""Outlinks of a parsed page, resolved against the page URL (or its ``<base href>``).

Most hrefs on news pages are absolute or root-relative; those are resolved by string
concatenation and only the rest goes through ``urljoin`` (Scrapy's ``LinkExtractor`` joins and
normalises every link, which made it the most expensive part of handling a page)."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from lxml import etree

_SKIP = ("#", "javascript:", "mailto:", "tel:", "data:", "about:")
_BASE = etree.XPath("//base/@href")
_HREFS = etree.XPath("descendant-or-self::a/@href | descendant-or-self::area/@href", smart_strings=False)  # strings only, no element objects


def page_base(tree, url: str) -> str:
    for href in _BASE(tree)[:1]:
        href = href.strip()
        if href:
            return urljoin(url, href)
    return url


def outlinks(tree, url: str) -> list[str]:
    """The distinct http(s) URLs the page's ``<a href>`` and ``<area href>`` point to, in
    document order, without fragments."""
    base = page_base(tree, url)
    parts = urlsplit(base)
    origin = f"{parts.scheme}://{parts.netloc}"
    seen: dict[str, None] = {}
    for href in _HREFS(tree):
        href = href.strip()
        if not href or href.startswith(_SKIP):
            continue
        if "/." in href or "\\" in href:
            link = urljoin(base, href)  # dot segments and odd separators: the full algorithm
        elif href.startswith(("http://", "https://")):
            link = href
        elif href.startswith("//"):
            link = f"{parts.scheme}:{href}"
        elif href.startswith("/"):
            link = origin + href
        else:
            link = urljoin(base, href)
        link = link.split("#", 1)[0]
        if link.startswith(("http://", "https://")):
            seen.setdefault(link)
    return list(seen)


def stylesheets(tree, url: str) -> list[str]:
    """The distinct http(s) URLs of the page's ``<link rel="stylesheet">`` elements."""
    base = page_base(tree, url)
    seen: dict[str, None] = {}
    for el in tree.iter("link"):
        href = (el.get("href") or "").strip()
        if href and "stylesheet" in (el.get("rel") or "").lower().split():
            link = urljoin(base, href)
            if link.startswith(("http://", "https://")):
                seen.setdefault(link)
    return list(seen)
