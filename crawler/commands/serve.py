"""`crawler serve`: crawl every portal on its own schedule until stopped (SIGTERM/SIGINT)."""

from __future__ import annotations

import sys

from crawler.jobs import LockHeld
from crawler.preflight import PreflightError


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "serve",
        help="crawl every portal on its schedule, until stopped",
        description="One long-running crawl: every portal is polled on its own schedule "
        "(`schedule` in sources.toml: \"every 15m\", adaptive \"every 2m..30m\" or a cron expression; "
        "default in [defaults], else every 15m); new and updated articles are fetched as they are "
        "announced, newest first; never two cycles of one portal at once. Each cycle is a job record "
        "(`crawler jobs`). SIGTERM stops gracefully: pages in flight are finished, WARC files closed "
        "and shipped. Log: <data dir>/logs/serve.log, rotated daily. Exit status: 0 stopped, "
        "1 the crawl failed, 2 bad configuration, 3 another crawl holds the data directory.",
    )
    p.add_argument("--sources", help="portal configuration (default: $CRAWLER_SOURCES or ./sources.toml)")
    p.add_argument("--portal", action="append", metavar="NAME", help="serve only this portal (repeatable)")
    p.add_argument("--archive", metavar="URI", help="where closed WARC files go (as for `crawler crawl`)")
    p.add_argument("--schedule", metavar="SPEC",
                   help="one schedule for every portal, overriding sources.toml (e.g. \"every 30s\")")
    p.add_argument("--metrics-port", type=int, metavar="PORT",
                   help="serve Prometheus metrics on http://ADDR:PORT/metrics")
    p.add_argument("--metrics-addr", default="127.0.0.1", metavar="ADDR",
                   help="address the metrics listen on (default 127.0.0.1; 0.0.0.0 in a container)")
    p.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE", dest="settings",
                   help="override a Scrapy/crawler setting (repeatable), as for `crawler crawl`")
    p.set_defaults(func=run)


def run(args) -> int:
    from crawler.commands.crawl import parse_settings
    from crawler.runner import CrawlFailed, run_serve

    try:
        extra = parse_settings(args.settings)
    except ValueError as exc:
        print(f"crawler serve: {exc}", file=sys.stderr)
        return 2

    if args.schedule:
        from crawler.service.schedule import ScheduleError, parse_schedule

        try:
            parse_schedule(args.schedule)
        except ScheduleError as exc:
            print(f"crawler serve: --schedule {exc}", file=sys.stderr)
            return 2
    try:
        run_serve(args.data_dir, sources=args.sources, portals=args.portal, archive=args.archive,
                  schedule=args.schedule, metrics_port=args.metrics_port, metrics_addr=args.metrics_addr,
                  extra_settings=extra)
    except PreflightError as exc:
        print(f"crawler serve: {exc}", file=sys.stderr)
        return 2
    except LockHeld as exc:
        print(f"crawler serve: {exc}", file=sys.stderr)
        return 3
    except CrawlFailed as exc:
        print(f"crawler serve: {exc}", file=sys.stderr)
        return 1
    return 0
