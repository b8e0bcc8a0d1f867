"""The LSH band table: band key -> document slots (see :class:`LSH`)."""

from __future__ import annotations

import numpy as np

__all__ = ["LSH", "band_keys"]

_BAND_SALT = (np.arange(1, 1025, dtype=np.uint64) * np.uint64(0x9E3779B1)).astype(np.uint32)


def band_keys(sig32: np.ndarray, bands: int) -> np.ndarray:
    """One 32-bit key per one-row band: the first ``bands`` hash values, salted by position."""
    return (sig32[:bands] ^ _BAND_SALT[:bands]) * np.uint32(0x85EBCA6B)


class LSH:
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
