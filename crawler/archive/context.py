"""The crawl-context metadata record of a capture (application/warc-fields: ``via``,
``outlink`` ...), built from plain values, so a worker process can build it beside the page's
other records; :meth:`crawler.archive.WarcArchive.append_metadata` appends it."""

from __future__ import annotations

from datetime import datetime
from typing import Iterable, Mapping, NamedTuple

from crawler.archive.exchange import new_record_id
from crawler.archive.records import gzip_member, metadata_record_bytes, warc_date


class MetadataMember(NamedTuple):
    member: bytes  # gzip member of the record
    record_id: str
    digest: str  # payload digest
    warcinfo_id: str | None  # of the file it names (it must go into that file)
    concurrent_to: str | None  # the response record it describes


def metadata_member(url: str, fields: Mapping[str, object] | Iterable[tuple[str, object]], *,
                    warcinfo_id: str | None, concurrent_to: str | None = None, date: datetime | None = None,
                    level: int) -> MetadataMember:
    """A metadata record of ``url`` for the file whose warcinfo record is ``warcinfo_id``."""
    items = fields.items() if hasattr(fields, "items") else fields
    lines = []
    for k, v in items:
        vals = v if isinstance(v, (list, tuple)) else [v]
        for x in vals:
            lines.append(f"{k}: {x}\r\n")
    body = "".join(lines).encode("utf-8")
    head = [("WARC-Date", warc_date(date)), ("WARC-Warcinfo-ID", warcinfo_id)]
    if concurrent_to:
        head.append(("WARC-Concurrent-To", concurrent_to))
    rec_id = new_record_id()
    record, digest = metadata_record_bytes(url, body, rec_id, head)
    return MetadataMember(gzip_member(record, level), rec_id, digest, warcinfo_id, concurrent_to)
