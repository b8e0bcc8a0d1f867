"""Crash safety: kill -9 of a writing process, then the next run repairs and ships its files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from crawler.archive.blobstore import LocalBlobStore, open_blobstore
from crawler.commands.archive import verify_file, verify_pointers
from crawler.archive import WarcArchive, check_warc
from services import s3_bucket, s3_uri, seaweedfs  # noqa: F401  (fixtures)

pytestmark = pytest.mark.integration  # crawls or starts servers

ROOT = Path(__file__).resolve().parents[1]

WRITER = textwrap.dedent(
    """
    import json, os, sys, random
    from crawler.archive.blobstore import open_blobstore
    from crawler.archive import WarcArchive
    spool, store_uri, default_dir = sys.argv[1:4]
    store = open_blobstore(store_uri or None, default_dir=default_dir)
    a = WarcArchive(spool, store, run_id="victim", max_file_size=60_000)
    rng = random.Random(1)
    i = 0
    while True:
        body = bytes(rng.getrandbits(8) for _ in range(rng.randint(2000, 9000)))
        url = f"http://www.weserbote.test/a-{i}.html"
        p = a.write_exchange(url=url, status=200, body=body,
                             response_headers=[("Content-Type", "application/octet-stream")])
        # the pointer is only reported after write_exchange returned (= record flushed)
        sys.stdout.write(json.dumps({**p.to_dict(), "url": url}) + "\\n")
        sys.stdout.flush()
        i += 1
    """
)


def _kill_after(tmp_path: Path, store_uri: str, n_pointers: int) -> list[dict]:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "spool"), store_uri, str(tmp_path / "archive")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
    )
    pointers = []
    deadline = time.monotonic() + 60
    try:
        while len(pointers) < n_pointers and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            pointers.append(json.loads(line))
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert len(pointers) == n_pointers, proc.stderr.read()[-3000:]
    return pointers


def _assert_recovered(store, pointers):
    names = [b.name for b in store.list() if b.name.endswith(".warc.gz")]
    assert names
    seen_ids: list[str] = []
    for n in names:
        rep = verify_file(store, n, store.stat(n).size)
        assert rep.ok, (n, rep.errors)
        with store.open(n) as fh:
            chk = check_warc(fh, n)
        seen_ids += list(chk.responses)
    assert len(seen_ids) == len(set(seen_ids)), "a record was duplicated"
    acked = {p["record_id"] for p in pointers}
    assert acked <= set(seen_ids), "an acknowledged record was lost"
    rep = verify_pointers(store, pointers)
    assert rep["errors"] == [] and rep["ok"] == len(pointers)


def test_kill9_then_restart_repairs_and_ships_local(tmp_path):
    pointers = _kill_after(tmp_path, "", 40)
    spool = tmp_path / "spool"
    assert list(spool.glob("*.warc.gz")), "the killed writer left its files in the spool"
    store = LocalBlobStore(tmp_path / "archive")
    a = WarcArchive(spool, store, run_id="after-crash", background_upload=False)
    assert a.recovered and all(c.uploaded for c in a.recovered)
    assert a.pending() == []
    a.close()
    _assert_recovered(store, pointers)


def test_kill9_then_restart_repairs_and_ships_s3(tmp_path, s3_uri):
    pointers = _kill_after(tmp_path, s3_uri, 30)
    store = open_blobstore(s3_uri, default_dir=tmp_path / "unused")
    a = WarcArchive(tmp_path / "spool", store, run_id="after-crash")
    assert a.pending() == []
    a.close()
    _assert_recovered(store, pointers)
    # nothing left behind in the spool, no stray temp/partial objects in the bucket
    assert not list((tmp_path / "spool").iterdir())
    assert all(b.name.endswith((".warc.gz", ".cdxj")) for b in store.list())


def test_shutdown_during_a_store_outage_is_bounded_and_keeps_the_spool(tmp_path):
    """With the store down, close(budget=0) makes no further upload attempt: the files stay in
    the spool (the next run ships them) and close returns."""
    class Down(LocalBlobStore):
        attempts = 0

        def put_file(self, local_path, name):
            Down.attempts += 1
            raise OSError("connection refused")

    a = WarcArchive(tmp_path / "spool", Down(tmp_path / "archive"), run_id="outage",
                    background_upload=False, upload_attempts=1, max_file_size=2000)
    for i in range(4):
        a.write_exchange(url=f"http://x.test/{i}", status=200, body=b"Text " * 400)
    tried = Down.attempts  # each rolled file was tried once while writing
    a.close(budget=0)
    assert Down.attempts == tried  # no retries once the budget is spent
    assert len(a.pending()) == len(a.closed_files) >= 2
    b = WarcArchive(tmp_path / "spool", LocalBlobStore(tmp_path / "archive"), run_id="next",
                    background_upload=False)
    assert b.pending() == [] and len(b.recovered) == len(a.closed_files)
    b.close()


def _crashed_writer(tmp_path, idx=None):
    a = WarcArchive(tmp_path / "spool", LocalBlobStore(tmp_path / "archive"), run_id="crashed",
                    background_upload=False, digest_index=idx)
    p = a.write_exchange(url="http://x.test/seite", status=200, body=b"Seite " * 300)
    return a, p  # never closed: the process "died" with the file open in the spool


def test_repair_never_keeps_a_request_whose_response_was_cut_off(tmp_path):
    import gzip as _gzip

    a, _ = _crashed_writer(tmp_path)
    path = a.spool_dir / a.current_file
    req = _gzip.compress(b"WARC/1.1\r\nWARC-Type: request\r\nContent-Length: 0\r\n\r\n\r\n\r\n")
    resp = _gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\n" + b"x" * 4000)
    with open(path, "ab") as fh:  # a complete request member, then its response cut off
        fh.write(req + resp[: len(resp) // 2])
    b = WarcArchive(tmp_path / "spool", LocalBlobStore(tmp_path / "archive"), run_id="next",
                    background_upload=False)
    [rec] = b.recovered
    chk = check_warc(tmp_path / "archive" / rec.name)
    assert chk.ok, chk.errors  # no orphan request record
    assert chk.by_type == {"warcinfo": 1, "request": 1, "response": 1}
    b.close()


def test_pages_fetched_again_after_a_crash_are_revisits_of_the_crashed_runs_records(tmp_path):
    from crawler.archive import SqliteDigestIndex

    idx = SqliteDigestIndex(tmp_path / "digests.sqlite")
    a, original = _crashed_writer(tmp_path, idx)
    b = WarcArchive(tmp_path / "spool", LocalBlobStore(tmp_path / "archive"), run_id="next",
                    background_upload=False, digest_index=idx)
    assert [r.name for r in b.recovered] == [original.warc_file]
    p = b.write_exchange(url="http://x.test/seite", status=200, body=b"Seite " * 300)
    assert p.refers_to and p.refers_to["record_id"] == original.record_id
    assert p.refers_to["warc_file"] == original.warc_file
    b.close()
    idx.close()
