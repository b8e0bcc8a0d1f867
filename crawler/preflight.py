"""Checks before the first fetch: sources valid, data directory usable, archive writable.

Each check raises :class:`PreflightError` with one line an operator can act on; the commands
print it and exit 2 (bad configuration), so a mistake shows in the first second of a run, not
as failed uploads at its end.
"""

from __future__ import annotations

import errno
import os
import uuid
from pathlib import Path

from crawler.datadir import DataDir


class UserError(RuntimeError):
    """A mistake of the operator's (bad option value, bad configuration): one line, exit 2."""


class PreflightError(UserError):
    """A configuration or environment mistake found before crawling (exit status 2)."""


def check_data_dir(data_dir: DataDir, *, writable: bool = True) -> DataDir:
    """The data directory exists (or can be created) as a directory, and is writable."""
    root = data_dir.root
    if root.exists() and not root.is_dir():
        raise PreflightError(f"data directory {root} is a file, not a directory (check --data-dir / $CRAWLER_DATA_DIR)")
    if not writable:
        if not root.is_dir():
            raise PreflightError(f"data directory {root} does not exist (check --data-dir / $CRAWLER_DATA_DIR)")
        return data_dir
    try:
        data_dir.ensure()
        probe = root / f".write-test-{uuid.uuid4().hex[:8]}"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        raise PreflightError(f"data directory {root} is not usable: {_os_reason(exc)}") from None
    return data_dir


def check_sources(path, portals=None):
    from crawler.config import ConfigError, load_sources

    try:
        return load_sources(path).select(portals)
    except ConfigError as exc:
        raise PreflightError(str(exc)) from None


def check_archive(uri: str | None, data_dir: DataDir, *, endpoint_url: str | None = None) -> str:
    """The archive destination takes a test object: written, read back (size) and deleted.

    S3: the bucket must be reachable with the credentials boto3 finds; a dead endpoint or
    missing credentials fail here within seconds (few retries, short timeouts)."""
    from crawler.archive.blobstore import LocalBlobStore, S3BlobStore, open_blobstore

    try:
        store = open_blobstore(uri or None, default_dir=data_dir.archive_dir, endpoint_url=endpoint_url)
    except ValueError as exc:
        raise PreflightError(f"archive: {exc}") from None
    if isinstance(store, S3BlobStore):
        return _check_s3(store, endpoint_url)
    if isinstance(store, LocalBlobStore):
        return _check_local(store)
    return store.uri  # pragma: no cover - other backends check themselves


def _check_local(store) -> str:
    root = Path(store.root)
    if root.exists() and not root.is_dir():
        raise PreflightError(f"archive {root} is a file, not a directory")
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe = root / f".upload-preflight-{uuid.uuid4().hex[:8]}"
        probe.write_bytes(b"preflight")
        probe.unlink()
    except OSError as exc:
        raise PreflightError(f"archive {root} is not writable: {_os_reason(exc)}") from None
    return store.uri


def _check_s3(store, endpoint_url: str | None) -> str:
    from crawler.archive.blobstore import S3BlobStore

    # A client of its own with few retries and short timeouts: fail fast, same credentials.
    quick = S3BlobStore(store.bucket, store.prefix, endpoint_url=endpoint_url, max_attempts=2,
                        connect_timeout=3, read_timeout=10)
    where = f"archive {store.uri} (endpoint {quick.endpoint_url})"
    name = f".preflight-{uuid.uuid4().hex}"
    key = quick._key(name)
    client = quick.client
    try:
        client.head_bucket(Bucket=store.bucket)
        client.put_object(Bucket=store.bucket, Key=key, Body=b"preflight")
        size = client.head_object(Bucket=store.bucket, Key=key).get("ContentLength")
        client.delete_object(Bucket=store.bucket, Key=key)
    except Exception as exc:  # botocore: no credentials, endpoint down, access denied, no bucket
        raise PreflightError(f"{where} is not writable: {s3_reason(exc)}") from None
    if size != len(b"preflight"):
        raise PreflightError(f"{where}: a test object came back with {size} bytes instead of 9")
    return store.uri


def s3_reason(exc: BaseException) -> str:
    """botocore's errors in one line (no request IDs, no tracebacks)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and response.get("Error"):
        err = response["Error"]
        code, msg = err.get("Code", ""), err.get("Message", "")
        if str(code) in ("404", "NoSuchBucket"):
            return "bucket does not exist"
        if str(code) in ("403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
            return f"access denied ({code}): check the credentials"
        return f"{code} {msg}".strip()
    name = type(exc).__name__
    if name == "NoCredentialsError":
        return "no credentials found (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a profile)"
    return " ".join(str(exc).split()) or name


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "no space left on device"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"permission denied ({os.strerror(exc.errno)})"
    return exc.strerror or str(exc)


def preflight(data_dir: DataDir, *, sources=None, portals=None, archive: str | None = None,
              endpoint_url: str | None = None):
    """All checks of a crawl, in the order an operator fixes them; returns the Sources."""
    check_data_dir(data_dir)
    selected = check_sources(sources, portals)
    check_archive(archive, data_dir, endpoint_url=endpoint_url)
    return selected
