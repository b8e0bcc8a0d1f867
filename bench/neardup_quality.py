"""Near-duplicate quality on ../shared/data/neardup: pair F1 and hard-negative merges.

Runs exactly the `crawler dedup` code path (fresh in-memory index, file order) on the dev docs,
feeding only doc_id, the text field and the title, then the official scorer
(../shared/tools/eval_neardup.py). Reports text_clean, text_raw (raw without cleaning; with
--clean the clean stage runs first) and the scorer's exact 5-shingle-Jaccard>=0.5 reference.

    python bench/neardup_quality.py [--data DIR] [--split dev] [--clean] [--no-reference]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED_DATA = Path(os.environ.get("CRAWLER_EVAL_DATA") or ROOT.parent / "shared" / "data")
DEFAULT_DATA = SHARED_DATA / "neardup"
SCORER = SHARED_DATA.parent / "tools" / "eval_neardup.py"


def predict(docs_path: Path, field: str, clean: bool = False) -> dict[str, str]:
    from crawler.commands.dedup import dedup_records

    def records():
        with open(docs_path, encoding="utf-8") as f:
            for line in f:
                d = json.loads(line)
                yield {"doc_id": d["doc_id"], field: d[field], "title": d.get("title")}

    return {r["id"]: r["cluster"] for r in dedup_records(
        records(), text_field=field, id_field="doc_id", clean=clean, window_days=None)}


def score(docs_path: Path, pairs_path: Path, pred: dict | None, *extra: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        args = [sys.executable, str(SCORER), str(docs_path), str(pairs_path)]
        if pred is not None:
            p = Path(tmp) / "pred.json"
            p.write_text(json.dumps(pred), encoding="utf-8")
            args.append(str(p))
        out = subprocess.run(args + list(extra), check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def evaluate(data: Path, split: str = "dev", clean_raw: bool = False) -> dict:
    docs, pairs = data / f"{split}_docs.jsonl", data / f"{split}_pairs.jsonl"
    res = {}
    for field, clean in (("text_clean", False), ("text_raw", clean_raw)):
        res[field] = score(docs, pairs, predict(docs, field, clean))
        res[field]["cleaned_first"] = clean
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--split", default="dev")
    ap.add_argument("--clean", action="store_true", help="clean text_raw with crawler.cleaning first")
    ap.add_argument("--no-reference", action="store_true")
    ap.add_argument("--json", action="store_true", help="print the full scorer output")
    a = ap.parse_args()
    res = evaluate(a.data, a.split, a.clean)
    for field, r in res.items():
        print(f"{field:<11} F1 {r['pair_f1']:.4f}  P {r['pair_precision']:.4f}  "
              f"R {r['pair_recall']:.4f}  ARI {r['ari']:.4f}  cleaned first: {r['cleaned_first']}")
        print(f"            hard-negative merges: {r['fp_rate_by_hard_negative_kind']}")
        if a.json:
            print(json.dumps(r, indent=1))
    if not a.no_reference:
        docs, pairs = a.data / f"{a.split}_docs.jsonl", a.data / f"{a.split}_pairs.jsonl"
        for field in ("text_clean", "text_raw"):
            r = score(docs, pairs, None, "--baseline-jaccard", "0.5", "--field", field)
            print(f"reference exact 5-shingle J>=0.5 on {field}: F1 {r['pair_f1']:.4f}  "
                  f"hard-negative merges: {r['fp_rate_by_hard_negative_kind']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
