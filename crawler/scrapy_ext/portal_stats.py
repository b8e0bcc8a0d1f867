"""Per-portal counters in the crawl's stats: what health checks and metrics are made of.

Keys ``portal/<name>/<counter>`` (so they land in every job record):

pages            responses received for the portal's requests
articles         article pages that reached the store (new, new version or unchanged)
new, new_version, unchanged   what the store did with them
dropped          article pages the pipelines dropped (no article text, nothing left after cleaning)
empty_text       the dropped pages that had no text at all (extraction or cleaning returned nothing)
missing_date     stored articles without a published date
removed_lines    residue lines removed from the stored articles
near_dup         stored articles that joined another article's story (exact or near copy)
errors           spider errors in the portal's callbacks
"""

from __future__ import annotations

from scrapy import signals

COUNTERS = ("pages", "articles", "new", "new_version", "unchanged", "dropped", "empty_text",
            "missing_date", "removed_lines", "near_dup", "errors")
EMPTY_MARKERS = ("no article text", "nothing left after cleaning")


def key(portal: str, counter: str) -> str:
    return f"portal/{portal}/{counter}"


def portal_counters(stats: dict, portal: str) -> dict[str, int]:
    return {c: int(stats.get(key(portal, c), 0) or 0) for c in COUNTERS}


class PortalStatsExtension:
    def __init__(self, crawler):
        self.stats = crawler.stats
        crawler.signals.connect(self.response_received, signal=signals.response_received)
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(self.spider_error, signal=signals.spider_error)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _inc(self, portal, counter, n=1):
        if portal and n:
            self.stats.inc_value(key(portal, counter), n)

    def response_received(self, response, request, spider=None):
        self._inc(request.meta.get("portal"), "pages")

    def item_scraped(self, item, response=None, spider=None):
        if not isinstance(item, dict):
            return
        portal = item.get("portal")
        stored = item.get("stored") or ("new" if item.get("version") == 1 else "new_version")
        self._inc(portal, "articles")
        self._inc(portal, stored)
        if not item.get("published"):
            self._inc(portal, "missing_date")
        self._inc(portal, "removed_lines", len(item.get("removed") or ()))
        if item.get("cluster_reason") in ("exact-text", "near-duplicate"):
            self._inc(portal, "near_dup")

    def item_dropped(self, item, response=None, exception=None, spider=None):
        if not isinstance(item, dict):
            return
        portal = item.get("portal")
        self._inc(portal, "dropped")
        if any(m in str(exception or "") for m in EMPTY_MARKERS):
            self._inc(portal, "empty_text")

    def spider_error(self, failure, response=None, spider=None):
        request = getattr(response, "request", None)
        self._inc(request.meta.get("portal") if request is not None else None, "errors")
