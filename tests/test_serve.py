"""`crawler serve` on the demo portals: cycles per portal on a short schedule, a new edition
picked up while it runs, SIGTERM leaves shipped WARCs and a job record per cycle, metrics."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import CRAWL_ENV, REPO, run_cli
from services import free_port

pytestmark = pytest.mark.integration

SCHEDULE = "every 2s"
WAIT = 120  # seconds: a bound on waiting for something that should take a few seconds


@pytest.fixture
def demo():
    from crawler.demo.server import DemoPortals

    server = DemoPortals(edition=1)
    server.proxy = server.start()
    yield server
    server.stop()


def start_serve(data, sources, proxy, metrics_port=None, *settings):
    env = {**os.environ, **CRAWL_ENV, "http_proxy": proxy, "HTTP_PROXY": proxy}
    for var in ("no_proxy", "NO_PROXY"):
        env.pop(var, None)
    args = [sys.executable, "-m", "crawler", "serve", "--data-dir", str(data), "--sources", str(sources),
            "--schedule", SCHEDULE]
    if metrics_port:
        args += ["--metrics-port", str(metrics_port)]
    for setting in settings:
        args += ["-s", setting]
    return subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def jobs(data):
    from crawler.datadir import DataDir
    from crawler.store import open_store

    import sqlite3

    if not (data / "articles.sqlite").exists():
        return []
    try:
        store = open_store(DataDir(data), read_only=True)
    except sqlite3.OperationalError:  # the store is being created
        return []
    try:
        return store.jobs(limit=10_000)
    finally:
        store.close()


def cycles(data, portal=None):
    return [j for j in jobs(data) if j.portals and j.portals[0] != "(serve)"
            and (portal is None or j.portals == [portal])]


def wait_for(what, cond, proc):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"crawler serve exited {proc.returncode} while waiting for {what}:\n"
                                 + proc.stdout.read()[-6000:])
        value = cond()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def versions_of(data, url):
    from crawler.datadir import DataDir
    from crawler.store import open_store
    from crawler.urls import article_id_for, canonicalize_url

    store = open_store(DataDir(data), read_only=True)
    try:
        return store.versions(article_id_for(canonicalize_url(url)))
    finally:
        store.close()


def stop(proc, sig=signal.SIGTERM):
    proc.send_signal(sig)
    try:
        out, _ = proc.communicate(timeout=WAIT)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        raise AssertionError("crawler serve did not stop on SIGTERM:\n" + out[-6000:])
    return proc.returncode, out


def test_serve_picks_up_new_edition_and_stops_cleanly(tmp_path, demo):
    from crawler.demo import manifest

    data = tmp_path / "data"
    sources = tmp_path / "sources.toml"
    sources.write_text(demo.sources_toml(), encoding="utf-8")
    portal_names = sorted({a.portal for a in manifest.articles(1)})
    metrics_port = free_port()
    # robots.txt rules older than 1 s are read again, WARC files roll after 1 s (a day and an
    # hour in production): shorter than one poll interval, so however fast the cycles run, the
    # later ones read robots.txt again and write into a new file
    proc = start_serve(data, sources, demo.proxy, metrics_port, "CRAWLER_ROBOTS_MAX_AGE=1",
                       "CRAWLER_WARC_MAX_AGE=1")
    try:
        # every portal has finished a first cycle that stored its articles
        wait_for("a first cycle of every portal",
                 lambda: all(any(c.status == "finished" for c in cycles(data, p)) for p in portal_names), proc)
        first = {a.url for a in manifest.articles(1)}
        stored_first = [u for u in first if versions_of(data, u)]
        assert len(stored_first) == len(first), sorted(first - set(stored_first))

        # /metrics: per-portal gauges
        body = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).read().decode()
        for portal in portal_names:
            for gauge in ("crawler_portal_last_success_timestamp_seconds", "crawler_portal_empty_text_ratio",
                          "crawler_portal_missing_date_ratio", "crawler_portal_residue_lines_per_article",
                          "crawler_portal_near_dup_ratio", "crawler_portal_dropped_pages_total"):
                assert f'{gauge}{{portal="{portal}"}}' in body, (gauge, portal)
        assert "crawler_fetches_total" in body and "crawler_archive_upload_backlog_files" in body

        # edition 2 while serving: the new and the updated article are stored without a restart
        new_edition = {a.url: a for a in manifest.articles(2)}
        added = set(new_edition) - first
        updated = {u for u, a in new_edition.items() if a.version == 2}
        assert added and updated
        changed_portal = new_edition[next(iter(added))].portal
        switched_at = time.time()
        demo.set_edition(2)
        wait_for("the new and the updated article",
                 lambda: all(versions_of(data, u) for u in added) and all(len(versions_of(data, u)) == 2 for u in updated),
                 proc)
        # ... within 2 poll intervals: counting the cycle running at the switch, the changes are
        # stored by the third cycle of the portal that ended after it at the latest
        switch_iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(switched_at))
        expected = len([u for u in added | updated if new_edition[u].portal == changed_portal])

        def relevant_cycles():
            found = sorted((c for c in cycles(data, changed_portal) if c.ended_at and c.ended_at >= switch_iso),
                           key=lambda c: c.started_at)
            done = sum(c.stats.get("store/new", 0) + c.stats.get("store/new_version", 0) for c in found)
            return found if done >= expected else None

        relevant = wait_for("the cycle records of the changes", relevant_cycles, proc)
        stored, needed = 0, None
        for i, c in enumerate(relevant):
            stored += c.stats.get("store/new", 0) + c.stats.get("store/new_version", 0)
            if stored >= expected:
                needed = i
                break
        assert needed is not None and needed <= 2, [(c.started_at, c.ended_at, c.stats) for c in relevant]
    finally:
        code, out = stop(proc)
    assert code == 0, out[-6000:]
    assert "Traceback" not in out, out[-6000:]

    # a job record per cycle, none left running, no two cycles of one portal overlapping
    all_cycles = cycles(data)
    assert all_cycles and all(c.status in ("finished", "interrupted") for c in all_cycles)
    assert all(c.warc_files for c in all_cycles if c.stats["downloader/response_count"])
    for portal in portal_names:
        mine = sorted(cycles(data, portal), key=lambda c: c.started_at)
        assert len(mine) >= 2
        for a, b in zip(mine, mine[1:]):
            assert a.ended_at <= b.started_at, (a, b)
    serve_records = [j for j in jobs(data) if j.portals[:1] == ["(serve)"]]
    assert [j.status for j in serve_records] == ["stopped"]
    # a long-running crawl reads robots.txt again when the rules are old (3 hosts, more reads)
    assert serve_records[0].stats.get("robotstxt/request_count", 0) > len(portal_names), serve_records[0].stats

    # the WARC files reached the archive, are valid, and nothing waits in the spool
    assert not list((data / "warc-spool").glob("*.warc.gz"))
    warcs = list((data / "archive").rglob("*.warc.gz"))
    assert len(warcs) >= 2, warcs  # rolled by age while serving, not one file per cycle or per process
    verify = run_cli("archive", "verify", "--data-dir", str(data), check=False)
    assert verify.returncode == 0, verify.stdout[-4000:] + verify.stderr[-2000:]

    # restarted, it resumes without fetching any stored article again
    proc = start_serve(data, sources, demo.proxy)
    before = {c.run_id for c in all_cycles}
    try:
        wait_for("a cycle of every portal after the restart",
                 lambda: all(any(c.run_id not in before and c.status == "finished" for c in cycles(data, p))
                             for p in portal_names), proc)
    finally:
        # killed, not stopped: `crawler jobs` must not show it running forever
        proc.kill()
        proc.communicate()
    restarted = [c for c in cycles(data) if c.run_id not in before and c.status == "finished"]
    assert all(c.stats.get("store/new", 0) + c.stats.get("store/new_version", 0) + c.stats.get("store/unchanged", 0)
               == 0 for c in restarted), [(c.portals, c.stats) for c in restarted]
    listing = run_cli("jobs", "--data-dir", str(data), "--limit", "1000").stdout
    assert " running " not in listing, listing
