"""WarcArchive: real warcio reads, warcio check, cdxj-indexer, local and SeaweedFS stores."""

from __future__ import annotations

import gzip
import hashlib
import base64
import io
import subprocess
import sys
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.archive.blobstore import LocalBlobStore, S3BlobStore, open_blobstore
from crawler.archive import (
    HTTP_CAPTURE_NOTES,
    MemoryDigestIndex,
    WarcArchive,
    WarcPointer,
    cdxj_for,
    cdxj_for_stream,
    cdxj_name,
    check_warc,
    repair_warc_gz,
    scan_gzip_members,
)
from services import s3_bucket, s3_uri, seaweedfs  # noqa: F401  (fixtures)

WARCIO = str(Path(sys.executable).parent / "warcio")


def _sha1_b32(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def _page(i: int) -> bytes:
    return (
        f"<html><head><title>Artikel {i}</title></head><body><p>Bürgermeister "
        f"äußert sich zur Haushaltslage Nummer {i}. </p>" + "Lorem ipsum dolor " * 50
        + "</body></html>"
    ).encode("utf-8")


def _write_some(archive: WarcArchive, n: int = 5, start: int = 0) -> list[tuple[WarcPointer, bytes, str]]:
    out = []
    for i in range(start, start + n):
        url = f"http://www.weserbote.test/politik/artikel-{i}.html"
        raw = _page(i)
        gz = i % 2 == 0
        body = gzip.compress(raw) if gz else raw
        hdrs = [("Content-Type", "text/html; charset=utf-8"), ("Date", "Mon, 23 Nov 2026 10:00:00 GMT")]
        if gz:
            hdrs += [("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")]
        else:
            hdrs.append(("Content-Length", str(len(body))))
        ptr = archive.write_exchange(
            url=url,
            request_headers={b"User-Agent": [b"NewsCrawler/0.1"], b"Accept-Encoding": [b"gzip, deflate"]},
            status=200,
            response_headers=hdrs,
            body=body,
            ip_address="127.0.0.1",
        )
        out.append((ptr, raw, url))
    return out


def _archive(tmp_path: Path, store=None, **kw) -> WarcArchive:
    store = store or LocalBlobStore(tmp_path / "archive")
    kw.setdefault("warcinfo", {"operator": "ops@example.org", "robots": "obey", "sources-digest": "sha256:abc"})
    return WarcArchive(tmp_path / "spool", store, run_id="run-1", background_upload=False, **kw)


def test_pointer_is_flushed_and_readable_before_close(tmp_path):
    a = _archive(tmp_path)
    [(ptr, raw, url)] = _write_some(a, 1, start=1)
    # the record is on disk (flushed) while the file is still open
    data = (tmp_path / "spool" / ptr.warc_file).read_bytes()[ptr.offset : ptr.offset + ptr.length]
    rec = next(iter(ArchiveIterator(io.BytesIO(data))))
    assert rec.rec_type == "response"
    assert rec.rec_headers.get_header("WARC-Record-ID") == ptr.record_id
    assert rec.content_stream().read() == raw
    assert ptr.payload_digest == _sha1_b32(raw)
    a.close()


def test_files_pass_warcio_check_cdxj_and_pairing(tmp_path):
    a = _archive(tmp_path, max_file_size=4000)  # force several files
    written = _write_some(a, 12)
    meta = a.write_metadata(written[0][2], {"via": "http://www.weserbote.test/rss.xml",
                                            "outlink": ["http://a.test/", "http://b.test/"]},
                            concurrent_to=written[0][0].record_id)
    closed = a.close()
    assert len(closed) >= 3 and all(c.uploaded for c in closed)
    assert not list((tmp_path / "spool").iterdir()), "spool must be empty after upload"
    store = LocalBlobStore(tmp_path / "archive")
    names = [b.name for b in store.list()]
    assert sorted(names) == sorted([c.name for c in closed] + [cdxj_name(c.name) for c in closed])
    for c in closed:
        assert c.name.startswith("crawl-") and c.name.endswith(".warc.gz")
        parts = c.name[: -len(".warc.gz")].split("-")
        assert len(parts) == 5 and len(parts[1]) == 17 and parts[2].isdigit()
        path = tmp_path / "archive" / c.name
        r = subprocess.run([WARCIO, "check", "-v", str(path)], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "digest pass" in r.stdout
        chk = check_warc(path)
        assert chk.ok, chk.errors
        assert chk.by_type["warcinfo"] == 1
        assert (tmp_path / "archive" / cdxj_name(c.name)).read_text() == cdxj_for(path)
    # every pointer resolves to its response, decoded payload == served page
    for ptr, raw, url in written:
        rec = next(iter(ArchiveIterator(io.BytesIO(store.read_range(ptr.warc_file, ptr.offset, ptr.length)))))
        assert rec.rec_headers.get_header("WARC-Target-URI") == url
        assert rec.content_stream().read() == raw
    rec = next(iter(ArchiveIterator(io.BytesIO(store.read_range(meta.warc_file, meta.offset, meta.length)))))
    assert rec.rec_type == "metadata"
    assert b"outlink: http://b.test/" in rec.content_stream().read()


def test_warcinfo_and_dechunked_headers(tmp_path):
    a = _archive(tmp_path)
    [(ptr, raw, url)] = _write_some(a, 1)  # i=0: gzip + chunked
    closed = a.close()
    with open(tmp_path / "archive" / closed[0].name, "rb") as fh:
        recs = list(ArchiveIterator(fh))
    info = recs[0]
    assert info.rec_type == "warcinfo"
    # (content was consumed by list(); re-read the file for the warcinfo body)
    with open(tmp_path / "archive" / closed[0].name, "rb") as fh:
        it = iter(ArchiveIterator(fh))
        text = next(it).content_stream().read().decode()
        req = next(it)
        assert req.rec_type == "request"
        assert req.http_headers.protocol == "GET"
        assert req.http_headers.get_header("Host") == "www.weserbote.test"
        req_id = req.rec_headers.get_header("WARC-Concurrent-To")
        resp = next(it)
        assert resp.rec_headers.get_header("WARC-Record-ID") == req_id == ptr.record_id
        assert resp.rec_headers.get_header("WARC-IP-Address") == "127.0.0.1"
        h = resp.http_headers
        assert h.get_header("Transfer-Encoding") is None
        assert h.get_header("X-Crawler-Orig-Transfer-Encoding") == "chunked"
        assert h.get_header("Content-Encoding") == "gzip"
        stored = resp.raw_stream.read()
        assert int(h.get_header("Content-Length")) == len(stored)
        assert gzip.decompress(stored) == raw  # still content-encoded as received
    for key in ("software: newscrawler/", "run-id: run-1", "operator: ops@example.org",
                "robots: obey", "sources-digest: sha256:abc", "http-capture-notes: "):
        assert key in text
    assert HTTP_CAPTURE_NOTES in text


def test_check_warc_detects_corruption(tmp_path):
    a = _archive(tmp_path)
    [(ptr, raw, url)] = _write_some(a, 1, start=1)
    a.close()
    path = tmp_path / "archive" / ptr.warc_file
    data = path.read_bytes()
    rec = gzip.decompress(data[ptr.offset : ptr.offset + ptr.length])
    bad = rec.replace(b"Lorem", b"Lorum", 1)
    assert bad != rec
    c = gzip.compress(bad)
    path.write_bytes(data[: ptr.offset] + c + data[ptr.offset + ptr.length :])
    chk = check_warc(path)
    assert not chk.ok and any("digest" in e for e in chk.errors)
    r = subprocess.run([WARCIO, "check", str(path)], capture_output=True, text=True)
    assert r.returncode != 0


def test_repair_half_written_file_and_ship_leftovers(tmp_path):
    a = _archive(tmp_path)
    written = _write_some(a, 4)
    name = a.current_file
    spool_file = tmp_path / "spool" / name
    # simulate kill -9: no close(); the last record half-written
    a._open.fh.write(gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\n" + b"x" * 500)[:-30])
    a._open.fh.flush()
    full = spool_file.stat().st_size
    end, n = scan_gzip_members(spool_file)
    assert n == 1 + 2 * 4 and end < full
    # a second run on the same spool repairs and ships the leftover first
    b = WarcArchive(tmp_path / "spool", LocalBlobStore(tmp_path / "archive"), run_id="run-2",
                    background_upload=False)
    assert [c.name for c in b.recovered] == [name]
    assert b.recovered[0].uploaded
    assert b.pending() == []
    stored = tmp_path / "archive" / name
    assert stored.stat().st_size == end
    chk = check_warc(stored)
    assert chk.ok, chk.errors
    assert chk.by_type == {"warcinfo": 1, "request": 4, "response": 4}
    assert (tmp_path / "archive" / cdxj_name(name)).read_text() == cdxj_for(stored)
    for ptr, raw, url in written:
        assert ptr.warc_file == name
    assert b.close() == []


def test_repair_removes_file_without_complete_record(tmp_path):
    p = tmp_path / "x.warc.gz"
    p.write_bytes(gzip.compress(b"WARC/1.1\r\n" * 100)[:20])
    assert repair_warc_gz(p) == (20, 0)
    assert not p.exists()


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_revisit_seam(tmp_path, kind):
    from crawler.archive import SqliteDigestIndex

    idx = MemoryDigestIndex() if kind == "memory" else SqliteDigestIndex(tmp_path / "d.sqlite")
    a = _archive(tmp_path, digest_index=idx)
    [(p1, raw, url)] = _write_some(a, 1, start=1)
    p2 = a.write_exchange(url=url, status=200, response_headers=[("Content-Type", "text/html")],
                          body=raw)
    assert {k: p2.refers_to[k] for k in p1.to_dict()} == p1.to_dict()
    assert p2.refers_to["url"] == url and p2.refers_to["warc_date"]
    assert p2.payload_digest == p1.payload_digest
    closed = a.close()
    path = tmp_path / "archive" / closed[0].name
    assert check_warc(path).ok
    assert subprocess.run([WARCIO, "check", str(path)]).returncode == 0
    assert p2.length < 1000
    with open(path, "rb") as fh:
        recs = [r for r in ArchiveIterator(fh) if r.rec_type == "revisit"]
    assert len(recs) == 1
    h = recs[0].rec_headers
    assert h.get_header("WARC-Refers-To") == p1.record_id
    assert h.get_header("WARC-Refers-To-Target-URI") == url
    assert h.get_header("WARC-Profile").endswith("/revisit/identical-payload-digest")


def test_s3_archive_upload_listing_range_read(s3_uri, tmp_path):
    store = open_blobstore(s3_uri, default_dir=tmp_path / "unused")
    a = WarcArchive(tmp_path / "spool", store, run_id="run-s3", max_file_size=5000,
                    warcinfo={"operator": "ops@example.org"})
    written = _write_some(a, 10)
    closed = a.close()
    assert closed and all(c.uploaded for c in closed), [c.error for c in closed]
    assert not list((tmp_path / "spool").glob("*.warc.gz"))
    listed = {b.name: b.size for b in store.list()}
    for c in closed:
        assert listed[c.name] == c.size
        assert cdxj_name(c.name) in listed
        with store.open(c.name) as fh:
            chk = check_warc(fh, c.name)
        assert chk.ok, chk.errors
        with store.open(c.name) as fh:
            assert cdxj_for_stream(fh, c.name) == store.read_bytes(cdxj_name(c.name)).decode()
    # range read of one record by its offset, straight from the bucket
    ptr, raw, url = written[7]
    data = store.read_range(ptr.warc_file, ptr.offset, ptr.length)
    rec = next(iter(ArchiveIterator(io.BytesIO(data))))
    assert rec.rec_headers.get_header("WARC-Record-ID") == ptr.record_id
    assert rec.rec_headers.get_header("WARC-Target-URI") == url
    assert rec.content_stream().read() == raw


def test_s3_outage_keeps_files_in_spool_then_next_run_ships(seaweedfs, s3_bucket, tmp_path):
    """Server stopped mid-crawl: files stay in the spool; the next run uploads them first."""
    store = S3BlobStore(s3_bucket, "warc", endpoint_url=seaweedfs.endpoint_url,
                        max_attempts=1, connect_timeout=1, read_timeout=2)
    a = WarcArchive(tmp_path / "spool", store, run_id="r1", max_file_size=3000,
                    upload_attempts=2, upload_backoff=0.05)
    first = _write_some(a, 3)
    seaweedfs.stop(kill=True)
    try:
        second = _write_some(a, 3, start=3)
        closed = a.close(final_attempts=1)
        assert closed and not all(c.uploaded for c in closed)
        left = a.pending()
        assert left
    finally:
        seaweedfs.start()
    b = WarcArchive(tmp_path / "spool", S3BlobStore(s3_bucket, "warc", endpoint_url=seaweedfs.endpoint_url),
                    run_id="r2")
    assert {c.name for c in b.recovered} >= set(left)
    assert b.pending() == []
    b.close()
    names = {x.name for x in store.list()}
    uris = []
    for n in sorted(names):
        if n.endswith(".warc.gz"):
            with store.open(n) as fh:
                chk = check_warc(fh, n)
            assert chk.ok, chk.errors
            uris += [u for (u, *_r) in chk.responses.values()]
    # every exchange arrived exactly once
    assert sorted(uris) == sorted(u for _, _, u in first + second)


def test_metadata_record_stays_beside_its_response_across_a_rollover(tmp_path):
    a = _archive(tmp_path, max_file_size=500)  # every exchange fills a file
    p1 = a.write_exchange(url="http://x.test/1", status=200, body=_page(1))
    p2 = a.write_exchange(url="http://x.test/2", status=200, body=_page(2))  # rolls file 1
    assert p2.warc_file != p1.warc_file
    m1 = a.write_metadata("http://x.test/1", {"via": "http://x.test/"}, concurrent_to=p1.record_id)
    m2 = a.write_metadata("http://x.test/2", {"via": "http://x.test/"}, concurrent_to=p2.record_id)
    assert (m1.warc_file, m2.warc_file) == (p1.warc_file, p2.warc_file)
    files = a.close()
    assert [f.name for f in files] == [p1.warc_file, p2.warc_file]
    for f in files:
        chk = check_warc(tmp_path / "archive" / f.name)
        assert chk.ok and chk.by_type.get("metadata") == 1, chk.errors


def test_files_roll_by_age_also_when_idle(tmp_path):
    a = _archive(tmp_path, max_file_age=1e-9, drain_seconds=0)
    p1 = a.write_exchange(url="http://x.test/1", status=200, body=_page(1))
    a.tick()  # idle: the file is due, rolled and (no grace period) closed and shipped
    a.tick()
    assert a.current_file is None and [f.name for f in a.closed_files] == [p1.warc_file]
    assert (tmp_path / "archive" / p1.warc_file).exists()
    p2 = a.write_exchange(url="http://x.test/2", status=200, body=_page(2))
    assert p2.warc_file != p1.warc_file
    a.close()


def test_every_record_names_the_warcinfo_of_its_file(tmp_path):
    a = _archive(tmp_path)
    p = a.write_exchange(url="http://x.test/1", status=200, body=_page(1))
    a.write_metadata("http://x.test/1", {"via": "feed"}, concurrent_to=p.record_id)
    [f] = a.close()
    with open(tmp_path / "archive" / f.name, "rb") as fh:
        recs = [r.rec_headers for r in ArchiveIterator(fh)]
    info = recs[0].get_header("WARC-Record-ID")
    assert recs[0].get_header("WARC-Type") == "warcinfo"
    assert all(h.get_header("WARC-Warcinfo-ID") == info for h in recs[1:]) and len(recs) == 4
