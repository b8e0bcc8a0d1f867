"""Responses whose body did not arrive whole are failures, never pages.

A 2xx answer with a 0-byte body, or one Scrapy flags ``dataloss`` (when
``DOWNLOAD_FAIL_ON_DATALOSS`` is off), is retried within the crawl (``RETRY_TIMES``) and then
raised as :class:`TruncatedResponse` to the request's errback: the spider records the article
fetch as failed, and the next crawl retries it. Bodies cut by the connection (Content-Length or
chunked encoding not satisfied) and bodies over ``DOWNLOAD_MAXSIZE`` already fail in Scrapy's
download handler, with the same effect. robots.txt is exempt: an empty one allows everything.
"""

from __future__ import annotations

import logging

from scrapy.downloadermiddlewares.retry import get_retry_request

from crawler.scrapy_ext.base import CrawlerMiddleware

logger = logging.getLogger(__name__)

NO_BODY_STATUSES = (204, 205, 304)


class TruncatedResponse(Exception):
    """The body of a response did not arrive whole."""


def truncation(request, response) -> str | None:
    """Why a response's body is not whole, or None."""
    if request.method == "HEAD" or not 200 <= response.status < 300 or response.status in NO_BODY_STATUSES:
        return None
    if request.url.endswith("/robots.txt"):
        return None
    if "dataloss" in (response.flags or ()):
        return "connection closed before the end of the body"
    if not response.body:
        return "0-byte body"
    return None


class TruncatedBodyMiddleware(CrawlerMiddleware):
    def process_response(self, request, response, spider=None):
        reason = truncation(request, response)
        if reason is None:
            return response
        self.crawler.stats.inc_value("crawler/truncated_responses")
        retry = get_retry_request(request, spider=self.crawler.spider, reason="truncated")
        if retry is not None:
            return retry
        logger.warning("%s: truncated response (%s): counted as a failed fetch", request.url, reason)
        raise TruncatedResponse(f"{reason} (HTTP {response.status})")
