"""The demo portals' HTTP side: the request handler of the forward proxy (absolute-form and
origin-form requests, gzip when accepted, chunked bodies where the portal sends them, every
request logged before it is answered) and the threaded server that tracks its connections.
:class:`crawler.demo.server.DemoPortals` owns the server and answers what is served."""

from __future__ import annotations

import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .portals import BY_HOST
from .site import Resource, not_found_body

if TYPE_CHECKING:
    from .server import DemoPortals

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
            res = owner._lookup(host, path, edition)
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
