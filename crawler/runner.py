"""Running a crawl in this process through Scrapy's settings (the spider is found by name)."""

from __future__ import annotations

import importlib
import logging
import os
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.datadir import DataDir
from crawler.jobs import LockHeld, new_run_id
from crawler.preflight import PreflightError, check_data_dir, preflight
from crawler.store import JobRecord, open_store

SETTINGS_MODULE = "settings"


def project_settings(overrides: dict | None = None) -> Settings:
    settings = Settings()
    module = os.environ.get("SCRAPY_SETTINGS_MODULE", SETTINGS_MODULE)
    settings.setmodule(importlib.import_module(module), priority="project")
    for key, value in (overrides or {}).items():
        if value is not None:
            settings.set(key, value, priority="cmdline")
    return settings


class CrawlFailed(RuntimeError):
    pass


def run_crawl(
    data_dir: DataDir,
    *,
    sources: str | Path | None = None,
    portals: list[str] | None = None,
    archive: str | None = None,
    extra_settings: dict | None = None,
) -> JobRecord:
    """Run the ``news`` spider once; returns the job record (raises PreflightError before the
    first fetch, LockHeld, CrawlFailed)."""
    check_data_dir(data_dir)
    run_id = new_run_id()
    overrides = {
        "CRAWLER_DATA_DIR": str(data_dir.root),
        "CRAWLER_RUN_ID": run_id,
        "CRAWLER_SOURCES": str(sources) if sources else None,
        "CRAWLER_PORTALS": list(portals) if portals else None,
        "CRAWLER_ARCHIVE": archive,
        **(extra_settings or {}),
    }
    settings = project_settings(overrides)
    preflight(data_dir, sources=settings.get("CRAWLER_SOURCES"), portals=settings.getlist("CRAWLER_PORTALS"),
              archive=settings.get("CRAWLER_ARCHIVE"), endpoint_url=settings.get("CRAWLER_S3_ENDPOINT"))
    log_handler = logging.FileHandler(data_dir.logs_dir / f"{run_id}.log", encoding="utf-8")
    _run_process(settings, log_handler)
    store = open_store(data_dir)
    try:
        for job in store.jobs(limit=50):
            if job.run_id == run_id:
                return job
    finally:
        store.close()
    raise CrawlFailed(f"crawl {run_id} left no job record")


def _run_process(settings: Settings, log_handler: logging.Handler, before_start=None) -> None:
    """Run the ``news`` spider in this process until it closes, logging to ``log_handler`` too."""
    process = CrawlerProcess(settings)
    log_handler.setFormatter(logging.Formatter("%(asctime)s [%(name)s] %(levelname)s: %(message)s"))
    log_handler.setLevel(logging.DEBUG if settings.get("LOG_LEVEL") == "DEBUG" else logging.INFO)
    logging.getLogger().addHandler(log_handler)
    failures: list[BaseException] = []
    deferred = process.crawl("news")
    deferred.addErrback(lambda f: failures.append(f.value))
    if before_start is not None:
        before_start(process)
    try:
        process.start()
    finally:
        logging.getLogger().removeHandler(log_handler)
        log_handler.close()
    if failures:
        if isinstance(failures[0], (LockHeld, PreflightError)):  # e.g. a foreign dedup index
            raise failures[0]
        raise CrawlFailed(f"crawl could not run: {failures[0]!r}") from failures[0]


SERVE_SETTINGS = {
    "CRAWLER_SERVE": True,
    "SCHEDULER": "crawler.scrapy_ext.serve.ServeScheduler",
    # The spider requests a URL once per cycle (its own bookkeeping); Scrapy's process-wide
    # duplicate filter would refuse every URL the second time it is announced.
    "DUPEFILTER_CLASS": "scrapy.dupefilters.BaseDupeFilter",
}
SERVE_LOG = "serve.log"


def run_serve(
    data_dir: DataDir,
    *,
    sources: str | Path | None = None,
    portals: list[str] | None = None,
    archive: str | None = None,
    schedule: str | None = None,
    metrics_port: int | None = None,
    metrics_addr: str = "127.0.0.1",
    extra_settings: dict | None = None,
) -> None:
    """`crawler serve`: one long-running crawl polling every portal on its schedule, until
    SIGTERM/SIGINT (graceful: in-flight pages finished, WARC files closed and shipped). Its log
    is ``logs/serve.log``, rotated at midnight (14 kept). Raises PreflightError, LockHeld,
    CrawlFailed."""
    from logging.handlers import TimedRotatingFileHandler

    check_data_dir(data_dir)
    overrides = {
        "CRAWLER_DATA_DIR": str(data_dir.root),
        "CRAWLER_SOURCES": str(sources) if sources else None,
        "CRAWLER_PORTALS": list(portals) if portals else None,
        "CRAWLER_ARCHIVE": archive,
        "CRAWLER_SERVE_SCHEDULE": schedule,
        **SERVE_SETTINGS,
        **(extra_settings or {}),
    }
    settings = project_settings(overrides)
    preflight(data_dir, sources=settings.get("CRAWLER_SOURCES"), portals=settings.getlist("CRAWLER_PORTALS"),
              archive=settings.get("CRAWLER_ARCHIVE"), endpoint_url=settings.get("CRAWLER_S3_ENDPOINT"))
    handler = TimedRotatingFileHandler(data_dir.logs_dir / SERVE_LOG, when="midnight", backupCount=14,
                                       encoding="utf-8", utc=True)

    def start_metrics(process):
        if metrics_port is not None:
            from crawler.service.metrics import serve_metrics

            serve_metrics(metrics_port, lambda: list(process.crawlers), addr=metrics_addr)

    _run_process(settings, handler, before_start=start_metrics)
