"""`crawler export` on a demo crawl: every format carries the same, schema-valid records."""

from __future__ import annotations

import csv
import io
import json

import pyarrow.parquet as pq
import pytest
from conftest import run_cli
from record_schema import assert_valid

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    data = tmp_path_factory.mktemp("export") / "data"
    run_cli("demo", "--json", "--data-dir", str(data))
    return data


def _jsonl(data, *args) -> list[dict]:
    return [json.loads(line) for line in run_cli("export", "--data-dir", str(data), *args).stdout.splitlines()]


@pytest.mark.parametrize("members", [[], ["--all-members"]])
def test_parquet_export_read_back_equals_jsonl_export(data, tmp_path, members):
    records = _jsonl(data, *members)
    assert records and len({r["seq"] for r in records}) == len(records)
    for record in records:
        assert_valid(record, "article" if members else "story")
    run_cli("export", "--data-dir", str(data), "--format", "parquet", "--out", str(tmp_path / "x.parquet"), *members)
    assert pq.read_table(tmp_path / "x.parquet").to_pylist() == records
    run_cli("export", "--data-dir", str(data), "--format", "parquet", "--partition", "day",
            "--out", str(tmp_path / "days"), *members)
    back = [r for f in sorted((tmp_path / "days").rglob("*.parquet")) for r in pq.read_table(f).to_pylist()]
    assert sorted(back, key=lambda r: r["seq"]) == sorted(records, key=lambda r: r["seq"])


def test_csv_export_has_a_row_per_record(data, tmp_path):
    records = _jsonl(data, "--all-members")
    run_cli("export", "--data-dir", str(data), "--all-members", "--format", "csv", "--out", str(tmp_path / "a.csv"))
    text = (tmp_path / "a.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["article_id"], r["title"], r["provenance.record_id"]) for r in rows] == [
        (r["article_id"], r["title"], r["provenance"]["record_id"]) for r in records]


def test_since_and_portal_filters(data):
    every = _jsonl(data, "--all-members")
    portal = every[0]["portal"]
    assert {r["article_id"] for r in _jsonl(data, "--all-members", "--portal", portal)} == {
        r["article_id"] for r in every if r["portal"] == portal}
    assert _jsonl(data, "--all-members", "--since", "2h") == every  # all fetched just now
    assert _jsonl(data, "--all-members", "--since", "2999-01-01") == []


def test_bad_options_get_one_line_errors(data):
    for args, needle in ((["--format", "parquet"], "give --out"), (["--since", "gestern"], "not a time"),
                         (["--partition", "day"], "--format parquet")):
        proc = run_cli("export", "--data-dir", str(data), *args, check=False)
        assert proc.returncode == 2 and needle in proc.stderr and "Traceback" not in proc.stderr
