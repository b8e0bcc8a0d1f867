"""Several crawler processes, one crawl: the frontier shared through Redis (scrapy-redis).

With ``CRAWLER_FRONTIER=redis://host:port/db`` the scheduler is scrapy-redis's: one request queue
and one duplicate filter in Redis for every process of the crawl, so each URL is requested once
in all, whichever process found it. Without the setting Scrapy's own scheduler runs unchanged.

On top of scrapy-redis, for a crawl whose processes start and end on their own:

- Seeds: every process yields the portals' feeds, sitemaps and start pages (``dont_filter``
  for a one-process crawl); here they go through the shared duplicate filter too, so they are
  fetched once per crawl.
- Crawl lifetime: processes register in a Redis hash with a heartbeat. The first process of a
  crawl clears what a previous crawl left (queue, duplicate filter); an idle process stays
  while another one is still busy (its pages may yield more requests) and the queue is empty;
  the last one to leave clears the crawl's keys. A process silent for ``STALE_AFTER`` seconds
  (killed) no longer counts.
- Politeness across processes: :mod:`crawler.scrapy_ext.shared_politeness` (the download
  handler) takes every request's turn on its download slot in Redis.
- Each process pops only what it can start soon (:mod:`crawler.scrapy_ext.frontier_pull`), not
  as many requests as its downloader takes, so the processes share the work.

Redis calls of the scheduler run on the reactor thread, as in scrapy-redis itself (each is one
short round trip); the heartbeat runs in a thread.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid

from scrapy import signals
from scrapy.core.scheduler import Scheduler
from scrapy.exceptions import DontCloseSpider

logger = logging.getLogger(__name__)

SETTING = "CRAWLER_FRONTIER"
STALE_AFTER = 30.0  # seconds without a heartbeat: the process is gone
HEARTBEAT = 5.0
IDLE_POLL = 1.0  # seconds between looks at the shared queue while waiting for busy processes


def keys(settings, spider_name: str) -> dict[str, str]:
    prefix = f"{settings.get('CRAWLER_FRONTIER_KEY') or 'newscrawler'}:{spider_name}"
    return {name: f"{prefix}:{name}" for name in ("requests", "dupefilter", "workers", "lock")}


class FrontierScheduler(Scheduler):
    """``SCHEDULER``: Scrapy's scheduler, or with ``CRAWLER_FRONTIER`` the shared one."""

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.get(SETTING):
            return super().from_crawler(crawler)
        return _shared_scheduler_class().for_crawler(crawler)


def _shared_scheduler_class():
    from scrapy_redis.scheduler import Scheduler as RedisScheduler

    from crawler.scrapy_ext.frontier_pull import BufferedPullMixin

    class _Shared(BufferedPullMixin, SharedSchedulerMixin, RedisScheduler):
        pass

    return _Shared


class SharedSchedulerMixin:
    @classmethod
    def for_crawler(cls, crawler):
        settings = crawler.settings.copy()
        settings.frozen = False  # a private copy for scrapy-redis's from_settings
        settings.set("REDIS_URL", crawler.settings.get(SETTING))
        settings.set("SCHEDULER_PERSIST", True)  # the last process of the crawl clears, not each one
        settings.set("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter")
        name = crawler.spidercls.name
        k = keys(crawler.settings, name)
        settings.set("SCHEDULER_QUEUE_KEY", k["requests"])
        settings.set("SCHEDULER_DUPEFILTER_KEY", k["dupefilter"])
        try:
            instance = cls.from_settings(settings)
        except Exception as exc:  # redis.ConnectionError and friends: one line, not a traceback
            raise RuntimeError(f"shared frontier {crawler.settings.get(SETTING)} unreachable: {exc}") from None
        if instance.df is None:  # scrapy-redis would build it from the spider's settings (no REDIS_URL)
            from scrapy_redis.dupefilter import RFPDupeFilter
            instance.df = RFPDupeFilter(instance.server, key=k["dupefilter"],
                                        debug=crawler.settings.getbool("DUPEFILTER_DEBUG"))
        instance.stats = None  # counted here: scrapy-redis passes Scrapy's deprecated spider argument
        instance.crawler = crawler
        instance.keys = k
        instance.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        instance.busy = True
        crawler.signals.connect(instance._spider_idle, signal=signals.spider_idle)
        return instance

    # -- crawl lifetime --------------------------------------------------------------------
    def _now(self) -> float:
        sec, usec = self.server.time()
        return sec + usec / 1e6

    def _live_workers(self) -> dict[str, tuple[str, float]]:
        now, out = self._now(), {}
        for worker, value in self.server.hgetall(self.keys["workers"]).items():
            worker = worker.decode() if isinstance(worker, bytes) else worker
            value = value.decode() if isinstance(value, bytes) else value
            state, _, ts = value.partition(":")
            if now - float(ts or 0) < STALE_AFTER:
                out[worker] = (state, float(ts))
        return out

    def _beat(self, state: str | None = None) -> None:
        state = state or ("busy" if self.busy else "idle")
        self.server.hset(self.keys["workers"], self.worker, f"{state}:{self._now()}")

    def open(self, spider):
        with self.server.lock(self.keys["lock"], timeout=30, blocking_timeout=30):
            others = {w for w in self._live_workers() if w != self.worker}
            if not others:  # the first process of a new crawl: nothing of an old one stays
                self.server.delete(self.keys["requests"], self.keys["dupefilter"], self.keys["workers"])
            self._beat("busy")
        logger.info("shared frontier %s: worker %s joined %s", self.crawler.settings.get(SETTING), self.worker,
                    f"{len(others)} other(s)" if others else "as the first")
        super().open(spider)
        from twisted.internet import task, threads
        self._heartbeat = task.LoopingCall(lambda: threads.deferToThread(self._beat).addErrback(
            lambda f: logger.warning("frontier heartbeat failed: %s", f.value)))
        self._heartbeat.start(HEARTBEAT, now=False)

    def close(self, reason):
        if getattr(self, "_heartbeat", None) is not None and self._heartbeat.running:
            self._heartbeat.stop()
        with self.server.lock(self.keys["lock"], timeout=30, blocking_timeout=30):
            self.server.hdel(self.keys["workers"], self.worker)
            if not self._live_workers():  # the last one out: the crawl is over
                self.server.delete(self.keys["requests"], self.keys["dupefilter"], self.keys["workers"])
        return super().close(reason)

    def _spider_idle(self, spider):
        if self.busy:
            self.busy = False
            self._beat()
        busy = [w for w, (state, _) in self._live_workers().items() if w != self.worker and state == "busy"]
        if busy or len(self.queue):
            # Look at the shared queue again soon, not only at the engine's 5 s heartbeat.
            from twisted.internet import reactor
            reactor.callLater(IDLE_POLL, self._wake)
            raise DontCloseSpider(f"waiting for {len(busy)} busy crawler process(es)")

    def _wake(self) -> None:
        slot = getattr(self.crawler.engine, "_slot", None)  # Scrapy has no public "look again"
        if slot is not None and getattr(slot, "nextcall", None) is not None:
            slot.nextcall.schedule()

    # -- requests --------------------------------------------------------------------------
    def enqueue_request(self, request):
        seed = request.meta.get("is_start_request") and not request.meta.get("retry_times")
        if request.dont_filter and seed and self.df.request_seen(request):
            self.df.log(request, self.spider)  # a seed another process of this crawl queued already
            return False
        queued = super().enqueue_request(request)
        if queued:
            self.crawler.stats.inc_value("scheduler/enqueued/redis")
        return queued

    def next_request(self):
        request = super().next_request()
        if request is not None:
            self.crawler.stats.inc_value("scheduler/dequeued/redis")
        if request is not None and not self.busy:
            self.busy = True
            self._beat()
        return request
