"""The WACZ of `crawler archive wacz` replays in ReplayWeb.page (the npm package pinned by
`make services`, embedded as its docs describe: ``ui.js`` + ``<replay-web-page source=... url=...>``,
its service worker ``sw.js`` at the same origin) in Debian's Chromium driven by Playwright.
Everything is served from 127.0.0.1 (a secure context for service workers); no network.
The screenshot is kept in pytest's temporary directory (path printed and in failure messages)."""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import REPO, run_cli

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
RWP = REPO / ".rwp" / "package"
SEED_URL = "http://www.weserbote.test/politik/putin-trump-treffen-peskow-1001.html"
HEADLINE = "Putin und Trump könnten sich bald persönlich treffen"
# Rules of the Weserbote theme (wp-content/themes/weserbote/style.css, archived with the page).
THEME = {"body": ("background-color", "rgb(243, 239, 230)"),
         ".site-header": ("background-color", "rgb(11, 61, 102)"),
         "h1": ("color", "rgb(11, 61, 102)")}

INDEX = """<!doctype html>
<html><head><meta charset="utf-8"><script src="./ui.js"></script></head>
<body style="margin:0">
<replay-web-page style="height:850px;display:block" source="./demo.wacz" replayBase="./" url="{url}">
</replay-web-page>
</body></html>
"""


class _RangeHandler(SimpleHTTPRequestHandler):
    """Static files with single byte-range support (ReplayWeb.page reads a WACZ by range:
    ``bytes=A-B``, ``bytes=A-`` and the suffix form ``bytes=-N`` for the zip's central directory)."""

    def log_message(self, *args):
        pass

    def send_head(self):
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", ""))
        path = Path(self.translate_path(self.path))
        if not match or not (match[1] or match[2]) or not path.is_file():
            return super().send_head()
        size = path.stat().st_size
        if match[1]:
            start, end = int(match[1]), min(int(match[2] or size - 1), size - 1)
        else:
            start, end = max(size - int(match[2]), 0), size - 1
        fh = open(path, "rb")
        fh.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        self._remaining = end - start + 1
        return fh

    def copyfile(self, source, outputfile):
        remaining = getattr(self, "_remaining", None)
        if remaining is None:
            return super().copyfile(source, outputfile)
        outputfile.write(source.read(remaining))
        self._remaining = None


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if not (RWP / "ui.js").is_file() or not (RWP / "sw.js").is_file():
        pytest.fail(f"ReplayWeb.page missing in {RWP}: `make services` installs the npm package")
    root = tmp_path_factory.mktemp("rwp-site")
    data = tmp_path_factory.mktemp("rwp-data")
    run_cli("demo", "--data-dir", str(data))
    run_cli("archive", "wacz", "--out", str(root / "demo.wacz"), "--data-dir", str(data))
    for name in ("ui.js", "sw.js"):
        shutil.copy(RWP / name, root / name)
    (root / "index.html").write_text(INDEX.format(url=SEED_URL), encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_RangeHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as exc:
        pytest.fail(f"Playwright missing ({exc}): `make install-test` installs the test extra")
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} missing: `make services` installs Debian's chromium")
    with sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Error as exc:
            pytest.fail(f"Chromium ({CHROMIUM}) did not start: {str(exc)[:1000]}")
        yield b
        b.close()


_STATE = """(theme) => {
  const styles = {};
  for (const [sel, [prop]] of Object.entries(theme)) {
    const el = document.querySelector(sel);
    styles[sel] = el ? getComputedStyle(el).getPropertyValue(prop) : null;
  }
  return {text: document.body ? document.body.innerText : '', title: document.title, styles};
}"""


def _replayed(page) -> dict | None:
    """Text, title and theme styles of the replayed seed page, or None while it is not there."""
    for frame in page.frames:
        if SEED_URL in frame.url and "mp_/" in frame.url:
            try:
                return {"url": frame.url, **frame.evaluate(_STATE, THEME)}
            except Exception:  # frame navigating or detached: ask again
                return None
    return None


def test_wacz_replays_the_seed_article_in_replaywebpage(site, browser, tmp_path_factory):
    shot = tmp_path_factory.mktemp("rwp-screenshot") / "replaywebpage.png"
    print(f"\nscreenshot: {shot}")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text[:200]}"))
    context.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status} {r.url[:160]}"))
    page.goto(site)
    deadline = time.monotonic() + 120  # a generous bound for a loaded machine, not a speed goal
    state = _replayed(page)
    while not (state and HEADLINE in state["text"]) and time.monotonic() < deadline:
        page.wait_for_timeout(500)
        state = _replayed(page)
    page.wait_for_timeout(500)
    page.screenshot(path=str(shot))
    frames = [f.url[:200] for f in page.frames]
    workers = [w.url for w in context.service_workers]
    context.close()

    where = f"frames {frames}; service workers {workers}; problems {problems[:8]}; screenshot {shot}"
    assert workers, f"ReplayWeb.page registered no service worker; {where}"
    assert state, f"ReplayWeb.page opened no replay frame for {SEED_URL}; {where}"
    assert HEADLINE in state["text"], (f"the replayed seed article does not show its headline; "
                                       f"text {state['text'][:300]!r}; {where}")
    assert "Kreml-Sprecher Dmitri Peskow" in state["text"], f"article body missing; {where}"
    assert HEADLINE in state["title"], f"title {state['title']!r}; {where}"
    wanted = {sel: value for sel, (_prop, value) in THEME.items()}
    assert state["styles"] == wanted, f"the page's own stylesheet does not apply: {state['styles']}; {where}"
