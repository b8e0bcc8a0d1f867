"""`crawler jobs`: the history of crawl runs in a data directory."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict

from crawler.jobs import effective_status, lock_is_free, store_is_own
from crawler.store import open_store, store_missing


def register(subparsers) -> None:
    p = subparsers.add_parser("jobs", help="list recent crawl runs",
                              description="List recent crawl runs: run ID, start/end, status, exit code, stats.")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true", help="one JSON object per run, with full stats")
    p.set_defaults(func=run)


def run(args) -> int:
    if store_missing(args.data_dir):
        print(f"crawler jobs: no crawl has run in {args.data_dir}", file=sys.stderr)
        return 2
    store = open_store(args.data_dir, read_only=True)
    # the data dir's lock speaks for the runs of its own store only (a shared one: their pids)
    lock_free = lock_is_free(args.data_dir.lock_file) and store_is_own(store.location, args.data_dir)
    try:
        for job in store.jobs(limit=args.limit):
            job.status = effective_status(job, lock_free=lock_free)
            if args.json:
                print(json.dumps(asdict(job), ensure_ascii=False))
            else:
                st = job.stats
                fetched = st.get("downloader/response_count", 0)
                stored = sum(int(st.get(k, 0)) for k in ("store/new", "store/new_version"))
                portals = ",".join(job.portals) if job.portals else "all"
                print(f"{job.run_id}  {job.status:<11} exit={job.exit_code}  {job.started_at} – {job.ended_at or '…'}"
                      f"  portals={portals}  pages={fetched}  stored={stored}  errors={st.get('log_count/ERROR', 0)}"
                      f"  warc={len(job.warc_files)}")
    finally:
        store.close()
    return 0
