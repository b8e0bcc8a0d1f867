"""No per-page cost grows with the store: the SQLite work of one more page (VM instructions,
counted by a progress handler, so no timing) is the same whether the store holds a hundred
pages or ten times as many. A query per page that reads a share of a growing table (the
``COUNT(*)`` over a portal's template pages that ``TemplateStore.page_count`` used to run, a
scan for the next sequence number or for a URL's state) makes it grow with the table. On
PostgreSQL the same per-page statements are checked by their plans (EXPLAIN)."""

from __future__ import annotations

from crawler.cleaning.templates import TemplateStore
from crawler.store import ArticleVersion, ClusterAssignment, JobRecord, UrlState, open_store
from crawler.store.sqlite import SQLiteArticleStore
from services import postgres_url  # noqa: F401  (fixture)

SMALL, LARGE = 100, 1000


def vm_steps(db, work) -> int:
    """SQLite VM instructions that ``work()`` costs on connection ``db``."""
    steps = 0

    def tick():
        nonlocal steps
        steps += 1
        return 0

    db.set_progress_handler(tick, 1)
    try:
        work()
    finally:
        db.set_progress_handler(None, 1)
    return steps


def grow(db, work) -> tuple[int, int]:
    """``work(n)`` for n = 0 .. LARGE (one more page each time): the VM steps of the one at SMALL
    and of the one at LARGE."""
    costs = {}
    for n in range(LARGE + 1):
        if n in (SMALL, LARGE):
            costs[n] = vm_steps(db, lambda: work(n))
        else:
            work(n)
    return costs[SMALL], costs[LARGE]


def assert_flat(small: int, large: int) -> None:
    # an index look-up costs the same number of instructions at any table size; anything that
    # reads a share of the table would cost about 10x more here
    assert large <= small * 1.1 + 20, f"{small} VM steps at {SMALL} pages, {large} at {LARGE}"
    print(f"{small} VM steps at {SMALL} pages, {large} at {LARGE}")


def page_lines(n: int) -> list[str]:
    chrome = ["Startseite", "Newsletter abonnieren", "Schreibe einen Kommentar", "Mehr zum Thema"]
    return chrome + [f"Absatz {i} der Meldung {n} über den Haushalt der Gemeinde." for i in range(8)]


def test_cleaning_one_page_against_the_learned_templates_costs_the_same_at_any_portal_size():
    templates = TemplateStore(None)

    def clean(n):  # what the clean stage asks of the templates per page
        templates.match("lokal", page_lines(n))
        templates.learn("lokal", page_lines(n), page_key=f"page-{n}")

    small, large = grow(templates._db, clean)
    assert templates.page_count("lokal") == LARGE + 1
    assert_flat(small, large)
    templates.close()


def version(n: int) -> ArticleVersion:
    url = f"http://lokal.test/artikel/{n}.html"
    return ArticleVersion(
        article_id=f"a{n}", canonical_url=url, url=url, portal="lokal", fetched_at="2026-12-01T12:00:00+00:00",
        title=f"Meldung {n}", text=f"Text der Meldung {n}.", published="2026-12-01T10:00:00+01:00",
        text_hash=f"h{n}", warc={"warc_file": "crawl-1.warc.gz", "offset": n, "length": 99,
                                 "record_id": f"<urn:uuid:{n}>", "payload_digest": "sha1:ABC"})


def story(n: int) -> ClusterAssignment:  # every third article is a copy of the story of the one before
    first = n - n % 3
    return ClusterAssignment(f"c{first}", f"a{first}", reason="new-story" if n == first else "near-duplicate")


def store_page(store, n: int) -> None:
    """What the spider and the store stage ask of the store per article page."""
    url = f"http://lokal.test/artikel/{n}.html"
    store.url_state(url)
    store.save_article(version(n), story(n))
    if n % 10 == 0 and n:  # and every tenth page an update of an article stored before
        store.save_article(_updated(n - 5), story(n - 5))
    store.record_url(UrlState(url, "article", 200, None, f"a{n}", "2026-12-01T12:00:00+00:00"))


def test_storing_one_article_costs_the_same_at_any_store_size(tmp_path):
    store = SQLiteArticleStore(tmp_path / "articles.sqlite")
    small, large = grow(store.db, lambda n: store_page(store, n))
    assert store.counts()["articles"] == LARGE + 1
    assert_flat(small, large)
    store.close()


def test_a_run_start_and_the_job_list_cost_the_same_at_any_number_of_past_runs(tmp_path):
    """A scheduled service adds one job row per run, forever: what each run and each listing
    reads of the jobs table (the running jobs at start, the newest 20) must not grow with it."""
    store = SQLiteArticleStore(tmp_path / "articles.sqlite")

    def run(n):  # what a run does with the jobs table, and one `crawler jobs`
        job = JobRecord(run_id=f"run-{n:05d}", started_at=f"2026-{1 + n % 12:02d}-01T00:00:{n % 60:02d}+00:00")
        store.mark_crashed_jobs(job.run_id)
        store.start_job(job)
        job.status, job.ended_at, job.exit_code = "finished", job.started_at, 0
        store.finish_job(job)
        assert len(store.jobs(limit=20)) == min(n + 1, 20)

    small, large = grow(store.db, run)
    assert_flat(small, large)
    store.close()


class RecordingConnection:
    """A psycopg connection that keeps every statement executed through it, with its parameters."""

    def __init__(self, db):
        self._db, self.statements = db, []

    def execute(self, sql, params=None, *args, **kwargs):
        self.statements.append((sql, params))
        return self._db.execute(sql, params, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._db, name)


def test_storing_one_article_in_postgresql_uses_no_sequential_scan(postgres_url):
    """PostgreSQL: every statement one more article page costs can be served by an index (its
    plan with sequential scans disabled, so the planner takes an index wherever one fits,
    whatever the table's size now, holds no sequential scan)."""
    import psycopg

    store = open_store(postgres_url)
    try:
        for n in range(SMALL):
            store_page(store, n)
        store.db = recording = RecordingConnection(store.db)
        store_page(store, SMALL)
        store.db = recording._db
        plans = {}
        with psycopg.connect(postgres_url, autocommit=True) as db:
            db.execute("SET enable_seqscan = off")
            for sql, params in recording.statements:
                if sql.split()[0].upper() in ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH"):
                    plans[sql] = "\n".join(row[0] for row in db.execute("EXPLAIN " + sql, params))
    finally:
        store.close()
    assert any("FROM url_state" in sql for sql in plans) and any("INTO versions" in sql for sql in plans), plans
    scans = {sql: plan for sql, plan in plans.items() if "Seq Scan" in plan}
    assert not scans, scans


def _updated(n: int) -> ArticleVersion:
    v = version(n)
    v.text, v.text_hash = f"Neuer Text der Meldung {n}.", f"neu{n}"
    return v
