"""Revisit records (profile identical-payload-digest): when a response can be one, and which
original it points at.

A response is written as a ``revisit`` record (its own request record, HTTP status line and
headers, no payload; WARC-Refers-To, WARC-Refers-To-Target-URI, WARC-Refers-To-Date naming the
original) when the **same URL** was archived before with the **same payload digest**. The
lookup key is (URL, payload digest), not the digest alone: a revisit then states "this URL
answered with the payload it answered before", which is what a recrawl of an unchanged feed,
sitemap, section or article page is; replay tools (pywb) resolve same-URL revisits from their
URL index without a second lookup; and the first crawl never holds revisits pointing at another
portal's capture. Only non-empty, untruncated payloads are deduplicated.

A revisit never points at a record that does not exist:

* originals are published to the digest index only after their file is uploaded to the store
  and verified (:meth:`Revisits.publish`); until then only the run that wrote them uses them,
  from memory (spooled and flushed: a crash keeps every complete record and the next run ships
  it);
* an original found in the index is used only after checking that its file is in the current
  store and long enough to hold the record (once per file and run); if the file was lost (or
  the index belongs to another store) the entry is dropped and the response written in full,
  becoming the new original;
* an index that cannot be reached during the crawl makes full responses, never errors.

The pointer of a revisit carries ``refers_to``: the original response's file, offset, length,
record id, payload digest, URL and date, so the body is one range read away.
"""

from __future__ import annotations

import logging
import threading
import time

from crawler.archive.blobstore import BlobStore
from crawler.archive.digests import DigestIndex, RevisitTarget
from crawler.archive.records import WarcPointer, sha1_b32

log = logging.getLogger(__name__)

#: seconds a failed existence check of a revisit target's file is not asked again (an outage of
#: the store costs one request per file per this period, not one per exchange)
STAT_RETRY_SECONDS = 60.0


class Revisits:
    """Revisit decisions of one writer: its own unpublished originals plus the shared index."""

    def __init__(self, index: DigestIndex, store: BlobStore):
        self.index = index
        self.store = store
        self._lock = threading.Lock()
        self._local: dict[tuple[str, str], RevisitTarget] = {}  # (url, digest) -> original
        self._unpublished: dict[str, list[tuple[str, str]]] = {}  # file name -> keys of _local
        self._file_sizes: dict[str, int | None] = {}  # store file -> size (None: missing)
        self._stat_failed: dict[str, float] = {}  # store file -> monotonic time to ask again
        self.written = 0
        self.bytes = 0  # gzip members of revisit records
        self.targets_missing = 0  # index entries dropped: their file was not in the store

    def target(self, url: str, body: bytes | None = None, *, digest: str | None = None
               ) -> tuple[RevisitTarget, str] | None:
        """(original, digest) when ``url`` was archived with this payload (``body``, or its
        ``digest``) before and that record is known to exist; else None (the response is
        written in full)."""
        digest = digest or sha1_b32(body)
        with self._lock:
            target = self._local.get((url, digest))
        if target is not None:  # written by this run: in the spool (flushed) or uploaded by us
            return target, digest
        try:
            target = self.index.lookup(digest, url)
        except Exception as exc:  # an unreachable index costs bytes, never records
            log.warning("WARC digest index lookup failed (%s); writing a full response", exc)
            return None
        if target is None:
            return None
        exists = self._exists(target.pointer)
        if exists is None:  # the store cannot tell now: a full response, the entry kept
            return None
        if not exists:
            self.targets_missing += 1
            log.warning(
                "revisit target %s of %s is missing from %s (file lost?); writing a full "
                "response and forgetting the entry", target.pointer.warc_file, url, self.store.uri,
            )
            try:
                self.index.discard(digest, url)
            except Exception:
                pass
            return None
        return target, digest

    def remember(self, url: str, digest: str, wdate: str, pointer: WarcPointer) -> None:
        """A full response just written: usable at once by this run, published later."""
        key = (url, digest)
        with self._lock:
            self._local.setdefault(key, RevisitTarget(url, wdate, pointer))
            self._unpublished.setdefault(pointer.warc_file, []).append(key)

    def wrote_revisit(self, length: int) -> None:
        self.written += 1
        self.bytes += length

    def _exists(self, p: WarcPointer) -> bool | None:
        """The original's file is in the store and long enough to hold the record (checked
        once per file and run; files in the store are immutable; a failed check is asked again
        after :data:`STAT_RETRY_SECONDS`; None meanwhile: unknown)."""
        if p.warc_file not in self._file_sizes:
            if time.monotonic() < self._stat_failed.get(p.warc_file, 0.0):
                return None  # unknown (the store failed recently): do not point at it
            try:
                info = self.store.stat(p.warc_file)
            except Exception as exc:
                log.warning("cannot check %s in %s: %s (not asked again for %.0f s)", p.warc_file,
                            self.store.uri, exc, STAT_RETRY_SECONDS)
                self._stat_failed[p.warc_file] = time.monotonic() + STAT_RETRY_SECONDS
                return None  # unknown: do not point at it
            self._stat_failed.pop(p.warc_file, None)
            self._file_sizes[p.warc_file] = info.size if info is not None and info.size > 0 else None
        size = self._file_sizes[p.warc_file]
        return size is not None and p.offset + p.length <= size

    def publish(self, name: str) -> None:
        """File ``name`` is uploaded and verified: its originals go into the digest index."""
        with self._lock:
            keys = self._unpublished.pop(name, [])
            entries = [(k, self._local[k]) for k in keys if k in self._local]
        if not entries:
            return
        rows = [(dg, t.url, t.warc_date, t.pointer) for (_u, dg), t in entries]
        try:
            add_many = getattr(self.index, "add_many", None)
            if add_many is not None:
                add_many(rows)
            else:
                for row in rows:
                    self.index.add(*row)
        except Exception as exc:
            log.warning("could not publish %d revisit targets of %s: %s", len(rows), name, exc)
            with self._lock:
                self._unpublished.setdefault(name, []).extend(k for k, _ in entries)
            return
        with self._lock:
            for k, _ in entries:
                self._local.pop(k, None)

    def remember_file(self, path) -> int:
        """Responses of a spool file left by an earlier (crashed) run become originals like
        this run's own (published once the file is in the store). Returns how many."""
        found = []
        for url, rid, wdate, digest, off, length in _responses(path):
            pointer = WarcPointer(path.name, off, length, rid, digest)
            found.append((url, digest, wdate, pointer))
        for url, digest, wdate, pointer in found:
            self.remember(url, digest, wdate, pointer)
        return len(found)


def _responses(path):
    """(url, record id, date, payload digest, offset, length) of the complete, non-empty
    response records of a gzip-per-record WARC file."""
    import os

    from warcio.archiveiterator import ArchiveIterator

    size = os.path.getsize(path)
    rows, starts = [], []
    with open(path, "rb") as fh:
        it = ArchiveIterator(fh)
        for rec in it:
            starts.append(it.get_record_offset())
            h = rec.rec_headers
            if (rec.rec_type == "response" and not h.get_header("WARC-Truncated")
                    and h.get_header("WARC-Payload-Digest") and rec.payload_length):
                rows.append((len(starts) - 1, h.get_header("WARC-Target-URI"),
                             h.get_header("WARC-Record-ID"), h.get_header("WARC-Date"),
                             h.get_header("WARC-Payload-Digest")))
    ends = starts[1:] + [size]
    return [(u, rid, wd, dg, starts[i], ends[i] - starts[i]) for i, u, rid, wd, dg in rows]
