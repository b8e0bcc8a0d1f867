"""`crawler serve` inside Scrapy: one long-running crawl that polls every portal on its schedule.

The engine never closes while serving (``spider_idle`` -> ``DontCloseSpider``), so the WARC
writer, the store and the indexes stay open across cycles and WARC files roll by size and age,
not per cycle. Every second :class:`ServeExtension` ends the cycles whose work is done (no
request of the portal scheduled, downloading or being processed) and starts the cycles that
are due (:class:`crawler.service.scheduler.PortalTimetable`: never two of one portal at once).
Every cycle is a job record of its own (portal, counts, status) written when it ends; while it
runs ``crawler jobs`` shows it as running. The records are written on the crawl's I/O thread
(one thread: in the order they were asked for, a cycle's start before its live counts before its
end), each as it was when asked for, never on the reactor thread.

:class:`ServeScheduler` is Scrapy's scheduler counting pending requests per portal, with feeds,
sitemaps and start pages first and articles newest announced first.

Settings: CRAWLER_SERVE (True enables both), CRAWLER_SERVE_SCHEDULE (a schedule for every
portal, overriding sources.toml), CRAWLER_SERVE_TICK (seconds, default 1).
"""

from __future__ import annotations

import copy
import logging
import os
import socket
from collections import Counter
from datetime import datetime

from scrapy import signals
from scrapy.core.scheduler import Scheduler
from scrapy.exceptions import DontCloseSpider, NotConfigured

from crawler.jobs import new_run_id, utc_now
from crawler.scrapy_ext.portal_stats import COUNTERS, key, portal_counters
from crawler.service.scheduler import PortalTimetable
from crawler.store import JobRecord

logger = logging.getLogger(__name__)

SOURCE_PRIORITY = 10_000_000  # feeds, sitemaps, start pages before any article


def announced_priority(lastmod: str | None) -> int:
    """Newest announced first: hours since 1970 of the announced time (0 when unknown)."""
    if not lastmod:
        return 0
    try:
        return max(0, int(datetime.fromisoformat(lastmod.replace("Z", "+00:00")).timestamp() // 3600))
    except (ValueError, OverflowError, OSError):
        return 0


class ServeScheduler(Scheduler):
    @classmethod
    def from_crawler(cls, crawler):
        scheduler = super().from_crawler(crawler)
        scheduler.pending = crawler.__dict__.setdefault("serve_pending", Counter())
        return scheduler

    def enqueue_request(self, request) -> bool:
        if request.priority == 0:
            if "canonical" in request.meta:  # an article request
                request.priority = announced_priority(request.meta.get("lastmod"))
            elif request.meta.get("portal"):
                request.priority = SOURCE_PRIORITY
        ok = super().enqueue_request(request)
        if ok:
            self.pending[request.meta.get("portal")] += 1
        return ok

    def next_request(self):
        request = super().next_request()
        if request is not None:
            self.pending[request.meta.get("portal")] -= 1
        return request


class _Cycle:
    def __init__(self, job: JobRecord, before: dict[str, int], errors_before: int):
        self.job, self.before, self.errors_before = job, before, errors_before
        self.warc_files: set[str] = set()  # the WARC files this cycle's exchanges went into


class ServeExtension:
    def __init__(self, crawler):
        settings = crawler.settings
        if not settings.getbool("CRAWLER_SERVE"):
            raise NotConfigured
        self.crawler = crawler
        self.override = settings.get("CRAWLER_SERVE_SCHEDULE") or None
        self.tick_interval = settings.getfloat("CRAWLER_SERVE_TICK")
        self.archive_uri = settings.get("CRAWLER_ARCHIVE") or None
        self.cycles: dict[str, _Cycle] = {}
        self.timetable: PortalTimetable | None = None
        self.spider = None
        self.store = None
        self.offload = None  # the crawl's ReactorOffload: job records go to its I/O thread
        self._loop = None
        self.closing = False
        self.live_interval = settings.getfloat("CRAWLER_JOB_STATS_INTERVAL") or float("inf")
        self._last_live = 0.0
        crawler.portal_run_ids = {}
        crawler.serve = self
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.response_received, signal=signals.response_received)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    # -- lifecycle -------------------------------------------------------------------------
    def spider_opened(self, spider):
        from twisted.internet import task

        from crawler.scrapy_ext.resources import crawl_resources

        self.spider = spider
        resources = crawl_resources(self.crawler)  # opened by the crawl job extension
        self.archive_uri = self.archive_uri or resources.archive_uri
        self.store = resources.store
        self.offload = resources.offload
        self.timetable = PortalTimetable.for_sources(spider.sources, self.override)
        for name, state in self.timetable.portals.items():
            logger.info("serving portal %s: schedule %r", name, state.schedule.text)
        self._loop = task.LoopingCall(self.tick)
        self._loop.start(self.tick_interval, now=True).addErrback(
            lambda f: logger.error("serve loop stopped: %s", f.getTraceback()))

    def response_received(self, response, request, spider=None):
        cycle = self.cycles.get(request.meta.get("portal"))
        warc = request.meta.get("warc") or {}
        if cycle is not None and warc.get("warc_file"):
            cycle.warc_files.add(warc["warc_file"])

    def spider_idle(self, spider):
        if not self.closing:
            raise DontCloseSpider

    def spider_closed(self, spider, reason):
        self.closing = True
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        # Requests still queued are dropped by a graceful stop: such a cycle is interrupted (the
        # next start polls the portal again and fetches what is still missing).
        status = "interrupted" if reason in ("shutdown", "finished") else reason
        for name in list(self.cycles):
            self._finish(name, status=status if self._busy(name) else "finished")

    # -- cycles ----------------------------------------------------------------------------
    def tick(self):
        if self.closing or self.timetable is None:
            return
        for name in list(self.cycles):
            if not self._busy(name):
                self._finish(name)
        for name in self.timetable.due():
            try:
                self._start(name)
            except Exception as exc:  # noqa: BLE001 - one portal's failure never stops the service
                logger.error("cycle of portal %s could not start: %r", name, exc)
                if name in self.cycles:
                    self._finish(name, status="failed")
                elif self.timetable.portals[name].running is None:
                    self.timetable.started(name, "-")
                    self.timetable.finished(name, found_new=False)
        self._live_counts()

    def _live_counts(self):
        """`crawler jobs` shows a running cycle's counts, updated every CRAWLER_JOB_STATS_INTERVAL."""
        import time

        now = time.monotonic()
        if not self.cycles or now - self._last_live < self.live_interval:
            return
        self._last_live = now
        stats = self.crawler.stats.get_stats()
        for name, cycle in self.cycles.items():
            cycle.job.stats = self._cycle_stats(name, cycle, stats)
            self._write_job("finish_job", cycle.job, logging.DEBUG, "live counts of cycle %s not written: %s")

    def _busy(self, name: str) -> bool:
        if self.crawler.__dict__.get("serve_pending", Counter())[name] > 0:
            return True
        if getattr(self.spider, "polling", Counter())[name] > 0:  # its retries still being read
            return True
        engine = self.crawler.engine
        slot = getattr(engine, "_slot", None) or getattr(engine, "slot", None)
        in_flight = list(getattr(slot, "inprogress", ()) or ())
        in_flight += list(getattr(getattr(engine.scraper, "slot", None), "active", ()) or ())
        return any(r.meta.get("portal") == name for r in in_flight)

    def _start(self, name: str) -> None:
        run_id = new_run_id()
        stats = self.crawler.stats.get_stats()
        job = JobRecord(run_id=run_id, started_at=utc_now(), portals=[name], archive=self.archive_uri,
                        host=socket.gethostname(), pid=os.getpid())
        self._write_job("start_job", job, logging.ERROR, "job record of cycle %s not started: %s")
        self.cycles[name] = _Cycle(job, portal_counters(stats, name), int(stats.get("log_count/ERROR", 0)))
        self.timetable.started(name, run_id)
        self.crawler.portal_run_ids[name] = run_id
        requests = self.spider.begin_cycle(name)
        logger.info("cycle %s of portal %s: %d source requests", run_id, name, len(requests))
        for request in requests:
            self.crawler.engine.crawl(request)

    @staticmethod
    def _cycle_stats(name: str, cycle: "_Cycle", stats: dict) -> dict:
        now = portal_counters(stats, name)
        delta = {c: now[c] - cycle.before.get(c, 0) for c in COUNTERS}
        return {
            "downloader/response_count": delta["pages"],
            "store/new": delta["new"], "store/new_version": delta["new_version"],
            "store/unchanged": delta["unchanged"], "item_dropped_count": delta["dropped"],
            "log_count/ERROR": int(stats.get("log_count/ERROR", 0)) - cycle.errors_before,
            **{key(name, c): v for c, v in delta.items()},
        }

    def _finish(self, name: str, status: str = "finished") -> None:
        cycle = self.cycles.pop(name)
        try:
            self.spider.end_cycle(name)
        except Exception as exc:  # noqa: BLE001 - recorded, the service goes on
            logger.error("ending the cycle of %s: %s", name, exc)
        stats = self.crawler.stats.get_stats()
        job = cycle.job
        job.stats = self._cycle_stats(name, cycle, stats)
        errors = job.stats["log_count/ERROR"]
        delta = {c: job.stats[key(name, c)] for c in COUNTERS}
        job.warc_files = sorted(cycle.warc_files)
        job.ended_at = utc_now()
        job.status = status
        job.exit_code = 0 if status == "finished" and errors == 0 else 1
        found_new = delta["new"] + delta["new_version"] > 0
        if self.timetable is not None and self.timetable.portals[name].running:
            next_at = self.timetable.finished(name, found_new)
            job.stats["serve/next_poll_in_s"] = round(next_at - self.timetable.clock(), 1)
            job.stats["serve/interval_s"] = self.timetable.portals[name].interval
        self.crawler.stats.set_value(f"serve/{name}/last_cycle_end", job.ended_at)
        if status == "finished" and errors == 0:
            self.crawler.stats.set_value(f"serve/{name}/last_success", job.ended_at)
        self._write_job("finish_job", job, logging.CRITICAL, "job record of cycle %s not written: %s")  # e.g. a full disk
        logger.info("cycle %s of portal %s %s: %d pages, %d new, %d updated", job.run_id, name, status,
                    delta["pages"], delta["new"], delta["new_version"])

    def _write_job(self, method: str, job: JobRecord, level: int, failed: str) -> None:
        """``store.<method>(job)`` on the crawl's I/O thread with a copy of ``job`` as it is now;
        its one thread keeps the order of the calls (and of the store's other writes). Spider
        closing waits for it: the I/O thread is shut down (its queue done) before the store closes."""
        write = getattr(self.store, method)
        snapshot = copy.deepcopy(job)

        def log_failure(exc: BaseException) -> None:
            logger.log(level, failed, job.run_id, exc)

        if self.offload is None:  # no crawl resources (tests): inline
            try:
                write(snapshot)
            except Exception as exc:  # noqa: BLE001 - recorded, the service goes on
                log_failure(exc)
            return
        future = self.offload.io_executor.submit(write, snapshot)
        future.add_done_callback(lambda f: f.cancelled() or f.exception() is None or log_failure(f.exception()))
