"""A failed article fetch is retried by the next crawl, even when no source lists it any more."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import run_cli

ARTICLE = (
    "<html><head><title>Rat beschließt Haushalt</title><meta property='og:type' content='article'></head>"
    "<body><article><h1>Rat beschließt Haushalt</h1>"
    + "".join(f"<p>Absatz {i}: Der Rat der Stadt hat am Dienstagabend nach langer Debatte den Haushalt "
              f"für das kommende Jahr beschlossen, mit Investitionen in Schulen und Straßen.</p>" for i in range(6))
    + "</article></body></html>"
).encode()

FEED = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Lokal</title>{items}</channel></rss>"""
ITEM = "<item><title>Haushalt</title><link>{base}/a/1.html</link></item>"

pytestmark = pytest.mark.integration


@pytest.fixture
def site():
    state = {"failures_left": 3, "list_article": True, "hits": []}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            state["hits"].append(self.path)
            base = f"http://127.0.0.1:{self.server.server_port}"
            if self.path == "/robots.txt":
                status, body, ctype = 200, b"User-agent: *\nAllow: /\n", "text/plain"
            elif self.path == "/rss.xml":
                items = ITEM.format(base=base) if state["list_article"] else ""
                status, body, ctype = 200, FEED.format(items=items).encode(), "application/rss+xml"
            elif self.path == "/a/1.html":
                if state["failures_left"] > 0:
                    state["failures_left"] -= 1
                    status, body, ctype = 503, b"Wartungsarbeiten", "text/html"
                else:
                    status, body, ctype = 200, ARTICLE, "text/html; charset=utf-8"
            else:
                status, body, ctype = 404, b"", "text/html"
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", state
    server.shutdown()
    server.server_close()


def test_failed_article_is_retried_next_crawl_without_being_listed(site, tmp_path):
    base, state = site
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f"[[portal]]\nname = 'lokal'\nallowed_domains = ['127.0.0.1']\nfeeds = ['{base}/rss.xml']\n"
        f"article_pattern = '/a/\\d+\\.html$'\n", encoding="utf-8")
    data = str(tmp_path / "data")
    env = {"no_proxy": "127.0.0.1", "http_proxy": ""}
    first = run_cli("crawl", "--sources", str(sources), "--data-dir", data, "--json", env=env, check=False)
    assert first.returncode == 1  # the article could not be fetched: the run says so
    assert state["hits"].count("/a/1.html") == 3  # Scrapy's retries within the crawl
    state["list_article"] = False  # the feed moved on
    run_cli("crawl", "--sources", str(sources), "--data-dir", data, env=env)
    assert state["hits"].count("/a/1.html") == 4
    records = run_cli("export", "--all-members", "--data-dir", data).stdout
    assert f"{base}/a/1.html" in records and "Rat beschließt Haushalt" in records
