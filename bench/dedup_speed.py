"""Dedup speed: text in, decision out, vs a plain datasketch MinHash + MinHashLSH run.

Both run in this process on one core over the same ~600-word texts (dev-set articles of
300-900 words plus synthetic articles of 600 words drawn from the dev vocabulary, so every
text is distinct). Timed for ours: normalising, boilerplate-line lookup, shingling, signature,
LSH query, verification, insert, SQLite bookkeeping (``DedupIndex.add``). Timed for the
baseline: the same normalisation and 5-word shingles, ``MinHash(num_perm=128).update_batch``,
``MinHashLSH(threshold=0.5).query`` and ``.insert``.

    python bench/dedup_speed.py [-n 5000] [--index-dir DIR]
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "neardup" / "dev_docs.jsonl"


def corpus(n: int, seed: int = 7) -> list[str]:
    docs = [json.loads(line)["text_clean"] for line in open(DATA, encoding="utf-8")]
    real = [t for t in docs if 300 <= len(t.split()) <= 900]
    vocab = [w for t in docs for w in t.split()]
    rng = random.Random(seed)
    texts = list(real)
    while len(texts) < n:
        words = [rng.choice(vocab) for _ in range(600)]
        texts.append("\n\n".join(" ".join(words[i:i + 60]) for i in range(0, 600, 60)))
    rng.shuffle(texts)
    return texts[:n]


def run_ours(texts: list[str], path) -> float:
    from crawler.dedup import open_index

    idx = open_index(path, window_days=None)
    t0 = time.perf_counter()
    for i, t in enumerate(texts):
        idx.add(f"doc-{i}", t)
    idx.flush()
    dt = time.perf_counter() - t0
    idx.close()
    return dt


def run_datasketch(texts: list[str]) -> float:
    from datasketch import MinHash, MinHashLSH

    from crawler.dedup.text import tokens

    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    t0 = time.perf_counter()
    for i, t in enumerate(texts):
        w = tokens(t)
        sh = {" ".join(w[j:j + 5]).encode("utf-8") for j in range(max(1, len(w) - 4))}
        m = MinHash(num_perm=128)
        m.update_batch(sh)
        lsh.query(m)
        lsh.insert(f"doc-{i}", m)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=5000)
    ap.add_argument("--index-dir", help="directory for the persistent-index run")
    ap.add_argument("--repeat", type=int, default=3,
                    help="alternate the runs this often and keep each one's best time")
    a = ap.parse_args()
    try:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    except (AttributeError, OSError):
        pass
    texts = corpus(a.n)
    words = sum(len(t.split()) for t in texts) / len(texts)
    print(f"{len(texts)} texts, {words:.0f} words on average, one core")
    run_ours(texts[:200], None)  # warm-up (imports, caches)
    ds = mem = disk = float("inf")
    for r in range(a.repeat):
        ds = min(ds, run_datasketch(texts))
        mem = min(mem, run_ours(texts, None))
        with tempfile.TemporaryDirectory() as tmp:
            disk = min(disk, run_ours(texts, Path(a.index_dir or tmp) / f"idx-{r}"))
    n = len(texts)
    print(f"datasketch MinHash+MinHashLSH : {n / ds:8.0f} docs/s")
    print(f"crawler.dedup (in-memory)     : {n / mem:8.0f} docs/s  ratio {ds / mem:.2f}x")
    print(f"crawler.dedup (on-disk index) : {n / disk:8.0f} docs/s  ratio {ds / disk:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
