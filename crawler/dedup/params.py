"""The decision a near-duplicate index returns and the parameters that define its signatures."""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["DedupDecision", "Params", "rounded", "WINDOW_DAYS"]

# Stories whose last member is older than this many days are no longer matched (the crawl's
# CRAWLER_DEDUP_WINDOW_DAYS in settings.py is this value).
WINDOW_DAYS = 30.0


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


def rounded(x: float | None) -> float | None:
    """Similarities as stored and reported: 4 decimals."""
    return None if x is None else round(float(x), 4)
