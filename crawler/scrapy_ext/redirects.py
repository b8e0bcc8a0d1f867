"""Redirects stay inside the allowed domains of the portal a request was made for.

Every request Scrapy's redirect middlewares follow (feeds, sitemaps, robots.txt, start pages)
carries ``redirect_urls``; one whose target is outside its portal's ``allowed_domains`` is
logged and dropped before anything is sent to that host (also before its robots.txt is asked
for: this middleware runs before the robots.txt middleware). Article redirects are followed
by the spider itself and checked there.
"""

from __future__ import annotations

import logging

from scrapy.exceptions import IgnoreRequest

from crawler.scrapy_ext.portals import portal_of
from crawler.scrapy_ext.base import CrawlerMiddleware

logger = logging.getLogger(__name__)


class OffsiteRedirectError(IgnoreRequest):
    """A redirect to a host outside the portal's allowed domains (not followed)."""


class PortalRedirectMiddleware(CrawlerMiddleware):
    def process_request(self, request, spider=None):
        chain = request.meta.get("redirect_urls")
        if not chain:
            return None
        portal = portal_of(self.crawler, request)
        if portal is None or portal.owns(request.url):
            return None
        logger.warning("redirect from %s to %s leaves portal %s (allowed domains: %s): not followed",
                       chain[0], request.url, portal.name, ", ".join(portal.allowed_domains))
        self.crawler.stats.inc_value("crawler/offsite_redirects")
        raise OffsiteRedirectError(f"redirect to {request.url} outside the allowed domains of portal {portal.name}")
