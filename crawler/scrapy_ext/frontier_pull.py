"""Each crawler process of a shared frontier takes from the Redis queue only what it can start soon.

Scrapy's engine asks its scheduler for requests as long as the downloader has fewer than
``CONCURRENT_REQUESTS`` (16) of them; scrapy-redis's scheduler pops one from Redis for each ask.
So one process took up to 16 requests at once, and they waited in its download slots (behind
the slot's delay and the shared turns of :mod:`crawler.scrapy_ext.shared_politeness`) while
another process sat idle with an empty queue: two processes split a crawl of the demo portals
15/3.

:class:`BufferedPullMixin` (before scrapy-redis's scheduler) hands the engine a request only if
its download slot (the portal's own, else the host's; :func:`crawler.scrapy_ext.politeness.slot_key`)
has room in this process now: with a delay one request of the slot in the downloader at a time
(the shared turn lets only one exchange of a slot go at a time across all processes anyway),
without one fewer than the slot's concurrency. A request popped for a slot without room waits
in a small local buffer (``CRAWLER_FRONTIER_BUFFER`` requests, default 4) and goes first when
its slot has room again; with the buffer full nothing more is popped. So a process holds at
most one request per busy slot plus the buffer; the rest stays in Redis for whichever process
has room first. When a request leaves the downloader the engine is asked to look again (a
buffered request may go now), not only after its response has been processed. At close the
buffered requests go back to the shared queue.
"""

from __future__ import annotations

from collections import deque

from scrapy import signals

from crawler.scrapy_ext import defaults
from crawler.scrapy_ext.politeness import slot_key

BUFFER_SETTING = "CRAWLER_FRONTIER_BUFFER"


class BufferedPullMixin:
    @classmethod
    def for_crawler(cls, crawler):
        instance = super().for_crawler(crawler)
        instance.buffer = deque()
        instance.buffer_size = max(1, crawler.settings.getint(BUFFER_SETTING, defaults.FRONTIER_BUFFER))
        crawler.signals.connect(instance._request_left_downloader, signal=signals.request_left_downloader)
        return instance

    def _room(self, request) -> bool:
        """Whether ``request``'s download slot takes another request of this process now."""
        downloader = self.crawler.engine.downloader
        key = slot_key(self.crawler, request)
        slot = downloader.slots.get(key)
        if slot is not None:
            delay, concurrency = slot.delay, slot.concurrency
        else:
            conf = downloader.per_slot_settings.get(key, {})
            delay = conf.get("delay", self.crawler.settings.getfloat("DOWNLOAD_DELAY"))
            concurrency = conf.get("concurrency", self.crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"))
        limit = 1 if delay > 0 else max(1, int(concurrency))
        in_downloader = sum(1 for r in downloader.active if slot_key(self.crawler, r) == key)
        return in_downloader < limit

    def next_request(self):
        for request in self.buffer:
            if self._room(request):
                self.buffer.remove(request)
                return request
        while len(self.buffer) < self.buffer_size:
            request = super().next_request()  # one pop from the shared queue
            if request is None or self._room(request):
                return request
            self.buffer.append(request)
        return None

    def _request_left_downloader(self, request, spider=None):
        if self.buffer:
            self._wake()

    def has_pending_requests(self) -> bool:
        return bool(self.buffer) or super().has_pending_requests()

    def __len__(self) -> int:
        return len(self.buffer) + super().__len__()

    def close(self, reason):
        while self.buffer:  # not fetched here: back to the shared queue (before the last one out clears it)
            self.queue.push(self.buffer.popleft())
        return super().close(reason)
