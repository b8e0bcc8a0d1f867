"""Delivery of de-duplicated articles to downstream systems: the published records
(``records``), their filters (``filters``), the JSON Schemas and typed columns (``schema``) and
the file formats (``formats``: JSON Lines, Parquet, CSV)."""

from crawler.export.filters import RecordFilter, parse_since, parse_time
from crawler.export.records import (
    FORMAT_VERSION,
    article_record,
    change_record,
    export_records,
    member_entry,
    provenance,
    story_record,
    version_records,
)

__all__ = [
    "FORMAT_VERSION", "RecordFilter", "article_record", "change_record", "export_records", "member_entry",
    "parse_since", "parse_time", "provenance", "story_record", "version_records",
]
