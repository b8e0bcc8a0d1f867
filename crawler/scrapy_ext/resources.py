"""The collaborators of one crawl, opened once and handed to the spider and the pipelines.

:class:`CrawlResources` holds the article store, the near-duplicate index and the learned
template store of a data directory, the pool of worker processes for CPU work and the crawl's
I/O thread (``offload``: :class:`crawler.scrapy_ext.offload.ReactorOffload`). Store, index
and template store are used from the I/O thread; the spider's reads of the crawl state run on
a read thread of their own, so the store is wrapped to take one call at a time. The crawl job extension (:mod:`crawler.scrapy_ext.job`)
opens them when the crawl starts and closes them when the engine has stopped; spider and
pipelines look them up with :func:`crawl_resources` in their ``from_crawler`` (or, for the
spider, which Scrapy creates before the extensions, when the spider opens) and otherwise take
them as constructor arguments, so unit tests hand in fakes.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from crawler.datadir import DataDir, resolve_data_dir
from crawler.dedup import DedupIndex, crawl_index_options, open_index
from crawler.dedup.consistency import check_index, check_shared_index
from crawler.engine.tasks import warm_up
from crawler.engine.pool import WorkerPool
from crawler.scrapy_ext.offload import ReactorOffload
from crawler.store import open_store, redact
from crawler.cleaning.templates import TemplateStore

logger = logging.getLogger(__name__)

ATTRIBUTE = "crawl_resources"  # where the open resources hang on the Scrapy crawler


@dataclass
class CrawlResources:
    data_dir: DataDir
    store: Any  # crawler.store.ArticleStore
    index: Any  # crawler.dedup.DedupIndex (or the Redis index)
    templates: TemplateStore
    archive_uri: str
    offload: Any = None  # ReactorOffload (None: the caller runs everything inline)
    page_max_bytes: int | None = None
    _closers: list = field(default_factory=list, repr=False)

    @classmethod
    def open(cls, settings) -> "CrawlResources":
        """Open everything a crawl writes to, as configured by the Scrapy ``settings``."""
        data_dir = resolve_data_dir(settings.get("CRAWLER_DATA_DIR")).ensure()
        opened: list = []
        try:
            store = open_store(data_dir, uri=settings.get("CRAWLER_STORE"))
            opened.append(store)
            io = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="crawl-io")
            opened.append(_Closing(lambda: io.shutdown(wait=True)))
            # the spider's crawl-state reads (one thread: the store takes one call at a time anyway)
            reads = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="crawl-read")
            opened.append(_Closing(lambda: reads.shutdown(wait=True)))
            location, window = crawl_index_options(settings, data_dir)
            # used on the I/O thread only (its SQLite connection belongs to that thread)
            index = io.submit(open_index, location, window_days=window).result()
            opened.append(_Closing(lambda: io.submit(index.close).result()))
            if isinstance(index, DedupIndex) and index.path is not None:
                # repairs after a crash, or refuses
                io.submit(check_index, index, store, where=str(location)).result()
            elif not isinstance(index, DedupIndex):  # shared (Redis): refuses another store's, refills a flushed one
                io.submit(check_shared_index, index, store, where=redact(str(location))).result()
            templates = TemplateStore(data_dir.templates_db)
            opened.append(templates)
            pool = WorkerPool(settings.getint("CRAWLER_WORKERS") or None, initializer=warm_up)
            opened.append(pool)
        except BaseException:
            for resource in reversed(opened):
                resource.close()
            raise
        archive_uri = settings.get("CRAWLER_ARCHIVE") or str(data_dir.archive_dir)
        budget = settings.getfloat("CRAWLER_PAGE_TIME_BUDGET") or None
        offload = ReactorOffload(pool, io, time_budget=budget, read_executor=reads)
        return cls(data_dir, Serialized(store), index, templates, archive_uri, offload=offload,
                   page_max_bytes=settings.getint("CRAWLER_EXTRACT_MAX_BYTES") or None,
                   _closers=list(reversed(opened)))

    def close(self) -> None:
        """Close every resource (the last opened first); each one even if another fails."""
        closers, self._closers = self._closers, []
        for resource in closers:
            try:
                resource.close()
            except Exception:  # noqa: BLE001  (closing the rest matters more)
                logger.exception("closing %s failed", type(resource).__name__)


class _Closing:
    def __init__(self, close):
        self.close = close


class Serialized:
    """``target`` with one method call at a time (the store is used from the read thread and
    from the I/O thread)."""

    def __init__(self, target, lock=None):
        self._target = target
        self._lock = lock or threading.RLock()

    def __getattr__(self, name):
        attr = getattr(self._target, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            with self._lock:
                return attr(*args, **kwargs)

        return call


def crawl_resources(crawler) -> CrawlResources:
    """The open resources of ``crawler``'s crawl (set by the crawl job extension)."""
    resources = getattr(crawler, ATTRIBUTE, None)
    if resources is None:
        raise RuntimeError(
            "the crawl's store and indexes are not open: enable crawler.scrapy_ext.job.CrawlJobExtension "
            "in EXTENSIONS"
        )
    return resources
