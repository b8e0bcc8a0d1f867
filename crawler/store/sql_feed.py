"""Reading the SQL article store: the change feed and the export rows (the current version of
each article with its story), shared by both backends."""

from __future__ import annotations

import json
from typing import Iterator

from crawler.store.base import Change

JSON_FIELDS = ("authors", "dateline", "removed", "warnings", "warc")
_PAGE = 500


class FeedMixin:
    """Needs ``_one``, ``_all`` and ``_value`` of :class:`crawler.store.sql.SQLArticleStore`."""

    # -- the change feed -----------------------------------------------------------------------
    def changes(self, after_seq: int = 0, limit: int = 1000, *, portal: str | None = None,
                kinds: tuple[str, ...] | None = None) -> list[Change]:
        sql, params = "SELECT * FROM changes WHERE seq > ?", [int(after_seq)]
        if portal:
            sql += " AND portal = ?"
            params.append(portal)
        if kinds:
            sql += f" AND kind IN ({', '.join('?' * len(kinds))})"
            params.extend(kinds)
        sql += " ORDER BY seq LIMIT ?"
        params.append(max(0, int(limit)))
        return [self._change_from_row(r) for r in self._all(sql, params)]

    @staticmethod
    def _change_from_row(r: dict) -> Change:
        return Change(
            seq=int(r["seq"]), kind=r["kind"], article_id=r["article_id"], cluster_id=r["cluster_id"],
            is_representative=bool(r["is_representative"]), portal=r["portal"], canonical_url=r["canonical_url"],
            version=int(r["version"]) if r["version"] is not None else 0, at=r["at"], run_id=r["run_id"],
            detail=json.loads(r["detail"]) if r["detail"] else {},
        )

    def max_seq(self) -> int:
        return int(self._value("SELECT MAX(seq) AS m FROM changes") or 0)

    # -- export rows ---------------------------------------------------------------------------
    _EXPORT_SELECT = (
        "SELECT a.article_id, a.canonical_url, a.portal, a.first_seen, a.current_version AS version, "
        "a.cluster_id, a.is_representative, a.nearest, a.jaccard, a.containment, a.dedup_reason, a.seq, "
        "a.gone_at, a.gone_status, "
        "v.url, v.fetched_at, v.lastmod, v.run_id, v.discovered_via, v.title, v.text, v.authors, "
        "v.published, v.modified, v.section, v.dateline, v.language, v.removed, v.warnings, "
        "v.catalogue_version, v.text_hash, v.warc, v.archive, v.paywalled "
        "FROM articles a JOIN versions v ON v.article_id = a.article_id AND v.version = a.current_version "
    )

    @staticmethod
    def _export_row(d: dict) -> dict:
        for key in JSON_FIELDS:
            if d.get(key) is not None:
                d[key] = json.loads(d[key])
        d["is_representative"] = bool(d["is_representative"])
        d["paywalled"] = bool(d.get("paywalled"))
        return d

    def changes_after(self, after_seq: int = 0) -> Iterator[dict]:
        last = int(after_seq)
        while True:  # keyset pages: no cursor held open between the rows handed out
            rows = self._all(self._EXPORT_SELECT + "WHERE a.seq > ? ORDER BY a.seq LIMIT ?", (last, _PAGE))
            for row in rows:
                yield self._export_row(row)
            if len(rows) < _PAGE:
                return
            last = rows[-1]["seq"]

    def article_row(self, article_id: str) -> dict | None:
        row = self._one(self._EXPORT_SELECT + "WHERE a.article_id = ?", (article_id,))
        return self._export_row(row) if row else None

    def changed_clusters(self, after_seq: int = 0) -> Iterator[tuple[str, int]]:
        rows = self._all(
            "SELECT cluster_id, MAX(seq) AS latest FROM articles WHERE seq > ? GROUP BY cluster_id ORDER BY latest",
            (after_seq,),
        )
        for row in rows:
            yield row["cluster_id"], int(row["latest"])

    def cluster_members(self, cluster_id: str) -> list[dict]:
        rows = self._all(
            self._EXPORT_SELECT + "WHERE a.cluster_id = ? ORDER BY a.is_representative DESC, v.published, a.first_seen",
            (cluster_id,),
        )
        return [self._export_row(r) for r in rows]

    def article_ids(self) -> list[str]:
        return [r["article_id"] for r in self._all("SELECT article_id FROM articles ORDER BY seq")]

    def clusters_touched(self, run_id: str) -> list[str]:
        rows = self._all(
            "SELECT a.cluster_id, MIN(a.seq) AS first FROM articles a JOIN versions v ON v.article_id = a.article_id "
            "WHERE v.run_id = ? GROUP BY a.cluster_id ORDER BY first",
            (run_id,),
        )
        return [r["cluster_id"] for r in rows]

    def counts(self) -> dict:
        one = lambda sql: int(self._value(sql) or 0)  # noqa: E731
        return {
            "articles": one("SELECT COUNT(*) AS n FROM articles"),
            "versions": one("SELECT COUNT(*) AS n FROM versions"),
            "clusters": one("SELECT COUNT(DISTINCT cluster_id) AS n FROM articles"),
            "gone": one("SELECT COUNT(*) AS n FROM articles WHERE gone_at IS NOT NULL"),
            "max_seq": self.max_seq(),
        }
