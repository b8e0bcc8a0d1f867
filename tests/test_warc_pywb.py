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
