"""Verification of LSH candidates against their stored signatures: estimated Jaccard and
containment, and the acceptance rule (see the package docstring for the measurements)."""

from __future__ import annotations

import numpy as np

from .params import Params

__all__ = ["EMPTY16", "accept", "similarity"]

EMPTY16 = 0xFFFF  # a signature value of a text without shingles


def similarity(sigs: np.ndarray, sizes: np.ndarray, sig16: np.ndarray, size: int, num_perm: int):
    """Estimated J, containment, shared shingles and smaller size of the candidates with the
    stored 16-bit signatures ``sigs`` and shingle counts ``sizes`` against a newcomer."""
    eq = (sigs == sig16).sum(axis=1)
    valid = (sigs != EMPTY16).any(axis=1)
    j = np.where(valid, eq / num_perm, 0.0)
    sizes = sizes.astype(np.float64)
    inter = j * (sizes + size) / (1.0 + j)
    small = np.maximum(np.minimum(sizes, size), 1.0)
    c = np.minimum(1.0, inter / small)
    return j, c, inter, np.minimum(sizes, size)


def accept(p: Params, j, c, inter, small) -> np.ndarray:
    if p.z:
        # low Jaccard estimates are noisy (relative error ~ sqrt((1-J)/(J*K))), and the
        # containment derived from them inherits it: test a lower confidence bound
        jl = np.maximum(j - p.z * np.sqrt(j * (1.0 - j) / p.num_perm), 0.0)
        c = c * np.divide(jl * (1.0 + j), j * (1.0 + jl), out=np.zeros_like(j), where=j > 0)
        inter = inter * np.divide(jl * (1.0 + j), j * (1.0 + jl), out=np.zeros_like(j),
                                  where=j > 0)
    return (j >= p.jaccard) | ((c >= p.containment) & (small >= p.min_shingles)
                               & (inter >= p.min_shared))
