"""How the WARC capture middleware's archive is set up from the Scrapy settings: the blob
store, the warcinfo record, the revisit digest index, the collection index; and the check that
downloads go through the capturing handler (see :mod:`crawler.scrapy_ext.archive`)."""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from pathlib import Path

from crawler.archive import WarcArchive
from crawler.archive.blobstore import open_blobstore
from crawler.scrapy_ext import defaults
from crawler.scrapy_ext.wire import CaptureDownloadHandler

log = logging.getLogger("crawler.scrapy_ext.archive")


def open_archive(crawler) -> WarcArchive:
    """The crawl's :class:`WarcArchive` as the settings configure it."""
    s = crawler.settings
    from crawler.datadir import resolve_data_dir

    data_dir = resolve_data_dir(s.get("CRAWLER_DATA_DIR"))
    store = open_blobstore(
        s.get("CRAWLER_ARCHIVE") or None,
        default_dir=data_dir.archive_dir,
        endpoint_url=s.get("CRAWLER_S3_ENDPOINT") or None,
    )
    run_id = getattr(crawler, "crawl_run_id", None) or uuid.uuid4().hex
    digest_index = _digest_index(s, data_dir, store)
    return WarcArchive(
        data_dir.warc_spool,
        store,
        run_id=run_id,
        prefix=s.get("CRAWLER_WARC_PREFIX", defaults.WARC_PREFIX),
        max_file_size=s.getint("CRAWLER_WARC_MAX_SIZE", defaults.WARC_MAX_SIZE),
        max_file_age=s.getfloat("CRAWLER_WARC_MAX_AGE", defaults.WARC_MAX_AGE),
        warcinfo=warcinfo(crawler),
        worker_id=s.get("CRAWLER_WARC_WORKER_ID") or None,
        fsync=s.getbool("CRAWLER_WARC_FSYNC", defaults.WARC_FSYNC),
        digest_index=digest_index,
        collection_index=collection_index(s, data_dir),
        run_cpu=lambda fn, *args: run_in_worker(crawler, fn, *args),
    )


def warcinfo(crawler) -> dict:
    """The fields of each WARC file's warcinfo record."""
    s = crawler.settings
    spider_name = getattr(crawler.spidercls, "name", None)
    sources = s.get("CRAWLER_SOURCES") or ("sources.toml" if Path("sources.toml").is_file() else None)
    info = {
        "isPartOf": spider_name,
        "operator": s.get("CRAWLER_OPERATOR"),
        "robots": "obey" if s.getbool("ROBOTSTXT_OBEY") else "ignore",
        "http-header-user-agent": s.get("USER_AGENT"),
        "sources": os.path.basename(str(sources)) if sources else None,
        "sources-digest": file_digest(sources),
        "capture": "bytes of the connection: download handler crawler.scrapy_ext.wire."
                   "CaptureDownloadHandler, records written by the downloader middleware "
                   "crawler.scrapy_ext.archive.WarcCaptureMiddleware",
    }
    try:
        import scrapy

        info["scrapy-version"] = scrapy.__version__
    except Exception:
        pass
    return info


def _digest_index(s, data_dir, store):
    """Where the originals of revisit records are looked up (None: CRAWLER_WARC_REVISITS off)."""
    digest_index = None
    if s.getbool("CRAWLER_WARC_REVISITS", defaults.WARC_REVISITS):
        from crawler.archive import open_digest_index

        # The lead's DataDir may grow a ``warc_digests`` property; same path.
        default = getattr(data_dir, "warc_digests", data_dir.root / "warc-digests.sqlite")
        digest_index = open_digest_index(
            s.get("CRAWLER_WARC_DIGEST_INDEX") or None, default_path=default,
            namespace=store.uri,
        )
    return digest_index


def run_in_worker(crawler, fn, *args):
    """``fn(*args)`` in the crawl's worker pool (the CDXJ index of a closed WARC file reads it
    all back: CPU off the crawl process), blocking the calling thread; here when the crawl has
    no pool."""
    resources = getattr(crawler, "crawl_resources", None)
    pool = getattr(getattr(resources, "offload", None), "pool", None)
    if pool is None:
        return fn(*args)
    return pool.submit(fn, *args).result()


def collection_index(settings, data_dir):
    """The collection index shipping keeps up to date (``crawler archive find/get``, ``crawler
    web``); CRAWLER_COLLECTION_INDEX=False leaves it to ``crawler archive index``."""
    if not settings.getbool("CRAWLER_COLLECTION_INDEX", defaults.COLLECTION_INDEX):
        return None
    from crawler.archive.collection import COLLECTION_INDEX_FILE, CollectionIndex

    return CollectionIndex(data_dir.root / COLLECTION_INDEX_FILE)


def check_handlers(settings) -> None:
    """Warn when http/https downloads do not go through a capturing handler."""
    from scrapy.utils.misc import load_object

    handlers = {**settings.getdict("DOWNLOAD_HANDLERS_BASE"), **settings.getdict("DOWNLOAD_HANDLERS")}
    wanted = f"{CaptureDownloadHandler.__module__}.{CaptureDownloadHandler.__name__}"
    for scheme in ("http", "https"):
        h = handlers.get(scheme)
        try:
            cls = load_object(h) if isinstance(h, str) else h
            ok = isinstance(cls, type) and issubclass(cls, CaptureDownloadHandler)
        except Exception:
            ok = False
        if not ok:
            log.warning("DOWNLOAD_HANDLERS[%r] is %s, not %s (or a subclass): its exchanges are "
                        "archived as rebuilt from Scrapy's parsed responses, not as received",
                        scheme, h, wanted)


def file_digest(path: str | os.PathLike | None) -> str | None:
    if not path:
        return None
    try:
        return "sha256:" + hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def report_closed(stats, archive, files) -> None:
    """The closed archive's figures in the crawl stats (``warc/...``)."""
    stats.set_value("warc/files", [f.name for f in files])
    stats.set_value("warc/bytes", sum(f.size for f in files))
    stats.set_value("warc/records", archive.records_written)
    stats.set_value("warc/cpu_seconds", round(archive.cpu_seconds, 3))
    stats.set_value("warc/store", archive.store.uri)
    if archive.digest_index is not None:
        stats.set_value("warc/revisits", archive.revisits_written)
        stats.set_value("warc/revisit_bytes", archive.revisit_bytes)
        if archive.revisit_targets_missing:
            stats.set_value("warc/revisit_targets_missing", archive.revisit_targets_missing)
    if archive.recovered:
        stats.set_value("warc/recovered", [f.name for f in archive.recovered])
    left = archive.pending()
    if left:
        stats.set_value("warc/upload_failed", left)
