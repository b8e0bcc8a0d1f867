"""Scrapyd as the README documents it: `scrapyd-deploy` of this checkout to a real Scrapyd (from
PyPI, started here on a free port in a temp dir), `schedule.json` with only the spider and the
portal; the crawl writes what `crawler crawl` writes; a failing crawl is reported failed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from conftest import REPO, run_cli
from services import free_port

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent
WAIT = 240


@pytest.fixture
def demo():
    from crawler.demo.server import DemoPortals

    server = DemoPortals(edition=1)
    server.proxy = server.start()
    yield server
    server.stop()


def _get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def _post(url, **fields):
    data = urllib.parse.urlencode(fields).encode()
    with urllib.request.urlopen(url, data=data, timeout=30) as r:
        return json.loads(r.read())


@pytest.fixture
def scrapyd(tmp_path, demo):
    home = tmp_path / "scrapyd"
    home.mkdir()
    port = free_port()
    (home / "scrapyd.conf").write_text(
        f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\neggs_dir = {home}/eggs\n"
        f"logs_dir = {home}/logs\ndbs_dir = {home}/dbs\nitems_dir =\nmax_proc = 1\npoll_interval = 0.5\n")
    sources = tmp_path / "sources.toml"
    dead = free_port()
    sources.write_text(demo.sources_toml() + f"""
[[portal]]
name = "broken"
feeds = ["http://127.0.0.1:{dead}/feed.xml"]
article_pattern = '/artikel/'
""", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("SCRAPY_SETTINGS_MODULE", "PYTHONPATH")}
    env.update({"CRAWLER_DATA_DIR": str(tmp_path / "data"), "CRAWLER_SOURCES": str(sources),
                "http_proxy": demo.proxy, "HTTP_PROXY": demo.proxy, "no_proxy": "", "NO_PROXY": ""})
    log = open(home / "scrapyd.log", "w")
    proc = subprocess.Popen([str(BIN / "scrapyd")], cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while True:
        try:
            if _get(url + "daemonstatus.json")["status"] == "ok":
                break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("Scrapyd did not start:\n" + (home / "scrapyd.log").read_text()[-4000:])
        time.sleep(0.3)
    yield {"url": url, "home": home, "data": tmp_path / "data", "sources": sources, "proc": proc}
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def wait_finished(url, job):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        jobs = _get(url + "listjobs.json?project=newscrawler")
        if any(j["id"] == job for j in jobs["finished"]):
            return
        time.sleep(1)
    raise AssertionError(f"job {job} did not finish: {jobs}")


def articles(data):
    from crawler.datadir import DataDir
    from crawler.store import open_store

    store = open_store(DataDir(Path(data)), read_only=True)
    try:
        return {r["url"]: (r.get("title"), r.get("text")) for r in store.changes_after(0) if r.get("url")}
    finally:
        store.close()


def test_scrapyd_deploy_schedule_and_failure(tmp_path, scrapyd, demo):
    url = scrapyd["url"]
    deploy = subprocess.run([str(BIN / "scrapyd-deploy"), "env"], cwd=REPO, capture_output=True, text=True,
                            env={**os.environ, "SCRAPYD_URL": url}, timeout=300)
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    assert "newscrawler" in _get(url + "listprojects.json")["projects"]
    assert _get(url + "listspiders.json?project=newscrawler")["spiders"] == ["news"]

    job = _post(url + "schedule.json", project="newscrawler", spider="news", portal="tagesblick")["jobid"]
    wait_finished(url, job)
    log = (scrapyd["home"] / "scrapyd.log").read_text()
    assert f"Process finished: project='newscrawler' spider='news' job='{job}'" in log, log[-4000:]

    # the same data as `crawler crawl --portal tagesblick`
    via_scrapyd = articles(scrapyd["data"])
    env = {"http_proxy": demo.proxy, "HTTP_PROXY": demo.proxy, "no_proxy": "", "NO_PROXY": ""}
    run_cli("crawl", "--data-dir", str(tmp_path / "direct"), "--sources", str(scrapyd["sources"]),
            "--portal", "tagesblick", env=env)
    direct = articles(tmp_path / "direct")
    assert via_scrapyd and via_scrapyd == direct
    assert all("tagesblick" in u for u in via_scrapyd)
    assert list((scrapyd["data"] / "archive").glob("*.warc.gz"))

    # a failing crawl: Scrapyd's log reports the process died with exit status 1, the job record says failed
    bad = _post(url + "schedule.json", project="newscrawler", spider="news", portal="broken")["jobid"]
    wait_finished(url, bad)
    log = (scrapyd["home"] / "scrapyd.log").read_text()
    assert "Process died: exitstatus=1 project='newscrawler' spider='news' job='" + bad in log, log[-4000:]
    records = [json.loads(line) for line in
               run_cli("jobs", "--data-dir", str(scrapyd["data"]), "--json").stdout.splitlines()]
    assert [r["exit_code"] for r in records if r["portals"] == []][:2] == [1, 0], records
