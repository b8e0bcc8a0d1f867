"""Acceptance of the whole pipeline: crawl the demo portals with the real spider, pipelines and
archive, then check clusters, cleaning, incremental recrawl, WARC files and the S3 archive.

The crawl of the module (``first``) runs once per store backend: the SQLite file in the data
directory and a database on a real PostgreSQL server; every test using it runs on both, except
those pinned to SQLite with ``SQLITE_ONLY`` (they test the spider or the archive, not the store)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from conftest import CRAWL_ENV, REPO, run_cli
from crawler.demo import manifest
from crawler.discovery import parse_sitemap
from crawler.demo.server import DemoPortals
from crawler.jobs import CrawlLock
from services import postgres_database, shared_postgres

pytestmark = pytest.mark.integration


class Crawl:
    def __init__(self, data_dir: Path, sources: Path, portals: DemoPortals, proc, log, store: str | None = None):
        self.data_dir, self.sources, self.portals, self.proc, self.log = data_dir, sources, portals, proc, log
        self.store = store  # a postgresql:// URI, or None: the SQLite file in the data dir

    def export(self, *extra: str) -> list[dict]:
        out = run_cli("export", "--all-members", *self.store_args(), *extra).stdout
        return [json.loads(line) for line in out.splitlines()]

    def store_args(self) -> list[str]:
        return ["--data-dir", str(self.data_dir), *(["--store", self.store] if self.store else [])]

    def warc_files(self) -> list[Path]:
        return sorted((self.data_dir / "archive").rglob("*.warc.gz"))


def crawl(portals: DemoPortals, data_dir: Path, *extra: str, check=True, store: str | None = None):
    sources = data_dir.parent / f"{data_dir.name}-sources.toml"
    sources.write_text(portals.sources_toml(), encoding="utf-8")
    portals.clear_log()
    proc = run_cli(
        "crawl", "--sources", str(sources), *Crawl(data_dir, sources, portals, None, [], store).store_args(), *extra,
        env={"http_proxy": portals.proxy_url, "no_proxy": "", "CRAWLER_LOG_LEVEL": "INFO"}, check=check,
    )
    return Crawl(data_dir, sources, portals, proc, list(portals.request_log), store)


def copy_crawl(crawl_: Crawl, data_dir: Path) -> str | None:
    """A copy of a crawl's data directory and store to crawl on; the copy's store URI."""
    shutil.copytree(crawl_.data_dir, data_dir)
    return shared_postgres().clone_database(crawl_.store) if crawl_.store else None


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture(scope="module")
def first(portals, backend, tmp_path_factory):
    portals.set_edition(1)
    store = postgres_database() if backend == "postgresql" else None
    return crawl(portals, tmp_path_factory.mktemp("crawl") / "data", store=store)


def by_url(records):
    return {r["url"]: r for r in records}


def test_first_crawl_stores_every_demo_article_once(first):
    records = by_url(first.export())
    expected = manifest.by_url(1)
    assert sorted(records) == sorted(expected), first.proc.stdout
    fetched = Counter(e["url"] for e in first.log if e["method"] == "GET")
    assert all(fetched[url] == 1 for url in expected), "an article URL was fetched twice in one crawl"
    assert not set(manifest.NON_ARTICLE_URLS) & set(records)
    assert not set(manifest.ROBOTS_DISALLOWED_URLS) & set(fetched)
    # the store is the one asked for: no SQLite file beside a PostgreSQL store
    assert (first.data_dir / "articles.sqlite").exists() == (first.store is None)


def test_seed_story_and_clusters_match_the_stories(first):
    records = by_url(first.export())
    stories = manifest.stories(1)
    seed_urls = stories[manifest.SEED_000_STORY]
    assert len(seed_urls) == 3
    assert len({records[u]["cluster_id"] for u in seed_urls}) == 1, "seed 000 and its republications split"
    (other_seed,) = stories[manifest.SEED_002_STORY]
    assert records[other_seed]["cluster_id"] != records[seed_urls[0]]["cluster_id"]
    # Exactly the expected partition: same cluster iff same story.
    story_of = {url: a.story for url, a in manifest.by_url(1).items()}
    clusters: dict[str, set[str]] = {}
    for url, rec in records.items():
        clusters.setdefault(rec["cluster_id"], set()).add(story_of[url])
    merged = [s for s in clusters.values() if len(s) > 1]
    assert not merged, f"different stories merged: {merged}"
    assert len(clusters) == len(stories), "a story was split into several clusters"
    for story, urls in stories.items():
        rep = [u for u in urls if records[u]["is_representative"]]
        assert rep == [manifest.representative(story, 1)], story


def test_stored_text_has_every_paragraph_and_no_residue(first):
    records = by_url(first.export())
    problems = {}
    for url, article in manifest.by_url(1).items():
        text = records[url]["text"]
        missing = manifest.missing_paragraphs(text, article)
        residue = manifest.residue_violations(text, article)
        if missing or residue:
            problems[url] = {"missing": missing, "residue": residue}
        assert all(r["rule"] for r in records[url]["removed"])
        # whole texts, though Tagesblick puts a subscription box under each: not paywalled
        assert records[url]["paywalled"] is False, url
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)


def test_job_record_and_summary(first):
    assert "Crawl run" in first.proc.stdout
    jobs = [json.loads(l) for l in run_cli("jobs", "--json", *first.store_args()).stdout.splitlines()]
    (job,) = jobs
    assert job["status"] == "finished" and job["exit_code"] == 0
    assert job["warc_files"] and job["stats"]["downloader/response_count"] >= len(manifest.by_url(1))


def _b32_sha1(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def test_warc_files_are_valid_complete_and_paired(first):
    files = first.warc_files()
    assert files
    check = subprocess.run([str(Path(sys.executable).parent / "warcio"), "check", *map(str, files)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    requests, responses = {}, {}
    uris = set()
    for path in files:
        with open(path, "rb") as fh:
            records = list(_records(fh))
        assert records[0]["type"] == "warcinfo"
        for rec in records[1:]:
            assert rec["block_digest"] and rec["type"] in ("request", "response", "metadata", "revisit")
            if rec["type"] == "response":
                assert rec["payload_digest"] == _b32_sha1(rec["payload"]), rec["uri"]
                responses[rec["id"]] = rec
                uris.add(rec["uri"])
            elif rec["type"] == "request":
                requests[rec["id"]] = rec
    # Every exchange of the crawl was archived: robots.txt, feeds, sitemaps, redirect, 404, articles.
    served = {e["url"] for e in first.log if e["method"] == "GET"}
    assert served <= uris, sorted(served - uris)
    for rec in responses.values():
        partners = [q for q in requests.values() if q["concurrent_to"] == rec["id"] or rec["concurrent_to"] == q["id"]]
        assert len(partners) == 1 and partners[0]["uri"] == rec["uri"], rec["uri"]
    assert len(requests) == len(responses)
    statuses = {r["status"] for r in responses.values()}
    assert {"200", "301", "404"} <= statuses


def _records(fh):
    for record in ArchiveIterator(fh):
        payload = record.raw_stream.read()
        yield {
            "type": record.rec_type,
            "id": record.rec_headers.get_header("WARC-Record-ID"),
            "uri": record.rec_headers.get_header("WARC-Target-URI"),
            "block_digest": record.rec_headers.get_header("WARC-Block-Digest"),
            "payload_digest": record.rec_headers.get_header("WARC-Payload-Digest"),
            "concurrent_to": record.rec_headers.get_header("WARC-Concurrent-To"),
            "status": record.http_headers.get_statuscode() if record.http_headers else None,
            "payload": payload,
        }


def test_article_pointers_resolve_to_the_served_body(first):
    archive = first.data_dir / "archive"
    for rec in first.export():
        prov = rec["provenance"]
        path = next(archive.rglob(prov["warc_file"]))
        with open(path, "rb") as fh:
            fh.seek(prov["offset"])
            chunk = fh.read(prov["length"])
        record = next(iter(ArchiveIterator(io.BytesIO(chunk))))
        assert record.rec_type == "response"
        assert record.rec_headers.get_header("WARC-Record-ID") == prov["record_id"]
        assert record.rec_headers.get_header("WARC-Target-URI") == rec["url"]
        assert record.rec_headers.get_header("WARC-Payload-Digest") == prov["payload_digest"]
        assert record.content_stream().read() == first.portals.body_for(rec["url"], 1), rec["url"]


def test_second_crawl_fetches_only_the_new_and_the_updated_article(first, portals, tmp_path):
    data = tmp_path / "data"
    store = copy_crawl(first, data)
    before = {r["url"]: r for r in first.export()}
    portals.set_edition(2)
    try:
        second = crawl(portals, data, store=store)
    finally:
        portals.set_edition(1)
    article_urls = set(manifest.by_url(2)) | set(manifest.NON_ARTICLE_URLS) | set(manifest.REDIRECTS) | set(
        manifest.NOT_FOUND_URLS)
    fetched = sorted(e["url"] for e in second.log if e["method"] == "GET" and e["url"] in article_urls)
    assert fetched == sorted(manifest.EDITION2_NEW_URLS + manifest.EDITION2_UPDATED_URLS)
    # Child sitemaps whose lastmod in their sitemap index did not change are not read again.
    unchanged = _unchanged_child_sitemaps(portals)
    assert unchanged and not unchanged & {e["url"] for e in second.log}
    after = by_url(second.export())
    (new_url,) = manifest.EDITION2_NEW_URLS
    story = manifest.by_url(2)[new_url].story
    siblings = [u for u in manifest.stories(2)[story] if u != new_url]
    assert {after[u]["cluster_id"] for u in siblings} == {after[new_url]["cluster_id"]}
    (updated,) = manifest.EDITION2_UPDATED_URLS
    assert after[updated]["version"] == 2 and before[updated]["version"] == 1
    assert after[updated]["cluster_id"] == before[updated]["cluster_id"]
    assert not manifest.missing_paragraphs(after[updated]["text"], manifest.by_url(2)[updated])
    # Incremental delivery: only the new article, the new version (and their clusters) changed.
    max_before = max(r["seq"] for r in before.values())
    changed = {r["url"] for r in second.export("--after-seq", str(max_before))}
    assert {new_url, updated} <= changed
    assert changed <= {new_url, updated} | set(manifest.stories(2)[story])
    # The default export (one record per story) after the same cursor: the grown story with all
    # its members, and the updated article's story.
    stories = [json.loads(l) for l in run_cli("export", "--after-seq", str(max_before),
                                                *second.store_args()).stdout.splitlines()]
    members = {r["cluster_id"]: {m["url"] for m in r["members"]} for r in stories}
    assert members[after[new_url]["cluster_id"]] == set(manifest.stories(2)[story])
    assert after[updated]["cluster_id"] in members
    assert all(r["seq"] > max_before for r in stories)


def _unchanged_child_sitemaps(portals) -> set[str]:
    out = set()
    for portal in tomllib.loads(portals.sources_toml())["portal"]:
        for url in portal.get("sitemaps", []):
            kind, before = parse_sitemap(portals.body_for(url, 1), url)
            if kind == "index":
                _, now = parse_sitemap(portals.body_for(url, 2), url)
                out |= {e.url for e in now if e.lastmod and e in before}
    return out


def test_a_second_crawl_on_the_same_data_dir_is_refused(portals, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    lock = CrawlLock(data / "crawl.lock").acquire("someone-else")
    try:
        proc = crawl(portals, data, check=False)
    finally:
        lock.release()
    assert proc.proc.returncode == 3, proc.proc.stderr
    assert "another crawl is running" in proc.proc.stderr


@SQLITE_ONLY
def test_s3_archive_holds_the_same_records(first, portals, seaweedfs, s3_bucket, tmp_path):
    second = crawl(portals, tmp_path / "data", "--archive", f"s3://{s3_bucket}/news")
    client = seaweedfs.client()
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=s3_bucket, Prefix="news/").get("Contents", [])]
    warcs = [k for k in keys if k.endswith(".warc.gz")]
    assert warcs and any(k.endswith(".cdxj") for k in keys), keys

    def index(streams):
        out = set()
        for stream in streams:
            for rec in _records(stream):
                if rec["type"] in ("request", "response"):
                    out.add((rec["type"], rec["uri"], rec["payload_digest"] if rec["type"] == "response" else None))
        return out

    remote = index(io.BytesIO(client.get_object(Bucket=s3_bucket, Key=k)["Body"].read()) for k in warcs)
    local = index(open(p, "rb") for p in first.warc_files())
    assert remote == local
    # The articles point into the bucket.
    (rec,) = [r for r in second.export() if r["url"] == manifest.stories(1)[manifest.SEED_000_STORY][0]]
    assert rec["provenance"]["archive"] == f"s3://{s3_bucket}/news"
    assert f"news/{rec['provenance']['warc_file']}" in warcs


@SQLITE_ONLY
def test_scrapy_crawl_news_from_a_checkout_is_the_same_crawl(first, portals, tmp_path):
    data = tmp_path / "data"
    sources = tmp_path / "sources.toml"
    sources.write_text(portals.sources_toml(), encoding="utf-8")
    env = {**os.environ, **CRAWL_ENV, "http_proxy": portals.proxy_url, "no_proxy": "", "CRAWLER_DATA_DIR": str(data),
           "CRAWLER_SOURCES": str(sources)}
    proc = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "news"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    ours = Crawl(data, sources, portals, proc, []).export()
    theirs = first.export()

    def partition(records):
        groups: dict[str, set[str]] = {}
        for r in records:
            groups.setdefault(r["cluster_id"], set()).add(r["url"])
        return sorted(sorted(g) for g in groups.values())

    assert partition(ours) == partition(theirs)
    assert {r["url"]: r["text"] for r in ours} == {r["url"]: r["text"] for r in theirs}


@SQLITE_ONLY
def test_an_update_announced_after_a_link_to_the_article_is_still_fetched(first, portals, tmp_path):
    """Section pages link the updated article (no lastmod) before the delayed feed announces its
    new lastmod: the update must be fetched anyway, and no later crawl may lose it."""
    data = tmp_path / "data"
    shutil.copytree(first.data_dir, data)
    portals.set_edition(2)
    try:
        (updated,) = manifest.EDITION2_UPDATED_URLS
        order_log = tmp_path / "order.jsonl"
        slow = {"SCRAPY_SETTINGS_MODULE": "slow_sources_settings", "PYTHONPATH": str(REPO / "tests"),
                "CRAWLER_TEST_ORDER_LOG": str(order_log), "CRAWLER_TEST_WATCH_URL": updated}
        sources = tmp_path / "sources.toml"
        sources.write_text(portals.sources_toml(), encoding="utf-8")
        portals.clear_log()
        run_cli("crawl", "--sources", str(sources), "--data-dir", str(data),
                env={"http_proxy": portals.proxy_url, "no_proxy": "", **slow})
        fetched = {e["url"] for e in portals.request_log if e["url"] in manifest.by_url(2)}
        portals.clear_log()
        run_cli("crawl", "--sources", str(sources), "--data-dir", str(data),
                env={"http_proxy": portals.proxy_url, "no_proxy": ""})
        refetched = {e["url"] for e in portals.request_log if e["url"] in manifest.by_url(2)}
    finally:
        portals.set_edition(1)
    # The race happened: a page linking the updated article (no lastmod) reached the spider
    # before any feed or sitemap announcing the update did.
    order = [json.loads(line) for line in order_log.read_text(encoding="utf-8").splitlines()]
    naming = [i for i, r in enumerate(order) if r["names"] and r["url"] != updated]
    first_source = min(i for i in naming if order[i]["source"])
    assert any(not order[i]["source"] for i in naming if i < first_source), order
    assert fetched == set(manifest.EDITION2_NEW_URLS + manifest.EDITION2_UPDATED_URLS)
    assert refetched == set()
    assert by_url(Crawl(data, sources, portals, None, []).export())[updated]["version"] == 2
