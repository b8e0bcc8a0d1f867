"""Finding and packaging the holdings: the collection index kept up by shipping, `crawler archive
find` / `get` on an S3 archive (SeaweedFS), and a WACZ of the demo crawl that `wacz validate`
(py-wacz) accepts."""

from __future__ import annotations

import io
import json
import subprocess
import zipfile
from datetime import datetime, timezone

import pytest
from warcio.archiveiterator import ArchiveIterator

from conftest import run_cli
from services import s3_bucket, s3_uri, seaweedfs, wacz_bin  # noqa: F401  (fixtures)

pytestmark = pytest.mark.integration

SEED_URL = "http://www.weserbote.test/politik/putin-trump-treffen-peskow-1001.html"


def _stored(data_dir) -> dict:
    from crawler.store import open_store

    store = open_store(data_dir, read_only=True)
    try:
        return {r["url"]: r for r in store.changes_after(0)}
    finally:
        store.close()


def test_find_and_get_on_an_s3_archive(tmp_path, s3_uri):
    from crawler.archive import open_blobstore
    from crawler.archive.collection import COLLECTION_INDEX_FILE, CollectionIndex
    from crawler.datadir import DataDir

    crawl = tmp_path / "crawl"
    run_cli("demo", "--data-dir", str(crawl), "--archive", s3_uri)
    store = open_blobstore(s3_uri, default_dir=tmp_path / "unused")
    warcs = [b.name for b in store.list() if b.name.endswith(".warc.gz")]
    assert warcs
    # Shipping filled the crawl's collection index: no command has read a sidecar yet.
    shipped = CollectionIndex(crawl / COLLECTION_INDEX_FILE)
    assert shipped.known_files() == set(warcs)
    pointer = _stored(DataDir(crawl))[SEED_URL]["warc"]

    # Another machine: an empty data directory, only the S3 archive.
    reader = tmp_path / "reader"
    out = run_cli("archive", "find", SEED_URL, "--json", "--store", s3_uri, "--data-dir", str(reader)).stdout
    found = json.loads(out)
    assert len(found) == 1
    assert (found[0]["filename"], found[0]["offset"], found[0]["length"]) == (
        pointer["warc_file"], pointer["offset"], pointer["length"])

    record_file = tmp_path / "seed.warc.gz"
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    run_cli("archive", "get", SEED_URL, "--at", now, "--out", str(record_file), "--store", s3_uri,
            "--data-dir", str(reader))
    records = list(ArchiveIterator(io.BytesIO(record_file.read_bytes()), check_digests=True))
    assert len(records) == 1
    rec = records[0]
    assert rec.rec_type == "response"
    assert rec.rec_headers.get_header("WARC-Target-URI") == SEED_URL
    assert rec.rec_headers.get_header("WARC-Record-ID") == pointer["record_id"]
    assert rec.rec_headers.get_header("WARC-Payload-Digest") == pointer["payload_digest"]

    # One portal's captures of one day, and nothing of the other portals.
    day = found[0]["timestamp"][:4] + "-" + found[0]["timestamp"][4:6] + "-" + found[0]["timestamp"][6:8]
    listing = json.loads(run_cli("archive", "find", "--portal", "weserbote", "--day", day, "--json",
                                 "--store", s3_uri, "--data-dir", str(crawl)).stdout)
    urls = {c["url"] for c in listing}
    assert SEED_URL in urls and "http://www.weserbote.test/robots.txt" in urls
    assert all(u.startswith("http://www.weserbote.test/") for u in urls), urls
    none = run_cli("archive", "find", "--portal", "weserbote", "--day", "1999-01-01", "--store", s3_uri,
                   "--data-dir", str(crawl), check=False)
    assert none.returncode == 1 and "no captures" in none.stderr
    bad = run_cli("archive", "get", SEED_URL, "--at", "gestern", "--data-dir", str(crawl), check=False)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr

    # crawler web replays the capture from S3 (range reads) through the same collection index.
    from fastapi.testclient import TestClient

    from crawler.web.app import create_app
    from crawler.web.context import WebContext

    ctx = WebContext(store_uri=f"sqlite:///{crawl / 'articles.sqlite'}", index_dir=tmp_path / "web", blobstore=store)
    page = TestClient(create_app(ctx)).get(f"/replay/{found[0]['timestamp']}/{SEED_URL}")
    assert page.status_code == 200 and "Kreml-Sprecher Dmitri Peskow" in page.text
    assert page.headers["memento-datetime"].endswith("GMT")
    assert "script-src 'none'" in page.headers["content-security-policy"]


def test_wacz_of_the_demo_crawl_validates(tmp_path):
    data = tmp_path / "data"
    run_cli("demo", "--data-dir", str(data))
    wacz = tmp_path / "demo.wacz"
    run_cli("archive", "wacz", "--out", str(wacz), "--data-dir", str(data))
    check = subprocess.run([str(wacz_bin()), "validate", "-f", str(wacz)], capture_output=True, text=True,
                           timeout=300)
    assert check.returncode == 0 and "is valid" in check.stdout, check.stdout + check.stderr

    with zipfile.ZipFile(wacz) as zf:
        names = set(zf.namelist())
        pages = [json.loads(line) for line in zf.read("pages/pages.jsonl").decode().splitlines()]
        index = zf.read("indexes/index.cdx").decode().splitlines()
        package = json.loads(zf.read("datapackage.json"))
        assert all(zf.getinfo(n).compress_type == zipfile.ZIP_STORED for n in names if n.startswith("archive/"))
    assert package["wacz_version"] == "1.1.1"
    assert pages[0]["format"] == "json-pages-1.0" and pages[0]["hasText"] is True
    seed = next(p for p in pages[1:] if p["url"] == SEED_URL)
    assert seed["title"].startswith("Spektakuläre Pläne") and "Kreml-Sprecher Dmitri Peskow" in seed["text"]
    assert len(pages) - 1 == 16  # every stored demo article
    assert index == sorted(index)
    assert {"archive/" + json.loads(line.split(" ", 2)[2])["filename"] for line in index} <= names
    assert any(line.split(" ", 2)[2].find(SEED_URL) > 0 for line in index)
    # Range readers (ReplayWeb.page) locate an entry's data from the central directory alone:
    # the local header must have the same extra field, or every record offset is shifted.
    with zipfile.ZipFile(wacz) as zf, open(wacz, "rb") as raw:
        for info in zf.infolist():
            raw.seek(info.header_offset + 28)
            assert int.from_bytes(raw.read(2), "little") == len(info.extra), f"{info.filename}: local extra field"

    one_portal = tmp_path / "weserbote.wacz"
    run_cli("archive", "wacz", "--portal", "weserbote", "--out", str(one_portal), "--data-dir", str(data))
    check = subprocess.run([str(wacz_bin()), "validate", "-f", str(one_portal)], capture_output=True, text=True,
                           timeout=300)
    assert check.returncode == 0 and "is valid" in check.stdout, check.stdout + check.stderr
    with zipfile.ZipFile(one_portal) as zf:
        urls = [json.loads(line)["url"] for line in zf.read("pages/pages.jsonl").decode().splitlines()[1:]]
        captured = [json.loads(line.split(" ", 2)[2])["url"] for line in zf.read("indexes/index.cdx").decode().splitlines()]
        warcs = [n for n in zf.namelist() if n.startswith("archive/")]
        records = [r.rec_headers.get_header("WARC-Target-URI") for w in warcs
                   for r in ArchiveIterator(io.BytesIO(zf.read(w))) if r.rec_type != "warcinfo"]
    assert urls and all(u.startswith("http://www.weserbote.test/") for u in urls)
    # Only the portal's records: its articles, feeds, sitemaps, robots.txt and stylesheet.
    assert set(urls) <= set(captured) and "http://www.weserbote.test/robots.txt" in captured
    assert records and all(u.startswith("http://www.weserbote.test/") for u in records), set(records)


def test_pywb_replays_from_the_collection_cdxj(tmp_path):
    """The collection index written as one sorted CDXJ file is an index pywb uses as it is."""
    import urllib.request

    from services import Pywb

    data = tmp_path / "data"
    run_cli("demo", "--data-dir", str(data))
    run_cli("demo", "--edition", "2", "--data-dir", str(data))
    cdxj = tmp_path / "index.cdxj"
    out = run_cli("archive", "index", "--cdxj", str(cdxj), "--data-dir", str(data)).stdout
    assert "2 WARC files" in out
    lines = cdxj.read_text().splitlines()
    assert lines == sorted(lines)
    warcs = sorted((data / "archive").glob("*.warc.gz"))
    try:
        server = Pywb(warcs, tmp_path / "pywb", index=cdxj).start()
    except Exception as exc:
        pytest.fail(f"pywb not available: {exc}", pytrace=False)
    try:
        updated = "http://www.tagesblick.test/politik/bundestag-rentenpaket-abstimmung-a20452"
        for url, text in ((SEED_URL, "Kreml-Sprecher Dmitri Peskow"), (updated, "318 zu 283 Stimmen")):
            req = urllib.request.Request(f"{server.url}/{server.coll}/2030id_/{url}",
                                         headers={"Accept-Encoding": "identity"})
            with urllib.request.urlopen(req, timeout=20) as r:
                body = r.read()
            assert text.encode() in body, url
    finally:
        server.stop()
