"""Dedup memory per indexed article: resident memory of the process that serves queries.

Method: each configuration runs in a fresh subprocess. The process opens the index, feeds it
synthetic 120-word articles (a signature's size does not depend on the text length; the texts
are random draws from a 20,000-word vocabulary, so nearly every article is its own story, the
worst case for per-story state) and reads VmRSS from /proc/self/status at every checkpoint.
Reported: (RSS at checkpoint - RSS after opening the empty index and warming up) / articles,
which excludes the interpreter, numpy and the fixed-size boilerplate-line table (36 MiB,
reported separately), and the index's own accounting (``DedupIndex.memory_bytes``). Our index
runs on disk (``index.sqlite`` in a temporary directory, SQLite's page cache bounded by its
default of 2 MB), as in a crawl. The datasketch baseline keeps ``MinHashLSH(threshold=0.5,
num_perm=128)`` in memory (its default dict storage).

    python bench/dedup_memory.py [--max 1000000] [--baseline-n 100000]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def rss() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def texts(n: int, seed: int = 3):
    import numpy as np

    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i:05d}" for i in range(20000)])
    for start in range(0, n, 1000):
        block = rng.integers(0, len(vocab), size=(min(1000, n - start), 120))
        for row in block:
            yield " ".join(vocab[row])


def child_ours(checkpoints: list[int]) -> None:
    from crawler.dedup import open_index

    with tempfile.TemporaryDirectory() as tmp:
        idx = open_index(Path(tmp) / "idx", window_days=None)
        table = idx.lines.fp.nbytes + idx.lines.first.nbytes + idx.lines.count.nbytes
        gc.collect()
        base = rss()
        t0 = time.perf_counter()
        for i, t in enumerate(texts(max(checkpoints)), 1):
            idx.add(f"https://example.org/artikel/{i}.html", t)
            if i in checkpoints:
                idx.flush()
                gc.collect()
                print(json.dumps({"n": i, "rss_growth": rss() - base,
                                  "index_bytes": idx.memory_bytes(), "line_table": table,
                                  "seconds": round(time.perf_counter() - t0, 1)}), flush=True)
        idx.close()


def child_datasketch(n: int) -> None:
    from datasketch import MinHash, MinHashLSH

    from crawler.dedup.text import tokens

    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    gc.collect()
    base = rss()
    for i, t in enumerate(texts(n), 1):
        w = tokens(t)
        m = MinHash(num_perm=128)
        m.update_batch({" ".join(w[j:j + 5]).encode() for j in range(len(w) - 4)})
        lsh.insert(f"https://example.org/artikel/{i}.html", m)
    gc.collect()
    print(json.dumps({"n": n, "rss_growth": rss() - base}), flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max", type=int, default=1_000_000)
    ap.add_argument("--baseline-n", type=int, default=100_000)
    ap.add_argument("--child", choices=("ours", "datasketch"))
    ap.add_argument("--checkpoints", default="")
    a = ap.parse_args()
    if a.child == "ours":
        child_ours([int(x) for x in a.checkpoints.split(",")])
        return 0
    if a.child == "datasketch":
        child_datasketch(a.baseline_n)
        return 0
    points = [n for n in (10_000, 100_000, 1_000_000) if n <= a.max] or [a.max]
    cmd = [sys.executable, __file__, "--child", "ours", "--checkpoints", ",".join(map(str, points))]
    print("crawler.dedup (on-disk index, query process RSS growth):")
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) as p:
        for line in p.stdout:
            r = json.loads(line)
            print(f"  {r['n']:>9,} articles: {r['rss_growth'] / r['n']:7.0f} B/article RSS growth, "
                  f"{r['index_bytes'] / r['n']:7.0f} B/article in index arrays "
                  f"(+ fixed line table {r['line_table'] / 2**20:.0f} MiB), {r['seconds']} s")
    if a.baseline_n:
        out = subprocess.run([sys.executable, __file__, "--child", "datasketch",
                              "--baseline-n", str(a.baseline_n)], capture_output=True, text=True,
                             check=True)
        r = json.loads(out.stdout)
        print(f"datasketch MinHashLSH (in memory): {r['n']:>9,} articles: "
              f"{r['rss_growth'] / r['n']:7.0f} B/article RSS growth")
    return 0


if __name__ == "__main__":
    sys.exit(main())
