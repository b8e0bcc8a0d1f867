"""The bundled demo portals (crawler.demo): served through the local proxy exactly as the
crawl sees them. Fast: no Scrapy, no services."""

from __future__ import annotations

import gzip
import html
import http.client
import re
import socket
import urllib.error
import urllib.request
import urllib.robotparser
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import feedparser
import pytest

from crawler.config import parse_sources
from crawler.demo import manifest
from crawler.demo.content import SEED_DIR, read_seed_blocks
from crawler.demo.portals import PORTALS
from crawler.demo.server import DemoPortals

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture(scope="module")
def portals():
    server = DemoPortals()
    url = server.start()
    server.proxy_port = urlsplit(url).port
    yield server
    server.stop()
    # the port is free again once the server is stopped
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", server.proxy_port))


def opener(portals, *handlers):
    return urllib.request.build_opener(urllib.request.ProxyHandler({"http": portals.proxy_url}), *handlers)


def fetch(portals, url, *, gzip_ok=False, redirects=True):
    headers = {"User-Agent": "demo-test/1.0"}
    if gzip_ok:
        headers["Accept-Encoding"] = "gzip"
    op = opener(portals) if redirects else opener(portals, _NoRedirect)
    return op.open(urllib.request.Request(url, headers=headers), timeout=10)


def body(resp) -> bytes:
    data = resp.read()
    if resp.headers.get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    return data


def links(page: bytes) -> set[str]:
    return set(re.findall(r'href="([^"]+)"', page.decode("utf-8")))


# --- content / manifest --------------------------------------------------------------------

def test_manifest_shape():
    arts = manifest.articles(1)
    assert len(arts) >= 15
    for p in PORTALS:
        assert sum(a.portal == p.name for a in arts) >= 5
    assert len({a.url for a in arts}) == len(arts)
    seed_story = manifest.stories(1)[manifest.SEED_000_STORY]
    assert {manifest.by_url(1)[u].portal for u in seed_story} == {"weserbote", "tagesblick", "nordticker"}
    assert len(manifest.stories(1)[manifest.SEED_002_STORY]) == 1
    assert manifest.representative(manifest.SEED_000_STORY).startswith("http://www.weserbote.test/")
    # another wire story on two portals, and a short item
    assert len(manifest.stories(1)["sturmtief-lisa"]) == 2
    assert min(sum(len(p.split()) for p in a.paragraphs) for a in arts) < 80


def test_seed_texts_bundled_and_used_verbatim():
    assert sorted(p.name for p in SEED_DIR.glob("*.txt")) == ["article_000.txt", "article_002.txt"]
    blocks0, blocks2 = read_seed_blocks("article_000.txt"), read_seed_blocks("article_002.txt")
    by_url = manifest.by_url(1)
    orig = by_url[manifest.representative(manifest.SEED_000_STORY)]
    assert orig.title == blocks0[0] and list(orig.paragraphs) == blocks0[1:7]
    (u2,) = manifest.stories(1)[manifest.SEED_002_STORY]
    assert by_url[u2].title == blocks2[1] and list(by_url[u2].paragraphs) == blocks2[2:8]
    # the seeds' residue lines are page chrome, never body paragraphs
    assert any(r.startswith("Mehr zum Thema") for r in orig.residue_lines)
    assert "Schreibe einen Kommentar" in orig.residue_lines
    assert "Herford" in by_url[u2].residue_lines
    for a in manifest.articles(2):
        for r in ("Schreibe einen Kommentar", "Herford"):
            assert r not in a.paragraphs
        assert not any(p.startswith("Mehr zum Thema") for p in a.paragraphs)
    # republications: dateline added, other headline, a paragraph dropped or reworded
    for u in manifest.stories(1)[manifest.SEED_000_STORY]:
        a = by_url[u]
        if a.url != orig.url:
            assert a.dateline == "Moskau (dpa)" and a.paragraphs[0].startswith("Moskau (dpa) – ")
            assert a.title != orig.title and len(a.paragraphs) == len(orig.paragraphs) - 1


def test_residue_never_collides_with_body():
    for edition in manifest.EDITIONS:
        for a in manifest.articles(edition):
            assert a.residue_lines
            assert manifest.residue_violations("\n".join(a.paragraphs), a) == []
            assert manifest.missing_paragraphs("\n".join(a.paragraphs), a) == []
    a = manifest.articles(1)[0]
    assert manifest.residue_violations("Text\n" + a.residue_lines[-1] + "\n", a)
    assert manifest.missing_paragraphs("nothing", a) == list(a.paragraphs)


def test_sources_toml_describes_portals():
    sources = parse_sources(DemoPortals().sources_toml())
    assert [p.name for p in sources.portals] == [p.name for p in PORTALS]
    for a in manifest.articles(2):
        portal = sources.portal_for_url(a.url)
        assert portal is not None and portal.name == a.portal and portal.is_article_url(a.url)
    special = (*manifest.NON_ARTICLE_URLS, *manifest.REDIRECTS, *manifest.NOT_FOUND_URLS,
               *manifest.ROBOTS_DISALLOWED_URLS)
    for u in special:
        assert sources.portal_for_url(u).is_article_url(u), u
    for p in sources.portals:
        for start in p.start_pages + p.feeds + p.sitemaps:
            assert p.owns(start) and not p.is_article_url(start)


# --- served through the proxy --------------------------------------------------------------

def test_robots_txt(portals):
    for p in PORTALS:
        resp = fetch(portals, p.url("/robots.txt"))
        assert resp.status == 200 and resp.headers.get_content_type() == "text/plain"
        rp = urllib.robotparser.RobotFileParser()
        rp.parse(body(resp).decode().splitlines())
        assert rp.can_fetch("NewsCrawler", p.url("/"))
        assert not rp.can_fetch("NewsCrawler", p.url("/intern/x.html"))
        for a in manifest.articles(1):
            if a.portal == p.name:
                assert rp.can_fetch("NewsCrawler", a.url)
    rp = urllib.robotparser.RobotFileParser()
    rp.parse(body(fetch(portals, PORTALS[0].url("/robots.txt"))).decode().splitlines())
    for u in manifest.ROBOTS_DISALLOWED_URLS:
        assert not rp.can_fetch("NewsCrawler", u)


def test_feeds(portals):
    kinds = set()
    for p in PORTALS:
        resp = fetch(portals, p.feed_url, gzip_ok=True)
        feed = feedparser.parse(body(resp))
        assert not feed.bozo, feed.bozo_exception
        kinds.add(feed.version[:3])
        expected = {a.url: a for a in manifest.articles(1) if a.portal == p.name}
        assert {e.link for e in feed.entries} == set(expected)
        for e in feed.entries:
            assert e.title == expected[e.link].title
            assert e.published_parsed
    assert kinds == {"rss", "ato"}


def _xml(portals, url):
    return ET.fromstring(body(fetch(portals, url, gzip_ok=True)))


def _sitemap_lastmods(portals, p) -> dict[str, str]:
    root = _xml(portals, p.sitemap_url)
    out = {}
    if root.tag == SM + "sitemapindex":
        children = [s.findtext(SM + "loc") for s in root.findall(SM + "sitemap")]
        assert len(children) == 2
        for child in children:
            croot = _xml(portals, child)
            for u in croot.findall(SM + "url"):
                news = u.find(NEWS + "news")
                if news is not None:
                    assert news.findtext(NEWS + "publication_date")
                    assert news.findtext(f"{NEWS}publication/{NEWS}name") == p.display
                    continue
                out[u.findtext(SM + "loc")] = u.findtext(SM + "lastmod")
    else:
        for u in root.findall(SM + "url"):
            out[u.findtext(SM + "loc")] = u.findtext(SM + "lastmod")
    return out


def test_sitemaps(portals):
    index_seen = False
    for p in PORTALS:
        index_seen |= _xml(portals, p.sitemap_url).tag == SM + "sitemapindex"
        got = _sitemap_lastmods(portals, p)
        assert got == {a.url: a.lastmod for a in manifest.articles(1) if a.portal == p.name}
    assert index_seen


def test_article_gzip_and_identity(portals):
    a = next(a for a in manifest.articles(1) if a.portal == "weserbote")
    resp = fetch(portals, a.url, gzip_ok=True)
    assert resp.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in resp.headers["Vary"]
    served = body(resp)
    assert served == portals.body_for(a.url)
    plain = fetch(portals, a.url)
    assert plain.headers.get("Content-Encoding") is None and plain.read() == served
    text = html.unescape(served.decode("utf-8"))
    for para in a.paragraphs:
        assert para in text
    assert '"@type": "NewsArticle"' in text


def test_chunked_transfer(portals):
    a = next(a for a in manifest.articles(1) if a.portal == "tagesblick")
    conn = http.client.HTTPConnection("127.0.0.1", portals.proxy_port, timeout=10)
    try:
        for enc in ("gzip", "identity"):
            conn.request("GET", a.url, headers={"Accept-Encoding": enc})  # absolute-form via proxy
            resp = conn.getresponse()
            assert resp.status == 200 and resp.version == 11
            assert resp.getheader("Transfer-Encoding") == "chunked"
            assert resp.getheader("Content-Length") is None
            data = resp.read()
            if enc == "gzip":
                assert resp.getheader("Content-Encoding") == "gzip"
                data = gzip.decompress(data)
            assert data == portals.body_for(a.url)       # keep-alive: same connection twice
    finally:
        conn.close()


def test_origin_form_with_host_header(portals):
    conn = http.client.HTTPConnection("127.0.0.1", portals.proxy_port, timeout=10)
    try:
        conn.request("GET", "/rss.xml", headers={"Host": "www.weserbote.test"})
        resp = conn.getresponse()
        assert resp.status == 200 and b"<rss" in resp.read()
    finally:
        conn.close()


def test_head_request(portals):
    a = manifest.articles(1)[0]
    resp = opener(portals).open(urllib.request.Request(a.url, method="HEAD"), timeout=10)
    assert resp.status == 200 and resp.read() == b""
    assert int(resp.headers["Content-Length"]) == len(portals.body_for(a.url))


def test_redirect(portals):
    ((old, new),) = manifest.REDIRECTS.items()
    with pytest.raises(urllib.error.HTTPError) as err:
        fetch(portals, old, redirects=False)
    assert err.value.code == 301 and err.value.headers["Location"] == new
    resp = fetch(portals, old, gzip_ok=True)
    assert resp.status == 200 and resp.url == new
    # the section page links the old URL, feed and sitemap the new one
    section = urlsplit(old).path.split("/")[1]
    page = body(fetch(portals, f"http://{urlsplit(old).hostname}/{section}/"))
    assert old in links(page) and new not in links(page)


def test_not_found(portals):
    (missing,) = manifest.NOT_FOUND_URLS
    with pytest.raises(urllib.error.HTTPError) as err:
        fetch(portals, missing)
    assert err.value.code == 404
    assert any(missing in links(body(fetch(portals, s))) for s in PORTALS[2].start_pages)


def test_non_article_page(portals):
    (gallery,) = manifest.NON_ARTICLE_URLS
    page = body(fetch(portals, gallery, gzip_ok=True)).decode()
    assert '<meta property="og:type" content="website">' in page
    assert "<article" not in page and "application/ld+json" not in page
    assert any(gallery in links(body(fetch(portals, s))) for s in PORTALS[0].start_pages)


def test_unknown_host_and_method(portals):
    with pytest.raises(urllib.error.HTTPError) as err:
        fetch(portals, "http://www.example.com/")
    assert err.value.code == 502
    req = urllib.request.Request(PORTALS[0].feed_url, data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as err:
        opener(portals).open(req, timeout=10)
    assert err.value.code == 405


def test_section_pages_link_all_articles(portals):
    for p in PORTALS:
        found = set()
        for start in p.start_pages:
            found |= links(body(fetch(portals, start, gzip_ok=True)))
        expected = {a.url for a in manifest.articles(1) if a.portal == p.name}
        expected -= set(manifest.REDIRECTS.values())
        assert expected <= found


def test_request_log(portals):
    portals.clear_log()
    url = PORTALS[1].feed_url
    fetch(portals, url, gzip_ok=True).read()
    (entry,) = portals.request_log
    assert entry["method"] == "GET" and entry["url"] == url and entry["status"] == 200
    assert entry["time"] > 0 and entry["encoding"] == "gzip" and entry["chunked"] is True


def test_edition_switch(portals):
    def snapshot():
        feeds, sitemaps = {}, {}
        for p in PORTALS:
            feed = feedparser.parse(body(fetch(portals, p.feed_url, gzip_ok=True)))
            for e in feed.entries:
                feeds[e.link] = e.updated if feed.version.startswith("atom") else e.published
            sitemaps.update(_sitemap_lastmods(portals, p))
        return feeds, sitemaps

    try:
        feeds1, maps1 = snapshot()
        pages1 = {a.url: portals.body_for(a.url) for a in manifest.articles(1)}
        portals.set_edition(2)
        assert portals.edition == 2
        feeds2, maps2 = snapshot()
        new = set(maps2) - set(maps1)
        assert new == set(manifest.EDITION2_NEW_URLS) == set(feeds2) - set(feeds1)
        assert not set(maps1) - set(maps2)
        changed = {u for u in maps1 if maps1[u] != maps2[u]}
        assert changed == set(manifest.EDITION2_UPDATED_URLS)
        assert {u for u in feeds1 if feeds1[u] != feeds2[u]} == changed
        # served pages: only the updated one differs; the new one joins an existing story
        differs = {u for u, b in pages1.items() if body(fetch(portals, u, gzip_ok=True)) != b}
        assert differs == changed
        (upd,) = changed
        a2 = manifest.by_url(2)[upd]
        assert a2.version == 2 and a2.modified and len(a2.paragraphs) > len(manifest.by_url(1)[upd].paragraphs)
        page = html.unescape(body(fetch(portals, upd)).decode())
        assert a2.paragraphs[-1] in page and a2.modified in page
        (newurl,) = new
        story = manifest.by_url(2)[newurl].story
        assert len(manifest.stories(2)[story]) == len(manifest.stories(1)[story]) + 1
        section = urlsplit(newurl).path.split("/")[1]
        assert newurl in links(body(fetch(portals, f"http://{urlsplit(newurl).hostname}/{section}/")))
    finally:
        portals.set_edition(1)
    assert manifest.EDITION2_NEW_URLS[0] not in _sitemap_lastmods(portals, PORTALS[1])


@pytest.mark.integration  # starts two servers (the other tests get theirs from the `portals` fixture)
def test_two_servers_get_distinct_free_ports():
    with DemoPortals() as a, DemoPortals(edition=2) as b:
        assert a.port != b.port
        for srv in (a, b):
            op = urllib.request.build_opener(urllib.request.ProxyHandler({"http": srv.proxy_url}))
            assert op.open(PORTALS[0].feed_url, timeout=10).status == 200
    with pytest.raises(ValueError):
        DemoPortals(edition=3)
