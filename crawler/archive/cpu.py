"""CPU time spent archiving, summed over the threads that do it (writer and upload thread)
and the record builds done in worker processes, so a crawl can report what archiving costs."""

from __future__ import annotations

import functools
import threading
import time

_depth = threading.local()


class CpuMeter:
    def __init__(self):
        self.seconds = 0.0
        self._lock = threading.Lock()

    def add(self, seconds: float) -> None:
        with self._lock:
            self.seconds += seconds


def cpu_timed(fn):
    """Add the calling thread's CPU time spent in ``fn`` to ``self.cpu`` (a :class:`CpuMeter`;
    outermost timed call per thread only)."""

    @functools.wraps(fn)
    def wrapper(self, *a, **kw):
        depth = getattr(_depth, "n", 0)
        _depth.n = depth + 1
        t0 = time.thread_time() if depth == 0 else 0.0
        try:
            return fn(self, *a, **kw)
        finally:
            _depth.n = depth
            if depth == 0:
                self.cpu.add(time.thread_time() - t0)

    return wrapper
