"""The crawl's :mod:`offload <crawler.engine.offload>`: futures of the worker pool and of the
I/O thread awaited as Twisted Deferreds, so the reactor thread only schedules."""

from __future__ import annotations

import concurrent.futures
import logging

from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import defer
from twisted.python.failure import Failure

logger = logging.getLogger(__name__)


def deferred_from_future(future: concurrent.futures.Future) -> defer.Deferred:
    """A Deferred fired on the reactor thread when ``future`` (from any thread) is done."""
    from twisted.internet import reactor  # the installed one (importing it early would install the default)

    d: defer.Deferred = defer.Deferred()

    def fire(done):
        if done.cancelled():
            d.errback(Failure(concurrent.futures.CancelledError()))
        elif done.exception() is not None:
            d.errback(Failure(done.exception()))
        else:
            d.callback(done.result())

    future.add_done_callback(lambda done: reactor.callFromThread(fire, done))
    return d


class ReactorOffload:
    def __init__(self, pool, io_executor: concurrent.futures.Executor, *, time_budget: float | None = None,
                 read_executor: concurrent.futures.Executor | None = None):
        self.pool = pool  # crawler.engine.pool.WorkerPool
        self.io_executor = io_executor
        self.time_budget = time_budget
        self.read_executor = read_executor  # None: the reactor's thread pool (deferToThread)

    async def cpu(self, fn, *args, **kwargs):
        future = self.pool.submit(fn, *args, timeout=self.time_budget, **kwargs)
        return await maybe_deferred_to_future(deferred_from_future(future))

    async def io(self, fn, *args, **kwargs):
        future = self.io_executor.submit(fn, *args, **kwargs)
        return await maybe_deferred_to_future(deferred_from_future(future))

    async def read(self, fn, *args, **kwargs):
        """A blocking read (the spider's crawl-state look-ups) in a thread: not queued behind the
        I/O thread's writes, as a read on the reactor thread would not be either."""
        if self.read_executor is None:
            from twisted.internet import threads

            return await maybe_deferred_to_future(threads.deferToThread(fn, *args, **kwargs))
        future = self.read_executor.submit(fn, *args, **kwargs)
        return await maybe_deferred_to_future(deferred_from_future(future))

    def io_later(self, fn, *args, **kwargs) -> None:
        """Queue ``fn`` on the I/O thread without waiting (errors are logged)."""
        future = self.io_executor.submit(fn, *args, **kwargs)
        future.add_done_callback(_log_failure)


def _log_failure(future):
    if not future.cancelled() and future.exception() is not None:
        logger.error("background store write failed: %r", future.exception())
