"""Rolling WARC files: the open file, its name, when it rolls (size, age) and the grace period
a rolled file stays open for late metadata records before it is closed and shipped.

:class:`RollingFiles` is a mixin of :class:`~crawler.archive.writer.WarcArchive`; it uses the
writer's ``prefix``, ``host``, ``worker_id``, ``max_file_size``, ``max_file_age``,
``drain_seconds``, ``shipper`` and ``_closed``, and keeps ``_serial``, ``_open`` (the file being
written) and ``_draining`` (rolled, open for late metadata records).
"""

from __future__ import annotations

import io
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from crawler.archive.records import WARC_SUFFIX, utc_stamp
from crawler.archive.spool import ClosedFile

#: seconds a rolled file stays open for metadata records of its responses
DRAIN_SECONDS = 30.0


@dataclass
class OpenFile:
    name: str
    path: Path
    fh: io.BufferedWriter
    opened: float  # time.monotonic()
    records: int = 0
    warcinfo_id: str = ""
    responses: set = field(default_factory=set)  # record ids of its response/revisit records
    drain_until: float = 0.0
    inflight: int = 0  # exchanges planned for it whose records are still being built


class RollingFiles:
    """The roll policy of a writer's files (see the module docstring for the state it uses)."""

    _open: OpenFile | None
    _draining: OpenFile | None

    @property
    def current_file(self) -> str | None:
        return self._open.name if self._open else None

    def _next_name(self) -> str:
        name = (f"{self.prefix}-{utc_stamp()}-{self._serial:05d}-{self.host}-{self.worker_id}"
                + WARC_SUFFIX)
        self._serial += 1
        return name

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
        """Periodic call (every 30 s during a crawl, on its archive thread): rolls a file that reached its
        age while the crawl is idle and closes a drained one."""
        if not self._closed:
            self._maybe_roll()

    def _finish(self, f: OpenFile) -> ClosedFile:
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
