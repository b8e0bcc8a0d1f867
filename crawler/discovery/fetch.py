"""The incremental fetch decision for one article URL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from crawler.crawl_defaults import GONE_RETRY_DAYS
from crawler.store.base import UrlState

DROPPED_RETRY = timedelta(hours=24)  # a dropped page a feed lists again: fetched again after this


def needs_fetch(
    state: UrlState | None, lastmod: str | None, *, now: datetime | None = None,
    gone_retry_days: float = GONE_RETRY_DAYS, listed: bool = False,
) -> tuple[bool, str]:
    """Should a crawl fetch this article URL? Returns the decision and why.

    Known URLs (articles, redirects, non-articles, dropped pages) are fetched again only when a
    feed or sitemap announces a ``lastmod`` later than the one recorded at the last fetch; failed
    fetches are retried; 404/410 pages after a while; pages dropped as not an article (or left
    empty) when the portal's feed or sitemap lists them again (``listed``), at most once a day,
    so better rules get to see them.
    """
    if state is None:
        return True, "new"
    if state.status == "error":
        return True, "retry-error"
    if state.status == "gone":
        fetched = datetime.fromisoformat(state.fetched_at)
        if (now or datetime.now(timezone.utc)) - fetched >= timedelta(days=gone_retry_days):
            return True, "retry-gone"
    if listed and state.status in ("not-article", "dropped"):
        fetched = datetime.fromisoformat(state.fetched_at)
        if (now or datetime.now(timezone.utc)) - fetched >= DROPPED_RETRY:
            return True, "retry-dropped"
    # Compared with the lastmod recorded at the last fetch, or, where none was announced then,
    # with the time of that fetch.
    baseline = state.lastmod or state.fetched_at
    if lastmod and baseline and lastmod > baseline:
        return True, "lastmod-changed"
    return False, "known"
