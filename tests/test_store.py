import sqlite3

import pytest

from crawler.datadir import DataDir
from crawler.export import export_records
from crawler.jobs import CrawlLock, LockHeld
from crawler.store import SCHEMA_VERSION, STORE_SCHEMA_VERSION, ArticleVersion, ClusterAssignment, JobRecord, UrlState, open_store
from crawler.store.sqlite import SchemaError, SQLiteArticleStore
from services import postgres_database


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]


def backend_location(backend: str, tmp_path):
    """Where a fresh store is: a data dir (SQLite file), or a new database on a real PostgreSQL."""
    return DataDir(tmp_path) if backend == "sqlite" else postgres_database()


def open_backend(backend: str, tmp_path):
    return open_store(backend_location(backend, tmp_path))


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    s = open_backend(request.param, tmp_path)
    yield s
    s.close()


def version(aid, text, published="2026-11-23T10:00:00+01:00", portal="a", **kw):
    return ArticleVersion(
        article_id=aid, canonical_url=f"http://{portal}.test/{aid}.html", url=f"http://{portal}.test/{aid}.html",
        portal=portal, fetched_at="2026-11-23T12:00:00+00:00", title=f"T {aid}", text=text,
        published=published, text_hash=f"h:{text}",
        warc={"warc_file": "crawl-1.warc.gz", "offset": 10, "length": 99, "record_id": "<urn:uuid:x>",
              "payload_digest": "sha1:ABC"},
        **kw,
    )


def test_new_article_versions_and_monotonic_seq(store):
    r1 = store.save_article(version("a1", "Erster Text."), ClusterAssignment("c1", "a1"))
    assert r1.created and r1.version == 1
    same = store.save_article(version("a1", "Erster Text."), ClusterAssignment("c1", "a1", reason="new-version"))
    assert same.unchanged and same.seq == r1.seq  # identical text: no new version, no change
    r2 = store.save_article(version("a1", "Erster Text. Update: mehr."), ClusterAssignment("c1", "a1"))
    assert not r2.created and r2.version == 2 and r2.seq > r1.seq
    assert [v.text for v in store.versions("a1")] == ["Erster Text.", "Erster Text. Update: mehr."]
    assert store.current_version("a1").text.endswith("mehr.")
    assert store.counts()["versions"] == 2


def test_current_versions_of_many_articles_in_one_call(store):
    store.save_article(version("a1", "Erster Text."), ClusterAssignment("c1", "a1"))
    store.save_article(version("a1", "Erster Text. Update."), ClusterAssignment("c1", "a1"))
    store.save_article(version("b1", "Anderer Text."), ClusterAssignment("c2", "b1"))
    got = store.current_versions(["b1", "missing", "a1"])
    assert got == {a: store.current_version(a) for a in ("a1", "b1")} and got["a1"].text == "Erster Text. Update."
    assert store.current_versions([]) == {}


def test_representative_change_bumps_seq_of_both_members(store):
    store.save_article(version("late", "Bericht", published="2026-11-23T12:00:00+01:00"), ClusterAssignment("c", "late"))
    before = store.max_seq()
    store.save_article(
        version("early", "Bericht kopiert", published="2026-11-23T08:00:00+01:00", portal="b"),
        ClusterAssignment("c", "early", previous_representative="late", nearest="late", jaccard=0.8, containment=0.9,
                          reason="near-duplicate"),
    )
    changed = {r["article_id"]: r for r in store.changes_after(before)}
    assert set(changed) == {"late", "early"}
    assert changed["early"]["is_representative"] and not changed["late"]["is_representative"]
    members = store.cluster_members("c")
    assert members[0]["article_id"] == "early"


def test_export_one_record_per_cluster_with_members_and_provenance(store):
    store.save_article(version("x", "Text X"), ClusterAssignment("c1", "x"))
    store.save_article(version("y", "Text Y", portal="b"),
                       ClusterAssignment("c1", "x", nearest="x", jaccard=0.7, containment=0.9, reason="near-duplicate"))
    store.save_article(version("z", "Text Z"), ClusterAssignment("c2", "z"))
    records = list(export_records(store))
    assert [r["article_id"] for r in records] == ["x", "z"]
    first = records[0]
    assert first["schema_version"] == SCHEMA_VERSION
    assert {m["url"] for m in first["members"]} == {"http://a.test/x.html", "http://b.test/y.html"}
    assert first["provenance"]["offset"] == 10 and first["provenance"]["record_id"] == "<urn:uuid:x>"
    every = list(export_records(store, all_members=True))
    assert {(r["article_id"], r["cluster_id"], r["is_representative"]) for r in every} == {
        ("x", "c1", True), ("y", "c1", False), ("z", "c2", True)}
    # Incremental: only what changed after the last seq seen.
    last = max(r["seq"] for r in every)
    assert list(export_records(store, after_seq=last)) == []
    store.save_article(version("z", "Text Z, berichtigt"), ClusterAssignment("c2", "z"))
    (changed,) = list(export_records(store, after_seq=last))
    assert changed["article_id"] == "z" and changed["version"] == 2 and changed["seq"] > last


def test_url_state_roundtrip_keeps_article_id(store):
    store.record_url(UrlState("http://a.test/1", "article", 200, "2026-11-23T10:00:00+00:00", "a1", "t"))
    store.record_url(UrlState("http://a.test/1", "article", 200, "2026-11-24T10:00:00+00:00", None, "t2"))
    state = store.url_state("http://a.test/1")
    assert state.article_id == "a1" and state.lastmod.startswith("2026-11-24")
    assert store.url_state("http://a.test/unknown") is None


def test_url_states_of_many_urls_are_read_in_batches_as_one_by_one(store):
    urls = [f"http://a.test/{i}" for i in range(1200)]
    for i, url in enumerate(urls[:1100:3]):
        store.record_url(UrlState(url, "article" if i % 2 else "error", 200, None, f"a{i}", "t"))
    wanted = [*urls, urls[0], "http://a.test/unknown"]
    states = store.url_states_of(wanted)
    assert set(states) == set(wanted)
    assert states == {url: store.url_state(url) for url in wanted}
    assert sum(s is not None for s in states.values()) == len(urls[:1100:3])


def test_jobs_recorded(store):
    store.start_job(JobRecord(run_id="r1", started_at="2026-11-23T10:00:00+00:00", portals=["a"]))
    job = store.jobs()[0]
    assert job.status == "running"
    job.ended_at, job.status, job.exit_code = "2026-11-23T10:05:00+00:00", "finished", 0
    job.stats, job.warc_files = {"downloader/response_count": 3}, ["crawl-1.warc.gz"]
    store.finish_job(job)
    (job,) = store.jobs()
    assert job.exit_code == 0 and job.warc_files == ["crawl-1.warc.gz"] and job.stats["downloader/response_count"] == 3


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "articles.sqlite"
    SQLiteArticleStore(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(STORE_SCHEMA_VERSION + 1),))
    db.commit()
    db.close()
    with pytest.raises(SchemaError, match="upgrade"):
        SQLiteArticleStore(path)


def test_newer_schema_is_refused_by_postgresql():
    url = postgres_database()
    open_store(url).close()
    import psycopg
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("UPDATE meta SET value=%s WHERE key='schema_version'", (str(STORE_SCHEMA_VERSION + 1),))
    with pytest.raises(SchemaError, match="upgrade"):
        open_store(url)


def test_lock_keeps_second_crawl_out(tmp_path):
    first = CrawlLock(tmp_path / "crawl.lock").acquire("run-1")
    with pytest.raises(LockHeld, match="run-1"):
        CrawlLock(tmp_path / "crawl.lock").acquire("run-2")
    first.release()
    CrawlLock(tmp_path / "crawl.lock").acquire("run-3").release()


def test_new_version_keeps_the_similarity_that_justified_the_join(store):
    store.save_article(version("orig", "Bericht"), ClusterAssignment("c", "orig"))
    store.save_article(version("copy", "Bericht kopiert", portal="b"),
                       ClusterAssignment("c", "orig", nearest="orig", jaccard=0.8, containment=0.9, reason="near-duplicate"))
    store.save_article(version("copy", "Bericht kopiert, ergänzt", portal="b"),
                       ClusterAssignment("c", "orig", reason="new-version"))
    (row,) = [r for r in store.changes_after(0) if r["article_id"] == "copy"]
    assert row["version"] == 2 and row["nearest"] == "orig" and row["jaccard"] == 0.8
    assert row["dedup_reason"] == "near-duplicate"


def test_runs_left_running_by_a_killed_crawl_are_marked_crashed(store):
    store.start_job(JobRecord(run_id="killed", started_at="2026-11-23T10:00:00+00:00"))
    store.start_job(JobRecord(run_id="now", started_at="2026-11-23T11:00:00+00:00"))
    assert store.mark_crashed_jobs(except_run_id="now") == ["killed"]
    status = {j.run_id: j.status for j in store.jobs()}
    assert status == {"killed": "crashed", "now": "running"}


# -- the change feed ---------------------------------------------------------------------------
def kinds(changes):
    return [(c.kind, c.article_id) for c in changes]


def test_change_feed_has_every_change_once_in_seq_order(store):
    store.save_article(version("late", "Bericht", published="2026-11-23T12:00:00+01:00"), ClusterAssignment("c", "late"))
    store.save_article(version("early", "Bericht kopiert", published="2026-11-23T08:00:00+01:00", portal="b"),
                       ClusterAssignment("c", "early", previous_representative="late", nearest="late",
                                         jaccard=0.8, containment=0.9, reason="near-duplicate"))
    store.save_article(version("late", "Bericht, ergänzt"), ClusterAssignment("c", "early", reason="new-version"))
    feed = store.changes(0)
    assert kinds(feed) == [("new-article", "late"), ("new-article", "early"), ("representative", "late"),
                           ("new-version", "late")]
    assert [c.seq for c in feed] == sorted({c.seq for c in feed})
    assert feed[0].detail == {"new_story": True} and feed[1].detail == {"new_story": False}
    assert feed[1].is_representative and feed[1].cluster_id == "c" and feed[1].portal == "b"
    assert not feed[2].is_representative and feed[2].detail == {"next": "early"}
    assert feed[3].version == 2 and feed[3].canonical_url == "http://a.test/late.html"
    assert store.max_seq() == feed[-1].seq
    # Paging with the last seq seen returns the rest, once.
    paged, after = [], 0
    while page := store.changes(after, limit=1):
        paged += page
        after = page[-1].seq
    assert paged == feed
    assert kinds(store.changes(0, portal="b")) == [("new-article", "early")]
    assert kinds(store.changes(0, kinds=("new-version",))) == [("new-version", "late")]


def test_an_article_moved_to_another_story_leaves_and_joins(store):
    store.save_article(version("x", "Text X"), ClusterAssignment("c1", "x"))
    store.save_article(version("y", "Text Y"), ClusterAssignment("c2", "y"))
    before = store.max_seq()
    store.save_article(version("x", "Ganz anderer Text"), ClusterAssignment("c2", "y", nearest="y", jaccard=0.6,
                                                                              containment=0.8, reason="near-duplicate"))
    feed = store.changes(before)
    assert [(c.kind, c.cluster_id) for c in feed] == [("left", "c1"), ("joined", "c2"), ("new-version", "c2")]
    assert feed[1].detail == {"from": "c1"}
    assert {m["article_id"] for m in store.cluster_members("c2")} == {"x", "y"}


def test_gone_article_gets_a_tombstone_and_comes_back(store):
    store.save_article(version("a1", "Text"), ClusterAssignment("c1", "a1"))
    store.record_url(UrlState("http://a.test/old-name.html", "redirect", 301, None, "a1", "t"))
    assert store.mark_gone("http://a.test/unknown.html", 404) is None
    tomb = store.mark_gone("http://a.test/a1.html", 410, run_id="r2")
    assert tomb.kind == "gone" and tomb.article_id == "a1" and tomb.detail["http_status"] == 410
    assert tomb.run_id == "r2" and tomb.cluster_id == "c1" and tomb.is_representative
    assert store.mark_gone("http://a.test/old-name.html", 404) is None  # gone already: one tombstone
    assert store.article_row("a1")["gone_status"] == 410
    assert [r["article_id"] for r in store.changes_after(tomb.seq - 1)] == ["a1"]
    assert store.counts()["gone"] == 1
    store.save_article(version("a1", "Text"), ClusterAssignment("c1", "a1", reason="new-version"))
    assert store.changes(tomb.seq)[0].kind == "restored"
    assert store.article_row("a1")["gone_at"] is None


def test_a_version_1_store_is_migrated_with_its_changes(tmp_path):
    from crawler.store import schema
    path = tmp_path / "articles.sqlite"
    db = sqlite3.connect(path)
    db.executescript(";".join(schema.statements(schema.V1, "INTEGER PRIMARY KEY AUTOINCREMENT", "REAL")))
    db.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    db.execute("INSERT INTO changes (article_id, kind, at) VALUES ('a1', 'new-article', 't')")
    db.execute("INSERT INTO articles (article_id, canonical_url, portal, first_seen, current_version, cluster_id,"
               " is_representative, seq) VALUES ('a1', 'http://a.test/a1.html', 'a', 't', 1, 'c1', 1, 1)")
    db.execute("INSERT INTO versions (article_id, version, url, fetched_at, text) VALUES ('a1', 1, 'u', 't', 'x')")
    db.commit()
    db.close()
    store = SQLiteArticleStore(path)
    assert store.schema_version() == STORE_SCHEMA_VERSION
    (change,) = store.changes(0)
    assert (change.kind, change.cluster_id, change.portal, change.is_representative) == ("new-article", "c1", "a", True)
    store.save_article(version("a1", "neu"), ClusterAssignment("c1", "a1", reason="new-version"))
    assert kinds(store.changes(1)) == [("new-version", "a1")]
    store.close()


def test_store_uris(tmp_path, monkeypatch):
    from crawler.store import StoreURIError, redact, store_uri
    monkeypatch.delenv("CRAWLER_STORE", raising=False)
    data = DataDir(tmp_path / "d")
    assert store_uri(data) == f"sqlite:///{tmp_path}/d/articles.sqlite"
    s = open_store(f"sqlite:///{tmp_path}/elsewhere/x.sqlite")
    assert (tmp_path / "elsewhere" / "x.sqlite").exists() and s.location.endswith("x.sqlite")
    s.close()
    monkeypatch.setenv("CRAWLER_STORE", f"sqlite:///{tmp_path}/env.sqlite")
    open_store(data).close()
    assert (tmp_path / "env.sqlite").exists()
    with pytest.raises(StoreURIError, match="unknown scheme"):
        open_store("mysql://u:secret@h/db")
    assert "secret" not in redact("postgresql://u:secret@h:5/db")


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_cursor_reader_misses_no_change_of_concurrent_writers(backend, tmp_path):
    """Four writers (own connections) commit concurrently while a reader pages through the feed
    with its cursor: it ends with exactly the changes in the store, each once."""
    import threading
    where = backend_location(backend, tmp_path)
    setup = open_store(where)
    done = threading.Event()
    errors = []

    def write(w):
        s = open_store(where)
        try:
            for i in range(40):
                aid = f"w{w}-{i}"
                s.save_article(version(aid, f"Text {aid}"), ClusterAssignment(f"c{w}-{i % 5}", f"w{w}-{i % 5}"))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            s.close()

    writers = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for t in writers:
        t.start()
    reader = open_store(where)
    seen, after = [], 0
    while True:
        finished = not any(t.is_alive() for t in writers)
        page = reader.changes(after, limit=7)
        seen += [c.seq for c in page]
        if page:
            after = page[-1].seq
        elif finished:
            break
    for t in writers:
        t.join()
    assert not errors, errors
    everything = [c.seq for c in setup.changes(0, limit=100000)]
    assert len(everything) >= 160
    assert seen == everything  # none missed, none twice, in seq order
    reader.close()
    setup.close()


def test_a_shared_store_marks_crashed_only_the_runs_whose_process_is_gone(store):
    store.start_job(JobRecord(run_id="other-crawler", started_at="2026-11-23T10:00:00+00:00", host="h", pid=1))
    store.start_job(JobRecord(run_id="killed", started_at="2026-11-23T10:00:00+00:00", host="h", pid=2))
    assert store.mark_crashed_jobs(except_run_id="now", is_dead=lambda job: job.pid == 2) == ["killed"]
    assert {j.run_id: j.status for j in store.jobs()} == {"other-crawler": "running", "killed": "crashed"}


def test_a_metadata_change_alone_is_a_new_version(store):
    first = store.save_article(version("m1", "Gleicher Text."), ClusterAssignment("c1", "m1"))
    same = store.save_article(version("m1", "Gleicher Text.", authors=[]), ClusterAssignment("c1", "m1", reason="new-version"))
    assert same.unchanged and same.seq == first.seq
    meta = {}
    for n, change in enumerate(({"title": "Neuer Titel"}, {"authors": ["Anna Beispiel"]},
                                {"modified": "2026-11-24T09:00:00+01:00"}, {"paywalled": True}), start=2):
        meta.update(change)
        new = version("m1", "Gleicher Text.", **{k: v for k, v in meta.items() if k != "title"})
        new.title = meta["title"]
        result = store.save_article(new, ClusterAssignment("c1", "m1", reason="new-version"))
        assert not result.unchanged and result.version == n, change
    versions = store.versions("m1")
    assert [v.text for v in versions] == ["Gleicher Text."] * 5
    assert (versions[-1].title, versions[-1].authors, versions[-1].paywalled) == ("Neuer Titel", ["Anna Beispiel"], True)
    assert kinds(store.changes(first.seq)) == [("new-version", "m1")] * 4


def test_paywalled_teaser_flag_reaches_the_exported_records(store):
    """Extract, store and export: a teaser behind a paywall is ``paywalled: true`` in every
    record kind, a free article ``false``; all records valid against the schemas."""
    import asyncio

    from crawler.dedup import DedupDecision
    from crawler.export import version_records
    from crawler.extract import extract_article
    from fakes import FakeStats, sources
    from pipelines.store import StorePipeline
    from record_schema import assert_valid

    para = ("Der Gemeinderat hat am Abend über die Zukunft des Freibads beraten und eine Sanierung in zwei "
            "Abschnitten beschlossen, die im kommenden Frühjahr beginnen soll.")
    pipeline = StorePipeline(stats=FakeStats(), sources=sources(), store=store, run_id="r1")
    for n, free in ((1, False), (2, True)):
        ld = '{"@type": "NewsArticle", "headline": "Freibad %d"%s}' % (n, "" if free else ', "isAccessibleForFree": false')
        html = (f'<html lang="de"><head><script type="application/ld+json">{ld}</script></head><body><article>'
                f'<h1>Freibad {n}</h1><p>{n}. {para}</p><p>{para}</p></article></body></html>')
        url = f"http://lokal.test/artikel/{n}.html"
        item = {**extract_article(html, url), "article_id": f"p{n}", "portal": "lokal", "http_status": 200,
                "fetched_at": "2026-12-01T10:00:00+00:00", "html": html, "canonical_url": url,
                "dedup": DedupDecision(doc_id=f"p{n}", cluster_id=f"c{n}", representative=f"p{n}",
                                       previous_representative=None, nearest=None, jaccard=None,
                                       containment=None, reason="new-story")}
        asyncio.run(pipeline.process_item(item))
    articles = {r["article_id"]: r for r in export_records(store, all_members=True)}
    stories = {r["article_id"]: r for r in export_records(store)}
    assert {k: r["paywalled"] for k, r in articles.items()} == {"p1": True, "p2": False}
    assert {k: r["paywalled"] for k, r in stories.items()} == {"p1": True, "p2": False}
    for aid in ("p1", "p2"):
        (record,) = version_records(store.versions(aid))
        assert record["paywalled"] is (aid == "p1")
        for r in (articles[aid], stories[aid], record):
            assert_valid(r)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_store_keeps_one_identity_of_its_own(backend, tmp_path):
    location = backend_location(backend, tmp_path / "one")
    first = open_store(location)
    ident = first.store_id()
    assert ident and first.store_id() == ident
    first.close()
    again = open_store(location)
    assert again.store_id() == ident  # the shared dedup index tells its store by this id
    again.close()
    other = open_backend(backend, tmp_path / "two")
    assert other.store_id() != ident
    other.close()
