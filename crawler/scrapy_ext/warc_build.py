"""Where the WARC records of an exchange are built (block digests, serialisation, gzip: most of
the archive's CPU work), off the reactor thread where it pays:

* in a worker process of the crawl's pool (:func:`build`);
* on the crawl's archive thread for small exchanges (handing them to a worker would cost more),
  when the crawl has no pool, or when a worker fails (a record is never lost);
* for a page the spider analyses in a worker anyway (an article or start page: request meta
  :data:`~crawler.scrapy_ext.charset.DECODE_IN_WORKER`), in that same worker task
  (:class:`PendingRecords`, :func:`crawler.engine.tasks.analyze_and_build`): one hand-off per
  page instead of two, and the body sent once when it is the payload as received. The spider
  finishes the write (append, flush, ``request.meta["warc"]``) before it yields the page's
  item, so an item still always points at bytes that exist.

Until then ``request.meta["warc"]`` holds the planned file and record id only; the middleware
finishes every pending exchange the spider did not claim when it closes.
"""

from __future__ import annotations

import logging

from crawler.archive.exchange import build_records

log = logging.getLogger("crawler.scrapy_ext.archive")

#: exchanges smaller than this (bytes) have their records built on the archive thread: handing
#: them to a worker would cost more than building them
BUILD_INLINE_BELOW = 16 * 1024
#: request meta key of a :class:`PendingRecords`
PENDING_META = "warc_pending"


def truncation_reason(exc: BaseException, capture) -> str:
    """WARC-Truncated value for a download that failed after its response head arrived."""
    from scrapy.exceptions import (
        DownloadCancelledError, DownloadFailedError, DownloadTimeoutError, ResponseDataLossError,
    )

    if capture.clipped or isinstance(exc, DownloadCancelledError):
        return "length"  # DOWNLOAD_MAXSIZE (announced or reached)
    if isinstance(exc, DownloadTimeoutError):
        return "time"
    if isinstance(exc, (ResponseDataLossError, DownloadFailedError, ConnectionError)):
        return "disconnect"
    return "unspecified"


async def build(offload, job):
    """The exchange's records, built in a worker process; ``None`` for small ones, or all when
    the crawl has no worker pool or a worker fails: the archive thread builds them before it
    appends them (:class:`~crawler.scrapy_ext.archive_thread.ArchiveThread`)."""
    if offload is not None and len(job.ex.response) + len(job.ex.request) >= BUILD_INLINE_BELOW:
        try:
            return await offload.cpu(build_records, job)
        except Exception as exc:  # noqa: BLE001  (never lose a record: build it on the archive thread)
            log.warning("building the WARC records of %s in a worker failed (%r): built here", job.ex.url, exc)
    return None


def deferrable(request, response, plan, offload) -> bool:
    """Whether the spider builds this exchange's records with its page task: a complete 2xx
    response (what reaches the spider's page callbacks) of a page it analyses in a worker,
    large enough to be built in one, whose records are not built already (revisits)."""
    from crawler.scrapy_ext.charset import DECODE_IN_WORKER

    ex = plan.job.ex
    return (offload is not None and plan.built is None and not ex.truncated and 200 <= response.status < 300
            and bool(request.meta.get(DECODE_IN_WORKER))
            and len(ex.response) + len(ex.request) >= BUILD_INLINE_BELOW)


class PendingRecords:
    """An exchange planned by the capture middleware whose records the spider builds."""

    def __init__(self, middleware, request, plan):
        self.middleware = middleware  # crawler.scrapy_ext.archive.WarcCaptureMiddleware
        self.request = request
        self.plan = plan
        self.done = False

    @property
    def job(self):
        return self.plan.job

    def payload_is(self, body: bytes) -> bool:
        """``body`` is the response's payload as received (no content or transfer coding), so
        the worker can take it from the exchange instead of a second copy."""
        ex = self.plan.job.ex
        head = ex.head_length()
        return len(ex.response) - head == len(body) and ex.response.endswith(body)  # (memcmp; a memoryview
        # compares item by item)

    async def finish(self, built=None) -> None:
        """Append the records (``built``, or built on the archive thread), flush, set
        ``request.meta["warc"]``."""
        if self.done:
            return
        self.done = True
        pointer = await self.middleware.finish_exchange(self.plan, built, self)
        if pointer is not None:
            self.request.meta["warc"] = pointer.to_dict()
        else:
            self.request.meta.pop("warc", None)

    async def finish_in_worker(self, offload) -> None:
        """The records built by themselves (the page was not analysed: not HTML, too large, or its
        task failed)."""
        if not self.done:
            await self.finish(await build(offload, self.plan.job))


def finish_unclaimed(meta: dict) -> None:
    """The records of an exchange left to a page task that will not run (the response never
    reached the page callback: a later middleware raised, e.g. IgnoreRequest past
    DOWNLOAD_MAXSIZE once decompressed, or turned it into another request, e.g. a meta refresh,
    whose meta is a copy): built and written now (on the archive thread, queued before this
    returns; not awaited), not only when the crawl closes."""
    from twisted.internet import defer

    pending = meta.pop(PENDING_META, None)
    if pending is not None:
        defer.ensureDeferred(pending.finish())
