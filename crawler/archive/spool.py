"""The spool: closed WARC files waiting for upload, crash repair, verified shipping.

Life of a file::

    spool/NAME.warc.gz          written while open (one gzip member per record, flushed per
                                exchange); opens with a warcinfo record
    spool/NAME.cdxj             written when the file is closed: its sidecar index
    store/NAME.warc.gz + .cdxj  uploaded, verified (size + digest), then the spool copies go

Crash safety: a file that is in the spool without its ``.cdxj`` was open when the previous run
died. On start (:meth:`Shipper.recover`) it is truncated to its last complete gzip member (=
last complete record; :mod:`crawler.archive.repair`), indexed and shipped; closed files whose upload failed are shipped again.
Blob stores only make complete, verified objects visible and re-uploading a name replaces it,
so neither truncated nor duplicated objects appear in the store.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from crawler.archive.blobstore import BlobStore
from crawler.archive.cdxj import cdxj_name, index_file, write_cdxj
from crawler.archive.cpu import CpuMeter, cpu_timed
from crawler.archive.records import CDXJ_SUFFIX, WARC_SUFFIX
from crawler.archive.repair import repair_warc_gz, scan_gzip_members  # noqa: F401 - also imported from here

log = logging.getLogger(__name__)


@dataclass
class ClosedFile:
    name: str
    size: int
    records: int
    uploaded: bool = False
    error: str | None = None


class Shipper:
    """Indexes and uploads closed files from ``spool_dir`` to ``store`` (in one background
    thread unless ``background=False``); a file leaves the spool only once its copy in the
    store is verified. ``on_shipped(name)`` runs after each verified upload; ``collection``
    (a :class:`~crawler.archive.collection.CollectionIndex`) gets each shipped file's CDXJ."""

    def __init__(self, spool_dir: Path, store: BlobStore, *, attempts: int = 5,
                 backoff: float = 1.0, background: bool = True,
                 on_shipped: Callable[[str], None] | None = None,
                 on_recovered: Callable[[Path], None] | None = None, cpu: CpuMeter | None = None,
                 collection=None, run_cpu: Callable | None = None):
        self.spool_dir = Path(spool_dir)
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        self.store = store
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.on_shipped = on_shipped
        self.collection = collection
        self.on_recovered = on_recovered
        self.cpu = cpu or CpuMeter()
        # run_cpu(fn, *args) -> fn's result, run elsewhere (a crawl: its worker pool), for the
        # CDXJ index of each file (reading the whole file back); None or a failure: here
        self.run_cpu = run_cpu
        self._executor = (ThreadPoolExecutor(max_workers=1, thread_name_prefix="warc-upload")
                          if background else None)
        self._futures: list[Future] = []
        self._give_up_at: float | None = None  # monotonic time: no upload attempt after it
        self.closed_files: list[ClosedFile] = []  # closed by this run, in order
        self.recovered: list[ClosedFile] = []  # leftovers of earlier runs shipped by this run

    def submit(self, closed: ClosedFile) -> None:
        self.closed_files.append(closed)
        if self._executor is None:
            self.ship_with_retries(closed)
        else:
            self._futures.append(self._executor.submit(self.ship_with_retries, closed))

    @cpu_timed
    def ship_with_retries(self, closed: ClosedFile, attempts: int | None = None) -> bool:
        """Index (if not yet) and upload one closed file; keep it in the spool on failure.

        Runs in the upload thread for files rolled during the crawl, so neither indexing a
        large file nor a slow or unreachable store blocks the writer.
        """
        attempts = attempts or self.attempts
        delay = self.backoff
        for attempt in range(1, attempts + 1):
            if self._give_up_at is not None and time.monotonic() >= self._give_up_at:
                log.warning("shutdown: %s stays in the spool for the next run", closed.name)
                return False
            try:
                self._ship(closed.name)
                closed.uploaded, closed.error = True, None
                if self.on_shipped is not None:
                    self.on_shipped(closed.name)
                return True
            except Exception as exc:  # keep the spool copy, retry later
                closed.error = str(exc)
                log.warning(
                    "upload of %s to %s failed (attempt %d/%d): %s",
                    closed.name, self.store.uri, attempt, attempts, exc,
                )
                if attempt < attempts:
                    if self._give_up_at is not None:
                        delay = min(delay, max(0.0, self._give_up_at - time.monotonic()))
                    time.sleep(delay)
                    delay = min(delay * 2, 60.0)
        return False

    def _ship(self, name: str) -> None:
        """Upload WARC + CDXJ, verified, then delete the spool copies (WARC last)."""
        warc_path = self.spool_dir / name
        idx_path = self.spool_dir / cdxj_name(name)
        if not warc_path.exists():
            return
        if not idx_path.exists():
            self._index(warc_path)
        self.store.put_file(warc_path, name)
        self.store.put_file(idx_path, cdxj_name(name))
        self._add_to_collection(name, idx_path)
        idx_path.unlink()
        warc_path.unlink()
        log.info("archived %s to %s", name, self.store.uri)

    def _index(self, warc_path: Path) -> None:
        if self.run_cpu is not None:
            try:
                self.cpu.add(self.run_cpu(index_file, warc_path))
                return
            except Exception as exc:  # noqa: BLE001  (the pool is gone or failed: index here)
                log.warning("indexing %s in a worker failed (%r): indexed here", warc_path.name, exc)
        write_cdxj(warc_path)

    def _add_to_collection(self, name: str, idx_path: Path) -> None:
        if self.collection is None:
            return
        try:
            self.collection.add_cdxj(name, idx_path.read_text(encoding="utf-8"))
        except Exception as exc:  # the file is archived; the index catches up on its next sync
            log.warning("collection index: could not add %s: %s", name, exc)

    @cpu_timed
    def recover(self, ship: bool = True, skip: Iterable[Path] = ()) -> list[ClosedFile]:
        """Repair, index and ship files left in the spool by an earlier (crashed) run.

        ``on_recovered(path)`` runs for each before it is shipped (its responses become
        revisit targets once the file is in the store)."""
        found: list[ClosedFile] = []
        skip = set(skip)
        for tmp in self.spool_dir.glob("*" + CDXJ_SUFFIX + ".tmp"):
            tmp.unlink(missing_ok=True)
        for path in sorted(self.spool_dir.glob("*" + WARC_SUFFIX)):
            if path in skip:
                continue
            idx = path.with_name(cdxj_name(path.name))
            if not idx.exists():  # was open at the crash
                cut, kept = repair_warc_gz(path)
                if kept == 0:
                    log.warning("spool leftover %s had no complete record; removed", path.name)
                    continue
                if cut:
                    log.warning("repaired %s: cut %d bytes of a half-written record", path.name, cut)
                write_cdxj(path)
            _, n = scan_gzip_members(path)
            found.append(ClosedFile(path.name, path.stat().st_size, n))
            if self.on_recovered is not None:
                try:
                    self.on_recovered(path)
                except Exception as exc:  # revisit targets are an optimisation
                    log.warning("could not read the responses of %s: %s", path.name, exc)
        self._ship_orphan_indexes()
        if ship:
            for c in found:
                self.ship_with_retries(c, attempts=1)
        self.recovered.extend(found)
        return found

    def _ship_orphan_indexes(self) -> None:
        for orphan in self.spool_dir.glob("*" + CDXJ_SUFFIX):
            warc = self.spool_dir / (orphan.name[: -len(CDXJ_SUFFIX)] + WARC_SUFFIX)
            if not warc.exists():  # WARC already shipped and deleted; index upload may be lost
                try:
                    self.store.put_file(orphan, orphan.name)
                    orphan.unlink()
                except Exception as exc:
                    log.warning("could not ship leftover index %s: %s", orphan.name, exc)

    def pending(self, exclude: Iterable[str] = ()) -> list[str]:
        """WARC files still in the spool (not yet uploaded), except ``exclude`` (open ones)."""
        skip = set(exclude)
        return sorted(p.name for p in self.spool_dir.glob("*" + WARC_SUFFIX) if p.name not in skip)

    @cpu_timed
    def set_budget(self, budget: float | None) -> None:
        """From now on, no new upload attempt starts after ``budget`` seconds (shutdown: an
        unreachable store cannot hold it up); what is not uploaded stays in the spool."""
        if budget is not None:
            self._give_up_at = time.monotonic() + budget

    def close(self, final_attempts: int | None = None, budget: float | None = None) -> None:
        """Wait for uploads, then give anything left in the spool another round (within the
        budget, see :meth:`set_budget`)."""
        self.set_budget(budget)
        bounded = self._give_up_at is not None
        for fut in self._futures:
            try:
                fut.result(timeout=max(0.0, self._give_up_at - time.monotonic()) + 1 if bounded else None)
            except Exception:  # still uploading (its attempt ends on its own) or failed
                pass
        self._futures.clear()
        if self._executor is not None:
            self._executor.shutdown(wait=not bounded, cancel_futures=True)
        by_name = {c.name: c for c in self.recovered + self.closed_files}
        for name in self.pending():
            c = by_name.get(name) or ClosedFile(name, (self.spool_dir / name).stat().st_size, 0)
            self.ship_with_retries(c, attempts=final_attempts)
        left = self.pending()
        if left:
            last = next((c.error for c in reversed(self.recovered + self.closed_files)
                         if c.name in left and c.error), None)
            log.error(
                "%d WARC file(s) could not be uploaded to %s and stay in %s for the next run: "
                "%s (last error: %s)",
                len(left), self.store.uri, self.spool_dir, ", ".join(left), last or "unknown",
            )
