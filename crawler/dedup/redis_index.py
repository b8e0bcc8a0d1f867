"""Redis-backed shared index: several crawler processes, one set of story clusters.

Design: Redis holds an ordered log (a list) of *derived inputs*: doc id, time, text hash,
shingle count, 32-bit signature, line fingerprints (about 0.7 KB per article, no text). Every
process keeps an in-memory mirror (a ``DedupIndex``) built by replaying the log in order. To add
a document a process takes a Redis lock, replays the entries it has not seen yet, derives the
document's signature against that state, decides with exactly the local index's code, appends
its entry and releases the lock. Because every mirror replays the same log in the same order
through the same deterministic code, all processes see the same decisions, and they are the
decisions one process would have made inserting the documents in log order.

Keys (``prefix`` default ``crawler:dedup``): ``{prefix}:log`` (list), ``{prefix}:lock``,
``{prefix}:params`` (signature parameters; a mismatch is refused).
Limits: the mirror costs the same memory as a local index; the log is not trimmed by the time
window yet (Redis persistence and memory are the operator's to configure).
"""

from __future__ import annotations

import base64
import json
from datetime import datetime

import numpy as np

from .index import DedupIndex
from .params import DedupDecision, Params


class RedisDedupIndex:
    def __init__(self, url: str, *, prefix: str = "crawler:dedup",
                 window_days: float | None = 30.0, params: Params | None = None,
                 lock_timeout: float = 60.0, client=None):
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
        self._lock = self.r.lock(f"{prefix}:lock", timeout=lock_timeout,
                                 blocking_timeout=lock_timeout * 2)
        self.applied = 0
        self._sync()

    def _sync(self) -> None:
        n = self.r.llen(self._log)
        while self.applied < n:
            batch = self.r.lrange(self._log, self.applied, min(n, self.applied + 1000) - 1)
            for raw in batch:
                e = json.loads(raw)
                self.local._decide(e["id"], e["t"], e["th"], e["n"], _arr(e["sig"], np.uint32),
                                   _arr(e["lines"], np.uint64))
            self.applied += len(batch)

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
        return decision

    def commit(self) -> None:
        """Decisions are durable once ``add`` returns (appended to the shared log in Redis)."""

    def refresh(self) -> None:
        """Replay what other processes added since the last call."""
        self._sync()

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
