"""A process of a shared frontier pops from the shared queue only what it can start soon: one
request per download slot with a delay (the slot's concurrency without one), plus a small
buffer for busy slots; the rest stays in the queue for the other processes. Fakes for the Redis
queue and Scrapy's downloader, milliseconds."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.utils.test import get_crawler

from crawler.scrapy_ext.frontier_pull import BufferedPullMixin


class FakeQueue(list):
    def push(self, request):
        self.append(request)

    def pop(self, timeout=0):
        return super().pop(0) if self else None


class FakeShared:
    """What the mixin sits on: the shared scheduler (one pop from Redis per next_request)."""

    @classmethod
    def for_crawler(cls, crawler):
        instance = cls()
        instance.crawler, instance.queue, instance.woken, instance.closed = crawler, FakeQueue(), 0, None
        return instance

    def next_request(self):
        return self.queue.pop()

    def has_pending_requests(self):
        return bool(self.queue)

    def __len__(self):
        return len(self.queue)

    def _wake(self):
        self.woken += 1

    def close(self, reason):
        self.closed = (reason, [r.url for r in self.queue])


class Scheduler(BufferedPullMixin, FakeShared):
    pass


def scheduler(**settings):
    crawler = get_crawler(settings_dict={"CRAWLER_FRONTIER_BUFFER": 2, **settings})
    downloader = SimpleNamespace(slots={}, per_slot_settings={}, active=set(),
                                 get_slot_key=lambda request: request.meta.get("download_slot") or urlsplit(request.url).hostname)
    crawler.engine = SimpleNamespace(downloader=downloader)
    s = Scheduler.for_crawler(crawler)
    return s, downloader


def urls(requests):
    return [r.url for r in requests]


def test_one_request_per_slot_with_a_delay_the_rest_stays_shared():
    s, downloader = scheduler(DOWNLOAD_DELAY=0.4)
    s.queue.extend(Request(u) for u in ("http://a.test/1", "http://a.test/2", "http://b.test/1", "http://a.test/3",
                                        "http://c.test/1", "http://a.test/4", "http://c.test/2"))

    def take():
        request = s.next_request()
        if request is not None:
            downloader.active.add(request)  # what the engine does with it
        return request

    assert take().url == "http://a.test/1"
    assert take().url == "http://b.test/1"  # a.test/2 waits in the buffer: a.test's slot is busy
    assert take() is None  # a.test/3 too, and the buffer (2) is full: nothing more is popped
    assert urls(s.queue) == ["http://c.test/1", "http://a.test/4", "http://c.test/2"]  # for the other processes
    assert len(s) == 5 and s.has_pending_requests()
    # a.test/1 is downloaded: the engine is woken, the buffered a.test/2 goes first
    a1 = next(r for r in downloader.active if r.url == "http://a.test/1")
    downloader.active.discard(a1)
    s._request_left_downloader(a1)
    assert s.woken == 1
    assert take().url == "http://a.test/2"
    assert take().url == "http://c.test/1"  # a room in the buffer again: the next pop goes
    assert take() is None  # a.test/4 buffered beside a.test/3
    # Closing: the buffered requests go back to the shared queue.
    s.close("finished")
    assert s.closed == ("finished", ["http://c.test/2", "http://a.test/3", "http://a.test/4"])


def test_without_a_delay_the_slot_concurrency_counts():
    s, downloader = scheduler(DOWNLOAD_DELAY=0, CONCURRENT_REQUESTS_PER_DOMAIN=2)
    s.queue.extend(Request(f"http://a.test/{i}") for i in range(5))
    for _ in range(2):
        downloader.active.add(s.next_request())
    assert s.next_request() is None  # a.test's two places are taken, two requests buffered
    assert len(s.queue) == 1
    # A portal's own slot (named in the request's meta) with its own concurrency.
    s, downloader = scheduler(DOWNLOAD_DELAY=0)
    downloader.per_slot_settings["portal:p"] = {"concurrency": 3}
    s.queue.extend(Request(f"http://x{i}.test/", meta={"download_slot": "portal:p"}) for i in range(5))
    for _ in range(3):
        downloader.active.add(s.next_request())
    assert s.next_request() is None and len(s.queue) == 0 and len(s.buffer) == 2
