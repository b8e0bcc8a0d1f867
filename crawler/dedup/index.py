"""The story-cluster index: candidates, decisions, stories, the window (see :class:`DedupIndex`).

Its parts: ``decide`` (the decision steps), ``params`` (decision and parameters), ``lsh`` (band
table), ``verify`` (similarity and acceptance), ``lines`` (learned boilerplate lines),
``idfilter`` (doc-id Bloom filter), ``columns`` (query-side arrays), ``storage`` (SQLite tables
and write-behind).
"""

from __future__ import annotations

import time as _time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import xxhash

from .columns import Grow
from .decide import Decisions
from .idfilter import IdFilter
from .lines import LineTable
from .lsh import LSH
from .params import WINDOW_DAYS, DedupDecision, Params
from .storage import IndexDB
from .minhash import MinHasher, OPHasher, shingles_from_word_hashes
from .text import Analysis
from .verify import similarity

__all__ = ["DedupDecision", "DedupIndex", "Params"]

COMPACT_MIN = 200_000  # query-side slots before the first compaction is considered


def _epoch(published: datetime | str | None) -> int:
    if published is None:
        return int(_time.time())
    if isinstance(published, str):
        published = datetime.fromisoformat(published.replace("Z", "+00:00"))
    if published.tzinfo is None:
        published = published.replace(tzinfo=timezone.utc)
    return int(published.timestamp())


class DedupIndex(Decisions):
    """Near-duplicate story index. Use ``crawler.dedup.open_index`` to create one.

    Query-side memory per indexed article: 128 x 16-bit signature (256 B), 32 LSH entries of
    (uint32 key, int32 slot) in sorted arrays (256 B), row id, text hash, shingle count and
    cluster slot (22 B), per story key/anchor/representative/times (40 B, one story per article
    in the worst case); plus fixed costs: the boilerplate-line table (36 MiB, memory-mapped
    for a directory index), the doc-id Bloom filter (4 MiB) and the LSH insert buffer
    (<= 2**18 entries before it is merged). ``bench/dedup_memory.py`` measured 648 B per
    article of resident-set growth at 1,000,000 articles. Doc ids, cluster keys and the
    decisions live in SQLite (on disk for a directory index, ``:memory:`` otherwise).

    Memory is bounded by the window: stories last active before it are never joined again, and
    once the query side holds twice the slots it held after the last compaction (at least
    ``COMPACT_MIN``), it is rebuilt with the stories in the window only (``compact``). An
    in-memory index also deletes those stories from its tables; a directory index keeps them on
    disk, so a new version of an old article is still recognised.

    Writes are buffered and committed every ``commit_every`` decisions and on ``flush()`` /
    ``close()``; one process at a time may open a directory index (flock on ``lock``).
    """

    def __init__(self, path: str | Path | None = None, *, window_days: float | None = WINDOW_DAYS,
                 params: Params | None = None, commit_every: int = 1000):
        self.params = p = params or Params()
        self.window = None if window_days is None else int(window_days * 86400)
        self.path = None if path is None else Path(path)
        self.hasher = (OPHasher if p.hashing == "oph" else MinHasher)(p.num_perm, p.seed)
        self.commit_every = commit_every
        self._uncommitted = 0
        self.st = IndexDB(self.path, p.signature_key())
        self.lines = LineTable(None if self.path is None else self.path / "boilerplate.tbl")
        self.ids = IdFilter()
        for doc_id in self.st.doc_ids():
            self.ids.mark(xxhash.xxh64_intdigest(doc_id.encode("utf-8")))
        self._load()

    # ------------------------------------------------------------------ loading
    def _load(self) -> None:
        """The query side: every story in the window and its docs, from the tables."""
        p = self.params
        self.d_row = Grow(np.int64)        # SQLite row id (sorted: rows only grow)
        self.d_sig = Grow(np.uint16, p.num_perm)
        self.d_size = Grow(np.uint16)
        self.d_hash = Grow(np.int64)       # exact-text hash
        self.d_cluster = Grow(np.int32)    # cluster slot
        self.c_row = Grow(np.int64)
        self.c_key = Grow(np.uint64)       # stable key: xxh64 of the first member's doc id
        self.c_anchor = Grow(np.int32)     # doc slot of the first member
        self.c_rep = Grow(np.int32)        # doc slot of the representative
        self.c_rep_time = Grow(np.int64)
        self.c_last = Grow(np.int64)
        self.lsh = LSH()
        self._next_doc, self._next_cluster = self.st.next_ids()
        crow = {}
        for cid, key, anchor, rep, rep_time, last in self.st.clusters(self.st.horizon(self.window)):
            crow[cid] = (anchor, rep)
            self.c_row.append(cid)
            self.c_key.append(int(key.rsplit("-", 1)[1], 16))
            self.c_rep_time.append(rep_time)
            self.c_last.append(last)
        keys, slots = [], []
        for row, cluster, size, sig, bk, th in self.st.doc_rows():
            if cluster not in crow:
                continue
            slot = self.d_row.append(row)
            self.d_sig.append(np.frombuffer(sig, dtype=np.uint16))
            self.d_size.append(min(size, 65535))
            self.d_hash.append(th)
            self.d_cluster.append(self._cslot(cluster))
            keys.append(np.frombuffer(bk, dtype=np.uint32))
            slots.append(np.full(len(keys[-1]), slot, dtype=np.int32))
        if keys:
            self.lsh.bulk_load(np.concatenate(keys), np.concatenate(slots))
        for cid, (anchor, rep) in crow.items():
            self.c_anchor.append(self._dslot(anchor))
            self.c_rep.append(self._dslot(rep))
        self._compact_at = max(COMPACT_MIN, 2 * self.d_row.n)

    def compact(self) -> None:
        """Drop the stories outside the window from the query side (and from the tables of an
        in-memory index): commit, then rebuild from the tables."""
        self.commit()
        if self.path is None and self.window is not None:
            horizon = self.st.horizon(self.window)
            if horizon is not None:
                self.st.forget_before(horizon)
        self._load()

    def _dslot(self, row: int) -> int:
        rows = self.d_row.view
        i = int(np.searchsorted(rows, row))
        return i if i < len(rows) and rows[i] == row else -1

    def _cslot(self, cid: int) -> int:
        rows = self.c_row.view
        i = int(np.searchsorted(rows, cid))
        return i if i < len(rows) and rows[i] == cid else -1

    # ------------------------------------------------------------------ helpers
    def _prepare(self, text: str):
        """(shingles without learned boilerplate lines, short-line keys, exact-text hash)."""
        a = Analysis(text)
        w = a.word_hashes
        short = a.line_words <= LineTable.MAX_WORDS
        keys = a.line_keys[short]
        if len(keys) and len(a.line_ids) > 1:
            bp = self.lines.is_boilerplate(keys, self.params.boilerplate_clusters)
            if bp.any() and bp.sum() < len(a.line_ids):
                drop = a.line_ids[short][bp]
                w = w[~np.isin(a.word_line, drop)]
        return shingles_from_word_hashes(w, self.params.shingle), keys, a.text_hash()

    def _similarity(self, slots: np.ndarray, sig16: np.ndarray, size: int):
        return similarity(self.d_sig.a[slots], self.d_size.a[slots], sig16, size, self.params.num_perm)

    def _doc_id(self, slot: int | None) -> str | None:
        if slot is None or slot < 0:
            return None
        return self.st.doc_id(int(self.d_row.a[slot]))

    def _cluster_key(self, cslot: int) -> str:
        return f"story-{int(self.c_key.a[cslot]):016x}"

    def _doc_ids(self, *slots: int | None) -> list[str | None]:
        return self.st.doc_ids_of([None if s is None or s < 0 else int(self.d_row.a[s]) for s in slots])

    def _tick(self) -> None:
        self._uncommitted += 1
        if self._uncommitted >= self.commit_every:
            self.commit()

    # ------------------------------------------------------------------ API
    def add(self, doc_id: str, text: str, *, published: datetime | str | None = None,
            title: str | None = None) -> DedupDecision:
        """Assign ``doc_id`` to a story; returns the decision with its similarity.

        ``title`` is accepted for interface symmetry but deliberately not used: headlines are
        rewritten by republishers, while unrelated stubs can share one.
        """
        return self._decide(doc_id, *self.derive(text, published))

    def derive(self, text: str, published: datetime | str | None = None):
        """Everything a decision needs from the text: (time, text hash, shingle count,
        32-bit signature, line keys). Depends on the learned boilerplate lines."""
        shingles, line_keys, th = self._prepare(text)
        return _epoch(published), th, len(shingles), self.hasher.signature(shingles), line_keys

    def __contains__(self, doc_id: str) -> bool:
        h = xxhash.xxh64_intdigest(doc_id.encode("utf-8"))
        return self.ids.maybe_seen(h) and self.st.existing(doc_id) is not None

    def horizon(self) -> int | None:
        """Oldest last activity of a story still in the window (None: no window or empty)."""
        if self.window is None or not self.c_last.n:
            return None
        return int(self.c_last.view.max()) - self.window

    def last_activity(self, doc_id: str) -> int | None:
        """Last activity of the story holding ``doc_id`` (None: not in the query side)."""
        found = self.st.existing(doc_id)
        cslot = -1 if found is None else self._cslot(found[1])
        return None if cslot < 0 else int(self.c_last.a[cslot])

    def doc_ids(self) -> list[str]:
        """Every doc id in the index (also outside the window)."""
        return list(self.st.doc_ids())

    def _write(self) -> None:
        """Write the buffered inserts and cluster updates (not yet committed)."""
        upd = []
        for cid in self.st.buf_cupd:
            cs = self._cslot(cid)
            if cs >= 0:
                upd.append((int(self.d_row.a[self.c_rep.a[cs]]), int(self.c_rep_time.a[cs]),
                            int(self.c_last.a[cs]), cid))
        self.st.write(upd)

    def commit(self) -> None:
        """Make every decision so far durable (cheap: one SQLite commit). The boilerplate-line
        table needs no saving: it is a memory-mapped file updated in place (see ``LineTable``)."""
        if self.st.db is not None:
            self._write()
            self.st.commit()
            self._uncommitted = 0

    def flush(self) -> None:
        """Same as ``commit`` (kept for callers that flush before handing the index over)."""
        self.commit()

    def close(self) -> None:
        if self.st.db is not None:
            self.flush()
            self.lines.close()
        self.st.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __len__(self) -> int:
        return self.d_row.n

    def memory_bytes(self) -> int:
        """Bytes held by the query-side arrays (capacity, not just the used part)."""
        cols = (self.d_row, self.d_sig, self.d_size, self.d_hash, self.d_cluster, self.c_row, self.c_anchor,
                self.c_rep, self.c_rep_time, self.c_last)
        return sum(c.nbytes() for c in cols) + self.lsh.nbytes()
