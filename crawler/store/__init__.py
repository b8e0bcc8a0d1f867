"""Article store: articles with versions, story clusters, provenance, crawl state and job records.

``open_store(data_dir)`` gives the embedded SQLite store; other backends (PostgreSQL) implement
:class:`crawler.store.base.ArticleStore`.
"""

from crawler.store.base import (
    SCHEMA_VERSION,
    ArticleStore,
    ArticleVersion,
    ClusterAssignment,
    JobRecord,
    SaveResult,
    UrlState,
)
from crawler.store.sqlite import SQLiteArticleStore


def open_store(data_dir) -> ArticleStore:
    data_dir.ensure()
    return SQLiteArticleStore(data_dir.articles_db)


__all__ = [
    "SCHEMA_VERSION", "ArticleStore", "ArticleVersion", "ClusterAssignment", "JobRecord",
    "SaveResult", "UrlState", "SQLiteArticleStore", "open_store",
]
