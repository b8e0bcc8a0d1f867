"""The WARC writer: exchanges and metadata into rolling gzip-per-record ``.warc.gz`` files.

Each file opens with a warcinfo record; every exchange is a request + response (or revisit,
see :mod:`crawler.archive.revisits`) record pair, flushed before :meth:`WarcArchive.write_exchange`
returns. Closed files go to the :class:`~crawler.archive.spool.Shipper` (index, upload, verify).
When files roll: :mod:`crawler.archive.rolling`; an exchange written in three steps (plan, build
in a worker, finish): :mod:`crawler.archive.planning`.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from datetime import datetime
from typing import Iterable, Mapping

from crawler.archive.blobstore import BlobStore
from crawler.archive.context import MetadataMember, metadata_member
from crawler.archive.cpu import CpuMeter, cpu_timed
from crawler.archive.digests import DigestIndex
from crawler.archive.exchange import reconstructed
from crawler.archive.planning import WirePlan, WirePlanning
from crawler.archive.records import (
    DEFAULT_COMPRESS_LEVEL, DEFAULT_MAX_FILE_AGE, DEFAULT_MAX_FILE_SIZE, ENCODED_PAYLOAD_LEVEL,
    HTTP_CAPTURE_NOTES, RecordBuilder, WarcPointer, gzip_member,
    safe_component, software, warc_date,
)
from crawler.archive.revisits import Revisits
from crawler.archive.rolling import DRAIN_SECONDS, OpenFile, RollingFiles
from crawler.archive.spool import ClosedFile, Shipper

__all__ = ["DRAIN_SECONDS", "WarcArchive", "WirePlan"]  # WirePlan, DRAIN_SECONDS: re-exported


class WarcArchive(WirePlanning, RollingFiles):
    """Writes exchanges to rolling WARC files in ``spool_dir`` and ships closed ones to ``store``.

    Not thread-safe for writing (call from one thread: a crawl's archive thread, see
    :mod:`crawler.scrapy_ext.archive_thread`); uploads run in
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
        self._open: OpenFile | None = None
        self._draining: OpenFile | None = None  # rolled, open for late metadata records
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

    # -- writing -------------------------------------------------------------------------------
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

    def _ensure_open(self) -> OpenFile:
        if self._closed:
            raise RuntimeError("WarcArchive is closed")
        if self._open is None:
            name = self._next_name()
            path = self.spool_dir / name
            self._open = f = OpenFile(name, path, open(path, "xb"), time.monotonic())
            rec = self._builder.create_warcinfo_record(name, self.warcinfo_fields(name))
            rec.rec_headers.replace_header("WARC-Date", warc_date())
            f.warcinfo_id = rec.rec_headers.get_header("WARC-Record-ID")
            self._append_raw([self._builder.serialize(rec)])
        return self._open

    def _append_raw(self, records: list[bytes], levels: list[int] | None = None,
                    f: OpenFile | None = None) -> list[tuple[int, int]]:
        """Compress serialised records, append them to ``f`` (default: the open file), flush.
        Returns (offset, length) of each gzip member."""
        f = f or self._open
        assert f is not None
        levels = levels or [self.levels[0]] * len(records)
        return self._append_members([gzip_member(r, lv) for r, lv in zip(records, levels)], f)

    def _append_members(self, members: list[bytes], f: OpenFile) -> list[tuple[int, int]]:
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
        f = self._metadata_file(concurrent_to)
        built = metadata_member(url, fields, warcinfo_id=f.warcinfo_id, concurrent_to=concurrent_to, date=date,
                                level=self.levels[0])
        return self._append_metadata(built, f)

    @cpu_timed
    def append_metadata(self, built: MetadataMember, concurrent_to: str | None) -> WarcPointer | None:
        """A metadata record built elsewhere (:func:`~crawler.archive.context.metadata_member`,
        in a worker), appended to the file :meth:`write_metadata` would choose; None when that
        is not the file or the response it was built for (build it again with write_metadata)."""
        f = self._metadata_file(concurrent_to)
        if f.warcinfo_id != built.warcinfo_id or concurrent_to != built.concurrent_to:
            return None
        return self._append_metadata(built, f)

    def _metadata_file(self, concurrent_to: str | None) -> OpenFile:
        d = self._draining
        return d if d is not None and concurrent_to in d.responses else self._ensure_open()

    def _append_metadata(self, built: MetadataMember, f: OpenFile) -> WarcPointer:
        [(off, length)] = self._append_members([built.member], f)
        return WarcPointer(f.name, off, length, built.record_id, built.digest)

    # -- spool and closing -------------------------------------------------------------------
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
