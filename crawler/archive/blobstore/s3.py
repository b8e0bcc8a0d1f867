"""Any S3-compatible bucket as blob store (boto3; AWS, SeaweedFS, MinIO, Ceph ...): uploads
carry the file's SHA-256 in the object metadata and are verified by HEAD after upload."""

from __future__ import annotations

import hashlib
import io
import os
from urllib.parse import urlparse

from crawler.archive.blobstore.base import (
    MULTIPART_CHUNKSIZE,
    MULTIPART_THRESHOLD,
    BlobInfo,
    BlobStore,
    BlobStoreError,
    FileDigest,
    UploadError,
    check_name,
    file_digest,
)

SHA256_META = "sha256"


def _is_loopback(endpoint_url: str | None) -> bool:
    from crawler.urls import is_loopback_host

    return is_loopback_host(urlparse(endpoint_url or "").hostname)


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

    if proxies is None and _is_loopback(endpoint_url or env_endpoint()):
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
                path_style=bool(endpoint_url or env_endpoint()),
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
        check_name(name)
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


def env_endpoint() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
