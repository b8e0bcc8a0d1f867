"""Memory of the near-duplicate index stays bounded by its time window."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import crawler.dedup.index as index_module
from crawler.dedup import open_index

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _text(i: int) -> str:
    return " ".join(f"Meldung {i} Satz {k} mit den Worten w{i}_{k} a{i}b{k} c{k}d{i}." for k in range(30))


def _fill(index, n: int, per_day: int = 10):
    for i in range(n):
        index.add(f"d{i}", _text(i), published=T0 + timedelta(days=i // per_day))


def test_query_side_keeps_only_the_window(tmp_path, monkeypatch):
    monkeypatch.setattr(index_module, "COMPACT_MIN", 100)
    for path in (None, tmp_path / "idx"):
        with open_index(path, window_days=5) as index:
            _fill(index, 600)  # 60 days, 10 articles a day
            # at most twice the window (5 days x 10) beyond the compaction minimum
            assert len(index) <= 2 * max(100, 60)
            # the latest stories are still found: a copy of a recent article joins it
            late = index.add("copy", _text(599) + " Ergänzung.", published=T0 + timedelta(days=59))
            assert late.reason == "near-duplicate" and late.nearest == "d599"
            if path is None:  # in memory: the old stories are gone from the tables too
                assert len(index.doc_ids()) < 300
            else:  # on disk: kept, so a new version of an old article is still recognised
                assert len(index.doc_ids()) == 601
                assert index.add("d0", _text(0) + " Korrektur.", published=T0).reason == "new-version"


def test_shared_redis_log_is_trimmed_to_the_window(redis_url, monkeypatch):
    monkeypatch.setattr(index_module, "COMPACT_MIN", 100)
    first = open_index(redis_url, prefix="trim", window_days=5, trim_every=50)
    _fill(first, 600)  # 60 days, 10 a day
    log_len = first.r.llen("trim:log")
    trimmed = int(first.r.get("trim:trimmed"))
    assert trimmed >= 400 and log_len + trimmed == 600 and log_len <= 200
    assert len(first) <= 200  # the mirror's query side too
    # A process starting now replays only what is left and decides as the first one does.
    second = open_index(redis_url, prefix="trim", window_days=5, trim_every=50)
    assert second.applied == 600 and len(second) <= log_len
    a = second.add("copy-a", _text(595) + " Ergänzung.", published=T0 + timedelta(days=59))
    first.refresh()
    b = first.add("copy-b", _text(595) + " Zweite Ergänzung.", published=T0 + timedelta(days=59))
    assert a.reason == b.reason == "near-duplicate" and a.cluster_id == b.cluster_id
    assert a.nearest == "d595"
    first.close()
    second.close()


def test_no_rebuild_while_every_story_is_in_the_window(monkeypatch):
    monkeypatch.setattr(index_module, "COMPACT_MIN", 100)
    with open_index(None, window_days=None) as index:
        rebuilt = []
        monkeypatch.setattr(index, "compact", lambda: rebuilt.append(len(index)))
        _fill(index, 450)
        assert rebuilt == [] and len(index) == 450
