"""The doc-id Bloom filter: which doc ids the index may already hold (see :class:`IdFilter`)."""

from __future__ import annotations

__all__ = ["IdFilter"]

_ID_BITS = 25  # 2**25 bits = 4 MiB
_ID_MASK = (1 << _ID_BITS) - 1


class IdFilter:
    """A 2-probe Bloom filter over xxh64(doc id) of every id in the index's SQLite (also outside
    the window), so a new id needs no SQLite lookup; false positives (~0.4 % at 1M ids) only
    cost that lookup."""

    def __init__(self):
        self.bits = bytearray(1 << (_ID_BITS - 3))

    def mark(self, h: int) -> None:
        a, b = h & _ID_MASK, (h >> 32) & _ID_MASK
        f = self.bits
        f[a >> 3] |= 1 << (a & 7)
        f[b >> 3] |= 1 << (b & 7)

    def maybe_seen(self, h: int) -> bool:
        a, b = h & _ID_MASK, (h >> 32) & _ID_MASK
        f = self.bits
        return bool(f[a >> 3] & (1 << (a & 7))) and bool(f[b >> 3] & (1 << (b & 7)))

    def nbytes(self) -> int:
        return len(self.bits)
