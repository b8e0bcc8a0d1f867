"""Article store: articles with versions, story clusters, provenance, the change feed, crawl
state and job records, behind one interface (:class:`crawler.store.base.ArticleStore`).

Chosen by URI: ``sqlite:///path/articles.sqlite`` (the default: ``articles.sqlite`` in the data
directory) or ``postgresql://user:password@host:port/dbname`` (psycopg 3). ``open_store(where)``
takes a URI, or a data directory (then ``$CRAWLER_STORE``, else the default SQLite file there).
"""

from __future__ import annotations

import os
from pathlib import Path

from crawler.store.base import (
    CHANGE_KINDS,
    SCHEMA_VERSION,
    ArticleStore,
    ArticleVersion,
    Change,
    ClusterAssignment,
    JobRecord,
    SaveResult,
    StoreError,
    UrlState,
    text_hash,
)
from crawler.store.schema import STORE_SCHEMA_VERSION
from crawler.store.sql import SchemaError
from crawler.store.sqlite import SQLiteArticleStore

STORE_ENV = "CRAWLER_STORE"


class StoreURIError(StoreError):
    """A store URI this code cannot open (one line for the user)."""


def store_uri(data_dir=None, uri: str | None = None) -> str:
    """``uri`` if given, else ``$CRAWLER_STORE``, else ``sqlite:///<data dir>/articles.sqlite``."""
    uri = uri or os.environ.get(STORE_ENV)
    if uri:
        return uri
    if data_dir is None:
        from crawler.datadir import resolve_data_dir
        data_dir = resolve_data_dir()
    return f"sqlite:///{data_dir.articles_db}"


def store_missing(data_dir, uri: str | None = None) -> bool:
    """True when the store is the SQLite file of ``data_dir`` (or another one) that does not
    exist yet: nothing crawled there. A server store is never "missing"."""
    uri = store_uri(data_dir, uri)
    return uri.startswith("sqlite:///") and not Path(uri[len("sqlite://"):]).exists()


def open_store(where=None, *, uri: str | None = None, read_only: bool = False) -> ArticleStore:
    """The store at ``uri`` / URI string ``where``, or the one of data directory ``where``.
    ``read_only``: for readers; an SQLite store then also opens in a read-only directory."""
    if isinstance(where, str) and "://" in where:
        uri = where
    elif where is not None and not isinstance(where, str):
        uri = store_uri(where, uri)
        if uri.startswith("sqlite:") and not read_only:
            where.ensure()
    else:
        uri = store_uri(None, uri or where)
    scheme = uri.split(":", 1)[0].lower()
    if scheme == "sqlite":
        path = uri[len("sqlite://"):] if uri.startswith("sqlite://") else ""
        if not path or path == "/":
            raise StoreURIError(f"store URI {uri!r}: give a file, e.g. sqlite:///var/crawl/articles.sqlite")
        if read_only:
            return SQLiteArticleStore(path, read_only=True)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return SQLiteArticleStore(path)
    if scheme in ("postgresql", "postgres"):
        from crawler.store.postgresql import PostgresArticleStore
        return PostgresArticleStore(uri, read_only=read_only)
    raise StoreURIError(f"store URI {redact(uri)!r}: unknown scheme {scheme!r} (sqlite:///path or postgresql://...)")


def redact(uri: str) -> str:
    """The URI without its password (for logs and reports)."""
    if "://" in uri and "@" in uri.split("://", 1)[1]:
        scheme, rest = uri.split("://", 1)
        cred, host = rest.rsplit("@", 1)
        return f"{scheme}://{cred.split(':', 1)[0]}:***@{host}" if ":" in cred else uri
    return uri


__all__ = [
    "text_hash",
    "CHANGE_KINDS", "SCHEMA_VERSION", "STORE_SCHEMA_VERSION", "ArticleStore", "ArticleVersion", "Change",
    "ClusterAssignment", "JobRecord", "SaveResult", "SchemaError", "StoreError", "StoreURIError", "UrlState",
    "SQLiteArticleStore", "open_store", "redact", "store_missing", "store_uri",
]
