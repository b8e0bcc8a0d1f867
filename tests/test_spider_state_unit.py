"""The spider's crawl-state reads run in a thread (``offload.read``), never in the thread that
runs the callbacks (the reactor's in a crawl), and its decisions stay those of one crawl:
each URL requested once, known and unchanged ones skipped, failed ones retried. Injected fakes,
milliseconds."""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import threading
from types import SimpleNamespace

from scrapy.http import HtmlResponse, Request, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.store import UrlState
from fakes import FakeStats, FakeStore, sources
from spiders.news import NewsSpider

A1, A2, A7 = (f"http://lokal.test/artikel/{n}.html" for n in (1, 2, 7))
OLD = "2026-11-30T01:00:00+00:00"


class ThreadStore(FakeStore):
    """Remembers the thread of every crawl-state read."""

    def __init__(self, states=None):
        super().__init__(states)
        self.read_threads = []
        self.gone = []

    def url_state(self, url):
        self.read_threads.append(threading.current_thread().name)
        return super().url_state(url)

    def url_states(self, status, limit=1000):
        self.read_threads.append(threading.current_thread().name)
        return super().url_states(status, limit)

    def mark_gone(self, url, status, run_id=None):
        self.gone.append((url, status, threading.current_thread().name))
        return object()


class ThreadOffload:
    """Reads on a "read" thread, I/O on an "io" thread, as the crawl's offload does."""

    def __init__(self):
        self.reads = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="read")
        self.ios = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="io")
        self.read_calls = 0

    async def cpu(self, fn, *args, **kwargs):
        return fn(*args, **kwargs)

    async def read(self, fn, *args, **kwargs):
        self.read_calls += 1
        return await asyncio.wrap_future(self.reads.submit(fn, *args, **kwargs))

    async def io(self, fn, *args, **kwargs):
        return await asyncio.wrap_future(self.ios.submit(fn, *args, **kwargs))

    def io_later(self, fn, *args, **kwargs):
        self.ios.submit(fn, *args, **kwargs).result()


def run(result):
    async def collect():
        if inspect.isasyncgen(result):
            return [x async for x in result]
        return await result
    return asyncio.run(collect())


def spider(states=None):
    return NewsSpider(sources=sources(), store=ThreadStore(states), stats=FakeStats(), offload=ThreadOffload())


def feed(*links):
    items = "".join(f"<item><link>{u}</link><pubDate>{d}</pubDate></item>" for u, d in links)
    body = f"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>{items}</channel></rss>".encode()
    return TextResponse("http://lokal.test/rss.xml", body=body,
                        request=Request("http://lokal.test/rss.xml", meta={"portal": "lokal"}))


def reads_off_the_callback_thread(s):
    return s.store.read_threads and all(name.startswith("read") for name in s.store.read_threads)


def test_a_feeds_decisions_read_the_crawl_state_in_one_go_on_the_read_thread():
    s = spider({A7: UrlState(A7, "article", 200, OLD, "x", OLD)})
    requests = run(s.parse_feed(feed((A1, "Mon, 30 Nov 2026 10:00:00 GMT"), (A1, "Mon, 30 Nov 2026 12:00:00 GMT"),
                                     (A7, "Mon, 30 Nov 2026 00:30:00 GMT"), (A2, "Mon, 30 Nov 2026 09:00:00 GMT"))))
    assert [r.url for r in requests] == [A1, A2]  # A1 once, A7 known and unchanged
    assert requests[0].meta["lastmod"] == "2026-11-30T10:00:00+00:00"
    assert s.ledger.announced[A1] == "2026-11-30T12:00:00+00:00"  # the latest announcement, for the item
    assert s.offload.read_calls == 1 and reads_off_the_callback_thread(s)
    assert s.stats.values["crawler/article_urls/new"] == 2 and s.stats.values["crawler/article_urls/known"] == 1


def test_a_newer_announcement_of_a_known_url_is_fetched_and_a_second_feed_requests_nothing_again():
    s = spider({A7: UrlState(A7, "article", 200, OLD, "x", OLD)})
    assert [r.url for r in run(s.parse_feed(feed((A7, "Mon, 30 Nov 2026 08:00:00 GMT"))))] == [A7]
    again = run(s.parse_feed(feed((A7, "Tue, 01 Dec 2026 08:00:00 GMT"), (A1, "Tue, 01 Dec 2026 08:00:00 GMT"))))
    assert [r.url for r in again] == [A1]  # A7 was requested in this crawl already
    assert s.ledger.requested == {A7, A1} and s.ledger.announced[A7] == "2026-12-01T08:00:00+00:00"


def test_failed_fetches_of_earlier_crawls_are_retried_after_the_sources():
    s = spider({A2: UrlState(A2, "error", None, None, None, OLD),
                "http://fremd.test/artikel/3.html": UrlState("http://fremd.test/artikel/3.html", "error", None,
                                                             None, None, OLD)})
    out = run(s.start())
    assert [r.url for r in out] == ["http://lokal.test/rss.xml", A2]
    assert out[1].meta["discovered_via"] == "retry" and reads_off_the_callback_thread(s)


def test_an_index_skips_child_sitemaps_unchanged_since_they_were_last_parsed():
    old, new = "http://lokal.test/sitemap-2025.xml", "http://lokal.test/sitemap-2026.xml"
    s = spider({old: UrlState(old, "sitemap", 200, "2026-01-01T00:00:00+00:00", None, OLD)})
    index = (f"<?xml version='1.0'?><sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
             f"<sitemap><loc>{old}</loc><lastmod>2026-01-01</lastmod></sitemap>"
             f"<sitemap><loc>{new}</loc><lastmod>2026-11-30</lastmod></sitemap></sitemapindex>").encode()
    url = "http://lokal.test/sitemap.xml"
    out = run(s.parse_sitemap(TextResponse(url, body=index, request=Request(url, meta={"portal": "lokal"}))))
    assert [r.url for r in out] == [new]
    assert s.stats.values["crawler/sitemaps_unchanged"] == 1 and reads_off_the_callback_thread(s)


def test_an_article_redirect_is_remembered_and_its_target_decided_like_any_url():
    s = spider({A2: UrlState(A2, "article", 200, OLD, "x", OLD)})
    meta = {"portal": "lokal", "canonical": A1, "lastmod": None, "discovered_via": "feed"}
    moved = Response(A1, status=301, headers={"Location": "/artikel/2.html"}, request=Request(A1, meta=meta))
    assert run(s.parse_article(moved)) == []  # the target is known and unchanged
    assert s.store.states[A1].status == "redirect"
    meta = {**meta, "canonical": "http://lokal.test/artikel/3.html"}
    moved = Response(meta["canonical"], status=302, headers={"Location": "/artikel/4.html"},
                     request=Request(meta["canonical"], meta=meta))
    (follow,) = run(s.parse_article(moved))
    assert follow.url == "http://lokal.test/artikel/4.html" and follow.meta["redirected_from"] == (meta["canonical"],)


def test_article_links_of_a_page_are_decided_on_the_read_thread():
    s = spider()
    html = "<html><body><a href='/artikel/1.html'>a</a><a href='/impressum'>i</a></body></html>"
    url = "http://lokal.test/"
    response = HtmlResponse(url, body=html.encode(), encoding="utf-8", request=Request(url, meta={"portal": "lokal"}))
    assert [r.url for r in run(s.parse_listing(response))] == [A1]
    assert reads_off_the_callback_thread(s)


def test_a_gone_article_gets_its_tombstone_on_the_io_thread():
    s = spider()
    request = Request(A1, meta={"canonical": A1, "lastmod": None})
    failure = Failure(HttpError(Response(A1, status=410, request=request)))
    failure.request = request
    run(s.article_failed(failure))
    assert s.store.states[A1].status == "gone"
    assert [(u, st) for u, st, _ in s.store.gone] == [(A1, 410)] and s.store.gone[0][2].startswith("io")
    assert s.stats.values["store/gone"] == 1


def test_a_serve_cycle_returns_its_sources_and_schedules_its_retries_once_read():
    s = spider({A2: UrlState(A2, "error", None, None, None, OLD)})
    crawled = []
    s.crawler = SimpleNamespace(engine=SimpleNamespace(crawl=crawled.append))

    async def cycle():
        sources_ = s.begin_cycle("lokal")
        while s.polling["lokal"]:
            await asyncio.sleep(0.001)
        return sources_

    assert [r.url for r in asyncio.run(cycle())] == ["http://lokal.test/rss.xml"]
    assert [r.url for r in crawled] == [A2] and s.polling["lokal"] == 0


def test_the_end_of_a_cycle_keeps_the_announced_lastmods_of_fetched_urls_on_the_io_thread():
    s = spider()
    s.ledger.cycle_started["lokal"] = OLD
    s.ledger.announced.update({A1: "2026-12-01T08:00:00+00:00", A2: "2026-12-01T08:00:00+00:00"})
    s.store.states[A1] = UrlState(A1, "article", 200, None, "x", "2026-12-01T09:00:00+00:00")
    s.end_cycle("lokal")
    assert s.store.states[A1].lastmod == "2026-12-01T08:00:00+00:00"
    assert A2 not in s.store.states  # not fetched: nothing marked as seen
