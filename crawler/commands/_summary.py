"""Running a crawl for a command and printing its summary (shared by `crawl` and `demo`)."""

from __future__ import annotations

import json
import sys

from crawler.archive.blobstore import open_blobstore
from crawler.jobs import LockHeld
from crawler.preflight import PreflightError
from crawler.report import crawl_summary, format_summary
from crawler.runner import CrawlFailed, run_crawl
from crawler.store import open_store


def summary_for(data_dir, job) -> dict:
    sizes: dict[str, int] = {}
    try:
        store = open_blobstore(job.archive, default_dir=data_dir.archive_dir)
        sizes = {b.name: b.size for b in store.list()}
    except Exception as exc:  # the summary must not fail because the archive is unreachable
        print(f"(archive listing unavailable: {exc})", file=sys.stderr)
    articles = open_store(data_dir, read_only=True)
    try:
        return crawl_summary(job, articles, data_dir, sizes)
    finally:
        articles.close()


def print_summary(data_dir, job, *, as_json: bool, verbose: bool = False) -> dict:
    summary = summary_for(data_dir, job)
    if as_json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print(format_summary(summary, verbose=verbose))
    return summary


def crawl_and_report(command: str, data_dir, *, as_json: bool, verbose: bool = False,
                     **crawl_options) -> tuple[int, dict | None]:
    """Run one crawl, print its summary; returns (exit status, summary). Exit status: 0 success,
    1 the crawl logged errors or could not run, 2 a check before the first fetch failed,
    3 another crawl holds the data directory."""
    if sys.stderr.isatty() and not as_json:
        # A live progress line instead of INFO lines on the terminal (the run's log keeps them).
        crawl_options["extra_settings"] = {"LOG_LEVEL": "WARNING", **(crawl_options.get("extra_settings") or {}),
                                           "CRAWLER_PROGRESS": True}
    try:
        job = run_crawl(data_dir, **crawl_options)
    except PreflightError as exc:
        print(f"crawler {command}: {exc}", file=sys.stderr)
        return 2, None
    except LockHeld as exc:
        print(f"crawler {command}: {exc}", file=sys.stderr)
        return 3, None
    except CrawlFailed as exc:
        print(f"crawler {command}: {exc}", file=sys.stderr)
        return 1, None
    if job.status == "disk-full":
        print(f"crawler {command}: the disk is full: run {job.run_id} stopped (job record: `crawler jobs`); "
              "free space and run again: what was stored stays, the rest is fetched next time", file=sys.stderr)
        return 1, None
    summary = print_summary(data_dir, job, as_json=as_json, verbose=verbose)
    return (0 if job.exit_code == 0 and summary["errors"] == 0 else 1), summary
