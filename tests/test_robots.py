"""Every request is checked against robots.txt, also the ones sent before robots.txt arrived."""

import json
import subprocess
import sys
import time

import pytest

from services import LocalSite

pytestmark = pytest.mark.integration  # crawls or starts servers

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
               "crawler.scrapy_ext.robots.RobotsTxtMiddleware": 100}
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


ROBOTS_SPIDER = r"""
import json, sys, scrapy
from scrapy.crawler import CrawlerProcess
class Probe(scrapy.Spider):
    name = "probe"
    seen = []
    async def start(self):
        for i in range(3):
            yield scrapy.Request(f"{sys.argv[1]}/page/{i}", dont_filter=True, errback=self.failed)
    def parse(self, response):
        slot = self.crawler.engine.downloader.slots[response.meta["download_slot"]]
        self.seen.append(["fetched", response.url.rsplit("/", 1)[1], slot.delay])
    def failed(self, failure):
        self.seen.append(["refused", failure.request.url.rsplit("/", 1)[1], None])
    def closed(self, reason):
        print(json.dumps(sorted(self.seen)))

middlewares = {"scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
               "crawler.scrapy_ext.robots.RobotsTxtMiddleware": 100}
process = CrawlerProcess({"ROBOTSTXT_OBEY": True, "LOG_LEVEL": "ERROR", "DOWNLOADER_MIDDLEWARES": middlewares,
                          "TELNETCONSOLE_ENABLED": False, "AUTOTHROTTLE_ENABLED": True, "DOWNLOAD_DELAY": 0,
                          "AUTOTHROTTLE_START_DELAY": 0, "RETRY_TIMES": 0, "USER_AGENT": "ProbeBot/1.0"})
process.crawl(Probe)
process.start()
"""


def _probe(robots):
    def respond(path, base):
        if path == "/robots.txt":
            return robots
        return 200, b"page", "text/plain"

    server = LocalSite(respond)
    try:
        proc = subprocess.run([sys.executable, "-c", ROBOTS_SPIDER, server.base], check=True, timeout=60,
                              capture_output=True, text=True)
        return json.loads(proc.stdout.strip().splitlines()[-1]), server.hits
    finally:
        server.stop()


def test_rfc9309_status_codes():
    """4xx: everything allowed; 5xx: everything disallowed (robots.txt asked again later)."""
    seen, hits = _probe((404, b"Disallow: /", "text/plain"))
    assert [s[:2] for s in seen] == [["fetched", "0"], ["fetched", "1"], ["fetched", "2"]]
    seen, hits = _probe((503, b"", "text/plain"))
    assert [s[:2] for s in seen] == [["refused", "0"], ["refused", "1"], ["refused", "2"]]
    assert hits == ["/robots.txt"]


def test_crawl_delay_is_kept_by_the_download_slot():
    """AutoThrottle would lower the delay of a fast host to 0; Crawl-delay holds it up."""
    seen, _ = _probe((200, b"User-agent: *\nCrawl-delay: 0.4\n", "text/plain"))
    assert [s[0] for s in seen] == ["fetched"] * 3
    assert all(delay == 0.4 for *_, delay in seen), seen


LATER_SPIDER = r"""
import asyncio, json, sys, scrapy
from scrapy.crawler import CrawlerProcess
class Later(scrapy.Spider):
    name = "later"
    seen = []
    async def start(self):
        yield scrapy.Request(f"{sys.argv[1]}/page/0", dont_filter=True, errback=self.failed)
        await asyncio.sleep(1.5)  # past CRAWLER_ROBOTS_RETRY_AFTER: robots.txt is asked again
        yield scrapy.Request(f"{sys.argv[1]}/page/1", dont_filter=True, errback=self.failed)
    def parse(self, response):
        self.seen.append(["fetched", response.url.rsplit("/", 1)[1]])
    def failed(self, failure):
        self.seen.append(["refused", failure.request.url.rsplit("/", 1)[1]])
    def closed(self, reason):
        print(json.dumps(self.seen))

middlewares = {"scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
               "crawler.scrapy_ext.robots.RobotsTxtMiddleware": 100}
process = CrawlerProcess({"ROBOTSTXT_OBEY": True, "LOG_LEVEL": "ERROR", "DOWNLOADER_MIDDLEWARES": middlewares,
                          "TELNETCONSOLE_ENABLED": False, "RETRY_TIMES": 0, "CRAWLER_ROBOTS_RETRY_AFTER": 1})
process.crawl(Later)
process.start()
"""


def test_an_unreachable_robots_txt_is_asked_again_after_the_retry_interval():
    """robots.txt answers 503, then (asked again past CRAWLER_ROBOTS_RETRY_AFTER) allows all."""
    answers = [(503, b"", "text/plain"), (200, b"User-agent: *\nAllow: /\n", "text/plain")]

    def respond(path, base):
        if path == "/robots.txt":
            return answers.pop(0) if len(answers) > 1 else answers[0]
        return 200, b"page", "text/plain"

    server = LocalSite(respond)
    try:
        proc = subprocess.run([sys.executable, "-c", LATER_SPIDER, server.base], check=True, timeout=60,
                              capture_output=True, text=True)
        seen = json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        server.stop()
    assert seen == [["refused", "0"], ["fetched", "1"]], seen
    assert server.hits == ["/robots.txt", "/robots.txt", "/page/1"], server.hits
