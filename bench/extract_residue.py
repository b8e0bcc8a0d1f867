"""Residue cleaning on labelled text: ../shared/data/neardup/dev_docs.jsonl.

Each document there has ``text_raw`` (article plus portal residue lines) and ``residue_lines``
(exactly the lines added). We clean ``text_raw`` with crawler.cleaning (no portal rules, no
learned templates) and report the share of residue lines removed and the share of article lines
wrongly removed, overall and per language, plus the rules that removed article lines.

    python bench/extract_residue.py [--data FILE] [--json]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from crawler.cleaning import clean_text  # noqa: E402

DEFAULT_DATA = Path(os.environ.get("CRAWLER_EVAL_DATA") or REPO.parent / "shared" / "data") / "neardup" / "dev_docs.jsonl"


def evaluate(docs) -> dict:
    per_lang = collections.defaultdict(lambda: collections.Counter())
    wrong_rules = collections.Counter()
    for d in docs:
        res = clean_text(d["text_raw"], title=d.get("title"))
        removed = {r["line"]: r["rule"] for r in res.removed}
        residue = {line.strip() for line in d["residue_lines"]}
        c = per_lang[d.get("lang") or "?"]
        for line in (ln.strip() for ln in d["text_raw"].split("\n")):
            if not line:
                continue
            if line in residue:
                c["residue"] += 1
                c["residue_removed"] += line in removed
            else:
                c["article"] += 1
                if line in removed:
                    c["article_removed"] += 1
                    wrong_rules[removed[line]] += 1
    total = sum(per_lang.values(), collections.Counter())

    def rates(c):
        return {"residue_lines": c["residue"], "residue_removed": round(c["residue_removed"] / max(c["residue"], 1), 4),
                "article_lines": c["article"], "article_removed": round(c["article_removed"] / max(c["article"], 1), 5)}

    return {"docs": len(docs), "all": rates(total),
            "by_language": {k: rates(v) for k, v in sorted(per_lang.items(), key=lambda kv: -kv[1]["article"])},
            "article_lines_removed_by_rule": dict(wrong_rules)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if not args.data.exists():
        print(f"evaluation data missing: {args.data}", file=sys.stderr)
        return 2
    docs = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    res = evaluate(docs)
    if args.json:
        print(json.dumps(res, indent=1))
        return 0
    a = res["all"]
    print(f"{res['docs']} documents: residue lines removed {a['residue_removed']:.1%} of {a['residue_lines']}, "
          f"article lines removed {a['article_removed']:.3%} of {a['article_lines']}")
    for lang, r in res["by_language"].items():
        print(f"  {lang:6} residue removed {r['residue_removed']:6.1%} of {r['residue_lines']:5}   "
              f"article lines removed {r['article_removed']:7.3%} of {r['article_lines']}")
    if res["article_lines_removed_by_rule"]:
        print("article lines removed, by rule:", res["article_lines_removed_by_rule"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
