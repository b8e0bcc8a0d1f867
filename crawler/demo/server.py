"""The demo portals server: one threaded stdlib HTTP server on 127.0.0.1 that acts as an HTTP
forward proxy for the fictional portal host names.

Clients (Scrapy with ``http_proxy=<proxy_url>``, urllib's ProxyHandler, ``curl -x``) send
absolute-form requests (``GET http://www.weserbote.test/rss.xml HTTP/1.1``); origin-form requests
with a ``Host`` header work too. Unknown hosts get 502. Nothing leaves the machine. The HTTP
handler and the server class are in :mod:`crawler.demo.proxy`.

    python -m crawler.demo.server [--port 8765] [--edition 1]
"""

from __future__ import annotations

import argparse
import gzip
import signal
import sys
import threading
import time
from urllib.parse import urlsplit

from .portals import PORTALS, sources_toml as _sources_toml
from .proxy import _Server
from .site import Resource, build_site


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
        res = self._lookup((parts.hostname or "").lower(), parts.path or "/", edition or self.edition)
        return res.body if res else None

    def _lookup(self, host: str, path: str, edition: int) -> Resource | None:
        """What a portal serves at ``path`` of ``host`` in ``edition`` (None: not found)."""
        return build_site(edition).lookup(host, path)

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
