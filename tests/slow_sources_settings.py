"""Project settings plus a downloader middleware that delays feeds and sitemaps, so section
pages (links without lastmod) are processed before the feeds that announce updates."""

import asyncio

from crawl_settings import *  # noqa: F401,F403
from crawl_settings import DOWNLOADER_MIDDLEWARES as _BASE

DOWNLOADER_MIDDLEWARES = {**_BASE, "slow_sources_settings.DelayFeedsAndSitemaps": 960}


class DelayFeedsAndSitemaps:
    DELAY = 6.0  # longer than the section-page fetches take

    async def process_response(self, request, response, spider=None):
        if any(part in request.url for part in (".xml", ".atom", "/rss", "/feeds/", "sitemap")):
            await asyncio.sleep(self.DELAY)  # Scrapy runs on the asyncio reactor
        return response
