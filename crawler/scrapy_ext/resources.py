"""The collaborators of one crawl, opened once and handed to the spider and the pipelines.

:class:`CrawlResources` holds the article store, the near-duplicate index and the learned
template store of a data directory. The crawl job extension (:mod:`crawler.scrapy_ext.job`)
opens them when the crawl starts and closes them when the engine has stopped; spider and
pipelines look them up with :func:`crawl_resources` in their ``from_crawler`` (or, for the
spider, which Scrapy creates before the extensions, when the spider opens) and otherwise take
them as constructor arguments, so unit tests hand in fakes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from crawler.datadir import DataDir, resolve_data_dir
from crawler.dedup import DedupIndex, open_index
from crawler.dedup.consistency import check_index
from crawler.store import open_store
from crawler.templates import TemplateStore

logger = logging.getLogger(__name__)

ATTRIBUTE = "crawl_resources"  # where the open resources hang on the Scrapy crawler


@dataclass
class CrawlResources:
    data_dir: DataDir
    store: Any  # crawler.store.ArticleStore
    index: Any  # crawler.dedup.DedupIndex (or the Redis index)
    templates: TemplateStore
    archive_uri: str
    _closers: list = field(default_factory=list, repr=False)

    @classmethod
    def open(cls, settings) -> "CrawlResources":
        """Open everything a crawl writes to, as configured by the Scrapy ``settings``."""
        data_dir = resolve_data_dir(settings.get("CRAWLER_DATA_DIR")).ensure()
        opened: list = []
        try:
            store = open_store(data_dir, uri=settings.get("CRAWLER_STORE"))
            opened.append(store)
            location = settings.get("CRAWLER_DEDUP_INDEX") or data_dir.dedup_index
            window = settings.get("CRAWLER_DEDUP_WINDOW_DAYS", 30)
            index = open_index(location, window_days=float(window) if window not in (None, "") else None)
            opened.append(index)
            if isinstance(index, DedupIndex) and index.path is not None:
                check_index(index, store, where=str(location))  # repairs after a crash, or refuses
            templates = TemplateStore(data_dir.templates_db)
            opened.append(templates)
        except BaseException:
            for resource in reversed(opened):
                resource.close()
            raise
        archive_uri = settings.get("CRAWLER_ARCHIVE") or str(data_dir.archive_dir)
        return cls(data_dir, store, index, templates, archive_uri, _closers=list(reversed(opened)))

    def close(self) -> None:
        """Close every resource (the last opened first); each one even if another fails."""
        closers, self._closers = self._closers, []
        for resource in closers:
            try:
                resource.close()
            except Exception:  # noqa: BLE001  (closing the rest matters more)
                logger.exception("closing %s failed", type(resource).__name__)


def crawl_resources(crawler) -> CrawlResources:
    """The open resources of ``crawler``'s crawl (set by the crawl job extension)."""
    resources = getattr(crawler, ATTRIBUTE, None)
    if resources is None:
        raise RuntimeError(
            "the crawl's store and indexes are not open: enable crawler.scrapy_ext.job.CrawlJobExtension "
            "in EXTENSIONS"
        )
    return resources
