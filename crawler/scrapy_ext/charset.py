"""HTML responses decoded in the encoding they are really in (see :mod:`crawler.charset`).

Scrapy trusts the HTTP header's charset first; a page whose label is wrong gets the corrected
encoding (``response.replace(encoding=...)``) and a log line. Runs after decompression.
"""

from __future__ import annotations

import logging

from scrapy.http import HtmlResponse
from w3lib.encoding import html_body_declared_encoding

from crawler.charset import corrected_encoding
from crawler.scrapy_ext.base import CrawlerMiddleware

logger = logging.getLogger(__name__)


class CharsetMiddleware(CrawlerMiddleware):
    def process_response(self, request, response, spider=None):
        if not isinstance(response, HtmlResponse) or not response.body:
            return response
        fix = corrected_encoding(response.body, response.encoding, html_body_declared_encoding(response.body))
        if fix is None:
            return response
        encoding, why = fix
        logger.info("%s: decoded as %s (%s)", response.url, encoding, why)
        self.crawler.stats.inc_value("crawler/charset_corrected")
        return response.replace(encoding=encoding)
