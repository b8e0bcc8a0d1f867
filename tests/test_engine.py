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
    name = f"workers{workers}{shuffle}"
    settings = tmp_path / f"{name}_settings.py"
    settings.write_text(f"from shuffled_settings import *\nCRAWLER_WORKERS = {workers}\n", encoding="utf-8")
    data = tmp_path / f"data-{name}"
    sources = tmp_path / "sources.toml"
    sources.write_text(portals.sources_toml(), encoding="utf-8")
    env = {"http_proxy": portals.proxy_url, "no_proxy": "", "SCRAPY_SETTINGS_MODULE": settings.stem,
           "PYTHONPATH": f"{tmp_path}{os.pathsep}{REPO / 'tests'}", "CRAWLER_TEST_SHUFFLE": shuffle}
    run_cli("crawl", "--sources", str(sources), "--data-dir", str(data), env=env)
    out = run_cli("export", "--all-members", "--data-dir", str(data)).stdout
    store = open_store(DataDir(data), read_only=True)
    try:
        changes = list(store.changes(0, limit=100_000))
    finally:
        store.close()
    return [json.loads(line) for line in out.splitlines()], changes


def _summary(records):
    clusters: dict[str, set[str]] = {}
    for r in records:
        clusters.setdefault(r["cluster_id"], set()).add(r["url"])
    return {
        "texts": {r["url"]: (r["title"], r["text"], r["published"]) for r in records},
        "clusters": sorted(sorted(c) for c in clusters.values()),
        "representatives": sorted(r["url"] for r in records if r["is_representative"]),
    }


def test_one_and_two_workers_store_the_same_articles_texts_clusters_and_representatives(portals, tmp_path):
    """Also when the articles reach the workers and pipelines in another order: the 2-worker
    crawl holds every article response for a delay of its own, and the order in which the
    articles were stored differs from the 1-worker crawl's (checked: the shuffle happened)."""
    portals.set_edition(1)
    runs = [_crawl(portals, tmp_path, 1), _crawl(portals, tmp_path, 2, shuffle="a")]
    (one, _), (two, _) = runs
    assert len(one) >= 10
    orders = [[c.article_id for c in changes if c.kind == "new-article"] for _, changes in runs]
    assert orders[0] != orders[1] and sorted(orders[0]) == sorted(orders[1]), orders
    a, b = _summary(one), _summary(two)
    assert a["texts"] == b["texts"]
    assert a["clusters"] == b["clusters"]
    assert a["representatives"] == b["representatives"]
    for _, changes in runs:  # the change feed: monotonic and gap-free for cursor readers
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
