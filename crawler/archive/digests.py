"""Digest indexes: where revisit records find their originals.

Keyed by (URL, SHA-1 payload digest; plus the store URI in a shared Redis index), not the
digest alone: a revisit then states "this URL answered with the payload it answered before"
(see :mod:`crawler.archive.revisits`). :class:`SqliteDigestIndex` (default
``<data dir>/warc-digests.sqlite``), :class:`RedisDigestIndex` (``redis://...``, for several
crawlers sharing a store) and :class:`MemoryDigestIndex` (tests), chosen by
:func:`open_digest_index`.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from crawler.archive.records import WarcPointer

class DigestIndex(Protocol):
    """Where revisit records find their originals (identical-payload-digest profile).

    Keyed by (URL, payload digest): a revisit says "this URL answered with the payload it
    answered before", see the module docstring. ``lookup`` returns the original response record
    or None; ``add`` records an original (first one wins); ``discard`` forgets an entry whose
    record turned out to be missing. Entries are only added for records in files that are
    uploaded and verified (see :class:`WarcArchive`), so every crawler sharing the index can
    rely on them. Implementations: :class:`SqliteDigestIndex` (default, in the data
    directory), :class:`RedisDigestIndex` (several crawlers sharing a store),
    :class:`MemoryDigestIndex` (tests).
    """

    def lookup(self, payload_digest: str, url: str) -> "RevisitTarget | None": ...

    def add(self, payload_digest: str, url: str, warc_date: str, pointer: WarcPointer) -> None: ...

    def discard(self, payload_digest: str, url: str) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class RevisitTarget:
    url: str
    warc_date: str
    pointer: WarcPointer

    def refers_to(self) -> dict:
        """The original's pointer plus its URI and date (``WarcPointer.refers_to``)."""
        d = self.pointer.to_dict()
        d.pop("refers_to", None)
        d["url"] = self.url
        d["warc_date"] = self.warc_date
        return d

    def to_json(self) -> str:
        return json.dumps({"url": self.url, "warc_date": self.warc_date,
                           "pointer": self.pointer.to_dict()}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> "RevisitTarget":
        d = json.loads(text)
        return cls(d["url"], d["warc_date"], WarcPointer.from_dict(d["pointer"]))


def _index_key(namespace: str, url: str, payload_digest: str) -> str:
    h = hashlib.sha1(f"{namespace}\n{url}".encode("utf-8", "surrogatepass")).hexdigest()
    return f"{h}:{payload_digest}"


class MemoryDigestIndex:
    """In-process DigestIndex (tests, single runs)."""

    def __init__(self, namespace: str = ""):
        self.namespace = namespace
        self._d: dict[str, RevisitTarget] = {}

    def lookup(self, payload_digest, url):
        return self._d.get(_index_key(self.namespace, url, payload_digest))

    def add(self, payload_digest, url, warc_date, pointer):
        self._d.setdefault(_index_key(self.namespace, url, payload_digest),
                           RevisitTarget(url, warc_date, pointer))

    def discard(self, payload_digest, url):
        self._d.pop(_index_key(self.namespace, url, payload_digest), None)

    def close(self):
        pass


class SqliteDigestIndex:
    """DigestIndex in a SQLite file (default: ``<data dir>/warc-digests.sqlite``), for the
    crawler(s) of one data directory. ``namespace`` (the archive store's URI) keeps the
    entries of different stores apart. Thread-safe (the upload thread adds entries)."""

    def __init__(self, path: str | os.PathLike, namespace: str = ""):
        import sqlite3

        self.path = Path(path)
        self.namespace = namespace
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS revisit_targets (key TEXT PRIMARY KEY, target TEXT NOT NULL)"
        )
        self._db.commit()

    def lookup(self, payload_digest, url):
        key = _index_key(self.namespace, url, payload_digest)
        with self._lock:
            row = self._db.execute(
                "SELECT target FROM revisit_targets WHERE key = ?", (key,)
            ).fetchone()
        return RevisitTarget.from_json(row[0]) if row else None

    def add(self, payload_digest, url, warc_date, pointer):
        key = _index_key(self.namespace, url, payload_digest)
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR IGNORE INTO revisit_targets VALUES (?, ?)",
                (key, RevisitTarget(url, warc_date, pointer).to_json()),
            )

    def add_many(self, entries) -> None:
        rows = [(_index_key(self.namespace, u, dg), RevisitTarget(u, wd, p).to_json())
                for dg, u, wd, p in entries]
        with self._lock, self._db:
            self._db.executemany("INSERT OR IGNORE INTO revisit_targets VALUES (?, ?)", rows)

    def discard(self, payload_digest, url):
        key = _index_key(self.namespace, url, payload_digest)
        with self._lock, self._db:
            self._db.execute("DELETE FROM revisit_targets WHERE key = ?", (key,))

    def close(self):
        with self._lock:
            self._db.close()


class RedisDigestIndex:
    """DigestIndex in Redis (``redis://host:port/db``), shared by several crawler processes
    writing to one store. One string key per (store, URL, digest):
    ``{prefix}{sha1(namespace + URL)}:{digest}`` -> JSON target; ``SET NX`` (first original
    wins, atomic across crawlers)."""

    def __init__(self, url: str, namespace: str = "", prefix: str = "newscrawler:warc-digest:"):
        import redis

        self.url = url
        self.namespace = namespace
        self.prefix = prefix
        self._r = redis.Redis.from_url(url)
        self._r.ping()  # fail at start, not at the first response

    def _key(self, url, payload_digest) -> str:
        return self.prefix + _index_key(self.namespace, url, payload_digest)

    def lookup(self, payload_digest, url):
        v = self._r.get(self._key(url, payload_digest))
        return RevisitTarget.from_json(v) if v else None

    def add(self, payload_digest, url, warc_date, pointer):
        self._r.set(self._key(url, payload_digest), RevisitTarget(url, warc_date, pointer).to_json(),
                    nx=True)

    def add_many(self, entries) -> None:
        pipe = self._r.pipeline(transaction=False)
        for dg, u, wd, p in entries:
            pipe.set(self._key(u, dg), RevisitTarget(u, wd, p).to_json(), nx=True)
        pipe.execute()

    def discard(self, payload_digest, url):
        self._r.delete(self._key(url, payload_digest))

    def close(self):
        self._r.close()


def open_digest_index(spec: str | os.PathLike | None, *, default_path: str | os.PathLike,
                      namespace: str = "") -> DigestIndex:
    """``None``/"" -> SQLite at ``default_path``; ``redis://`` / ``rediss://`` / ``unix://`` ->
    :class:`RedisDigestIndex`; anything else -> SQLite file at that path.

    ``namespace`` (the store's URI) separates the entries of crawlers writing to different
    stores through one Redis. The SQLite index belongs to one data directory and is not
    namespaced, so a moved data directory (archive URI changes with its path) keeps its
    originals: the existence check before each first use per file covers a changed store."""
    s = str(spec) if spec else ""
    if s.startswith(("redis://", "rediss://", "unix://")):
        return RedisDigestIndex(s, namespace=namespace)
    return SqliteDigestIndex(Path(s).expanduser() if s else default_path)

