"""Per-portal politeness from ``sources.toml`` reaches Scrapy's downloader: a request of a portal
with ``download_delay``/``concurrency`` gets a download slot with exactly those values, and its
``user_agent`` is the User-Agent header sent. Runs the project's downloader middleware chain
(with Scrapy's own UserAgentMiddleware) in front of a real :class:`scrapy.core.downloader.Downloader`
slot lookup; no network, no reactor (milliseconds)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from scrapy import Request
from scrapy.core.downloader import Downloader
from scrapy.http import Response
from scrapy.utils.test import get_crawler

import settings as project
from fakes import sources

PORTALS = """
[defaults]
user_agent = "DefaultBot/1.0 (+https://example.org/bot)"

[[portal]]
name = "langsam"
allowed_domains = ["langsam.test"]
feeds = ["http://langsam.test/rss.xml"]
download_delay = 2.5
concurrency = 1
user_agent = "LangsamBot/2.0"

[[portal]]
name = "normal"
allowed_domains = ["normal.test"]
feeds = ["http://normal.test/rss.xml"]
"""


def downloader_for(text=PORTALS, **extra):
    # The project's order of downloader middlewares (robots.txt off: it would fetch robots.txt).
    middlewares = {k: v for k, v in project.DOWNLOADER_MIDDLEWARES.items() if "archive" not in k}
    crawler = get_crawler(settings_dict={
        "DOWNLOADER_MIDDLEWARES": middlewares, "ROBOTSTXT_OBEY": False, "DOWNLOAD_DELAY": 0.25,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 8, "USER_AGENT": sources(text).user_agent,
        "DOWNLOAD_HANDLERS": {"http": None, "https": None}, **extra})
    crawler.spider = SimpleNamespace(name="news", sources=sources(text), crawler=crawler)
    downloader = Downloader(crawler)
    crawler.engine = SimpleNamespace(downloader=downloader)
    return downloader


def fetch(downloader, request):
    """What reaches the downloader for ``request``: its slot key and slot, and the headers sent."""
    seen = {}

    async def reach_slot(request):
        seen["key"], seen["slot"] = downloader._get_slot(request)
        seen["user_agent"] = request.headers.get(b"User-Agent")
        seen["meta"] = dict(request.meta)
        return Response(request.url, request=request)

    asyncio.run(downloader.middleware.download_async(reach_slot, request))
    return seen


def test_a_portals_delay_concurrency_and_user_agent_reach_its_download_slot():
    downloader = downloader_for()
    for url in ("http://langsam.test/rss.xml", "http://www.langsam.test/artikel/1.html"):
        seen = fetch(downloader, Request(url, meta={"portal": "langsam"}))
        assert seen["key"] == "portal:langsam"
        assert (seen["slot"].delay, seen["slot"].concurrency) == (2.5, 1)
        assert seen["user_agent"] == b"LangsamBot/2.0"
        assert seen["meta"]["autothrottle_dont_adjust_delay"] is True  # AutoThrottle keeps 2.5 s
    assert list(downloader.slots) == ["portal:langsam"]  # one slot for all hosts of the portal


def test_robots_txt_and_redirected_requests_of_a_portal_share_its_slot_and_agent():
    downloader = downloader_for()
    robots = fetch(downloader, Request("http://langsam.test/robots.txt"))  # no portal in its meta
    assert (robots["key"], robots["user_agent"]) == ("portal:langsam", b"LangsamBot/2.0")
    assert robots["slot"].delay == 2.5
    moved = fetch(downloader, Request("http://cdn.langsam.test/a.html", meta={"redirect_urls": ["http://langsam.test/a"]}))
    assert (moved["key"], moved["user_agent"]) == ("portal:langsam", b"LangsamBot/2.0")


def test_a_portal_without_own_politeness_keeps_the_per_host_defaults():
    downloader = downloader_for()
    seen = fetch(downloader, Request("http://normal.test/rss.xml", meta={"portal": "normal"}))
    assert seen["key"] == "normal.test"
    assert (seen["slot"].delay, seen["slot"].concurrency) == (0.25, 8)
    assert seen["user_agent"] == b"DefaultBot/1.0 (+https://example.org/bot)"
    assert "autothrottle_dont_adjust_delay" not in seen["meta"]


def test_only_a_concurrency_keeps_the_default_delay_and_autothrottle():
    text = PORTALS.replace("download_delay = 2.5\n", "")
    seen = fetch(downloader_for(text), Request("http://langsam.test/a", meta={"portal": "langsam"}))
    assert seen["key"] == "portal:langsam"
    assert (seen["slot"].delay, seen["slot"].concurrency) == (0.25, 1)
    assert "autothrottle_dont_adjust_delay" not in seen["meta"]
