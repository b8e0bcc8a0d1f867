"""A pool of worker processes for the crawl's CPU work (pebble): a task past its time budget
is cancelled and its worker killed and replaced; a worker that dies is replaced too.

Workers come from a fork server that has the extraction code imported already, so starting or
replacing one costs a fork, not a fresh interpreter, and never forks the threaded crawl
process itself."""

from __future__ import annotations

import concurrent.futures
import concurrent.futures.process
import logging
import multiprocessing
import os

import pebble

logger = logging.getLogger(__name__)

PRELOAD = ["crawler.engine.page", "crawler.engine.tasks", "crawler.archive.exchange", "crawler.archive.context",
           "crawler.engine.sources", "crawler.scrapy_ext.charset"]


class TaskTimeout(Exception):
    """A task ran past its time budget; its worker was replaced."""


class WorkerDied(Exception):
    """The worker running a task died (killed, out of memory, crashed); it was replaced."""


class PoolBroken(Exception):
    """No worker can start (each one dies while starting): no task will ever run."""


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


class WorkerPool:
    def __init__(self, workers: int | None = None, *, initializer=None):
        self.workers = int(workers) if workers else default_workers()
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        self._pool = pebble.ProcessPool(max_workers=self.workers, context=context, initializer=initializer)

    def submit(self, fn, *args, timeout: float | None = None, **kwargs) -> concurrent.futures.Future:
        """Run ``fn(*args, **kwargs)`` in a worker; the future fails with :class:`TaskTimeout`
        after ``timeout`` seconds of running, :class:`WorkerDied` if the worker died."""
        outer: concurrent.futures.Future = concurrent.futures.Future()
        try:
            inner = self._pool.schedule(fn, args=args, kwargs=kwargs, timeout=timeout)
        except RuntimeError as exc:  # the pool stopped (broken, or closed)
            outer.set_exception(PoolBroken(str(exc)))
            return outer

        def relay(done):
            try:
                outer.set_result(done.result())
            except concurrent.futures.TimeoutError:
                outer.set_exception(TaskTimeout(f"over the time budget of {timeout:g} s"))
            except pebble.ProcessExpired as exc:
                outer.set_exception(WorkerDied(f"worker died ({exc})"))
            except concurrent.futures.process.BrokenProcessPool as exc:
                outer.set_exception(PoolBroken(f"worker processes cannot start ({exc}); a script that starts a "
                                               "crawl must guard it with `if __name__ == \"__main__\":`"))
            except concurrent.futures.CancelledError:
                outer.cancel() or outer.set_exception(WorkerDied("task cancelled"))
            except BaseException as exc:  # noqa: BLE001  (the task's own error, for the caller)
                outer.set_exception(exc)

        inner.add_done_callback(relay)
        return outer

    def close(self, timeout: float = 10.0) -> None:
        """Let running tasks finish (up to ``timeout`` seconds), then stop the workers."""
        self._pool.close()
        try:
            self._pool.join(timeout=timeout)
        except TimeoutError:
            logger.warning("worker pool did not finish within %.0f s: stopping it", timeout)
            self._pool.stop()
            self._pool.join()
