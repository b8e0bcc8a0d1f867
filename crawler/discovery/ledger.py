"""What one crawl has decided about article URLs: the bookkeeping behind "once per crawl, and
only when new or changed" (:func:`crawler.discovery.needs_fetch` decides a single URL).

Plain Python, no Scrapy and no store access: the spider hands in the crawl states it read (in a
thread) and turns the decisions into requests. ``crawler serve`` polls a portal again and again
in one long-running crawl; each poll is a cycle (:meth:`CrawlLedger.begin_cycle`) and counts as
a crawl of its own for that portal's URLs.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import NamedTuple

from crawler.crawl_defaults import GONE_RETRY_DAYS
from crawler.discovery.fetch import needs_fetch
from crawler.store.base import UrlState
from crawler.urls import canonicalize_url


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Candidate(NamedTuple):
    """An article URL a feed, sitemap, page, redirect or earlier failure names."""

    url: str
    lastmod: str | None
    via: str | None
    redirected_from: tuple = ()
    listed: bool = True  # announced by a feed or sitemap (not only linked from a page)


class Decision(NamedTuple):
    fetch: bool
    why: str  # needs_fetch's reason ("new", "known", "lastmod-changed", ...)
    counted: bool  # first decision about the URL in this crawl, or a fetch: counted in the stats
    listed: bool  # a listed article URL (see crawler.pagetype.is_article_page)


class CrawlLedger:
    def __init__(self, *, gone_retry_days: float = GONE_RETRY_DAYS, clock=utc_now):
        self.gone_retry_days = gone_retry_days
        self.clock = clock
        self.started_at = clock()
        self.requested: set[str] = set()  # canonical URLs requested in this crawl (never twice)
        self.decided: set[str] = set()  # canonical URLs with a fetch decision in this crawl
        self.announced: dict[str, str] = {}  # canonical URL -> latest lastmod announced this crawl
        self.cycle_started: dict[str, str] = {}  # portal -> start of its current cycle (crawler serve)

    def candidates(self, portal, candidates) -> list[tuple[Candidate, str]]:
        """The article URLs of ``portal`` among ``candidates`` not requested yet, with their
        canonical URL; every lastmod announced is remembered (the latest per URL)."""
        wanted = [(c, canonicalize_url(c.url)) for c in candidates if is_candidate(portal, c)]
        for c, canonical in wanted:
            if c.lastmod and c.lastmod > self.announced.get(canonical, ""):
                self.announced[canonical] = c.lastmod
        return [(c, canonical) for c, canonical in wanted if canonical not in self.requested]

    def decide(self, portal, c: Candidate, canonical: str, state: UrlState | None) -> Decision:
        """Fetch ``canonical`` (``state``: its crawl state) unless this crawl requested it
        already or it is known and unchanged; a fetch is recorded as requested."""
        if canonical in self.requested:
            return Decision(False, "requested", False, False)
        # Decided again at every announcement: a feed announcing a newer lastmod after a
        # section page linked the URL (without one) still gets the update fetched.
        listed = c.listed and c.via != "retry" and portal.is_article_url(c.url)
        fetch, why = needs_fetch(state, c.lastmod, gone_retry_days=self.gone_retry_days, listed=listed)
        counted = canonical not in self.decided or fetch
        self.decided.add(canonical)
        if fetch:
            self.requested.add(canonical)
        return Decision(fetch, why, counted, listed)

    def item_lastmod(self, lastmod: str | None, *urls: str) -> str | None:
        """The latest of ``lastmod`` and of the lastmods announced for ``urls`` in this crawl."""
        return max(filter(None, (lastmod, *(self.announced.get(u) for u in urls))), default=None)

    def begin_cycle(self, portal) -> None:
        """A new cycle of ``portal``: its URLs may be requested again (once per cycle)."""
        for known in (self.requested, self.decided):
            known.difference_update({u for u in known if portal.owns(u)})
        for url in [u for u in self.announced if portal.owns(u)]:
            del self.announced[url]
        self.cycle_started[portal.name] = self.clock()

    def announcements(self, portal=None) -> tuple[list[tuple[str, str]], str]:
        """A snapshot of the lastmods announced (of ``portal``'s URLs, since its current
        cycle started) and when that crawl or cycle started."""
        announced = [(u, m) for u, m in list(self.announced.items()) if portal is None or portal.owns(u)]
        since = self.cycle_started.get(portal.name, self.started_at) if portal is not None else self.started_at
        return announced, since


def is_candidate(portal, c: Candidate) -> bool:
    if not portal.owns(c.url):
        return False
    # The pattern decides for links; without a pattern, feed and sitemap entries are
    # candidates and the page itself tells whether it is an article.
    return bool(c.redirected_from) or portal.is_article_url(c.url) or not (portal.article_pattern or not c.listed)


def keep_announced_lastmods(store, announced, since: str) -> None:
    """For URLs fetched and recorded since ``since``, keep the latest lastmod any feed or
    sitemap announced (whichever source led to the fetch), so the next crawl compares against
    it. URLs not fetched, still pending or failed keep their old lastmod: an announced update is
    never marked as seen before its page is stored. Blocking: run it on the I/O thread, after
    the crawl-state writes queued before it."""
    for url, lastmod in announced:
        state = store.url_state(url)
        if (
            state
            and state.status in ("article", "not-article", "redirect", "dropped")
            and state.fetched_at >= since
            and (state.lastmod is None or lastmod > state.lastmod)
        ):
            state.lastmod = lastmod
            store.record_url(state)
