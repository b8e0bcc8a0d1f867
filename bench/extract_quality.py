"""Extraction quality: our extract + clean vs trafilatura on ../shared/data/extract_de_dev.

Both run in the same process on the same 326 German pages and are scored with the shared
with/without snippet scorer (../shared/tools/score_withwithout.py).

    python bench/extract_quality.py [--data DIR] [--json] [--save-predictions DIR]

trafilatura's figures come from the baseline cache (eval/baselines.json, keyed by trafilatura
version and data digest); --save-predictions runs trafilatura again to save its output.

Bars (issue 3): ours F1 >= 0.95, precision >= 0.95, recall >= trafilatura's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from crawler.extract_eval import cached_baseline, load_pages, ours, predict, scorer, trafilatura_baseline  # noqa: E402

DEFAULT_DATA = Path(os.environ.get("CRAWLER_EVAL_DATA") or REPO.parent / "shared" / "data") / "extract_de_dev"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--save-predictions", type=Path, metavar="DIR")
    args = ap.parse_args(argv)
    if not (args.data / "annotations.json").exists():
        print(f"evaluation data missing: {args.data}", file=sys.stderr)
        return 2
    ann, pages = load_pages(args.data)
    score = scorer(args.data)
    pred_ours = predict(ours, ann, pages)
    pred_traf = predict(trafilatura_baseline, ann, pages) if args.save_predictions else None
    base = score(ann, pred_traf) if pred_traf is not None else cached_baseline(args.data)
    res = {"pages": len(pages), "ours": score(ann, pred_ours), "trafilatura": base}
    o, t = res["ours"], res["trafilatura"]
    res["bars_met"] = o["f1"] >= 0.95 and o["precision"] >= 0.95 and o["recall"] >= t["recall"]
    if args.save_predictions:
        args.save_predictions.mkdir(parents=True, exist_ok=True)
        (args.save_predictions / "ours.json").write_text(json.dumps(pred_ours, ensure_ascii=False))
        (args.save_predictions / "trafilatura.json").write_text(json.dumps(pred_traf, ensure_ascii=False))
    if args.json:
        print(json.dumps(res, indent=1))
    else:
        print(f"extract_de_dev: {len(pages)} pages")
        print(f"{'':14}{'F1':>8}{'P':>8}{'R':>8}{'TP':>6}{'FP':>6}{'FN':>6}")
        for name, s in (("ours", o), ("trafilatura", t)):
            print(f"{name:14}{s['f1']:8.4f}{s['precision']:8.4f}{s['recall']:8.4f}{s['tp']:6}{s['fp']:6}{s['fn']:6}")
        print("bars (F1 >= 0.95, P >= 0.95, R >= trafilatura):", "met" if res["bars_met"] else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
