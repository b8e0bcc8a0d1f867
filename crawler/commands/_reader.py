"""Opening the article store read-only for a reader command (export, api), with one-line errors."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from crawler.store import ArticleStore, SchemaError, StoreURIError, open_store, redact, store_uri


class ReaderError(Exception):
    """The store cannot be read (one line for the user)."""


def reader_uri(args) -> str:
    return store_uri(args.data_dir, getattr(args, "store", None))


def open_reader(args) -> ArticleStore:
    uri = reader_uri(args)
    if uri.startswith("sqlite://") and not Path(uri[len("sqlite://"):]).is_file():
        raise ReaderError(f"no article store in {args.data_dir} (run a crawl or `crawler demo` first)")
    try:
        return open_store(args.data_dir, uri=uri, read_only=True)
    except (SchemaError, StoreURIError) as exc:
        raise ReaderError(str(exc)) from None
    except (sqlite3.Error, OSError) as exc:
        raise ReaderError(f"cannot read the article store {redact(uri)}: {exc}") from None
