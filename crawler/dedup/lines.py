"""The learned boilerplate-line table (see :class:`LineTable`)."""

from __future__ import annotations

import mmap
import os
from pathlib import Path

import numpy as np

__all__ = ["LineTable"]


class LineTable:
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
