"""`crawler demo`: the whole system offline, against bundled demo portals on 127.0.0.1."""

from __future__ import annotations

import os
import sys

from crawler.jobs import LockHeld
from crawler.runner import CrawlFailed, run_crawl

# The demo portals are local: no need to wait between requests as on the web. Politeness
# machinery (robots.txt, AutoThrottle, per-domain slots) stays on.
DEMO_SETTINGS = {
    "DOWNLOAD_DELAY": 0.0,
    "AUTOTHROTTLE_START_DELAY": 0.05,
    "AUTOTHROTTLE_MAX_DELAY": 1.0,
    "CRAWLER_OPERATOR": "crawler demo",
}


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "demo",
        help="crawl the bundled demo portals and print a summary",
        description="Start the bundled demo news portals on 127.0.0.1, run the real `news` spider "
        "and pipelines into the data directory and print a summary. Run it twice to see the "
        "incremental crawl; --edition 2 lets one portal publish a new article and update another. "
        "Exit status is non-zero when anything failed.",
    )
    p.add_argument("--edition", type=int, default=1, help="state of the demo portals (1 or 2; default 1)")
    p.add_argument("--archive", metavar="URI", help="archive location as for `crawler crawl`")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    from crawler.commands._summary import print_summary
    from crawler.demo.server import DemoPortals

    data_dir = args.data_dir.ensure()
    portals = DemoPortals(edition=args.edition)
    proxy = portals.start()
    try:
        sources = data_dir.root / "demo-sources.toml"
        sources.write_text(portals.sources_toml(), encoding="utf-8")
        # The portals' host names (*.test) are reached through the demo server acting as an
        # HTTP proxy, so URLs stay the same from run to run whatever port the server got.
        for var in ("http_proxy", "HTTP_PROXY"):
            os.environ[var] = proxy
        for var in ("no_proxy", "NO_PROXY"):
            os.environ.pop(var, None)
        if not args.json:
            print(f"demo portals serving through {proxy} (edition {args.edition})", file=sys.stderr)
        try:
            job = run_crawl(data_dir, sources=sources, archive=args.archive, extra_settings=DEMO_SETTINGS)
        except LockHeld as exc:
            print(f"crawler demo: {exc}", file=sys.stderr)
            return 3
        except CrawlFailed as exc:
            print(f"crawler demo: {exc}", file=sys.stderr)
            return 1
    finally:
        portals.stop()
    summary = print_summary(data_dir, job, as_json=args.json)
    return 0 if job.exit_code == 0 and summary["errors"] == 0 else 1
