"""Several crawlers, one crawl: two `crawler crawl` processes on the demo portals sharing the
frontier (Redis, scrapy-redis), the article store (PostgreSQL), the near-dup and digest indexes
(Redis) and the archive (SeaweedFS), against a one-process crawl of the same portals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

import pytest

from conftest import CRAWL_ENV, REPO, run_cli
from crawler.demo import manifest
from services import postgres_database
from test_crawl_demo import crawl

pytestmark = pytest.mark.integration
DELAY = 0.4  # seconds between two requests to one host, whichever process sends them


def _partition(records) -> tuple[list, dict]:
    groups: dict[str, set[str]] = {}
    for r in records:
        groups.setdefault(r["cluster_id"], set()).add(r["url"])
    reps = {frozenset(groups[r["cluster_id"]]): r["url"] for r in records if r["is_representative"]}
    return sorted(sorted(g) for g in groups.values()), reps


def test_two_crawler_processes_crawl_the_demo_portals_once(portals, redis_url, s3_bucket, tmp_path):
    portals.set_edition(1)
    single = crawl(portals, tmp_path / "single")
    alone = single.export()

    store = postgres_database()
    base = redis_url.rsplit("/", 1)[0]
    sources = tmp_path / "sources.toml"
    sources.write_text(portals.sources_toml(), encoding="utf-8")
    env = {**os.environ, **CRAWL_ENV, "http_proxy": portals.proxy_url, "no_proxy": "",
           "CRAWLER_FRONTIER": f"{base}/0", "CRAWLER_DEDUP_INDEX": f"{base}/1",
           "CRAWLER_WARC_DIGEST_INDEX": f"{base}/2", "CRAWLER_STORE": store, "CRAWLER_LOG_LEVEL": "INFO"}
    portals.clear_log()
    procs = [
        subprocess.Popen([sys.executable, "-m", "crawler", "crawl", "--sources", str(sources),
                          "--data-dir", str(tmp_path / f"worker{i}"), "--archive", f"s3://{s3_bucket}/news",
                          # a per-host delay, booked in Redis: it holds across both processes
                          "-s", f"DOWNLOAD_DELAY={DELAY}"],
                         cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(2)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outputs):
        assert p.returncode == 0, out[-3000:] + err[-6000:]
    log = list(portals.request_log)

    records = [json.loads(line) for line in
               run_cli("export", "--all-members", "--store", store, "--data-dir", str(tmp_path / "worker0"))
               .stdout.splitlines()]
    urls = [r["url"] for r in records]
    assert sorted(urls) == sorted(manifest.by_url(1)), "every demo article stored once"
    fetched = Counter(e["url"] for e in log if e["method"] == "GET")
    assert {u: fetched[u] for u in manifest.by_url(1) if fetched[u] != 1} == {}, "an article URL fetched twice"
    jobs = [json.loads(line) for line in
            run_cli("jobs", "--json", "--store", store, "--data-dir", str(tmp_path / "worker0")).stdout.splitlines()]
    assert len(jobs) == 2 and all(j["status"] == "finished" for j in jobs)
    per_process = [j["stats"].get("crawler/article_pages_fetched", 0) for j in jobs]
    assert all(per_process), f"article pages fetched per process: {per_process}"
    (one,) = [json.loads(line) for line in run_cli("jobs", "--json", *single.store_args()).stdout.splitlines()]
    assert sum(per_process) == one["stats"]["crawler/article_pages_fetched"], per_process
    assert _partition(records) == _partition(alone), "clusters or representatives differ from one process"
    # Politeness per host across the processes (a margin for the way from the turn taken in Redis
    # to the server on a loaded machine; without the shared turns the gaps are near 0).
    by_host: dict[str, list[float]] = {}
    for e in log:
        by_host.setdefault(e["url"].split("/")[2], []).append(e["time"])
    gaps = {host: min(b - a for a, b in zip(sorted(t), sorted(t)[1:])) for host, t in by_host.items() if len(t) > 1}
    assert gaps and all(gap >= 0.5 * DELAY for gap in gaps.values()), gaps
    # One archive: every article's pointer names a WARC file in the bucket.
    assert {r["provenance"]["archive"] for r in records} == {f"s3://{s3_bucket}/news"}
