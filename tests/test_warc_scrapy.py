"""WarcCaptureMiddleware in a real (tiny) Scrapy crawl against a local HTTP server.

The server serves robots.txt, a gzip-encoded page, a chunked page, a redirect, a 404 and a 500.
The crawl runs in a subprocess (a Twisted reactor cannot be restarted inside pytest).
"""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
import signal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.archive.blobstore import LocalBlobStore, open_blobstore
from crawler.archive import cdxj_for_stream, cdxj_name, check_warc
from services import s3_bucket, s3_uri, seaweedfs  # noqa: F401  (fixtures)

pytestmark = pytest.mark.integration  # crawls or starts servers

ROOT = Path(__file__).resolve().parents[1]
WARCIO = str(Path(sys.executable).parent / "warcio")
UA = "NewsCrawler-Test/0.1 (+https://example.org/bot)"

PAGES = {
    "/gz.html": "<html><body><h1>Gzip-Seite</h1><p>Grüße aus Herford. " + "Text " * 300 + "</p></body></html>",
    "/chunked.html": "<html><body><h1>Chunked</h1><p>Übermäßig viele Blöcke. " + "Satz " * 200 + "</p></body></html>",
    "/plain.html": "<html><body><p>Schlicht.</p></body></html>",
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def _send(self, status, body: bytes, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        p = self.path
        if p == "/robots.txt":
            return self._send(200, b"User-agent: *\nDisallow: /private\n", [("Content-Type", "text/plain")])
        if p == "/gz.html":
            body = gzip.compress(PAGES[p].encode())
            return self._send(200, body, [("Content-Type", "text/html; charset=utf-8"),
                                          ("Content-Encoding", "gzip")])
        if p == "/chunked.html":
            data = PAGES[p].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(0, len(data), 700):
                part = data[i : i + 700]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
            return
        if p == "/plain.html":
            return self._send(200, PAGES[p].encode(), [("Content-Type", "text/html; charset=utf-8")])
        if p.startswith("/slow/"):
            time.sleep(0.05)
            return self._send(200, gzip.compress(f"<p>Seite {p} {'x' * 3000}</p>".encode()),
                              [("Content-Type", "text/html"), ("Content-Encoding", "gzip")])
        if p == "/old":
            return self._send(301, b"moved", [("Location", "/plain.html")])
        if p == "/boom":
            return self._send(500, b"kaputt", [("Content-Type", "text/plain")])
        return self._send(404, b"<h1>Nicht gefunden</h1>", [("Content-Type", "text/html")])


@pytest.fixture
def http_site():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


SPIDER = textwrap.dedent(
    """
    import json, sys
    import scrapy
    from scrapy.crawler import CrawlerProcess

    base, data_dir, archive, out = sys.argv[1:5]
    paths = sys.argv[5].split(",") if len(sys.argv) > 5 else [
        "/gz.html", "/chunked.html", "/old", "/missing", "/boom"]

    class T(scrapy.Spider):
        name = "archtest"
        custom_settings = {"HTTPERROR_ALLOW_ALL": True}

        async def start(self):
            for p in paths:
                yield scrapy.Request(base + p, dont_filter=True)

        def parse(self, response):
            yield {"url": response.url, "status": response.status, "warc": response.meta.get("warc"),
                   "text": response.text, "redirects": response.meta.get("redirect_urls", [])}

    items = []
    settings = {
        "ROBOTSTXT_OBEY": True,
        "USER_AGENT": %(ua)r,
        "RETRY_TIMES": 1,
        "LOG_LEVEL": "WARNING",
        "TELNETCONSOLE_ENABLED": False,
        "DOWNLOADER_MIDDLEWARES": {"crawler.scrapy_ext.archive.WarcCaptureMiddleware": 950},
        "DOWNLOAD_HANDLERS": {"http": "crawler.scrapy_ext.wire.CaptureDownloadHandler",
                              "https": "crawler.scrapy_ext.wire.CaptureDownloadHandler"},
        "CRAWLER_DATA_DIR": data_dir,
        "CRAWLER_ARCHIVE": archive or None,
        "CRAWLER_OPERATOR": "ops@example.org",
        "CRAWLER_WARC_PREFIX": "test",
    }
    proc = CrawlerProcess(settings)
    crawler = proc.create_crawler(T)
    def collect(item, response, spider=None):
        items.append(item)
    crawler.signals.connect(collect, signal=scrapy.signals.item_scraped)
    proc.crawl(crawler)
    proc.start()
    stats = crawler.stats.get_stats()
    json.dump({"items": items, "stats": {k: v for k, v in stats.items() if k.startswith("warc/")}},
              open(out, "w"), default=str)
    """
) % {"ua": UA}


def _crawl_cmd(tmp_path: Path, base: str, archive: str = "", paths=None):
    script = tmp_path / "crawl.py"
    script.write_text(SPIDER)
    out = tmp_path / "out.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("http_proxy", None)
    env.pop("HTTP_PROXY", None)
    cmd = [sys.executable, str(script), base, str(tmp_path / "data"), archive, str(out)]
    if paths:
        cmd.append(",".join(paths))
    return cmd, env, out


def _crawl(tmp_path: Path, base: str, archive: str = "", paths=None) -> dict:
    cmd, env, out = _crawl_cmd(tmp_path, base, archive, paths)
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr[-4000:]
    return json.loads(out.read_text())


def _records(store, name):
    with store.open(name) as fh:
        data = fh.read()
    out = []
    it = ArchiveIterator(io.BytesIO(data))
    for rec in it:
        out.append((rec, rec.content_stream().read() if rec.rec_type == "response" else rec.raw_stream.read()))
    return out


def _check_crawl(result: dict, store, base: str) -> None:
    stats = result["stats"]
    files = stats["warc/files"]
    assert files, stats
    assert "warc/upload_failed" not in stats
    listed = {b.name: b.size for b in store.list()}
    assert stats["warc/bytes"] == sum(listed[f] for f in files)
    responses = {}
    requests = {}
    for f in files:
        assert cdxj_name(f) in listed
        with store.open(f) as fh:
            chk = check_warc(fh, f)
        assert chk.ok, chk.errors
        with store.open(f) as fh:
            assert cdxj_for_stream(fh, f) == store.read_bytes(cdxj_name(f)).decode()
        for rec, body in _records(store, f):
            uri = rec.rec_headers.get_header("WARC-Target-URI")
            if rec.rec_type in ("response", "revisit"):
                responses.setdefault(uri, []).append((rec, body))
            elif rec.rec_type == "request":
                requests.setdefault(uri, []).append(rec)
    status = {u: [r.http_headers.get_statuscode() for r, _ in v] for u, v in responses.items()}
    assert status[base + "/robots.txt"] == ["200"]
    assert status[base + "/old"] == ["301"]  # redirect archived as its own exchange
    assert status[base + "/plain.html"] == ["200"]
    assert status[base + "/missing"] == ["404"]
    assert status[base + "/boom"] == ["500", "500"]  # the retry attempt too
    # ... as a revisit of the first attempt (same URL, same payload; revisits are on by default)
    assert [r.rec_type for r, _ in responses[base + "/boom"]] == ["response", "revisit"]
    # raw payload kept content-encoded; decoded payload == what the server meant
    gz_rec, gz_body = responses[base + "/gz.html"][0]
    assert gz_rec.rec_headers.get_header("WARC-IP-Address") == "127.0.0.1"
    info_rec, info = _records(store, files[0])[0]
    assert info_rec.rec_type == "warcinfo"
    for line in (b"operator: ops@example.org", b"robots: obey", b"isPartOf: archtest",
                 b"software: newscrawler/", b"http-capture-notes: "):
        assert line in info
    assert gz_rec.http_headers.get_header("Content-Encoding") == "gzip"
    assert gz_body == PAGES["/gz.html"].encode()
    ch_rec, ch_body = responses[base + "/chunked.html"][0]
    assert ch_body == PAGES["/chunked.html"].encode()
    assert ch_rec.http_headers.get_header("Transfer-Encoding") == "chunked"  # kept as received
    assert ch_rec.http_headers.get_header("Content-Length") is None
    # request records: the headers Scrapy really sent
    req = requests[base + "/gz.html"][0]
    assert req.http_headers.get_header("User-Agent") == UA
    assert "gzip" in (req.http_headers.get_header("Accept-Encoding") or "")
    assert req.http_headers.get_header("Host") == base.split("//", 1)[1]
    # items carry pointers that resolve to the right response record
    by_url = {i["url"]: i for i in result["items"]}
    assert set(by_url) >= {base + "/gz.html", base + "/chunked.html", base + "/plain.html"}
    for path in ("/gz.html", "/chunked.html", "/plain.html"):
        item = by_url[base + path]
        w = item["warc"]
        data = store.read_range(w["warc_file"], w["offset"], w["length"])
        rec = next(iter(ArchiveIterator(io.BytesIO(data))))
        assert rec.rec_headers.get_header("WARC-Record-ID") == w["record_id"]
        assert rec.rec_headers.get_header("WARC-Target-URI") == base + path
        assert rec.rec_headers.get_header("WARC-Payload-Digest") == w["payload_digest"]
        assert rec.content_stream().read().decode() == item["text"] == PAGES[path]
    assert by_url[base + "/plain.html"]["redirects"] == [base + "/old"]


def test_scrapy_crawl_archives_every_exchange_locally(tmp_path, http_site):
    result = _crawl(tmp_path, http_site)
    store = LocalBlobStore(tmp_path / "data" / "archive")
    _check_crawl(result, store, http_site)
    assert not list((tmp_path / "data" / "warc-spool").glob("*.warc.gz"))
    for f in result["stats"]["warc/files"]:
        r = subprocess.run([WARCIO, "check", str(store.root / f)], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout
        assert f.startswith("test-")


def test_scrapy_crawl_archives_to_seaweedfs(tmp_path, http_site, s3_uri, seaweedfs):
    result = _crawl(tmp_path, http_site, archive=s3_uri)
    store = open_blobstore(s3_uri, default_dir=tmp_path / "unused")
    _check_crawl(result, store, http_site)
    assert not (tmp_path / "data" / "archive").exists()
    assert not list((tmp_path / "data" / "warc-spool").glob("*.warc.gz"))


def test_scrapy_crawl_killed_then_next_run_ships_repaired_file(tmp_path, http_site):
    """kill -9 of a crawl mid-way; the next crawl on the data dir repairs and ships the file;
    `crawler archive verify` passes; no record lost (of those on disk) or duplicated."""
    from crawler.archive import scan_gzip_members

    cmd, env, _ = _crawl_cmd(tmp_path, http_site, paths=[f"/slow/{i}" for i in range(400)])
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    spool = tmp_path / "data" / "warc-spool"
    deadline = time.monotonic() + 60
    members = 0
    try:
        while time.monotonic() < deadline and members < 41:
            time.sleep(0.1)
            files = list(spool.glob("*.warc.gz")) if spool.exists() else []
            members = scan_gzip_members(files[0])[1] if files else 0
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert members >= 41, "the crawl did not get going"
    [left] = list(spool.glob("*.warc.gz"))
    on_disk = scan_gzip_members(left)[1]

    result = _crawl(tmp_path, http_site, paths=["/plain.html"])  # the next run
    assert result["stats"]["warc/recovered"] == [left.name]
    archive = tmp_path / "data" / "archive"
    assert (archive / left.name).exists() and not list(spool.glob("*.warc.gz"))
    chk = check_warc(archive / left.name)
    assert chk.ok, chk.errors
    # every complete record kept, a half-written tail cut (with its request record)
    assert chk.records in (on_disk, on_disk - 1)
    assert chk.records >= 41
    r = subprocess.run([sys.executable, "-m", "crawler", "archive", "verify", "--no-pointers",
                        "--data-dir", str(tmp_path / "data")], cwd=ROOT, env={**os.environ},
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "all OK" in r.stdout
    ids = []
    for f in archive.glob("*.warc.gz"):
        c = check_warc(f)
        ids += list(c.responses) + list(c.requests)
    assert len(ids) == len(set(ids))
