"""The crawl engine: worker pool bounds (time budget, dead workers), and a demo crawl whose
results do not depend on the number of worker processes."""

from __future__ import annotations

import json
import os
import time

import pytest

from conftest import REPO, run_cli
from crawler.datadir import DataDir
from crawler.store import open_store
from crawler.engine.pool import TaskTimeout, WorkerDied, WorkerPool

pytestmark = pytest.mark.integration


def _sleep(seconds):
    time.sleep(seconds)
    return os.getpid()


def _die():
    os._exit(3)


def test_a_task_past_its_budget_fails_alone_and_its_worker_is_replaced():
    pool = WorkerPool(1)
    try:
        first = pool.submit(_sleep, 0, timeout=30).result(timeout=60)
        with pytest.raises(TaskTimeout):
            pool.submit(_sleep, 60, timeout=0.5).result(timeout=60)
        with pytest.raises(WorkerDied):
            pool.submit(_die, timeout=30).result(timeout=60)
        after = pool.submit(_sleep, 0, timeout=30).result(timeout=60)
        assert after != first  # a new worker process does the work
    finally:
        pool.close()


def _crawl(portals, tmp_path, workers: int, shuffle: str = ""):
    """Edition 1 of the demo portals, then edition 2 (new articles, updated ones: new versions)."""
    name = f"workers{workers}{shuffle}"
    settings = tmp_path / f"{name}_settings.py"
    settings.write_text(f"from shuffled_settings import *\nCRAWLER_WORKERS = {workers}\n", encoding="utf-8")
    data = tmp_path / f"data-{name}"
    sources = tmp_path / "sources.toml"
    sources.write_text(portals.sources_toml(), encoding="utf-8")
    env = {"http_proxy": portals.proxy_url, "no_proxy": "", "SCRAPY_SETTINGS_MODULE": settings.stem,
           "PYTHONPATH": f"{tmp_path}{os.pathsep}{REPO / 'tests'}", "CRAWLER_TEST_SHUFFLE": shuffle}
    try:
        for edition in (1, 2):
            portals.set_edition(edition)
            run_cli("crawl", "--sources", str(sources), "--data-dir", str(data), env=env)
    finally:
        portals.set_edition(1)
    out = run_cli("export", "--all-members", "--data-dir", str(data)).stdout
    records = [json.loads(line) for line in out.splitlines()]
    store = open_store(DataDir(data), read_only=True)
    try:
        changes = list(store.changes(0, limit=100_000))
        versions = {r["url"]: [(v.title, v.text, v.published, v.modified)
                               for v in store.versions(r["article_id"])] for r in records}
    finally:
        store.close()
    return records, changes, versions


def _summary(records):
    clusters: dict[str, set[str]] = {}
    for r in records:
        clusters.setdefault(r["cluster_id"], set()).add(r["url"])
    return {
        "texts": {r["url"]: (r["title"], r["text"], r["published"]) for r in records},
        "clusters": sorted(sorted(c) for c in clusters.values()),
        "representatives": sorted(r["url"] for r in records if r["is_representative"]),
    }


def test_one_and_two_workers_store_the_same_articles_texts_versions_clusters_and_representatives(portals, tmp_path):
    """Two crawls (editions 1 and 2) with 1 worker, and with 2 workers whose article responses
    arrive in another order (each held for a delay of its own): the order in which the articles
    were stored differs (checked: the shuffle happened), what was stored does not."""
    runs = [_crawl(portals, tmp_path, 1), _crawl(portals, tmp_path, 2, shuffle="a")]
    (one, _, versions1), (two, _, versions2) = runs
    assert len(one) >= 10 and any(len(v) > 1 for v in versions1.values()), versions1
    orders = [[c.article_id for c in changes if c.kind == "new-article"] for _, changes, _ in runs]
    assert orders[0] != orders[1] and sorted(orders[0]) == sorted(orders[1]), orders
    a, b = _summary(one), _summary(two)
    assert a["texts"] == b["texts"]
    assert versions1 == versions2
    assert a["clusters"] == b["clusters"]
    assert a["representatives"] == b["representatives"]
    for _, changes, _ in runs:  # the change feed: monotonic and gap-free for cursor readers
        seqs = [c.seq for c in changes]
        assert seqs == list(range(1, len(seqs) + 1))


def test_a_pool_whose_workers_cannot_start_fails_its_tasks_instead_of_stalling():
    from crawler.engine.pool import PoolBroken

    pool = WorkerPool(1, initializer=_die)
    try:
        with pytest.raises(PoolBroken):
            pool.submit(_sleep, 0, timeout=30).result(timeout=120)
        with pytest.raises(PoolBroken):
            pool.submit(_sleep, 0, timeout=30).result(timeout=120)
    finally:
        pool.close()
