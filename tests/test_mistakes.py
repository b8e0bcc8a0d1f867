"""Operator mistakes surface before the first fetch, as one line and exit status 2 (no traceback).

Each test runs the real `crawler` command in a subprocess, as an operator would.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest

from conftest import run_cli
from services import free_port

pytestmark = pytest.mark.integration

SOURCES = """
[defaults]
user_agent = "TestBot/1.0 (+https://example.org)"

[[portal]]
name = "nowhere"
feeds = ["http://nowhere.test/feed.xml"]
article_pattern = '/artikel/'
"""


def one_line_error(proc, code=2, *words):
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    err = proc.stderr.strip()
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def sources_file(tmp_path, text=SOURCES) -> str:
    p = tmp_path / "sources.toml"
    p.write_text(text, encoding="utf-8")
    return str(p)


def crawl(tmp_path, *args, env=None):
    return run_cli("crawl", "--data-dir", str(tmp_path / "data"), *args, env=env, check=False, timeout=120)


def test_unknown_defaults_key(tmp_path):
    src = sources_file(tmp_path, SOURCES.replace("user_agent =", "user-agent ="))
    line = one_line_error(crawl(tmp_path, "--sources", src), 2, "[defaults]", "user-agent", "user_agent")
    assert "did you mean" in line


def test_misspelled_table_name(tmp_path):
    src = sources_file(tmp_path, SOURCES.replace("[[portal]]", "[[portals]]"))
    one_line_error(crawl(tmp_path, "--sources", src), 2, "portals")


def test_data_dir_is_a_file(tmp_path):
    src = sources_file(tmp_path)
    f = tmp_path / "not-a-dir"
    f.write_text("x")
    for args in (("crawl", "--sources", src), ("demo",)):
        proc = run_cli(*args, "--data-dir", str(f), check=False, timeout=60)
        one_line_error(proc, 2, "not a directory")


def test_unsupported_archive_scheme(tmp_path):
    src = sources_file(tmp_path)
    one_line_error(crawl(tmp_path, "--sources", src, "--archive", "ftp://host/warcs"), 2, "unsupported archive")


def _dead_s3_env():
    return {"AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{free_port()}", "AWS_ACCESS_KEY_ID": "x",
            "AWS_SECRET_ACCESS_KEY": "y", "AWS_DEFAULT_REGION": "us-east-1"}


def test_s3_archive_unreachable_before_first_fetch(tmp_path):
    src = sources_file(tmp_path)
    proc = crawl(tmp_path, "--sources", src, "--archive", "s3://bucket/x", env=_dead_s3_env())
    one_line_error(proc, 2, "s3://bucket/x", "not writable")
    assert not list((tmp_path / "data" / "logs").glob("*.log")), "the crawl must not have started"


def test_s3_archive_wrong_credentials_and_missing_bucket(tmp_path, seaweedfs):
    src = sources_file(tmp_path)
    bucket = seaweedfs.make_bucket()
    env = {**seaweedfs.env(), "AWS_SECRET_ACCESS_KEY": "wrong-secret"}
    one_line_error(crawl(tmp_path, "--sources", src, "--archive", f"s3://{bucket}/a", env=env), 2, "not writable")
    env = seaweedfs.env()
    one_line_error(crawl(tmp_path, "--sources", src, "--archive", "s3://no-such-bucket-here/a", env=env), 2,
                   "bucket does not exist")
    # The test object written by the check is gone again.
    client = seaweedfs.client()
    assert not client.list_objects_v2(Bucket=bucket).get("Contents")


def test_archive_ls_unreachable_s3_and_bad_since(tmp_path):
    data = str(tmp_path / "data")
    proc = run_cli("archive", "ls", "--data-dir", data, "--store", "s3://bucket/x", env=_dead_s3_env(), check=False)
    one_line_error(proc, 2, "unreachable")
    proc = run_cli("archive", "ls", "--data-dir", data, "--since", "yesterday", check=False)
    one_line_error(proc, 2, "--since", "yesterday")


def test_archive_verify_missing_or_empty_location(tmp_path):
    data = str(tmp_path / "data")
    proc = run_cli("archive", "verify", "--data-dir", data, "--store", str(tmp_path / "missing"), check=False)
    assert proc.returncode != 0 and "all OK" not in proc.stdout, proc.stdout
    (tmp_path / "empty").mkdir()
    proc = run_cli("archive", "verify", "--data-dir", data, "--store", str(tmp_path / "empty"), check=False)
    assert proc.returncode != 0 and "all OK" not in proc.stdout, proc.stdout
    assert "no WARC files" in proc.stderr


def test_dedup_reads_export_and_extract_output(tmp_path):
    export = tmp_path / "export.jsonl"
    export.write_text("\n".join(json.dumps(r) for r in [
        {"schema_version": 1, "seq": 1, "article_id": "a1", "title": "T", "text": "eins zwei drei " * 20,
         "provenance": {"url": "http://a.test/1"}},
        {"schema_version": 1, "seq": 2, "article_id": "a2", "title": "T", "text": "eins zwei drei " * 20,
         "provenance": {"url": "http://b.test/1"}},
    ]) + "\n")
    extract = tmp_path / "extract.jsonl"
    extract.write_text(json.dumps({"source": "x.html", "url": "http://c.test/1", "text": "vier fünf " * 30}) + "\n")
    for inp in (export, extract):
        out = tmp_path / (inp.stem + ".dedup.jsonl")
        run_cli("dedup", str(inp), "--out", str(out))
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        assert rows and all(r["cluster"] for r in rows)
    rows = [json.loads(line) for line in (tmp_path / "export.dedup.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["a1", "a2"] and rows[0]["cluster"] == rows[1]["cluster"]
    # A record without any id: one line, and no empty output file left behind.
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": "x"}) + "\n")
    proc = run_cli("dedup", str(bad), "--out", str(tmp_path / "bad.out"), check=False)
    one_line_error(proc, 2, "line 1")
    assert not (tmp_path / "bad.out").exists()


def _make_store(data: Path):
    from crawler.datadir import DataDir
    from crawler.store import JobRecord, open_store

    store = open_store(DataDir(data))
    store.start_job(JobRecord(run_id="20260101T000000Z-test", started_at="2026-01-01T00:00:00+00:00"))
    store.close()


def _read_only_cmd(data: Path, args: list[str]) -> list[str]:
    """The command on a read-only view of ``data``: as root (who writes anywhere) inside a private
    mount namespace where ``data`` is bind-mounted read-only (util-linux unshare + mount)."""
    if os.geteuid() != 0:
        for p in [data, *data.rglob("*")]:
            p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        return args
    script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
    return ["unshare", "-m", "sh", "-c", script, str(data), *args]


def test_read_only_data_dir(tmp_path):
    """export, jobs and archive ls/verify work on a snapshot nobody may write to."""
    import subprocess
    import sys

    from conftest import REPO

    data = tmp_path / "data"
    _make_store(data)
    (data / "archive").mkdir()

    def run(*args):
        cmd = _read_only_cmd(data, [sys.executable, "-m", "crawler", *args, "--data-dir", str(data)])
        return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120)

    try:
        probe = run("jobs")
        assert probe.returncode == 0, probe.stderr
        assert "20260101T000000Z-test" in probe.stdout and "crashed" in probe.stdout  # no live holder
        proc = run("export")
        assert proc.returncode == 0, proc.stderr
        proc = run("archive", "ls")
        assert proc.returncode == 0, proc.stderr
        # the read-only view really is read-only
        check = subprocess.run(_read_only_cmd(data, ["touch", str(data / "x")]), capture_output=True, text=True)
        assert check.returncode != 0, "the test could not make the data directory read-only"
    finally:
        for p in [data, *data.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
