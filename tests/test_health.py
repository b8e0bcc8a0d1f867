"""`crawler health` flags a portal whose template changed so that extraction returns nothing,
and passes for the others."""

from __future__ import annotations

import json

import pytest

from conftest import run_cli

pytestmark = pytest.mark.integration

# The tagesblick redesign: a script-rendered shell, still an article by its og:type, no text.
BROKEN = (b'<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Tagesblick</title>'
          b'<meta property="og:type" content="article"></head>'
          b'<body><div id="app" data-hydrate="article"></div><script src="/app.js"></script></body></html>')


@pytest.fixture
def demo(monkeypatch):
    from crawler.demo import server as demo_server
    from crawler.demo.server import DemoPortals

    server = DemoPortals(edition=1)
    server.proxy = server.start()
    server.broken_host = None
    real_build_site = demo_server.build_site

    class BrokenTemplate:
        def __init__(self, site):
            self.site = site

        def lookup(self, host, path):
            res = self.site.lookup(host, path)
            if res is not None and host == server.broken_host and res.kind == "article":
                from dataclasses import replace

                return replace(res, body=BROKEN)
            return res

    monkeypatch.setattr(demo_server, "build_site", lambda edition: BrokenTemplate(real_build_site(edition)))
    yield server
    server.stop()


def crawl(tmp_path, demo):
    env = {"http_proxy": demo.proxy, "HTTP_PROXY": demo.proxy, "no_proxy": "", "NO_PROXY": ""}
    return run_cli("crawl", "--data-dir", str(tmp_path / "data"), "--sources", str(tmp_path / "sources.toml"),
                   env=env, check=False)


def test_health_flags_the_portal_whose_template_broke(tmp_path, demo):
    from crawler.demo import manifest
    from crawler.demo.portals import TAGESBLICK

    (tmp_path / "sources.toml").write_text(demo.sources_toml(), encoding="utf-8")
    data = str(tmp_path / "data")
    first = crawl(tmp_path, demo)
    assert first.returncode in (0, 1), first.stderr[-3000:]
    healthy = run_cli("health", "--data-dir", data, check=False)
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr

    # edition 2: tagesblick publishes a new article and updates another, in its new template
    demo.broken_host = TAGESBLICK.host
    demo.set_edition(2)
    changed = {a.portal for a in manifest.articles(2) if a.version == 2}
    assert changed == {"tagesblick"}
    crawl(tmp_path, demo)

    proc = run_cli("health", "--data-dir", data, "--json", check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    by_portal = {p["portal"]: p for p in report["portals"]}
    assert set(by_portal) == {"tagesblick", "weserbote", "nordticker"}
    assert [f["flag"] for f in by_portal["tagesblick"]["flags"]] == ["empty"], by_portal["tagesblick"]
    for other in ("weserbote", "nordticker"):
        assert by_portal[other]["ok"], by_portal[other]
        ok = run_cli("health", "--data-dir", data, "--portal", other, check=False)
        assert ok.returncode == 0, ok.stdout + ok.stderr
    text = run_cli("health", "--data-dir", data, "--portal", "tagesblick", check=False)
    assert text.returncode == 1 and "FLAG tagesblick" in text.stdout and "template changed?" in text.stdout
    # unknown portal: one line, exit 2
    unknown = run_cli("health", "--data-dir", data, "--portal", "nope", check=False)
    assert unknown.returncode == 2 and len(unknown.stderr.strip().splitlines()) == 1
