"""An exchange written in three steps, so that the crawl's archive thread only decides and appends:
:meth:`~WirePlanning.plan_wire` (file, record id, revisit or not), the record build
(:func:`~crawler.archive.exchange.build_records`, in a worker process during a crawl) and
:meth:`~WirePlanning.finish_wire` (append to the planned file, flush, pointer).

:class:`WirePlanning` is a mixin of :class:`~crawler.archive.writer.WarcArchive`; it uses the
writer's ``revisits``, ``levels``, ``cpu``, ``_maybe_roll``, ``_ensure_open`` and
``_append_members``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from crawler.archive.cpu import cpu_timed
from crawler.archive.exchange import (
    BuiltRecords, Exchange, RecordJob, build_records, new_record_id, payload_digest, request_record,
    revisit_record,
)
from crawler.archive.records import WarcPointer, gzip_member
from crawler.archive.rolling import OpenFile


@dataclass
class WirePlan:
    """One exchange between :meth:`WarcArchive.plan_wire` and :meth:`WarcArchive.finish_wire`."""

    ex: Exchange
    file: OpenFile
    job: RecordJob
    revisit: object = None  # the RevisitTarget when the response is written as a revisit
    original: bool = False  # a full, untruncated response with a payload: a future revisit target
    built: BuiltRecords | None = None  # built already (revisits)


class WirePlanning:
    """Writing exchanges captured at the connection (see the module docstring)."""

    @cpu_timed
    def write_wire(self, ex: Exchange, extra_warc_headers: Mapping[str, str] | None = None
                   ) -> WarcPointer:
        """Archive one exchange as the bytes of the connection: request record + response
        record (or a revisit record when this URL answered with this payload before).

        Returns the pointer of the response (or revisit) record; the bytes are flushed to the
        OS (and fsynced with ``fsync=True``) before this returns. A crawl does this in three
        steps (:meth:`plan_wire`, :func:`~crawler.archive.exchange.build_records` in a worker
        process, :meth:`finish_wire`), so that the archive thread only decides and appends.
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
