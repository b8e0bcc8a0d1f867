"""Persistence of a near-duplicate index: SQLite tables, the directory lock, write-behind.

Storage layout of a persistent index (a directory):

* ``index.sqlite``: ``docs`` (doc_id, cluster, time, text hash, shingle count, signature,
  nearest + similarity), ``clusters`` (stable key, anchor = first member, representative,
  last activity) and ``meta`` (parameters; reopening with other parameters is refused).
* ``boilerplate.tbl``: the learned boilerplate-line table, memory-mapped (``lines.LineTable``).
* ``lock``: one process at a time may open a directory index (flock).

Without a directory the tables live in ``:memory:``. Inserts are buffered (``buf_*``) and
written by :meth:`IndexDB.write`; lookups see the buffered rows.
"""

from __future__ import annotations

import fcntl
import sqlite3
from pathlib import Path
from typing import Iterator

__all__ = ["IndexDB"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS clusters (
    id INTEGER PRIMARY KEY, key TEXT UNIQUE NOT NULL, anchor INTEGER NOT NULL,
    representative INTEGER NOT NULL, rep_time INTEGER NOT NULL, last_time INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    id INTEGER PRIMARY KEY, doc_id TEXT UNIQUE NOT NULL, cluster INTEGER NOT NULL,
    time INTEGER NOT NULL, text_hash INTEGER NOT NULL, nshingles INTEGER NOT NULL,
    sig BLOB NOT NULL, band_keys BLOB NOT NULL, version INTEGER NOT NULL DEFAULT 1,
    nearest INTEGER, jaccard REAL, containment REAL);
"""


class IndexDB:
    def __init__(self, path: Path | None, signature: str):
        self.path = path
        self._lock = None
        if path is not None:
            path.mkdir(parents=True, exist_ok=True)
            self._lock = open(path / "lock", "a+")
            try:
                fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                self._lock.close()
                raise RuntimeError(f"dedup index {path} is in use by another process")
            self.db = sqlite3.connect(path / "index.sqlite")
            self.db.execute("PRAGMA journal_mode=WAL")
            # WAL + synchronous=OFF: an application crash loses nothing committed; an OS crash
            # can lose the last commits, which the next crawl re-adds (decisions are replayable)
            self.db.execute("PRAGMA synchronous=OFF")
        else:
            self.db = sqlite3.connect(":memory:")
        self.db.executescript(_SCHEMA)
        stored = self.db.execute("SELECT value FROM meta WHERE key='signature'").fetchone()
        if stored is None:
            self.db.execute("INSERT INTO meta VALUES ('signature', ?)", (signature,))
            self.db.commit()
        elif stored[0] != signature:
            raise ValueError(f"index at {path} was built with {stored[0]}, not {signature}")
        self.clear_buffers()

    def clear_buffers(self) -> None:
        self.buf_docs: list[tuple] = []
        self.buf_clusters: list[tuple] = []
        self.buf_cupd: dict[int, None] = {}  # cluster ids whose representative/times changed
        self.buf_ids: dict[str, tuple[int, int]] = {}  # doc id -> (row, cluster id)
        self.buf_rows: dict[int, str] = {}  # row -> doc id

    # -- loading -----------------------------------------------------------------------------
    def horizon(self, window: int | None) -> int | None:
        """Oldest last activity of a story still in the window (None: everything)."""
        if window is None:
            return None
        last = self.db.execute("SELECT MAX(last_time) FROM clusters").fetchone()[0]
        return None if last is None else last - window

    def clusters(self, horizon: int | None) -> list[tuple]:
        q, args = "SELECT id, key, anchor, representative, rep_time, last_time FROM clusters", ()
        if horizon is not None:
            q, args = q + " WHERE last_time >= ?", (horizon,)
        return self.db.execute(q + " ORDER BY id", args).fetchall()

    def next_ids(self) -> tuple[int, int]:
        doc = self.db.execute("SELECT MAX(id) FROM docs").fetchone()[0] or 0
        cluster = self.db.execute("SELECT MAX(id) FROM clusters").fetchone()[0] or 0
        return doc + 1, cluster + 1

    def doc_ids(self) -> Iterator[str]:
        """Every doc id the index holds (committed or buffered)."""
        for (doc_id,) in self.db.execute("SELECT doc_id FROM docs"):
            yield doc_id
        yield from list(self.buf_ids)

    def doc_rows(self) -> Iterator[tuple]:
        """(row, cluster, nshingles, sig, band_keys, text_hash) of every doc, by row."""
        return self.db.execute(
            "SELECT id, cluster, nshingles, sig, band_keys, text_hash FROM docs ORDER BY id")

    # -- lookups -----------------------------------------------------------------------------
    def existing(self, doc_id: str) -> tuple[int, int] | None:
        """(row, cluster id) of a known doc id (buffered or stored)."""
        found = self.buf_ids.get(doc_id)
        if found is None:
            found = self.db.execute("SELECT id, cluster FROM docs WHERE doc_id=?", (doc_id,)).fetchone()
        return found

    def doc_id(self, row: int) -> str | None:
        if row in self.buf_rows:
            return self.buf_rows[row]
        r = self.db.execute("SELECT doc_id FROM docs WHERE id=?", (row,)).fetchone()
        return r[0] if r else None

    def doc_ids_of(self, rows: list[int | None]) -> list[str | None]:
        found = {r: self.buf_rows[r] for r in rows if r in self.buf_rows}
        wanted = sorted({r for r in rows if r is not None and r not in found})
        if wanted:
            q = "SELECT id, doc_id FROM docs WHERE id IN (%s)" % ",".join("?" * len(wanted))
            found.update(self.db.execute(q, wanted).fetchall())
        return [None if r is None else found.get(r) for r in rows]

    def doc_time(self, row: int) -> int:
        return self.db.execute("SELECT time FROM docs WHERE id=?", (row,)).fetchone()[0]

    def cluster_key(self, cid: int) -> str:
        return self.db.execute("SELECT key FROM clusters WHERE id=?", (cid,)).fetchone()[0]

    def representative(self, cid: int) -> str:
        return self.db.execute("SELECT d.doc_id FROM clusters c JOIN docs d ON d.id=c.representative"
                               " WHERE c.id=?", (cid,)).fetchone()[0]

    # -- writing -----------------------------------------------------------------------------
    def update_version(self, row: int, text_hash: int, size: int, sig: bytes, bkeys: bytes,
                       nearest_row: int | None, jaccard, containment) -> None:
        self.db.execute(
            "UPDATE docs SET text_hash=?, nshingles=?, sig=?, band_keys=?, version=version+1,"
            " nearest=?, jaccard=?, containment=? WHERE id=?",
            (text_hash, size, sig, bkeys, nearest_row, jaccard, containment, row))

    def set_time(self, row: int, t: int) -> None:
        self.db.execute("UPDATE docs SET time=? WHERE id=?", (t, row))

    def write(self, cluster_updates: list[tuple]) -> None:
        """Write the buffered inserts and ``(representative row, rep_time, last_time, id)``
        cluster updates (not yet committed)."""
        if self.buf_clusters:
            self.db.executemany(
                "INSERT INTO clusters (id, key, anchor, representative, rep_time, last_time)"
                " VALUES (?,?,?,?,?,?)", self.buf_clusters)
        if self.buf_docs:
            self.db.executemany(
                "INSERT INTO docs (id, doc_id, cluster, time, text_hash, nshingles, sig,"
                " band_keys, nearest, jaccard, containment) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                self.buf_docs)
        if cluster_updates:
            self.db.executemany("UPDATE clusters SET representative=?, rep_time=?, last_time=?"
                                " WHERE id=?", cluster_updates)
        self.clear_buffers()

    def commit(self) -> None:
        self.db.commit()

    def forget_before(self, horizon: int) -> int:
        """Delete the stories (and their docs) last active before ``horizon``; for an in-memory
        index, whose tables would otherwise grow without bound. Returns the docs deleted."""
        old = "SELECT id FROM clusters WHERE last_time < ?"
        n = self.db.execute(f"DELETE FROM docs WHERE cluster IN ({old})", (horizon,)).rowcount
        self.db.execute("DELETE FROM clusters WHERE last_time < ?", (horizon,))
        self.db.commit()
        return n

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
        if self._lock is not None:
            self._lock.close()  # releases the flock
            self._lock = None

