"""Several crawlers, one crawl: two `crawler crawl` processes on the demo portals sharing the
frontier (Redis, scrapy-redis), the article store (PostgreSQL), the near-dup and digest indexes
(Redis) and the archive (SeaweedFS), against a one-process crawl of the same portals; a consumer
polls `crawler api`'s /changes while they write."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from contextlib import contextmanager

import pytest

from conftest import CRAWL_ENV, REPO, run_cli
from crawler.demo import manifest
from services import postgres_database
from test_api_server import TOKEN, _free_port
from test_crawl_demo import crawl

pytestmark = pytest.mark.integration
DELAY = 0.4  # seconds between two requests to one host, whichever process sends them


def _partition(records) -> tuple[list, dict]:
    groups: dict[str, set[str]] = {}
    for r in records:
        groups.setdefault(r["cluster_id"], set()).add(r["url"])
    reps = {frozenset(groups[r["cluster_id"]]): r["url"] for r in records if r["is_representative"]}
    return sorted(sorted(g) for g in groups.values()), reps


@contextmanager
def api_server(store: str, tmp_path):
    import httpx

    port, tokens = _free_port(), tmp_path / "tokens"
    tokens.write_text(TOKEN + "\n", encoding="utf-8")
    log = open(tmp_path / "api.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "crawler", "api", "--data-dir", str(tmp_path / "api"),
                             "--port", str(port), "--tokens-file", str(tokens)], cwd=REPO,
                            env={**os.environ, "CRAWLER_API_TOKENS": "", "CRAWLER_STORE": store},
                            stdout=log, stderr=subprocess.STDOUT)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {TOKEN}"},
                          timeout=30)
    try:
        for _ in range(300):
            try:
                client.get("/openapi.json")
                break
            except httpx.TransportError:
                assert proc.poll() is None, (tmp_path / "api.log").read_text()
                time.sleep(0.2)
        yield client
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def _poll(client, after: int) -> tuple[list[int], int]:
    r = client.get("/changes", params={"after_seq": after, "limit": 7})
    assert r.status_code == 200, r.text
    body = r.json()
    return [c["seq"] for c in body["changes"]], body["next_after_seq"]


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
    from crawler.store import open_store
    open_store(store).close()  # the tables, so the API can open the store read-only before the crawl
    import redis

    workers = redis.Redis.from_url(f"{base}/0")
    with api_server(store, tmp_path) as client:
        # Both processes join the crawl before any page comes back (one that starts late on a busy
        # machine would otherwise find the crawl done): the portals hold the first requests.
        portals.hold()
        outs = [open(tmp_path / f"worker{i}.out", "w+") for i in range(2)]
        procs = [
            subprocess.Popen([sys.executable, "-m", "crawler", "crawl", "--sources", str(sources),
                              "--data-dir", str(tmp_path / f"worker{i}"), "--archive", f"s3://{s3_bucket}/news",
                              # a per-host delay, taken in turns in Redis: it holds across both processes
                              "-s", f"DOWNLOAD_DELAY={DELAY}"],
                             cwd=REPO, env=env, stdout=outs[i], stderr=subprocess.STDOUT, text=True)
            for i in range(2)
        ]
        deadline = time.monotonic() + 120
        try:
            while workers.hlen("newscrawler:news:workers") < 2:
                assert time.monotonic() < deadline and all(p.poll() is None for p in procs), "a crawler did not join"
                time.sleep(0.1)
        finally:
            portals.release()
            workers.close()
        polled, cursor, during = [], 0, 0
        deadline = time.monotonic() + 300
        while any(p.poll() is None for p in procs) and time.monotonic() < deadline:
            seqs, cursor = _poll(client, cursor)
            polled += seqs
            during += len(seqs)
            time.sleep(0.05)
        for p in procs:
            p.wait(timeout=60)
        while True:  # the rest, after both crawlers finished
            seqs, cursor = _poll(client, cursor)
            if not seqs:
                break
            polled += seqs
    for p, out in zip(procs, outs):
        out.seek(0)
        assert p.returncode == 0, out.read()[-8000:]
    log = list(portals.request_log)
    # The consumer polling while both processes wrote has exactly the store's changes, once each.
    reader = open_store(store, read_only=True)
    assert polled == [c.seq for c in reader.changes(0, 100_000)] and during > 0, (during, len(polled))
    reader.close()

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
    (one,) = [json.loads(line) for line in run_cli("jobs", "--json", *single.store_args()).stdout.splitlines()]
    assert sum(per_process) == one["stats"]["crawler/article_pages_fetched"], per_process
    # A fair share each: a process pops only what it can start soon, the rest stays in Redis for
    # the other one (taking up to CONCURRENT_REQUESTS at once, one process got 15 of 18).
    print("article pages fetched per process:", per_process)
    assert min(per_process) >= sum(per_process) / 4, f"article pages fetched per process: {per_process}"
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


def test_shared_slots_hold_the_delay_and_the_concurrency_across_processes(redis_url):
    from crawler.scrapy_ext.shared_politeness import SharedSlots

    one, two = (SharedSlots(redis_url, "test:politeness:", lease_ttl=60) for _ in range(2))
    assert one.take_turn("host-a", 30.0, 2, "r1") == 0
    assert 29 < two.take_turn("host-a", 30.0, 2, "r2") <= 30  # the other process waits out the delay
    assert one.take_turn("host-b", 0.0, 1, "r3") == 0
    assert two.take_turn("host-b", 0.0, 1, "r4") > 0  # concurrency 1 in all: r3 is in flight
    one.release("host-b", "r3")
    assert two.take_turn("host-b", 0.0, 1, "r4") == 0
    # With a delay the turn is held until the exchange is over, and the delay counts from its end.
    assert one.take_turn("host-c", 0.05, 2, "r5") == 0
    time.sleep(0.1)
    assert two.take_turn("host-c", 0.05, 2, "r6") > 0  # r5 is still out, though its delay has passed
    one.release("host-c", "r5", 0.05)
    assert 0 < two.take_turn("host-c", 0.05, 2, "r6") <= 0.05
    one.close()
    two.close()
