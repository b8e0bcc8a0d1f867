"""Redis-backed shared index: several crawler processes, one set of story clusters.

Design: Redis holds an ordered log (a list) of *derived inputs*: doc id, time, text hash,
shingle count, 32-bit signature, line fingerprints (about 0.7 KB per article, no text). Every
process keeps an in-memory mirror (a ``DedupIndex``) built by replaying the log in order. To add
a document a process takes a Redis lock, replays the entries it has not seen yet, derives the
document's signature against that state, decides with exactly the local index's code, appends
its entry and releases the lock. Because every mirror replays the same log in the same order
through the same deterministic code, all processes see the same decisions, and they are the
decisions one process would have made inserting the documents in log order.

Keys (``prefix`` default ``crawler:dedup``): ``{prefix}:log`` (list), ``{prefix}:trimmed``
(entries removed from the head of the log so far), ``{prefix}:lock``, ``{prefix}:params``
(signature parameters; a mismatch is refused), ``{prefix}:store`` (the id of the article store
the index belongs to, see :func:`crawler.dedup.consistency.check_shared_index`) and
``{prefix}:check`` (held while a crawler compares the index with its store).

Bounded by the time window: every ``trim_every`` additions a process trims the head of the log
while its entries belong to stories last active before the window (they can never be joined
again), so Redis holds about one window of entries; the mirror compacts its query side to the
window as a local index does (``DedupIndex.compact``), so each process's memory is bounded
too. A process that starts after a trim replays only the entries left: it does not know
articles older than the window (a new version of one starts a story of its own there, as it
would in a one-process crawl after that time).
"""

from __future__ import annotations

import base64
import json
from datetime import datetime

import numpy as np

from .index import DedupIndex
from .params import WINDOW_DAYS, DedupDecision, Params


class RedisDedupIndex:
    def __init__(self, url: str, *, prefix: str = "crawler:dedup",
                 window_days: float | None = WINDOW_DAYS, params: Params | None = None,
                 lock_timeout: float = 60.0, client=None, trim_every: int = 1000):
        import redis

        self.r = client or redis.Redis.from_url(url)
        self.prefix = prefix
        self.local = DedupIndex(None, window_days=window_days, params=params,
                                commit_every=1 << 30)
        self.params = self.local.params
        key = self.params.signature_key()
        self.r.setnx(f"{prefix}:params", key)
        stored = self.r.get(f"{prefix}:params").decode()
        if stored != key:
            raise ValueError(f"shared index {url} ({prefix}) was built with {stored}, not {key}")
        self._log = f"{prefix}:log"
        self._trimmed = f"{prefix}:trimmed"
        self._lock = self.r.lock(f"{prefix}:lock", timeout=lock_timeout,
                                 blocking_timeout=lock_timeout * 2)
        self.window = self.local.window
        self.trim_every = trim_every
        self._added = 0
        self.applied = 0  # position in the log since it began (trimmed entries included)
        self.refresh()

    def _sync(self) -> None:
        """Replay the entries not applied yet (under the lock: trimming moves the head)."""
        trimmed = int(self.r.get(self._trimmed) or 0)
        self.applied = max(self.applied, trimmed)  # entries trimmed before we saw them: out of the window
        n = trimmed + self.r.llen(self._log)
        while self.applied < n:
            start = self.applied - trimmed
            batch = self.r.lrange(self._log, start, min(n - trimmed, start + 1000) - 1)
            for raw in batch:
                e = json.loads(raw)
                self.local._decide(e["id"], e["t"], e["th"], e["n"], _arr(e["sig"], np.uint32),
                                   _arr(e["lines"], np.uint64))
            self.applied += len(batch)

    def trim(self) -> int:
        """Drop the head of the log while its entries' stories are outside the window (under the
        lock). Returns the number of entries dropped."""
        horizon = self.local.horizon()
        if horizon is None:
            return 0
        dropped = 0
        while True:
            head = self.r.lrange(self._log, 0, 999)
            k = 0
            for raw in head:
                last = self.local.last_activity(json.loads(raw)["id"])
                if last is not None and last >= horizon:
                    break
                k += 1
            if k:
                pipe = self.r.pipeline(transaction=True)
                pipe.ltrim(self._log, k, -1)
                pipe.incrby(self._trimmed, k)
                pipe.execute()
                dropped += k
            if k < len(head) or not head:
                return dropped

    def add(self, doc_id: str, text: str, *, published: datetime | str | None = None,
            title: str | None = None) -> DedupDecision:
        with self._lock:
            self._sync()
            t, th, n, sig32, line_keys = self.local.derive(text, published)
            decision = self.local._decide(doc_id, t, th, n, sig32, line_keys)
            entry = {"id": doc_id, "t": t, "th": th, "n": n, "sig": _b64(sig32),
                     "lines": _b64(line_keys)}
            self.r.rpush(self._log, json.dumps(entry))
            self.applied += 1
            self._added += 1
            if self.window is not None and self._added % self.trim_every == 0:
                self.trim()
        return decision

    def owner(self) -> str | None:
        """The id of the article store this index belongs to (None: not claimed yet, or the
        Redis database was flushed)."""
        value = self.r.get(f"{self.prefix}:store")
        return value.decode() if value is not None else None

    def claim(self, store_id: str) -> None:
        self.r.set(f"{self.prefix}:store", store_id)

    def check_lock(self, timeout: float = 900.0):
        """The lock a crawler holds while comparing the index with its store (``reacquire()``
        renews it during a long rebuild)."""
        return self.r.lock(f"{self.prefix}:check", timeout=timeout)

    def commit(self) -> None:
        """Decisions are durable once ``add`` returns (appended to the shared log in Redis)."""

    def refresh(self) -> None:
        """Replay what other processes added since the last call."""
        with self._lock:
            self._sync()

    def __len__(self) -> int:
        return len(self.local)

    def close(self) -> None:
        self.local.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _b64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode()


def _arr(s: str, dtype) -> np.ndarray:
    return np.frombuffer(base64.b64decode(s), dtype=dtype).copy()
