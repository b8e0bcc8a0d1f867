"""Near-duplicate detection and story clusters (MinHash-LSH with verification).

``open_index(path | None, **options) -> DedupIndex``; ``DedupIndex.add(doc_id, text,
published=, title=) -> DedupDecision``. Decisions never look at the portal.

How a document is decided
-------------------------
1. Lines are normalised (NFKC, case, quotes/dashes, ß->ss, umlauts->ae/oe/ue, whitespace).
   Lines that the index has learned to be *boilerplate* are dropped: a short line (<= 30 words,
   words starting with a digit folded) that has already been seen under two stories other than
   the first one it appeared in is page residue ("Diesen Artikel teilen", cookie notices,
   "Lesezeit: 3 Min.", rubric lines), because the paragraphs of one story repeat only inside
   that story. This is what makes raw, uncleaned text work (see figures below); a clean stage in
   front of the index (``crawler dedup --clean``) does the same job with explained rules.
2. Exact duplicates: the 64-bit hash of the normalised word sequence joins the earlier copy.
3. 5-word shingles -> 128 min-wise hashes (32-bit, numpy); the first 32 hash values are the LSH
   bands (one row each) and the signature is stored as 128 x 16 bits.
4. Candidates sharing any band are verified against their stored signature: estimated Jaccard
   ``J`` and containment ``C = |A∩B| / min(|A|,|B|)`` (from ``J`` and the stored shingle
   counts). Merge if ``J >= 0.7``, or if containment computed from a lower confidence bound of
   ``J`` (``J - 1.0 * sqrt(J(1-J)/128)``) is ``>= 0.35`` with the smaller text having >= 25
   shingles and >= 20 estimated shared shingles (so stubs that share one legal sentence stay
   apart). The decision records the point estimates of ``J`` and ``C``.
5. Drift guard: a newcomer joins the story of its best verified match only if it also reaches
   ``C >= 0.2`` against the story's anchor (first member); stories are never merged with each
   other, so one weak middle member cannot chain two stories together.
6. The representative is the earliest-published member (ties: first inserted); the stable
   cluster id is derived from the first member's doc id and stored.

Why these parameters (dev set ``neardup/dev``, 938 docs, exact-set analysis + MinHash runs)
-------------------------------------------------------------------------------------------
* Shingle size 5 (vs 3, 4): on exact sets, positive pairs reach containment >= 0.447 while
  every negative with >= 25 shingles stays <= 0.333 (3-grams: negatives up to 0.52); 3-grams
  merged 6 stub pairs in the MinHash run, 4- and 5-grams none.
* Containment, not Jaccard, carries shortened versions: positive pairs go down to J = 0.057
  (short version of a long report) at C = 0.48. Hard-negative stubs reach J = 0.42 and
  C = 0.61 but share only ~11 shingles (positives share >= 28) -> the size/shared guards.
* Lower bound instead of the point estimate: at J ~ 0.08 the estimate's relative error is
  ~40 %, and in 1 of 18 runs (3 hash seeds x 3 document orders) a partial-quote negative
  (true C = 0.33) was estimated at C = 0.42 and merged. With the bound at z = 1 and threshold
  0.35 all 18 runs have zero hard-negative merges and pair F1 >= 0.9965 on both text fields
  (threshold 0.40: also zero merges, F1 >= 0.995).
* 128 permutations: the containment estimate for J ~ 0.1 pairs needs them; 16-bit storage
  loses nothing measurable (collision rate 2^-16) and halves the memory.
* 32 one-row bands: a pair with J = 0.06 still shares at least one of 32 minima with
  probability 1 - 0.94^32 = 0.86 (and 0.97 at J = 0.1); multi-row bands miss short versions.
* Results and the datasketch comparison: ``bench/neardup_quality.py``, ``bench/dedup_speed.py``,
  ``bench/dedup_memory.py``.

Measured (dev set, this 2-core machine shared with other work; one configuration throughout)
--------------------------------------------------------------------------------------------
* Quality (``bench/neardup_quality.py``, file order, seed 1): pair F1 0.9965 on ``text_clean``;
  ``text_raw`` 0.9986 without any cleaning and 1.0000 with ``--clean``; zero merges on every
  hard-negative kind. Reference exact 5-shingle J >= 0.5: 0.868 / 0.665. Over 3 seeds x 3
  document orders: F1 >= 0.994 on both fields, never a hard-negative merge.
* Speed (``bench/dedup_speed.py``, 5,000 texts of ~590 words, one core, best of 3 per run;
  measured on this machine while other work ran on it, load average ~1 on 2 cores): datasketch
  MinHash(update_batch)+MinHashLSH 946-962 docs/s; this index 4,739-5,195 docs/s in memory
  (5.0-5.4x) and 4,693-5,188 docs/s with the on-disk index (4.9-5.4x) over three runs. The
  on-disk index used to be ~15 % slower than the in-memory one (4.4x in the same conditions):
  every ``commit_every`` decisions it rewrote the 36 MiB boilerplate-line table as an ``.npz``,
  and every decision looked its doc id up in SQLite. The table is now a memory-mapped file
  updated in place and new doc ids are screened by a Bloom filter; decisions are unchanged
  (identical output on the dev set and the bench texts). The ratio moves by ~10 % with load.
* Memory (``bench/dedup_memory.py``, on-disk index, RSS growth of the query process):
  10k: 3.7 KB/article (fixed costs dominate), 100k: 1.2 KB, 1M: 648 B/article (was 660 B
  before the memory-mapped line table and the 4 MiB doc-id filter, both resident from the
  start); datasketch MinHashLSH in memory at 100k: 9.1 KB/article (same texts, same method).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .params import WINDOW_DAYS, DedupDecision, Params

if TYPE_CHECKING:
    from .index import DedupIndex

__all__ = ["open_index", "crawl_index_options", "DedupIndex", "DedupDecision", "Params", "WINDOW_DAYS"]


def __getattr__(name: str):
    # the index (numpy, SQLite) is imported when used: `crawler --help` and settings.py read
    # WINDOW_DAYS without it
    if name == "DedupIndex":
        from .index import DedupIndex

        return DedupIndex
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def crawl_index_options(settings, data_dir) -> tuple[str | Path, float | None]:
    """(location, window_days) of the crawl's index from Scrapy ``settings``
    (CRAWLER_DEDUP_INDEX, else the data directory's; CRAWLER_DEDUP_WINDOW_DAYS, empty: none)."""
    window = settings.get("CRAWLER_DEDUP_WINDOW_DAYS")
    return (settings.get("CRAWLER_DEDUP_INDEX") or data_dir.dedup_index,
            float(window) if window not in (None, "") else None)


def open_index(path: str | Path | None = None, **options) -> DedupIndex:
    """``None``: fresh in-memory index; a directory path: persistent local index;
    ``redis://host:port/db``: an index shared by several processes (``RedisDedupIndex``,
    option ``prefix`` for the key prefix).

    Options: ``window_days`` (default ``params.WINDOW_DAYS``, 30; ``None`` = unlimited), ``params`` (``Params``),
    ``commit_every`` (decisions per SQLite commit; ``close()``/``flush()`` always commit).
    """
    if isinstance(path, str) and path.startswith(("redis://", "rediss://", "unix://")):
        from .redis_index import RedisDedupIndex

        return RedisDedupIndex(path, **options)
    from .index import DedupIndex

    return DedupIndex(path, **options)
