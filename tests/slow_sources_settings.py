"""Project settings plus a downloader middleware that holds feeds and sitemaps back until a page
linking ``$CRAWLER_TEST_WATCH_URL`` (without lastmod) went through the spider, so section pages
are processed before the feeds that announce updates (at most ``HOLD`` seconds: then they go
on and the test finds the race did not happen), and a spider middleware that records, in
``$CRAWLER_TEST_ORDER_LOG``, which responses reached the spider in which order and whether they
name the watched URL: the test proves with it that the race it targets happened."""

import asyncio
import json
import os

from crawl_settings import *  # noqa: F401,F403
from crawl_settings import DOWNLOADER_MIDDLEWARES as _BASE

DOWNLOADER_MIDDLEWARES = {**_BASE, "slow_sources_settings.DelayFeedsAndSitemaps": 960}
SPIDER_MIDDLEWARES = {"slow_sources_settings.RecordOrder": 10}
SOURCE_PARTS = (".xml", ".atom", "/rss", "/feeds/", "sitemap")
_linked: list[asyncio.Event] = []  # set once a non-source page naming the watched URL was handled


def is_source(url: str) -> bool:
    return any(part in url for part in SOURCE_PARTS)


def linked() -> asyncio.Event:
    if not _linked:
        _linked.append(asyncio.Event())
    return _linked[0]


def names_watched(response) -> bool:
    watch = os.environ.get("CRAWLER_TEST_WATCH_URL", "")
    if not watch:
        return False
    body = response.body.decode("utf-8", "replace")
    return watch in body or watch.split("://", 1)[-1].split("/", 1)[-1] in body


class DelayFeedsAndSitemaps:
    HOLD = 6.0  # the longest a source waits for the linking page

    async def process_response(self, request, response, spider=None):
        if is_source(request.url):  # Scrapy runs on the asyncio reactor
            try:
                await asyncio.wait_for(linked().wait(), self.HOLD)
            except asyncio.TimeoutError:
                pass
        return response


class RecordOrder:
    def process_spider_input(self, response, spider=None):
        path = os.environ.get("CRAWLER_TEST_ORDER_LOG")
        if path and os.environ.get("CRAWLER_TEST_WATCH_URL"):
            with open(path, "a", encoding="utf-8") as fh:
                entry = {"url": response.url, "source": is_source(response.url), "names": names_watched(response)}
                fh.write(json.dumps(entry) + "\n")

    def _handled(self, response):
        if not is_source(response.url) and names_watched(response):
            linked().set()  # its links were decided: the sources may go on

    def process_spider_output(self, response, result, spider=None):
        yield from result
        self._handled(response)

    async def process_spider_output_async(self, response, result, spider=None):
        async for item in result:
            yield item
        self._handled(response)
