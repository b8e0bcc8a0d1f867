"""Learned portal templates: lines that recur on many pages of one portal are page chrome.

Persisted per portal in SQLite. A line is counted at most once per page (pages are keyed by a
hash of their text, so re-processing the same page does not inflate counts). Guards:
- a line must have been seen on at least ``min_pages`` distinct pages (default 3), so a one-off
  line or a sentence quoted in two articles is never learned;
- a sentence-like line (ends like a sentence, 6+ words) needs ``min_pages_sentence`` pages
  (default 5) *and* must occur on at least half of the portal's pages: quotes and wire
  paragraphs shared by a few articles stay;
- very long lines (> ``max_len`` characters) are never learned: templates are short.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
import time
from pathlib import Path
from typing import Iterable

from crawler.cleaning.lines import is_sentence

_WS = re.compile(r"\s+")


def normalize(line: str) -> str:
    return _WS.sub(" ", line).strip().lower()


def _h(s: str) -> str:
    return hashlib.blake2b(s.encode("utf-8"), digest_size=12).hexdigest()


class TemplateStore:
    SCHEMA = """
    CREATE TABLE IF NOT EXISTS template_pages (
        portal TEXT NOT NULL, page_hash TEXT NOT NULL, seen_at REAL NOT NULL,
        PRIMARY KEY (portal, page_hash));
    CREATE TABLE IF NOT EXISTS template_lines (
        portal TEXT NOT NULL, line_hash TEXT NOT NULL, line TEXT NOT NULL,
        pages INTEGER NOT NULL, sentence INTEGER NOT NULL, first_seen REAL NOT NULL, last_seen REAL NOT NULL,
        PRIMARY KEY (portal, line_hash));
    CREATE TABLE IF NOT EXISTS template_portals (
        portal TEXT PRIMARY KEY, pages INTEGER NOT NULL);
    """

    def __init__(self, path: str | Path | None = None, *, min_pages: int = 3, min_pages_sentence: int = 5,
                 sentence_share: float = 0.5, max_len: int = 400):
        self.path = Path(path) if path not in (None, ":memory:") else None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(self.path) if self.path else ":memory:", check_same_thread=False)
        if self.path is not None:
            # one commit per cleaned page: WAL with synchronous=NORMAL does not fsync each one
            # (a crash of the machine may lose the last pages' counts, never corrupt the file)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(self.SCHEMA)
        with self._db:  # page counters of a file written before they existed
            self._db.execute("INSERT OR IGNORE INTO template_portals SELECT portal, COUNT(*) FROM template_pages "
                             "WHERE portal NOT IN (SELECT portal FROM template_portals) GROUP BY portal")
        self._lock = threading.Lock()
        self.min_pages = min_pages
        self.min_pages_sentence = min_pages_sentence
        self.sentence_share = sentence_share
        self.max_len = max_len

    def page_count(self, portal: str) -> int:
        """Pages recorded for ``portal``: one counter row, whatever the number of pages."""
        with self._lock:
            row = self._db.execute("SELECT pages FROM template_portals WHERE portal=?", (portal,)).fetchone()
        return row[0] if row else 0

    def _is_template(self, pages: int, sentence: bool, total: int) -> bool:
        if pages < self.min_pages:
            return False
        if sentence:
            return pages >= self.min_pages_sentence and pages >= self.sentence_share * total
        return True

    def match(self, portal: str, lines: Iterable[str]) -> set[int]:
        """Indices of ``lines`` that are learned template lines of ``portal``."""
        lines = list(lines)
        if not lines:
            return set()
        total = self.page_count(portal)
        if total < self.min_pages:
            return set()
        keys = {i: _h(normalize(ln)) for i, ln in enumerate(lines) if len(ln) <= self.max_len}
        if not keys:
            return set()
        found: dict[str, tuple[int, int]] = {}
        hashes = list(set(keys.values()))
        with self._lock:
            for start in range(0, len(hashes), 500):
                chunk = hashes[start:start + 500]
                q = ",".join("?" * len(chunk))
                for h, pages, sentence in self._db.execute(
                        f"SELECT line_hash, pages, sentence FROM template_lines WHERE portal=? AND line_hash IN ({q})",
                        [portal, *chunk]):
                    found[h] = (pages, sentence)
        return {i for i, h in keys.items() if h in found and self._is_template(found[h][0], bool(found[h][1]), total)}

    def learn(self, portal: str, lines: Iterable[str], page_key: str | None = None) -> bool:
        """Record one page's lines. Returns False if this page was already recorded."""
        lines = [ln for ln in lines if ln.strip() and len(ln) <= self.max_len]
        norm = {normalize(ln): ln for ln in lines}
        page_hash = _h(page_key) if page_key else _h("\n".join(sorted(norm)))
        now = time.time()
        with self._lock, self._db:
            cur = self._db.execute("INSERT OR IGNORE INTO template_pages VALUES (?,?,?)", (portal, page_hash, now))
            if cur.rowcount == 0:
                return False
            self._db.execute("INSERT INTO template_portals VALUES (?, 1) ON CONFLICT(portal) "
                             "DO UPDATE SET pages = pages + 1", (portal,))
            self._db.executemany(
                "INSERT INTO template_lines VALUES (?,?,?,1,?,?,?) ON CONFLICT(portal, line_hash) "
                "DO UPDATE SET pages = pages + 1, last_seen = excluded.last_seen",
                [(portal, _h(n), original, int(is_sentence(original)), now, now) for n, original in norm.items()])
        return True

    def learned_lines(self, portal: str) -> list[str]:
        total = self.page_count(portal)
        with self._lock:
            rows = self._db.execute("SELECT line, pages, sentence FROM template_lines WHERE portal=? ORDER BY pages DESC",
                                    (portal,)).fetchall()
        return [line for line, pages, sentence in rows if self._is_template(pages, bool(sentence), total)]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
