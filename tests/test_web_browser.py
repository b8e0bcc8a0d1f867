"""Acceptance of ``crawler web`` in a real Chromium (Debian's ``chromium`` driven by Playwright)
over two demo crawls (edition 1, then edition 2 with one updated article).

Screenshots of every step are kept in pytest's temporary directory; the path is printed (and
shown on failure with ``-rA`` / in the assertion message)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import REPO, run_cli
from services import free_port

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SEED_URL = "http://www.weserbote.test/politik/putin-trump-treffen-peskow-1001.html"
SEED_TITLE = "Spektakuläre Pläne: Putin und Trump könnten sich bald persönlich treffen!"
UPDATED_URL = "http://www.tagesblick.test/politik/bundestag-rentenpaket-abstimmung-a20452"


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("web-demo")
    run_cli("demo", "--data-dir", str(data))
    run_cli("demo", "--edition", "2", "--data-dir", str(data))
    return data


@pytest.fixture(scope="module")
def web(demo_data, tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("web-log") / "web.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "crawler", "web", "--port", str(port),
                                 "--data-dir", str(demo_data)], cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/search", timeout=5).read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"crawler web did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.3)
    yield base
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} missing: `make services` installs Debian's chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def test_search_facet_article_and_replay_in_chromium(web, browser, tmp_path_factory):
    shots = tmp_path_factory.mktemp("web-screenshots")
    print(f"\nscreenshots: {shots}")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    step = iter(range(1, 100))

    def shot(name):
        page.screenshot(path=str(shots / f"{next(step):02d}-{name}.png"), full_page=True)

    # 1. A German word with an umlaut, typed into the search box, finds the seed article.
    page.goto(web + "/search")
    page.fill("input[name=q]", "Präsidenten")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    shot("search")
    hrefs = page.locator(".hit .meta a").evaluate_all("els => els.map(e => e.href)")
    assert SEED_URL in hrefs, f"seed article not found; hits {hrefs}; screenshots in {shots}"
    total = int(page.inner_text("#total"))
    portals = {page.locator(".hit .meta").nth(i).inner_text().split(" · ")[0] for i in range(len(hrefs))}
    assert len(portals) > 1, f"expected hits from several portals: {portals}; screenshots in {shots}"

    # 2. A facet narrows the results.
    page.click("ul[data-facet=portal] a[data-value=weserbote]")
    page.wait_for_load_state()
    shot("facet-portal")
    narrowed = int(page.inner_text("#total"))
    metas = page.locator(".hit .meta").all_inner_texts()
    assert 0 < narrowed < total, f"facet did not narrow {total} -> {narrowed}; screenshots in {shots}"
    assert all(m.startswith("weserbote") for m in metas), metas

    # 3. The article page lists the story cluster (with its first publisher) and the versions.
    page.click(f"h2 a:text-is('{SEED_TITLE}')")
    page.wait_for_load_state()
    shot("article")
    assert page.inner_text("#title") == SEED_TITLE
    members = page.locator("#cluster tr.member").all_inner_texts()
    assert len(members) == 3, f"cluster members {members}; screenshots in {shots}"
    assert {"weserbote", "tagesblick", "nordticker"} <= {m.split("\t")[1].strip() for m in members}
    assert "first publisher" in page.locator("#cluster tr.member.self").inner_text()
    assert page.locator("#versions .version").count() == 1
    assert "lone_rubric" in page.inner_text("#versions") or "related_links" in page.inner_text("#versions")
    assert "record_id" in page.inner_text("#versions .provenance")

    # 4. "View archived page" renders the archived page from the WARC record.
    page.click("#view-archived")
    page.wait_for_load_state()
    shot("archived-page")
    assert page.title().startswith(SEED_TITLE), page.title()
    assert "Archived capture of" in page.inner_text("#crawler-web-banner")
    assert "Kreml-Sprecher Dmitri Peskow" in page.inner_text("body")
    assert page.url.startswith(web + "/replay/")
    # ... with its own styles: the theme's stylesheet, archived as a page requisite, replayed.
    assert page.eval_on_selector("h1.entry-title", "e => getComputedStyle(e).color") == "rgb(11, 61, 102)"

    # 5. An updated article shows both versions and the diff of the second to the first.
    page.goto(web + "/search?q=Rentenpaket")
    page.click(f".hit:has(a[href='{UPDATED_URL}']) h2 a")
    page.wait_for_load_state()
    shot("article-versions")
    assert page.locator("#versions .version").count() == 2
    added = page.locator("#version-2 .diff .add").all_inner_texts()
    assert any("318 zu 283 Stimmen" in a for a in added), f"diff {added}; screenshots in {shots}"
    page.close()


def test_memento_timemap_and_timegate(web):
    tm = urllib.request.urlopen(f"{web}/timemap/link/{UPDATED_URL}", timeout=10)
    assert tm.headers["Content-Type"].startswith("application/link-format")
    body = tm.read().decode()
    mementos = [line for line in body.splitlines() if 'memento"' in line]
    assert len(mementos) == 2, body  # edition 1 and the updated edition 2
    assert f'<{UPDATED_URL}>; rel="original"' in body

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    first = mementos[0].split(">")[0].lstrip("<")
    req = urllib.request.Request(f"{web}/timegate/{UPDATED_URL}",
                                 headers={"Accept-Datetime": "Mon, 01 Jan 2001 00:00:00 GMT"})
    try:
        opener.open(req, timeout=10)
        raise AssertionError("TimeGate did not redirect")
    except urllib.error.HTTPError as exc:
        assert exc.code == 302
        assert exc.headers["Location"] == first
        assert exc.headers["Vary"].lower() == "accept-datetime"
    memento = urllib.request.urlopen(first, timeout=10)
    assert memento.headers["Memento-Datetime"].endswith("GMT")
    assert 'rel="timegate"' in memento.headers["Link"]
