"""No per-page cost grows with the store: the SQLite work of one more page (VM instructions,
counted by a progress handler, so no timing) is the same whether the store holds a hundred
pages or ten times as many. A query per page that reads a share of a growing table (the
``COUNT(*)`` over a portal's template pages that ``TemplateStore.page_count`` used to run, a
scan for the next sequence number or for a URL's state) makes it grow with the table."""

from __future__ import annotations

from crawler.cleaning.templates import TemplateStore
from crawler.store import ArticleVersion, ClusterAssignment, UrlState
from crawler.store.sqlite import SQLiteArticleStore

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

    costs = {}
    for n in range(LARGE + 1):
        if n in (SMALL, LARGE):
            costs[n] = vm_steps(templates._db, lambda: clean(n))
        else:
            clean(n)
    assert templates.page_count("lokal") == LARGE + 1
    assert_flat(costs[SMALL], costs[LARGE])
    templates.close()


def version(n: int) -> ArticleVersion:
    url = f"http://lokal.test/artikel/{n}.html"
    return ArticleVersion(
        article_id=f"a{n}", canonical_url=url, url=url, portal="lokal", fetched_at="2026-12-01T12:00:00+00:00",
        title=f"Meldung {n}", text=f"Text der Meldung {n}.", published="2026-12-01T10:00:00+01:00",
        text_hash=f"h{n}", warc={"warc_file": "crawl-1.warc.gz", "offset": n, "length": 99,
                                 "record_id": f"<urn:uuid:{n}>", "payload_digest": "sha1:ABC"})


def test_storing_one_article_costs_the_same_at_any_store_size(tmp_path):
    store = SQLiteArticleStore(tmp_path / "articles.sqlite")

    def story(n):  # every third article is a copy of the story of the one before
        first = n - n % 3
        return ClusterAssignment(f"c{first}", f"a{first}", reason="new-story" if n == first else "near-duplicate")

    def store_page(n):  # what the spider and the store stage ask of the store per article page
        url = f"http://lokal.test/artikel/{n}.html"
        store.url_state(url)
        store.save_article(version(n), story(n))
        if n % 10 == 0 and n:  # and every tenth page an update of an article stored before
            store.save_article(_updated(n - 5), story(n - 5))
        store.record_url(UrlState(url, "article", 200, None, f"a{n}", "2026-12-01T12:00:00+00:00"))

    costs = {}
    for n in range(LARGE + 1):
        if n in (SMALL, LARGE):
            costs[n] = vm_steps(store.db, lambda: store_page(n))
        else:
            store_page(n)
    assert store.counts()["articles"] == LARGE + 1
    assert_flat(costs[SMALL], costs[LARGE])
    store.close()


def _updated(n: int) -> ArticleVersion:
    v = version(n)
    v.text, v.text_hash = f"Neuer Text der Meldung {n}.", f"neu{n}"
    return v
