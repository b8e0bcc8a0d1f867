"""The WARC writer: exchanges and metadata into rolling gzip-per-record ``.warc.gz`` files.

Each file opens with a warcinfo record; every exchange is a request + response (or revisit,
see :mod:`crawler.archive.revisits`) record pair, flushed before :meth:`WarcArchive.write_exchange`
returns. Closed files go to the :class:`~crawler.archive.spool.Shipper` (index, upload, verify).
"""

from __future__ import annotations

import io
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from pathlib import Path
from typing import Iterable, Mapping
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders

from crawler.archive.blobstore import BlobStore
from crawler.archive.cpu import CpuMeter, cpu_timed
from crawler.archive.digests import DigestIndex
from crawler.archive.records import (
    DEFAULT_COMPRESS_LEVEL, DEFAULT_MAX_FILE_SIZE, ENCODED_PAYLOAD_LEVEL, HTTP_CAPTURE_NOTES,
    WARC_SUFFIX, RecordBuilder, WarcPointer, dechunked_response_headers, gzip_member,
    normalize_headers, request_target, safe_component, software, utc_stamp, warc_date,
)
from crawler.archive.revisits import Revisits
from crawler.archive.spool import ClosedFile, Shipper


@dataclass
class _OpenFile:
    name: str
    path: Path
    fh: io.BufferedWriter
    records: int = 0


def _is_encoded(headers) -> bool:
    return any(k.lower() == "content-encoding" and v.strip().lower() not in ("", "identity")
               for k, v in headers)


class WarcArchive:
    """Writes exchanges to rolling WARC files in ``spool_dir`` and ships closed ones to ``store``.

    Not thread-safe for writing (call from one thread, e.g. the Twisted reactor); uploads run in
    a background thread and never block writing.
    """

    def __init__(
        self,
        spool_dir: str | os.PathLike,
        store: BlobStore,
        *,
        run_id: str | None = None,
        prefix: str = "crawl",
        max_file_size: int = DEFAULT_MAX_FILE_SIZE,
        warcinfo: Mapping[str, object] | None = None,
        host: str | None = None,
        worker_id: str | None = None,
        compress_level: int = DEFAULT_COMPRESS_LEVEL,
        encoded_level: int = ENCODED_PAYLOAD_LEVEL,
        fsync: bool = False,
        digest_index: DigestIndex | None = None,
        upload_attempts: int = 5,
        upload_backoff: float = 1.0,
        background_upload: bool = True,
        recover: bool = True,
        collection_index=None,
    ):
        self.store = store
        self.run_id = run_id or uuid.uuid4().hex
        self.prefix = safe_component(prefix)
        self.max_file_size = int(max_file_size)
        self.extra_warcinfo = dict(warcinfo or {})
        self.host = safe_component(host or socket.gethostname())
        self.worker_id = safe_component(worker_id or str(os.getpid()))
        self.levels = (compress_level, encoded_level)
        self.fsync = fsync
        self.cpu = CpuMeter()
        self.revisits = Revisits(digest_index, store) if digest_index is not None else None
        self.shipper = Shipper(
            spool_dir, store, attempts=upload_attempts, backoff=upload_backoff,
            background=background_upload, cpu=self.cpu,
            on_shipped=self.revisits.publish if self.revisits else None,
            collection=collection_index,
        )
        self.spool_dir = self.shipper.spool_dir
        self._builder = RecordBuilder()
        self._serial = 0
        self._open: _OpenFile | None = None
        self.bytes_written = 0
        self.records_written = 0
        self._closed = False
        if recover:
            self.recover_spool()

    # -- what the crawl reports ------------------------------------------------------------------
    @property
    def closed_files(self) -> list[ClosedFile]:
        return self.shipper.closed_files

    @property
    def recovered(self) -> list[ClosedFile]:
        return self.shipper.recovered

    @property
    def digest_index(self) -> DigestIndex | None:
        return self.revisits.index if self.revisits else None

    @property
    def cpu_seconds(self) -> float:
        """CPU time spent archiving, all threads."""
        return self.cpu.seconds

    @property
    def revisits_written(self) -> int:
        return self.revisits.written if self.revisits else 0

    @property
    def revisit_bytes(self) -> int:
        return self.revisits.bytes if self.revisits else 0

    @property
    def revisit_targets_missing(self) -> int:
        return self.revisits.targets_missing if self.revisits else 0

    @property
    def current_file(self) -> str | None:
        return self._open.name if self._open else None

    # -- writing -------------------------------------------------------------------------------
    def _next_name(self) -> str:
        name = (f"{self.prefix}-{utc_stamp()}-{self._serial:05d}-{self.host}-{self.worker_id}"
                + WARC_SUFFIX)
        self._serial += 1
        return name

    def warcinfo_fields(self, filename: str) -> dict[str, str]:
        info: dict[str, str] = {
            "software": software(),
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "hostname": socket.gethostname(),
            "run-id": self.run_id,
            "worker-id": self.worker_id,
        }
        for k, v in self.extra_warcinfo.items():
            if v is not None and v != "":
                info[str(k)] = str(v)
        info.setdefault("http-capture-notes", HTTP_CAPTURE_NOTES)
        return info

    def _ensure_open(self) -> _OpenFile:
        if self._closed:
            raise RuntimeError("WarcArchive is closed")
        if self._open is None:
            name = self._next_name()
            path = self.spool_dir / name
            self._open = _OpenFile(name, path, open(path, "xb"))
            rec = self._builder.create_warcinfo_record(name, self.warcinfo_fields(name))
            rec.rec_headers.replace_header("WARC-Date", warc_date())
            self._append([rec])
        return self._open

    def _append(self, records: list, levels: list[int] | None = None) -> list[tuple[int, int]]:
        """Serialise + compress records, append them, flush. Returns (offset, length) each."""
        f = self._open
        assert f is not None
        levels = levels or [self.levels[0]] * len(records)
        members = [gzip_member(self._builder.serialize(r), lv) for r, lv in zip(records, levels)]
        offset = f.fh.tell()
        spans = []
        for m in members:
            spans.append((offset, len(m)))
            offset += len(m)
        f.fh.write(b"".join(members))
        f.fh.flush()
        if self.fsync:
            os.fsync(f.fh.fileno())
        f.records += len(records)
        self.records_written += len(records)
        self.bytes_written += sum(len(m) for m in members)
        return spans

    @cpu_timed
    def write_exchange(
        self,
        *,
        url: str,
        method: str = "GET",
        request_headers=(),
        request_body: bytes = b"",
        status: int,
        response_headers=(),
        body: bytes,
        reason: str | None = None,
        protocol: str = "HTTP/1.1",
        ip_address: str | None = None,
        date: datetime | None = None,
        truncated: str | None = None,
        extra_warc_headers: Mapping[str, str] | None = None,
    ) -> WarcPointer:
        """Archive one HTTP exchange as a request + response record pair.

        Returns the pointer of the response (or revisit) record; the bytes are flushed to the
        OS (and fsynced with ``fsync=True``) before this returns.
        """
        f = self._ensure_open()
        wdate = warc_date(date)
        method = method.upper()
        protocol = protocol or "HTTP/1.1"
        if reason is None:
            try:
                reason = HTTPStatus(int(status)).phrase
            except ValueError:
                reason = ""
        resp_hdrs = dechunked_response_headers(
            normalize_headers(response_headers), len(body), method=method, status=int(status)
        )
        http_resp = StatusAndHeaders(f"{int(status)} {reason}".strip(), resp_hdrs, protocol=protocol)
        resp_id = self._builder._make_warc_id()
        common = {"WARC-Date": wdate}
        if ip_address:
            common["WARC-IP-Address"] = str(ip_address)
        resp_warc = {"WARC-Record-ID": resp_id, **common}
        if truncated:
            resp_warc["WARC-Truncated"] = truncated
        resp_warc.update(extra_warc_headers or {})
        revisit = None
        if self.revisits is not None and body and not truncated:
            revisit = self.revisits.target(url, body)
        resp_rec = self._response_record(url, http_resp, body, resp_warc, revisit)
        req_rec = self._request_record(url, method, protocol, request_headers, request_body,
                                       {**common, "WARC-Concurrent-To": resp_id})
        resp_level = self.levels[1] if _is_encoded(resp_hdrs) and revisit is None else self.levels[0]
        (_, _), (roff, rlen) = self._append([req_rec, resp_rec], [self.levels[0], resp_level])
        digest = resp_rec.rec_headers.get_header("WARC-Payload-Digest")
        pointer = WarcPointer(f.name, roff, rlen, resp_id, digest,
                              refers_to=revisit[0].refers_to() if revisit else None)
        if revisit is not None:
            self.revisits.wrote_revisit(rlen)
        elif self.revisits is not None and digest and body and not truncated:
            self.revisits.remember(url, digest, wdate, pointer)
        self._maybe_roll()
        return pointer

    def _response_record(self, url, http_resp, body, warc_headers, revisit):
        if revisit is None:
            return self._builder.create_warc_record(
                url, "response", payload=io.BytesIO(body), length=len(body),
                warc_headers_dict=warc_headers, http_headers=http_resp,
            )
        target, digest = revisit
        rec = self._builder.create_revisit_record(
            url, digest, target.url, target.warc_date, http_headers=http_resp,
            warc_headers_dict=warc_headers,
        )
        # WARC 1.1 header order: Refers-To next to the other Refers-To-* fields
        rec.rec_headers.add_header("WARC-Refers-To", target.pointer.record_id)
        return rec

    def _request_record(self, url, method, protocol, headers, body, warc_headers):
        req_hdrs = normalize_headers(headers)
        if not any(k.lower() == "host" for k, _ in req_hdrs):
            req_hdrs.insert(0, ("Host", urlsplit(url).netloc))
        # warcio keeps the method in .protocol for requests (cdxj-indexer reads it from there)
        http_req = StatusAndHeaders(f"{method} {request_target(url)} {protocol}", req_hdrs,
                                    is_http_request=True)
        body = body or b""
        return self._builder.create_warc_record(
            url, "request", payload=io.BytesIO(body), length=len(body),
            warc_headers_dict=warc_headers, http_headers=http_req,
        )

    @cpu_timed
    def write_metadata(
        self,
        url: str,
        fields: Mapping[str, object] | Iterable[tuple[str, object]],
        *,
        concurrent_to: str | None = None,
        date: datetime | None = None,
    ) -> WarcPointer:
        """A metadata record (application/warc-fields) with the crawl context of ``url``.

        Typical fields: ``via`` (the feed/sitemap/page it was discovered on), ``outlink``
        (repeatable), ``hopsFromSeed``; ``concurrent_to`` is the response's record id.
        """
        self._ensure_open()
        items = fields.items() if hasattr(fields, "items") else fields
        lines = []
        for k, v in items:
            vals = v if isinstance(v, (list, tuple)) else [v]
            for x in vals:
                lines.append(f"{k}: {x}\r\n")
        body = "".join(lines).encode("utf-8")
        hdrs = {"WARC-Date": warc_date(date)}
        if concurrent_to:
            hdrs["WARC-Concurrent-To"] = concurrent_to
        rec = self._builder.create_warc_record(
            url, "metadata", payload=io.BytesIO(body), length=len(body),
            warc_content_type="application/warc-fields", warc_headers_dict=hdrs,
        )
        rec_id = rec.rec_headers.get_header("WARC-Record-ID")
        [(off, length)] = self._append([rec])
        ptr = WarcPointer(
            self._open.name, off, length, rec_id, rec.rec_headers.get_header("WARC-Payload-Digest")
        )
        self._maybe_roll()
        return ptr

    def _maybe_roll(self) -> None:
        if self._open is not None and self._open.fh.tell() >= self.max_file_size:
            self.roll()

    # -- closing and shipping --------------------------------------------------------------------
    def roll(self) -> ClosedFile | None:
        """Close the current file (if any); index + upload it in the background."""
        f, self._open = self._open, None
        if f is None:
            return None
        f.fh.flush()
        os.fsync(f.fh.fileno())
        f.fh.close()
        closed = ClosedFile(f.name, f.path.stat().st_size, f.records)
        self.shipper.submit(closed)
        return closed

    def recover_spool(self, ship: bool = True) -> list[ClosedFile]:
        """Repair, index and ship files left in the spool by an earlier (crashed) run."""
        return self.shipper.recover(ship, skip=self._open.path if self._open else None)

    def pending(self) -> list[str]:
        """WARC files still in the spool (not yet uploaded), excluding the open one."""
        return self.shipper.pending(exclude=self.current_file)

    @cpu_timed
    def close(self, final_attempts: int | None = None) -> list[ClosedFile]:
        """Roll the open file, wait for uploads, retry anything left. Returns this run's files."""
        if self._closed:
            return list(self.closed_files)
        self.roll()
        self._closed = True
        self.shipper.close(final_attempts)
        return list(self.closed_files)

    def __enter__(self) -> "WarcArchive":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
