"""`crawler dedup`: run the pipeline's dedup stage on JSON Lines records, in file order."""

from __future__ import annotations

import json
import sys
from datetime import datetime


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "dedup", help="assign story clusters to JSON Lines records",
        description="Run the near-duplicate stage (optionally the clean stage first) on JSON "
        "Lines records in file order; write one line per record: "
        '{"id", "cluster", "representative", "nearest", "jaccard", "containment"}. '
        "Optional fields title, url, published are used when present; the portal never is.")
    p.add_argument("input", metavar="INPUT.jsonl")
    p.add_argument("--text-field", default="text")
    p.add_argument("--id-field", default="id")
    p.add_argument("--clean", action="store_true",
                   help="run crawler.clean.clean_text on each text first")
    p.add_argument("--index", metavar="PATH",
                   help="persistent index directory (default: a fresh in-memory index)")
    p.add_argument("--window-days", type=float, default=30.0,
                   help="stories older than this are no longer matched (default 30)")
    p.add_argument("--out", metavar="OUT.jsonl", help="output file (default: stdout)")
    p.set_defaults(func=run)


def dedup_records(records, *, text_field="text", id_field="id", clean=False, index=None,
                  window_days=30.0):
    """Yield output dicts for ``records`` (iterable of dicts); shared by the CLI and benches."""
    from crawler.dedup import open_index

    clean_text = None
    if clean:
        from crawler.clean import clean_text  # lazily: the clean stage is optional here
    idx = open_index(index, window_days=window_days)
    try:
        for rec in records:
            text = rec.get(text_field) or ""
            title = rec.get("title")
            if clean_text is not None:
                text = clean_text(text, title=title).text
            published = rec.get("published")
            if isinstance(published, str):
                try:
                    published = datetime.fromisoformat(published.replace("Z", "+00:00"))
                except ValueError:
                    published = None
            d = idx.add(str(rec[id_field]), text, published=published, title=title)
            yield {"id": d.doc_id, "cluster": d.cluster_id, "representative": d.representative,
                   "nearest": d.nearest, "jaccard": d.jaccard, "containment": d.containment}
    finally:
        idx.close()


def _read(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def run(args) -> int:
    out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout
    try:
        for rec in dedup_records(_read(args.input), text_field=args.text_field,
                                 id_field=args.id_field, clean=args.clean, index=args.index,
                                 window_days=args.window_days):
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
    finally:
        if out is not sys.stdout:
            out.close()
    return 0
