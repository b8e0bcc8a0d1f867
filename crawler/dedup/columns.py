"""Append-only numpy columns: the query-side per-document and per-story arrays."""

from __future__ import annotations

import numpy as np

__all__ = ["Grow"]


class Grow:
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
