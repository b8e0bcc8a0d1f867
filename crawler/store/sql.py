"""The article store on SQL, shared by the SQLite and PostgreSQL backends.

Backends supply a DB-API connection, the dialect's parameter style and ``_begin_write`` (the
start of a writing transaction that may allocate sequence numbers: SQLite ``BEGIN IMMEDIATE``,
PostgreSQL ``BEGIN`` plus the change-feed advisory lock). Queries are written once, with ``?``
placeholders, and return plain dicts. One store object may be used from several threads: every
statement runs under one lock per store.
"""

from __future__ import annotations

import json
import threading
import uuid
from contextlib import contextmanager
from dataclasses import fields
from datetime import datetime, timezone

from crawler.store.base import (VERSIONED_FIELDS, ArticleStore, ArticleVersion, Change, ClusterAssignment,
                                SaveResult, StoreError)
from crawler.store.sql_feed import JSON_FIELDS, FeedMixin
from crawler.store.sql_state import CrawlStateMixin

_LIST_FIELDS = ("authors", "removed", "warnings")
_VERSION_COLUMNS = (
    "article_id", "url", "fetched_at", "lastmod", "run_id", "discovered_via", "title", "text",
    "authors", "published", "modified", "section", "dateline", "language", "removed",
    "warnings", "catalogue_version", "text_hash", "warc", "archive", "paywalled",
)


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class SchemaError(StoreError):
    pass


class SQLArticleStore(FeedMixin, CrawlStateMixin, ArticleStore):
    paramstyle = "qmark"  # or "format" (psycopg)
    location = ""  # the store's URI without secrets (for reports)

    def __init__(self):
        self._lock = threading.RLock()

    # -- plumbing ------------------------------------------------------------------------------
    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.paramstyle == "format" else sql

    def _exec(self, sql: str, params=()):
        with self._lock:
            return self.db.execute(self._sql(sql), tuple(params))

    def _one(self, sql: str, params=()) -> dict | None:
        with self._lock:
            row = self._exec(sql, params).fetchone()
        return dict(row) if row is not None else None

    def _all(self, sql: str, params=()) -> list[dict]:
        with self._lock:
            return [dict(r) for r in self._exec(sql, params).fetchall()]

    def _value(self, sql: str, params=()):
        row = self._one(sql, params)
        return next(iter(row.values())) if row else None

    @contextmanager
    def _tx(self, allocates_seq: bool = False):
        """A writing transaction; ``allocates_seq``: it takes change-feed sequence numbers."""
        with self._lock:
            self._begin_write(allocates_seq)
            try:
                yield
            except BaseException:
                self._exec("ROLLBACK")
                raise
            self._exec("COMMIT")

    def _begin_write(self, allocates_seq: bool) -> None:  # pragma: no cover - per backend
        raise NotImplementedError

    def _change(self, kind: str, article_id: str, *, cluster_id=None, is_rep=False, version=None,
                run_id=None, detail=None) -> int:
        """Append a change (inside a seq-allocating transaction) and point the article at it."""
        head = self._one("SELECT portal, canonical_url, current_version, cluster_id, is_representative "
                         "FROM articles WHERE article_id=?", (article_id,))
        row = self._one(
            "INSERT INTO changes (article_id, kind, at, cluster_id, is_representative, portal, canonical_url, "
            "version, run_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
            (article_id, kind, now(), cluster_id if cluster_id is not None else head["cluster_id"],
             int(is_rep), head["portal"], head["canonical_url"],
             version if version is not None else head["current_version"], run_id,
             json.dumps(detail or {}, ensure_ascii=False)),
        )
        seq = int(row["seq"])
        self._exec("UPDATE articles SET seq=? WHERE article_id=?", (seq, article_id))
        return seq

    def store_id(self) -> str:
        """This store's identity: a random id made the first time it is asked for, kept in
        ``meta`` (a shared dedup index records the store it belongs to)."""
        with self._tx():
            self._exec("INSERT INTO meta (key, value) VALUES ('store_id', ?) ON CONFLICT (key) DO NOTHING",
                       (uuid.uuid4().hex,))
        return str(self._value("SELECT value FROM meta WHERE key='store_id'"))

    # -- articles ------------------------------------------------------------------------------
    def _version_from_row(self, data: dict, portal: str, canonical_url: str) -> ArticleVersion:
        data = dict(data)
        data.pop("version", None)
        for key in JSON_FIELDS:
            data[key] = json.loads(data[key]) if data.get(key) else ([] if key in _LIST_FIELDS else None)
        data["paywalled"] = bool(data.get("paywalled"))
        known = {f.name for f in fields(ArticleVersion)}
        return ArticleVersion(portal=portal, canonical_url=canonical_url, **{k: v for k, v in data.items() if k in known})

    def current_version(self, article_id: str) -> ArticleVersion | None:
        d = self._one(
            "SELECT a.portal, a.canonical_url, v.* FROM articles a JOIN versions v "
            "ON v.article_id = a.article_id AND v.version = a.current_version WHERE a.article_id = ?",
            (article_id,),
        )
        if d is None:
            return None
        portal, canonical_url = d.pop("portal"), d.pop("canonical_url")
        return self._version_from_row(d, portal, canonical_url)

    def current_versions(self, article_ids: list[str]) -> dict[str, ArticleVersion]:
        """The current versions of the stored ones of ``article_ids``, in one query (callers
        chunk: a few hundred ids at a time)."""
        if not article_ids:
            return {}
        rows = self._all(
            "SELECT a.portal, a.canonical_url, v.* FROM articles a JOIN versions v "
            "ON v.article_id = a.article_id AND v.version = a.current_version "
            f"WHERE a.article_id IN ({', '.join('?' * len(article_ids))})",
            tuple(article_ids),
        )
        out = {}
        for d in rows:
            portal, canonical_url = d.pop("portal"), d.pop("canonical_url")
            out[d["article_id"]] = self._version_from_row(d, portal, canonical_url)
        return out

    def versions(self, article_id: str) -> list[ArticleVersion]:
        head = self._one("SELECT portal, canonical_url FROM articles WHERE article_id=?", (article_id,))
        if head is None:
            return []
        rows = self._all("SELECT * FROM versions WHERE article_id=? ORDER BY version", (article_id,))
        return [self._version_from_row(r, head["portal"], head["canonical_url"]) for r in rows]

    def save_article(self, version: ArticleVersion, cluster: ClusterAssignment) -> SaveResult:
        aid, run = version.article_id, version.run_id
        with self._tx(allocates_seq=True):
            head = self._one("SELECT current_version, gone_at FROM articles WHERE article_id=?", (aid,))
            if head is None:
                cluster_known = self._one("SELECT 1 AS x FROM clusters WHERE cluster_id=?", (cluster.cluster_id,))
                self._exec(
                    "INSERT INTO articles (article_id, canonical_url, portal, first_seen, current_version, seq) "
                    "VALUES (?, ?, ?, ?, 1, 0)",
                    (aid, version.canonical_url, version.portal, version.fetched_at),
                )
                self._insert_version(version, 1)
                self._set_cluster(aid, cluster)
                seq = self._change("new-article", aid, is_rep=cluster.representative == aid, version=1, run_id=run,
                                   detail={"new_story": cluster_known is None})
                self._apply_representative(aid, cluster, run)
                return SaveResult(aid, 1, seq, created=True)
            if head["gone_at"]:
                self._exec("UPDATE articles SET gone_at=NULL, gone_status=NULL WHERE article_id=?", (aid,))
                self._change("restored", aid, is_rep=cluster.representative == aid, run_id=run)
            current = self._one(f"SELECT {', '.join(VERSIONED_FIELDS)} FROM versions WHERE article_id=? AND version=?",
                                (aid, head["current_version"]))
            if current is not None and self._same_version(current, version):
                self._move_cluster(aid, cluster, run)  # representative changes still count
                seq = int(self._value("SELECT seq FROM articles WHERE article_id=?", (aid,)))
                return SaveResult(aid, head["current_version"], seq, created=False, unchanged=True)
            number = head["current_version"] + 1
            self._insert_version(version, number)
            self._exec("UPDATE articles SET current_version=? WHERE article_id=?", (number, aid))
            self._move_cluster(aid, cluster, run)
            seq = self._change("new-version", aid, is_rep=cluster.representative == aid, version=number, run_id=run)
            return SaveResult(aid, number, seq, created=False)

    @staticmethod
    def _same_version(current: dict, v: ArticleVersion) -> bool:
        """Text (by hash) and metadata as stored: a save of it stores nothing."""
        def norm(key, value):
            if key in JSON_FIELDS and isinstance(value, str):
                value = json.loads(value)
            return bool(value) if key == "paywalled" else (value or [] if key in _LIST_FIELDS else value)

        return all(norm(k, current[k]) == norm(k, getattr(v, k)) for k in VERSIONED_FIELDS)

    def _insert_version(self, v: ArticleVersion, number: int) -> None:
        row = {f.name: getattr(v, f.name) for f in fields(v)}  # shallow: asdict deep-copied every line
        row["paywalled"] = int(bool(row["paywalled"]))
        for key in JSON_FIELDS:
            row[key] = json.dumps(row[key], ensure_ascii=False) if row[key] is not None else None
        self._exec(
            f"INSERT INTO versions (version, {', '.join(_VERSION_COLUMNS)}) "
            f"VALUES (?, {', '.join('?' * len(_VERSION_COLUMNS))})",
            [number, *(row[c] for c in _VERSION_COLUMNS)],
        )

    def _set_cluster(self, article_id: str, c: ClusterAssignment) -> None:
        is_rep = int(c.representative == article_id)
        if c.reason == "new-version" and c.nearest is None:
            # A new version stays in its story; the similarity that justified the join stays.
            self._exec("UPDATE articles SET cluster_id=?, is_representative=? WHERE article_id=?",
                       (c.cluster_id, is_rep, article_id))
        else:
            self._exec(
                "UPDATE articles SET cluster_id=?, nearest=?, jaccard=?, containment=?, dedup_reason=?, "
                "is_representative=? WHERE article_id=?",
                (c.cluster_id, c.nearest, c.jaccard, c.containment, c.reason, is_rep, article_id),
            )

    def _move_cluster(self, article_id: str, c: ClusterAssignment, run_id) -> None:
        """Apply the cluster decision for a known article: left/joined when its story changed."""
        before = self._one("SELECT cluster_id FROM articles WHERE article_id=?", (article_id,))["cluster_id"]
        self._set_cluster(article_id, c)
        if before is not None and before != c.cluster_id:
            self._change("left", article_id, cluster_id=before, is_rep=False, run_id=run_id,
                         detail={"to": c.cluster_id})
            self._apply_representative(article_id, c, run_id)
            self._change("joined", article_id, is_rep=c.representative == article_id, run_id=run_id,
                         detail={"from": before})
        else:
            self._apply_representative(article_id, c, run_id)

    def _apply_representative(self, article_id: str, c: ClusterAssignment, run_id) -> None:
        known = self._one("SELECT representative FROM clusters WHERE cluster_id=?", (c.cluster_id,))
        if known is None:
            self._exec("INSERT INTO clusters (cluster_id, representative, created_at) VALUES (?, ?, ?)",
                       (c.cluster_id, c.representative, now()))
            return
        old = known["representative"]
        if old == c.representative:
            return
        self._exec("UPDATE clusters SET representative=? WHERE cluster_id=?", (c.representative, c.cluster_id))
        # Both the old and the new representative change: each gets its own sequence number.
        for member, flag, other in ((old, 0, "next"), (c.representative, 1, "previous")):
            self._exec("UPDATE articles SET is_representative=? WHERE article_id=?", (flag, member))
            if member != article_id and self._one("SELECT 1 AS x FROM articles WHERE article_id=?", (member,)):
                self._change("representative", member, cluster_id=c.cluster_id, is_rep=bool(flag), run_id=run_id,
                             detail={other: c.representative if flag == 0 else old})

    def mark_gone(self, url: str, http_status: int, *, at: str | None = None,
                  run_id: str | None = None) -> Change | None:
        with self._tx(allocates_seq=True):
            head = self._one("SELECT article_id, gone_at, is_representative FROM articles WHERE canonical_url=?", (url,))
            if head is None:
                state = self._one("SELECT article_id FROM url_state WHERE url=?", (url,))
                if state and state["article_id"]:
                    head = self._one("SELECT article_id, gone_at, is_representative FROM articles "
                                     "WHERE article_id=?", (state["article_id"],))
            if head is None or head["gone_at"]:
                return None
            self._exec("UPDATE articles SET gone_at=?, gone_status=? WHERE article_id=?",
                       (at or now(), http_status, head["article_id"]))
            seq = self._change("gone", head["article_id"], is_rep=bool(head["is_representative"]), run_id=run_id,
                               detail={"http_status": http_status, "url": url})
        return self.changes(seq - 1, 1)[0]
