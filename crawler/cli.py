"""The ``crawler`` command line: crawl, demo, serve, export, api, extract, dedup, archive, jobs, health, web."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from crawler import __version__
from crawler.datadir import resolve_data_dir
from crawler.store import STORE_ENV, StoreError

COMMANDS = ("crawl", "demo", "serve", "export", "api", "extract", "dedup", "archive", "jobs", "health", "web",
            "reprocess")


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
    if "--store" not in parser._option_string_actions:  # `archive`: --store is the WARC archive there
        parser.add_argument(
            "--store",
            dest="article_store",
            metavar="URI",
            default=argparse.SUPPRESS,
            help="article store: sqlite:///path or postgresql://user:pass@host/db (default: $CRAWLER_STORE, "
            "else articles.sqlite in the data directory)",
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
    if getattr(args, "article_store", None):
        os.environ[STORE_ENV] = args.article_store  # every store this process opens (crawl settings too)
    try:
        return int(args.func(args) or 0)
    except StoreError as exc:
        print(f"crawler {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # user and environment mistakes: one line, no traceback
        message = user_error(exc)
        if message is None:
            raise
        print(f"crawler {args.command}: {message}", file=sys.stderr)
        return 2


def user_error(exc: BaseException) -> str | None:
    """One line for mistakes an operator makes or meets (bad config, unreachable store, full or
    read-only disk); None for everything else (a bug: the traceback is wanted)."""
    import errno
    import sqlite3

    from crawler.config import ConfigError
    from crawler.preflight import UserError, s3_reason

    if isinstance(exc, (UserError, ConfigError)):
        return str(exc)
    if type(exc).__module__.startswith(("botocore", "boto3")):
        return f"archive store unreachable: {s3_reason(exc)}"
    if isinstance(exc, sqlite3.OperationalError):
        return f"database: {exc} (check the data directory's permissions and free space)"
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.ENOTDIR,
                                                  errno.EEXIST, errno.ENOENT):
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror or exc}{where}"
    cause = getattr(exc, "__cause__", None)
    if isinstance(cause, BaseException) and type(cause).__module__.startswith("botocore"):
        return f"archive store unreachable: {s3_reason(cause)}"
    return None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
