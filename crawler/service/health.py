"""Per-portal extraction health from the job records: each portal's latest runs against its history.

Every job record (a `crawler crawl` run, a `crawler serve` cycle, a Scrapyd job) carries
per-portal counters (``portal/<name>/...``, see :mod:`crawler.scrapy_ext.portal_stats`). A portal
is flagged when, in its latest run(s) with article pages, compared with the runs before:

* ``empty``: the share of article pages that left no text (dropped by extraction or cleaning)
  is high and jumped (a template change, a paywall, a consent wall);
* ``dates``: the share of stored articles without a published date is high and jumped;
* ``quiet``: a portal that published on most days of its history has had no new article for
  longer than ``quiet_hours`` although it was crawled;
* ``uploads`` (archive): the latest run left WARC files it could not upload.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone

from crawler.scrapy_ext.portal_stats import portal_counters

MIN_PAGES = 2  # fewer article pages than this say nothing about a rate
HIGH = 0.5  # a share at least this high ...
JUMP = 0.3  # ... and at least this much above the history's is drift


@dataclass
class PortalHealth:
    portal: str
    runs: int
    recent: dict = field(default_factory=dict)
    history: dict = field(default_factory=dict)
    last_new_article: str | None = None
    flags: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.flags

    def to_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}


def _when(iso: str | None) -> datetime | None:
    try:
        dt = datetime.fromisoformat(iso) if iso else None
    except ValueError:
        return None
    if dt is not None and dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt


def _sum(rows: list[dict]) -> dict:
    total: dict[str, int] = {}
    for r in rows:
        for k, v in r.items():
            total[k] = total.get(k, 0) + v
    return total


def _rates(c: dict) -> dict:
    pages = c.get("articles", 0) + c.get("dropped", 0)
    return {
        "article_pages": pages,
        "empty_share": round(c.get("empty_text", 0) / pages, 3) if pages else None,
        "dropped_share": round(c.get("dropped", 0) / pages, 3) if pages else None,
        "missing_date_share": round(c.get("missing_date", 0) / c["articles"], 3) if c.get("articles") else None,
        "new": c.get("new", 0) + c.get("new_version", 0),
    }


def _drift(recent, history, key, min_n, n_recent) -> bool:
    r = recent.get(key)
    if r is None or n_recent < min_n or r < HIGH:
        return False
    h = history.get(key)
    return h is None or r - h >= JUMP


def portal_health(portal: str, jobs, *, recent_runs: int = 1, now: datetime | None = None,
                  quiet_hours: float = 36.0) -> PortalHealth:
    """``jobs``: job records, newest first (as ``store.jobs()`` returns them)."""
    now = now or datetime.now(timezone.utc)
    mine = [(j, portal_counters(j.stats, portal)) for j in jobs if j.status != "running"]
    mine = [(j, c) for j, c in mine if any(c.values())]
    active = [(j, c) for j, c in mine if c["articles"] + c["dropped"] > 0]
    recent, history = active[:recent_runs], active[recent_runs:]
    health = PortalHealth(portal, len(mine), _rates(_sum([c for _, c in recent])), _rates(_sum([c for _, c in history])))
    new_runs = [j for j, c in mine if c["new"] > 0]
    if new_runs:
        health.last_new_article = new_runs[0].ended_at or new_runs[0].started_at
    r, h = health.recent, health.history
    if _drift(r, h, "empty_share", MIN_PAGES, r["article_pages"]):
        health.flags.append({"flag": "empty", "message": f"{r['empty_share']:.0%} of article pages left no text "
                             f"in the latest run (history: {_pct(h['empty_share'])}): template changed?"})
    elif _drift(r, h, "dropped_share", MIN_PAGES, r["article_pages"]):
        health.flags.append({"flag": "empty", "message": f"{r['dropped_share']:.0%} of article pages dropped "
                             f"in the latest run (history: {_pct(h['dropped_share'])})"})
    n_articles = _sum([c for _, c in recent]).get("articles", 0)
    if _drift(r, h, "missing_date_share", MIN_PAGES, n_articles):
        health.flags.append({"flag": "dates", "message": f"{r['missing_date_share']:.0%} of the latest articles "
                             f"have no published date (history: {_pct(h['missing_date_share'])})"})
    quiet = _quiet(mine, now, quiet_hours)
    if quiet:
        health.flags.append({"flag": "quiet", "message": quiet})
    return health


def _pct(v) -> str:
    return "none" if v is None else f"{v:.0%}"


def _quiet(mine, now: datetime, quiet_hours: float) -> str | None:
    days_with_new = {(_when(j.started_at) or now).date() for j, c in mine if c["new"] > 0}
    started = [t for t in (_when(j.started_at) for j, _ in mine) if t]
    if not started or not days_with_new:
        return None
    span_days = (max(started) - min(started)).days + 1
    if span_days < 3 or len(days_with_new) < span_days / 2:
        return None  # not a portal that publishes daily (or too little history)
    last_new = max(_when(j.ended_at or j.started_at) or now for j, c in mine if c["new"] > 0)
    crawled_since = any((_when(j.started_at) or now) > last_new for j, _ in mine)
    if crawled_since and now - last_new > timedelta(hours=quiet_hours):
        hours = (now - last_new).total_seconds() / 3600
        return f"no new article for {hours:.0f} h although it usually publishes daily"
    return None


def archive_health(jobs) -> list[dict]:
    finished = [j for j in jobs if j.status != "running"]
    if not finished:
        return []
    left = finished[0].stats.get("warc/upload_failed") or []
    if left:
        return [{"flag": "uploads", "message": f"run {finished[0].run_id} left {len(left)} WARC file(s) "
                 "it could not upload in the spool"}]
    return []


def health_report(sources_portals: list[str], jobs, *, recent_runs: int = 1, now=None) -> dict:
    portals = [portal_health(p, jobs, recent_runs=recent_runs, now=now) for p in sources_portals]
    archive = archive_health(jobs)
    return {
        "ok": all(p.ok for p in portals) and not archive,
        "portals": [p.to_dict() for p in portals],
        "archive": archive,
    }
