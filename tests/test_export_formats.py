"""The published record format (schema/) and the export formats: JSON Lines, Parquet, CSV."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from jsonschema import Draft202012Validator
from record_schema import assert_valid, documents
from services import postgres_database

from crawler.datadir import DataDir
from crawler.export import (FORMAT_VERSION, RecordFilter, change_record, export_records, parse_since,
                            version_records)
from crawler.export.formats import write_csv, write_parquet
from crawler.store import ArticleVersion, ClusterAssignment, open_store

REFERS_TO = {"warc_file": "crawl-0.warc.gz", "offset": 0, "length": 500, "record_id": "<urn:uuid:orig>",
             "payload_digest": "sha1:ORIG", "url": "http://b.test/y.html", "warc_date": "2026-11-22T09:00:00Z"}


def _version(aid, text, *, portal="a", fetched="2026-11-23T12:00:00+00:00", published="2026-11-23T10:00:00+01:00",
             **kw):
    warc = {"warc_file": "crawl-1.warc.gz", "offset": 10, "length": 99, "record_id": f"<urn:uuid:{aid}>",
            "payload_digest": "sha1:ABC"}
    if kw.pop("revisit", False):
        warc["refers_to"] = REFERS_TO
    return ArticleVersion(
        article_id=aid, canonical_url=f"http://{portal}.test/{aid}.html", url=f"http://{portal}.test/{aid}.html",
        portal=portal, fetched_at=fetched, title=f"Überschrift {aid}", text=text, published=published,
        text_hash=f"h:{text}", archive="file:///data/archive", warc=warc, **kw)


def _populate(s) -> None:
    s.save_article(_version("x", "Bünde: Großbrand.\nZweiter Absatz.", authors=["Jörg Ä", "Eva B"],
                            section="Lokales", language="de", dateline={"place": "Bünde", "agency": "dpa"},
                            removed=[{"line": "Diesen Artikel teilen", "rule": "share_prompt"}]),
                   ClusterAssignment("c1", "x"))
    s.save_article(_version("y", "Bünde: Großbrand, kürzer.", portal="b", fetched="2026-11-24T08:00:00+00:00",
                            published="2026-11-23T08:00:00+01:00", revisit=True, language="de"),
                   ClusterAssignment("c1", "y", previous_representative="x", nearest="x", jaccard=0.61,
                                     containment=0.875, reason="near-duplicate"))
    s.save_article(_version("z", "Anderes Thema.", published=None, section="Sport", language="en"),
                   ClusterAssignment("c2", "z"))
    s.save_article(_version("z", "Anderes Thema, berichtigt.", published=None, fetched="2026-11-25T07:00:00+00:00",
                            section="Sport", language="en"), ClusterAssignment("c2", "z", reason="new-version"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def store(request, tmp_path):
    s = open_store(DataDir(tmp_path) if request.param == "sqlite" else postgres_database())
    _populate(s)
    yield s
    s.close()


def test_schemas_are_json_schemas_of_this_format_version():
    docs = documents()
    assert {"story", "article", "version", "change", "common"} <= set(docs)
    for doc in docs.values():
        Draft202012Validator.check_schema(doc)
    assert docs["common"]["$defs"]["schema_version"]["const"] == FORMAT_VERSION


def test_story_article_and_version_records_validate(store):
    stories = list(export_records(store))
    articles = list(export_records(store, all_members=True))
    assert {s["story_id"] for s in stories} == {"c1", "c2"} and len(articles) == 3
    for record in stories + articles:
        assert_valid(record)
    c1 = next(s for s in stories if s["story_id"] == "c1")
    assert c1["article_id"] == "y" and c1["first_publisher"] == {
        "article_id": "y", "portal": "b", "published": "2026-11-23T08:00:00+01:00"}
    assert {m["article_id"]: m["reason"] for m in c1["members"]} == {"x": "new-story", "y": "near-duplicate"}
    assert c1["provenance"]["refers_to"] == REFERS_TO
    versions = version_records(store.versions("z"))
    for record in versions:
        assert_valid(record, "version")
    assert versions[0]["diff"] is None
    assert "-Anderes Thema." in versions[1]["diff"] and "+Anderes Thema, berichtigt." in versions[1]["diff"]


@pytest.mark.parametrize("all_members", [False, True])
def test_parquet_read_back_equals_the_records(store, tmp_path, all_members):
    kind = "article" if all_members else "story"
    records = list(export_records(store, all_members=all_members))
    assert write_parquet(iter(records), kind, tmp_path / "one.parquet") == len(records)
    table = pq.read_table(tmp_path / "one.parquet")
    assert table.to_pylist() == records
    assert table.schema.field("provenance").type.get_field_index("refers_to") >= 0
    assert str(table.schema.field("seq").type) == "int64" and str(table.schema.field("authors").type) == "list<element: string>"
    assert table.schema.metadata[b"newscrawler.schema_version"] == str(FORMAT_VERSION).encode()
    # One file per UTC day of the fetch time; together they hold the same records.
    write_parquet(iter(records), kind, tmp_path / "days", partition="day")
    days = sorted(p.parent.name for p in (tmp_path / "days").rglob("*.parquet"))
    assert days == sorted({f"day={r['provenance']['fetched_at'][:10]}" for r in records})
    back = ds.dataset(tmp_path / "days", format="parquet", partitioning="hive").to_table().to_pylist()
    assert sorted(({k: v for k, v in r.items() if k != "day"} for r in back), key=lambda r: r["seq"]) == \
        sorted(records, key=lambda r: r["seq"])


def test_empty_export_is_a_valid_parquet_file(tmp_path):
    write_parquet(iter([]), "story", tmp_path / "empty.parquet")
    assert pq.read_table(tmp_path / "empty.parquet").num_rows == 0


def test_csv_spreads_objects_into_columns_for_spreadsheets(store):
    out = io.StringIO()
    assert write_csv(export_records(store, all_members=True), "article", out) == 3
    rows = {r["article_id"]: r for r in csv.DictReader(io.StringIO(out.getvalue()))}
    assert rows["x"]["authors"] == "Jörg Ä; Eva B" and rows["x"]["dateline.place"] == "Bünde"
    assert rows["x"]["text"] == "Bünde: Großbrand.\nZweiter Absatz."
    assert json.loads(rows["x"]["removed"]) == [{"line": "Diesen Artikel teilen", "rule": "share_prompt"}]
    assert rows["y"]["provenance.refers_to.record_id"] == "<urn:uuid:orig>" and rows["y"]["similarity.jaccard"] == "0.61"
    assert rows["z"]["published"] == "" and rows["z"]["is_representative"] == "true"


def test_filters_by_portal_section_language_and_time(store):
    ids = lambda **kw: sorted(r["article_id"] for r in export_records(store, all_members=True, where=RecordFilter(**kw)))  # noqa: E731
    assert ids(portal="b") == ["y"]
    assert ids(section="lokales") == ["x"] and ids(language="en") == ["z"]
    assert ids(fetched_after=parse_since("2026-11-24")) == ["y", "z"]
    assert ids(fetched_after=parse_since("2026-11-24"), fetched_before=parse_since("2026-11-25")) == ["y"]
    assert ids(published_after=parse_since("2026-11-23T09:30:00+01:00")) == ["x"]  # z has no date: not in range
    # A story is exported when one member matches.
    assert [s["story_id"] for s in export_records(store, where=RecordFilter(portal="a", section="Lokales"))] == ["c1"]


def test_since_takes_iso_and_relative_times():
    now = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
    assert parse_since("36h", now) == datetime(2026, 11, 30, 0, 0, tzinfo=timezone.utc)
    assert parse_since("7d", now).day == 24
    assert parse_since("2026-12-01") == datetime(2026, 12, 1, tzinfo=timezone.utc)
    assert parse_since("2026-12-01T08:00:00+01:00").utcoffset().total_seconds() == 3600
    with pytest.raises(ValueError, match="not a time"):
        parse_since("gestern")


def test_read_only_store_reads_without_writing(tmp_path):
    store = open_store(DataDir(tmp_path))
    _populate(store)
    store.close()
    before = (tmp_path / "articles.sqlite").read_bytes()
    reader = open_store(DataDir(tmp_path), read_only=True)
    try:
        assert len(list(export_records(reader, all_members=True))) == 3
        assert reader.article_row("x")["title"] == "Überschrift x" and reader.article_row("nope") is None
        with pytest.raises(Exception, match="readonly|read-only"):
            reader.save_article(_version("w", "Neu."), ClusterAssignment("c3", "w"))
    finally:
        reader.close()
    assert (tmp_path / "articles.sqlite").read_bytes() == before  # (SQLite may add its -shm index)


def test_change_records_and_tombstones_validate(store):
    store.mark_gone("http://a.test/z.html", 410)
    changes = [change_record(c) for c in store.changes(0, 100)]
    for record in changes:
        assert_valid(record, "change")
    assert [c["seq"] for c in changes] == sorted({c["seq"] for c in changes})
    assert {"new-article", "new-version", "representative", "gone"} <= {c["kind"] for c in changes}
    assert changes[-1]["detail"] == {"http_status": 410, "url": "http://a.test/z.html"}
    (gone,) = [r for r in export_records(store, all_members=True) if r["article_id"] == "z"]
    assert_valid(gone)
    assert gone["gone_status"] == 410 and gone["gone_at"] and gone["seq"] == changes[-1]["seq"]


@contextmanager
def _read_only(directory: Path):
    """``directory`` made read-only for this process: chmod for a user, a read-only bind mount
    for root (whom permissions do not stop)."""
    if os.geteuid() != 0:
        directory.chmod(0o555)
        try:
            yield directory
        finally:
            directory.chmod(0o755)
        return
    view = directory.parent / f"{directory.name}-ro"
    view.mkdir()
    for cmd in (["mount", "--bind", str(directory), str(view)], ["mount", "-o", "remount,ro,bind", str(view)]):
        proc = subprocess.run(cmd, capture_output=True, text=True)
        assert proc.returncode == 0, f"{' '.join(cmd)}: {proc.stderr}"
    try:
        yield view
    finally:
        subprocess.run(["umount", "-l", str(view)], check=True)
        view.rmdir()


def test_export_and_records_from_a_read_only_data_directory(tmp_path):
    data = tmp_path / "data"
    store = open_store(DataDir(data))
    _populate(store)
    expected = list(export_records(store))
    store.close()
    with _read_only(data) as ro:
        with pytest.raises(OSError):
            (ro / "probe").write_text("x")
        reader = open_store(DataDir(ro), read_only=True)
        try:
            assert list(export_records(reader)) == expected
            write_parquet(export_records(reader), "story", tmp_path / "s.parquet")
        finally:
            reader.close()
        # The API on the same read-only directory.
        from fastapi.testclient import TestClient

        from crawler.api import TokenSet, create_app

        app = create_app(lambda: open_store(DataDir(ro), read_only=True), TokenSet(["t" * 20]))
        with TestClient(app) as client:
            body = client.get("/stories", headers={"Authorization": "Bearer " + "t" * 20}).json()
        assert body["stories"] == expected
    assert pq.read_table(tmp_path / "s.parquet").to_pylist() == expected
