"""Crawl state (per-URL decisions) and job records on SQL, shared by both backends."""

from __future__ import annotations

import json

from crawler.store.base import JobRecord, UrlState


class CrawlStateMixin:
    """Needs ``_one``, ``_all``, ``_exec`` and ``_tx`` of :class:`crawler.store.sql.SQLArticleStore`."""

    # -- crawl state -----------------------------------------------------------------------
    def url_state(self, url: str) -> UrlState | None:
        row = self._one("SELECT url, status, http_status, lastmod, article_id, fetched_at FROM url_state WHERE url=?",
                        (url,))
        return UrlState(**row) if row else None

    def url_states_of(self, urls) -> dict[str, UrlState | None]:
        """One ``WHERE url IN (...)`` per 500 URLs, not one query per URL."""
        urls = list(dict.fromkeys(urls))
        found: dict[str, UrlState | None] = dict.fromkeys(urls)
        for start in range(0, len(urls), 500):
            chunk = urls[start:start + 500]
            for row in self._all("SELECT url, status, http_status, lastmod, article_id, fetched_at FROM url_state "
                                 f"WHERE url IN ({','.join('?' * len(chunk))})", chunk):
                found[row["url"]] = UrlState(**row)
        return found

    def url_states(self, status: str, limit: int = 1000) -> list[UrlState]:
        rows = self._all(
            "SELECT url, status, http_status, lastmod, article_id, fetched_at FROM url_state "
            "WHERE status=? ORDER BY fetched_at LIMIT ?", (status, limit))
        return [UrlState(**r) for r in rows]

    def record_url(self, state: UrlState) -> None:
        with self._tx():
            self._exec(
                "INSERT INTO url_state (url, status, http_status, lastmod, article_id, fetched_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET status=excluded.status, "
                "http_status=excluded.http_status, lastmod=excluded.lastmod, "
                "article_id=COALESCE(excluded.article_id, url_state.article_id), fetched_at=excluded.fetched_at",
                (state.url, state.status, state.http_status, state.lastmod, state.article_id, state.fetched_at),
            )

    # -- jobs ------------------------------------------------------------------------------
    def start_job(self, job: JobRecord) -> None:
        with self._tx():
            self._exec(
                "INSERT INTO jobs (run_id, started_at, status, portals, archive, host, pid, stats, warc_files) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, '{}', '[]')",
                (job.run_id, job.started_at, job.status, json.dumps(job.portals), job.archive, job.host, job.pid),
            )

    def mark_crashed_jobs(self, except_run_id: str, is_dead=None) -> list[str]:
        """Runs still marked running while their lock is free were killed: mark them crashed.
        ``is_dead(job)``: which of them (a store shared by several crawlers: only those whose
        process is known to be gone); default every one."""
        with self._tx():
            running = [self._job(r) for r in self._all(
                "SELECT * FROM jobs WHERE status='running' AND run_id != ?", (except_run_id,))]
            rows = [j.run_id for j in running if is_dead is None or is_dead(j)]
            for run_id in rows:
                self._exec("UPDATE jobs SET status='crashed', exit_code=-9 WHERE run_id=?", (run_id,))
        return rows

    def finish_job(self, job: JobRecord) -> None:
        with self._tx():
            self._exec(
                "UPDATE jobs SET ended_at=?, status=?, exit_code=?, stats=?, warc_files=? WHERE run_id=?",
                (job.ended_at, job.status, job.exit_code, json.dumps(job.stats, default=str),
                 json.dumps(job.warc_files), job.run_id),
            )

    def jobs(self, limit: int = 20) -> list[JobRecord]:
        return [self._job(d) for d in self._all("SELECT * FROM jobs ORDER BY started_at DESC LIMIT ?", (limit,))]

    @staticmethod
    def _job(d: dict) -> JobRecord:
        d["portals"] = json.loads(d["portals"] or "[]")
        d["stats"] = json.loads(d["stats"] or "{}")
        d["warc_files"] = json.loads(d["warc_files"] or "[]")
        return JobRecord(**d)
