"""HTML responses decoded in the encoding they are really in (see :mod:`crawler.charset`).

Scrapy trusts the HTTP header's charset first; a page whose label is wrong gets the corrected
encoding (``response.replace(encoding=...)``) and a log line. Runs after decompression.

Pages the spider analyses in a worker process (request meta :data:`DECODE_IN_WORKER`: article
and start pages) are left alone here: the worker decodes them with the same rules
(:func:`decode_body`), so the reactor thread neither sniffs nor decodes their bodies and only
their bytes are sent to the worker.
"""

from __future__ import annotations

import logging

from scrapy.http import HtmlResponse, TextResponse
from w3lib.encoding import html_body_declared_encoding

from crawler.charset import corrected_encoding
from crawler.scrapy_ext.base import CrawlerMiddleware

logger = logging.getLogger(__name__)

#: request meta key: the response's body is decoded (and its charset corrected) in a worker
DECODE_IN_WORKER = "decode_in_worker"


def correction(response) -> tuple[str, str] | None:
    """``(encoding, why)`` when an HTML response is not in the encoding Scrapy would decode it
    with, else None."""
    if not isinstance(response, HtmlResponse) or not response.body:
        return None
    return corrected_encoding(response.body, response.encoding, html_body_declared_encoding(response.body))


def decode_body(body: bytes, url: str, content_type: bytes | None, encoding: str | None = None,
                html: bool = True) -> tuple[str, tuple[str, str] | None]:
    """``(text, correction)`` of a response body as Scrapy's (Html|Text)Response decodes it
    after :class:`CharsetMiddleware`: for plain values, in a worker process. ``content_type``:
    the Content-Type header; ``encoding``: the one the response was given explicitly, if any."""
    cls = HtmlResponse if html else TextResponse
    response = cls(url, body=body, headers={b"Content-Type": content_type} if content_type else None,
                   encoding=encoding)
    fix = correction(response)
    if fix is not None:
        response = response.replace(encoding=fix[0])
    return response.text, fix


def body_args(response) -> tuple:
    """The arguments of :func:`decode_body` for ``response`` (after ``body`` and ``url``)."""
    return (response.headers.get(b"Content-Type"), getattr(response, "_encoding", None),
            isinstance(response, HtmlResponse))


class CharsetMiddleware(CrawlerMiddleware):
    def process_response(self, request, response, spider=None):
        if request.meta.get(DECODE_IN_WORKER):
            return response
        fix = correction(response)
        if fix is None:
            return response
        log_correction(self.crawler.stats, response.url, fix)
        return response.replace(encoding=fix[0])


def log_correction(stats, url: str, fix: tuple[str, str]) -> None:
    logger.info("%s: decoded as %s (%s)", url, *fix)
    stats.inc_value("crawler/charset_corrected")
