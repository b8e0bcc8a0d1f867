"""Extraction and metadata on real German news portals: ../shared/data/fundus_dev (45 pages of
29 portals with full ground truth), scored field by field with ../shared/tools/score_fundus.py.

Runs exactly the `crawler extract` code path (extract + clean, no portal rules, no learned
templates) and prints body recall / line precision / F1, title, authors and date figures next
to trafilatura's (``extract(include_comments=False, output_format="json", with_metadata=True)``,
cached in eval/baselines.json by trafilatura version and data digest).

    python bench/fundus_quality.py [--data DIR] [--json] [--save DIR]

--save DIR keeps ours.jsonl and the scorer's per-page details (ours.jsonl.score.json).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from crawler.extract_eval import baseline_key, cached  # noqa: E402

DEFAULT_DATA = Path(os.environ.get("CRAWLER_EVAL_DATA") or REPO.parent / "shared" / "data") / "fundus_dev"
FIELDS = ("body_recall", "line_precision", "body_f1", "shingle_f1", "title_exact", "authors_f1",
          "date_day", "date_minute")
GOALS = {"body_f1": 0.95, "line_precision": 0.93, "body_recall": 0.97, "title_exact": 0.95,
         "authors_f1": 0.93, "date_minute": 0.95}


def pages(data: Path):
    truth = json.loads((data / "truth.json").read_text(encoding="utf-8"))
    for pid in sorted(truth):
        yield pid, truth[pid]["url"], gzip.decompress((data / "html" / f"{pid}.html.gz").read_bytes())


def ours(html: bytes, url: str) -> dict:
    from crawler.commands.extract import _Portal, process_page

    return process_page(html, url, _Portal(), None, False)


def trafilatura_record(html: bytes, url: str) -> dict:
    import trafilatura

    out = trafilatura.extract(html, url=url, include_comments=False, output_format="json", with_metadata=True)
    d = json.loads(out) if out else {}
    return {"text": d.get("text") or "", "title": d.get("title"), "authors": d.get("author") or "",
            "published": d.get("date")}


def score(data: Path, fn, out_dir: Path) -> dict:
    pred = out_dir / "pred.jsonl"
    with open(pred, "w", encoding="utf-8") as fh:
        for pid, url, html in pages(data):
            rec = fn(html, url)
            fh.write(json.dumps({"id": pid, **{k: rec.get(k) for k in ("text", "title", "authors", "published")}},
                                ensure_ascii=False) + "\n")
    tool = data.resolve().parents[1] / "tools" / "score_fundus.py"
    proc = subprocess.run([sys.executable, str(tool), str(data / "truth.json"), str(pred)],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--save", type=Path, metavar="DIR")
    args = ap.parse_args(argv)
    if not (args.data / "truth.json").exists():
        print(f"evaluation data missing: {args.data}", file=sys.stderr)
        return 2
    res = run(args.data, args.save)
    if args.json:
        print(json.dumps(res, indent=1))
        return 0
    print(f"fundus_dev: {res['ours']['pages']} pages")
    print(f"{'':14}" + "".join(f"{f:>15}" for f in FIELDS))
    for name in ("ours", "trafilatura"):
        print(f"{name:14}" + "".join(f"{res[name][f] if res[name][f] is not None else '-':>15}" for f in FIELDS))
    print("goals:", ", ".join(f"{k} >= {v}: {'met' if res['ours'][k] >= v else 'NOT met'}" for k, v in GOALS.items()))
    return 0


def run(data: Path, save: Path | None = None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(save or tmp)
        out.mkdir(parents=True, exist_ok=True)
        mine = score(data, ours, out)
        if save:
            os.replace(out / "pred.jsonl", out / "ours.jsonl")
            os.replace(out / "pred.jsonl.score.json", out / "ours.jsonl.score.json")
        base_dir = Path(tmp) / "trafilatura"
        base_dir.mkdir(exist_ok=True)
        base = cached(baseline_key(data, "extract-json-metadata"), lambda: score(data, trafilatura_record, base_dir))
    return {"ours": mine, "trafilatura": base}


if __name__ == "__main__":
    sys.exit(main())
