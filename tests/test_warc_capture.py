"""Capture at the connection: every response record's block is, byte for byte, what the server
wrote (over plain HTTP and over TLS); the request record is what the crawler sent; cut and
oversized bodies and a stalled download (timeout) are archived with WARC-Truncated.

A raw-socket server (no http.server: it would normalise what it sends) answers each path with
bytes fixed below and records what it received; a real Scrapy crawl (subprocess: a reactor
cannot restart inside pytest) fetches them through the project's download handler and archive
middleware.
"""

from __future__ import annotations

import gzip
import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
import zlib
from pathlib import Path

import pytest

from crawler.archive import check_warc

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
WARCIO = str(Path(sys.executable).parent / "warcio")
MAXSIZE = 50_000

HTML = ("<html><body><h1>Grüße aus Herford</h1><p>" + "Der Stadtrat tagt. " * 200
        + "</p></body></html>").encode("utf-8")


def _chunked(data: bytes, size: int, ext: bytes = b"") -> bytes:
    out = b""
    for i in range(0, len(data), size):
        part = data[i:i + size]
        out += b"%X%s\r\n%s\r\n" % (len(part), ext, part)
    return out + b"0\r\n\r\n"


GZ = gzip.compress(HTML)
RESPONSES = {
    # odd reason phrase, mixed-case and repeated headers in an unusual order
    "/odd": (b"HTTP/1.1 200 Alles Bestens\r\nx-LOWER-upper: 1\r\nSet-Cookie: a=1; Path=/\r\n"
             b"content-type: text/html; charset=utf-8\r\nSet-Cookie: b=2; Path=/\r\n"
             b"X-Repeated: eins\r\nX-Repeated: zwei\r\nCONTENT-LENGTH: %d\r\n\r\n" % len(HTML)
             + HTML),
    # chunked (odd chunk sizes, an extension, upper-case hex) and gzip-encoded
    "/chunked-gzip": (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n"
                      b"Transfer-Encoding: chunked\r\nVary: Accept-Encoding\r\n\r\n"
                      + _chunked(GZ, 333, b";note=x")),
    "/chunked": (b"HTTP/1.1 203 Non-Authoritative Information\r\nContent-Type: text/html\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n" + _chunked(HTML, 1000)),
    "/gone": b"HTTP/1.1 410 Weg Damit\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nweg!",
    "/moved": (b"HTTP/1.1 301 Dauerhaft Umgezogen\r\nlocation: /odd\r\nContent-Length: 0\r\n\r\n"),
}
CUT = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(HTML)
       + HTML[:1500])
TIMEOUT = 2
STALL = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(HTML)
         + HTML[:700])
BIG_BODY = os.urandom(MAXSIZE * 3)
BIG = (b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
       + _chunked(BIG_BODY, 4096))


class RawServer:
    """Answers each request with fixed bytes; keeps what it received and sent per path."""

    def __init__(self, tls=None):
        self.tls = tls  # ssl.SSLContext: serve HTTPS
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.received: dict[str, list[bytes]] = {}
        self.sent: dict[str, list[bytes]] = {}
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        buf = b""
        if self.tls is not None:
            try:
                conn = self.tls.wrap_socket(conn, server_side=True)
            except OSError:
                return
        with conn:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, buf = buf.split(b"\r\n\r\n", 1)
                path = head.split(b" ", 2)[1].decode()
                if path.startswith("http://"):
                    path = "/" + path.split("/", 3)[3]
                self.received.setdefault(path, []).append(head + b"\r\n\r\n")
                if path == "/cut":
                    self._send(conn, path, CUT)
                    conn.close()
                    return
                if path == "/stall":  # head and a little body, then nothing until the timeout
                    self._send(conn, path, STALL)
                    time.sleep(TIMEOUT + 3)
                    return
                if path == "/big":
                    try:
                        self._send(conn, path, BIG)
                    except OSError:
                        pass
                    return
                self._send(conn, path, RESPONSES.get(path, b"HTTP/1.1 404 Not Found\r\n"
                                                     b"Content-Length: 0\r\n\r\n"))

    def _send(self, conn, path, data):
        self.sent.setdefault(path, []).append(data)
        conn.sendall(data)

    def close(self):
        self.sock.close()


SPIDER = textwrap.dedent(
    """
    import json, sys
    import scrapy
    from scrapy.crawler import CrawlerProcess

    base, data_dir, out = sys.argv[1:4]
    paths = sys.argv[4].split(",")

    class T(scrapy.Spider):
        name = "capture"
        custom_settings = {"HTTPERROR_ALLOW_ALL": True}

        async def start(self):
            for p in paths:
                yield scrapy.Request(base + p, dont_filter=True, errback=self.failed)

        def parse(self, response):
            yield {"url": response.url, "status": response.status}

        def failed(self, failure):
            yield {"url": failure.request.url, "failed": type(failure.value).__name__,
                   "warc": failure.request.meta.get("warc")}

    items = []
    proc = CrawlerProcess({
        "ROBOTSTXT_OBEY": False, "RETRY_ENABLED": False, "LOG_LEVEL": "WARNING",
        "TELNETCONSOLE_ENABLED": False, "DOWNLOAD_MAXSIZE": %(maxsize)d,
        "DOWNLOAD_TIMEOUT": %(timeout)d,
        "REDIRECT_ENABLED": False, "CRAWLER_WARC_REVISITS": False,
        "DOWNLOADER_MIDDLEWARES": {"crawler.scrapy_ext.archive.WarcCaptureMiddleware": 950},
        "DOWNLOAD_HANDLERS": {"http": "crawler.scrapy_ext.wire.CaptureDownloadHandler",
                              "https": "crawler.scrapy_ext.wire.CaptureDownloadHandler"},
        "CRAWLER_DATA_DIR": data_dir,
    })
    crawler = proc.create_crawler(T)
    def collect(item, **kw):
        items.append(item)
    crawler.signals.connect(collect, signal=scrapy.signals.item_scraped)
    proc.crawl(crawler)
    proc.start()
    stats = crawler.stats.get_stats()
    json.dump({"items": items, "stats": {k: v for k, v in stats.items() if k.startswith("warc/")}},
              open(out, "w"), default=str)
    """
) % {"maxsize": MAXSIZE, "timeout": TIMEOUT}


def _records(path: Path) -> list[tuple[dict, bytes]]:
    """(WARC headers, block) of every record, read member by member without warcio."""
    data = path.read_bytes()
    out = []
    while data:
        d = zlib.decompressobj(zlib.MAX_WBITS + 16)
        rec = d.decompress(data)
        data = d.unused_data
        head, rest = rec.split(b"\r\n\r\n", 1)
        fields = {}
        for line in head.split(b"\r\n")[1:]:
            k, v = line.decode().split(": ", 1)
            fields[k] = v
        n = int(fields["Content-Length"])
        assert rest[n:] == b"\r\n\r\n"
        out.append((fields, rest[:n]))
    return out


def _tls_context(tmp: Path):
    """A server context with a self-signed certificate for 127.0.0.1 (Scrapy does not verify)."""
    import datetime
    import ipaddress
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    (tmp / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                    serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tmp / "cert.pem", tmp / "key.pem")
    return ctx


@pytest.fixture(scope="module", params=["http", "https"])
def crawl(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("capture")
    server = RawServer(_tls_context(tmp) if request.param == "https" else None)
    base = f"{request.param}://127.0.0.1:{server.port}"
    script = tmp / "crawl.py"
    script.write_text(SPIDER)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for k in ("http_proxy", "HTTP_PROXY"):
        env.pop(k, None)
    paths = [*RESPONSES, "/cut", "/big", "/stall"]
    r = subprocess.run([sys.executable, str(script), base, str(tmp / "data"), str(tmp / "out.json"),
                        ",".join(paths)], capture_output=True, text=True, env=env, timeout=120)
    server.close()
    assert r.returncode == 0, r.stderr[-3000:]
    result = json.loads((tmp / "out.json").read_text())
    files = [tmp / "data" / "archive" / f for f in result["stats"]["warc/files"]]
    records = [rec for f in files for rec in _records(f)]
    return base, server, result, files, records


def _by_uri(records, wtype):
    out = {}
    for fields, block in records:
        if fields["WARC-Type"] == wtype:
            out.setdefault(fields["WARC-Target-URI"], []).append((fields, block))
    return out


def test_response_blocks_are_the_bytes_the_server_wrote(crawl):
    base, server, result, files, records = crawl
    responses = _by_uri(records, "response")
    for path in RESPONSES:
        [(fields, block)] = responses[base + path]
        assert block == server.sent[path][0], path
        assert "WARC-Truncated" not in fields
        assert "WARC-Comment" not in fields  # captured, not rebuilt


def test_request_blocks_are_the_bytes_the_crawler_sent(crawl):
    base, server, result, files, records = crawl
    requests = _by_uri(records, "request")
    for path in RESPONSES:
        [(fields, block)] = requests[base + path]
        assert block == server.received[path][0], path
        ae = [ln for ln in block.split(b"\r\n") if ln.lower().startswith(b"accept-encoding:")]
        assert ae and b"br" not in ae[0] and b"zstd" not in ae[0]


def test_every_record_names_its_warcinfo(crawl):
    base, server, result, files, records = crawl
    info_ids = {f["WARC-Record-ID"] for f, _ in records if f["WARC-Type"] == "warcinfo"}
    for fields, _ in records:
        if fields["WARC-Type"] != "warcinfo":
            assert fields["WARC-Warcinfo-ID"] in info_ids


def test_cut_and_oversized_bodies_are_archived_truncated(crawl):
    base, server, result, files, records = crawl
    responses = _by_uri(records, "response")
    [(cut, cut_block)] = responses[base + "/cut"]
    assert cut["WARC-Truncated"] == "disconnect"
    assert cut_block == CUT  # everything that arrived
    [(big, big_block)] = responses[base + "/big"]
    assert big["WARC-Truncated"] == "length"
    assert BIG.startswith(big_block) and MAXSIZE < len(big_block) < len(BIG)
    [(stall, stall_block)] = responses[base + "/stall"]
    assert stall["WARC-Truncated"] == "time" and stall_block == STALL
    failed = {i["url"]: i for i in result["items"] if "failed" in i}
    assert set(failed) == {base + "/cut", base + "/big", base + "/stall"}
    assert failed[base + "/cut"]["warc"]["record_id"] == cut["WARC-Record-ID"]


def test_captured_files_pass_warcio_check_and_our_checks(crawl):
    base, server, result, files, records = crawl
    for f in files:
        chk = check_warc(f)
        assert chk.ok, chk.errors
        r = subprocess.run([WARCIO, "check", str(f)], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
