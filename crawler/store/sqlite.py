"""The embedded article store: one SQLite file under the data directory (WAL mode)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from crawler.store.base import (
    SCHEMA_VERSION,
    ArticleStore,
    ArticleVersion,
    ClusterAssignment,
    JobRecord,
    SaveResult,
    UrlState,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id TEXT NOT NULL,
    kind TEXT NOT NULL,          -- new-article, new-version, cluster, representative
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS articles (
    article_id TEXT PRIMARY KEY,
    canonical_url TEXT NOT NULL UNIQUE,
    portal TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    current_version INTEGER NOT NULL,
    cluster_id TEXT,
    is_representative INTEGER NOT NULL DEFAULT 0,
    nearest TEXT,
    jaccard REAL,
    containment REAL,
    dedup_reason TEXT,
    seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_seq ON articles (seq);
CREATE INDEX IF NOT EXISTS articles_cluster ON articles (cluster_id);
CREATE TABLE IF NOT EXISTS versions (
    article_id TEXT NOT NULL REFERENCES articles (article_id),
    version INTEGER NOT NULL,
    url TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    lastmod TEXT,
    run_id TEXT,
    discovered_via TEXT,
    title TEXT, text TEXT NOT NULL, authors TEXT, published TEXT, modified TEXT,
    section TEXT, dateline TEXT, language TEXT,
    removed TEXT, warnings TEXT, catalogue_version TEXT, text_hash TEXT,
    warc TEXT, archive TEXT,
    PRIMARY KEY (article_id, version)
);
CREATE TABLE IF NOT EXISTS clusters (
    cluster_id TEXT PRIMARY KEY,
    representative TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS url_state (
    url TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    http_status INTEGER,
    lastmod TEXT,
    article_id TEXT,
    fetched_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS url_state_status ON url_state (status, fetched_at);
CREATE TABLE IF NOT EXISTS jobs (
    run_id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    status TEXT NOT NULL,
    exit_code INTEGER,
    portals TEXT, archive TEXT, host TEXT, pid INTEGER,
    stats TEXT, warc_files TEXT
);
"""

_JSON_FIELDS = ("authors", "dateline", "removed", "warnings", "warc")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class SchemaError(RuntimeError):
    pass


class SQLiteArticleStore(ArticleStore):
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    # -- schema ----------------------------------------------------------------------------
    def _migrate(self) -> None:
        with self._tx():
            for stmt in _SCHEMA.split(";"):
                if stmt.strip():
                    self.db.execute(stmt)
            row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            if row is None:
                self.db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            elif int(row[0]) > SCHEMA_VERSION:
                raise SchemaError(
                    f"{self.path} has schema version {row[0]}, this code knows {SCHEMA_VERSION}: upgrade the crawler"
                )

    def schema_version(self) -> int:
        return int(self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0])

    def _tx(self):
        store = self

        class _Tx:
            def __enter__(self):
                store.db.execute("BEGIN IMMEDIATE")

            def __exit__(self, exc_type, exc, tb):
                store.db.execute("ROLLBACK" if exc_type else "COMMIT")
                return False

        return _Tx()

    def _next_seq(self, article_id: str, kind: str) -> int:
        cur = self.db.execute(
            "INSERT INTO changes (article_id, kind, at) VALUES (?, ?, ?)", (article_id, kind, _now())
        )
        return int(cur.lastrowid)

    # -- articles --------------------------------------------------------------------------
    def _version_from_row(self, row: sqlite3.Row, portal: str, canonical_url: str) -> ArticleVersion:
        data = dict(row)
        data.pop("version", None)
        for key in _JSON_FIELDS:
            data[key] = json.loads(data[key]) if data.get(key) else ([] if key in ("authors", "removed", "warnings") else None)
        known = {f.name for f in fields(ArticleVersion)}
        return ArticleVersion(portal=portal, canonical_url=canonical_url, **{k: v for k, v in data.items() if k in known})

    def current_version(self, article_id: str) -> ArticleVersion | None:
        row = self.db.execute(
            "SELECT a.portal, a.canonical_url, v.* FROM articles a JOIN versions v "
            "ON v.article_id = a.article_id AND v.version = a.current_version WHERE a.article_id = ?",
            (article_id,),
        ).fetchone()
        if row is None:
            return None
        d = dict(row)
        portal, canonical_url = d.pop("portal"), d.pop("canonical_url")
        return self._version_from_row(d, portal, canonical_url)

    def versions(self, article_id: str) -> list[ArticleVersion]:
        head = self.db.execute("SELECT portal, canonical_url FROM articles WHERE article_id=?", (article_id,)).fetchone()
        if head is None:
            return []
        rows = self.db.execute("SELECT * FROM versions WHERE article_id=? ORDER BY version", (article_id,)).fetchall()
        return [self._version_from_row(r, head["portal"], head["canonical_url"]) for r in rows]

    def save_article(self, version: ArticleVersion, cluster: ClusterAssignment) -> SaveResult:
        with self._tx():
            head = self.db.execute(
                "SELECT current_version FROM articles WHERE article_id=?", (version.article_id,)
            ).fetchone()
            if head is not None:
                current = self.db.execute(
                    "SELECT text_hash FROM versions WHERE article_id=? AND version=?",
                    (version.article_id, head["current_version"]),
                ).fetchone()
                if current is not None and current["text_hash"] == version.text_hash:
                    self._apply_cluster(version.article_id, cluster)  # representative changes still count
                    seq = self.db.execute(
                        "SELECT seq FROM articles WHERE article_id=?", (version.article_id,)
                    ).fetchone()[0]
                    return SaveResult(version.article_id, head["current_version"], seq, created=False, unchanged=True)
                number = head["current_version"] + 1
                seq = self._next_seq(version.article_id, "new-version")
                self._insert_version(version, number)
                self.db.execute(
                    "UPDATE articles SET current_version=?, seq=? WHERE article_id=?",
                    (number, seq, version.article_id),
                )
                created = False
            else:
                number = 1
                seq = self._next_seq(version.article_id, "new-article")
                self.db.execute(
                    "INSERT INTO articles (article_id, canonical_url, portal, first_seen, current_version, seq) "
                    "VALUES (?, ?, ?, ?, 1, ?)",
                    (version.article_id, version.canonical_url, version.portal, version.fetched_at, seq),
                )
                self._insert_version(version, 1)
                created = True
            self._apply_cluster(version.article_id, cluster)
            return SaveResult(version.article_id, number, seq, created=created)

    def _insert_version(self, v: ArticleVersion, number: int) -> None:
        row = asdict(v)
        for key in _JSON_FIELDS:
            row[key] = json.dumps(row[key], ensure_ascii=False) if row[key] is not None else None
        cols = [
            "article_id", "url", "fetched_at", "lastmod", "run_id", "discovered_via", "title", "text",
            "authors", "published", "modified", "section", "dateline", "language", "removed",
            "warnings", "catalogue_version", "text_hash", "warc", "archive",
        ]
        self.db.execute(
            f"INSERT INTO versions (version, {', '.join(cols)}) VALUES (?, {', '.join('?' * len(cols))})",
            [number, *(row[c] for c in cols)],
        )

    def _apply_cluster(self, article_id: str, c: ClusterAssignment) -> None:
        if c.reason == "new-version" and c.nearest is None:
            # A new version stays in its story; the similarity that justified the join stays.
            self.db.execute(
                "UPDATE articles SET cluster_id=?, is_representative=? WHERE article_id=?",
                (c.cluster_id, int(c.representative == article_id), article_id),
            )
        else:
            self.db.execute(
                "UPDATE articles SET cluster_id=?, nearest=?, jaccard=?, containment=?, dedup_reason=?, "
                "is_representative=? WHERE article_id=?",
                (c.cluster_id, c.nearest, c.jaccard, c.containment, c.reason,
                 int(c.representative == article_id), article_id),
            )
        known = self.db.execute("SELECT representative FROM clusters WHERE cluster_id=?", (c.cluster_id,)).fetchone()
        if known is None:
            self.db.execute(
                "INSERT INTO clusters (cluster_id, representative, created_at) VALUES (?, ?, ?)",
                (c.cluster_id, c.representative, _now()),
            )
            return
        if known["representative"] != c.representative:
            self.db.execute("UPDATE clusters SET representative=? WHERE cluster_id=?", (c.representative, c.cluster_id))
            # Both the old and the new representative change: each gets its own sequence number.
            for member, flag in ((known["representative"], 0), (c.representative, 1)):
                if member == article_id:
                    continue
                seq = self._next_seq(member, "representative")
                self.db.execute(
                    "UPDATE articles SET is_representative=?, seq=? WHERE article_id=?", (flag, seq, member)
                )

    def _export_row(self, row: sqlite3.Row) -> dict:
        d = dict(row)
        for key in _JSON_FIELDS:
            if d.get(key) is not None:
                d[key] = json.loads(d[key])
        d["is_representative"] = bool(d["is_representative"])
        return d

    _EXPORT_SELECT = (
        "SELECT a.article_id, a.canonical_url, a.portal, a.first_seen, a.current_version AS version, "
        "a.cluster_id, a.is_representative, a.nearest, a.jaccard, a.containment, a.dedup_reason, a.seq, "
        "v.url, v.fetched_at, v.lastmod, v.run_id, v.discovered_via, v.title, v.text, v.authors, "
        "v.published, v.modified, v.section, v.dateline, v.language, v.removed, v.warnings, "
        "v.catalogue_version, v.text_hash, v.warc, v.archive "
        "FROM articles a JOIN versions v ON v.article_id = a.article_id AND v.version = a.current_version "
    )

    def changes_after(self, after_seq: int = 0) -> Iterator[dict]:
        cur = self.db.execute(self._EXPORT_SELECT + "WHERE a.seq > ? ORDER BY a.seq", (after_seq,))
        for row in cur:
            yield self._export_row(row)

    def changed_clusters(self, after_seq: int = 0) -> Iterator[tuple[str, int]]:
        cur = self.db.execute(
            "SELECT cluster_id, MAX(seq) AS latest FROM articles WHERE seq > ? GROUP BY cluster_id ORDER BY latest",
            (after_seq,),
        )
        for row in cur:
            yield row[0], int(row[1])

    def cluster_members(self, cluster_id: str) -> list[dict]:
        rows = self.db.execute(
            self._EXPORT_SELECT + "WHERE a.cluster_id = ? ORDER BY a.is_representative DESC, v.published, a.first_seen",
            (cluster_id,),
        ).fetchall()
        return [self._export_row(r) for r in rows]

    def article_ids(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT article_id FROM articles ORDER BY seq")]

    def clusters_touched(self, run_id: str) -> list[str]:
        rows = self.db.execute(
            "SELECT a.cluster_id, MIN(a.seq) AS first FROM articles a JOIN versions v ON v.article_id = a.article_id "
            "WHERE v.run_id = ? GROUP BY a.cluster_id ORDER BY first",
            (run_id,),
        ).fetchall()
        return [r[0] for r in rows]

    def max_seq(self) -> int:
        row = self.db.execute("SELECT MAX(seq) FROM changes").fetchone()
        return int(row[0] or 0)

    # -- crawl state -----------------------------------------------------------------------
    def url_state(self, url: str) -> UrlState | None:
        row = self.db.execute("SELECT * FROM url_state WHERE url=?", (url,)).fetchone()
        return UrlState(**dict(row)) if row else None

    def url_states(self, status: str, limit: int = 1000) -> list[UrlState]:
        rows = self.db.execute(
            "SELECT * FROM url_state WHERE status=? ORDER BY fetched_at LIMIT ?", (status, limit)
        ).fetchall()
        return [UrlState(**dict(r)) for r in rows]

    def record_url(self, state: UrlState) -> None:
        with self._tx():
            self.db.execute(
                "INSERT INTO url_state (url, status, http_status, lastmod, article_id, fetched_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET status=excluded.status, "
                "http_status=excluded.http_status, lastmod=excluded.lastmod, "
                "article_id=COALESCE(excluded.article_id, url_state.article_id), fetched_at=excluded.fetched_at",
                (state.url, state.status, state.http_status, state.lastmod, state.article_id, state.fetched_at),
            )

    # -- jobs ------------------------------------------------------------------------------
    def start_job(self, job: JobRecord) -> None:
        with self._tx():
            self.db.execute(
                "INSERT INTO jobs (run_id, started_at, status, portals, archive, host, pid, stats, warc_files) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, '{}', '[]')",
                (job.run_id, job.started_at, job.status, json.dumps(job.portals), job.archive, job.host, job.pid),
            )

    def mark_crashed_jobs(self, except_run_id: str) -> list[str]:
        """Runs still marked running while their lock is free were killed: mark them crashed."""
        with self._tx():
            rows = [r[0] for r in self.db.execute(
                "SELECT run_id FROM jobs WHERE status='running' AND run_id != ?", (except_run_id,))]
            self.db.execute(
                "UPDATE jobs SET status='crashed', exit_code=-9 WHERE status='running' AND run_id != ?",
                (except_run_id,),
            )
        return rows

    def finish_job(self, job: JobRecord) -> None:
        with self._tx():
            self.db.execute(
                "UPDATE jobs SET ended_at=?, status=?, exit_code=?, stats=?, warc_files=? WHERE run_id=?",
                (job.ended_at, job.status, job.exit_code, json.dumps(job.stats, default=str),
                 json.dumps(job.warc_files), job.run_id),
            )

    def jobs(self, limit: int = 20) -> list[JobRecord]:
        rows = self.db.execute("SELECT * FROM jobs ORDER BY started_at DESC LIMIT ?", (limit,)).fetchall()
        out = []
        for r in rows:
            d = dict(r)
            d["portals"] = json.loads(d["portals"] or "[]")
            d["stats"] = json.loads(d["stats"] or "{}")
            d["warc_files"] = json.loads(d["warc_files"] or "[]")
            out.append(JobRecord(**d))
        return out

    def counts(self) -> dict:
        one = lambda sql: int(self.db.execute(sql).fetchone()[0] or 0)  # noqa: E731
        return {
            "articles": one("SELECT COUNT(*) FROM articles"),
            "versions": one("SELECT COUNT(*) FROM versions"),
            "clusters": one("SELECT COUNT(DISTINCT cluster_id) FROM articles"),
            "max_seq": self.max_seq(),
        }

    def close(self) -> None:
        self.db.close()

