"""`crawler api`: serve the change feed, stories and articles over HTTP (FastAPI + uvicorn)."""

from __future__ import annotations

import sys

from crawler.commands._reader import ReaderError, open_reader, reader_uri
from crawler.store import redact


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "api",
        help="HTTP API for downstream systems: /changes cursor, /stories, /articles (token required)",
        description="Serve the article store read-only over HTTP: /changes?after_seq=&limit= (the change "
        "feed, cursor paging in commit order), /stories and /stories/{id}, /articles and /articles/{id} "
        "(versions and diffs), filters by portal, section, language, published/fetched time; OpenAPI "
        "at /docs. Every data request needs 'Authorization: Bearer <token>'; tokens come from "
        "$CRAWLER_API_TOKENS (comma-separated) and/or --tokens-file / $CRAWLER_API_TOKENS_FILE (one per line).",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--tokens-file", metavar="FILE", help="file with one API token per line")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"],
                   help="uvicorn log level (default info: one access line per request, never a token)")
    p.set_defaults(func=run)


def _fail(message: str) -> int:
    print(f"crawler api: {message}", file=sys.stderr)
    return 2


def run(args) -> int:
    from crawler.api import TokenError, create_app, load_tokens

    try:
        tokens = load_tokens(args.tokens_file)
    except TokenError as exc:
        return _fail(str(exc))
    try:  # open once up front: a missing or unreadable store is a one-line error, not a traceback
        open_reader(args).close()
    except ReaderError as exc:
        return _fail(str(exc))
    uri = reader_uri(args)
    import uvicorn

    app = create_app(lambda: open_reader(args), tokens)
    print(f"crawler api: serving {redact(uri)} on http://{args.host}:{args.port} (OpenAPI at /docs; "
          f"{len(tokens)} token(s))", file=sys.stderr, flush=True)
    config = uvicorn.Config(app, host=args.host, port=args.port, log_level=args.log_level,
                            access_log=args.log_level in ("info", "debug"))
    server = uvicorn.Server(config)
    try:
        server.run()
    except SystemExit:  # uvicorn exits when it cannot bind (it logged why)
        server.started = False
    if not server.started:
        return _fail(f"could not listen on {args.host}:{args.port} (address in use or not available?)")
    return 0
