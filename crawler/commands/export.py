"""`crawler export`: de-duplicated articles for downstream systems (JSON Lines, Parquet, CSV)."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path

from crawler.commands._reader import ReaderError, open_reader
from crawler.export import RecordFilter, export_records, parse_since
from crawler.export.formats import write_csv, write_jsonl, write_parquet


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "export",
        help="write de-duplicated articles as JSON Lines, Parquet or CSV",
        description="Write one record per story cluster (the representative with its members) or, "
        "with --all-members, every article with its cluster. Each record carries schema_version, "
        "seq, the extracted fields and provenance (WARC file, offset, length, record ID, payload "
        "digest); the format is published as JSON Schemas in schema/.",
    )
    p.add_argument("--format", choices=["jsonl", "parquet", "csv"], default="jsonl",
                   help="jsonl (default), parquet (typed columns as in schema/; needs --out) or csv")
    p.add_argument("--after-seq", type=int, default=0, metavar="N",
                   help="only clusters/articles changed after sequence number N (incremental pulls)")
    p.add_argument("--all-members", action="store_true", help="every article, not one record per story")
    p.add_argument("--since", metavar="TIME",
                   help="only articles (stories with an article) fetched at or after TIME: ISO 8601 "
                   "(2026-12-01, 2026-12-01T08:00Z) or relative (36h, 7d)")
    p.add_argument("--portal", metavar="NAME",
                   help="only articles of portal NAME (stories with a member from it)")
    p.add_argument("--partition", choices=["day"],
                   help="parquet: write a directory with one file per UTC day of the fetch time")
    p.add_argument("--out", metavar="PATH", help="write to PATH instead of stdout (a directory with --partition)")
    p.set_defaults(func=run)


def _fail(message: str) -> int:
    print(f"crawler export: {message}", file=sys.stderr)
    return 2


def run(args) -> int:
    if args.format == "parquet" and not args.out:
        return _fail("--format parquet writes a file: give --out PATH")
    if args.partition and args.format != "parquet":
        return _fail("--partition day is for --format parquet")
    try:
        since = parse_since(args.since) if args.since else None
    except ValueError as exc:
        return _fail(f"--since: {exc}")
    where = RecordFilter(portal=args.portal, fetched_after=since)
    kind = "article" if args.all_members else "story"
    try:
        store = open_reader(args)
    except ReaderError as exc:
        return _fail(str(exc))
    try:
        records = export_records(store, after_seq=args.after_seq, all_members=args.all_members, where=where)
        if args.format == "parquet":
            count = write_parquet(records, kind, Path(args.out), partition=args.partition)
        else:
            encoding = "utf-8-sig" if args.format == "csv" else "utf-8"
            opened = open(args.out, "w", encoding=encoding, newline="") if args.out else nullcontext(sys.stdout)
            with opened as out:
                count = (write_csv if args.format == "csv" else _jsonl)(records, kind, out)
    finally:
        store.close()
    if args.out:
        print(f"{count} records written to {args.out}", file=sys.stderr)
    return 0


def _jsonl(records, kind, out) -> int:
    return write_jsonl(records, out)
