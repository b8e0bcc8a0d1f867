"""The WARC writer: exchanges and metadata into rolling gzip-per-record ``.warc.gz`` files.

Each file opens with a warcinfo record; every exchange is a request + response (or revisit,
see :mod:`crawler.archive.revisits`) record pair, flushed before :meth:`WarcArchive.write_exchange`
returns. Closed files go to the :class:`~crawler.archive.spool.Shipper` (index, upload, verify).
"""

from __future__ import annotations

import io
import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterable, Mapping

from crawler.archive.blobstore import BlobStore
from crawler.archive.cpu import CpuMeter, cpu_timed
from crawler.archive.digests import DigestIndex
from crawler.archive.exchange import (
    BuiltRecords, Exchange, RecordJob, build_records, new_record_id, payload_digest, reconstructed, request_record,
    revisit_record,
)
from crawler.archive.records import (
    DEFAULT_COMPRESS_LEVEL, DEFAULT_MAX_FILE_AGE, DEFAULT_MAX_FILE_SIZE, ENCODED_PAYLOAD_LEVEL,
    HTTP_CAPTURE_NOTES, WARC_SUFFIX, RecordBuilder, WarcPointer, gzip_member, metadata_record_bytes,
    safe_component, software, utc_stamp, warc_date,
)
from crawler.archive.revisits import Revisits
from crawler.archive.spool import ClosedFile, Shipper


@dataclass
class _OpenFile:
    name: str
    path: Path
    fh: io.BufferedWriter
    opened: float  # time.monotonic()
    records: int = 0
    warcinfo_id: str = ""
    responses: set = field(default_factory=set)  # record ids of its response/revisit records
    drain_until: float = 0.0
    inflight: int = 0  # exchanges planned for it whose records are still being built


@dataclass
class WirePlan:
    """One exchange between :meth:`WarcArchive.plan_wire` and :meth:`WarcArchive.finish_wire`."""

    ex: Exchange
    file: _OpenFile
    job: RecordJob
    revisit: object = None  # the RevisitTarget when the response is written as a revisit
    original: bool = False  # a full, untruncated response with a payload: a future revisit target
    built: BuiltRecords | None = None  # built already (revisits)


#: seconds a rolled file stays open for metadata records of its responses
DRAIN_SECONDS = 30.0


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
        max_file_age: float = DEFAULT_MAX_FILE_AGE,
        drain_seconds: float = DRAIN_SECONDS,
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
        run_cpu=None,
    ):
        self.store = store
        self.run_id = run_id or uuid.uuid4().hex
        self.prefix = safe_component(prefix)
        self.max_file_size = int(max_file_size)
        self.max_file_age = float(max_file_age or 0)  # seconds; 0: roll by size only
        self.drain_seconds = float(drain_seconds)
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
            on_recovered=self.revisits.remember_file if self.revisits else None, run_cpu=run_cpu,
        )
        self.spool_dir = self.shipper.spool_dir
        self._builder = RecordBuilder()
        self._serial = 0
        self._open: _OpenFile | None = None
        self._draining: _OpenFile | None = None  # rolled, open for late metadata records
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
        """CPU time spent archiving, all threads and record builds in workers."""
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
            self._open = f = _OpenFile(name, path, open(path, "xb"), time.monotonic())
            rec = self._builder.create_warcinfo_record(name, self.warcinfo_fields(name))
            rec.rec_headers.replace_header("WARC-Date", warc_date())
            f.warcinfo_id = rec.rec_headers.get_header("WARC-Record-ID")
            self._append_raw([self._builder.serialize(rec)])
        return self._open

    def _append_raw(self, records: list[bytes], levels: list[int] | None = None,
                    f: _OpenFile | None = None) -> list[tuple[int, int]]:
        """Compress serialised records, append them to ``f`` (default: the open file), flush.
        Returns (offset, length) of each gzip member."""
        f = f or self._open
        assert f is not None
        levels = levels or [self.levels[0]] * len(records)
        return self._append_members([gzip_member(r, lv) for r, lv in zip(records, levels)], f)

    def _append_members(self, members: list[bytes], f: _OpenFile) -> list[tuple[int, int]]:
        offset = f.fh.tell()
        spans = []
        for m in members:
            spans.append((offset, len(m)))
            offset += len(m)
        f.fh.write(b"".join(members))
        f.fh.flush()
        if self.fsync:
            os.fsync(f.fh.fileno())
        f.records += len(members)
        self.records_written += len(members)
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
        """Archive one HTTP exchange given as parsed parts (status, headers, de-chunked body)
        as a request + response record pair; see :meth:`write_wire` for exchanges captured at
        the connection."""
        ex = reconstructed(
            url, method=method.upper(), request_headers=request_headers,
            request_body=request_body, status=status, response_headers=response_headers,
            body=body, reason=reason, protocol=protocol or "HTTP/1.1", warc_date=warc_date(date),
            ip_address=ip_address, truncated=truncated,
        )
        return self.write_wire(ex, extra_warc_headers)

    @cpu_timed
    def write_wire(self, ex: Exchange, extra_warc_headers: Mapping[str, str] | None = None
                   ) -> WarcPointer:
        """Archive one exchange as the bytes of the connection: request record + response
        record (or a revisit record when this URL answered with this payload before).

        Returns the pointer of the response (or revisit) record; the bytes are flushed to the
        OS (and fsynced with ``fsync=True``) before this returns. A crawl does this in three
        steps (:meth:`plan_wire`, :func:`~crawler.archive.exchange.build_records` in a worker
        process, :meth:`finish_wire`), so that the reactor thread only decides and appends.
        """
        plan = self.plan_wire(ex, extra_warc_headers)
        return self.finish_wire(plan, plan.built or build_records(plan.job)._replace(cpu_seconds=0.0))

    @cpu_timed
    def plan_wire(self, ex: Exchange, extra_warc_headers: Mapping[str, str] | None = None) -> "WirePlan":
        """The decisions about one exchange: its file (rolled first if due), record id, revisit
        or not (the payload digest is computed here only for that). A revisit's records (heads
        only) are built here (``plan.built``); a full response's are built from ``plan.job`` by
        :func:`~crawler.archive.exchange.build_records`. Then :meth:`finish_wire`."""
        self._maybe_roll()
        f = self._ensure_open()
        head = ex.head_length()  # ValueError without a complete response head
        original = len(ex.response) > head and not ex.truncated  # a possible revisit target
        digest = revisit = None
        if self.revisits is not None and original:
            digest = payload_digest(ex)
            revisit = self.revisits.target(ex.url, digest=digest)
        resp_id = new_record_id()
        plan = WirePlan(ex, f, RecordJob(ex, resp_id, f.warcinfo_id, digest, extra_warc_headers, self.levels),
                        revisit=revisit[0] if revisit else None, original=original)
        if revisit is not None:
            resp = revisit_record(ex, resp_id, f.warcinfo_id, digest, revisit[0].refers_to(), extra_warc_headers)
            req = request_record(ex, resp_id, f.warcinfo_id)
            plan.built = BuiltRecords(gzip_member(req, self.levels[0]), gzip_member(resp, self.levels[0]),
                                      digest, 0.0)
        f.inflight += 1
        return plan

    @cpu_timed
    def finish_wire(self, plan: "WirePlan", built: BuiltRecords) -> WarcPointer:
        """Append an exchange's records to the file they were planned for, flush, and return
        the response record's pointer. If that file was closed meanwhile (rolled and drained),
        the records are planned and built again for the open one (they name its warcinfo)."""
        f, job = plan.file, plan.job
        f.inflight -= 1
        if f.fh.closed:
            again = self.plan_wire(plan.ex, job.extra)
            return self.finish_wire(again, again.built or build_records(again.job)._replace(cpu_seconds=0.0))
        self.cpu.add(built.cpu_seconds)
        (_, _), (roff, rlen) = self._append_members([built.request, built.response], f)
        revisit = plan.revisit
        pointer = WarcPointer(f.name, roff, rlen, job.response_id, built.digest,
                              refers_to=revisit.refers_to() if revisit else None)
        f.responses.add(job.response_id)
        if revisit is not None:
            self.revisits.wrote_revisit(rlen)
        elif self.revisits is not None and plan.original:
            self.revisits.remember(plan.ex.url, built.digest, plan.ex.warc_date, pointer)
        return pointer

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
        (repeatable), ``hopsFromSeed``; ``concurrent_to`` is the response's record id. The
        record goes into the file that holds that response, also when the file was rolled
        since (it stays open for :attr:`drain_seconds` after a roll for this).
        """
        d = self._draining
        f = d if d is not None and concurrent_to in d.responses else self._ensure_open()
        items = fields.items() if hasattr(fields, "items") else fields
        lines = []
        for k, v in items:
            vals = v if isinstance(v, (list, tuple)) else [v]
            for x in vals:
                lines.append(f"{k}: {x}\r\n")
        body = "".join(lines).encode("utf-8")
        head = [("WARC-Date", warc_date(date)), ("WARC-Warcinfo-ID", f.warcinfo_id)]
        if concurrent_to:
            head.append(("WARC-Concurrent-To", concurrent_to))
        rec_id = new_record_id()
        record, digest = metadata_record_bytes(url, body, rec_id, head)
        [(off, length)] = self._append_raw([record], f=f)
        return WarcPointer(f.name, off, length, rec_id, digest)

    # -- rolling -------------------------------------------------------------------------------
    def _maybe_roll(self) -> None:
        """Before an exchange: roll the open file at its size or age; close the file rolled
        before once its grace period for late metadata records is over."""
        now = time.monotonic()
        d = self._draining
        if d is not None and now >= d.drain_until and not d.inflight:
            self._draining = None
            self._finish(d)
        f = self._open
        if f is None:
            return
        too_old = self.max_file_age and now - f.opened >= self.max_file_age
        if f.fh.tell() >= self.max_file_size or too_old:
            if self._draining is not None:
                self._finish(self._draining)
            f.drain_until = now + self.drain_seconds
            self._draining, self._open = f, None

    def tick(self) -> None:
        """Periodic call (e.g. once a minute from the reactor): rolls a file that reached its
        age while the crawl is idle and closes a drained one."""
        if not self._closed:
            self._maybe_roll()

    def _finish(self, f: _OpenFile) -> ClosedFile:
        f.fh.flush()
        os.fsync(f.fh.fileno())
        f.fh.close()
        closed = ClosedFile(f.name, f.path.stat().st_size, f.records)
        self.shipper.submit(closed)
        return closed

    def roll(self) -> ClosedFile | None:
        """Close the open file (and one still draining, if any); index + upload them in the
        background. Returns the closed open file."""
        d, self._draining = self._draining, None
        if d is not None:
            self._finish(d)
        f, self._open = self._open, None
        return self._finish(f) if f is not None else None

    @property
    def _busy_paths(self) -> list[Path]:
        return [f.path for f in (self._open, self._draining) if f is not None]

    def recover_spool(self, ship: bool = True) -> list[ClosedFile]:
        """Repair, index and ship files left in the spool by an earlier (crashed) run."""
        return self.shipper.recover(ship, skip=self._busy_paths)

    def pending(self) -> list[str]:
        """WARC files still in the spool (not yet uploaded), excluding the open one."""
        return self.shipper.pending(exclude=[p.name for p in self._busy_paths])

    @cpu_timed
    def close(self, final_attempts: int | None = None, budget: float | None = None
              ) -> list[ClosedFile]:
        """Roll the open file, wait for uploads, retry anything left (no new attempt after
        ``budget`` seconds: the rest stays in the spool). Returns this run's files."""
        if self._closed:
            return list(self.closed_files)
        self.shipper.set_budget(budget)
        self.roll()
        self._closed = True
        self.shipper.close(final_attempts)
        return list(self.closed_files)

    def __enter__(self) -> "WarcArchive":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
