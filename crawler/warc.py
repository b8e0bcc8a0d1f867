"""WARC capture: rolling gzip-per-record ``.warc.gz`` files, CDXJ sidecars, verified upload.

Life of a file::

    spool/NAME.warc.gz          written while open (one gzip member per record, flushed per
                                exchange); opens with a warcinfo record
    spool/NAME.cdxj             written when the file is closed (rolled at max_file_size or on
                                close()): exactly what ``cdxj-indexer NAME.warc.gz`` prints
    store/NAME.warc.gz + .cdxj  uploaded, verified (size + digest), then the spool copies go

Crash safety: a file that is in the spool without its ``.cdxj`` was open when the previous run
died. On start (:meth:`WarcArchive.recover_spool`) it is truncated to its last complete gzip
member (= last complete record), indexed and shipped; closed files whose upload failed are
shipped again. Blob stores only make complete, verified objects visible and re-uploading a
name replaces it, so neither truncated nor duplicated objects appear in the store.

Records are built with warcio (so the headers, digests and framing are warcio's) but each record
is compressed here at zlib level 6 instead of warcio's fixed level 9, and a response whose
payload is already content-encoded (gzip, br, ...) is put into its gzip member uncompressed
(deflate "stored" blocks: it cannot shrink further). Same format (one gzip member per record,
read by warcio, cdxj-indexer and pywb), 1.5x (HTML) to 3x (gzip-encoded payloads) faster,
< 1 % bigger (see bench/warc_speed.py).

Revisit records (on by default; ``digest_index``). A response is written as a ``revisit``
record (profile identical-payload-digest: its own request record, HTTP status line and headers,
no payload; WARC-Refers-To, WARC-Refers-To-Target-URI, WARC-Refers-To-Date naming the original)
when the **same URL** was archived before with the **same payload digest**. The lookup key is
(URL, SHA-1 payload digest; plus the store URI in a shared Redis index), not the digest alone:
a revisit then states "this URL answered with the payload it answered before", which is what
a recrawl of an unchanged feed, sitemap, section or article page is; replay tools (pywb) resolve same-URL revisits from their
URL index without a second lookup; and the first crawl never holds revisits pointing at another
portal's capture (identical robots.txt, error pages, a picture under two URLs stay full
responses, costing a little space). Only non-empty, untruncated payloads are deduplicated.

A revisit never points at a record that does not exist:

* originals are published to the digest index only after their file is uploaded to the store
  and verified (:meth:`WarcArchive._publish`); until then only the run that wrote them uses
  them, from memory (spooled and flushed: a crash keeps every complete record and the next run
  ships it). Originals in files a crashed run left behind are not published (those pages are
  simply archived in full next time);
* an original found in the index is used only after checking that its file is in the current
  store and long enough to hold the record (once per file and run); if the file was lost (or
  the index belongs to another store) the entry is dropped and the response written in full,
  becoming the new original;
* an index that cannot be reached during the crawl makes full responses, never errors (a
  Redis index that cannot be reached when the crawl starts fails the start, like the shared
  dedup index: a configuration error should not go unnoticed).

The pointer of a revisit (:class:`WarcPointer`) carries ``refers_to``: the original response's
file, offset, length, record id, payload digest, URL and date, so the body is one range read
away; :func:`resolve_pointer` / :func:`verify_pointers` follow it. Digest indexes:
:class:`SqliteDigestIndex` (default ``<data dir>/warc-digests.sqlite``) and
:class:`RedisDigestIndex` (``redis://...``, for several crawlers sharing a store), chosen by
:func:`open_digest_index`.
"""

from __future__ import annotations

import io
import logging
import os
import platform
import re
import socket
import threading
import time
import uuid
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from http import HTTPStatus
from pathlib import Path
from typing import Iterable, Mapping, Protocol, Sequence
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from crawler.blobstore import BlobStore

log = logging.getLogger(__name__)

WARC_SUFFIX = ".warc.gz"
CDXJ_SUFFIX = ".cdxj"
DEFAULT_MAX_FILE_SIZE = 1_000_000_000
DEFAULT_COMPRESS_LEVEL = 6
#: level for records whose payload is already compressed (Content-Encoding gzip/br/...):
#: deflate cannot shrink it, so store it (0) instead of burning CPU (size +0.1 %)
ENCODED_PAYLOAD_LEVEL = 0
ORIG_HEADER_PREFIX = "X-Crawler-Orig-"

#: Documented in every warcinfo record: where our records deviate from the bytes on the wire.
HTTP_CAPTURE_NOTES = (
    "HTTP messages are reconstructed from what Scrapy exposes, not copied from the socket: "
    "header names are in Scrapy's normalised case (multi-value headers as separate lines); "
    "the status reason phrase is the standard one for the status code; non-ASCII header "
    "values are percent-encoded (RFC 8187, as warcio does); request headers are those Scrapy "
    "handed to its download handler after all downloader middlewares, plus Host (added by the "
    "transport) - the Connection header the transport adds is not recorded; connection-level "
    "response headers (Connection, Keep-Alive, Transfer-Encoding) are not exposed by Scrapy's "
    "HTTP/1.1 handler and are missing; bodies are de-chunked: a Transfer-Encoding header, if "
    f"present, is renamed to {ORIG_HEADER_PREFIX}Transfer-Encoding and Content-Length is set "
    "to the stored body length (a differing original value is kept as "
    f"{ORIG_HEADER_PREFIX}Content-Length); the payload is otherwise exactly as received, still "
    "content-encoded (gzip/br/deflate); WARC-IP-Address is omitted for exchanges made through "
    "an HTTP proxy (it would be the proxy's address); WARC-Truncated: length marks bodies "
    "Scrapy flagged as incomplete (dataloss)."
)


def _software() -> str:
    import warcio

    try:
        from importlib.metadata import version

        own = version("newscrawler")
    except Exception:
        own = "0.1.0"
    wv = getattr(warcio, "__version__", None)
    if wv is None:
        try:
            from importlib.metadata import version

            wv = version("warcio")
        except Exception:
            wv = "?"
    return f"newscrawler/{own} (warcio/{wv}; Python/{platform.python_version()})"


# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WarcPointer:
    """Where one record lives: file name, offset and length of its gzip member.

    For a revisit record, ``refers_to`` is the original response (a dict: warc_file, offset,
    length, record_id, payload_digest, url, warc_date) that holds the payload."""

    warc_file: str
    offset: int
    length: int
    record_id: str
    payload_digest: str | None
    refers_to: dict | None = None  # for revisit records: pointer of the original response

    def to_dict(self) -> dict:
        d = asdict(self)
        if d["refers_to"] is None:
            del d["refers_to"]
        return d

    @classmethod
    def from_dict(cls, d: Mapping) -> "WarcPointer":
        return cls(
            warc_file=d["warc_file"],
            offset=int(d["offset"]),
            length=int(d["length"]),
            record_id=d["record_id"],
            payload_digest=d.get("payload_digest"),
            refers_to=d.get("refers_to"),
        )


class DigestIndex(Protocol):
    """Where revisit records find their originals (identical-payload-digest profile).

    Keyed by (URL, payload digest): a revisit says "this URL answered with the payload it
    answered before", see the module docstring. ``lookup`` returns the original response record
    or None; ``add`` records an original (first one wins); ``discard`` forgets an entry whose
    record turned out to be missing. Entries are only added for records in files that are
    uploaded and verified (see :class:`WarcArchive`), so every crawler sharing the index can
    rely on them. Implementations: :class:`SqliteDigestIndex` (default, in the data
    directory), :class:`RedisDigestIndex` (several crawlers sharing a store),
    :class:`MemoryDigestIndex` (tests).
    """

    def lookup(self, payload_digest: str, url: str) -> "RevisitTarget | None": ...

    def add(self, payload_digest: str, url: str, warc_date: str, pointer: WarcPointer) -> None: ...

    def discard(self, payload_digest: str, url: str) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class RevisitTarget:
    url: str
    warc_date: str
    pointer: WarcPointer

    def refers_to(self) -> dict:
        """The original's pointer plus its URI and date (``WarcPointer.refers_to``)."""
        d = self.pointer.to_dict()
        d.pop("refers_to", None)
        d["url"] = self.url
        d["warc_date"] = self.warc_date
        return d

    def to_json(self) -> str:
        import json

        return json.dumps({"url": self.url, "warc_date": self.warc_date,
                           "pointer": self.pointer.to_dict()}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> "RevisitTarget":
        import json

        d = json.loads(text)
        return cls(d["url"], d["warc_date"], WarcPointer.from_dict(d["pointer"]))


def _index_key(namespace: str, url: str, payload_digest: str) -> str:
    import hashlib

    h = hashlib.sha1(f"{namespace}\n{url}".encode("utf-8", "surrogatepass")).hexdigest()
    return f"{h}:{payload_digest}"


class MemoryDigestIndex:
    """In-process DigestIndex (tests, single runs)."""

    def __init__(self, namespace: str = ""):
        self.namespace = namespace
        self._d: dict[str, RevisitTarget] = {}

    def lookup(self, payload_digest, url):
        return self._d.get(_index_key(self.namespace, url, payload_digest))

    def add(self, payload_digest, url, warc_date, pointer):
        self._d.setdefault(_index_key(self.namespace, url, payload_digest),
                           RevisitTarget(url, warc_date, pointer))

    def discard(self, payload_digest, url):
        self._d.pop(_index_key(self.namespace, url, payload_digest), None)

    def close(self):
        pass


class SqliteDigestIndex:
    """DigestIndex in a SQLite file (default: ``<data dir>/warc-digests.sqlite``), for the
    crawler(s) of one data directory. ``namespace`` (the archive store's URI) keeps the
    entries of different stores apart. Thread-safe (the upload thread adds entries)."""

    def __init__(self, path: str | os.PathLike, namespace: str = ""):
        import sqlite3

        self.path = Path(path)
        self.namespace = namespace
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS revisit_targets (key TEXT PRIMARY KEY, target TEXT NOT NULL)"
        )
        self._db.commit()

    def lookup(self, payload_digest, url):
        key = _index_key(self.namespace, url, payload_digest)
        with self._lock:
            row = self._db.execute(
                "SELECT target FROM revisit_targets WHERE key = ?", (key,)
            ).fetchone()
        return RevisitTarget.from_json(row[0]) if row else None

    def add(self, payload_digest, url, warc_date, pointer):
        key = _index_key(self.namespace, url, payload_digest)
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR IGNORE INTO revisit_targets VALUES (?, ?)",
                (key, RevisitTarget(url, warc_date, pointer).to_json()),
            )

    def add_many(self, entries) -> None:
        rows = [(_index_key(self.namespace, u, dg), RevisitTarget(u, wd, p).to_json())
                for dg, u, wd, p in entries]
        with self._lock, self._db:
            self._db.executemany("INSERT OR IGNORE INTO revisit_targets VALUES (?, ?)", rows)

    def discard(self, payload_digest, url):
        key = _index_key(self.namespace, url, payload_digest)
        with self._lock, self._db:
            self._db.execute("DELETE FROM revisit_targets WHERE key = ?", (key,))

    def close(self):
        with self._lock:
            self._db.close()


class RedisDigestIndex:
    """DigestIndex in Redis (``redis://host:port/db``), shared by several crawler processes
    writing to one store. One string key per (store, URL, digest):
    ``{prefix}{sha1(namespace + URL)}:{digest}`` -> JSON target; ``SET NX`` (first original
    wins, atomic across crawlers)."""

    def __init__(self, url: str, namespace: str = "", prefix: str = "newscrawler:warc-digest:"):
        import redis

        self.url = url
        self.namespace = namespace
        self.prefix = prefix
        self._r = redis.Redis.from_url(url)
        self._r.ping()  # fail at start, not at the first response

    def _key(self, url, payload_digest) -> str:
        return self.prefix + _index_key(self.namespace, url, payload_digest)

    def lookup(self, payload_digest, url):
        v = self._r.get(self._key(url, payload_digest))
        return RevisitTarget.from_json(v) if v else None

    def add(self, payload_digest, url, warc_date, pointer):
        self._r.set(self._key(url, payload_digest), RevisitTarget(url, warc_date, pointer).to_json(),
                    nx=True)

    def add_many(self, entries) -> None:
        pipe = self._r.pipeline(transaction=False)
        for dg, u, wd, p in entries:
            pipe.set(self._key(u, dg), RevisitTarget(u, wd, p).to_json(), nx=True)
        pipe.execute()

    def discard(self, payload_digest, url):
        self._r.delete(self._key(url, payload_digest))

    def close(self):
        self._r.close()


def open_digest_index(spec: str | os.PathLike | None, *, default_path: str | os.PathLike,
                      namespace: str = "") -> DigestIndex:
    """``None``/"" -> SQLite at ``default_path``; ``redis://`` / ``rediss://`` / ``unix://`` ->
    :class:`RedisDigestIndex`; anything else -> SQLite file at that path.

    ``namespace`` (the store's URI) separates the entries of crawlers writing to different
    stores through one Redis. The SQLite index belongs to one data directory and is not
    namespaced, so a moved data directory (archive URI changes with its path) keeps its
    originals: the existence check before each first use per file covers a changed store."""
    s = str(spec) if spec else ""
    if s.startswith(("redis://", "rediss://", "unix://")):
        return RedisDigestIndex(s, namespace=namespace)
    return SqliteDigestIndex(Path(s).expanduser() if s else default_path)


# --------------------------------------------------------------------------------------------
def _s(v) -> str:
    return v.decode("latin-1") if isinstance(v, (bytes, bytearray)) else str(v)


def normalize_headers(headers) -> list[tuple[str, str]]:
    """(name, value) pairs from a list of pairs or a mapping of name -> value | [values]."""
    out: list[tuple[str, str]] = []
    items = headers.items() if hasattr(headers, "items") else headers
    for k, v in items or ():
        if isinstance(v, (list, tuple)):
            out.extend((_s(k), _s(x)) for x in v)
        else:
            out.append((_s(k), _s(v)))
    return out


def dechunked_response_headers(
    headers: Sequence[tuple[str, str]], body_len: int, *, method: str = "GET", status: int = 200
) -> list[tuple[str, str]]:
    """Headers that describe the stored (de-chunked, still content-encoded) body."""
    no_body = method.upper() == "HEAD" or status in (204, 304) or 100 <= status < 200
    out: list[tuple[str, str]] = []
    cl_values: list[str] = []
    for k, v in headers:
        lk = k.lower()
        if lk == "transfer-encoding":
            out.append((ORIG_HEADER_PREFIX + "Transfer-Encoding", v))
        elif lk == "content-length":
            cl_values.append(v)
        else:
            out.append((k, v))
    if no_body:
        out.extend(("Content-Length", v) for v in cl_values)
        return out
    if cl_values and all(v.strip() == str(body_len) for v in cl_values):
        out.append(("Content-Length", str(body_len)))
    else:
        out.extend((ORIG_HEADER_PREFIX + "Content-Length", v) for v in cl_values)
        out.append(("Content-Length", str(body_len)))
    return out


def _request_target(url: str) -> str:
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return target


_NAME_SAFE = re.compile(r"[^A-Za-z0-9.]+")


def _safe_component(s: str) -> str:
    return _NAME_SAFE.sub("_", s).strip("_") or "x"


def _utc_stamp(dt: datetime | None = None) -> str:
    dt = dt or datetime.now(timezone.utc)
    return dt.astimezone(timezone.utc).strftime("%Y%m%d%H%M%S") + f"{dt.microsecond // 1000:03d}"


def warc_date(dt: datetime | None = None) -> str:
    """WARC/1.1 date (UTC, microseconds)."""
    dt = (dt or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(tzinfo=None)
    return datetime_to_iso_date(dt, use_micros=True)


def cdxj_name(warc_name: str) -> str:
    base = warc_name[: -len(WARC_SUFFIX)] if warc_name.endswith(WARC_SUFFIX) else warc_name
    return base + CDXJ_SUFFIX


def cdxj_for(warc_path: str | os.PathLike) -> str:
    """The index ``cdxj-indexer WARC`` prints for this file (its Python API, default options)."""
    from cdxj_indexer.main import write_cdx_index

    out = io.StringIO()
    write_cdx_index(out, [str(warc_path)], {})
    return out.getvalue()


def cdxj_for_stream(stream, filename: str) -> str:
    """Same as :func:`cdxj_for` for a binary stream (e.g. an object in the store)."""
    from cdxj_indexer.main import write_cdx_index

    out = io.StringIO()
    write_cdx_index(out, [stream], {"filename": filename})
    return out.getvalue()


# --------------------------------------------------------------------------------------------
class _RecordWriter(WARCWriter):
    """warcio record serialisation without compression (we compress per record ourselves)."""

    def __init__(self):
        super().__init__(io.BytesIO(), gzip=False, warc_version="1.1")

    def serialize(self, record) -> bytes:
        buf = io.BytesIO()
        self._write_warc_record(buf, record)
        return buf.getvalue()


def gzip_member(data: bytes, level: int = DEFAULT_COMPRESS_LEVEL) -> bytes:
    c = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS + 16)
    return c.compress(data) + c.flush()


def scan_gzip_members(path: str | os.PathLike, chunk: int = 1 << 20) -> tuple[int, int]:
    """(end offset of the last complete gzip member, number of complete members).

    A member counts as complete when zlib reaches its end and its CRC/size trailer checks out.
    """
    good_end = 0
    count = 0
    base = 0  # file offset of the first byte of ``buf``
    d = zlib.decompressobj(zlib.MAX_WBITS + 16)
    buf = b""
    with open(path, "rb") as fh:
        while True:
            if not buf:
                buf = fh.read(chunk)
                if not buf:
                    break
            try:
                d.decompress(buf)
            except zlib.error:
                break
            if d.eof:
                used = len(buf) - len(d.unused_data)
                base += used
                good_end = base
                count += 1
                buf = d.unused_data
                d = zlib.decompressobj(zlib.MAX_WBITS + 16)
            else:
                base += len(buf)
                buf = b""
    return good_end, count


def repair_warc_gz(path: str | os.PathLike) -> tuple[int, int]:
    """Truncate a half-written ``.warc.gz`` to its last complete record.

    Returns (bytes cut off, records kept). A file without any complete record is deleted.
    """
    path = Path(path)
    size = path.stat().st_size
    good_end, count = scan_gzip_members(path)
    if count == 0:
        path.unlink()
        return size, 0
    if good_end < size:
        with open(path, "r+b") as fh:
            fh.truncate(good_end)
            fh.flush()
            os.fsync(fh.fileno())
    return size - good_end, count


# --------------------------------------------------------------------------------------------
@dataclass
class _OpenFile:
    name: str
    path: Path
    fh: io.BufferedWriter
    records: int = 0


@dataclass
class ClosedFile:
    name: str
    size: int
    records: int
    uploaded: bool = False
    error: str | None = None


_cpu_depth = threading.local()


def _cpu_timed(fn):
    """Add the calling thread's CPU time spent in ``fn`` to ``self.cpu_seconds`` (outermost
    call only), so the crawl can report what archiving costs (bar: <= 15 % of crawl CPU)."""
    import functools

    @functools.wraps(fn)
    def wrapper(self, *a, **kw):
        depth = getattr(_cpu_depth, "n", 0)
        _cpu_depth.n = depth + 1
        t0 = time.thread_time() if depth == 0 else 0.0
        try:
            return fn(self, *a, **kw)
        finally:
            _cpu_depth.n = depth
            if depth == 0:
                dt = time.thread_time() - t0
                with self._lock:
                    self.cpu_seconds += dt

    return wrapper


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
    ):
        self.spool_dir = Path(spool_dir)
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        self.store = store
        self.run_id = run_id or uuid.uuid4().hex
        self.prefix = _safe_component(prefix)
        self.max_file_size = int(max_file_size)
        self.extra_warcinfo = dict(warcinfo or {})
        self.host = _safe_component(host or socket.gethostname())
        self.worker_id = _safe_component(worker_id or str(os.getpid()))
        self.compress_level = compress_level
        self.encoded_level = encoded_level
        self.fsync = fsync
        self.digest_index = digest_index
        self.upload_attempts = max(1, upload_attempts)
        self.upload_backoff = upload_backoff
        self._builder = _RecordWriter()
        self._serial = 0
        self._open: _OpenFile | None = None
        self._lock = threading.Lock()
        self._executor = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="warc-upload")
            if background_upload
            else None
        )
        self._futures: list[Future] = []
        self.closed_files: list[ClosedFile] = []  # closed by this run, in order
        self.recovered: list[ClosedFile] = []  # leftovers of earlier runs shipped by this run
        self.bytes_written = 0
        self.records_written = 0
        self.cpu_seconds = 0.0  # CPU time spent archiving, all threads
        # revisits: originals written by this run, usable at once (spooled + flushed), published
        # to the shared digest index only once their file is uploaded and verified
        self._idx_lock = threading.Lock()
        self._local: dict[tuple[str, str], RevisitTarget] = {}  # (url, digest) -> original
        self._unpublished: dict[str, list[tuple[str, str]]] = {}  # file name -> keys of _local
        self._file_ok: dict[str, bool] = {}  # store file name -> holds its records (checked)
        self._file_sizes: dict[str, int] = {}
        self.revisits_written = 0
        self.revisit_bytes = 0  # gzip members of revisit records
        self.revisit_targets_missing = 0  # index entries dropped: their file was not in the store
        self._closed = False
        if recover:
            self.recover_spool()

    # -- names ---------------------------------------------------------------------------------
    def _next_name(self) -> str:
        name = (
            f"{self.prefix}-{_utc_stamp()}-{self._serial:05d}-{self.host}-{self.worker_id}"
            + WARC_SUFFIX
        )
        self._serial += 1
        return name

    # -- writing -------------------------------------------------------------------------------
    def warcinfo_fields(self, filename: str) -> dict[str, str]:
        info: dict[str, str] = {
            "software": _software(),
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
            fh = open(path, "xb")
            self._open = _OpenFile(name, path, fh)
            rec = self._builder.create_warcinfo_record(name, self.warcinfo_fields(name))
            rec.rec_headers.replace_header("WARC-Date", warc_date())
            self._append([rec])
        return self._open

    def _append(self, records: list, levels: list[int] | None = None) -> list[tuple[int, int]]:
        """Serialise + compress records, append them, flush. Returns (offset, length) each."""
        f = self._open
        assert f is not None
        levels = levels or [self.compress_level] * len(records)
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

    @_cpu_timed
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
        req_hdrs = normalize_headers(request_headers)
        if not any(k.lower() == "host" for k, _ in req_hdrs):
            req_hdrs.insert(0, ("Host", urlsplit(url).netloc))

        resp_id = self._builder._make_warc_id()
        common = {"WARC-Date": wdate}
        if ip_address:
            common["WARC-IP-Address"] = str(ip_address)

        resp_warc = {"WARC-Record-ID": resp_id, **common}
        if truncated:
            resp_warc["WARC-Truncated"] = truncated
        for k, v in (extra_warc_headers or {}).items():
            resp_warc[k] = v
        http_resp = StatusAndHeaders(f"{int(status)} {reason}".strip(), resp_hdrs, protocol=protocol)

        revisit = None
        if self.digest_index is not None and body and not truncated:
            revisit = self._revisit_target(url, body)

        if revisit is not None:
            target, digest = revisit
            resp_rec = self._builder.create_revisit_record(
                url, digest, target.url, target.warc_date, http_headers=http_resp,
                warc_headers_dict=resp_warc,
            )
            # WARC 1.1 header order: Refers-To next to the other Refers-To-* fields
            resp_rec.rec_headers.add_header("WARC-Refers-To", target.pointer.record_id)
        else:
            resp_rec = self._builder.create_warc_record(
                url, "response", payload=io.BytesIO(body), length=len(body),
                warc_headers_dict=resp_warc, http_headers=http_resp,
            )
        # warcio keeps the method in .protocol for requests (cdxj-indexer reads it from there)
        http_req = StatusAndHeaders(
            f"{method} {_request_target(url)} {protocol}", req_hdrs, is_http_request=True
        )
        req_rec = self._builder.create_warc_record(
            url, "request", payload=io.BytesIO(request_body or b""),
            length=len(request_body or b""),
            warc_headers_dict={**common, "WARC-Concurrent-To": resp_id}, http_headers=http_req,
        )
        encoded = any(
            k.lower() == "content-encoding" and v.strip().lower() not in ("", "identity")
            for k, v in resp_hdrs
        )
        resp_level = self.encoded_level if encoded and revisit is None else self.compress_level
        (_, _), (roff, rlen) = self._append([req_rec, resp_rec], [self.compress_level, resp_level])
        digest = resp_rec.rec_headers.get_header("WARC-Payload-Digest")
        pointer = WarcPointer(
            f.name, roff, rlen, resp_id, digest,
            refers_to=revisit[0].refers_to() if revisit else None,
        )
        if revisit is not None:
            self.revisits_written += 1
            self.revisit_bytes += rlen
        elif self.digest_index is not None and digest and body and not truncated:
            key = (url, digest)
            with self._idx_lock:
                self._local.setdefault(key, RevisitTarget(url, wdate, pointer))
                self._unpublished.setdefault(f.name, []).append(key)
        self._maybe_roll()
        return pointer

    def _revisit_target(self, url: str, body: bytes):
        """(original, digest) when ``url`` was archived with this payload before and that
        record is known to exist; else None (the response is written in full)."""
        import base64
        import hashlib

        digest = "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")
        with self._idx_lock:
            target = self._local.get((url, digest))
        if target is not None:  # written by this run: in the spool (flushed) or uploaded by us
            return target, digest
        try:
            target = self.digest_index.lookup(digest, url)
        except Exception as exc:  # an unreachable index costs bytes, never records
            log.warning("WARC digest index lookup failed (%s); writing a full response", exc)
            return None
        if target is None:
            return None
        if not self._target_exists(target.pointer):
            self.revisit_targets_missing += 1
            log.warning(
                "revisit target %s of %s is missing from %s (file lost?); writing a full "
                "response and forgetting the entry", target.pointer.warc_file, url, self.store.uri,
            )
            try:
                self.digest_index.discard(digest, url)
            except Exception:
                pass
            return None
        return target, digest

    def _target_exists(self, p: WarcPointer) -> bool:
        """The original's file is in the store and long enough to hold the record (checked
        once per file and run; files in the store are immutable)."""
        ok = self._file_ok.get(p.warc_file)
        if ok is None:
            try:
                info = self.store.stat(p.warc_file)
                ok = info is not None and info.size > 0
            except Exception as exc:
                log.warning("cannot check %s in %s: %s", p.warc_file, self.store.uri, exc)
                return False  # unknown: do not point at it (not cached: may work later)
            if ok:
                self._file_ok[p.warc_file] = True
                self._file_sizes[p.warc_file] = info.size
            else:
                self._file_ok[p.warc_file] = False
        return bool(ok) and p.offset + p.length <= self._file_sizes.get(p.warc_file, 0)

    def _publish(self, name: str) -> None:
        """File ``name`` is uploaded and verified: its originals go into the digest index."""
        if self.digest_index is None:
            return
        with self._idx_lock:
            keys = self._unpublished.pop(name, [])
            entries = [(k, self._local[k]) for k in keys if k in self._local]
        if not entries:
            return
        rows = [(dg, t.url, t.warc_date, t.pointer) for (_u, dg), t in entries]
        try:
            add_many = getattr(self.digest_index, "add_many", None)
            if add_many is not None:
                add_many(rows)
            else:
                for row in rows:
                    self.digest_index.add(*row)
        except Exception as exc:
            log.warning("could not publish %d revisit targets of %s: %s", len(rows), name, exc)
            with self._idx_lock:
                self._unpublished.setdefault(name, []).extend(k for k, _ in entries)
            return
        with self._idx_lock:
            for k, _ in entries:
                self._local.pop(k, None)

    @_cpu_timed
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

    @property
    def current_file(self) -> str | None:
        return self._open.name if self._open else None

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
        self.closed_files.append(closed)
        self._submit(closed)
        return closed

    def _write_cdxj(self, warc_path: Path) -> Path:
        text = cdxj_for(warc_path)
        dest = warc_path.with_name(cdxj_name(warc_path.name))
        tmp = dest.with_name(dest.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
        return dest

    def _submit(self, closed: ClosedFile) -> None:
        if self._executor is None:
            self._ship_with_retries(closed)
        else:
            self._futures.append(self._executor.submit(self._ship_with_retries, closed))

    @_cpu_timed
    def _ship_with_retries(self, closed: ClosedFile, attempts: int | None = None) -> bool:
        """Index (if not yet) and upload one closed file; keep it in the spool on failure.

        Runs in the upload thread for files rolled during the crawl, so neither indexing a
        large file nor a slow or unreachable store blocks the writer.
        """
        attempts = attempts or self.upload_attempts
        delay = self.upload_backoff
        for attempt in range(1, attempts + 1):
            try:
                self._ship(closed.name)
                closed.uploaded, closed.error = True, None
                self._publish(closed.name)
                return True
            except Exception as exc:  # keep the spool copy, retry later
                closed.error = str(exc)
                log.warning(
                    "upload of %s to %s failed (attempt %d/%d): %s",
                    closed.name, self.store.uri, attempt, attempts, exc,
                )
                if attempt < attempts:
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
            self._write_cdxj(warc_path)
        self.store.put_file(warc_path, name)
        self.store.put_file(idx_path, cdxj_name(name))
        idx_path.unlink()
        warc_path.unlink()
        log.info("archived %s to %s", name, self.store.uri)

    @_cpu_timed
    def recover_spool(self, ship: bool = True) -> list[ClosedFile]:
        """Repair, index and ship files left in the spool by an earlier (crashed) run."""
        found: list[ClosedFile] = []
        for tmp in self.spool_dir.glob("*" + CDXJ_SUFFIX + ".tmp"):
            tmp.unlink(missing_ok=True)
        for path in sorted(self.spool_dir.glob("*" + WARC_SUFFIX)):
            if self._open is not None and path == self._open.path:
                continue
            idx = path.with_name(cdxj_name(path.name))
            if not idx.exists():  # was open at the crash
                cut, kept = repair_warc_gz(path)
                if kept == 0:
                    log.warning("spool leftover %s had no complete record; removed", path.name)
                    continue
                if cut:
                    log.warning("repaired %s: cut %d bytes of a half-written record", path.name, cut)
                self._write_cdxj(path)
            _, n = scan_gzip_members(path)
            found.append(ClosedFile(path.name, path.stat().st_size, n))
        for orphan in self.spool_dir.glob("*" + CDXJ_SUFFIX):
            warc = self.spool_dir / (orphan.name[: -len(CDXJ_SUFFIX)] + WARC_SUFFIX)
            if not warc.exists():  # WARC already shipped and deleted; index upload may be lost
                try:
                    self.store.put_file(orphan, orphan.name)
                    orphan.unlink()
                except Exception as exc:
                    log.warning("could not ship leftover index %s: %s", orphan.name, exc)
        if ship:
            for c in found:
                self._ship_with_retries(c, attempts=1)
        self.recovered.extend(found)
        return found

    def pending(self) -> list[str]:
        """WARC files still in the spool (not yet uploaded), excluding the open one."""
        cur = self._open.name if self._open else None
        return sorted(p.name for p in self.spool_dir.glob("*" + WARC_SUFFIX) if p.name != cur)

    @_cpu_timed
    def close(self, final_attempts: int | None = None) -> list[ClosedFile]:
        """Roll the open file, wait for uploads, retry anything left. Returns this run's files."""
        if self._closed:
            return list(self.closed_files)
        self.roll()
        for fut in self._futures:
            fut.result()
        self._futures.clear()
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        self._closed = True
        # anything still in the spool (failed uploads, leftovers) gets another round
        by_name = {c.name: c for c in self.recovered + self.closed_files}
        for name in self.pending():
            c = by_name.get(name) or ClosedFile(name, (self.spool_dir / name).stat().st_size, 0)
            self._ship_with_retries(c, attempts=final_attempts)
        left = self.pending()
        if left:
            log.error(
                "%d WARC file(s) could not be uploaded to %s and stay in %s for the next run: %s",
                len(left), self.store.uri, self.spool_dir, ", ".join(left),
            )
        return list(self.closed_files)

    def __enter__(self) -> "WarcArchive":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --------------------------------------------------------------------------------------------
PAYLOAD_DIGEST_TYPES = ("response", "request", "resource", "metadata", "revisit", "conversion")


@dataclass
class WarcCheck:
    """Result of reading one WARC file to the end (see :func:`check_warc`)."""

    name: str
    records: int = 0
    by_type: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    responses: dict = field(default_factory=dict)  # record id -> (uri, offset, length, digest)
    requests: dict = field(default_factory=dict)  # record id -> (uri, concurrent-to ids)

    @property
    def ok(self) -> bool:
        return not self.errors


def check_warc(source, name: str = "", *, pairing: bool = True) -> WarcCheck:
    """Read a WARC (path or binary stream) to the end and check it.

    Every record must have a WARC-Block-Digest, and a WARC-Payload-Digest where it has a
    payload; warcio verifies both against the bytes. With ``pairing``, every request record
    must point (WARC-Concurrent-To) at a response of the same URI and every response must have
    its request.
    """
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    own = isinstance(source, (str, os.PathLike))
    fh = open(source, "rb") if own else source
    res = WarcCheck(name or (os.path.basename(source) if own else ""))
    try:
        it = ArchiveIterator(fh, check_digests=True)
        for rec in it:
            rtype = rec.rec_type
            h = rec.rec_headers
            rid = h.get_header("WARC-Record-ID")
            raw = rec.raw_stream
            while raw.read(1 << 20):
                pass
            offset = it.get_record_offset()
            res.records += 1
            res.by_type[rtype] = res.by_type.get(rtype, 0) + 1
            if not h.get_header("WARC-Block-Digest") and rtype != "revisit":
                res.errors.append(f"{rid} ({rtype}) at {offset}: no WARC-Block-Digest")
            if rtype in PAYLOAD_DIGEST_TYPES and not h.get_header("WARC-Payload-Digest"):
                res.errors.append(f"{rid} ({rtype}) at {offset}: no WARC-Payload-Digest")
            if rec.digest_checker.passed is False:
                res.errors.append(
                    f"{rid} ({rtype}) at {offset}: " + "; ".join(rec.digest_checker.problems)
                )
            uri = h.get_header("WARC-Target-URI")
            if rtype in ("response", "revisit"):
                res.responses[rid] = (uri, offset, None, h.get_header("WARC-Payload-Digest"))
            elif rtype == "request":
                res.requests[rid] = (uri, h.get_header("WARC-Concurrent-To"))
            if res.records == 1 and rtype != "warcinfo":
                res.errors.append("first record is not warcinfo")
    except (ArchiveLoadFailed, OSError, EOFError, zlib.error, ValueError) as exc:
        res.errors.append(f"unreadable after {res.records} records: {exc}")
    finally:
        if own:
            fh.close()
    if pairing:
        answered = set()
        for qid, (uri, to) in res.requests.items():
            target = res.responses.get(to) if to else None
            if target is None:
                res.errors.append(f"request {qid} ({uri}) has no concurrent response in the file")
            elif target[0] != uri:
                res.errors.append(f"request {qid} ({uri}) pairs with a response for {target[0]}")
            else:
                answered.add(to)
        for rid, (uri, *_rest) in res.responses.items():
            if rid not in answered:
                res.errors.append(f"response {rid} ({uri}) has no request record")
    return res


# --------------------------------------------------------------------------------------------
@dataclass
class ResolvedRecord:
    """What a :class:`WarcPointer` leads to: the pointed record and, for a revisit, the
    original response holding the payload (``body_record``)."""

    record_type: str
    record_id: str
    target_uri: str
    http_status: str | None
    payload: bytes  # of the body record: as archived (still content-encoded)
    body: bytes  # of the body record: content-decoded (what the portal's page was)
    body_pointer: dict  # pointer of the record holding the payload
    problems: list = field(default_factory=list)


def _sha1_b32(data: bytes) -> str:
    import base64
    import hashlib

    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def _read_one(store, d: Mapping, problems: list, what: str):
    """(record, raw payload, decoded body) of the single record at d's offset/length."""
    from warcio.archiveiterator import ArchiveIterator

    data = store.read_range(d["warc_file"], int(d["offset"]), int(d["length"]))
    it = iter(ArchiveIterator(io.BytesIO(data), check_digests=True))
    try:
        rec = next(it)
    except StopIteration:
        raise ValueError(f"{what}: no record at offset") from None
    raw = rec.raw_stream.read()
    body = raw
    if rec.http_headers is not None and raw:
        enc = (rec.http_headers.get_header("Content-Encoding") or "").strip().lower()
        try:
            if enc in ("gzip", "x-gzip"):
                body = zlib.decompress(raw, zlib.MAX_WBITS | 32)
            elif enc == "deflate":
                try:
                    body = zlib.decompress(raw)
                except zlib.error:
                    body = zlib.decompress(raw, -zlib.MAX_WBITS)
            elif enc == "br":
                import brotli  # scrapy's optional dependency; only when a portal sends br

                body = brotli.decompress(raw)
        except Exception as exc:
            problems.append(f"{what}: cannot decode {enc} payload: {exc}")
    if rec.digest_checker.passed is False:
        problems.extend(f"{what}: {p}" for p in rec.digest_checker.problems)
    if next(it, None) is not None:
        problems.append(f"{what}: length covers more than one record")
    return rec, raw, body


def resolve_pointer(store, pointer: "Mapping | WarcPointer", *, url: str | None = None) -> ResolvedRecord:
    """Read the record a pointer names and, for a revisit, its original (``refers_to``).

    Checks: the record at (offset, length) is one complete gzip member holding the response or
    revisit record with that id (and WARC-Target-URI ``url`` when given); its payload digest
    equals the pointer's; a response's payload hashes to it. For a revisit, the pointer's
    ``refers_to`` must name the record of the revisit's WARC-Refers-To (same target URI as
    WARC-Refers-To-Target-URI, same payload digest), a response whose payload hashes to the
    digest. Problems are collected in ``problems``; unreadable records raise.
    """
    d = pointer.to_dict() if isinstance(pointer, WarcPointer) else dict(pointer)
    problems: list[str] = []
    rec, raw, body = _read_one(store, d, problems, "record")
    h = rec.rec_headers
    rid = h.get_header("WARC-Record-ID")
    uri = h.get_header("WARC-Target-URI")
    digest = h.get_header("WARC-Payload-Digest")
    if rid != d.get("record_id"):
        problems.append(f"record id {rid} != {d.get('record_id')}")
    if rec.rec_type not in ("response", "revisit"):
        problems.append(f"record type {rec.rec_type}")
    if url and uri != url:
        problems.append(f"URI {uri} != {url}")
    if d.get("payload_digest") and digest != d["payload_digest"]:
        problems.append(f"payload digest {digest} != pointer {d['payload_digest']}")
    status = rec.http_headers.get_statuscode() if rec.http_headers else None
    res = ResolvedRecord(rec.rec_type, rid, uri, status, raw, body, d, problems)
    if rec.rec_type == "response":
        if digest and _sha1_b32(raw) != digest:
            problems.append("payload does not match its digest")
        return res
    if rec.rec_type != "revisit":
        return res
    ref = d.get("refers_to")
    if not ref:
        problems.append("revisit record but the pointer has no refers_to (original)")
        return res
    orig, oraw, obody = _read_one(store, ref, problems, "original")
    oh = orig.rec_headers
    if orig.rec_type != "response":
        problems.append(f"original is a {orig.rec_type} record, not a response")
    if oh.get_header("WARC-Record-ID") != h.get_header("WARC-Refers-To"):
        problems.append(f"original {oh.get_header('WARC-Record-ID')} is not WARC-Refers-To "
                        f"{h.get_header('WARC-Refers-To')}")
    if ref.get("record_id") and oh.get_header("WARC-Record-ID") != ref["record_id"]:
        problems.append(f"original record id {oh.get_header('WARC-Record-ID')} != {ref['record_id']}")
    if oh.get_header("WARC-Target-URI") != h.get_header("WARC-Refers-To-Target-URI"):
        problems.append("original URI != WARC-Refers-To-Target-URI")
    if oh.get_header("WARC-Payload-Digest") != digest or _sha1_b32(oraw) != digest:
        problems.append("original payload does not match the revisit's digest")
    res.payload, res.body, res.body_pointer = oraw, obody, dict(ref)
    return res


def verify_pointers(store, pointers: Iterable["Mapping | WarcPointer"]) -> dict:
    """Resolve WARC pointers (e.g. of every stored article) against ``store``, through
    ``refers_to`` for revisits (see :func:`resolve_pointer`). Items are WarcPointers or dicts,
    optionally with ``url`` (checked against WARC-Target-URI) and ``article_id`` (for messages).
    Returns {"checked": n, "ok": n, "revisits": n, "errors": [str, ...]}."""
    checked = ok = revisits = 0
    errors: list[str] = []
    for p in pointers:
        d = p.to_dict() if isinstance(p, WarcPointer) else dict(p)
        checked += 1
        label = d.get("article_id") or d.get("url") or d.get("record_id")
        try:
            res = resolve_pointer(store, d, url=d.get("url"))
            problems = res.problems
            revisits += res.record_type == "revisit"
        except Exception as exc:
            problems = [f"unreadable: {exc}"]
        if problems:
            errors.append(f"{label}: {d.get('warc_file')}@{d.get('offset')}: " + "; ".join(problems))
        else:
            ok += 1
    return {"checked": checked, "ok": ok, "revisits": revisits, "errors": errors}


__all__ = [
    "WarcCheck",
    "check_warc",
    "ClosedFile",
    "DigestIndex",
    "HTTP_CAPTURE_NOTES",
    "MemoryDigestIndex",
    "SqliteDigestIndex",
    "RedisDigestIndex",
    "RevisitTarget",
    "ResolvedRecord",
    "open_digest_index",
    "resolve_pointer",
    "verify_pointers",
    "WarcArchive",
    "WarcPointer",
    "cdxj_for",
    "cdxj_for_stream",
    "cdxj_name",
    "dechunked_response_headers",
    "gzip_member",
    "normalize_headers",
    "repair_warc_gz",
    "scan_gzip_members",
]
