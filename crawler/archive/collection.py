"""The collection index: every capture of every WARC file of an archive, in one SQLite file.

It answers "captures of this URL" (by SURT key, as CDXJ sorts) and "captures of portal P on
day D" (by host and UTC day) without reading the per-file CDXJ sidecars. It is filled from the
sidecars: by the shipping step as each WARC file reaches the archive, and by :meth:`sync`, which
reads only the sidecars of files it has not seen (files shipped by another crawler into the same
store). :meth:`write_cdxj` writes the whole collection as one sorted CDXJ file, the index format
pywb reads.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator
from urllib.parse import urlsplit

import surt

COLLECTION_INDEX_FILE = "archive-index.sqlite"  # in the data directory
CDXJ_SUFFIX = ".cdxj"
WARC_SUFFIXES = (".warc.gz", ".warc")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (name TEXT PRIMARY KEY, captures INTEGER NOT NULL, indexed_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS captures (
    urlkey TEXT NOT NULL, timestamp TEXT NOT NULL, url TEXT NOT NULL, host TEXT, day TEXT,
    mime TEXT, status TEXT, digest TEXT, length INTEGER NOT NULL, offset INTEGER NOT NULL,
    filename TEXT NOT NULL, fields TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS captures_key ON captures (urlkey, timestamp);
CREATE INDEX IF NOT EXISTS captures_host_day ON captures (host, day, timestamp);
CREATE INDEX IF NOT EXISTS captures_file ON captures (filename);
"""


@dataclass(frozen=True)
class Capture:
    urlkey: str
    timestamp: str  # 14 digits, UTC
    url: str
    mime: str | None
    status: str | None
    digest: str | None
    length: int
    offset: int
    filename: str

    @property
    def is_revisit(self) -> bool:
        return self.mime == "warc/revisit"

    @property
    def datetime(self) -> datetime:
        return datetime.strptime(self.timestamp[:14].ljust(14, "0"), "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)

    def to_dict(self) -> dict:
        return {"url": self.url, "timestamp": self.timestamp, "mime": self.mime, "status": self.status,
                "digest": self.digest, "filename": self.filename, "offset": self.offset, "length": self.length}


def url_key(url: str) -> str:
    """The SURT key cdxj-indexer (and pywb) sort and look captures up by."""
    return surt.surt(url)


def host_of(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def timestamp14(when: str | datetime | None) -> str:
    """A 14-digit UTC timestamp from an ISO time, a datetime, or digits (padded)."""
    if when is None:
        return datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
    if isinstance(when, str):
        digits = when.strip()
        if digits.isdigit():
            return (digits + "01010000000000"[len(digits):])[:14] if len(digits) < 14 else digits[:14]
        when = datetime.fromisoformat(digits.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y%m%d%H%M%S")


def cdxj_name_for(warc_name: str) -> str:
    for suffix in WARC_SUFFIXES:
        if warc_name.endswith(suffix):
            return warc_name[: -len(suffix)] + CDXJ_SUFFIX
    return warc_name + CDXJ_SUFFIX


class CollectionIndex:
    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._db() as db:
            db.executescript(_SCHEMA)

    def _db(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        return db

    # -- filling ---------------------------------------------------------------------------
    def add_cdxj(self, warc_name: str, cdxj_text: str) -> int:
        """Index one WARC file from its CDXJ (replacing what was indexed for that file)."""
        rows = []
        for line in cdxj_text.splitlines():
            parts = line.split(" ", 2)
            if len(parts) != 3 or not line.strip():
                continue
            key, ts, blob = parts
            fields = json.loads(blob)
            url = fields.get("url", "")
            rows.append((key, ts, url, host_of(url), f"{ts[:4]}-{ts[4:6]}-{ts[6:8]}", fields.get("mime"),
                         fields.get("status"), fields.get("digest"), int(fields.get("length", 0)),
                         int(fields.get("offset", 0)), fields.get("filename") or os.path.basename(warc_name),
                         blob))
        with self._lock, self._db() as db:
            db.execute("DELETE FROM captures WHERE filename=?", (os.path.basename(warc_name),))
            db.executemany("INSERT INTO captures VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            db.execute("INSERT OR REPLACE INTO files VALUES (?, ?, ?)",
                       (warc_name, len(rows), datetime.now(timezone.utc).isoformat(timespec="seconds")))
        return len(rows)

    def known_files(self) -> set[str]:
        with self._db() as db:
            return {r[0] for r in db.execute("SELECT name FROM files")}

    def sync(self, store) -> list[str]:
        """Index the WARC files of ``store`` (a BlobStore) not indexed yet, from their sidecars.
        Returns the names indexed; files without a sidecar are skipped (not shipped completely)."""
        blobs = {b.name for b in store.list()}
        known = self.known_files()
        added = []
        for name in sorted(blobs):
            if not name.endswith(WARC_SUFFIXES) or name in known:
                continue
            sidecar = cdxj_name_for(name)
            if sidecar not in blobs:
                continue
            self.add_cdxj(name, store.read_bytes(sidecar).decode("utf-8"))
            added.append(name)
        return added

    # -- asking ----------------------------------------------------------------------------
    @staticmethod
    def _captures(rows: Iterable[sqlite3.Row]) -> list[Capture]:
        return [Capture(r["urlkey"], r["timestamp"], r["url"], r["mime"], r["status"], r["digest"],
                        r["length"], r["offset"], r["filename"]) for r in rows]

    def captures(self, url: str) -> list[Capture]:
        """Every capture of ``url`` (SURT-equal URLs), oldest first."""
        with self._db() as db:
            rows = db.execute("SELECT * FROM captures WHERE urlkey=? ORDER BY timestamp, filename, offset",
                              (url_key(url),)).fetchall()
        return self._captures(rows)

    def closest(self, url: str, at: str | datetime | None = None, *, resolvable: bool = False) -> Capture | None:
        """The capture of ``url`` nearest to ``at`` (default: the latest)."""
        found = self.captures(url)
        if not found:
            return None
        if at is None:
            return found[-1]
        target = int(timestamp14(at))
        return min(found, key=lambda c: (abs(int(c.timestamp[:14]) - target), c.is_revisit))

    def original_of(self, url: str, digest: str, before: str | None = None) -> Capture | None:
        """The response capture (not a revisit) of ``url`` whose payload has ``digest``."""
        cands = [c for c in self.captures(url) if c.digest == digest and not c.is_revisit]
        if before:
            earlier = [c for c in cands if c.timestamp <= before]
            cands = earlier or cands
        return cands[-1] if cands else None

    def by_host_day(self, hosts: Iterable[str], day: str | None = None) -> list[Capture]:
        """Captures whose host is one of ``hosts`` (or a subdomain), on a UTC day (YYYY-MM-DD)."""
        out: list[Capture] = []
        with self._db() as db:
            for host in hosts:
                host = host.lower().removeprefix("www.")
                sql = "SELECT * FROM captures WHERE (host=? OR host LIKE ?)"
                params: list = [host, "%." + host]
                if day:
                    sql += " AND day=?"
                    params.append(day)
                out.extend(self._captures(db.execute(sql + " ORDER BY timestamp", params)))
        return sorted(set(out), key=lambda c: (c.timestamp, c.url))

    def counts(self) -> dict:
        with self._db() as db:
            return {"files": db.execute("SELECT COUNT(*) FROM files").fetchone()[0],
                    "captures": db.execute("SELECT COUNT(*) FROM captures").fetchone()[0]}

    def lines(self) -> Iterator[str]:
        """The collection as sorted CDXJ lines (SURT key, timestamp, JSON)."""
        with self._db() as db:
            for r in db.execute("SELECT urlkey, timestamp, fields FROM captures ORDER BY urlkey, timestamp, fields"):
                yield f"{r[0]} {r[1]} {r[2]}\n"

    def write_cdxj(self, out: str | os.PathLike) -> int:
        """Write the sorted collection CDXJ (pywb reads it in a collection's ``indexes/``)."""
        n = 0
        tmp = Path(str(out) + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            for line in self.lines():
                fh.write(line)
                n += 1
        os.replace(tmp, out)
        return n
