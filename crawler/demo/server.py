"""The demo portals server: one threaded stdlib HTTP server on 127.0.0.1 that acts as an HTTP
forward proxy for the fictional portal host names.

Clients (Scrapy with ``http_proxy=<proxy_url>``, urllib's ProxyHandler, ``curl -x``) send
absolute-form requests (``GET http://www.weserbote.test/rss.xml HTTP/1.1``); origin-form requests
with a ``Host`` header work too. Unknown hosts get 502. Nothing leaves the machine.

    python -m crawler.demo.server [--port 8765] [--edition 1]
"""

from __future__ import annotations

import argparse
import gzip
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from .portals import BY_HOST, PORTALS, sources_toml as _sources_toml
from .site import Resource, build_site, not_found_body

CHUNK_SIZE = 2048


def _accepts_gzip(header: str | None) -> bool:
    for part in (header or "").split(","):
        token, _, params = part.strip().partition(";")
        if token.strip().lower() in ("gzip", "x-gzip", "*"):
            q = params.strip()
            if q.startswith("q="):
                try:
                    return float(q[2:]) > 0
                except ValueError:
                    return True
            return True
    return False


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "DemoPortal/1.0"
    timeout = 30          # idle keep-alive connections are closed after this many seconds

    server: "_Server"

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, add=False)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - quiet by default
        if self.server.verbose:
            sys.stderr.write("demo-portals: " + (format % args) + "\n")

    # --- methods -------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _not_allowed(self) -> None:
        self._log(self.command, self.path, 405, "identity", False, 0)
        self._send_plain(405, "method not allowed by the demo portals\n", extra=[("Allow", "GET, HEAD")])

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed

    def do_CONNECT(self) -> None:
        self._log("CONNECT", self.path, 501, "identity", False, 0)
        self._send_plain(501, "the demo proxy serves plain http:// only (no CONNECT)\n")
        self.close_connection = True

    # --- helpers -------------------------------------------------------------------------
    def _target(self) -> tuple[str, str, str]:
        """(host, path, absolute url) of the request, absolute-form or origin-form."""
        if self.path.startswith(("http://", "https://")):
            parts = urlsplit(self.path)
            host = (parts.hostname or "").lower()
            path = parts.path or "/"
            query = parts.query
        else:
            host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]").lower()
            path, _, query = self.path.partition("?")
            path = path or "/"
        url = f"http://{host}{path}" + (f"?{query}" if query else "")
        return host, path, url

    def _send_plain(self, status: int, text: str, extra=()) -> None:
        body = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _log(self, method, url, status, encoding, chunked, nbytes, edition=None) -> None:
        self.server.owner._record({
            "method": method, "url": url, "status": status, "time": time.time(),
            "edition": edition, "encoding": encoding, "chunked": chunked, "bytes": nbytes,
            "user_agent": self.headers.get("User-Agent", "") if self.headers else "",
        })

    def _serve(self, head: bool) -> None:
        host, path, url = self._target()
        owner = self.server.owner
        owner._open.wait()
        edition = owner.edition
        spec = BY_HOST.get(host)
        if spec is None:
            if host in ("127.0.0.1", "localhost", "") and path == "/":
                res = Resource(200, "text/html; charset=utf-8", owner._index_page().encode(), "index")
            else:
                self._log(self.command, url, 502, "identity", False, 0, edition)
                self._send_plain(502, f"demo proxy: unknown host {host!r} (known: "
                                      f"{', '.join(sorted(BY_HOST))})\n")
                return
        else:
            res = build_site(edition).lookup(host, path)
            if res is None:
                res = Resource(404, "text/html; charset=utf-8", not_found_body(spec), "not-found")

        body = res.body
        encoding = "identity"
        if res.gzip and _accepts_gzip(self.headers.get("Accept-Encoding")):
            body = owner._gzipped(res)
            encoding = "gzip"
        chunked = res.chunked and self.request_version == "HTTP/1.1" and not head
        # log before answering, so a client that has its response always finds it in the log
        self._log(self.command, url, res.status, encoding, chunked, len(body), edition)

        self.send_response(res.status)
        self.send_header("Content-Type", res.content_type)
        for k, v in res.headers:
            self.send_header(k, v)
        if res.gzip:
            self.send_header("Vary", "Accept-Encoding")
        if encoding == "gzip":
            self.send_header("Content-Encoding", "gzip")
        if res.kind in ("article", "section", "home", "feed", "sitemap"):
            self.send_header("Cache-Control", "public, max-age=60")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            if chunked:
                for i in range(0, len(body), CHUNK_SIZE):
                    chunk = body[i:i + CHUNK_SIZE]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.wfile.write(body)
        self.wfile.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, owner: "DemoPortals", verbose: bool = False):
        self.owner = owner
        self.verbose = verbose
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(addr, _Handler)

    def track(self, conn: socket.socket, add: bool) -> None:
        with self._conns_lock:
            (self._conns.add if add else self._conns.discard)(conn)

    def close_connections(self) -> None:
        with self._conns_lock:
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class DemoPortals:
    """The bundled demo news portals behind one local HTTP proxy.

    >>> portals = DemoPortals()
    >>> proxy = portals.start()          # "http://127.0.0.1:PORT"
    >>> # http_proxy=proxy; fetch http://www.weserbote.test/rss.xml ...
    >>> portals.set_edition(2)            # one new + one updated article on tagesblick
    >>> portals.stop()
    """

    def __init__(self, edition: int = 1, host: str = "127.0.0.1", port: int = 0, *, verbose: bool = False):
        self._check_edition(edition)
        self._edition = edition
        self._bind = (host, port)
        self._verbose = verbose
        self._lock = threading.Lock()
        self._gz_cache: dict[int, bytes] = {}
        self.request_log: list[dict] = []
        self._open = threading.Event()  # cleared by hold(): requests wait before they are served
        self._open.set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.proxy_url: str | None = None
        build_site(edition)  # render eagerly: first request should not pay for it

    # --- lifecycle -----------------------------------------------------------------------
    def start(self) -> str:
        if self._server is not None:
            return self.proxy_url  # type: ignore[return-value]
        self._server = _Server(self._bind, self, verbose=self._verbose)
        host, port = self._server.server_address[:2]
        self.proxy_url = f"http://{host}:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="demo-portals", daemon=True)
        self._thread.start()
        return self.proxy_url

    def hold(self) -> None:
        """Requests from now on wait (unlogged, unanswered) until :meth:`release`; for tests that
        need several clients running before any of them gets a response."""
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def stop(self) -> None:
        self._open.set()
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> "DemoPortals":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int | None:
        return self._server.server_address[1] if self._server else None

    # --- editions ------------------------------------------------------------------------
    @staticmethod
    def _check_edition(n: int) -> None:
        if n not in (1, 2):
            raise ValueError(f"demo portals have editions 1 and 2, not {n!r}")

    @property
    def edition(self) -> int:
        with self._lock:
            return self._edition

    def set_edition(self, n: int) -> None:
        """Switch what the portals serve; takes effect for the next request (thread-safe)."""
        self._check_edition(n)
        build_site(n)
        with self._lock:
            self._edition = n

    # --- data ----------------------------------------------------------------------------
    def sources_toml(self) -> str:
        return _sources_toml()

    def body_for(self, url: str, edition: int | None = None) -> bytes | None:
        """The (uncompressed) body the portals serve for ``url`` in ``edition`` (default:
        the current one), or None for unknown URLs."""
        parts = urlsplit(url)
        res = build_site(edition or self.edition).lookup((parts.hostname or "").lower(), parts.path or "/")
        return res.body if res else None

    def clear_log(self) -> None:
        with self._lock:
            self.request_log.clear()

    def _record(self, entry: dict) -> None:
        with self._lock:
            self.request_log.append(entry)

    def _gzipped(self, res: Resource) -> bytes:
        key = id(res)
        with self._lock:
            data = self._gz_cache.get(key)
            if data is None:
                data = gzip.compress(res.body, compresslevel=6, mtime=0)
                self._gz_cache[key] = data
            return data

    def _index_page(self) -> str:
        rows = "".join(
            f'<li>{p.display}: <a href="{p.base}/">{p.base}/</a> (feed {p.feed_url}, sitemap {p.sitemap_url})</li>'
            for p in PORTALS
        )
        return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Demo portals</title></head><body>"
                f"<h1>Demo news portals (edition {self.edition})</h1><p>Use this server as HTTP proxy: "
                f"<code>curl -x {self.proxy_url} http://www.weserbote.test/</code></p><ul>{rows}</ul></body></html>")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m crawler.demo.server",
                                 description="Serve the demo news portals as a local HTTP proxy.")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 = any free port (default)")
    ap.add_argument("--edition", type=int, default=1, choices=(1, 2))
    ap.add_argument("--sources", metavar="PATH", help="also write the demo sources.toml to PATH")
    ap.add_argument("-v", "--verbose", action="store_true", help="log every request to stderr")
    args = ap.parse_args(argv)
    portals = DemoPortals(args.edition, args.host, args.port, verbose=args.verbose)
    url = portals.start()
    if args.sources:
        with open(args.sources, "w", encoding="utf-8") as fh:
            fh.write(portals.sources_toml())
    print(f"demo portals (edition {args.edition}) via proxy {url}", flush=True)
    for p in PORTALS:
        print(f"  {p.base}/  feed {p.feed_url}  sitemap {p.sitemap_url}")
    print(f"try: curl -x {url} --compressed {PORTALS[0].feed_url}\nCtrl-C to stop.", flush=True)
    def _terminate(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("stopping", flush=True)
    finally:
        portals.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
