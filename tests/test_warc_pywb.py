"""Our WARC files replay in pywb (run from its own virtualenv, see tests/services.py)."""

from __future__ import annotations

import gzip
import urllib.request

import pytest

from crawler.archive.blobstore import LocalBlobStore
from crawler.archive import WarcArchive
from services import Pywb

pytestmark = pytest.mark.integration  # crawls or starts servers

ARTICLE = (
    "<!DOCTYPE html><html lang=\"de\"><head><meta charset=\"utf-8\"><title>Stadtrat beschließt "
    "Haushalt</title></head><body><article><h1>Stadtrat beschließt Haushalt</h1><p>Herford. Der "
    "Stadtrat hat am Donnerstagabend den Haushalt für 2027 beschlossen.</p></article></body></html>"
).encode("utf-8")


@pytest.fixture
def replay(tmp_path):
    a = WarcArchive(tmp_path / "spool", LocalBlobStore(tmp_path / "archive"), run_id="pywb",
                    background_upload=False)
    url = "http://www.weserbote.test/politik/stadtrat-beschliesst-haushalt-101.html"
    # served gzip-encoded and chunked, as the demo portals do
    a.write_exchange(url=url, status=200, body=gzip.compress(ARTICLE),
                     request_headers=[("User-Agent", "NewsCrawler/0.1"), ("Accept-Encoding", "gzip")],
                     response_headers=[("Content-Type", "text/html; charset=utf-8"),
                                       ("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")])
    a.write_exchange(url="http://www.weserbote.test/alt.html", status=301, body=b"",
                     response_headers=[("Location", url)])
    closed = a.close()
    try:
        server = Pywb([tmp_path / "archive" / c.name for c in closed], tmp_path / "pywb").start()
    except Exception as exc:
        pytest.fail(f"pywb not available: {exc}", pytrace=False)
    try:
        yield server, url
    finally:
        server.stop()


def _get(url: str):
    req = urllib.request.Request(url, headers={"Accept-Encoding": "identity"})
    with urllib.request.urlopen(req, timeout=20) as r:
        body = r.read()
        if r.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        return r.status, body


def test_pywb_replays_archived_article(replay):
    server, url = replay
    status, body = _get(f"{server.url}/{server.coll}/id_/{url}")
    assert status == 200
    assert body == ARTICLE
    # the rewritten (browser) view works too
    status, body = _get(f"{server.url}/{server.coll}/mp_/{url}")
    assert status == 200 and "Stadtrat beschließt Haushalt".encode() in body
    # the archived redirect replays as a redirect to the (replayed) article
    status, body = _get(f"{server.url}/{server.coll}/mp_/http://www.weserbote.test/alt.html")
    assert status == 200 and "Stadtrat beschließt Haushalt".encode() in body


# -- pywb over a demo crawl, reading the project's own CDXJ sidecars (no re-indexing) ---------
@pytest.fixture(scope="module")
def demo_replay(portals, tmp_path_factory):
    from test_crawl_demo import crawl

    portals.set_edition(1)
    base = tmp_path_factory.mktemp("pywb-demo")
    data = base / "data"
    crawl(portals, data)
    crawl(portals, data)  # the recrawl archives unchanged pages as revisits
    archive = data / "archive"
    warcs = sorted(archive.rglob("*.warc.gz"))
    sidecars = sorted(archive.rglob("*.cdxj"))
    assert warcs and len(sidecars) == len(warcs)
    try:
        server = Pywb(warcs, base / "pywb", indexes=sidecars).start()
    except Exception as exc:
        pytest.fail(f"pywb not available: {exc}", pytrace=False)
    try:
        yield server, warcs, sidecars
    finally:
        server.stop()


def _text(html: bytes) -> str:
    import re

    from html import unescape

    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html.decode("utf-8", "replace"))).split())


def test_sidecars_are_sorted(demo_replay):
    import os
    import subprocess

    _, _, sidecars = demo_replay
    for s in sidecars:
        r = subprocess.run(["sort", "-c", str(s)], env={**os.environ, "LC_ALL": "C"},
                           capture_output=True, text=True)
        assert r.returncode == 0, f"{s.name}: {r.stderr}"


def test_pywb_on_own_indexes_replays_every_demo_article(demo_replay):
    from crawler.demo import manifest

    server, _, _ = demo_replay
    for url, art in manifest.by_url(1).items():
        status, body = _get(f"{server.url}/{server.coll}/id_/{url}")
        assert status == 200, url
        assert art.title in _text(body), url


def test_pywb_on_own_indexes_replays_the_redirect_and_a_revisit(demo_replay):
    import json

    from crawler.demo import manifest

    server, warcs, _ = demo_replay
    [(old, new)] = manifest.REDIRECTS.items()
    status, body = _get(f"{server.url}/{server.coll}/mp_/{old}")  # followed to the target
    assert status == 200 and manifest.by_url(1)[new].title in _text(body)
    with urllib.request.urlopen(f"{server.url}/{server.coll}/cdx?url={old}&output=json",
                                timeout=20) as r:
        rows = [json.loads(x) for x in r.read().decode().splitlines() if x.strip()]
    assert rows and rows[0]["status"] == "301"
    # the recrawl archived unchanged pages as revisits; replayed, they give the original body
    from warcio.archiveiterator import ArchiveIterator

    revisit = None
    for w in warcs:
        with open(w, "rb") as fh:
            for rec in ArchiveIterator(fh):
                if rec.rec_type == "revisit" and "robots" not in rec.rec_headers.get_header("WARC-Target-URI"):
                    revisit = rec.rec_headers
                    break
        if revisit:
            break
    assert revisit is not None, "the recrawl wrote no revisit record"
    url = revisit.get_header("WARC-Target-URI")
    stamp = lambda d: "".join(ch for ch in d if ch.isdigit())[:14]  # noqa: E731
    status, again = _get(f"{server.url}/{server.coll}/{stamp(revisit.get_header('WARC-Date'))}id_/{url}")
    status0, orig = _get(f"{server.url}/{server.coll}/"
                         f"{stamp(revisit.get_header('WARC-Refers-To-Date'))}id_/{url}")
    assert status == status0 == 200 and again == orig and len(orig) > 100


def test_demo_crawl_records_hold_the_bytes_of_the_connection(demo_replay):
    """The crawl's own settings capture at the connection: no record rebuilt from parsed
    responses, the demo's chunked responses keep their Transfer-Encoding and framing."""
    import zlib

    _, warcs, _ = demo_replay
    chunked = rebuilt = responses = 0
    for w in warcs:
        data = w.read_bytes()
        while data:
            d = zlib.decompressobj(31)
            rec = d.decompress(data)
            data = d.unused_data
            head, _, block = rec.partition(b"\r\n\r\n")
            rebuilt += b"\r\nWARC-Comment: " in head
            if b"\r\nWARC-Type: response" in head:
                responses += 1
                http_head = block.split(b"\r\n\r\n", 1)[0].lower()
                chunked += b"\r\ntransfer-encoding: chunked" in http_head
    assert responses and rebuilt == 0 and chunked > 0
