"""A full disk ends the crawl with one line and a job record, not hundreds of tracebacks.

:class:`DiskFullGuard` filters every log record on the root handlers. The first that reports
"no space left on device" (or SQLite's "database or disk is full") stops the crawl (spider
closed with reason ``disk-full``, which the job record keeps) and is replaced by one CRITICAL
line; every later one is dropped. A small reserve file in the data directory, written when the
crawl starts, is deleted before the job record is written, so there is room for it.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
from pathlib import Path

from scrapy import signals

logger = logging.getLogger(__name__)

RESERVE_NAME = ".disk-full-reserve"
RESERVE_BYTES = 64 * 1024  # a job record and its WAL frames need a few pages
_MARKERS = ("No space left on device", "database or disk is full", "Errno 28")


def is_disk_full(exc) -> bool:
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if isinstance(exc, sqlite3.OperationalError) and "full" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


class DiskFullGuard(logging.Filter):
    def __init__(self, crawler, data_dir):
        super().__init__()
        self.crawler = crawler
        self.reserve = Path(data_dir.root) / RESERVE_NAME
        try:
            if not self.reserve.exists():
                with open(self.reserve, "wb") as fh:
                    fh.write(b"\0" * RESERVE_BYTES)
        except OSError:
            self.reserve.unlink(missing_ok=True)  # no room for it: the check at start passed anyway
        # A handler that cannot write (the disk is full) must not print a traceback per line.
        logging.raiseExceptions = False
        self.handlers: list[logging.Handler] = []
        # Scrapy replaces its root handler after the extensions are built: attach when it opens.
        crawler.signals.connect(self.attach, signal=signals.spider_opened)
        crawler.signals.connect(self.remove, signal=signals.engine_stopped)

    def attach(self, spider=None):
        self.handlers = list(logging.getLogger().handlers)
        for handler in self.handlers:
            handler.addFilter(self)

    def remove(self):
        for handler in self.handlers:
            handler.removeFilter(self)

    def release_reserve(self):
        self.reserve.unlink(missing_ok=True)

    def _is_disk_full(self, record) -> bool:
        if record.levelno < logging.ERROR:
            return False
        exc = record.exc_info[1] if record.exc_info else None
        failure = getattr(record, "failure", None)
        if exc is None and failure is not None:
            exc = getattr(failure, "value", None)
        if is_disk_full(exc):
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001
            return False
        return any(m in message for m in _MARKERS)

    def filter(self, record) -> bool:
        if record.name == __name__ or not self._is_disk_full(record):
            return True
        if not self.crawler.__dict__.get("disk_full"):
            self.crawler.disk_full = record.getMessage()[:200]
            from twisted.internet import reactor

            reactor.callFromThread(self._stop)
        return False

    def _stop(self):
        logger.critical("the disk is full: stopping the crawl (pages in flight are finished; the job "
                        "record says disk-full)")
        engine = self.crawler.engine
        if engine is not None and engine.spider is not None:
            if hasattr(engine, "close_spider_async"):
                from scrapy.utils.defer import deferred_from_coro

                deferred_from_coro(engine.close_spider_async(reason="disk-full"))
            else:  # Scrapy < 2.14
                engine.close_spider(engine.spider, "disk-full")
