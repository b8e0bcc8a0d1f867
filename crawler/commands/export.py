"""`crawler export`: de-duplicated articles for downstream systems."""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext

from crawler.export import export_records
from crawler.store import open_store


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "export",
        help="write de-duplicated articles as JSON Lines",
        description="Write one record per story cluster (the representative with its members) or, "
        "with --all-members, every article with its cluster. Each record carries schema_version, "
        "seq, the extracted fields and provenance (WARC file, offset, length, record ID, payload digest).",
    )
    p.add_argument("--format", choices=["jsonl"], default="jsonl", help="output format (default: jsonl)")
    p.add_argument("--after-seq", type=int, default=0, metavar="N",
                   help="only clusters/articles changed after sequence number N (incremental pulls)")
    p.add_argument("--all-members", action="store_true", help="every article, not one record per story")
    p.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")
    p.set_defaults(func=run)


def run(args) -> int:
    if not args.data_dir.articles_db.exists():
        print(f"crawler export: no article store in {args.data_dir} (run a crawl or `crawler demo` first)",
              file=sys.stderr)
        return 2
    store = open_store(args.data_dir, read_only=True)
    count = 0
    try:
        with (open(args.out, "w", encoding="utf-8") if args.out else nullcontext(sys.stdout)) as out:
            for record in export_records(store, after_seq=args.after_seq, all_members=args.all_members):
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                count += 1
    finally:
        store.close()
    if args.out:
        print(f"{count} records written to {args.out}", file=sys.stderr)
    return 0
