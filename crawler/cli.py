"""The ``crawler`` command line: crawl, demo, export, extract, dedup, archive, jobs."""

from __future__ import annotations

import argparse
import importlib
import sys

from crawler import __version__
from crawler.datadir import resolve_data_dir

COMMANDS = ("crawl", "demo", "export", "extract", "dedup", "archive", "jobs")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crawler",
        description="News crawler: crawl portals into a WARC archive, clean and de-duplicate "
        "articles, deliver them downstream.",
    )
    parser.add_argument("--version", action="version", version=f"crawler {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        module = importlib.import_module(f"crawler.commands.{name}")
        before = set(sub.choices)
        module.register(sub)
        for added in set(sub.choices) - before:
            _add_data_dir(sub.choices[added])
    return parser


def _add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=resolve_data_dir,
        default=argparse.SUPPRESS,  # absent: resolved in main(); never overwritten by a subparser
        help="data directory: SQLite store, dedup index, WARC spool or local archive, logs "
        "(default: $CRAWLER_DATA_DIR or ./data)",
    )
    # Nested subcommands (e.g. `archive ls`) get the option too.
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _add_data_dir(child)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "data_dir", None) is None:
        args.data_dir = resolve_data_dir(None)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
