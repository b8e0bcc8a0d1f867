"""Delivery of de-duplicated articles as records for downstream systems (JSON Lines).

Default: one record per story cluster, the representative with its ``members``. With
``all_members``: every article with ``cluster_id`` and ``is_representative``. ``after_seq``
gives only clusters/articles whose rows changed after that sequence number, so a consumer that
remembers the highest ``seq`` it has seen pulls changes incrementally.
"""

from __future__ import annotations

from typing import Iterator

from crawler.store import SCHEMA_VERSION, ArticleStore

ARTICLE_FIELDS = (
    "article_id", "url", "canonical_url", "portal", "version", "title", "text", "authors",
    "published", "modified", "section", "dateline", "language", "removed", "warnings",
    "catalogue_version", "lastmod", "first_seen",
)


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
    record = {"schema_version": SCHEMA_VERSION, "seq": seq if seq is not None else row["seq"]}
    record.update({k: row.get(k) for k in ARTICLE_FIELDS})
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
    }


def export_records(store: ArticleStore, *, after_seq: int = 0, all_members: bool = False) -> Iterator[dict]:
    """Records in the order of their latest change; streams (one story in memory at a time)."""
    if all_members:
        for row in store.changes_after(after_seq):
            yield article_record(row)
        return
    for cluster_id, seq in store.changed_clusters(after_seq):
        members = store.cluster_members(cluster_id)
        if not members:
            continue
        rep = next((m for m in members if m.get("is_representative")), members[0])
        record = article_record(rep, seq=seq)
        record["members"] = [member_entry(m) for m in members]
        yield record
