"""Scrapy extension that makes a crawl a job: lock, run ID, job record with stats and exit status.

It is created before the downloader middlewares (Scrapy builds extensions first), so it sets
``crawler.crawl_run_id`` for the WARC capture to reference in its warcinfo records.
"""

from __future__ import annotations

import logging
import os
import socket

from scrapy import signals

from crawler.datadir import resolve_data_dir
from crawler.jobs import CrawlLock, new_run_id, utc_now
from crawler.store import JobRecord, open_store

logger = logging.getLogger(__name__)


class CrawlJobExtension:
    def __init__(self, crawler):
        settings = crawler.settings
        self.crawler = crawler
        self.data_dir = resolve_data_dir(settings.get("CRAWLER_DATA_DIR")).ensure()
        self.run_id = settings.get("CRAWLER_RUN_ID") or new_run_id()
        crawler.crawl_run_id = self.run_id
        self.lock = CrawlLock(self.data_dir.lock_file).acquire(self.run_id)  # raises LockHeld
        self.store = open_store(self.data_dir)
        for run_id in self.store.mark_crashed_jobs(except_run_id=self.run_id):
            logger.warning("crawl run %s ended without a job record (killed?): marked crashed", run_id)
        self.job = JobRecord(
            run_id=self.run_id,
            started_at=utc_now(),
            portals=list(settings.getlist("CRAWLER_PORTALS")),
            archive=settings.get("CRAWLER_ARCHIVE") or str(self.data_dir.archive_dir),
            host=socket.gethostname(),
            pid=os.getpid(),
        )
        self.store.start_job(self.job)
        crawler.stats.set_value("crawl/run_id", self.run_id)
        self.reason = "unknown"
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        # The WARC capture rolls its files on spider_closed too; the job record is written when
        # the engine has stopped, so it sees the final stats and the list of WARC files.
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)
        logger.info("crawl run %s started on %s", self.run_id, self.data_dir)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_closed(self, spider, reason):
        self.reason = reason

    def engine_stopped(self):
        reason = self.reason
        stats = self.crawler.stats.get_stats()
        errors = int(stats.get("log_count/ERROR", 0))
        # WARC files that could not be uploaded stay in the spool for the next run: the run is
        # not a success until they are in the archive.
        upload_failed = bool(stats.get("warc/upload_failed"))  # names left in the spool
        self.job.ended_at = utc_now()
        self.job.status = "finished" if reason == "finished" else ("interrupted" if reason == "shutdown" else reason)
        self.job.exit_code = 0 if (reason == "finished" and errors == 0 and not upload_failed) else 1
        self.job.stats = {k: v for k, v in stats.items() if isinstance(v, (int, float, str, list))}
        self.job.warc_files = list(stats.get("warc/files", []))
        try:
            self.store.finish_job(self.job)
        finally:
            self.store.close()
            self.lock.release()
        logger.info("crawl run %s %s (exit %s)", self.run_id, self.job.status, self.job.exit_code)
