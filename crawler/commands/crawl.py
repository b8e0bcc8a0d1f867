"""`crawler crawl`: the operator's crawl (the same crawl as `scrapy crawl news`)."""

from __future__ import annotations

import sys

from crawler.commands._summary import crawl_and_report
from crawler.config import ConfigError, load_sources


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "crawl",
        help="crawl the configured portals",
        description="Crawl the portals of a sources file: discover articles from feeds, sitemaps "
        "and links, archive every exchange as WARC, extract, clean, de-duplicate and store. "
        "Exit status: 0 success, 1 the crawl logged errors, 2 bad configuration, 3 another crawl "
        "holds the data directory.",
    )
    p.add_argument("--sources", help="portal configuration (default: $CRAWLER_SOURCES or ./sources.toml)")
    p.add_argument("--portal", action="append", metavar="NAME", help="crawl only this portal (repeatable)")
    p.add_argument(
        "--archive",
        metavar="URI",
        help="where closed WARC files go: a directory or s3://bucket/prefix (default: $CRAWLER_ARCHIVE "
        "or <data dir>/archive); S3 endpoint from $AWS_ENDPOINT_URL_S3, credentials from the AWS chain",
    )
    p.add_argument(
        "-s", "--set", action="append", default=[], metavar="NAME=VALUE", dest="settings",
        help="set any Scrapy setting for this crawl, as `scrapy crawl -s` does (repeatable), e.g. "
        "-s DOWNLOAD_DELAY=2 -s AUTOTHROTTLE_ENABLED=False",
    )
    p.add_argument("--json", action="store_true", help="print the run summary as JSON")
    p.add_argument("--verbose", action="store_true", help="list every story cluster and WARC file in the summary")
    p.set_defaults(func=run)


def parse_settings(pairs: list[str]) -> dict[str, str]:
    """``NAME=VALUE`` pairs as a dict (values stay strings; Scrapy's getters convert them)."""
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip() or not name.strip().replace("_", "").isalnum():
            raise ValueError(f"-s {pair!r}: expected NAME=VALUE, e.g. -s DOWNLOAD_DELAY=2")
        out[name.strip()] = value
    return out


def run(args) -> int:
    try:
        extra = parse_settings(args.settings)
        sources = load_sources(args.sources)
        sources.select(args.portal)
    except (ConfigError, ValueError) as exc:
        print(f"crawler crawl: {exc}", file=sys.stderr)
        return 2
    code, _ = crawl_and_report(
        "crawl", args.data_dir, as_json=args.json, verbose=args.verbose, sources=sources.path, portals=args.portal,
        archive=args.archive, extra_settings=extra,
    )
    return code
