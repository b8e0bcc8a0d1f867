"""Prometheus metrics of `crawler serve` (``--metrics-port``), read from the crawl's stats when
scraped (prometheus-client's collector interface; nothing is updated on the hot path).

Totals: ``crawler_fetches_total``, ``crawler_errors_total{kind}``,
``crawler_articles_stored_total{portal,kind}``, ``crawler_archive_upload_backlog_files``.
Per portal: ``crawler_portal_last_success_timestamp_seconds``, ``crawler_portal_pages_total``,
``crawler_portal_dropped_pages_total``, ``crawler_portal_empty_text_ratio``,
``crawler_portal_missing_date_ratio``, ``crawler_portal_residue_lines_per_article``,
``crawler_portal_near_dup_ratio``, ``crawler_portal_cycle_running``.
"""

from __future__ import annotations

import logging
from datetime import datetime

logger = logging.getLogger(__name__)

ERROR_KEYS = {
    "crawler/article_errors": "article_fetch",
    "crawler/source_errors": "source_fetch",
    "crawler/feed_errors": "feed_unusable",
    "crawler/sitemap_errors": "sitemap_unusable",
    "crawler/article_http_": "article_http_",
    "downloader/exception_type_count/": "download_",
    "spider_exceptions/": "spider_",
    "warc/upload_failed_count": "archive_upload",
}


def _error_kind(k: str) -> str | None:
    for prefix, kind in ERROR_KEYS.items():
        if k == prefix:
            return kind
        if prefix.endswith(("_", "/")) and k.startswith(prefix):
            return kind + k[len(prefix):].rsplit(".", 1)[-1]
    return None


def _ratio(a: int, b: int) -> float:
    return a / b if b else 0.0


def _timestamp(iso: str | None) -> float | None:
    try:
        return datetime.fromisoformat(iso).timestamp() if iso else None
    except ValueError:
        return None


def families(stats: dict, portals: list[str], backlog: int | None = None, running: dict | None = None):
    """The metric families for one snapshot of a crawl's stats (plain values: unit-testable)."""
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

    from crawler.scrapy_ext.portal_stats import portal_counters

    fetches = CounterMetricFamily("crawler_fetches", "HTTP responses received")
    fetches.add_metric([], int(stats.get("downloader/response_count", 0)))
    yield fetches
    errors = CounterMetricFamily("crawler_errors", "errors by kind", labels=["kind"])
    for k, v in sorted(stats.items()):
        kind = _error_kind(k)
        if kind and isinstance(v, (int, float)):
            errors.add_metric([kind], v)
    yield errors
    stored = CounterMetricFamily("crawler_articles_stored", "articles stored", labels=["portal", "kind"])
    g = {name: GaugeMetricFamily(f"crawler_portal_{name}", doc, labels=["portal"]) for name, doc in (
        ("last_success_timestamp_seconds", "end of the portal's last cycle that finished without errors"),
        ("empty_text_ratio", "share of article pages whose extraction left no text"),
        ("missing_date_ratio", "share of stored articles without a published date"),
        ("residue_lines_per_article", "residue lines removed per stored article"),
        ("near_dup_ratio", "share of stored articles that joined another article's story"),
        ("cycle_running", "1 while a cycle of the portal runs"),
    )}
    pages = CounterMetricFamily("crawler_portal_pages", "responses for the portal's requests", labels=["portal"])
    dropped = CounterMetricFamily("crawler_portal_dropped_pages", "article pages dropped", labels=["portal"])
    for portal in portals:
        c = portal_counters(stats, portal)
        stored.add_metric([portal, "new"], c["new"])
        stored.add_metric([portal, "new_version"], c["new_version"])
        pages.add_metric([portal], c["pages"])
        dropped.add_metric([portal], c["dropped"])
        seen = c["articles"] + c["dropped"]
        g["empty_text_ratio"].add_metric([portal], _ratio(c["empty_text"], seen))
        g["missing_date_ratio"].add_metric([portal], _ratio(c["missing_date"], c["articles"]))
        g["residue_lines_per_article"].add_metric([portal], _ratio(c["removed_lines"], c["articles"]))
        g["near_dup_ratio"].add_metric([portal], _ratio(c["near_dup"], c["articles"]))
        g["cycle_running"].add_metric([portal], 1.0 if running and portal in running else 0.0)
        ts = _timestamp(stats.get(f"serve/{portal}/last_success"))
        if ts is not None:
            g["last_success_timestamp_seconds"].add_metric([portal], ts)
    yield stored
    yield pages
    yield dropped
    yield from g.values()
    if backlog is not None:
        b = GaugeMetricFamily("crawler_archive_upload_backlog_files", "closed WARC files waiting for upload")
        b.add_metric([], backlog)
        yield b


class CrawlCollector:
    """Collects from the live Scrapy crawler(s) of this process."""

    def __init__(self, crawlers):
        self.crawlers = crawlers

    def collect(self):
        for crawler in self.crawlers():
            if crawler.stats is None:
                continue
            stats = dict(crawler.stats.get_stats())
            spider = getattr(crawler, "spider", None)
            sources = getattr(spider, "sources", None)
            portals = [p.name for p in sources.portals] if sources is not None else []
            serve = getattr(crawler, "serve", None)
            running = dict(serve.timetable.running()) if serve is not None and serve.timetable else {}
            yield from families(stats, portals, upload_backlog(crawler), running)


def upload_backlog(crawler) -> int | None:
    archive = getattr(crawler, "warc_archive", None)
    if archive is None:
        return None
    try:
        return len(archive.pending())
    except Exception:  # noqa: BLE001 - a metric must never break the scrape
        return None


def serve_metrics(port: int, crawlers, addr: str = "127.0.0.1") -> None:
    """Serve ``/metrics`` on ``addr:port`` in a daemon thread."""
    from prometheus_client import CollectorRegistry, start_http_server

    from crawler.preflight import PreflightError

    registry = CollectorRegistry()
    registry.register(CrawlCollector(crawlers))
    try:
        start_http_server(port, addr=addr, registry=registry)
    except OSError as exc:
        raise PreflightError(f"metrics port {addr}:{port}: {exc.strerror or exc}") from None
    logger.info("metrics on http://%s:%d/metrics", addr, port)
