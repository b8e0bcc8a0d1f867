"""A shared Redis dedup index is checked against the article store when a crawl starts: a flushed
index is refilled from the store (the crawl keeps clustering against the old articles), an index
that belongs to another store is refused with one line. Real redis-server (tests/services.py)."""

from __future__ import annotations

import json

import pytest
import redis

from crawler.datadir import DataDir
from crawler.dedup import open_index
from crawler.dedup.consistency import IndexMismatch, check_shared_index
from crawler.store import open_store
from test_dedup_consistency import STORY, _store_article, _text

pytestmark = pytest.mark.integration


def _stored(tmp_path, name, url, prefix="t"):
    store = open_store(DataDir(tmp_path / name))
    index = open_index(url, prefix=prefix)
    return store, index


def test_a_flushed_index_is_refilled_from_the_store(tmp_path, redis_url):
    store, index = _stored(tmp_path, "a", redis_url)
    assert check_shared_index(index, store).agreed  # empty store, empty index: claimed
    first = _store_article(store, index, "a1", STORY * 4)
    _store_article(store, index, "b1", _text(1))
    index.close()
    redis.Redis.from_url(redis_url).flushdb()  # or a restart without persistence

    index = open_index(redis_url, prefix="t")
    report = check_shared_index(index, store, where="redis")
    assert sorted(report.added) == ["a1", "b1"]
    # A copy published later joins the old story again (without the check: a story of its own).
    copy = index.add("c1", STORY * 4 + "Ergänzung der Redaktion.", published="2026-11-23T11:00:00+01:00")
    assert copy.reason == "near-duplicate" and copy.cluster_id == first.cluster_id
    assert copy.representative == "a1"
    # Checked again (the next crawl, or a second crawler starting): nothing to add.
    again = open_index(redis_url, prefix="t")
    assert check_shared_index(again, store).added == []
    again.close()
    index.close()
    store.close()


class CountingStore:
    """The store, counting how its current versions are loaded."""

    def __init__(self, store):
        self.store, self.one, self.batches = store, 0, []

    def current_version(self, article_id):
        self.one += 1
        return self.store.current_version(article_id)

    def current_versions(self, article_ids):
        self.batches.append(len(article_ids))
        return self.store.current_versions(article_ids)

    def __getattr__(self, name):
        return getattr(self.store, name)


def test_the_refill_loads_versions_in_batches_and_skips_old_stories(tmp_path, redis_url, monkeypatch):
    from crawler.dedup import consistency
    from crawler.store import ArticleVersion, ClusterAssignment

    store, index = _stored(tmp_path, "a", redis_url)
    check_shared_index(index, store)
    for n, (aid, published) in enumerate([("old", "2025-01-10T10:00:00+01:00")] + [
            (f"a{i}", f"2026-11-2{i}T10:00:00+01:00") for i in range(1, 5)]):
        text = _text(10 + n)
        d = index.add(aid, text, published=published)
        store.save_article(ArticleVersion(article_id=aid, canonical_url=f"http://a.test/{aid}", url=f"http://a.test/{aid}",
                                          portal="a", fetched_at="2026-11-25T12:00:00+00:00", text=text,
                                          text_hash=f"h{aid}", published=published),
                           ClusterAssignment(d.cluster_id, d.representative, reason=d.reason))
    index.close()
    redis.Redis.from_url(redis_url).flushdb()
    index = open_index(redis_url, prefix="t")
    index.add("fresh", _text(99), published="2026-11-26T10:00:00+01:00")  # decided, not stored (yet)
    monkeypatch.setattr(consistency, "VERSION_BATCH", 2, raising=False)
    counting = CountingStore(store)
    report = check_shared_index(index, counting, where="redis")
    # The same outcome as one version at a time: inside the window, in the order first stored;
    # the story from January is outside the window (30 days before the newest activity).
    assert report.added == ["a1", "a2", "a3", "a4"] and report.extra == ["fresh"]
    assert (counting.one, counting.batches) == (0, [2, 2, 1])  # one query per batch, none per article
    index.close()
    store.close()


def test_an_index_of_another_store_is_refused(tmp_path, redis_url):
    store, index = _stored(tmp_path, "a", redis_url)
    check_shared_index(index, store)
    _store_article(store, index, "a1", STORY * 4)
    index.close()
    other_store, other_index = _stored(tmp_path, "b", redis_url)
    with pytest.raises(IndexMismatch, match="belongs to another article store"):
        check_shared_index(other_index, other_store, where="redis://x/0 (t)")
    # Another prefix is another index: that one is fine.
    third = open_index(redis_url, prefix="other")
    assert check_shared_index(third, other_store).agreed
    for x in (other_index, third, store, other_store):
        x.close()


def test_an_unclaimed_index_full_of_foreign_articles_is_refused(tmp_path, redis_url):
    index = open_index(redis_url, prefix="t")
    for i in range(150):
        index.add(f"other-{i}", _text(i))
    store = open_store(DataDir(tmp_path / "a"))
    with pytest.raises(IndexMismatch, match="150 articles the article store does not have"):
        check_shared_index(index, store)
    index.close()
    store.close()


def test_crawl_with_a_flushed_shared_index_keeps_its_stories(tmp_path, redis_url):
    from conftest import run_cli
    from crawler.demo import manifest

    data = tmp_path / "data"
    env = {"CRAWLER_DEDUP_INDEX": redis_url}
    run_cli("demo", "--json", "--data-dir", str(data), env=env)
    redis.Redis.from_url(redis_url).flushdb()
    run_cli("demo", "--json", "--edition", "2", "--data-dir", str(data), env=env)
    records = {r["url"]: r for r in map(json.loads, run_cli(
        "export", "--all-members", "--data-dir", str(data)).stdout.splitlines())}
    (new_url,) = manifest.EDITION2_NEW_URLS
    story = manifest.by_url(2)[new_url].story
    assert {records[u]["cluster_id"] for u in manifest.stories(2)[story]} == {records[new_url]["cluster_id"]}
    log = "".join(p.read_text() for p in (data / "logs").glob("*.log"))
    assert "shared dedup index" in log and "added from the store" in log

    # Another data directory (another store) pointed at the same index: one line, exit 2.
    other = run_cli("demo", "--data-dir", str(tmp_path / "other"), env=env, check=False)
    assert other.returncode == 2, other.stderr[-3000:]
    assert "belongs to another article store" in other.stderr
    assert "Traceback" not in other.stderr
