"""Article URLs from feeds and sitemaps: plain functions on bytes (they run in a worker
process, see :mod:`crawler.engine.sources`). Feeds are parsed by feedparser (RSS 0.9x/1.0/2.0,
Atom); sitemaps (urlset, sitemap index, Google News sitemaps) with lxml.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timezone
from io import BytesIO
from urllib.parse import urljoin

import feedparser
import lxml.etree
from dateutil import parser as dateparser


@dataclass(frozen=True)
class Discovered:
    url: str
    lastmod: str | None = None  # ISO 8601 UTC: when the source says the article last changed
    title: str | None = None


def _iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).isoformat(timespec="seconds")


def parse_date(value: str | None) -> str | None:
    """A feed/sitemap date (W3C datetime, RFC 822) as ISO 8601 UTC, or None if unparseable."""
    if not value or not value.strip():
        return None
    try:
        return _iso(dateparser.parse(value.strip()))
    except (ValueError, OverflowError):
        return None


def parse_feed(body: bytes, base_url: str, content_type: str | None = None) -> list[Discovered]:
    """Entries of an RSS or Atom feed; ``lastmod`` is the entry's updated, else published date.

    A feed without entries is an empty list; a document that is no feed at all (an HTML error
    page, say) raises ValueError.
    """
    headers = {"content-location": base_url}
    if content_type:
        headers["content-type"] = content_type
    feed = feedparser.parse(body, response_headers=headers)
    if not feed.entries and not feed.get("version"):
        raise ValueError(f"not a feed: {feed.get('bozo_exception') or 'no RSS/Atom document'}")
    out = []
    for entry in feed.entries:
        link = entry.get("link")
        if not link:
            continue
        # Ask for "updated" only where the entry has it (feedparser otherwise maps it to published).
        stamp = (entry.get("updated_parsed") if "updated" in entry else None) or entry.get("published_parsed")
        lastmod = _iso(datetime.fromtimestamp(calendar.timegm(stamp), timezone.utc)) if stamp else None
        out.append(Discovered(urljoin(base_url, link.strip()), lastmod, entry.get("title")))
    return out


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def parse_sitemap(body: bytes, base_url: str) -> tuple[str, list[Discovered]]:
    """Return ``("index", sitemaps)`` for a sitemap index or ``("urlset", urls)`` for a sitemap.

    For Google News sitemaps, ``news:publication_date`` stands in for a missing ``lastmod``.
    A gzip-compressed body (``.xml.gz``) must be decompressed by the caller, under a size limit
    (the spider uses Scrapy's ``gunzip(max_size=DOWNLOAD_MAXSIZE)``): here it raises ValueError.
    """
    if body[:2] == b"\x1f\x8b":
        raise ValueError("not a sitemap: gzip-compressed (decompress it under a size limit first)")
    try:
        root = lxml.etree.parse(
            BytesIO(body),
            lxml.etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False),
        ).getroot()
    except lxml.etree.XMLSyntaxError as exc:
        raise ValueError(f"not a sitemap: {exc}") from None
    if root is None:
        raise ValueError("not a sitemap: empty document")
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        raise ValueError(f"not a sitemap: root element <{kind}>")
    out = []
    for item in root:
        if _local(item.tag) not in ("url", "sitemap"):
            continue
        loc = lastmod = pubdate = title = None
        for child in item.iter():
            name = _local(child.tag)
            text = (child.text or "").strip()
            if name == "loc" and loc is None:
                loc = text
            elif name == "lastmod":
                lastmod = text
            elif name == "publication_date":
                pubdate = text
            elif name == "title" and title is None:
                title = text
        if loc:
            out.append(Discovered(urljoin(base_url, loc), parse_date(lastmod) or parse_date(pubdate), title))
    return ("index" if kind == "sitemapindex" else "urlset"), out
