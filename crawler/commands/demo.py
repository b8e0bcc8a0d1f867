"""`crawler demo`: the whole system offline, against bundled demo portals on 127.0.0.1."""

from __future__ import annotations

import os
import sys

from crawler.commands._summary import crawl_and_report
from crawler.preflight import PreflightError, check_data_dir

# The demo portals are local: no need to wait between requests as on the web. Politeness
# machinery (robots.txt, AutoThrottle, per-domain slots) stays on.
DEMO_SETTINGS = {
    "DOWNLOAD_DELAY": 0.0,
    "AUTOTHROTTLE_START_DELAY": 0.05,
    "AUTOTHROTTLE_MAX_DELAY": 1.0,
    "CRAWLER_OPERATOR": "crawler demo",
    # The terminal shows warnings and the summary; the run's log file keeps everything.
    "LOG_LEVEL": os.environ.get("CRAWLER_LOG_LEVEL", "WARNING"),
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
    p.add_argument("--verbose", action="store_true", help="list every story cluster and WARC file in the summary")
    p.set_defaults(func=run)


def run(args) -> int:
    from crawler.demo.server import DemoPortals

    try:
        data_dir = check_data_dir(args.data_dir)
    except PreflightError as exc:
        print(f"crawler demo: {exc}", file=sys.stderr)
        return 2
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
        code, _ = crawl_and_report(
            "demo", data_dir, as_json=args.json, verbose=args.verbose, sources=sources, archive=args.archive, extra_settings=DEMO_SETTINGS
        )
    finally:
        portals.stop()
    return code
