"""Project settings plus a downloader middleware that delays feeds and sitemaps, so section
pages (links without lastmod) are processed before the feeds that announce updates, and a
spider middleware that records, in ``$CRAWLER_TEST_ORDER_LOG``, which responses reached the
spider in which order and whether they name ``$CRAWLER_TEST_WATCH_URL``: the test proves with
it that the race it targets happened."""

import asyncio
import json
import os

from crawl_settings import *  # noqa: F401,F403
from crawl_settings import DOWNLOADER_MIDDLEWARES as _BASE

DOWNLOADER_MIDDLEWARES = {**_BASE, "slow_sources_settings.DelayFeedsAndSitemaps": 960}
SPIDER_MIDDLEWARES = {"slow_sources_settings.RecordOrder": 10}
SOURCE_PARTS = (".xml", ".atom", "/rss", "/feeds/", "sitemap")


def is_source(url: str) -> bool:
    return any(part in url for part in SOURCE_PARTS)


class DelayFeedsAndSitemaps:
    DELAY = 6.0  # longer than the section-page fetches take

    async def process_response(self, request, response, spider=None):
        if is_source(request.url):
            await asyncio.sleep(self.DELAY)  # Scrapy runs on the asyncio reactor
        return response


class RecordOrder:
    def process_spider_input(self, response, spider=None):
        path, watch = os.environ.get("CRAWLER_TEST_ORDER_LOG"), os.environ.get("CRAWLER_TEST_WATCH_URL", "")
        if path and watch:
            body = response.body.decode("utf-8", "replace")
            names = watch in body or watch.split("://", 1)[-1].split("/", 1)[-1] in body
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"url": response.url, "source": is_source(response.url), "names": names}) + "\n")
