"""The spider's feed and sitemap handling with injected fakes: parsing goes to the offload's
CPU side (a worker process in a crawl), a gzip body is read only up to the size limit, an
unusable or over-budget source is logged and counted and the crawl goes on (milliseconds)."""

from __future__ import annotations

import asyncio
import gzip
import inspect
import zlib

import pytest
from scrapy.http import Request, TextResponse

from crawler.engine.offload import InlineOffload
from crawler.engine.sources import read_source, source_body
from fakes import FakeStats, FakeStore, sources
from spiders.news import NewsSpider

FEED = (b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>"
        b"<item><link>http://lokal.test/artikel/1.html</link></item></channel></rss>")
SITEMAP = (b"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
           b"<url><loc>http://lokal.test/artikel/2.html</loc><lastmod>2026-11-30</lastmod></url></urlset>")


class RecordingOffload(InlineOffload):
    """Runs inline, remembering which functions were handed to the CPU side."""

    def __init__(self, fail=None):
        self.cpu_calls = []
        self.fail = fail

    async def cpu(self, fn, *args, **kwargs):
        self.cpu_calls.append(fn.__name__)
        if self.fail is not None:
            raise self.fail
        return fn(*args, **kwargs)


def run(result):
    """All a spider callback yields (an async generator)."""
    async def collect():
        return [x async for x in result]
    return asyncio.run(collect()) if inspect.isasyncgen(result) else list(result)


def spider(offload=None, max_size=32 * 1024 * 1024):
    return NewsSpider(sources=sources(), store=FakeStore(), stats=FakeStats(), offload=offload or RecordingOffload(),
                      max_size=max_size)


def response(url, body, **meta):
    return TextResponse(url, body=body, request=Request(url, meta={"portal": "lokal", **meta}))


def bomb(megabytes: int) -> bytes:
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
    return b"".join(squeeze.compress(b"\0" * (1 << 20)) for _ in range(megabytes)) + squeeze.flush()


def test_feed_and_sitemap_are_parsed_on_the_cpu_side():
    s = spider()
    feed = run(s.parse_feed(response("http://lokal.test/rss.xml", FEED)))
    sitemap = run(s.parse_sitemap(response("http://lokal.test/sitemap.xml.gz", gzip.compress(SITEMAP))))
    assert [r.url for r in feed] == ["http://lokal.test/artikel/1.html"]
    assert [(r.url, r.meta["lastmod"]) for r in sitemap] == [("http://lokal.test/artikel/2.html",
                                                               "2026-11-30T00:00:00+00:00")]
    assert s.offload.cpu_calls == ["read_source", "read_source"]
    assert (s.stats.values["crawler/feeds"], s.stats.values["crawler/sitemaps"]) == (1, 1)


def test_a_gzip_bomb_is_decompressed_only_up_to_the_size_limit():
    with pytest.raises(ValueError, match="exceeds DOWNLOAD_MAXSIZE"):
        source_body(bomb(8), max_size=1 << 20)
    assert source_body(gzip.compress(SITEMAP), max_size=1 << 20) == SITEMAP
    s = spider(max_size=1 << 20)
    assert run(s.parse_sitemap(response("http://lokal.test/sitemap.xml.gz", bomb(8)))) == []
    assert s.stats.values["crawler/sitemap_errors"] == 1
    # a per-request limit (Scrapy's download_maxsize meta) wins over the crawl's
    s = spider()
    assert run(s.parse_sitemap(response("http://lokal.test/s.xml.gz", bomb(2), download_maxsize=1 << 20))) == []
    assert s.stats.values["crawler/sitemap_errors"] == 1


def test_a_broken_gzip_stream_or_a_non_feed_is_reported_not_raised():
    with pytest.raises(ValueError, match="broken gzip"):
        read_source("sitemap", gzip.compress(SITEMAP)[:40], "http://lokal.test/s.xml.gz", max_size=1 << 20)
    s = spider()
    assert run(s.parse_feed(response("http://lokal.test/rss.xml", b"<html><body>Wartung</body></html>"))) == []
    assert s.stats.values["crawler/feed_errors"] == 1


def test_a_source_past_its_time_budget_or_a_dead_worker_is_counted_and_the_crawl_goes_on():
    from crawler.engine.pool import TaskTimeout, WorkerDied

    for failure in (TaskTimeout("over the time budget of 20 s"), WorkerDied("worker died")):
        s = spider(RecordingOffload(fail=failure))
        assert run(s.parse_sitemap(response("http://lokal.test/sitemap.xml", SITEMAP))) == []
        assert run(s.parse_feed(response("http://lokal.test/rss.xml", FEED))) == []
        assert (s.stats.values["crawler/sitemap_errors"], s.stats.values["crawler/feed_errors"]) == (1, 1)


def test_a_broken_pool_stops_the_crawl_while_reading_a_source():
    from scrapy.exceptions import CloseSpider

    from crawler.engine.pool import PoolBroken

    s = spider(RecordingOffload(fail=PoolBroken("worker processes cannot start")))
    with pytest.raises(CloseSpider):
        run(s.parse_feed(response("http://lokal.test/rss.xml", FEED)))


class Pending:
    """The capture middleware's PendingRecords of a page: records the spider's page task builds."""

    def __init__(self):
        self.done = False
        self.built_by = None

    async def finish_in_worker(self, offload):
        self.done, self.built_by = True, "itself"

    async def finish(self, built=None):  # (queued on the archive thread in a crawl)
        if not self.done:
            self.done, self.built_by = True, "here"


def test_a_start_page_not_analysed_still_gets_its_warc_records_written_by_the_callback():
    # A portal without article_pattern: its start pages are fetched but not analysed. The
    # capture middleware left their WARC records to the page task; the callback must have them
    # built (not left pending until the crawl closes: a service would hold them for its lifetime).
    from crawler.scrapy_ext.warc_build import PENDING_META

    s = NewsSpider(sources=sources("[[portal]]\nname='lokal'\nallowed_domains=['lokal.test']\n"
                                   "start_pages=['http://lokal.test/']\n"),
                   store=FakeStore(), stats=FakeStats(), offload=RecordingOffload())
    pending = Pending()
    assert run(s.parse_listing(response("http://lokal.test/", b"<html><body>x</body></html>",
                                        **{PENDING_META: pending}))) == []
    assert pending.done and pending.built_by == "itself"


def test_pages_whose_response_never_reached_the_page_callback_get_their_warc_records_written():
    # The capture middleware (950) left the records to the page task; a middleware after it
    # dropped the response (IgnoreRequest past DOWNLOAD_MAXSIZE once decompressed, a gzip error)
    # or turned it into a new request (a meta refresh, a retry: the meta is copied). The records
    # are written then, not only when the crawl closes.
    from scrapy.exceptions import IgnoreRequest
    from twisted.python.failure import Failure

    from crawler.scrapy_ext.archive import WarcCaptureMiddleware
    from crawler.scrapy_ext.warc_build import PENDING_META

    s = spider()
    for errback, meta in ((s.article_failed, {"canonical": "http://lokal.test/artikel/1.html", "lastmod": None}),
                          (s.source_failed, {})):
        pending = Pending()
        request = Request("http://lokal.test/artikel/1.html", meta={"portal": "lokal", PENDING_META: pending, **meta})
        failure = Failure(IgnoreRequest("exceeded DOWNLOAD_MAXSIZE (1 B) during decompression"))
        failure.request = request
        result = errback(failure)
        if inspect.iscoroutine(result):
            asyncio.run(result)
        assert pending.done and pending.built_by == "here", errback
    pending = Pending()
    refresh = Request("http://lokal.test/", meta={"portal": "lokal", PENDING_META: pending})
    assert WarcCaptureMiddleware(archive=None).process_request(refresh) is None
    assert pending.done and PENDING_META not in refresh.meta
