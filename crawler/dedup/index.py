"""The story-cluster index: MinHash-LSH candidates, verification, clusters, persistence.

Storage layout of a persistent index (a directory):

* ``index.sqlite``: ``docs`` (doc_id, cluster, time, text hash, shingle count, signature,
  nearest + similarity), ``clusters`` (stable key, anchor = first member, representative,
  last activity) and ``meta`` (parameters; reopening with other parameters is refused).
* ``boilerplate.tbl``: the learned boilerplate-line table, memory-mapped (see ``_LineTable``).

The query side keeps only compact numpy arrays in memory (see ``DedupIndex`` for the byte
count); doc ids and cluster keys are read from SQLite when a decision is written.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import sqlite3
import time as _time
from dataclasses import dataclass, asdict
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import xxhash

from .text import Analysis, MinHasher, OPHasher, shingles_from_word_hashes

__all__ = ["DedupDecision", "DedupIndex", "Params"]


@dataclass
class DedupDecision:
    """One decision. ``nearest``/``jaccard``/``containment``: the member of the story this
    document resembles most and the estimated similarity that justified joining it (1.0 for an
    exact copy; for a new version: the most similar other member, if any); all ``None`` for a
    new story. ``previous_representative`` is set only when this add changed the
    representative (the earliest-published member)."""

    doc_id: str
    cluster_id: str
    representative: str
    previous_representative: str | None
    nearest: str | None
    jaccard: float | None
    containment: float | None
    reason: str  # "new-story" | "exact-text" | "near-duplicate" | "new-version"

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Params:
    """Parameters that define the signatures (stored in the index, must not change)."""

    shingle: int = 5           # words per shingle
    num_perm: int = 128        # min-wise hash functions
    bands: int = 32            # LSH bands of one row each (the first `bands` hash values)
    seed: int = 1
    hashing: str = "oph"       # "oph": one-permutation hashing; "kperm": num_perm hash functions
    # Verification (see the package docstring for the measurements behind these numbers)
    jaccard: float = 0.7       # estimated Jaccard alone is enough at or above this
    containment: float = 0.35  # |A∩B| / min(|A|,|B|) (lower bound, see z) for shortened versions ...
    min_shingles: int = 25     # ... only when the smaller text has this many shingles ...
    min_shared: int = 20       # ... and about this many shingles are shared
    anchor_containment: float = 0.2  # drift guard: minimum containment vs the story's anchor
    z: float = 1.0             # containment is tested at J - z * stderr(J) (a lower bound)
    boilerplate_clusters: int = 2    # a line seen in this many other stories is boilerplate

    def signature_key(self) -> str:
        return (f"shingle={self.shingle};perm={self.num_perm};bands={self.bands};"
                f"seed={self.seed};hashing={self.hashing}")


_EMPTY16 = 0xFFFF
_ID_BITS = 25  # doc-id Bloom filter: 2**25 bits = 4 MiB
_ID_MASK = (1 << _ID_BITS) - 1
_BAND_SALT = (np.arange(1, 1025, dtype=np.uint64) * np.uint64(0x9E3779B1)).astype(np.uint32)


class _LineTable:
    """Direct-mapped table of line fingerprints -> (first story, number of other stories).

    Portal residue (share prompts, cookie notices, "Mehr zum Thema", rubric lines) repeats
    verbatim, digits aside, under many *different* stories, while the paragraphs of one story
    repeat only within that story. A line that has been seen under ``boilerplate_clusters``
    stories other than the first one is treated as boilerplate and left out of the shingles.
    Fixed size (4M slots, 9 bytes each = 36 MiB, independent of the number of articles); a
    collision overwrites a slot unless that slot already marks boilerplate.

    A persistent index keeps the table in ``boilerplate.tbl``, memory-mapped (shared) and
    updated in place: nothing to save (rewriting it as ``.npz`` every ``commit_every``
    decisions cost ~15 % of the on-disk index's time), and an application crash keeps what
    was learned up to the last decision, even ahead of the last SQLite commit (a heuristic:
    replaying the uncommitted decisions can at worst count a line's other stories once more).
    An index written with the former ``boilerplate.npz`` is converted on opening.
    """

    BITS = 22
    _MAGIC = b"dedup-lines-v1\0\0"  # 16-byte header of boilerplate.tbl

    def __init__(self, path: Path | None):
        self.path = path
        self._mm = None
        n = 1 << self.BITS
        if path is None:
            self.fp = np.zeros(n, dtype=np.uint32)
            self.first = np.full(n, -1, dtype=np.int32)
            self.count = np.zeros(n, dtype=np.uint8)
            return
        if not path.exists():
            self._create(path, n)
        with open(path, "r+b") as f:
            size = os.fstat(f.fileno()).st_size
            if size != 16 + 9 * n or f.read(16) != self._MAGIC:
                raise ValueError(f"{path}: not a boilerplate-line table of {n} slots")
            # MAP_POPULATE: the fixed table is resident from the start (as the in-memory
            # arrays are), so the per-article memory growth does not include it
            flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
            self._mm = mm = mmap.mmap(f.fileno(), 0, flags=flags)
        self.fp = np.frombuffer(mm, dtype=np.uint32, count=n, offset=16)
        self.first = np.frombuffer(mm, dtype=np.int32, count=n, offset=16 + 4 * n)
        self.count = np.frombuffer(mm, dtype=np.uint8, count=n, offset=16 + 8 * n)

    @classmethod
    def _create(cls, path: Path, n: int) -> None:
        old = path.with_suffix(".npz")
        if old.exists():
            data = np.load(old)
            fp, first, count = data["fp"], data["first"], data["count"]
        else:
            fp = np.zeros(n, dtype=np.uint32)
            first = np.full(n, -1, dtype=np.int32)
            count = np.zeros(n, dtype=np.uint8)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            f.write(cls._MAGIC)
            for a in (fp, first, count):
                f.write(np.ascontiguousarray(a).tobytes())
        os.replace(tmp, path)
        if old.exists():
            old.unlink()

    MAX_WORDS = 30  # longer lines are article paragraphs, never residue


    def is_boilerplate(self, keys: np.ndarray, threshold: int) -> np.ndarray:
        slot = (keys & np.uint64((1 << self.BITS) - 1)).astype(np.int64)
        fp = (keys >> np.uint64(32)).astype(np.uint32)
        return (self.fp[slot] == fp) & (self.count[slot] >= threshold)

    def learn(self, keys: np.ndarray, cluster: int, threshold: int) -> None:
        if not len(keys):
            return
        keys = np.unique(keys)
        slot = (keys & np.uint64((1 << self.BITS) - 1)).astype(np.int64)
        fp = (keys >> np.uint64(32)).astype(np.uint32)
        same = self.fp[slot] == fp
        other = same & (self.first[slot] != cluster) & (self.count[slot] < 255)
        self.count[slot[other]] += 1
        fresh = ~same & (self.count[slot] < threshold)
        s = slot[fresh]
        self.fp[s] = fp[fresh]
        self.first[s] = cluster
        self.count[s] = 0

    def close(self) -> None:
        """Unmap the file (its pages are already in the OS page cache: nothing is lost)."""
        if self._mm is not None:
            self.fp = self.first = self.count = None
            try:
                self._mm.close()
            except BufferError:  # a caller still holds a view: unmapped when that goes away
                pass
            self._mm = None


class _Grow:
    """Append-only numpy column with amortised doubling."""

    def __init__(self, dtype, width: int | None = None, cap: int = 1024):
        shape = (cap,) if width is None else (cap, width)
        self.a = np.empty(shape, dtype=dtype)
        self.n = 0

    def append(self, value) -> int:
        if self.n == len(self.a):
            new = np.empty((2 * len(self.a),) + self.a.shape[1:], dtype=self.a.dtype)
            new[: self.n] = self.a[: self.n]
            self.a = new
        self.a[self.n] = value
        self.n += 1
        return self.n - 1

    @property
    def view(self) -> np.ndarray:
        return self.a[: self.n]

    def nbytes(self) -> int:
        return self.a.nbytes


class _LSH:
    """Band key -> slots: a sorted (key, slot) base plus a small dict of recent inserts.

    Recent inserts live in ``pending`` (key -> first slot; set operations on dict keys run in
    C) and ``multi`` (key -> all slots, only for keys inserted more than once); both are merged
    into the sorted arrays every ``MERGE_AT`` entries.
    """

    MERGE_AT = 1 << 18  # pending entries (8192 articles of 32 bands) before a merge

    def __init__(self):
        self.keys = np.empty(0, dtype=np.uint32)
        self.slots = np.empty(0, dtype=np.int32)
        self.pending: dict[int, int] = {}
        self.multi: dict[int, list[int]] = {}
        self.npending = 0

    def insert(self, keys: np.ndarray, slot: int) -> None:
        p = self.pending
        kl = keys.tolist()
        dup = p.keys() & kl
        if dup:
            multi = self.multi
            for k in dup:
                lst = multi.get(k)
                if lst is None:
                    multi[k] = [p[k], slot]
                else:
                    lst.append(slot)
            kl = [k for k in kl if k not in dup]
        p.update(dict.fromkeys(kl, slot))
        self.npending += len(keys)
        if self.npending >= self.MERGE_AT:
            self.merge()

    def bulk_load(self, keys: np.ndarray, slots: np.ndarray) -> None:
        order = np.argsort(keys, kind="stable")
        self.keys, self.slots = keys[order], slots[order].astype(np.int32)

    def merge(self) -> None:
        if not self.pending:
            return
        multi = self.multi
        pairs = [(k, v) for k, v in self.pending.items() if k not in multi]
        pairs += [(k, v) for k, lst in multi.items() for v in lst]
        ks = np.fromiter((k for k, _ in pairs), dtype=np.uint32, count=len(pairs))
        ss = np.fromiter((v for _, v in pairs), dtype=np.int32, count=len(pairs))
        order = np.lexsort((ss, ks))  # by key, then slot (insertion order)
        ks, ss = ks[order], ss[order]
        # linear merge into the sorted base: new entries go after equal keys (insertion order)
        pos = np.searchsorted(self.keys, ks, "right")
        self.keys = np.insert(self.keys, pos, ks)
        self.slots = np.insert(self.slots, pos, ss)
        self.pending, self.multi, self.npending = {}, {}, 0

    def query(self, keys: np.ndarray, cap: int = 256) -> np.ndarray:
        parts = []
        if len(self.keys):
            lo = np.searchsorted(self.keys, keys, "left")
            hi = np.searchsorted(self.keys, keys, "right")
            hit = (hi > lo).nonzero()[0]
            parts = [self.slots[max(lo[i], hi[i] - cap):hi[i]] for i in hit.tolist()]
        p = self.pending
        if p:
            common = p.keys() & keys.tolist()
            if common:
                multi = self.multi
                found = [p[k] for k in common if k not in multi]
                for k in common:
                    if k in multi:
                        found.extend(multi[k][-cap:])
                parts.append(np.array(found, dtype=np.int32))
        if not parts:
            return np.empty(0, dtype=np.int32)
        if len(parts) == 1:
            return np.unique(parts[0])
        return np.unique(np.concatenate(parts))

    def nbytes(self) -> int:
        return self.keys.nbytes + self.slots.nbytes + self.npending * 80


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


def _epoch(published: datetime | str | None) -> int:
    if published is None:
        return int(_time.time())
    if isinstance(published, str):
        published = datetime.fromisoformat(published.replace("Z", "+00:00"))
    if published.tzinfo is None:
        published = published.replace(tzinfo=timezone.utc)
    return int(published.timestamp())


class DedupIndex:
    """Near-duplicate story index. Use ``crawler.dedup.open_index`` to create one.

    Query-side memory per indexed article: 128 x 16-bit signature (256 B), 32 LSH entries of
    (uint32 key, int32 slot) in sorted arrays (256 B), row id, text hash, shingle count and
    cluster slot (22 B), per story key/anchor/representative/times (40 B, one story per article
    in the worst case); plus fixed costs: the boilerplate-line table (36 MiB, memory-mapped
    for a directory index), the doc-id Bloom filter (4 MiB) and the LSH insert buffer
    (<= 2**18 entries before it is merged). ``bench/dedup_memory.py`` measured 648 B per
    article of resident-set growth at 1,000,000 articles. Doc ids, cluster keys and the
    decisions live in SQLite (on disk for a directory index, ``:memory:`` otherwise).

    Writes are buffered and committed every ``commit_every`` decisions and on ``flush()`` /
    ``close()``; one process at a time may open a directory index (flock on ``lock``).
    """

    def __init__(self, path: str | Path | None = None, *, window_days: float | None = 30.0,
                 params: Params | None = None, commit_every: int = 1000):
        self.params = p = params or Params()
        self.window = None if window_days is None else int(window_days * 86400)
        self.path = None if path is None else Path(path)
        self.hasher = (OPHasher if p.hashing == "oph" else MinHasher)(p.num_perm, p.seed)
        self.commit_every = commit_every
        self._uncommitted = 0
        # write-behind buffers, written by _write() (every commit_every decisions and on flush)
        self._buf_docs: list[tuple] = []
        self._buf_clusters: list[tuple] = []
        self._buf_cupd: dict[int, tuple] = {}
        self._buf_ids: dict[str, tuple[int, int]] = {}
        self._buf_rows: dict[int, str] = {}
        self._lock = None
        if self.path is not None:
            self.path.mkdir(parents=True, exist_ok=True)
            self._lock = open(self.path / "lock", "a+")
            try:
                fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                self._lock.close()
                raise RuntimeError(f"dedup index {self.path} is in use by another process")
            self.db = sqlite3.connect(self.path / "index.sqlite")
            self.db.execute("PRAGMA journal_mode=WAL")
            # WAL + synchronous=OFF: an application crash loses nothing committed; an OS crash
            # can lose the last commits, which the next crawl re-adds (decisions are replayable)
            self.db.execute("PRAGMA synchronous=OFF")
        else:
            self.db = sqlite3.connect(":memory:")
        self.db.executescript(_SCHEMA)
        stored = self.db.execute("SELECT value FROM meta WHERE key='signature'").fetchone()
        if stored is None:
            self.db.execute("INSERT INTO meta VALUES ('signature', ?)", (p.signature_key(),))
            self.db.commit()
        elif stored[0] != p.signature_key():
            raise ValueError(f"index at {path} was built with {stored[0]}, not {p.signature_key()}")
        self.lines = _LineTable(None if self.path is None else self.path / "boilerplate.tbl")
        # per-document slots (query side)
        self.d_row = _Grow(np.int64)        # SQLite row id (sorted: rows only grow)
        self.d_sig = _Grow(np.uint16, p.num_perm)
        self.d_size = _Grow(np.uint16)
        self.d_hash = _Grow(np.int64)       # exact-text hash
        self.d_cluster = _Grow(np.int32)    # cluster slot
        # per-cluster slots
        self.c_row = _Grow(np.int64)
        self.c_key = _Grow(np.uint64)       # stable key: xxh64 of the first member's doc id
        self.c_anchor = _Grow(np.int32)     # doc slot of the first member
        self.c_rep = _Grow(np.int32)        # doc slot of the representative
        self.c_rep_time = _Grow(np.int64)
        self.c_last = _Grow(np.int64)
        self.lsh = _LSH()
        # doc ids already in SQLite (all of them, also outside the window): a 2-probe Bloom
        # filter over xxh64(doc id), so a new id needs no SQLite lookup (false positives,
        # ~0.4 % at 1M ids, only cost that lookup)
        self._seen_ids = bytearray(1 << (_ID_BITS - 3))
        self._load()

    # ------------------------------------------------------------------ loading
    def _load(self) -> None:
        horizon = None
        if self.window is not None:
            last = self.db.execute("SELECT MAX(last_time) FROM clusters").fetchone()[0]
            if last is not None:
                horizon = last - self.window
        q = "SELECT id, key, anchor, representative, rep_time, last_time FROM clusters"
        args: tuple = ()
        if horizon is not None:
            q += " WHERE last_time >= ?"
            args = (horizon,)
        clusters = self.db.execute(q + " ORDER BY id", args).fetchall()
        self._next_doc = (self.db.execute("SELECT MAX(id) FROM docs").fetchone()[0] or 0) + 1
        self._next_cluster = (self.db.execute("SELECT MAX(id) FROM clusters").fetchone()[0]
                              or 0) + 1
        crow = {}
        for cid, key, anchor, rep, rep_time, last in clusters:
            crow[cid] = (anchor, rep)
            self.c_row.append(cid)
            self.c_key.append(int(key.rsplit("-", 1)[1], 16))
            self.c_rep_time.append(rep_time)
            self.c_last.append(last)
        for (doc_id,) in self.db.execute("SELECT doc_id FROM docs"):
            self._mark_id(xxhash.xxh64_intdigest(doc_id.encode("utf-8")))
        keys, slots = [], []
        for row, cluster, size, sig, bk, th in self.db.execute(
                "SELECT id, cluster, nshingles, sig, band_keys, text_hash FROM docs ORDER BY id"):
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
        short = a.line_words <= _LineTable.MAX_WORDS
        keys = a.line_keys[short]
        if len(keys) and len(a.line_ids) > 1:
            bp = self.lines.is_boilerplate(keys, self.params.boilerplate_clusters)
            if bp.any() and bp.sum() < len(a.line_ids):
                drop = a.line_ids[short][bp]
                w = w[~np.isin(a.word_line, drop)]
        return shingles_from_word_hashes(w, self.params.shingle), keys, a.text_hash()

    def _band_keys(self, sig32: np.ndarray) -> np.ndarray:
        b = self.params.bands
        return (sig32[:b] ^ _BAND_SALT[:b]) * np.uint32(0x85EBCA6B)

    def _similarity(self, slots: np.ndarray, sig16: np.ndarray, size: int):
        sigs = self.d_sig.a[slots]
        eq = (sigs == sig16).sum(axis=1)
        valid = (sigs != _EMPTY16).any(axis=1)
        j = np.where(valid, eq / self.params.num_perm, 0.0)
        sizes = self.d_size.a[slots].astype(np.float64)
        inter = j * (sizes + size) / (1.0 + j)
        small = np.maximum(np.minimum(sizes, size), 1.0)
        c = np.minimum(1.0, inter / small)
        return j, c, inter, np.minimum(sizes, size)

    def _accept(self, j, c, inter, small) -> np.ndarray:
        p = self.params
        if p.z:
            # low Jaccard estimates are noisy (relative error ~ sqrt((1-J)/(J*K))), and the
            # containment derived from them inherits it: test a lower confidence bound
            jl = np.maximum(j - p.z * np.sqrt(j * (1.0 - j) / p.num_perm), 0.0)
            c = c * np.divide(jl * (1.0 + j), j * (1.0 + jl), out=np.zeros_like(j), where=j > 0)
            inter = inter * np.divide(jl * (1.0 + j), j * (1.0 + jl), out=np.zeros_like(j),
                                      where=j > 0)
        return (j >= p.jaccard) | ((c >= p.containment) & (small >= p.min_shingles)
                                   & (inter >= p.min_shared))

    def _doc_id(self, slot_or_none: int | None, row: int | None = None) -> str | None:
        if row is None:
            if slot_or_none is None or slot_or_none < 0:
                return None
            row = int(self.d_row.a[slot_or_none])
        if row in self._buf_rows:
            return self._buf_rows[row]
        r = self.db.execute("SELECT doc_id FROM docs WHERE id=?", (row,)).fetchone()
        return r[0] if r else None

    def _cluster_key(self, cslot: int) -> str:
        return f"story-{int(self.c_key.a[cslot]):016x}"

    def _doc_ids(self, *slots: int | None) -> list[str | None]:
        rows = [None if s is None or s < 0 else int(self.d_row.a[s]) for s in slots]
        found = {r: self._buf_rows[r] for r in rows if r in self._buf_rows}
        wanted = sorted({r for r in rows if r is not None and r not in found})
        if wanted:
            q = "SELECT id, doc_id FROM docs WHERE id IN (%s)" % ",".join("?" * len(wanted))
            found.update(self.db.execute(q, wanted).fetchall())
        return [None if r is None else found.get(r) for r in rows]

    def _mark_id(self, h: int) -> None:
        m = _ID_MASK
        a, b = h & m, (h >> 32) & m
        f = self._seen_ids
        f[a >> 3] |= 1 << (a & 7)
        f[b >> 3] |= 1 << (b & 7)

    def _maybe_seen(self, h: int) -> bool:
        m = _ID_MASK
        a, b = h & m, (h >> 32) & m
        f = self._seen_ids
        return bool(f[a >> 3] & (1 << (a & 7))) and bool(f[b >> 3] & (1 << (b & 7)))

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

    def _decide(self, doc_id: str, t: int, th: int, nshingles: int, sig32: np.ndarray,
                line_keys: np.ndarray) -> DedupDecision:
        p = self.params
        sig16 = (sig32 & np.uint32(0xFFFF)).astype(np.uint16)
        if not nshingles:
            sig16[:] = _EMPTY16
        size = min(nshingles, 65535)
        bkeys = self._band_keys(sig32) if nshingles else np.empty(0, dtype=np.uint32)

        khash = xxhash.xxh64_intdigest(doc_id.encode("utf-8"))
        existing = self._buf_ids.get(doc_id)
        if existing is None and self._maybe_seen(khash):
            existing = self.db.execute(
                "SELECT id, cluster FROM docs WHERE doc_id=?", (doc_id,)).fetchone()
        if existing is not None:
            return self._new_version(doc_id, existing[0], existing[1], t, th, sig16, size,
                                     bkeys, line_keys)

        nearest = jac = con = None
        cslot = -1
        reason = "new-story"
        # LSH candidates (an exact copy shares every band, so it is always among them)
        if len(bkeys):
            cand = self.lsh.query(bkeys)
            if len(cand):
                # 1. exact duplicate of the normalised text (earliest copy first)
                for i in np.flatnonzero(self.d_hash.a[cand] == th).tolist():
                    cs = int(self.d_cluster.a[cand[i]])
                    if self._in_window(cs, t):
                        cslot, nearest, jac, con = cs, int(cand[i]), 1.0, 1.0
                        reason = "exact-text"
                        break
            if len(cand) and cslot < 0:
                # 2. verification against the stored signatures
                j, c, inter, small = self._similarity(cand, sig16, size)
                score = c + 0.01 * j
                ok = self._accept(j, c, inter, small)
                if ok.any():
                    idx = np.nonzero(ok)[0]
                    for i in idx[np.argsort(-score[idx], kind="stable")].tolist():
                        cs = int(self.d_cluster.a[cand[i]])
                        if not self._in_window(cs, t) or not self._anchor_ok(cs, sig16, size):
                            continue
                        cslot, nearest = cs, int(cand[i])
                        jac, con, reason = float(j[i]), float(c[i]), "near-duplicate"
                        break

        row = self._next_doc
        self._next_doc += 1
        slot = self.d_row.append(row)
        self.d_sig.append(sig16)
        self.d_size.append(size)
        self.d_hash.append(th)
        previous = None
        if cslot < 0:
            cid = self._next_cluster
            self._next_cluster += 1
            cslot = self.c_row.append(cid)
            self.c_key.append(khash)
            self.c_anchor.append(slot)
            self.c_rep.append(slot)
            self.c_rep_time.append(t)
            self.c_last.append(t)
            self._buf_clusters.append((cid, self._cluster_key(cslot), row, row, t, t))
            rep_slot = slot
        else:
            cid = int(self.c_row.a[cslot])
            previous_slot, rep_slot = self._update_rep(cslot, slot, row, t)
            if previous_slot is not None:
                previous = self._doc_ids(previous_slot)[0]
        self.d_cluster.append(cslot)
        self._buf_docs.append(
            (row, doc_id, cid, t, th, size, sig16.tobytes(), bkeys.tobytes(),
             None if nearest is None else int(self.d_row.a[nearest]), _r(jac), _r(con)))
        self._buf_ids[doc_id] = (row, cid)
        self._mark_id(khash)
        self._buf_rows[row] = doc_id
        if len(bkeys):
            self.lsh.insert(bkeys, slot)
        self.lines.learn(line_keys, cid, p.boilerplate_clusters)
        self._tick()
        rep_id, nearest_id = self._doc_ids(None if rep_slot == slot else rep_slot, nearest)
        return DedupDecision(
            doc_id=doc_id, cluster_id=self._cluster_key(cslot),
            representative=doc_id if rep_slot == slot else rep_id,
            previous_representative=previous, nearest=nearest_id,
            jaccard=_r(jac), containment=_r(con), reason=reason)

    def _in_window(self, cslot: int, t: int) -> bool:
        return self.window is None or int(self.c_last.a[cslot]) >= t - self.window

    def _anchor_ok(self, cslot: int, sig16: np.ndarray, size: int) -> bool:
        """Drift guard: the newcomer must also resemble the story's first member."""
        anchor = int(self.c_anchor.a[cslot])
        if anchor < 0:
            return True
        j, c, _, _ = self._similarity(np.array([anchor]), sig16, size)
        return bool(c[0] >= self.params.anchor_containment or j[0] >= self.params.jaccard)

    def _update_rep(self, cslot: int, slot: int, row: int, t: int):
        """Make ``slot`` the representative if it was published earlier.

        Returns (previous representative slot or None, representative slot)."""
        previous = None
        cid = int(self.c_row.a[cslot])
        if t < int(self.c_rep_time.a[cslot]):
            previous = int(self.c_rep.a[cslot])
            self.c_rep.a[cslot] = slot
            self.c_rep_time.a[cslot] = t
            self._buf_cupd[cid] = None
        if t > int(self.c_last.a[cslot]):
            self.c_last.a[cslot] = t
            self._buf_cupd[cid] = None
        return previous, int(self.c_rep.a[cslot])

    def _new_version(self, doc_id, row, cid, t, th, sig16, size, bkeys, line_keys):
        self._write()
        slot = self._dslot(row)
        cslot = self._cslot(cid)
        nearest = jac = con = None
        if slot >= 0 and cslot >= 0:
            self.d_sig.a[slot] = sig16
            self.d_size.a[slot] = size
            self.d_hash.a[slot] = th
            # the most similar other member among the LSH candidates of the new text
            cand = self.lsh.query(bkeys) if len(bkeys) else np.empty(0, dtype=np.int32)
            members = cand[(self.d_cluster.a[cand] == cslot) & (cand != slot)]
            if len(members):
                j, c, _, _ = self._similarity(members, sig16, size)
                i = int(np.argmax(c + 0.01 * j))
                nearest, jac, con = int(members[i]), float(j[i]), float(c[i])
            if len(bkeys):
                self.lsh.insert(bkeys, slot)
        self.db.execute(
            "UPDATE docs SET text_hash=?, nshingles=?, sig=?, band_keys=?, version=version+1,"
            " nearest=?, jaccard=?, containment=? WHERE id=?",
            (th, size, sig16.tobytes(), bkeys.astype(np.uint32).tobytes(),
             None if nearest is None else int(self.d_row.a[nearest]), _r(jac), _r(con), row))
        previous = None
        if cslot >= 0 and slot >= 0:
            # the representative follows the earliest published date of the current versions
            old_time = self.db.execute("SELECT time FROM docs WHERE id=?", (row,)).fetchone()[0]
            if t != old_time:
                self.db.execute("UPDATE docs SET time=? WHERE id=?", (t, row))
                prev_slot, _ = self._update_rep(cslot, slot, row, t)
                previous = self._doc_ids(prev_slot)[0] if prev_slot is not None else None
            rep = self._doc_id(int(self.c_rep.a[cslot]))
        else:
            rep = self.db.execute(
                "SELECT d.doc_id FROM clusters c JOIN docs d ON d.id=c.representative"
                " WHERE c.id=?", (cid,)).fetchone()[0]
        key = self.db.execute("SELECT key FROM clusters WHERE id=?", (cid,)).fetchone()[0]
        self.lines.learn(line_keys, cid, self.params.boilerplate_clusters)
        self._tick()
        return DedupDecision(doc_id=doc_id, cluster_id=key, representative=rep,
                             previous_representative=previous,
                             nearest=self._doc_id(nearest) if nearest is not None else None,
                             jaccard=_r(jac), containment=_r(con), reason="new-version")

    def _write(self) -> None:
        """Write the buffered inserts and cluster updates (not yet committed)."""
        if self._buf_clusters:
            self.db.executemany(
                "INSERT INTO clusters (id, key, anchor, representative, rep_time, last_time)"
                " VALUES (?,?,?,?,?,?)", self._buf_clusters)
        if self._buf_docs:
            self.db.executemany(
                "INSERT INTO docs (id, doc_id, cluster, time, text_hash, nshingles, sig,"
                " band_keys, nearest, jaccard, containment) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                self._buf_docs)
        if self._buf_cupd:
            upd = []
            for cid in self._buf_cupd:
                cs = self._cslot(cid)
                if cs >= 0:
                    upd.append((int(self.d_row.a[self.c_rep.a[cs]]), int(self.c_rep_time.a[cs]),
                                int(self.c_last.a[cs]), cid))
            self.db.executemany("UPDATE clusters SET representative=?, rep_time=?, last_time=?"
                                " WHERE id=?", upd)
        self._buf_docs, self._buf_clusters, self._buf_cupd = [], [], {}
        self._buf_ids, self._buf_rows = {}, {}

    def commit(self) -> None:
        """Make every decision so far durable (cheap: one SQLite commit). The boilerplate-line
        table needs no saving: it is a memory-mapped file updated in place (see ``_LineTable``)."""
        if self.db is not None:
            self._write()
            self.db.commit()
            self._uncommitted = 0

    def flush(self) -> None:
        """Same as ``commit`` (kept for callers that flush before handing the index over)."""
        self.commit()

    def close(self) -> None:
        if self.db is not None:
            self.flush()
            self.db.close()
            self.db = None
            self.lines.close()
        if self._lock is not None:
            self._lock.close()  # releases the flock
            self._lock = None

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


def _r(x: float | None) -> float | None:
    return None if x is None else round(float(x), 4)
