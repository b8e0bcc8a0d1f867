"""The crawl's archive thread: every :class:`~crawler.archive.WarcArchive` operation of a crawl
(plan: payload digest, digest-index look-up, revisit target check in the store; append,
flush, fsync; metadata records; the roll check and the close) runs on ONE dedicated thread,
in the order it was handed in, and the reactor thread only awaits the result.

:class:`ArchiveThread` is what the capture middleware uses; it is also ``crawler.warc_archive``
for components that add metadata records (the ``news`` spider's crawl context)::

    crawler.warc_archive.write_metadata(url, fields, concurrent_to=record_id)  # -> Deferred

A failing operation is logged by whoever awaits it and costs only that exchange or record.
"""

from __future__ import annotations

import concurrent.futures
import logging

from scrapy.utils.defer import maybe_deferred_to_future

from crawler.archive.exchange import build_records
from crawler.scrapy_ext.offload import deferred_from_future

log = logging.getLogger("crawler.scrapy_ext.archive")

THREAD_NAME = "warc-archive"


class ArchiveThread:
    """A single-thread executor that owns a :class:`~crawler.archive.WarcArchive`."""

    def __init__(self, archive):
        self.archive = archive
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix=THREAD_NAME)

    # -- running on the thread -------------------------------------------------------------------
    def call(self, fn, *args, **kwargs):
        """``fn(*args, **kwargs)`` on the archive thread, after everything handed in before; a
        Deferred fired on the reactor thread."""
        return deferred_from_future(self._executor.submit(fn, *args, **kwargs))

    async def run(self, fn, *args, **kwargs):
        """:meth:`call`, awaited."""
        return await maybe_deferred_to_future(self.call(fn, *args, **kwargs))

    def later(self, fn, *args, what: str = "WARC operation", **kwargs) -> None:
        """:meth:`call` without waiting: a failure is logged."""
        self._executor.submit(fn, *args, **kwargs).add_done_callback(lambda f: _log_failure(f, what))

    def shutdown(self) -> None:
        """Wait for what was handed in, then stop the thread (call from the thread that owns
        the archive's close, or after it)."""
        self._executor.shutdown(wait=True)

    # -- the archive's operations ------------------------------------------------------------------
    def finish_wire(self, plan, built=None):
        """Deferred of the pointer: ``built`` (or the records built on the archive thread)
        appended to the planned file and flushed."""
        return self.call(_finish_wire, self.archive, plan, built)

    def write_metadata(self, url, fields, *, concurrent_to=None, built=None, date=None):
        """A metadata record of ``url`` (``built`` in a worker when it still fits its file, else
        built from ``fields``); Deferred of its pointer."""
        d = self.call(_write_metadata, self.archive, url, fields, concurrent_to, built, date)
        return d.addErrback(_not_written, url)

    def close_archive(self, budget=None):
        """Close the archive and its digest index (on the archive thread: :meth:`call` it)."""
        try:
            return self.archive.close(budget=budget)
        finally:
            if self.archive.digest_index is not None:
                try:
                    self.archive.digest_index.close()
                except Exception as exc:  # noqa: BLE001
                    log.warning("closing the WARC digest index: %s", exc)

    def pending(self) -> list[str]:
        """WARC files still in the spool (for metrics; reads the spool directory only)."""
        return self.archive.pending()


def _finish_wire(archive, plan, built):
    return archive.finish_wire(plan, built or build_records(plan.job))


def _write_metadata(archive, url, fields, concurrent_to, built, date):
    if built is not None:
        pointer = archive.append_metadata(built, concurrent_to)
        if pointer is not None:
            return pointer
    return archive.write_metadata(url, fields, concurrent_to=concurrent_to, date=date)


def _not_written(failure, url):
    log.warning("WARC metadata record of %s not written: %s", url, failure.getErrorMessage())


def _log_failure(future, what: str) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.warning("%s failed: %r", what, future.exception())
