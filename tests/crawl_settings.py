"""Project settings for the crawls the tests run: no politeness delays (the sites are local test
servers), everything else as in production (robots.txt, per-domain concurrency, retries).

Used by every crawl the tests start through ``conftest.CRAWL_ENV`` (``SCRAPY_SETTINGS_MODULE``)."""

from settings import *  # noqa: F401,F403

DOWNLOAD_DELAY = 0.0
AUTOTHROTTLE_ENABLED = False
RANDOMIZE_DOWNLOAD_DELAY = False
