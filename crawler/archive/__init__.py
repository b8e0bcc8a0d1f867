"""The WARC archive: capture records, rolling files, spool and verified shipping, revisits,
sidecar indexes, verification, blob stores (local directory or S3).

Modules, one concept each:

* :mod:`~crawler.archive.records`: constants, :class:`WarcPointer`, header helpers, record
  serialisation and per-record gzip members;
* :mod:`~crawler.archive.writer`: :class:`WarcArchive`, exchanges and metadata into rolling
  ``.warc.gz`` files; :mod:`~crawler.archive.rolling`: when its files roll (size, age) and
  drain; :mod:`~crawler.archive.planning`: an exchange in three steps (plan, build in a
  worker, finish);
* :mod:`~crawler.archive.spool`: closed files waiting in the spool, verified upload
  (:class:`Shipper`); :mod:`~crawler.archive.repair`: crash repair of a half-written file;
* :mod:`~crawler.archive.revisits` and :mod:`~crawler.archive.digests`: revisit records and
  the digest indexes (SQLite, Redis) that find their originals;
* :mod:`~crawler.archive.cdxj`: the CDXJ sidecar of each WARC file;
* :mod:`~crawler.archive.verify`: reading a WARC to the end, member by member, every fault
  with its offset; :mod:`~crawler.archive.audit`: a store's files, sidecars, fixity and the
  originals of revisits; :mod:`~crawler.archive.pointers`: following record pointers;
* :mod:`~crawler.archive.exchange`: an HTTP exchange (bytes of the connection) as records;
* :mod:`~crawler.archive.blobstore`: where closed files live (directory or S3).
"""

from crawler.archive.blobstore import BlobStore, LocalBlobStore, S3BlobStore, open_blobstore
from crawler.archive.cdxj import cdxj_for, cdxj_for_stream, cdxj_name, write_cdxj
from crawler.archive.digests import (
    DigestIndex, MemoryDigestIndex, RedisDigestIndex, RevisitTarget, SqliteDigestIndex,
    open_digest_index,
)
from crawler.archive.records import (
    CDXJ_SUFFIX, HTTP_CAPTURE_NOTES, WARC_SUFFIX, WarcPointer, dechunked_response_headers,
    gzip_member, normalize_headers,
)
from crawler.archive.repair import repair_warc_gz, scan_gzip_members
from crawler.archive.spool import ClosedFile
from crawler.archive.pointers import ResolvedRecord, resolve_pointer, verify_pointers
from crawler.archive.verify import WarcCheck, check_warc
from crawler.archive.writer import WarcArchive

__all__ = [
    "BlobStore", "CDXJ_SUFFIX", "ClosedFile", "DigestIndex", "HTTP_CAPTURE_NOTES",
    "LocalBlobStore", "MemoryDigestIndex", "RedisDigestIndex", "ResolvedRecord", "RevisitTarget",
    "S3BlobStore", "SqliteDigestIndex", "WARC_SUFFIX", "WarcArchive", "WarcCheck", "WarcPointer",
    "cdxj_for", "cdxj_for_stream", "cdxj_name", "check_warc", "dechunked_response_headers",
    "gzip_member", "normalize_headers", "open_blobstore", "open_digest_index", "repair_warc_gz",
    "resolve_pointer", "scan_gzip_members", "verify_pointers", "write_cdxj",
]
