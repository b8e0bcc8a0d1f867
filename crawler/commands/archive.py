"""``crawler archive ls`` and ``crawler archive verify``: inspect and check the WARC archive.

    crawler archive ls     [--store URI] [--s3-endpoint URL] [--json]
    crawler archive verify [--store URI] [--s3-endpoint URL] [--since ISO] [--file NAME]...
                           [--no-pointers] [--json]

The store is ``--store``, else ``$CRAWLER_ARCHIVE``, else ``<data dir>/archive``; the S3
endpoint ``--s3-endpoint``, else ``$CRAWLER_S3_ENDPOINT``, else boto3's own
``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL``.

``verify`` reads every selected WARC to the end, gzip member by member (see
:mod:`crawler.archive.verify` and :mod:`crawler.archive.audit`): records parse; block and
payload digests are recomputed; request and response records pair up (WARC-Concurrent-To, same
URI); the file starts with warcinfo; its SHA-256 equals the one stored at upload; the CDXJ
sidecar exists, is sorted and equals what ``cdxj-indexer --sort`` writes for the file; every
revisit's original (WARC-Refers-To) is found in the archive with the same URI and payload
digest; and (unless ``--no-pointers``) every stored article's WARC pointer resolves to the
record it names (through ``refers_to`` for revisits). Each fault names the file and offset;
it prints a report and exits 1 on any fault, never a traceback. Files still waiting in the
local spool are reported too.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from datetime import datetime, timezone
from typing import Iterable

from crawler.archive import WARC_SUFFIX, cdxj_name, scan_gzip_members, verify_pointers
from crawler.archive.audit import Originals, verify_file
from crawler.archive.blobstore import BlobStore, open_blobstore

def register(subparsers) -> None:
    p = subparsers.add_parser(
        "archive", help="list, verify, find, get and package the WARC archive",
        description="List and verify the WARC files (and CDXJ indexes) in the archive store; find "
        "captures and get records through the collection index; package articles as WACZ.",
    )
    sub = p.add_subparsers(dest="archive_command", metavar="ACTION", required=True)

    def common(sp):
        sp.add_argument("--store", help="archive location: directory, file:// or s3://bucket/prefix "
                        "(default: $CRAWLER_ARCHIVE or <data dir>/archive)")
        sp.add_argument("--s3-endpoint", help="S3 endpoint URL (default: $CRAWLER_S3_ENDPOINT, "
                        "else AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL)")
        sp.add_argument("--json", action="store_true", help="print the report as JSON")

    ls = sub.add_parser("ls", help="list WARC files with record counts and sizes")
    common(ls)
    ls.add_argument("--since", help="only files started at or after this ISO time (UTC if no offset)")
    ls.set_defaults(func=run)

    v = sub.add_parser("verify", help="read WARCs to the end, check digests, CDXJ and pointers")
    common(v)
    v.add_argument("--since", help="only files started at or after this ISO time (UTC if no offset)")
    v.add_argument("--file", action="append", default=[], metavar="NAME",
                   help="only this WARC file (repeatable)")
    v.add_argument("--no-pointers", action="store_true",
                   help="skip resolving the stored articles' WARC pointers")
    v.set_defaults(func=run)
    from crawler.commands import archive_access  # find, get, index, wacz

    archive_access.register(sub, common)
    p.set_defaults(func=run)


# --------------------------------------------------------------------------------------------
def _open_store(args) -> BlobStore:
    from crawler.runner import project_settings  # settings.py reads the environment

    settings = project_settings()
    uri = getattr(args, "store", None) or settings.get("CRAWLER_ARCHIVE") or None
    endpoint = getattr(args, "s3_endpoint", None) or settings.get("CRAWLER_S3_ENDPOINT") or None
    return open_blobstore(uri, default_dir=args.data_dir.archive_dir, endpoint_url=endpoint)


def file_time(name: str) -> datetime | None:
    """Start time encoded in ``{prefix}-{YYYYmmddHHMMSSmmm}-{serial}-{host}-{worker}.warc.gz``."""
    base = os.path.basename(name)
    for part in base.split("-"):
        if len(part) in (14, 17) and part.isdigit():
            try:
                dt = datetime.strptime(part[:14], "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
            except ValueError:
                continue
            if len(part) == 17:
                dt = dt.replace(microsecond=int(part[14:]) * 1000)
            return dt
    return None


def parse_since(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        from crawler.preflight import UserError

        raise UserError(f"--since {text!r} is not an ISO date or time (e.g. 2026-12-01 or 2026-12-01T08:00Z)") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt


def select_files(store: BlobStore, *, since: datetime | None = None, files: Iterable[str] = ()):
    blobs = store.list()
    warcs = [b for b in blobs if b.name.endswith(WARC_SUFFIX)]
    names = {b.name for b in blobs}
    wanted = list(files)
    if wanted:
        by_name = {b.name: b for b in warcs}
        by_base = {os.path.basename(b.name): b for b in warcs}
        out, missing = [], []
        for w in wanted:
            b = by_name.get(w) or by_base.get(os.path.basename(w))
            (out.append(b) if b else missing.append(w))
        return out, missing, names
    if since is not None:
        warcs = [b for b in warcs if (file_time(b.name) or since) >= since]
    return warcs, [], names


def _spool_pending(args) -> list[str]:
    spool = args.data_dir.warc_spool
    if not spool.is_dir():
        return []
    return sorted(p.name for p in spool.glob("*" + WARC_SUFFIX))


def stored_pointers(data_dir) -> Iterable[dict]:
    """WARC pointers of every stored article version (best effort over the lead's store API)."""
    from crawler.store import open_store, store_missing

    if store_missing(data_dir):
        return []

    store = open_store(data_dir, read_only=True)
    seen: set[str] = set()
    out = []
    try:
        for row in store.changes_after(0):
            w = row.get("warc") or (row.get("provenance") or {}).get("warc")
            if isinstance(w, str):
                w = json.loads(w)
            if not w or not w.get("record_id") or w["record_id"] in seen:
                continue
            seen.add(w["record_id"])
            out.append({**w, "url": row.get("url"), "article_id": row.get("article_id")})
    finally:
        store.close()
    return out


# --------------------------------------------------------------------------------------------
def run(args) -> int:
    action = getattr(args, "archive_command", None)
    if action == "ls":
        return run_ls(args)
    if action == "verify":
        return run_verify(args)
    print("usage: crawler archive {ls,verify}", file=sys.stderr)
    return 2


def run_ls(args) -> int:
    store = _open_store(args)
    warcs, _, names = select_files(store, since=parse_since(getattr(args, "since", None)))
    rows = []
    for b in warcs:
        with tempfile.NamedTemporaryFile() as tmp:
            with store.open(b.name) as src:
                shutil.copyfileobj(src, tmp, 1 << 20)
            tmp.flush()
            end, n = scan_gzip_members(tmp.name)
        rows.append({"name": b.name, "size": b.size, "records": n,
                     "cdxj": cdxj_name(b.name) in names, "complete": end == b.size})
    pending = _spool_pending(args)
    if args.json:
        print(json.dumps({"store": store.uri, "files": rows, "spool_pending": pending}, indent=2))
        return 0
    print(f"archive: {store.uri}")
    for r in rows:
        flag = "" if r["cdxj"] else "  (no CDXJ)"
        print(f"{r['name']}  {r['records']:>7} records  {r['size']:>12} bytes{flag}")
    print(f"{len(rows)} file(s), {sum(r['records'] for r in rows)} records, "
          f"{sum(r['size'] for r in rows)} bytes")
    if pending:
        print(f"{len(pending)} file(s) waiting in the spool {args.data_dir.warc_spool}: " + ", ".join(pending))
    return 0


def run_verify(args) -> int:
    store = _open_store(args)
    warcs, missing, names = select_files(
        store, since=parse_since(getattr(args, "since", None)), files=getattr(args, "file", []) or []
    )
    if not warcs and not missing and not any(n.endswith(WARC_SUFFIX) for n in names):
        print(f"crawler archive verify: no WARC files in {store.uri} (wrong --store or nothing archived yet)",
              file=sys.stderr)
        return 1
    originals = Originals(store)
    reports = [verify_file(store, b.name, b.size, names, originals) for b in warcs]
    ptr_report = None
    if not getattr(args, "no_pointers", False) and not getattr(args, "file", None):
        ptrs = list(stored_pointers(args.data_dir))
        if ptrs:
            ptr_report = verify_pointers(store, ptrs)
    pending = _spool_pending(args)
    faults = sum(1 for r in reports if not r.ok) + len(missing)
    if ptr_report:
        faults += len(ptr_report["errors"])
    if args.json:
        print(json.dumps({
            "store": store.uri,
            "files": [{"name": r.name, "size": r.size, "records": r.records, "by_type": r.by_type,
                       "cdxj": r.cdxj, "errors": r.errors} for r in reports],
            "missing": missing,
            "pointers": ptr_report,
            "spool_pending": pending,
            "ok": faults == 0,
        }, indent=2))
    else:
        print(f"archive: {store.uri}")
        for r in reports:
            status = "OK  " if r.ok else "FAIL"
            types = ", ".join(f"{k} {v}" for k, v in sorted(r.by_type.items()))
            print(f"{status} {r.name}  {r.records} records ({types}), CDXJ {r.cdxj}")
            for e in r.errors[:20]:
                print(f"       {e}")
            if len(r.errors) > 20:
                print(f"       ... {len(r.errors) - 20} more")
        for m in missing:
            print(f"FAIL {m}: not in the archive")
        if ptr_report:
            print(f"article pointers: {ptr_report['ok']}/{ptr_report['checked']} resolve"
                  + (f" ({ptr_report['revisits']} through a revisit to the original)"
                     if ptr_report.get("revisits") else ""))
            for e in ptr_report["errors"][:20]:
                print(f"       {e}")
        if pending:
            print(f"note: {len(pending)} file(s) still in the spool (shipped by the next run): "
                  + ", ".join(pending))
        total = sum(r.records for r in reports)
        print(f"{len(reports)} file(s), {total} records: " + ("all OK" if faults == 0 else f"{faults} fault(s)"))
    return 0 if faults == 0 else 1
