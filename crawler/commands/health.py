"""`crawler health`: flags portals whose latest runs drifted from their history (exit 1)."""

from __future__ import annotations

import json
import sys


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "health", help="check each portal's latest runs against its history",
        description="Compare each portal's latest run with the runs before (job records in the data "
        "directory) and flag drift: the share of article pages that left no text or were dropped "
        "jumps (template changed), dates go missing, a portal that publishes daily has been quiet, "
        "uploads fail. Exit status: 0 healthy, 1 a flag was raised (for cron/monitoring), "
        "2 nothing to check. Read-only.")
    p.add_argument("--portal", action="append", metavar="NAME", help="only this portal (repeatable)")
    p.add_argument("--recent", type=int, default=1, metavar="N",
                   help="how many of the latest runs with article pages count as recent (default 1)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run)


def known_portals(jobs) -> list[str]:
    names: list[str] = []
    for job in jobs:
        for key in job.stats:
            if key.startswith("portal/"):
                name = key.split("/")[1]
                if name not in names:
                    names.append(name)
    return sorted(names)


def run(args) -> int:
    from crawler.service.health import health_report
    from crawler.store import open_store, store_missing

    if store_missing(args.data_dir):
        print(f"crawler health: no crawl has run in {args.data_dir}", file=sys.stderr)
        return 2
    store = open_store(args.data_dir, read_only=True)
    try:
        jobs = store.jobs(limit=500)
    finally:
        store.close()
    portals = known_portals(jobs)
    if args.portal:
        unknown = [p for p in args.portal if p not in portals]
        if unknown:
            print(f"crawler health: no runs of portal {', '.join(unknown)} in {args.data_dir} "
                  f"(known: {', '.join(portals) or 'none'})", file=sys.stderr)
            return 2
        portals = args.portal
    if not portals:
        print(f"crawler health: no job record with per-portal counts in {args.data_dir}", file=sys.stderr)
        return 2
    report = health_report(portals, jobs, recent_runs=max(1, args.recent))
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        for p in report["portals"]:
            r = p["recent"]
            status = "OK  " if p["ok"] else "FLAG"
            share = "-" if r["empty_share"] is None else f"{r['empty_share']:.0%}"
            print(f"{status} {p['portal']:<20} runs={p['runs']}  latest: {r['article_pages']} article pages, "
                  f"{share} empty, {r['new']} new/updated; last new article {p['last_new_article'] or 'never'}")
            for f in p["flags"]:
                print(f"       {f['flag']}: {f['message']}")
        for f in report["archive"]:
            print(f"FLAG archive: {f['message']}")
    return 0 if report["ok"] else 1
