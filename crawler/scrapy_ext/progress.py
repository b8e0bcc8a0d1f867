"""A live progress line on the terminal for `crawler crawl` and `crawler demo`.

Enabled by CRAWLER_PROGRESS (the commands set it when stderr is a terminal; otherwise the log
has plain lines): every second one line, rewritten in place::

    pages 212 | articles 48 new, 3 updated | dropped 2 | errors 0 | 310 pages/min | upload backlog 0
"""

from __future__ import annotations

import sys
import time

from scrapy import signals
from scrapy.exceptions import NotConfigured


def progress_line(stats: dict, elapsed: float, backlog: int | None) -> str:
    pages = int(stats.get("downloader/response_count", 0))
    rate = pages / elapsed * 60 if elapsed > 0 else 0.0
    parts = [
        f"pages {pages}",
        f"articles {int(stats.get('store/new', 0))} new, {int(stats.get('store/new_version', 0))} updated",
        f"dropped {int(stats.get('item_dropped_count', 0))}",
        f"errors {int(stats.get('log_count/ERROR', 0))}",
        f"{rate:.0f} pages/min",
    ]
    if backlog is not None:
        parts.append(f"upload backlog {backlog}")
    return " | ".join(parts)


class ProgressExtension:
    def __init__(self, crawler, stream=None, interval: float = 1.0):
        self.crawler = crawler
        self.stream = stream or sys.stderr
        self.interval = interval
        self.started = None
        self._loop = None
        self._width = 0
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("CRAWLER_PROGRESS"):
            raise NotConfigured
        return cls(crawler)

    def spider_opened(self, spider):
        from twisted.internet import task

        self.started = time.monotonic()
        self._install_line_clearer()
        self._loop = task.LoopingCall(self.show)
        self._loop.start(self.interval, now=False)

    def _install_line_clearer(self):
        """A log line on the terminal first clears the progress line (redrawn a second later)."""
        import logging

        stream = self.stream

        def clear(record):
            stream.write("\r\x1b[K")
            return True

        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler) and getattr(handler, "stream", None) is stream:
                handler.addFilter(clear)

    def show(self):
        from crawler.service.metrics import upload_backlog

        line = progress_line(self.crawler.stats.get_stats(), time.monotonic() - self.started,
                             upload_backlog(self.crawler))
        pad = max(0, self._width - len(line))
        self._width = len(line)
        self.stream.write("\r" + line + " " * pad)
        self.stream.flush()

    def spider_closed(self, spider, reason):
        if self._loop is not None and self._loop.running:
            self._loop.stop()
            self.show()
            self.stream.write("\n")
            self.stream.flush()
