"""Scrapy adaptor for the WARC archive: a downloader middleware next to the wire.

Enable in settings.py::

    DOWNLOADER_MIDDLEWARES = {"crawler.scrapy_ext.archive.WarcCaptureMiddleware": 950}

Placement: downloader middlewares run ``process_request`` in ascending and ``process_response``
in descending priority. At 950 (above every built-in: HttpCacheMiddleware is 900) this
middleware

* sees each request after DefaultHeaders (400), UserAgent (500), HttpCompression (590, adds
  Accept-Encoding), Cookies (700) and HttpProxy (750) have set their headers, i.e. the headers
  Scrapy hands to the download handler (the transport then adds Host and Connection only), and
* sees each response first, before HttpCompressionMiddleware (590) decodes it, before
  RedirectMiddleware (600) turns a 3xx into a new request, before RetryMiddleware (550) retries
  a 5xx. So robots.txt, feeds, sitemaps, every redirect hop, error pages and every retry
  attempt are archived as their own exchange, with the body as received (still compressed).

The records hold the bytes of the connection, recorded by the download handler
:class:`crawler.scrapy_ext.wire.CaptureDownloadHandler` (settings.py enables it for http and
https); a download that fails after its response head arrived (cut connection, size limit,
timeout) is archived in ``process_exception`` with what arrived and ``WARC-Truncated``, and
``request.meta["warc"]`` points at that record. Responses from another download handler are
rebuilt from Scrapy's parsed response (marked with a ``WARC-Comment``). ``process_request``
keeps ``Accept-Encoding`` to gzip/deflate (no br, zstd: the replay toolchain cannot decode
them).

Responses served from Scrapy's HTTP cache (flag ``cached``) are not archived again.

For every archived response the middleware sets ``request.meta["warc"]`` (a
:class:`crawler.archive.WarcPointer` dict: warc_file, offset, length, record_id, payload_digest);
the record is flushed before the response continues to the spider (or, for a page the spider
analyses in a worker, before the spider yields its item), so an item committed later always
points at bytes that exist. The reactor thread only schedules: every archive operation (plan:
file, record ids, payload digest, digest-index look-up, revisit target check; append, flush,
fsync; metadata records; roll check; close) runs on the crawl's one archive thread, in order
(:mod:`crawler.scrapy_ext.archive_thread`); the records (block digests, serialisation, gzip) are
built in the crawl's worker pool (:func:`crawler.archive.exchange.build_records`; an article's in
the task that analyses it), small exchanges and those of a crawl without a pool on the archive
thread (:mod:`crawler.scrapy_ext.warc_build`). An archive operation that fails is logged and
costs that exchange only (the response goes on without ``request.meta["warc"]``).

Settings: CRAWLER_DATA_DIR (spool = DATA/warc-spool, default archive = DATA/archive),
CRAWLER_ARCHIVE (None | path | file:// | s3://bucket/prefix), CRAWLER_S3_ENDPOINT,
CRAWLER_WARC_PREFIX ("crawl"), CRAWLER_WARC_MAX_SIZE (1 GB), CRAWLER_WARC_MAX_AGE (3600 s: files
roll by age too, checked every 30 s also while idle), CRAWLER_WARC_SHUTDOWN_UPLOAD_SECONDS (300:
no upload attempt starts later at shutdown, the rest stays in the spool), CRAWLER_OPERATOR,
CRAWLER_SOURCES
(path of sources.toml, its SHA-256 goes into warcinfo), CRAWLER_WARC_ENABLED (True),
CRAWLER_WARC_FSYNC (False), CRAWLER_WARC_WORKER_ID (default: pid), CRAWLER_WARC_REVISITS
(True: a response whose URL was archived before with the same payload is written as a
``revisit`` record, profile identical-payload-digest, pointing at the original response; see
:mod:`crawler.archive.revisits`), CRAWLER_WARC_DIGEST_INDEX (where the originals are looked up: None ->
DATA/warc-digests.sqlite, a path -> that SQLite file, ``redis://host:port/db`` -> Redis shared by
the crawlers writing to one store).

When the response became a revisit, ``request.meta["warc"]`` points at the revisit record and
carries ``refers_to``: the pointer of the original response (warc_file, offset, length,
record_id, payload_digest, url, warc_date), which holds the body.

``crawler.warc_archive`` is the :class:`~crawler.scrapy_ext.archive_thread.ArchiveThread` of the
open :class:`crawler.archive.WarcArchive` (its ``archive``), for components that add metadata
records (crawl context of an article: ``via``, ``outlink``) on the archive thread.

On ``spider_closed`` the archive thread finishes what was handed to it, then the archive is
closed there (open file rolled, indexed, uploaded, verified) and
the stats get ``warc/files`` (names of this run's WARC files), ``warc/bytes``,
``warc/records``, ``warc/exchanges``, ``warc/cpu_seconds`` (CPU time spent archiving, all
threads and the record builds in worker processes) and ``warc/upload_failed`` (names left in the spool).
The signal :data:`warc_files_closed` is sent with ``files=[ClosedFile, ...]``.
"""

from __future__ import annotations

import logging
from urllib.parse import urldefrag

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import defer

from crawler.archive import WarcArchive, WarcPointer
from crawler.archive.exchange import Exchange
from crawler.archive.records import warc_date
from crawler.scrapy_ext import defaults
from crawler.scrapy_ext.archive_thread import ArchiveThread
from crawler.scrapy_ext.warc_build import (  # noqa: F401  (BUILD_INLINE_BELOW, truncation_reason: re-exported)
    BUILD_INLINE_BELOW, PENDING_META, PendingRecords, build, deferrable, finish_unclaimed, truncation_reason,
)
from crawler.scrapy_ext.warc_rebuilt import RECONSTRUCTED_COMMENT, scrapy_headers, write_rebuilt  # noqa: F401
from crawler.scrapy_ext.warc_setup import check_handlers, open_archive, report_closed
from crawler.scrapy_ext.wire import WIRE_META

log = logging.getLogger(__name__)

#: content codings requested (what warcio, pywb 2.10 and py-wacz decode)
ACCEPTED_ENCODINGS = (b"gzip", b"x-gzip", b"deflate", b"identity")

#: sent after the archive is closed: handler(files=list[ClosedFile], archive=WarcArchive)
warc_files_closed = object()


TICK_SECONDS = 30.0  # how often an idle crawl checks whether the open WARC file is due to roll


class WarcCaptureMiddleware:
    shutdown_budget: float | None = None  # seconds of upload attempts at shutdown

    def __init__(self, archive: WarcArchive, stats=None):
        self.archive = archive
        self.stats = stats
        self.exchanges = 0
        self.pending: set[PendingRecords] = set()  # exchanges whose records the spider builds
        self.thread = ArchiveThread(archive)  # runs every operation of the archive, in order
        self._closed = False
        self._closing = None  # Deferred of close()

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        if not s.getbool("CRAWLER_WARC_ENABLED", defaults.WARC_ENABLED):
            raise NotConfigured("WARC capture disabled (CRAWLER_WARC_ENABLED=False)")
        archive = open_archive(crawler)
        mw = cls(archive, crawler.stats)
        mw.shutdown_budget = s.getfloat("CRAWLER_WARC_SHUTDOWN_UPLOAD_SECONDS", defaults.WARC_SHUTDOWN_UPLOAD_SECONDS) or None
        mw.crawler = crawler
        # for spiders/pipelines that add metadata records (crawl context: via, outlinks):
        #   crawler.warc_archive.write_metadata(url, {"via": ..., "outlink": [...]},
        #                                       concurrent_to=response.meta["warc"]["record_id"])
        crawler.warc_archive = mw.thread  # (a Deferred; on the archive thread)
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(mw.engine_stopped, signal=signals.engine_stopped)
        check_handlers(s)
        return mw

    # -- capture ---------------------------------------------------------------------------------
    def process_request(self, request):
        """Ask only for content encodings that the archive toolchain replays (warcio, pywb
        2.10, py-wacz: gzip, deflate); Scrapy would add br and zstd when their decoders are
        installed."""
        finish_unclaimed(request.meta)  # (a copy of an earlier request's meta: a redirect, a retry)
        ae = request.headers.get(b"Accept-Encoding")
        if ae:
            kept = [e for e in (x.strip() for x in ae.split(b","))
                    if e.split(b";")[0].strip().lower() in ACCEPTED_ENCODINGS]
            request.headers[b"Accept-Encoding"] = b", ".join(kept) or b"identity"
        return None

    async def process_response(self, request, response):
        capture = request.meta.pop(WIRE_META, None)
        if "cached" in response.flags or self._closed:
            return response
        if not response.url.startswith(("http://", "https://")):
            return response  # data:, file:, s3: ... are not HTTP exchanges
        truncated = "disconnect" if "dataloss" in response.flags else None
        if capture is not None and capture.clipped:
            truncated = "length"
        pointer = None
        if capture is not None and capture.head_complete:
            pointer = await self._write_wire(request, capture, truncated, response)
            if PENDING_META in request.meta:
                return response  # the spider builds the records with its page task (warc_build)
        if pointer is None and not self._closed:
            pointer = await self.archive_exchange(request, response)
        if pointer is not None:
            request.meta["warc"] = pointer.to_dict()
        return response

    async def process_exception(self, request, exception):
        """A download that failed after the response head arrived (cut connection, size
        limit, timeout) is archived with what was received and WARC-Truncated."""
        capture = request.meta.pop(WIRE_META, None)
        if capture is None or self._closed or not capture.head_complete:
            return None
        reason = truncation_reason(exception, capture)
        pointer = await self._write_wire(request, capture, reason)
        if pointer is not None:
            request.meta["warc"] = pointer.to_dict()
            if self.stats is not None:
                self.stats.inc_value(f"warc/truncated/{reason}")
        return None

    async def _write_wire(self, request, capture, truncated, response=None) -> WarcPointer | None:
        proxied = bool(request.meta.get("proxy") or request.meta.get("_auth_proxy"))
        ex = Exchange(
            url=urldefrag(request.url)[0], request=bytes(capture.sent),
            response=bytes(capture.received), warc_date=warc_date(capture.started),
            ip_address=None if proxied else capture.peer, truncated=truncated,
        )
        try:
            plan = await self.thread.run(self.archive.plan_wire, ex)
        except ValueError as exc:  # no complete response head: nothing to archive as HTTP
            log.warning("not archived: %s", exc)
            return None
        except Exception as exc:  # noqa: BLE001  (costs this exchange, not the crawl)
            log.warning("not archived: %s (planning failed: %r)", ex.url, exc)
            return None
        offload = self._offload()
        if response is not None and deferrable(request, response, plan, offload):
            pending = PendingRecords(self, request, plan)
            self.pending.add(pending)
            request.meta[PENDING_META] = pending
            request.meta["warc"] = {"warc_file": plan.file.name, "record_id": plan.job.response_id}
            return None
        return await self.finish_exchange(plan, plan.built or await build(offload, plan.job))

    async def finish_exchange(self, plan, built, pending=None) -> WarcPointer | None:
        """Append the built records of a planned exchange (``None``: built on the archive thread;
        see :mod:`~crawler.scrapy_ext.warc_build`)."""
        self.pending.discard(pending)
        if self._closed:  # the crawl was stopped meanwhile (shutdown)
            log.warning("not archived (archive closed during the shutdown): %s", plan.ex.url)
            return None
        try:
            pointer = await maybe_deferred_to_future(self.thread.finish_wire(plan, built))
        except Exception as exc:  # noqa: BLE001  (costs this exchange, not the crawl)
            log.warning("not archived: %s (%r)", plan.ex.url, exc)
            return None
        self.exchanges += 1
        if self.stats is not None:
            self.stats.inc_value("warc/exchanges")
        return pointer

    def _offload(self):
        resources = getattr(getattr(self, "crawler", None), "crawl_resources", None)
        return getattr(resources, "offload", None)

    async def archive_exchange(self, request, response) -> WarcPointer | None:
        """Fallback for responses not captured at the connection (another download handler):
        the exchange rebuilt from what Scrapy exposes (see HTTP_CAPTURE_NOTES)."""
        try:
            pointer = await self.thread.run(write_rebuilt, self.archive, request, response)
        except Exception as exc:  # noqa: BLE001  (costs this exchange, not the crawl)
            log.warning("not archived: %s (%r)", response.url, exc)
            return None
        self.exchanges += 1
        if self.stats is not None:
            self.stats.inc_value("warc/exchanges")
            self.stats.inc_value("warc/reconstructed")
        return pointer

    def _tick(self):
        if not self._closed:
            self.thread.later(self.archive.tick, what="WARC roll check")

    # -- life cycle ----------------------------------------------------------------------------
    def spider_opened(self, spider=None):
        from twisted.internet import task

        self._ticker = task.LoopingCall(self._tick)
        self._ticker.start(TICK_SECONDS, now=False)

    # -- shutdown --------------------------------------------------------------------------------
    def spider_closed(self, spider=None, reason=None):
        return self.close()

    def engine_stopped(self):
        return self.close()  # the same Deferred when spider_closed ran

    def close(self):
        """Deferred: the archive thread finishes what was handed to it (and the exchanges the
        spider never claimed), then closes the archive; then the stats and the signal."""
        if self._closing is None:
            # responses the spider never analysed (dropped on the way): queued before the close
            finishing = [defer.ensureDeferred(pending.finish()) for pending in list(self.pending)]
            self._closed = True
            ticker = getattr(self, "_ticker", None)
            if ticker is not None and ticker.running:
                ticker.stop()
            closed = self.thread.call(self.thread.close_archive, self.shutdown_budget)
            self._closing = defer.DeferredList([*finishing, closed], consumeErrors=True)
            self._closing.addCallback(self._closed_files)
        return self._closing

    def _closed_files(self, results):
        self.thread.shutdown()  # (idle: the close was its last operation)
        ok, files = results[-1]
        if not ok:
            log.error("closing the WARC archive failed: %s", files.getErrorMessage())
            files = list(self.archive.closed_files)
        if self.stats is not None:
            report_closed(self.stats, self.archive, files)
        crawler = getattr(self, "crawler", None)
        if crawler is not None:
            crawler.signals.send_catch_log(warc_files_closed, files=files, archive=self.archive)
