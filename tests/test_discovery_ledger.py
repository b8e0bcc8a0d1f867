"""The bookkeeping of one crawl's fetch decisions (:class:`crawler.discovery.CrawlLedger`),
without Scrapy or a store (microseconds)."""

from __future__ import annotations

from crawler.discovery import Candidate, CrawlLedger, keep_announced_lastmods
from crawler.store import UrlState
from fakes import FakeStore, sources

PORTAL = sources().portal("lokal")
A1, A2 = "http://lokal.test/artikel/1.html", "http://lokal.test/artikel/2.html"
OLD = "2026-11-30T01:00:00+00:00"


def test_candidates_are_the_portals_article_urls_not_yet_requested():
    ledger = CrawlLedger(clock=lambda: OLD)
    given = [Candidate(A1, "2026-12-01T08:00:00+00:00", "feed"),
             Candidate("http://lokal.test/impressum", None, "page", listed=False),
             Candidate("http://fremd.test/artikel/3.html", None, "feed"),
             Candidate("http://lokal.test/weiter", None, "redirect", redirected_from=(A2,))]
    wanted = ledger.candidates(PORTAL, given)
    assert [canonical for _, canonical in wanted] == [A1, "http://lokal.test/weiter"]
    assert ledger.announced == {A1: "2026-12-01T08:00:00+00:00"}
    assert ledger.decide(PORTAL, *wanted[0], None).fetch
    assert ledger.candidates(PORTAL, given[:1]) == []  # requested in this crawl: never twice


def test_a_decision_is_counted_once_unless_a_later_announcement_fetches_it():
    ledger = CrawlLedger()
    known = UrlState(A1, "article", 200, OLD, "x", OLD)
    first = ledger.decide(PORTAL, Candidate(A1, None, "page", listed=False), A1, known)
    again = ledger.decide(PORTAL, Candidate(A1, None, "page", listed=False), A1, known)
    newer = ledger.decide(PORTAL, Candidate(A1, "2026-12-01T08:00:00+00:00", "feed"), A1, known)
    assert [(d.fetch, d.why, d.counted) for d in (first, again, newer)] == [
        (False, "known", True), (False, "known", False), (True, "lastmod-changed", True)]
    assert newer.listed and A1 in ledger.requested


def test_a_new_cycle_forgets_only_that_portals_urls_and_the_item_takes_the_latest_lastmod():
    ledger = CrawlLedger(clock=lambda: "2026-12-01T10:00:00+00:00")
    ledger.candidates(PORTAL, [Candidate(A1, "2026-12-01T08:00:00+00:00", "feed")])
    ledger.requested |= {A1, "http://other.test/x"}
    assert ledger.item_lastmod("2026-12-01T07:00:00+00:00", A1, A2) == "2026-12-01T08:00:00+00:00"
    assert ledger.item_lastmod(None, A2) is None
    ledger.begin_cycle(PORTAL)
    assert ledger.requested == {"http://other.test/x"} and ledger.announced == {}
    assert ledger.cycle_started == {"lokal": "2026-12-01T10:00:00+00:00"}


def test_announced_lastmods_are_kept_only_for_urls_fetched_since_the_crawl_started():
    store = FakeStore({A1: UrlState(A1, "article", 200, None, "x", "2026-12-01T09:00:00+00:00"),
                       A2: UrlState(A2, "error", None, None, None, "2026-12-01T09:00:00+00:00")})
    ledger = CrawlLedger(clock=lambda: "2026-12-01T08:30:00+00:00")
    ledger.candidates(PORTAL, [Candidate(A1, "2026-12-01T08:00:00+00:00", "feed"),
                               Candidate(A2, "2026-12-01T08:00:00+00:00", "feed")])
    keep_announced_lastmods(store, *ledger.announcements(PORTAL))
    assert store.states[A1].lastmod == "2026-12-01T08:00:00+00:00"
    assert store.states[A2].lastmod is None  # failed: the update is not marked as seen
