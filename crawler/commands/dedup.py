"""`crawler dedup`: run the pipeline's dedup stage on JSON Lines records, in file order."""

from __future__ import annotations

import json
import sys
from datetime import datetime

from crawler.dedup.params import WINDOW_DAYS


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "dedup", help="assign story clusters to JSON Lines records",
        description="Run the near-duplicate stage (optionally the clean stage first) on JSON "
        "Lines records in file order; write one line per record: "
        '{"id", "cluster", "representative", "nearest", "jaccard", "containment"}. '
        "Optional fields title, url, published are used when present; the portal never is.")
    p.add_argument("input", metavar="INPUT.jsonl")
    p.add_argument("--text-field", default="text")
    p.add_argument("--id-field", default=None,
                   help="field naming each record (default: the first of id, article_id, url "
                   "present: reads the output of `crawler export` and `crawler extract`)")
    p.add_argument("--clean", action="store_true",
                   help="run crawler.cleaning.clean_text on each text first")
    p.add_argument("--index", metavar="PATH",
                   help="persistent index directory (default: a fresh in-memory index)")
    p.add_argument("--window-days", type=float, default=WINDOW_DAYS,
                   help="stories older than this are no longer matched (default %(default)g)")
    p.add_argument("--out", metavar="OUT.jsonl", help="output file (default: stdout)")
    p.set_defaults(func=run)


ID_FIELDS = ("id", "article_id", "url")


def record_id(rec: dict, id_field: str | None, line: int) -> str:
    from crawler.preflight import UserError

    if not isinstance(rec, dict):
        raise UserError(f"line {line}: not a JSON object")
    fields = (id_field,) if id_field else ID_FIELDS
    for name in fields:
        value = rec.get(name)
        if value is None and name == "url":
            value = (rec.get("provenance") or {}).get("url")
        if value not in (None, ""):
            return str(value)
    raise UserError(f"line {line}: record has no {' / '.join(repr(f) for f in fields)} field (see --id-field)")


def dedup_records(records, *, text_field="text", id_field=None, clean=False, index=None,
                  window_days=WINDOW_DAYS):
    """Yield output dicts for ``records`` (iterable of dicts); shared by the CLI and benches."""
    from crawler.dedup import open_index

    clean_text = None
    if clean:
        from crawler.cleaning import clean_text  # lazily: the clean stage is optional here
    idx = open_index(index, window_days=window_days)
    try:
        for line, rec in enumerate(records, 1):
            doc_id = record_id(rec, id_field, line)
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
            d = idx.add(doc_id, text, published=published, title=title)
            yield {"id": d.doc_id, "cluster": d.cluster_id, "representative": d.representative,
                   "nearest": d.nearest, "jaccard": d.jaccard, "containment": d.containment}
    finally:
        idx.close()


def _read(path):
    from crawler.preflight import UserError

    try:
        f = open(path, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from None
    with f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise UserError(f"{path} line {n}: not JSON ({exc.msg})") from None


def run(args) -> int:
    """Output goes to a temporary file renamed into place at the end: a failed run leaves no
    empty or partial output behind."""
    import os
    import tempfile

    records = dedup_records(_read(args.input), text_field=args.text_field, id_field=args.id_field,
                            clean=args.clean, index=args.index, window_days=args.window_days)
    if not args.out:
        for rec in records:
            sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")
        return 0
    target = os.path.abspath(args.out)
    fd, tmp = tempfile.mkstemp(prefix=".dedup-", suffix=".part", dir=os.path.dirname(target))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            for rec in records:
                out.write(json.dumps(rec, ensure_ascii=False) + "\n")
        os.replace(tmp, target)
        tmp = None
    finally:
        if tmp is not None:
            os.unlink(tmp)
    return 0
