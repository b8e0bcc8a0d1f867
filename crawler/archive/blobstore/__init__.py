"""Blob stores for closed archive files: a local directory or any S3-compatible bucket.

One small interface (:class:`BlobStore`) with two backends:

* :class:`LocalBlobStore`: a directory. ``put_file`` copies into a temporary file in the same
  directory, fsyncs it and renames it into place, so a reader (or a crash) never sees a
  half-written blob; the file's SHA-256 is kept in ``.fixity/NAME.sha256`` for
  ``crawler archive verify``.
* :class:`S3BlobStore`: boto3 against any endpoint URL (AWS, SeaweedFS, MinIO, Ceph ...).
  Credentials come from boto3's standard chain (env vars, profiles, instance roles); they are
  never read, stored or logged here. Uploads carry the file's SHA-256 in the object metadata and
  are verified after upload by HEAD (size, SHA-256 metadata and, where the store reports a
  standard ETag, the MD5 / multipart MD5 computed locally). S3 makes an object visible only when
  its upload completed, so a killed upload never leaves a truncated object behind; re-uploading
  the same name replaces the object, so a retried upload never duplicates one.

Modules: ``base`` (the interface, errors, file digest), ``local``, ``s3``; this package
re-exports them and chooses a store by URI (:func:`open_blobstore`).

Both ``put_file`` implementations raise :class:`UploadError` when the stored copy does not match
the local file; callers keep their local copy in that case.
"""


from __future__ import annotations

import os
from urllib.parse import unquote, urlparse

from crawler.archive.blobstore.base import BlobInfo, BlobStore, BlobStoreError, FileDigest, UploadError, file_digest
from crawler.archive.blobstore.local import FIXITY_DIR, LocalBlobStore
from crawler.archive.blobstore.s3 import S3BlobStore, s3_client_config


def open_blobstore(
    uri: str | None, *, default_dir: str | os.PathLike, endpoint_url: str | None = None
) -> BlobStore:
    """``None`` -> local ``default_dir``; ``/path`` or ``file:///path`` -> local directory;
    ``s3://bucket/prefix`` -> S3 (endpoint from ``endpoint_url``, else boto3's own
    ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL``; standard credential chain)."""
    if uri is None or uri == "":
        return LocalBlobStore(default_dir)
    parsed = urlparse(uri)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise ValueError(f"S3 URI without bucket: {uri!r}")
        return S3BlobStore(parsed.netloc, parsed.path.lstrip("/"), endpoint_url=endpoint_url or None)
    if parsed.scheme == "file":
        return LocalBlobStore(unquote(parsed.path))
    if parsed.scheme == "" or (len(parsed.scheme) == 1 and os.name == "nt"):
        return LocalBlobStore(uri)
    raise ValueError(f"unsupported archive location {uri!r} (use a path, file:// or s3://)")


__all__ = [
    "BlobInfo",
    "BlobStore",
    "BlobStoreError",
    "FIXITY_DIR",
    "FileDigest",
    "LocalBlobStore",
    "S3BlobStore",
    "UploadError",
    "file_digest",
    "open_blobstore",
    "s3_client_config",
]
