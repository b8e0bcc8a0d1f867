"""How spider and pipelines hand work off the reactor thread: ``await offload.cpu(fn, ...)``
runs in a worker process (with the per-page time budget), ``await offload.io(fn, ...)`` on the
crawl's I/O thread (one thread, so store writes commit in the order they were handed in),
``await offload.read(fn, ...)`` in a thread for blocking reads that need not wait for the queued writes.

:class:`InlineOffload` runs both in the calling thread: for unit tests and tools without a
reactor. The crawl's implementation is :class:`crawler.scrapy_ext.offload.ReactorOffload`."""

from __future__ import annotations


class InlineOffload:
    time_budget: float | None = None

    async def cpu(self, fn, *args, **kwargs):
        return fn(*args, **kwargs)

    async def io(self, fn, *args, **kwargs):
        return fn(*args, **kwargs)

    async def read(self, fn, *args, **kwargs):
        return fn(*args, **kwargs)

    def io_later(self, fn, *args, **kwargs) -> None:
        fn(*args, **kwargs)
