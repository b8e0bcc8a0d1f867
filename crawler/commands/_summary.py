"""Printing a crawl run's summary (shared by `crawler crawl` and `crawler demo`)."""

from __future__ import annotations

import json

from crawler.blobstore import open_blobstore
from crawler.report import crawl_summary, format_summary
from crawler.store import open_store


def summary_for(data_dir, job) -> dict:
    sizes: dict[str, int] = {}
    try:
        store = open_blobstore(job.archive, default_dir=data_dir.archive_dir)
        sizes = {b.name: b.size for b in store.list()}
    except Exception as exc:  # the summary must not fail because the archive is unreachable
        sizes = {}
        print(f"(archive listing unavailable: {exc})")
    articles = open_store(data_dir)
    try:
        return crawl_summary(job, articles, data_dir, sizes)
    finally:
        articles.close()


def print_summary(data_dir, job, *, as_json: bool) -> dict:
    summary = summary_for(data_dir, job)
    if as_json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print(format_summary(summary))
    return summary
