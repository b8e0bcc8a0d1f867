"""Every request is checked against robots.txt, also the ones sent before robots.txt arrived."""

import subprocess
import sys
import time

import pytest

from services import LocalSite

SPIDER = r"""
import sys, scrapy
from scrapy.crawler import CrawlerProcess

class Many(scrapy.Spider):
    name = "many"
    async def start(self):
        for i in range(8):
            yield scrapy.Request(f"{sys.argv[1]}/private/{i}", dont_filter=True)
    def parse(self, response):
        pass

# Scrapy's stock middleware lets most of these through (robots.txt is slow to arrive).
middlewares = {"scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
               "crawler.scrapy_robots.RobotsTxtMiddleware": 100}
process = CrawlerProcess({"ROBOTSTXT_OBEY": True, "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
                          "LOG_LEVEL": "ERROR", "DOWNLOADER_MIDDLEWARES": middlewares, "TELNETCONSOLE_ENABLED": False})
process.crawl(Many)
process.start()
"""


@pytest.fixture
def site():
    def respond(path, base):
        if path == "/robots.txt":
            time.sleep(0.3)  # robots.txt arrives after the other requests queued
            return 200, b"User-agent: *\nDisallow: /private\n", "text/plain"
        return 200, b"secret", "text/plain"

    server = LocalSite(respond)
    yield server
    server.stop()


def test_requests_racing_robots_txt_are_still_refused(site):
    subprocess.run([sys.executable, "-c", SPIDER, site.base], check=True, timeout=60)
    assert site.hits == ["/robots.txt"], site.hits
