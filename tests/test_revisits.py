"""Revisit records (identical-payload-digest): on by default, small, pointing only at records
that exist, resolvable by article pointers, `crawler archive verify`, cdxj-indexer and pywb."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import subprocess
import sys
import tomllib
import urllib.request
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from conftest import run_cli
from crawler.archive.blobstore import LocalBlobStore
from crawler.archive import (
    MemoryDigestIndex,
    RedisDigestIndex,
    SqliteDigestIndex,
    WarcArchive,
    cdxj_for,
    cdxj_name,
    check_warc,
    open_digest_index,
    resolve_pointer,
    verify_pointers,
)
from services import Pywb
from test_crawl_demo import crawl

WARCIO = str(Path(sys.executable).parent / "warcio")
URL = "http://www.weserbote.test/politik/stadtrat-beschliesst-haushalt-101.html"
PAGE = (
    "<!DOCTYPE html><html lang=\"de\"><head><meta charset=\"utf-8\"><title>Stadtrat beschließt "
    "Haushalt</title></head><body><article><h1>Stadtrat beschließt Haushalt</h1><p>Herford. Der "
    "Stadtrat hat am Donnerstagabend den Haushalt für 2027 beschlossen.</p>"
    + "<p>Die Fraktionen stritten lange über die Kreisumlage und die Schulsanierung.</p>" * 40
    + "</article></body></html>"
).encode("utf-8")
HEADERS = [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip"),
           ("Transfer-Encoding", "chunked"), ("Server", "nginx"), ("Cache-Control", "max-age=60")]
REQ = [("User-Agent", "NewsCrawler/0.1 (+https://example.org/bot)"), ("Accept-Encoding", "gzip, br"),
       ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")]


def _archive(root: Path, idx, *, store=None, worker="w1", **kw) -> WarcArchive:
    return WarcArchive(root / f"spool-{worker}", store or LocalBlobStore(root / "archive"),
                       run_id=f"run-{worker}", worker_id=worker, background_upload=False,
                       digest_index=idx, **kw)


def _write(a: WarcArchive, url: str = URL, body: bytes = PAGE):
    return a.write_exchange(url=url, status=200, body=gzip.compress(body, mtime=0),
                            request_headers=REQ, response_headers=HEADERS)


def _revisits(path: Path) -> list:
    with open(path, "rb") as fh:
        return [(r.rec_type, dict(r.rec_headers.headers)) for r in ArchiveIterator(fh)
                if r.rec_type == "revisit"]


# -- the archive ---------------------------------------------------------------------------------
def test_originals_reach_the_shared_index_only_once_uploaded(tmp_path):
    idx = SqliteDigestIndex(tmp_path / "d.sqlite")
    a = _archive(tmp_path, idx)
    p1 = _write(a)
    digest = p1.payload_digest
    assert idx.lookup(digest, URL) is None  # only spooled: not yet for other crawlers
    p2 = _write(a)  # ... but this run (which knows it is spooled + flushed) uses it
    assert p2.refers_to["record_id"] == p1.record_id
    [closed] = a.close()
    assert closed.uploaded
    target = idx.lookup(digest, URL)
    assert target.pointer == p1 and target.url == URL
    # next run: revisit of the uploaded original, through the SQLite index
    b = _archive(tmp_path, idx, worker="w2")
    p3 = _write(b)
    assert p3.refers_to["record_id"] == p1.record_id and p3.refers_to["warc_file"] == closed.name
    assert p3.length < 1000
    b.close()
    store = LocalBlobStore(tmp_path / "archive")
    report = verify_pointers(store, [p1, p2, p3])
    assert report == {"checked": 3, "ok": 3, "revisits": 2, "errors": []}
    res = resolve_pointer(store, p3, url=URL)
    assert res.record_type == "revisit" and res.body == PAGE and res.body_pointer["record_id"] == p1.record_id
    for f in (tmp_path / "archive").glob("*.warc.gz"):
        assert check_warc(f).ok
        assert subprocess.run([WARCIO, "check", str(f)]).returncode == 0
    idx.close()


def test_same_payload_at_another_url_is_a_full_response(tmp_path):
    a = _archive(tmp_path, MemoryDigestIndex())
    p1 = _write(a)
    p2 = _write(a, url=URL.replace("101", "102"))
    p3 = _write(a, body=PAGE + b" ")
    assert p1.refers_to is None and p2.refers_to is None and p3.refers_to is None
    a.close()


def test_a_lost_original_is_never_referred_to(tmp_path):
    idx = SqliteDigestIndex(tmp_path / "d.sqlite")
    a = _archive(tmp_path, idx)
    p1 = _write(a)
    [closed] = a.close()
    (tmp_path / "archive" / closed.name).unlink()  # the original's file is lost
    b = _archive(tmp_path, idx, worker="w2")
    p2 = _write(b)
    assert p2.refers_to is None, "revisit of a record that does not exist"
    assert b.revisit_targets_missing == 1
    b.close()
    # the new full response is the original from now on
    assert idx.lookup(p1.payload_digest, URL).pointer == p2
    c = _archive(tmp_path, idx, worker="w3")
    p3 = _write(c)
    c.close()
    assert p3.refers_to["record_id"] == p2.record_id
    assert verify_pointers(LocalBlobStore(tmp_path / "archive"), [p2, p3])["ok"] == 2
    # a truncated file cannot hold the record either
    name = p2.warc_file
    path = tmp_path / "archive" / name
    path.write_bytes(path.read_bytes()[: p2.offset + 10])
    d = _archive(tmp_path, idx, worker="w4")
    assert _write(d).refers_to is None
    d.close()


def test_index_in_another_store_gives_full_responses(tmp_path):
    idx = MemoryDigestIndex()
    a = _archive(tmp_path, idx)
    _write(a)
    a.close()
    other = _archive(tmp_path, idx, store=LocalBlobStore(tmp_path / "other"), worker="w2")
    assert _write(other).refers_to is None
    other.close()


def test_shared_index_outage_gives_full_responses_and_loses_nothing(tmp_path, redis_server):
    """The real redis-server stops between two crawls' writes: the archive writes full
    responses meanwhile (more bytes, no record lost) and uses the index again once it is back."""
    store = LocalBlobStore(tmp_path / "archive")
    idx = open_digest_index(redis_server.url, default_path=tmp_path / "unused", namespace=store.uri)
    a = _archive(tmp_path, idx, store=store)
    p1 = _write(a)
    a.close()
    redis_server.stop()
    down = _archive(tmp_path, idx, store=store, worker="w2")
    p2 = _write(down)
    assert p2.refers_to is None  # the index is unreachable: a full response, not a revisit
    down.close()
    assert verify_pointers(store, [p1, p2])["ok"] == 2
    redis_server.start()  # back, empty (no persistence): the next original is published again
    back = _archive(tmp_path, idx, store=store, worker="w3")
    p3 = _write(back)
    back.close()
    later = _archive(tmp_path, idx, store=store, worker="w4")
    p4 = _write(later)
    later.close()
    assert p4.refers_to and p4.refers_to["record_id"] == p3.record_id
    assert verify_pointers(store, [p1, p2, p3, p4])["ok"] == 4
    idx.close()


class _StoreDown(LocalBlobStore):
    """The store answers no existence check (an S3 outage), counting the checks asked."""

    stats_asked = 0

    def stat(self, name):
        self.stats_asked += 1
        raise OSError("connection refused")


def test_store_outage_is_asked_once_per_file_and_keeps_the_index_entry(tmp_path):
    """While the store cannot say whether an original's file exists, the exchanges are written
    in full, the store is asked once for that file (not once per exchange: during a crawl each
    question blocks the archive thread) and the index entry stays for when the store is back."""
    idx = MemoryDigestIndex()
    store = LocalBlobStore(tmp_path / "archive")
    urls = [URL.replace("101", str(n)) for n in range(3)]  # three originals in one file
    a = _archive(tmp_path, idx, store=store)
    originals = [_write(a, url) for url in urls]
    a.close()
    down = _archive(tmp_path, idx, store=_StoreDown(tmp_path / "archive"), worker="w2")
    written = [_write(down, url) for url in urls]
    assert all(p.refers_to is None for p in written) and down.revisit_targets_missing == 0
    assert down.revisits.store.stats_asked == 1
    down.close()
    back = _archive(tmp_path, idx, store=store, worker="w3")
    again = _write(back, urls[0])
    back.close()
    assert again.refers_to and again.refers_to["record_id"] == originals[0].record_id
    idx.close()


def test_verify_pointer_reports_a_revisit_without_its_original(tmp_path):
    a = _archive(tmp_path, MemoryDigestIndex())
    p1 = _write(a)
    p2 = _write(a)
    a.close()
    store = LocalBlobStore(tmp_path / "archive")
    broken = {**p2.to_dict(), "refers_to": {**p2.refers_to, "offset": p2.offset, "length": p2.length}}
    rep = verify_pointers(store, [p2.to_dict(), broken, {**p2.to_dict(), "refers_to": None}])
    assert rep["ok"] == 1 and len(rep["errors"]) == 2, rep
    assert "not a response" in rep["errors"][0] and "no refers_to" in rep["errors"][1]
    assert p1.refers_to is None


def test_default_index_is_sqlite_in_the_data_dir(tmp_path):
    idx = open_digest_index(None, default_path=tmp_path / "warc-digests.sqlite", namespace="x")
    assert isinstance(idx, SqliteDigestIndex) and idx.path == tmp_path / "warc-digests.sqlite"
    idx.close()
    from scrapy.settings import Settings

    import settings as project_settings

    s = Settings()
    s.setmodule(project_settings)
    assert s.getbool("CRAWLER_WARC_REVISITS") is True


# -- Redis: several crawlers sharing a store ---------------------------------------------------
def test_redis_digest_index_shared_by_two_crawlers(tmp_path, redis_url):
    store = LocalBlobStore(tmp_path / "archive")
    idx_a = open_digest_index(redis_url, default_path=tmp_path / "unused", namespace=store.uri)
    idx_b = open_digest_index(redis_url, default_path=tmp_path / "unused", namespace=store.uri)
    assert isinstance(idx_a, RedisDigestIndex)
    a = _archive(tmp_path, idx_a, store=store, worker="a")
    p1 = _write(a)
    b = _archive(tmp_path, idx_b, store=store, worker="b")
    assert _write(b).refers_to is None  # a's record is not uploaded yet: b must not use it
    a.close()
    b.close()  # b's full response: a second original, the index keeps the first
    c = _archive(tmp_path, idx_b, store=store, worker="c")
    p3 = _write(c)
    c.close()
    assert p3.refers_to["record_id"] == p1.record_id and p3.length < 1000
    assert verify_pointers(store, [p1, p3])["ok"] == 2
    # another store through the same Redis: its own namespace
    other = LocalBlobStore(tmp_path / "other")
    idx_o = open_digest_index(redis_url, default_path=tmp_path / "unused", namespace=other.uri)
    o = _archive(tmp_path, idx_o, store=other, worker="o")
    assert _write(o).refers_to is None
    o.close()
    # a lost original is dropped from Redis too
    (tmp_path / "archive" / p1.warc_file).unlink()
    d = _archive(tmp_path, idx_a, store=store, worker="d")
    assert _write(d).refers_to is None and d.revisit_targets_missing == 1
    d.close()
    for i in (idx_a, idx_b, idx_o):
        i.close()


# -- pywb ----------------------------------------------------------------------------------------
@pytest.mark.integration  # pywb
def test_pywb_replays_a_url_whose_latest_capture_is_a_revisit(tmp_path):
    idx = SqliteDigestIndex(tmp_path / "d.sqlite")
    first = _archive(tmp_path, idx, worker="one")
    _write(first)
    first.close()
    second = _archive(tmp_path, idx, worker="two")
    p = _write(second)
    [closed] = second.close()
    assert p.refers_to and _revisits(tmp_path / "archive" / closed.name)
    warcs = sorted((tmp_path / "archive").glob("*.warc.gz"))
    try:
        server = Pywb(warcs, tmp_path / "pywb").start()
    except Exception as exc:
        pytest.fail(f"pywb not available: {exc}", pytrace=False)
    try:
        ts = "".join(ch for ch in p.refers_to["warc_date"] if ch.isdigit())[:14]
        for path in (f"id_/{URL}", f"2100id_/{URL}"):  # latest capture = the revisit
            req = urllib.request.Request(f"{server.url}/{server.coll}/{path}",
                                         headers={"Accept-Encoding": "identity"})
            with urllib.request.urlopen(req, timeout=20) as r:
                body = r.read()
                if r.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                assert r.status == 200
                memento = r.headers.get("Memento-Datetime")
            assert body == PAGE, path
        assert memento and ts  # replayed from the revisit's capture, body from the original
        with urllib.request.urlopen(f"{server.url}/{server.coll}/cdx?url={URL}&output=json",
                                    timeout=20) as r:
            rows = [json.loads(line) for line in r.read().decode().splitlines() if line.strip()]
        assert [row.get("mime") for row in rows][-1] == "warc/revisit", rows
    finally:
        server.stop()
    idx.close()


# -- a recrawl of the demo portals -------------------------------------------------------------
@pytest.fixture(scope="module")
def recrawl(portals, tmp_path_factory):
    portals.set_edition(1)
    data = tmp_path_factory.mktemp("revisit") / "data"
    first = crawl(portals, data)
    files_first = set(first.warc_files())
    second = crawl(portals, data)
    return first, second, sorted(set(second.warc_files()) - files_first)


def _members(path: Path):
    """(record type, URI, gzip member length, headers) of each record of a file."""
    out = []
    with open(path, "rb") as fh:
        it = ArchiveIterator(fh)
        for rec in it:
            rec.raw_stream.read()
            out.append((rec.rec_type, rec.rec_headers.get_header("WARC-Target-URI"),
                        it.get_record_offset(), it.get_record_length(), rec))
    return out


def test_recrawl_writes_small_revisits_for_unchanged_feeds_sitemaps_and_sections(recrawl, portals):
    first, second, new_files = recrawl
    assert new_files
    cfg = tomllib.loads(portals.sources_toml())
    unchanged = {u for p in cfg["portal"] for k in ("feeds", "sitemaps", "start_pages") for u in p.get(k, [])}
    assert unchanged
    served = {e["url"] for e in second.log if e["method"] == "GET" and e["status"] == 200}
    revisit_uris, sizes = set(), []
    for path in new_files:
        for rtype, uri, _off, length, rec in _members(path):
            if rtype == "revisit":
                revisit_uris.add(uri)
                sizes.append(length)
                h = rec.rec_headers
                assert h.get_header("WARC-Profile").endswith("/revisit/identical-payload-digest")
                assert h.get_header("WARC-Refers-To") and h.get_header("WARC-Refers-To-Date")
                assert h.get_header("WARC-Refers-To-Target-URI") == uri
            elif rtype == "response":
                assert uri not in unchanged & served, f"{uri} unchanged but archived in full"
    fetched_unchanged = unchanged & served
    assert fetched_unchanged and fetched_unchanged <= revisit_uris, sorted(fetched_unchanged - revisit_uris)
    assert max(sizes) < 1024, sizes  # "a few hundred bytes"
    print(f"\nrevisit records: {len(sizes)}, gzip member bytes min {min(sizes)} / "
          f"mean {sum(sizes) / len(sizes):.0f} / max {max(sizes)}")
    assert second.proc.returncode == 0
    jobs = [json.loads(line) for line in
            run_cli("jobs", "--json", "--data-dir", str(second.data_dir)).stdout.splitlines()]
    counts = sorted((j["started_at"], j["stats"].get("warc/revisits")) for j in jobs)
    assert [c for _, c in counts] == [0, len(sizes)]  # the first crawl has none


def test_recrawl_archive_passes_warcio_cdxj_indexer_and_verify(recrawl):
    first, second, new_files = recrawl
    files = second.warc_files()
    r = subprocess.run([WARCIO, "check", *map(str, files)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    for path in new_files:
        sidecar = path.with_name(cdxj_name(path.name)).read_text()
        assert sidecar == cdxj_for(path)
        lines = [json.loads(line.split(" ", 2)[2]) for line in sidecar.splitlines()]
        assert any(entry.get("mime") == "warc/revisit" for entry in lines)
    r = run_cli("archive", "verify", "--data-dir", str(second.data_dir), check=False)
    assert r.returncode == 0 and "all OK" in r.stdout, r.stdout + r.stderr


def test_article_pointers_of_revisits_reach_the_served_body(recrawl, portals, tmp_path):
    """Articles fetched again with an unchanged payload (here: a fresh article store beside the
    old archive and digest index) point at revisit records whose refers_to holds the body."""
    first, _second, _ = recrawl
    data = tmp_path / "data"
    data.mkdir()
    shutil.copytree(first.data_dir / "archive", data / "archive")
    shutil.copy2(first.data_dir / "warc-digests.sqlite", data / "warc-digests.sqlite")
    third = crawl(portals, data)
    records = third.export()
    assert records
    store = LocalBlobStore(data / "archive")
    for rec in records:
        prov = rec["provenance"]
        ref = prov["refers_to"]
        assert ref, f"{rec['url']}: unchanged article not archived as a revisit"
        # the pointed record is the (small) revisit of this URL ...
        path = data / "archive" / prov["warc_file"]
        with open(path, "rb") as fh:
            fh.seek(prov["offset"])
            record = next(iter(ArchiveIterator(io.BytesIO(fh.read(prov["length"])))))
        assert record.rec_type == "revisit" and prov["length"] < 1024
        assert record.rec_headers.get_header("WARC-Record-ID") == prov["record_id"]
        assert record.rec_headers.get_header("WARC-Target-URI") == rec["url"]
        assert record.rec_headers.get_header("WARC-Refers-To") == ref["record_id"]
        # ... and its refers_to is the response record holding the body the portal served
        with open(data / "archive" / ref["warc_file"], "rb") as fh:
            fh.seek(ref["offset"])
            original = next(iter(ArchiveIterator(io.BytesIO(fh.read(ref["length"])))))
        assert original.rec_type == "response" and ref["url"] == rec["url"]
        assert original.rec_headers.get_header("WARC-Record-ID") == ref["record_id"]
        assert original.rec_headers.get_header("WARC-Payload-Digest") == prov["payload_digest"]
        assert original.content_stream().read() == portals.body_for(rec["url"], 1), rec["url"]
        assert resolve_pointer(store, {**prov, "warc_file": prov["warc_file"]}, url=rec["url"]).body \
            == portals.body_for(rec["url"], 1)
    # the verify pointer check resolves through refers_to
    ptrs = [{**{k: r["provenance"][k] for k in ("warc_file", "offset", "length", "record_id",
                                                 "payload_digest", "refers_to")},
             "url": r["url"]} for r in records]
    rep = verify_pointers(store, ptrs)
    assert rep["errors"] == [] and rep["revisits"] == len(records)
    r = run_cli("archive", "verify", "--data-dir", str(data), check=False)
    assert r.returncode == 0 and "all OK" in r.stdout, r.stdout + r.stderr
