"""A feed or a sitemap read in a worker process: a gzip body (``.xml.gz``) decompressed under
the download size limit (a gzip bomb stops there), then parsed (:mod:`crawler.discovery`).
Takes and returns plain values; a document that cannot be read raises ValueError."""

from __future__ import annotations

from scrapy.utils.gz import gunzip

from crawler.discovery import Discovered, parse_feed, parse_sitemap

GZIP_MAGIC = b"\x1f\x8b\x08"  # as scrapy.utils.gz.gzip_magic_number checks it


def source_body(body: bytes, max_size: int) -> bytes:
    """``body``, or its decompressed bytes when it is gzip, at most ``max_size`` of them."""
    if body[:3] != GZIP_MAGIC:
        return body
    try:
        return gunzip(body, max_size=max_size)
    except ValueError:
        raise ValueError(f"decompressed, it exceeds DOWNLOAD_MAXSIZE ({max_size} bytes): not read") from None
    except (OSError, EOFError) as exc:  # a cut or corrupt gzip stream
        raise ValueError(f"broken gzip data: {exc}") from None


def read_source(kind: str, body: bytes, url: str, *, max_size: int,
                content_type: str | None = None) -> tuple[str, list[Discovered]]:
    """``("feed", entries)`` for ``kind="feed"``; for ``kind="sitemap"`` ``("index", sitemaps)``
    or ``("urlset", urls)`` (see :func:`crawler.discovery.parse_sitemap`)."""
    body = source_body(body, max_size)
    if kind == "feed":
        return "feed", parse_feed(body, url, content_type)
    return parse_sitemap(body, url)
