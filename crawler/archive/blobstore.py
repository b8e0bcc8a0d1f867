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

Both ``put_file`` implementations raise :class:`UploadError` when the stored copy does not match
the local file; callers keep their local copy in that case.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import tempfile
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlparse

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024
MULTIPART_THRESHOLD = 64 * 1024 * 1024
MULTIPART_CHUNKSIZE = 16 * 1024 * 1024
SHA256_META = "sha256"
FIXITY_DIR = ".fixity"  # local stores: SHA-256 of each stored file, written at upload


class BlobStoreError(Exception):
    pass


class UploadError(BlobStoreError):
    """The upload failed or the stored copy does not match the local file."""


@dataclass(frozen=True)
class BlobInfo:
    name: str
    size: int


@dataclass(frozen=True)
class FileDigest:
    size: int
    sha256: str
    md5: str  # hex MD5 of the whole file
    part_md5s: tuple[bytes, ...]  # raw MD5 of each multipart chunk (for multipart ETags)


def file_digest(path: str | os.PathLike, chunk_size: int = MULTIPART_CHUNKSIZE) -> FileDigest:
    """Size, SHA-256, MD5 and per-part MD5s of a local file in one pass."""
    sha, md5 = hashlib.sha256(), hashlib.md5()
    parts: list[bytes] = []
    part = hashlib.md5()
    in_part = 0
    size = 0
    with open(path, "rb") as fh:
        while True:
            buf = fh.read(CHUNK)
            if not buf:
                break
            size += len(buf)
            sha.update(buf)
            md5.update(buf)
            view = memoryview(buf)
            while view:
                take = min(len(view), chunk_size - in_part)
                part.update(view[:take])
                in_part += take
                view = view[take:]
                if in_part == chunk_size:
                    parts.append(part.digest())
                    part, in_part = hashlib.md5(), 0
    if in_part or not parts:
        parts.append(part.digest())
    return FileDigest(size, sha.hexdigest(), md5.hexdigest(), tuple(parts))


def _check_name(name: str) -> str:
    if not name or name.startswith("/") or any(p in ("", ".", "..") for p in name.split("/")):
        raise ValueError(f"invalid blob name: {name!r}")
    return name


class BlobStore(ABC):
    """Where closed WARC files and their CDXJ indexes live. Names are relative, '/'-separated."""

    uri: str

    @abstractmethod
    def put_file(self, local_path: str | os.PathLike, name: str) -> BlobInfo:
        """Store ``local_path`` as ``name`` (replacing it), verify the stored copy."""

    @abstractmethod
    def list(self, prefix: str = "") -> list[BlobInfo]:
        """All blobs (optionally below ``prefix``), sorted by name."""

    @abstractmethod
    def read_range(self, name: str, offset: int, length: int) -> bytes:
        """``length`` bytes of blob ``name`` starting at ``offset``."""

    @abstractmethod
    def open(self, name: str) -> BinaryIO:
        """A binary stream reading the whole blob (caller closes it)."""

    @abstractmethod
    def exists(self, name: str) -> bool: ...

    @abstractmethod
    def stat(self, name: str) -> BlobInfo | None:
        """Size of ``name`` or None when missing."""

    def read_bytes(self, name: str) -> bytes:
        with self.open(name) as fh:
            return fh.read()

    def sha256(self, name: str) -> str | None:
        """The SHA-256 (hex) recorded when ``name`` was stored, None if the store keeps none."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.uri!r})"


class LocalBlobStore(BlobStore):
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).expanduser().resolve()
        self.uri = self.root.as_uri()

    def _path(self, name: str) -> Path:
        return self.root / _check_name(name)

    def put_file(self, local_path, name):
        dest = self._path(name)
        dest.parent.mkdir(parents=True, exist_ok=True)
        src_digest = hashlib.sha256()
        size = 0
        fd, tmp = tempfile.mkstemp(prefix=".upload-", suffix=".part", dir=dest.parent)
        try:
            with open(local_path, "rb") as src, os.fdopen(fd, "wb") as out:
                while True:
                    buf = src.read(CHUNK)
                    if not buf:
                        break
                    src_digest.update(buf)
                    size += len(buf)
                    out.write(buf)
                out.flush()
                os.fsync(out.fileno())
            # verify the copy before it becomes visible
            got = file_digest(tmp)
            if got.size != size or got.sha256 != src_digest.hexdigest():
                raise UploadError(f"local copy of {name} does not match its source")
            os.replace(tmp, dest)
            tmp = None
            _fsync_dir(dest.parent)
            self._write_fixity(name, got.sha256)
        finally:
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except FileNotFoundError:
                    pass
        return BlobInfo(name, size)

    def _fixity_path(self, name: str) -> Path:
        return self.root / FIXITY_DIR / (_check_name(name) + ".sha256")

    def _write_fixity(self, name: str, sha256: str) -> None:
        path = self._fixity_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(sha256 + "\n", encoding="ascii")
        os.replace(tmp, path)

    def sha256(self, name):
        try:
            return self._fixity_path(name).read_text(encoding="ascii").strip() or None
        except FileNotFoundError:
            return None

    def list(self, prefix=""):
        out = []
        if not self.root.exists():
            return out
        for p in self.root.rglob("*"):
            rel_parts = p.relative_to(self.root).parts
            if p.is_file() and not any(x.startswith(".") for x in rel_parts):
                rel = p.relative_to(self.root).as_posix()
                if rel.startswith(prefix):
                    out.append(BlobInfo(rel, p.stat().st_size))
        return sorted(out, key=lambda b: b.name)

    def read_range(self, name, offset, length):
        with open(self._path(name), "rb") as fh:
            fh.seek(offset)
            data = fh.read(length)
        if len(data) != length:
            raise BlobStoreError(f"short read from {name}: {len(data)} of {length} bytes")
        return data

    def open(self, name):
        return open(self._path(name), "rb")

    def exists(self, name):
        return self._path(name).is_file()

    def stat(self, name):
        p = self._path(name)
        try:
            return BlobInfo(name, p.stat().st_size)
        except FileNotFoundError:
            return None

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _is_loopback(endpoint_url: str | None) -> bool:
    import ipaddress

    host = urlparse(endpoint_url or "").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def s3_client_config(
    *, max_attempts: int = 5, connect_timeout: float = 10, read_timeout: float = 60,
    path_style: bool = True, endpoint_url: str | None = None, proxies: dict | None = None,
):
    """botocore Config for S3-compatible stores.

    boto3 >= 1.36 adds CRC32 checksums (aws-chunked trailers) to every upload by default;
    several S3-compatible stores reject or mis-store those, so checksums are only sent and
    validated where an operation requires them. (Older botocore does not know these options
    and does not send such checksums either.)

    Proxies: boto3 honours http_proxy/https_proxy from the environment. A crawl may set those
    for its fetches (the demo portals are reached through an HTTP proxy), so an endpoint on a
    loopback address never goes through a proxy; ``proxies`` sets them explicitly.
    """
    from botocore.config import Config

    if proxies is None and _is_loopback(endpoint_url or _env_endpoint()):
        proxies = {}
    kw = dict(
        retries={"max_attempts": max_attempts, "mode": "standard"},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        s3={"addressing_style": "path"} if path_style else {},
    )
    if proxies is not None:
        kw["proxies"] = proxies
    try:
        return Config(
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            **kw,
        )
    except TypeError:  # botocore < 1.36
        return Config(**kw)


class S3BlobStore(BlobStore):
    """An S3 bucket (+ key prefix) on any S3-compatible endpoint."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        client=None,
        multipart_threshold: int = MULTIPART_THRESHOLD,
        multipart_chunksize: int = MULTIPART_CHUNKSIZE,
        max_attempts: int = 5,
        connect_timeout: float = 10,
        read_timeout: float = 60,
        proxies: dict | None = None,
    ):
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.uri = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"
        self.multipart_threshold = multipart_threshold
        self.multipart_chunksize = multipart_chunksize
        if client is None:
            import boto3

            config = s3_client_config(
                max_attempts=max_attempts,
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                path_style=bool(endpoint_url or _env_endpoint()),
                endpoint_url=endpoint_url,
                proxies=proxies,
            )
            # endpoint_url None -> boto3 itself honours AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL
            client = boto3.session.Session().client("s3", endpoint_url=endpoint_url, config=config)
        self.client = client
        self.endpoint_url = client.meta.endpoint_url

    def __repr__(self) -> str:
        return f"S3BlobStore({self.uri!r}, endpoint={self.endpoint_url!r})"

    def _key(self, name: str) -> str:
        _check_name(name)
        return f"{self.prefix}/{name}" if self.prefix else name

    def _transfer_config(self):
        from boto3.s3.transfer import TransferConfig

        return TransferConfig(
            multipart_threshold=self.multipart_threshold,
            multipart_chunksize=self.multipart_chunksize,
            max_concurrency=4,
        )

    def put_file(self, local_path, name):
        key = self._key(name)
        digest = file_digest(local_path, self.multipart_chunksize)
        extra = {
            "Metadata": {SHA256_META: digest.sha256},
            "ContentType": _content_type(name),
        }
        try:
            self.client.upload_file(
                str(local_path), self.bucket, key, ExtraArgs=extra, Config=self._transfer_config()
            )
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except Exception as exc:  # botocore/boto3 errors, connection errors
            raise UploadError(f"upload of {name} to {self.uri} failed: {exc}") from exc
        self._verify(name, head, digest)
        return BlobInfo(name, digest.size)

    def _verify(self, name: str, head: dict, digest: FileDigest) -> None:
        size = head.get("ContentLength")
        if size != digest.size:
            raise UploadError(f"{name}: stored size {size} != local size {digest.size}")
        meta = {k.lower(): v for k, v in (head.get("Metadata") or {}).items()}
        if meta.get(SHA256_META) != digest.sha256:
            raise UploadError(f"{name}: stored sha256 metadata does not match the local file")
        etag = (head.get("ETag") or "").strip('"')
        expected = None
        if "-" in etag:
            n = etag.rsplit("-", 1)[1]
            if n.isdigit() and int(n) == len(digest.part_md5s):
                expected = (
                    hashlib.md5(b"".join(digest.part_md5s)).hexdigest() + f"-{len(digest.part_md5s)}"
                )
        elif len(etag) == 32:
            expected = digest.md5
        if expected is not None and etag != expected:
            raise UploadError(f"{name}: stored ETag {etag} != expected {expected}")

    def list(self, prefix=""):
        base = f"{self.prefix}/" if self.prefix else ""
        out = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=base + prefix):
            for obj in page.get("Contents", []):
                name = obj["Key"][len(base):]
                if name:
                    out.append(BlobInfo(name, obj["Size"]))
        return sorted(out, key=lambda b: b.name)

    def read_range(self, name, offset, length):
        if length <= 0:
            return b""
        resp = self.client.get_object(
            Bucket=self.bucket, Key=self._key(name), Range=f"bytes={offset}-{offset + length - 1}"
        )
        data = resp["Body"].read()
        if len(data) != length:
            raise BlobStoreError(f"short range read from {name}: {len(data)} of {length} bytes")
        return data

    def open(self, name):
        resp = self.client.get_object(Bucket=self.bucket, Key=self._key(name))
        return _StreamingBodyIO(resp["Body"])

    def exists(self, name):
        return self.stat(name) is not None

    def stat(self, name):
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._key(name))
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return BlobInfo(name, head["ContentLength"])

    def sha256(self, name: str) -> str | None:
        head = self.client.head_object(Bucket=self.bucket, Key=self._key(name))
        meta = {k.lower(): v for k, v in (head.get("Metadata") or {}).items()}
        return meta.get(SHA256_META)

    def delete(self, name: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(name))


class _StreamingBodyIO(io.RawIOBase):
    """botocore StreamingBody as a proper (context-managed) binary file object."""

    def __init__(self, body):
        self._body = body

    def readable(self):
        return True

    def readinto(self, b):
        data = self._body.read(len(b))
        n = len(data)
        b[:n] = data
        return n

    def read(self, size=-1):
        if size is None or size < 0:
            return self._body.read()
        return self._body.read(size)

    def close(self):
        try:
            self._body.close()
        finally:
            super().close()


def _content_type(name: str) -> str:
    if name.endswith(".warc.gz"):
        return "application/warc"
    if name.endswith(".cdxj"):
        return "text/plain; charset=utf-8"
    return "application/octet-stream"


def _env_endpoint() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")


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
    "LocalBlobStore",
    "S3BlobStore",
    "UploadError",
    "file_digest",
    "open_blobstore",
]
