"""robots.txt as RFC 9309 says, for every request, also those racing the robots.txt fetch.

* 2xx: the rules of the file (an empty file allows everything).
* 4xx: "unavailable", everything allowed.
* 5xx, a redirect we did not follow (too many, or out of the portal's allowed domains) or no
  answer at all (refused, timeout, DNS): "unreachable", everything disallowed. Asked again
  after ``CRAWLER_ROBOTS_RETRY_AFTER`` seconds; the requests refused meanwhile are not
  recorded as fetched, so the next crawl tries them again.
* ``Crawl-delay`` for our user agent: the delay between two requests to that host's download
  slot is at least that long (AutoThrottle no longer lowers it).

Scrapy 2.19's ``RobotsTxtMiddleware`` lets all requests to a host wait on one Deferred for its
robots.txt; the first waiter consumes the Deferred's result and later waiters receive ``None``,
which the middleware treats as "no robots.txt": they are fetched even when disallowed. This
subclass re-reads the parsed rules once the fetch has finished, so every waiter is checked.
"""

from __future__ import annotations

import logging
import time

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred

from crawler.scrapy_ext import defaults

logger = logging.getLogger(__name__)

DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    def __init__(self, crawler):
        super().__init__(crawler)
        self.retry_after = crawler.settings.getfloat("CRAWLER_ROBOTS_RETRY_AFTER", defaults.ROBOTS_RETRY_AFTER)
        self._unreachable: dict[str, float] = {}  # netloc -> monotonic time to ask again
        self._crawl_delays: dict[str, float] = {}  # netloc -> Crawl-delay for our agent
        # `crawler serve` runs for weeks: rules older than this are fetched again (RFC 9309: 24 h)
        self.max_age = crawler.settings.getfloat("CRAWLER_ROBOTS_MAX_AGE", defaults.ROBOTS_MAX_AGE)
        self._fetched: dict[str, float] = {}  # netloc -> monotonic time the rules were read

    async def process_request(self, request, spider=None):
        await super().process_request(request)
        delay = self._crawl_delays.get(urlparse_cached(request).netloc)
        if delay and not request.meta.get("dont_obey_robotstxt"):
            self._apply_crawl_delay(request, delay)

    async def robot_parser(self, request):
        netloc = urlparse_cached(request).netloc
        again = self._unreachable.get(netloc)
        if again is not None and time.monotonic() >= again and not isinstance(self._parsers.get(netloc), Deferred):
            del self._unreachable[netloc]
            self._parsers.pop(netloc, None)  # unreachable before: ask again
        fetched = self._fetched.get(netloc)
        if fetched is not None and time.monotonic() - fetched > self.max_age \
                and not isinstance(self._parsers.get(netloc), Deferred):
            del self._fetched[netloc]
            self._parsers.pop(netloc, None)  # stale: ask again
        parser = await super().robot_parser(request)
        if parser is None:
            cached = self._parsers.get(netloc)
            if cached is not None and not isinstance(cached, Deferred):
                return cached
        return parser

    async def _parse_robots(self, response, netloc, request):
        status = response.status
        if 200 <= status < 300:
            body = response.body
        elif 400 <= status < 500:
            logger.info("robots.txt of %s answered HTTP %s: unavailable, everything allowed (RFC 9309)",
                        netloc, status)
            body = b""
        else:
            self._mark_unreachable(netloc, f"HTTP {status}")
            body = DISALLOW_ALL
        await super()._parse_robots(response.replace(body=body), netloc, request)
        self._fetched[netloc] = time.monotonic()
        self._note_crawl_delay(self._parsers.get(netloc), netloc, request)

    def _robots_error(self, exc, netloc):
        why = "redirected outside the portal's allowed domains" if isinstance(exc, IgnoreRequest) else repr(exc)
        self._mark_unreachable(netloc, why)
        rp_dfd = self._parsers[netloc]
        self._parsers[netloc] = build_from_crawler(self._parserimpl, self.crawler, DISALLOW_ALL)
        self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
        rp_dfd.callback(self._parsers[netloc])

    def _mark_unreachable(self, netloc: str, why: str) -> None:
        logger.warning("robots.txt of %s unreachable (%s): everything disallowed (RFC 9309), asked again in %ss",
                       netloc, why, int(self.retry_after))
        self._stats.inc_value("robotstxt/unreachable")
        self._unreachable[netloc] = time.monotonic() + self.retry_after

    def _note_crawl_delay(self, parser, netloc: str, request) -> None:
        rules = getattr(parser, "rp", None)  # Protego (Scrapy's default parser) knows Crawl-delay
        if rules is None or not hasattr(rules, "crawl_delay"):
            return
        agent = self._robotstxt_useragent or request.headers.get(b"User-Agent", self._default_useragent)
        if isinstance(agent, bytes):
            agent = agent.decode("latin-1")
        delay = rules.crawl_delay(agent)
        if delay:
            logger.info("robots.txt of %s asks for Crawl-delay %ss", netloc, delay)
            self._crawl_delays[netloc] = float(delay)

    def _apply_crawl_delay(self, request, delay: float) -> None:
        """At least ``delay`` seconds between the requests of the request's download slot."""
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is not None:
            slot.delay = max(slot.delay, delay)
        else:
            conf = downloader.per_slot_settings.setdefault(key, {})
            conf["delay"] = max(conf.get("delay", self.crawler.settings.getfloat("DOWNLOAD_DELAY")), delay)
        request.meta["autothrottle_dont_adjust_delay"] = True
