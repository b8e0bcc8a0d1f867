"""``crawler web``: the archivist's pages (search, articles, versions, clusters, replay, Memento).

    crawler web [--host 127.0.0.1] [--port 8642] [--token TOKEN] [--store URI] [--index-dir DIR]

A reader: the article store (``$CRAWLER_STORE`` or the data directory's) is opened read-only; the search index and the collection index are
derived files in ``--index-dir`` (default: the data directory), brought up to date from the
store's change sequence and the archive's listing while it serves. Bound to 127.0.0.1 by
default; any other address needs a token (``--token`` or ``$CRAWLER_WEB_TOKEN``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from crawler.urls import is_loopback_host

TOKEN_ENV = "CRAWLER_WEB_TOKEN"
DEFAULT_PORT = 8642


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "web", help="the archivist's pages: full-text search, articles, versions, replay",
        description="Serve the archivist's pages: German-aware full-text search with facets, article "
        "pages with versions, diffs, story cluster, removed lines and WARC provenance, replay of the "
        "archived page, Memento TimeMaps/TimeGates. Reads the store; never writes it.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; "
                   "any other needs a token)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.add_argument("--token", help=f"access token required from clients (default: ${TOKEN_ENV})")
    p.add_argument("--store", help="archive location: directory, file:// or s3://bucket/prefix "
                   "(default: $CRAWLER_ARCHIVE or <data dir>/archive)")
    p.add_argument("--s3-endpoint", help="S3 endpoint URL (default: $CRAWLER_S3_ENDPOINT, "
                   "else AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL)")
    p.add_argument("--index-dir", type=Path, help="where the derived search and collection indexes "
                   "live (default: the data directory; use it when that is read-only)")
    p.set_defaults(func=run)


def build_context(args):
    from crawler.commands.archive import _open_store
    from crawler.store import store_uri
    from crawler.web.context import WebContext

    uri = store_uri(args.data_dir)  # $CRAWLER_STORE, else the data directory's SQLite file
    path = "/" + uri[len("sqlite://"):].lstrip("/") if uri.startswith("sqlite://") else None
    if path and not Path(path).is_file():
        raise SystemExit(f"crawler web: no article store at {path} (run a crawl first)")
    index_dir = args.index_dir or args.data_dir.root
    return WebContext(store_uri=uri, index_dir=index_dir, blobstore=_open_store(args))


def run(args) -> int:
    import uvicorn

    from crawler.web.app import create_app

    token = args.token or os.environ.get(TOKEN_ENV) or None
    if not is_loopback_host(args.host) and not token:
        print(f"crawler web: binding {args.host} needs a token (--token or ${TOKEN_ENV})", file=sys.stderr)
        return 2
    try:
        ctx = build_context(args)
        ctx.refresh(force=True)
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        return 2
    app = create_app(ctx, token=token)
    print(f"crawler web on http://{args.host}:{args.port}/search", file=sys.stderr, flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
