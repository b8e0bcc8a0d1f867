import gzip
from datetime import datetime, timedelta, timezone

import pytest

from crawler.discovery import needs_fetch, parse_feed, parse_sitemap
from crawler.store import UrlState
from crawler.urls import canonicalize_url

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Weser-Bote</title><link>http://www.weserbote.test/</link>
<item><title>Rat beschlie\xc3\x9ft Haushalt</title><link>http://www.weserbote.test/lokales/haushalt-101.html</link>
<pubDate>Mon, 23 Nov 2026 14:05:00 +0100</pubDate></item>
<item><title>Ohne Datum</title><link>/politik/ohne-datum-102.html</link></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Rundschau</title>
<entry><title>Eintrag</title><link href="https://rundschau.test/a/1.html"/>
<published>2026-11-20T08:00:00+01:00</published><updated>2026-11-23T10:00:00+01:00</updated></entry>
</feed>"""

NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://rundschau.test/a/1.html</loc>
 <news:news><news:publication><news:name>Rundschau</news:name><news:language>de</news:language></news:publication>
 <news:publication_date>2026-11-23T09:30:00+01:00</news:publication_date><news:title>Titel</news:title></news:news></url>
<url><loc>https://rundschau.test/a/2.html</loc><lastmod>2026-11-22</lastmod></url>
</urlset>"""

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://rundschau.test/sitemap-news.xml</loc><lastmod>2026-11-23</lastmod></sitemap>
<sitemap><loc>https://rundschau.test/sitemap-2026.xml.gz</loc></sitemap>
</sitemapindex>"""


def test_rss_entries_with_lastmod_in_utc_and_relative_links():
    entries = parse_feed(RSS, "http://www.weserbote.test/rss.xml")
    assert entries[0].url == "http://www.weserbote.test/lokales/haushalt-101.html"
    assert entries[0].lastmod == "2026-11-23T13:05:00+00:00"
    assert entries[0].title == "Rat beschließt Haushalt"
    assert entries[1].url == "http://www.weserbote.test/politik/ohne-datum-102.html"
    assert entries[1].lastmod is None


def test_atom_prefers_updated_over_published():
    (entry,) = parse_feed(ATOM, "https://rundschau.test/atom.xml")
    assert entry.lastmod == "2026-11-23T09:00:00+00:00"


def test_not_a_feed_is_an_error():
    with pytest.raises(ValueError, match="not a feed"):
        parse_feed(b"<html><body>Wartungsarbeiten</body></html>", "http://x.test/rss")


def test_news_sitemap_publication_date_and_lastmod():
    kind, entries = parse_sitemap(NEWS_SITEMAP, "https://rundschau.test/sitemap-news.xml")
    assert kind == "urlset"
    assert [(e.url, e.lastmod) for e in entries] == [
        ("https://rundschau.test/a/1.html", "2026-11-23T08:30:00+00:00"),
        ("https://rundschau.test/a/2.html", "2026-11-22T00:00:00+00:00"),
    ]


def test_sitemap_index():
    kind, entries = parse_sitemap(INDEX, "https://rundschau.test/sitemap.xml")
    assert kind == "index"
    assert [e.url for e in entries] == [
        "https://rundschau.test/sitemap-news.xml", "https://rundschau.test/sitemap-2026.xml.gz",
    ]


def test_gzip_is_never_decompressed_without_a_limit():
    """The spider decompresses .xml.gz under DOWNLOAD_MAXSIZE; the parser refuses gzip bytes."""
    with pytest.raises(ValueError, match="gzip"):
        parse_sitemap(gzip.compress(INDEX), "https://rundschau.test/sitemap.xml")


def test_html_is_not_a_sitemap():
    with pytest.raises(ValueError, match="not a sitemap"):
        parse_sitemap(b"<html><body>404</body></html>", "https://rundschau.test/sitemap.xml")


def _state(status, lastmod=None, days_ago=0):
    at = (datetime.now(timezone.utc) - timedelta(days=days_ago)).isoformat(timespec="seconds")
    return UrlState("http://x.test/a.html", status, 200, lastmod, "id", at)


def test_incremental_fetch_decisions():
    assert needs_fetch(None, None) == (True, "new")
    assert needs_fetch(_state("article"), None) == (False, "known")
    assert needs_fetch(_state("article", "2026-11-23T10:00:00+00:00"), "2026-11-23T10:00:00+00:00")[0] is False
    assert needs_fetch(_state("article", "2026-11-23T10:00:00+00:00"), "2026-11-23T12:00:00+00:00") == (
        True, "lastmod-changed")
    assert needs_fetch(_state("error"), None) == (True, "retry-error")
    assert needs_fetch(_state("gone", days_ago=1), None) == (False, "known")
    assert needs_fetch(_state("gone", days_ago=8), None) == (True, "retry-gone")


def test_canonical_url_drops_tracking_fragment_and_default_port():
    assert canonicalize_url("HTTP://WWW.Weserbote.test:80/Politik/a-1.html?utm_source=rss&b=2&a=1#kommentare") == (
        "http://www.weserbote.test/Politik/a-1.html?a=1&b=2")
    assert canonicalize_url("https://x.test") == "https://x.test/"


def test_empty_feed_is_not_an_error():
    empty = b"<?xml version='1.0'?><rss version='2.0'><channel><title>Weser-Bote</title></channel></rss>"
    assert parse_feed(empty, "http://www.weserbote.test/rss.xml", "application/rss+xml") == []


def test_known_url_without_recorded_lastmod_compares_with_fetch_time():
    state = _state("article", None, days_ago=1)
    newer = datetime.now(timezone.utc).isoformat(timespec="seconds")
    older = (datetime.now(timezone.utc) - timedelta(days=2)).isoformat(timespec="seconds")
    assert needs_fetch(state, newer) == (True, "lastmod-changed")
    assert needs_fetch(state, older) == (False, "known")
    assert needs_fetch(_state("dropped", "2026-11-23T10:00:00+00:00"), "2026-11-23T10:00:00+00:00")[0] is False


def test_dropped_pages_retried_when_a_feed_lists_them_again():
    for status in ("not-article", "dropped"):
        assert needs_fetch(_state(status, days_ago=2), None, listed=True) == (True, "retry-dropped")
        assert needs_fetch(_state(status, days_ago=2), None) == (False, "known")  # only linked: not again
        assert needs_fetch(_state(status, days_ago=0), None, listed=True) == (False, "known")  # once a day
    assert needs_fetch(_state("article", days_ago=2), None, listed=True) == (False, "known")
