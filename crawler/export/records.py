"""The published records (``schema/*.json``) built from the store's rows.

Story records (default export, API ``/stories``): one per story cluster, the representative
article's fields with ``story_id``, ``first_publisher`` and ``members``. Article records
(``--all-members``, API ``/articles``): every article with ``cluster_id`` and
``is_representative``. Version records (API ``/articles/{id}``): every stored version with its
provenance and the diff against the version before. ``seq`` is the store's change sequence: a
consumer that remembers the highest ``seq`` it saw asks for what changed after it.
"""

from __future__ import annotations

import difflib
from typing import Iterator

from crawler.export.filters import RecordFilter, parse_time
from crawler.store import SCHEMA_VERSION as FORMAT_VERSION  # of schema/; changelog in the README
from crawler.store import ArticleStore, ArticleVersion

ARTICLE_FIELDS = (
    "article_id", "url", "canonical_url", "portal", "version", "title", "text", "authors",
    "published", "modified", "section", "dateline", "language", "paywalled", "removed", "warnings",
    "catalogue_version", "lastmod", "first_seen", "gone_at", "gone_status",
)
_LIST_FIELDS = ("authors", "removed", "warnings")


def provenance(row: dict) -> dict:
    warc = row.get("warc") or {}
    return {
        "url": row["url"],
        "fetched_at": row["fetched_at"],
        "archive": row.get("archive"),
        "warc_file": warc.get("warc_file"),
        "offset": warc.get("offset"),
        "length": warc.get("length"),
        "record_id": warc.get("record_id"),
        "payload_digest": warc.get("payload_digest"),
        # set when the response was archived as a revisit record (identical payload): the
        # original response record holding the body (warc_file, offset, length, record_id,
        # payload_digest, url, warc_date), in the same archive
        "refers_to": warc.get("refers_to"),
        "run_id": row.get("run_id"),
        "discovered_via": row.get("discovered_via"),
    }


def article_record(row: dict, seq: int | None = None) -> dict:
    record = {"schema_version": FORMAT_VERSION, "record": "article",
              "seq": seq if seq is not None else row["seq"]}
    record.update({k: row.get(k) for k in ARTICLE_FIELDS})
    for key in _LIST_FIELDS:
        record[key] = record[key] or []
    record["paywalled"] = bool(record["paywalled"])
    record["cluster_id"] = row.get("cluster_id")
    record["is_representative"] = bool(row.get("is_representative"))
    record["similarity"] = {
        "nearest": row.get("nearest"), "jaccard": row.get("jaccard"),
        "containment": row.get("containment"), "reason": row.get("dedup_reason"),
    }
    record["provenance"] = provenance(row)
    return record


def member_entry(row: dict) -> dict:
    return {
        "article_id": row["article_id"], "url": row["url"], "portal": row["portal"],
        "published": row.get("published"), "is_representative": bool(row.get("is_representative")),
        "nearest": row.get("nearest"), "jaccard": row.get("jaccard"), "containment": row.get("containment"),
        "reason": row.get("dedup_reason"),
    }


def _first_publisher(members: list[dict]) -> dict:
    def key(m: dict):
        when = parse_time(m.get("published")) or parse_time(m.get("first_seen"))
        return (when is None, when, m.get("first_seen") or "", m["article_id"])

    first = min(members, key=key)
    return {"article_id": first["article_id"], "portal": first["portal"], "published": first.get("published")}


def story_record(cluster_id: str, members: list[dict], seq: int | None = None) -> dict:
    """``members``: the store's rows of one cluster (``cluster_members``)."""
    rep = next((m for m in members if m.get("is_representative")), members[0])
    record = article_record(rep, seq=seq if seq is not None else max(m["seq"] for m in members))
    record["record"] = "story"
    record["story_id"] = cluster_id
    record["first_publisher"] = _first_publisher(members)
    record["members"] = [member_entry(m) for m in members]
    return record


def version_records(versions: list[ArticleVersion]) -> list[dict]:
    """Every version of one article, oldest first, each with the diff against the one before."""
    out, before = [], None
    for number, v in enumerate(versions, start=1):
        diff = None
        if before is not None:
            diff = "".join(difflib.unified_diff(
                (before.text + "\n").splitlines(keepends=True), (v.text + "\n").splitlines(keepends=True),
                fromfile=f"version {number - 1}", tofile=f"version {number}"))
        row = {"url": v.url, "fetched_at": v.fetched_at, "archive": v.archive, "warc": v.warc,
               "run_id": v.run_id, "discovered_via": v.discovered_via}
        out.append({
            "schema_version": FORMAT_VERSION, "record": "version", "article_id": v.article_id,
            "version": number, "url": v.url, "fetched_at": v.fetched_at, "title": v.title,
            "text": v.text, "authors": v.authors or [], "published": v.published, "modified": v.modified,
            "section": v.section, "language": v.language, "paywalled": bool(v.paywalled), "text_hash": v.text_hash, "diff": diff,
            "provenance": provenance(row),
        })
        before = v
    return out


def change_record(change) -> dict:
    """A change-feed entry (:class:`crawler.store.Change`) as a published record."""
    return {
        "schema_version": FORMAT_VERSION, "record": "change", "seq": change.seq, "kind": change.kind,
        "article_id": change.article_id, "cluster_id": change.cluster_id,
        "is_representative": change.is_representative, "portal": change.portal,
        "canonical_url": change.canonical_url, "version": change.version, "at": change.at,
        "run_id": change.run_id, "detail": dict(change.detail),
    }


def export_records(store: ArticleStore, *, after_seq: int = 0, all_members: bool = False,
                   where: RecordFilter | None = None) -> Iterator[dict]:
    """Records in the order of their latest change; streams (one story in memory at a time).

    ``where`` keeps articles matching it, and stories with at least one matching member."""
    where = where or RecordFilter()
    if all_members:
        for row in store.changes_after(after_seq):
            if where.matches(row):
                yield article_record(row)
        return
    for cluster_id, seq in store.changed_clusters(after_seq):
        members = store.cluster_members(cluster_id)
        if members and any(where.matches(m) for m in members):
            yield story_record(cluster_id, members, seq=seq)
