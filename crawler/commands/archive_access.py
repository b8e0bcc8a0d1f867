"""``crawler archive find | get | index | wacz``: finding and packaging captures.

    crawler archive find URL [--at TIME] [--json]          captures of a URL (nearest to TIME first)
    crawler archive find --portal NAME [--day DATE]        captures of a portal (on a UTC day)
    crawler archive get URL [--at TIME] [--out FILE]       the WARC record, by range read
    crawler archive index [--cdxj FILE]                    index files not indexed yet; sorted CDXJ
    crawler archive wacz [--portal NAME] [--day DATE] --out FILE.wacz

All use the collection index (``<data dir>/archive-index.sqlite``), which shipping keeps up to
date; each command first indexes the archive's files it has not seen (only their sidecars are
read), so files shipped by other crawlers into the same store are found too.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import urlsplit


def register(sub, common) -> None:
    f = sub.add_parser("find", help="captures of a URL, or of a portal on a day (collection index)")
    common(f)
    f.add_argument("url", nargs="?", help="the URL (any capture whose SURT key equals it)")
    f.add_argument("--at", help="time (ISO 8601 or 14 digits, UTC): nearest capture first")
    f.add_argument("--portal", help="captures of this portal's hosts (instead of a URL)")
    f.add_argument("--day", help="with --portal: only captures of this UTC day (YYYY-MM-DD)")
    f.add_argument("--sources", help="portal configuration for --portal (default: $CRAWLER_SOURCES, "
                   "./sources.toml, the data directory's demo-sources.toml, else the store's articles)")
    f.set_defaults(func=run_find)

    g = sub.add_parser("get", help="the WARC record of a capture (range read, local or S3)")
    common(g)
    g.add_argument("url")
    g.add_argument("--at", help="time (ISO 8601 or 14 digits, UTC; default: the latest capture)")
    g.add_argument("--out", help="write the record (one gzip member, a valid .warc.gz) here; "
                   "default: the record's bytes uncompressed to stdout")
    g.set_defaults(func=run_get)

    i = sub.add_parser("index", help="bring the collection index up to date; write it as sorted CDXJ")
    common(i)
    i.add_argument("--cdxj", metavar="FILE", help="write the whole collection as one sorted CDXJ "
                   "file (pywb reads it from a collection's indexes/ directory)")
    i.set_defaults(func=run_index)

    w = sub.add_parser("wacz", help="package articles with their WARC files as WACZ 1.1.1")
    common(w)
    w.add_argument("--portal", help="only this portal's articles, and of the WARC files only the "
                   "records of its hosts")
    w.add_argument("--day", help="only articles fetched on this UTC day (YYYY-MM-DD), and only the "
                   "records of that day")
    w.add_argument("--sources", help="portal configuration for --portal's hosts (default as for find)")
    w.add_argument("--title", default="newscrawler archive", help="title of the package")
    w.add_argument("--out", required=True, help="the .wacz file to write")
    w.set_defaults(func=run_wacz)


def _fail(message: str) -> int:
    print(f"crawler archive: {message}", file=sys.stderr)
    return 2


def _collection(args):
    from crawler.archive.collection import COLLECTION_INDEX_FILE, CollectionIndex
    from crawler.commands.archive import _open_store

    store = _open_store(args)
    index = CollectionIndex(args.data_dir.root / COLLECTION_INDEX_FILE)
    index.sync(store)
    return store, index


def _check_time(text: str | None) -> str | None:
    from crawler.archive.collection import timestamp14

    if text is None:
        return None
    try:
        return timestamp14(text)
    except ValueError:
        raise ValueError(f"--at {text!r}: not an ISO 8601 time or 14-digit timestamp") from None


def _portal_hosts(args, name: str) -> list[str]:
    from crawler.config import ConfigError, load_sources, resolve_sources_path

    candidates = [args.sources] if args.sources else [resolve_sources_path(None),
                                                      args.data_dir.root / "demo-sources.toml"]
    for path in candidates:
        if path and Path(path).is_file():
            try:
                portals = {p.name: p for p in load_sources(path).portals}
            except ConfigError as exc:
                raise ValueError(str(exc)) from None
            if name in portals:
                return list(portals[name].allowed_domains)
    from crawler.store import open_store

    store = open_store(args.data_dir, read_only=True)
    try:
        hosts = {urlsplit(r["url"]).hostname for r in store.changes_after(0) if r.get("portal") == name}
    finally:
        store.close()
    if not hosts:
        raise ValueError(f"portal {name!r} is in no sources file and has no stored article")
    return sorted(h for h in hosts if h)


def run_find(args) -> int:
    try:
        at = _check_time(args.at)
        if bool(args.url) == bool(args.portal):
            return _fail("find: give a URL or --portal NAME")
        _, index = _collection(args)
        if args.url:
            caps = index.captures(args.url)
            if at:
                caps.sort(key=lambda c: (abs(int(c.timestamp[:14]) - int(at)), c.timestamp))
        else:
            caps = index.by_host_day(_portal_hosts(args, args.portal), args.day)
    except ValueError as exc:
        return _fail(str(exc))
    if args.json:
        print(json.dumps([c.to_dict() for c in caps], indent=2))
    else:
        for c in caps:
            print(f"{c.timestamp}  {c.status or '-':>3}  {c.mime or '-':<24} {c.url}  {c.filename}@{c.offset}+{c.length}")
    if not caps:
        print("no captures", file=sys.stderr)
        return 1
    return 0


def run_get(args) -> int:
    import gzip

    try:
        at = _check_time(args.at)
        store, index = _collection(args)
    except ValueError as exc:
        return _fail(str(exc))
    cap = index.closest(args.url, at)
    if cap is None:
        print(f"no capture of {args.url}", file=sys.stderr)
        return 1
    data = store.read_range(cap.filename, cap.offset, cap.length)
    if args.out:
        Path(args.out).write_bytes(data)
        print(f"{cap.timestamp} {cap.url} {cap.filename}@{cap.offset}+{cap.length} -> {args.out}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)
        sys.stdout.buffer.flush()
    return 0


def run_index(args) -> int:
    try:
        _, index = _collection(args)
    except ValueError as exc:
        return _fail(str(exc))
    counts = index.counts()
    if args.cdxj:
        counts["cdxj_lines"] = index.write_cdxj(args.cdxj)
    print(json.dumps(counts) if args.json else
          f"collection index {index.path}: {counts['files']} WARC files, {counts['captures']} captures"
          + (f"; {counts['cdxj_lines']} lines to {args.cdxj}" if args.cdxj else ""))
    return 0


def run_wacz(args) -> int:
    from crawler.archive.wacz import select_articles, write_wacz
    from crawler.commands.archive import _open_store
    from crawler.store import open_store

    if args.day and not (len(args.day) == 10 and args.day[4] == "-" and args.day[7] == "-"):
        return _fail(f"--day {args.day!r}: give YYYY-MM-DD")
    store = open_store(args.data_dir, read_only=True)
    try:
        articles = select_articles(store.changes_after(0), args.portal, args.day)
    finally:
        store.close()
    if not articles:
        return _fail("wacz: no stored article matches (check --portal / --day)")
    try:
        hosts = tuple(_portal_hosts(args, args.portal)) if args.portal else None
        summary = write_wacz(args.out, _open_store(args), articles, title=args.title, hosts=hosts, day=args.day)
    except FileNotFoundError as exc:
        if exc.filename:
            return _fail(f"wacz: cannot write {args.out}: {exc.strerror}")
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"wacz: cannot write {args.out}: {exc.strerror or exc}")
    except ValueError as exc:
        return _fail(str(exc))
    print(json.dumps(summary.__dict__) if args.json else
          f"{summary.path}: {summary.pages} pages, {len(summary.warc_files)} WARC files, {summary.captures} captures")
    return 0
