"""The start-of-crawl check that the near-duplicate index and the article store agree."""

from __future__ import annotations

import json
import shutil

import pytest

from crawler.datadir import DataDir
from crawler.dedup import open_index
from crawler.dedup.consistency import IndexMismatch, check_index
from crawler.store import ArticleVersion, ClusterAssignment, open_store

STORY = ("Der Stadtrat von Herford hat am Dienstagabend mit großer Mehrheit beschlossen, die Sanierung des "
         "Hallenbads an der Hansastraße im kommenden Frühjahr zu beginnen. Die Kosten werden auf rund "
         "zwölf Millionen Euro geschätzt, ein Drittel davon trägt das Land Nordrhein-Westfalen. ")


def _text(i: int) -> str:
    return " ".join(f"Absatz {i} Wort{i}x{k} über die Sitzung des Kreistags Nummer {i * 7 + k}." for k in range(40))


def _store_article(store, index, aid, text, portal="a"):
    d = index.add(aid, text, published="2026-11-23T10:00:00+01:00")
    v = ArticleVersion(article_id=aid, canonical_url=f"http://{portal}.test/{aid}", url=f"http://{portal}.test/{aid}",
                       portal=portal, fetched_at="2026-11-23T12:00:00+00:00", text=text, text_hash=f"h{hash(text)}",
                       published="2026-11-23T10:00:00+01:00")
    store.save_article(v, ClusterAssignment(d.cluster_id, d.representative, nearest=d.nearest,
                                            jaccard=d.jaccard, containment=d.containment, reason=d.reason))
    return d


@pytest.fixture
def store(tmp_path):
    s = open_store(DataDir(tmp_path / "data"))
    yield s
    s.close()


def test_articles_the_index_lost_are_added_back_in_order(store, tmp_path):
    with open_index(tmp_path / "idx") as index:
        first = _store_article(store, index, "a1", STORY * 4)
        _store_article(store, index, "b1", _text(1))
    # The index loses its last decision (copied back from before it): the store still has it.
    shutil.copytree(tmp_path / "idx", tmp_path / "old")
    with open_index(tmp_path / "idx") as index:
        _store_article(store, index, "c1", STORY * 4 + "Ergänzung der Redaktion.")
    shutil.rmtree(tmp_path / "idx")
    shutil.move(tmp_path / "old", tmp_path / "idx")
    with open_index(tmp_path / "idx") as index:
        report = check_index(index, store)
        assert report.added == ["c1"] and not report.extra
        assert "c1" in index and check_index(index, store).agreed
        # A later copy of the story finds it again, the representative as in the store.
        again = index.add("c1", STORY * 4 + "Ergänzung der Redaktion, korrigiert.", published="2026-11-23T10:00:00+01:00")
        assert again.reason == "new-version" and again.cluster_id == first.cluster_id


def test_an_index_that_lost_everything_is_rebuilt_from_the_store(store, tmp_path):
    with open_index(tmp_path / "idx") as index:
        decisions = {aid: _store_article(store, index, aid, text) for aid, text in
                     (("a1", STORY * 4), ("a2", STORY * 4 + "Kopie."), ("b1", _text(2)))}
    shutil.rmtree(tmp_path / "idx")
    with open_index(tmp_path / "idx") as index:
        assert sorted(check_index(index, store).added) == ["a1", "a2", "b1"]
        for aid, d in decisions.items():
            assert index.add(aid, STORY * 4 if aid == "a1" else (STORY * 4 + "Kopie." if aid == "a2" else _text(2)),
                             published="2026-11-23T10:00:00+01:00").cluster_id == d.cluster_id


def test_a_few_articles_only_the_index_has_are_kept_and_reported(store, tmp_path, caplog):
    with open_index(tmp_path / "idx") as index:
        _store_article(store, index, "a1", STORY * 4)
        index.add("lost", _text(3))  # decided, then the crawl died before the store wrote it
        report = check_index(index, store)
    assert report.extra == ["lost"] and not report.added
    assert "1 article(s) the store lacks" in caplog.text


def test_an_index_of_another_store_is_refused(store, tmp_path):
    with open_index(tmp_path / "idx") as index:
        for i in range(150):
            index.add(f"other-{i}", _text(i))
        with pytest.raises(IndexMismatch, match="150 articles the article store does not have.*another store"):
            check_index(index, store, where=str(tmp_path / "idx"))


@pytest.mark.integration
def test_crawl_repairs_a_lost_index_before_deciding(tmp_path):
    from conftest import run_cli
    from crawler.demo import manifest

    data = tmp_path / "data"
    run_cli("demo", "--json", "--data-dir", str(data))
    shutil.rmtree(data / "dedup")  # e.g. restored from an old backup, or lost
    run_cli("demo", "--json", "--edition", "2", "--data-dir", str(data))
    records = {r["url"]: r for r in map(json.loads, run_cli("export", "--all-members", "--data-dir", str(data)).stdout.splitlines())}
    (new_url,) = manifest.EDITION2_NEW_URLS
    story = manifest.by_url(2)[new_url].story
    # The new copy joined the story its siblings have in the store (not a story of its own).
    assert {records[u]["cluster_id"] for u in manifest.stories(2)[story]} == {records[new_url]["cluster_id"]}
    log = "".join(p.read_text() for p in (data / "logs").glob("*.log"))
    assert "dedup index lacked" in log
