"""Test crawl settings plus a downloader middleware that holds every article response for a
delay derived from its URL and ``$CRAWLER_TEST_SHUFFLE`` (a seed, up to 0.8 s), so the articles
reach the spider, the workers and the pipelines in another order than the crawl would give."""

import asyncio
import hashlib
import os

from crawl_settings import *  # noqa: F401,F403
from crawl_settings import DOWNLOADER_MIDDLEWARES as _BASE

DOWNLOADER_MIDDLEWARES = {**_BASE, "shuffled_settings.ShuffleArticleResponses": 960}


class ShuffleArticleResponses:
    async def process_response(self, request, response, spider=None):
        seed = os.environ.get("CRAWLER_TEST_SHUFFLE")
        if seed and "canonical" in request.meta:  # the spider's article requests
            byte = hashlib.sha256(f"{seed} {request.url}".encode()).digest()[0]
            await asyncio.sleep(0.8 * byte / 255)  # Scrapy runs on the asyncio reactor
        return response
