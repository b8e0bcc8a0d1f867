"""``crawler archive ls`` / ``crawler archive verify`` (command module driven through argparse)."""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

from crawler.archive.blobstore import LocalBlobStore, open_blobstore
from crawler.commands import archive as cmd
from crawler.datadir import DataDir
from crawler.archive import WarcArchive, cdxj_name
from services import s3_bucket, s3_uri, seaweedfs  # noqa: F401  (fixtures)


def _parse(argv, data_dir: Path):
    p = argparse.ArgumentParser(prog="crawler")
    sub = p.add_subparsers(dest="command", required=True)
    cmd.register(sub)
    args = p.parse_args(argv)
    args.data_dir = DataDir(data_dir)
    return args


def _run(argv, data_dir, capsys):
    args = _parse(argv, data_dir)
    rc = args.func(args)
    return rc, capsys.readouterr().out


def _fill(data_dir: Path, store, n=6, max_size=4000):
    a = WarcArchive(DataDir(data_dir).warc_spool, store, run_id="cli", max_file_size=max_size,
                    background_upload=False)
    ptrs = []
    for i in range(n):
        url = f"http://www.weserbote.test/a-{i}.html"
        body = gzip.compress((f"<p>Artikel {i} " + "Text " * 200 + "</p>").encode())
        p = a.write_exchange(url=url, status=200, body=body,
                             response_headers=[("Content-Encoding", "gzip"), ("Content-Type", "text/html")])
        ptrs.append({**p.to_dict(), "url": url})
    return a.close(), ptrs


def test_ls_and_verify_local(tmp_path, capsys):
    store = LocalBlobStore(DataDir(tmp_path).archive_dir)
    closed, ptrs = _fill(tmp_path, store)
    rc, out = _run(["archive", "ls", "--json"], tmp_path, capsys)
    assert rc == 0
    data = json.loads(out)
    assert [f["name"] for f in data["files"]] == sorted(c.name for c in closed)
    assert [f["records"] for f in data["files"]] == [c.records for c in sorted(closed, key=lambda c: c.name)]
    assert all(f["cdxj"] and f["complete"] for f in data["files"])

    rc, out = _run(["archive", "verify"], tmp_path, capsys)
    assert rc == 0, out
    assert "all OK" in out
    rc, out = _run(["archive", "verify", "--file", closed[0].name, "--json"], tmp_path, capsys)
    assert rc == 0 and len(json.loads(out)["files"]) == 1
    rc, out = _run(["archive", "verify", "--since", "2999-01-01T00:00:00Z", "--json"], tmp_path, capsys)
    assert rc == 0 and json.loads(out)["files"] == []
    rc, out = _run(["archive", "verify", "--file", "nope.warc.gz"], tmp_path, capsys)
    assert rc == 1

    rep = cmd.verify_pointers(store, ptrs)
    assert rep == {"checked": len(ptrs), "ok": len(ptrs), "revisits": 0, "errors": []}
    bad = dict(ptrs[0], offset=ptrs[0]["offset"] + 1)
    wrong_url = dict(ptrs[1], url="http://elsewhere.test/")
    rep = cmd.verify_pointers(store, [bad, wrong_url])
    assert rep["ok"] == 0 and len(rep["errors"]) == 2


def test_verify_detects_bad_cdxj_and_corrupt_record(tmp_path, capsys):
    store = LocalBlobStore(DataDir(tmp_path).archive_dir)
    closed, ptrs = _fill(tmp_path, store, n=2, max_size=10**9)
    name = closed[0].name
    idx = store.root / cdxj_name(name)
    idx.write_text(idx.read_text().replace('"200"', '"404"', 1))
    rc, out = _run(["archive", "verify"], tmp_path, capsys)
    assert rc == 1 and "CDXJ" in out and "differs" in out
    idx.unlink()
    rc, out = _run(["archive", "verify"], tmp_path, capsys)
    assert rc == 1 and "missing" in out
    # restore the index, then cut the file in the middle of its last record
    from crawler.archive import cdxj_for

    path = store.root / name
    idx.write_text(cdxj_for(path))
    assert _run(["archive", "verify"], tmp_path, capsys)[0] == 0
    path.write_bytes(path.read_bytes()[:-40])
    rc, out = _run(["archive", "verify"], tmp_path, capsys)
    assert rc == 1 and "FAIL" in out


def test_verify_s3_store(tmp_path, capsys, s3_uri):
    store = open_blobstore(s3_uri, default_dir=tmp_path / "unused")
    closed, ptrs = _fill(tmp_path, store)
    rc, out = _run(["archive", "verify", "--store", s3_uri], tmp_path, capsys)
    assert rc == 0, out
    assert f"{len(closed)} file(s)" in out
    rc, out = _run(["archive", "ls", "--store", s3_uri], tmp_path, capsys)
    assert rc == 0 and all(c.name in out for c in closed)
    assert cmd.verify_pointers(store, ptrs)["ok"] == len(ptrs)


def test_file_time_and_since():
    t = cmd.file_time("crawl-20261123101112345-00001-host-12.warc.gz")
    assert t.isoformat() == "2026-11-23T10:11:12.345000+00:00"
    assert cmd.parse_since("2026-11-23T10:00:00").tzinfo is not None
