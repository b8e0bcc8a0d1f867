"""A failed article fetch is retried by the next crawl, even when no source lists it any more."""

import pytest

from conftest import run_cli
from services import LocalSite

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
    state = {"failures_left": 3, "list_article": True}

    def respond(path, base):
        if path == "/robots.txt":
            return 200, b"User-agent: *\nAllow: /\n", "text/plain"
        if path == "/rss.xml":
            items = ITEM.format(base=base) if state["list_article"] else ""
            return 200, FEED.format(items=items).encode(), "application/rss+xml"
        if path == "/a/1.html":
            if state["failures_left"] > 0:
                state["failures_left"] -= 1
                return 503, b"Wartungsarbeiten", "text/html"
            return 200, ARTICLE, "text/html; charset=utf-8"
        return 404, b"", "text/html"

    server = LocalSite(respond)
    yield server, state
    server.stop()


def test_failed_article_is_retried_next_crawl_without_being_listed(site, tmp_path):
    server, state = site
    base = server.base
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f"[[portal]]\nname = 'lokal'\nallowed_domains = ['127.0.0.1']\nfeeds = ['{base}/rss.xml']\n"
        f"article_pattern = '/a/\\d+\\.html$'\n", encoding="utf-8")
    data = str(tmp_path / "data")
    env = {"no_proxy": "127.0.0.1", "http_proxy": ""}
    first = run_cli("crawl", "--sources", str(sources), "--data-dir", data, "--json", env=env, check=False)
    assert first.returncode == 1  # the article could not be fetched: the run says so
    assert server.hits.count("/a/1.html") == 3  # Scrapy's retries within the crawl
    state["list_article"] = False  # the feed moved on
    run_cli("crawl", "--sources", str(sources), "--data-dir", data, env=env)
    assert server.hits.count("/a/1.html") == 4
    records = run_cli("export", "--all-members", "--data-dir", data).stdout
    assert f"{base}/a/1.html" in records and "Rat beschließt Haushalt" in records
