"""The reader-side full-text index (SQLite FTS5) of ``crawler web``.

A derived file in the data directory (``web-search.sqlite``), never the store itself: it is
brought up to date from the store's change sequence (``changes_after(last seq)``), so the crawl
never waits for it and a read-only store is enough. Terms are analysed German-aware
(:mod:`crawler.web.analyzer`); ranking is FTS5's BM25 with the title weighted above the body.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path

from crawler.web import analyzer

FACETS = ("portal", "section", "day", "language", "cluster")
_COLUMN = {"portal": "d.portal", "section": "d.section", "day": "d.day", "language": "d.language",
           "cluster": "d.cluster_id"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    rowid INTEGER PRIMARY KEY,
    article_id TEXT NOT NULL UNIQUE,
    url TEXT, canonical_url TEXT, title TEXT, text TEXT,
    portal TEXT, section TEXT, day TEXT, language TEXT,
    cluster_id TEXT, is_representative INTEGER, published TEXT, fetched_at TEXT,
    version INTEGER, seq INTEGER, gone_at TEXT
);
CREATE INDEX IF NOT EXISTS docs_cluster ON docs (cluster_id);
CREATE INDEX IF NOT EXISTS docs_url ON docs (canonical_url);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(title, body,
    tokenize='unicode61 remove_diacritics 2');
"""


@dataclass
class Hit:
    article_id: str
    title: str
    url: str
    portal: str
    section: str | None
    day: str | None
    language: str | None
    published: str | None
    cluster_id: str | None
    is_representative: bool
    snippet: list = field(default_factory=list)
    gone_at: str | None = None


@dataclass
class Result:
    total: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, str, int]]]  # facet -> [(value, label, count)]


def _day(row: dict) -> str | None:
    when = row.get("published") or row.get("fetched_at")
    return when[:10] if when else None


class SearchIndex:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        db = self._connect()
        db.executescript(_SCHEMA)
        db.close()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        return db

    def last_seq(self) -> int:
        db = self._connect()
        try:
            row = db.execute("SELECT value FROM meta WHERE key='last_seq'").fetchone()
            return int(row[0]) if row else 0
        finally:
            db.close()

    # -- updating --------------------------------------------------------------------------
    def sync(self, store, batch: int = 500) -> int:
        """Index every article changed in ``store`` since the last sync; returns how many."""
        with self._lock:
            db = self._connect()
            try:
                return self._sync(db, store, batch)
            finally:
                db.close()

    def _sync(self, db, store, batch: int) -> int:
        row = db.execute("SELECT value FROM meta WHERE key='last_seq'").fetchone()
        last = int(row[0]) if row else 0
        done = 0
        db.execute("BEGIN")
        if last and store.max_seq() < last:  # a different (or restored) store: start over
            db.execute("DELETE FROM docs")
            db.execute("DELETE FROM fts")
            last = 0
        for rec in store.changes_after(last):
            self._upsert(db, rec)
            last = max(last, int(rec["seq"]))
            done += 1
            if done % batch == 0:
                self._save_seq(db, last)
                db.execute("COMMIT")
                db.execute("BEGIN")
        self._save_seq(db, last)
        db.execute("COMMIT")
        return done

    @staticmethod
    def _save_seq(db, seq: int) -> None:
        db.execute("INSERT INTO meta VALUES ('last_seq', ?) ON CONFLICT (key) DO UPDATE SET value=excluded.value",
                   (str(seq),))

    @staticmethod
    def _upsert(db, rec: dict) -> None:
        old = db.execute("SELECT rowid FROM docs WHERE article_id=?", (rec["article_id"],)).fetchone()
        if old is not None:
            db.execute("DELETE FROM fts WHERE rowid=?", (old[0],))
            db.execute("DELETE FROM docs WHERE rowid=?", (old[0],))
        cur = db.execute(
            "INSERT INTO docs (article_id, url, canonical_url, title, text, portal, section, day, language, "
            "cluster_id, is_representative, published, fetched_at, version, seq, gone_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (rec["article_id"], rec.get("url"), rec.get("canonical_url"), rec.get("title"), rec.get("text"),
             rec.get("portal"), rec.get("section"), _day(rec), rec.get("language"), rec.get("cluster_id"),
             int(bool(rec.get("is_representative"))), rec.get("published"), rec.get("fetched_at"),
             rec.get("version"), rec.get("seq"), rec.get("gone_at")),
        )
        db.execute("INSERT INTO fts (rowid, title, body) VALUES (?, ?, ?)",
                   (cur.lastrowid, analyzer.analyzed(rec.get("title") or ""), analyzer.analyzed(rec.get("text") or "")))

    # -- reading ---------------------------------------------------------------------------
    def doc(self, article_id: str) -> dict | None:
        db = self._connect()
        try:
            row = db.execute("SELECT * FROM docs WHERE article_id=?", (article_id,)).fetchone()
            return dict(row) if row else None
        finally:
            db.close()

    def search(self, q: str = "", filters: dict[str, str] | None = None, sort: str = "relevance",
               limit: int = 50, offset: int = 0) -> Result:
        clauses = analyzer.parse_query(q)
        where, params = [], []
        match = analyzer.fts_match(clauses)
        if match:
            where.append("d.rowid IN (SELECT rowid FROM fts WHERE fts MATCH ?)")
            params.append(match)
        for name, value in (filters or {}).items():
            if name in _COLUMN and value:
                where.append(f"{_COLUMN[name]} = ?")
                params.append(value)
        cond = (" WHERE " + " AND ".join(where)) if where else ""
        db = self._connect()
        try:
            total = db.execute(f"SELECT COUNT(*) FROM docs d{cond}", params).fetchone()[0]
            rows = self._page(db, cond, params, bool(match), match, sort, limit, offset)
            facets = {f: self._facet(db, f, cond, params) for f in FACETS}
        finally:
            db.close()
        wanted = {t for c in clauses for t in c if t != analyzer.PREFIX}
        hits = [Hit(r["article_id"], r["title"] or r["url"], r["url"], r["portal"], r["section"], r["day"],
                    r["language"], r["published"], r["cluster_id"], bool(r["is_representative"]),
                    analyzer.highlight(r["text"] or "", wanted), r["gone_at"]) for r in rows]
        return Result(total, hits, facets)

    @staticmethod
    def _page(db, cond, params, ranked, match, sort, limit, offset):
        by_date = "COALESCE(d.published, d.fetched_at) DESC"
        if ranked and sort != "date":
            sql = (f"SELECT d.*, bm25(fts, 5.0, 1.0) AS rank FROM docs d JOIN fts ON fts.rowid = d.rowid "
                   f"{cond} AND fts MATCH ? ORDER BY rank, {by_date} LIMIT ? OFFSET ?")
            return db.execute(sql, [*params, match, limit, offset]).fetchall()
        return db.execute(f"SELECT d.* FROM docs d{cond} ORDER BY {by_date} LIMIT ? OFFSET ?",
                          [*params, limit, offset]).fetchall()

    @staticmethod
    def _facet(db, name, cond, params) -> list[tuple[str, str, int]]:
        col = _COLUMN[name]
        if name == "cluster":
            sql = (f"SELECT d.cluster_id AS v, (SELECT r.title FROM docs r WHERE r.cluster_id = d.cluster_id "
                   f"ORDER BY r.is_representative DESC LIMIT 1) AS label, COUNT(*) AS n FROM docs d{cond} "
                   f"GROUP BY d.cluster_id HAVING v IS NOT NULL ORDER BY n DESC, label LIMIT 30")
        else:
            order = "v DESC" if name == "day" else "n DESC, v"
            sql = (f"SELECT {col} AS v, {col} AS label, COUNT(*) AS n FROM docs d{cond} GROUP BY {col} "
                   f"HAVING v IS NOT NULL ORDER BY {order} LIMIT 30")
        return [(r["v"], r["label"] or r["v"], r["n"]) for r in db.execute(sql, params)]
