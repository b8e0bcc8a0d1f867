"""An article that answers 404/410 on a recrawl gets its tombstone in the change feed."""

import pytest

from conftest import run_cli
from crawler.datadir import DataDir
from crawler.store import open_store
from services import LocalSite
from test_spider_retry import ARTICLE

SITEMAP = ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
           "<url><loc>{base}/a/1.html</loc><lastmod>{lastmod}</lastmod></url></urlset>")

pytestmark = pytest.mark.integration


def test_article_gone_on_recrawl_emits_one_tombstone(tmp_path):
    state = {"status": 200, "lastmod": "2026-11-23T10:00:00+00:00"}

    def respond(path, base):
        if path == "/robots.txt":
            return 200, b"User-agent: *\nAllow: /\n", "text/plain"
        if path == "/sitemap.xml":
            return 200, SITEMAP.format(base=base, lastmod=state["lastmod"]).encode(), "application/xml"
        if path == "/a/1.html" and state["status"] == 200:
            return 200, ARTICLE, "text/html; charset=utf-8"
        return state["status"] if path == "/a/1.html" else 404, b"weg", "text/html"

    site = LocalSite(respond)
    try:
        sources = tmp_path / "sources.toml"
        sources.write_text(
            f"[[portal]]\nname = 'lokal'\nallowed_domains = ['127.0.0.1']\nsitemaps = ['{site.base}/sitemap.xml']\n"
            f"article_pattern = '/a/\\d+\\.html$'\n", encoding="utf-8")
        data = tmp_path / "data"
        env = {"no_proxy": "127.0.0.1", "http_proxy": ""}
        crawl = ["crawl", "--sources", str(sources), "--data-dir", str(data)]
        run_cli(*crawl, env=env)
        store = open_store(DataDir(data))
        (new,) = store.changes(0)
        state.update(status=410, lastmod="2026-11-24T10:00:00+00:00")  # announced as changed: fetched again
        run_cli(*crawl, env=env, check=False)
        state["lastmod"] = "2026-11-25T10:00:00+00:00"  # still gone: no second tombstone
        run_cli(*crawl, env=env, check=False)
        (tomb,) = store.changes(new.seq)
        assert (tomb.kind, tomb.article_id, tomb.detail["http_status"]) == ("gone", new.article_id, 410)
        assert tomb.canonical_url == f"{site.base}/a/1.html" and tomb.cluster_id == new.cluster_id
        assert store.article_row(new.article_id)["gone_status"] == 410
        store.close()
    finally:
        site.stop()
