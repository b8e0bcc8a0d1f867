"""A hostile portal: each kind of bad input gets a log line and costs nothing else.

Every case is a small site on 127.0.0.1 (:class:`services.LocalSite`) crawled by `crawler crawl`
without politeness delays, as an operator would run it.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import sqlite3
import subprocess
import sys
import threading
import zlib
from pathlib import Path

import pytest

from conftest import REPO, run_cli
from services import LocalSite

pytestmark = pytest.mark.integration

NO_POLITENESS = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
                 "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"]
WORDS = ("Stadtrat Haushalt Schule Brücke Verkehr Bürger Ärztin Straße Gemeinde Förderung Umbau "
         "Kreisumlage Sitzung Antrag Grüne Mehrheit Bauausschuss Feuerwehr Kita Öffnungszeiten").split()


def article(n: int, title: str | None = None, paragraphs: int = 6) -> str:
    rnd = random.Random(n)
    title = title or f"Meldung {n}: {' '.join(rnd.sample(WORDS, 3))}"
    body = "".join(f"<p>{' '.join(rnd.choice(WORDS) for _ in range(40))} Nummer {n}-{i}.</p>"
                   for i in range(paragraphs))
    return (f'<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>{title}</title>'
            f'<meta property="og:type" content="article"></head><body><article><h1>{title}</h1>'
            f"{body}</article></body></html>")


def rss(base: str, paths: list[str]) -> bytes:
    items = "".join(f"<item><title>{p}</title><link>{base}{p}</link>"
                    f"<pubDate>Tue, 01 Dec 2026 08:00:00 +0000</pubDate></item>" for p in paths)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Hostil</title>'
            f"<link>{base}/</link>{items}</channel></rss>").encode()


class Portal:
    """A site answering from ``routes`` (path -> response tuple or callable returning one)."""

    def __init__(self, routes: dict):
        self.routes = routes
        self.site = LocalSite(self._respond)
        self.base = self.site.base

    def _respond(self, path, base):
        route = self.routes.get(path)
        if callable(route):
            route = route()
        if route is None:
            return 404, b"not found", "text/plain"
        return route

    @property
    def hits(self) -> list[str]:
        return self.site.hits

    def sources(self, tmp_path: Path, *, feeds=("/feed.xml",), sitemaps=(), extra: str = "") -> Path:
        path = tmp_path / "sources.toml"
        path.write_text(
            f'[defaults]\nuser_agent = "HostileTestBot/1.0"\n\n[[portal]]\nname = "hostil"\n'
            f'allowed_domains = ["127.0.0.1"]\nfeeds = {json.dumps([self.base + f for f in feeds])}\n'
            f'sitemaps = {json.dumps([self.base + s for s in sitemaps])}\n'
            f"article_pattern = '/artikel/'\n{extra}",
            encoding="utf-8")
        return path

    def stop(self):
        self.site.stop()


@pytest.fixture
def make_portal():
    made = []

    def make(routes):
        made.append(Portal(routes))
        return made[-1]

    yield make
    for p in made:
        p.stop()


def crawl(sources: Path, data: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return run_cli("crawl", "--sources", str(sources), "--data-dir", str(data), *NO_POLITENESS, *args,
                   check=False, env={"http_proxy": "", "https_proxy": "", "no_proxy": "*"}, timeout=timeout)


def exported(data: Path) -> dict[str, dict]:
    proc = run_cli("export", "--all-members", "--data-dir", str(data))
    records = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    return {r["provenance"]["url"] if "provenance" in r else r["url"]: r for r in records}


def log_of(data: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in sorted((data / "logs").glob("*.log")))


def html(text: str, charset: str = "utf-8") -> tuple:
    return 200, text.encode("utf-8"), f"text/html; charset={charset}"


# -- the cases ----------------------------------------------------------------------------------
# Runs a command and reports the peak RSS of the largest process of its whole tree: as child
# subreaper it gets the crawl's worker processes (and their fork server) when their parents end,
# so the kernel's maxrss of every descendant reaches RUSAGE_CHILDREN (os.wait4 of the crawl alone
# would miss the workers, where sitemaps are decompressed).
PEAK_RSS_OF_TREE = r"""
import ctypes, os, resource, subprocess, sys
if ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
    sys.exit("prctl(PR_SET_CHILD_SUBREAPER) failed: errno %d" % ctypes.get_errno())
status = subprocess.call(sys.argv[2:])
while True:  # descendants that outlived their parents were reparented here
    try:
        os.wait()
    except ChildProcessError:
        break
with open(sys.argv[1], "w") as out:
    out.write("%d %d" % (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, status))
"""


def test_gzip_bomb_sitemap_is_read_only_up_to_the_size_limit(make_portal, tmp_path):
    """1 GiB of zeros in a 1 MB .xml.gz: decompression stops at DOWNLOAD_MAXSIZE, the peak memory
    of every process of the crawl (its workers too) stays far below the bomb's size and the feed's
    article is stored anyway."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\0" * (1 << 20)
    bomb = b"".join(squeeze.compress(chunk) for _ in range(1024)) + squeeze.flush()
    portal = make_portal({
        "/robots.txt": (200, b"", "text/plain"),
        "/feed.xml": None,
        "/sitemap.xml.gz": (200, bomb, "application/gzip"),
        "/artikel/1.html": html(article(1)),
    })
    portal.routes["/feed.xml"] = (200, rss(portal.base, ["/artikel/1.html"]), "application/rss+xml")
    sources = portal.sources(tmp_path, sitemaps=["/sitemap.xml.gz"])
    data, peak = tmp_path / "data", tmp_path / "peak"
    proc = subprocess.run(
        [sys.executable, "-c", PEAK_RSS_OF_TREE, str(peak), sys.executable, "-m", "crawler", "crawl",
         "--sources", str(sources), "--data-dir", str(data), *NO_POLITENESS],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300,
        env={**os.environ, "http_proxy": "", "no_proxy": "*"})
    out = proc.stdout.decode(errors="replace")
    assert proc.returncode == 0 and peak.exists(), out[-3000:]
    peak_kb, status = map(int, peak.read_text().split())
    print(f"crawl exit {status}, peak RSS {peak_kb / 1024:.0f} MB")
    assert "/sitemap.xml.gz" in portal.hits, out[-3000:]
    assert peak_kb / 1024 < 600, f"peak RSS {peak_kb / 1024:.0f} MB for a 1 GiB gzip bomb"
    assert "exceeds DOWNLOAD_MAXSIZE" in log_of(data)
    assert set(exported(data)) == {portal.base + "/artikel/1.html"}


def test_feed_redirect_to_another_host_is_never_followed(make_portal, tmp_path):
    elsewhere = make_portal({"/feed.xml": None})
    elsewhere.routes["/feed.xml"] = (200, rss(elsewhere.base, ["/artikel/9.html"]), "application/rss+xml")
    elsewhere.routes["/artikel/9.html"] = html(article(9))
    # the same server under another host name: outside the portal's allowed_domains
    offsite = elsewhere.base.replace("127.0.0.1", "localhost")
    portal = make_portal({
        "/robots.txt": (200, b"", "text/plain"),
        "/feed.xml": (301, b"", "text/html", {"Location": offsite + "/feed.xml"}),
        "/other.xml": None,
        "/artikel/1.html": html(article(1)),
    })
    portal.routes["/other.xml"] = (200, rss(portal.base, ["/artikel/1.html"]), "application/rss+xml")
    data = tmp_path / "data"
    proc = crawl(portal.sources(tmp_path, feeds=["/feed.xml", "/other.xml"]), data)
    assert elsewhere.hits == [], elsewhere.hits  # not even its robots.txt
    assert "/feed.xml" in portal.hits
    assert f"leaves portal hostil" in log_of(data)
    assert set(exported(data)) == {portal.base + "/artikel/1.html"}
    assert proc.returncode == 0, proc.stderr[-3000:]  # a decision, not an error


def neighbour(make_portal):
    """A second portal of the same crawl, ``nachbar`` on ``localhost`` (the same loopback server
    under another host name): inside the crawl's allowed domains (so Scrapy's own offsite filter
    lets requests to it pass) but outside portal ``hostil``'s. Returns its server, its base URL
    and its ``[[portal]]`` table."""
    server = make_portal({"/robots.txt": (200, b"", "text/plain"), "/nachbar.xml": None})
    base = server.base.replace("127.0.0.1", "localhost")
    server.routes["/nachbar.xml"] = (200, rss(base, ["/artikel/8.html"]), "application/rss+xml")
    server.routes["/artikel/8.html"] = html(article(8))
    table = (f'\n[[portal]]\nname = "nachbar"\nallowed_domains = ["localhost"]\n'
             f'feeds = ["{base}/nachbar.xml"]\narticle_pattern = \'/artikel/\'\n')
    return server, base, table


def test_redirects_of_sitemaps_start_pages_and_articles_to_another_portal_are_never_followed(make_portal, tmp_path):
    elsewhere, offsite, nachbar = neighbour(make_portal)

    def moved(path):
        return 301, b"", "text/html", {"Location": offsite + path}

    portal = make_portal({
        "/robots.txt": (200, b"", "text/plain"),
        "/feed.xml": None,
        "/sitemap.xml": moved("/sitemap.xml"),
        "/start.html": moved("/start.html"),
        "/artikel/1.html": html(article(1)),
        "/artikel/2.html": moved("/artikel/2.html"),
    })
    portal.routes["/feed.xml"] = (200, rss(portal.base, ["/artikel/1.html", "/artikel/2.html"]), "application/rss+xml")
    sources = portal.sources(tmp_path, sitemaps=["/sitemap.xml"],
                             extra=f'start_pages = ["{portal.base}/start.html"]\n{nachbar}')
    data = tmp_path / "data"
    proc = crawl(sources, data)
    assert {"/sitemap.xml", "/start.html", "/artikel/2.html"} <= set(portal.hits), portal.hits
    assert set(elsewhere.hits) == {"/robots.txt", "/nachbar.xml", "/artikel/8.html"}, elsewhere.hits
    log = log_of(data)
    for path in ("/sitemap.xml", "/start.html", "/artikel/2.html"):
        assert f"to {offsite}{path} leaves portal hostil" in log, path
    assert set(exported(data)) == {portal.base + "/artikel/1.html", offsite + "/artikel/8.html"}
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_a_robots_txt_redirect_to_another_portal_is_not_followed_and_disallows_everything(make_portal, tmp_path):
    elsewhere, offsite, nachbar = neighbour(make_portal)
    portal = make_portal({
        "/robots.txt": (301, b"", "text/html", {"Location": offsite + "/hostil-robots.txt"}),
        "/feed.xml": None,
        "/artikel/1.html": html(article(1)),
    })
    portal.routes["/feed.xml"] = (200, rss(portal.base, ["/artikel/1.html"]), "application/rss+xml")
    data = tmp_path / "data"
    crawl(portal.sources(tmp_path, extra=nachbar), data)
    assert set(elsewhere.hits) == {"/robots.txt", "/nachbar.xml", "/artikel/8.html"}, elsewhere.hits
    assert set(portal.hits) == {"/robots.txt"}, portal.hits  # RFC 9309: unreachable, nothing fetched
    log = log_of(data)
    assert f"to {offsite}/hostil-robots.txt leaves portal hostil" in log
    assert "unreachable (redirected outside the portal's allowed domains): everything disallowed" in log
    assert set(exported(data)) == {offsite + "/artikel/8.html"}


def test_robots_txt_answering_500_disallows_everything(make_portal, tmp_path):
    portal = make_portal({
        "/robots.txt": (500, b"<html>Internal Server Error</html>", "text/html"),
        "/feed.xml": None,
        "/artikel/1.html": html(article(1)),
    })
    portal.routes["/feed.xml"] = (200, rss(portal.base, ["/artikel/1.html"]), "application/rss+xml")
    data = tmp_path / "data"
    crawl(portal.sources(tmp_path), data)
    assert portal.hits and set(portal.hits) == {"/robots.txt"}, portal.hits
    assert "unreachable (HTTP 500): everything disallowed" in log_of(data)
    # robots.txt is back: the next crawl fetches what the first one could not
    portal.routes["/robots.txt"] = (404, b"", "text/plain")
    crawl(portal.sources(tmp_path), data)
    assert set(exported(data)) == {portal.base + "/artikel/1.html"}


def test_truncated_and_empty_responses_are_retried_by_the_next_crawl(make_portal, tmp_path):
    cut, empty, whole = "/artikel/cut.html", "/artikel/empty.html", "/artikel/whole.html"
    huge = "/artikel/huge.html"  # 3 MB once decompressed, over the DOWNLOAD_MAXSIZE of this test
    big = "/artikel/big.html"  # 3 MB as sent (Content-Length over DOWNLOAD_MAXSIZE)
    page = article(2).encode()
    portal = make_portal({
        "/robots.txt": (200, b"", "text/plain"),
        "/feed.xml": None,
        whole: html(article(1)),
        # announces the full length, sends a third of it, closes the connection
        cut: (200, page[: len(page) // 3], "text/html; charset=utf-8", {"Content-Length": str(len(page))}),
        empty: (200, b"", "text/html; charset=utf-8"),
        huge: (200, gzip.compress(article(5, paragraphs=8000).encode()), "text/html; charset=utf-8",
               {"Content-Encoding": "gzip"}),
        big: html(article(6, paragraphs=8000)),
    })
    portal.routes["/feed.xml"] = (200, rss(portal.base, [whole, cut, empty, huge, big]), "application/rss+xml")
    sources, data = portal.sources(tmp_path), tmp_path / "data"
    limit = ("-s", "DOWNLOAD_MAXSIZE=2000000")
    crawl(sources, data, *limit)
    assert set(exported(data)) == {portal.base + whole}
    assert "truncated response (0-byte body)" in log_of(data)
    # the portal answers properly again: the next crawl gets them, and only them
    portal.routes[cut] = html(article(2))
    portal.routes[empty] = html(article(3))
    portal.routes[huge] = html(article(5))
    portal.routes[big] = html(article(6))
    # ... also when the feed no longer lists them: failed fetches are remembered as failed
    portal.routes["/feed.xml"] = (200, rss(portal.base, [whole]), "application/rss+xml")
    portal.hits.clear()
    crawl(sources, data, *limit)
    assert set(exported(data)) == {portal.base + p for p in (whole, cut, empty, huge, big)}
    assert whole not in portal.hits


def test_utf8_labelled_windows_1252_keeps_its_umlauts(make_portal, tmp_path):
    title = "Bürgermeisterin eröffnet Straßenfest in Gütersloh"
    page = article(4, title=title).replace('<meta charset="utf-8">', "")
    # a page whose CMS already lost its umlauts: U+FFFD in the text, nothing left to correct
    mangled = article(6).replace("ü", "\ufffd").replace("ö", "\ufffd").replace("ä", "\ufffd")
    portal = make_portal({
        "/robots.txt": (200, b"", "text/plain"),
        "/feed.xml": None,
        "/artikel/1.html": (200, page.encode("utf-8"), "text/html; charset=windows-1252"),
        "/artikel/2.html": html(mangled),
    })
    portal.routes["/feed.xml"] = (200, rss(portal.base, ["/artikel/1.html", "/artikel/2.html"]), "application/rss+xml")
    data = tmp_path / "data"
    crawl(portal.sources(tmp_path), data)
    records = exported(data)
    record = records[portal.base + "/artikel/1.html"]
    assert record["title"] == title
    assert "Brücke" in record["text"] or "Bürger" in record["text"] or "Ärztin" in record["text"]
    assert "Ã" not in record["text"] + record["title"]
    assert not any("replacement character" in w for w in record["warnings"]), record["warnings"]
    lost = records[portal.base + "/artikel/2.html"]
    assert "\ufffd" in lost["text"]
    assert any("replacement character" in w for w in lost["warnings"]), lost["warnings"]


def test_a_25_mb_page_does_not_hold_up_the_50_articles_beside_it(make_portal, tmp_path):
    """The big page is fetched first and analysed in one worker while the other handles the 50
    normal articles: all 50 are stored before the big page's outcome (stored after them, by
    change sequence, or recorded as over its time budget after them, by store time)."""
    big = "/artikel/riesig.html"
    paragraph = "<p>" + " ".join(WORDS) * 3 + "</p>"
    page = article(0).replace("</article>", paragraph * (25 * 1024 * 1024 // len(paragraph)) + "</article>")
    normal = [f"/artikel/{n}.html" for n in range(1, 51)]
    big_asked, big_sent = threading.Event(), threading.Event()

    def send_big():
        big_asked.set()
        threading.Timer(1.0, big_sent.set).start()  # ample for 25 MB over the loopback
        return html(page)

    def normal_feed():  # the 50 articles are announced only once the big page was asked for ...
        big_asked.wait(60)
        return 200, rss(portal.base, normal), "application/rss+xml"

    early: list[int] = []

    def after_big(n):  # ... and answer only once it is on its way (whatever the request order)
        def respond():
            if not big_sent.wait(60):
                early.append(n)
            return html(article(n))
        return respond

    routes = {"/robots.txt": (200, b"", "text/plain"), big: send_big, "/feed.xml": normal_feed}
    routes.update({p: after_big(n) for n, p in enumerate(normal, 1)})
    portal = make_portal(routes)
    portal.routes["/big.xml"] = (200, rss(portal.base, [big]), "application/rss+xml")
    data = tmp_path / "data"
    crawl(portal.sources(tmp_path, feeds=["/big.xml", "/feed.xml"]), data, "-s", "CRAWLER_WORKERS=2", "-s", "CRAWLER_EXTRACT_MAX_BYTES=0",
          "-s", "CRAWLER_PAGE_TIME_BUDGET=30", timeout=600)
    assert big in portal.hits and not early, early  # no article answered before the big page was sent
    records = exported(data)
    assert {portal.base + p for p in normal} <= set(records)
    last_normal = max(records[portal.base + p]["seq"] for p in normal)
    if portal.base + big in records:  # analysed within its budget: stored after the others
        assert records[portal.base + big]["seq"] > last_normal
        return
    db = sqlite3.connect(data / "articles.sqlite")  # past its budget: recorded after the others
    try:
        (big_state, big_done), = db.execute("SELECT status, fetched_at FROM url_state WHERE url LIKE ?",
                                            (f"%{big}",)).fetchall()
        stored = [row[0] for row in db.execute("SELECT at FROM changes")]
    finally:
        db.close()
    assert big_state == "over-time-budget", big_state
    assert len(stored) == 50 and max(stored)[:19] <= big_done[:19], (max(stored), big_done)


def test_pages_past_the_size_cap_or_the_time_budget_are_recorded_and_the_crawl_goes_on(make_portal, tmp_path):
    """One worker: a 6 MB page (over a second of extraction) runs past a 0.4 s budget, its worker
    is killed and replaced, and the 20 articles queued behind it are analysed by the new one; a
    7.5 MB page is over the 7 MB extraction cap. Both are recorded with their reason in the log,
    the job's stats and the crawl state."""
    slow, huge = "/artikel/langsam.html", "/artikel/riesig.html"
    paragraph = "<p>" + " ".join(WORDS) * 3 + "</p>"

    def padded(n, size):
        return article(n).replace("</article>", paragraph * (size // len(paragraph)) + "</article>")

    normal = [f"/artikel/{n}.html" for n in range(1, 21)]
    slow_sent = threading.Event()

    def send_slow():
        threading.Timer(1.0, slow_sent.set).start()  # then the others queue behind it in the worker
        return html(padded(0, 6 * 1024 * 1024))

    def after_slow(n):
        def respond():
            slow_sent.wait(60)
            return html(article(n))
        return respond

    routes = {"/robots.txt": (200, b"", "text/plain"), slow: send_slow, huge: html(padded(99, 7_500_000)),
              "/feed.xml": None, "/first.xml": None}
    routes.update({p: after_slow(n) for n, p in enumerate(normal, 1)})
    portal = make_portal(routes)
    portal.routes["/first.xml"] = (200, rss(portal.base, [slow, huge]), "application/rss+xml")
    portal.routes["/feed.xml"] = (200, rss(portal.base, normal), "application/rss+xml")
    data = tmp_path / "data"
    proc = crawl(portal.sources(tmp_path, feeds=["/first.xml", "/feed.xml"]), data, "-s", "CRAWLER_WORKERS=1",
                 "-s", "CRAWLER_EXTRACT_MAX_BYTES=7000000", "-s", "CRAWLER_PAGE_TIME_BUDGET=0.4")
    assert slow_sent.is_set() and {slow, huge} <= set(portal.hits), portal.hits
    assert set(exported(data)) == {portal.base + p for p in normal}, proc.stderr[-3000:]
    log = log_of(data)
    assert f"page {portal.base}{slow} not processed: over-time-budget" in log
    assert f"page {portal.base}{huge} not processed: too-large" in log
    db = sqlite3.connect(data / "articles.sqlite")
    try:
        states = dict(db.execute("SELECT url, status FROM url_state WHERE url IN (?, ?)",
                                 (portal.base + slow, portal.base + huge)).fetchall())
    finally:
        db.close()
    assert states == {portal.base + slow: "over-time-budget", portal.base + huge: "too-large"}, states
    [job] = [json.loads(line) for line in run_cli("jobs", "--json", "--data-dir", str(data)).stdout.splitlines()]
    stats = job["stats"]
    assert stats.get("crawler/page_bounded/over-time-budget") == 1, stats
    assert stats.get("crawler/page_bounded/too-large") == 1, stats


def test_a_portals_own_user_agent_is_sent_and_matched_against_robots_txt(make_portal, tmp_path):
    portal = make_portal({
        "/robots.txt": (200, b"User-agent: PortalBot\nDisallow: /artikel/2.html\n\nUser-agent: *\nDisallow: /artikel/1.html\n",
                        "text/plain"),
        "/feed.xml": None,
        "/artikel/1.html": html(article(1)),
        "/artikel/2.html": html(article(2)),
    })
    portal.routes["/feed.xml"] = (200, rss(portal.base, ["/artikel/1.html", "/artikel/2.html"]), "application/rss+xml")
    data = tmp_path / "data"
    crawl(portal.sources(tmp_path, extra='user_agent = "PortalBot/2.0 (+mailto:ops@example.org)"\n'
                                           "concurrency = 1\ndownload_delay = 0\n"), data)
    assert "/artikel/2.html" not in portal.hits  # PortalBot's rule, not the [defaults] agent's
    assert set(exported(data)) == {portal.base + "/artikel/1.html"}
