"""Extraction speed: our extract + clean (with metadata) vs
``trafilatura.bare_extraction(html, include_comments=False, with_metadata=True)``.

Same pages (../shared/data/extract_de_dev, 326 German pages), same process, alternating
rounds so both see the same machine state. Prints pages/s of each and the ratio.

    python bench/extract_speed.py [--data DIR] [--rounds 3] [--json]

Bar (issue 12): ratio ours / trafilatura >= 1.0.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import trafilatura  # noqa: E402

from crawler.cleaning import clean_text  # noqa: E402
from crawler.extract import extract_article  # noqa: E402
from crawler.extract_eval import load_pages  # noqa: E402

DEFAULT_DATA = Path(os.environ.get("CRAWLER_EVAL_DATA") or REPO.parent / "shared" / "data") / "extract_de_dev"


def ours(html: bytes, url: str | None) -> None:
    art = extract_article(html, url)
    clean_text(art["text"], title=art["title"], section=art["section"])


def baseline(html: bytes, url: str | None) -> None:
    trafilatura.bare_extraction(html, url=url, include_comments=False, with_metadata=True)


def _time(fn, items) -> float:
    t0 = time.perf_counter()
    for html, url in items:
        fn(html, url)
    return time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if not (args.data / "annotations.json").exists():
        print(f"evaluation data missing: {args.data}", file=sys.stderr)
        return 2
    ann, pages = load_pages(args.data)
    items = [(html, ann[name].get("url")) for name, html in pages.items()]
    _time(ours, items[:20]), _time(baseline, items[:20])  # warm-up (imports, caches)
    t_ours = t_base = 0.0
    for _ in range(args.rounds):
        t_base += _time(baseline, items)
        t_ours += _time(ours, items)
    n = len(items) * args.rounds
    res = {"pages": len(items), "rounds": args.rounds,
           "ours_pages_per_s": round(n / t_ours, 1), "trafilatura_pages_per_s": round(n / t_base, 1),
           "ratio": round(t_base / t_ours, 3)}
    res["bar_met"] = res["ratio"] >= 1.0
    if args.json:
        print(json.dumps(res, indent=1))
    else:
        print(f"ours (extract + clean, metadata): {res['ours_pages_per_s']:8.1f} pages/s")
        print(f"trafilatura bare_extraction:      {res['trafilatura_pages_per_s']:8.1f} pages/s")
        print(f"speed ratio ours/trafilatura: {res['ratio']:.2f}x (bar >= 1.0x: {'met' if res['bar_met'] else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
