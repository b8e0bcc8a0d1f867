"""BlobStore: local directory and real SeaweedFS S3 (started by tests/services.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from crawler.archive.blobstore import (
    LocalBlobStore,
    S3BlobStore,
    UploadError,
    file_digest,
    open_blobstore,
)
from services import s3_bucket, s3_uri, seaweedfs  # noqa: F401  (fixtures)


def _payload(n: int, seed: int = 1) -> bytes:
    import random

    return random.Random(seed).randbytes(n)


def _exercise(store, tmp_path: Path) -> None:
    data = _payload(300_000)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    info = store.put_file(src, "a/one.warc.gz")
    assert info.size == len(data)
    store.put_file(src, "b.cdxj")
    names = [b.name for b in store.list()]
    assert names == ["a/one.warc.gz", "b.cdxj"]
    assert [b.size for b in store.list("a/")] == [len(data)]
    assert store.exists("a/one.warc.gz") and not store.exists("a/missing")
    assert store.stat("a/missing") is None
    assert store.stat("b.cdxj").size == len(data)
    assert store.read_range("a/one.warc.gz", 12_345, 1000) == data[12_345:13_345]
    with store.open("a/one.warc.gz") as fh:
        assert fh.read() == data
    # replacing keeps one object with the new content
    src.write_bytes(data[:10])
    store.put_file(src, "a/one.warc.gz")
    assert store.read_bytes("a/one.warc.gz") == data[:10]
    assert len(store.list()) == 2
    with pytest.raises(ValueError):
        store.put_file(src, "../escape")


def test_local_blobstore(tmp_path):
    store = LocalBlobStore(tmp_path / "archive")
    _exercise(store, tmp_path)
    # no temp files left behind
    assert not [p for p in (tmp_path / "archive").rglob(".upload-*")]


def test_open_blobstore_variants(tmp_path, monkeypatch):
    assert isinstance(open_blobstore(None, default_dir=tmp_path), LocalBlobStore)
    s = open_blobstore(f"file://{tmp_path}/x", default_dir=tmp_path)
    assert isinstance(s, LocalBlobStore) and s.root == (tmp_path / "x").resolve()
    assert open_blobstore(str(tmp_path / "y"), default_dir=tmp_path).root == tmp_path / "y"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    s3 = open_blobstore("s3://bkt/some/prefix/", default_dir=tmp_path, endpoint_url="http://127.0.0.1:1")
    assert isinstance(s3, S3BlobStore)
    assert (s3.bucket, s3.prefix, s3.uri) == ("bkt", "some/prefix", "s3://bkt/some/prefix")
    assert s3.endpoint_url == "http://127.0.0.1:1"
    cfg = s3.client.meta.config
    assert cfg.request_checksum_calculation == "when_required"
    assert cfg.response_checksum_validation == "when_required"
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:2")
    assert open_blobstore("s3://bkt", default_dir=tmp_path).endpoint_url == "http://127.0.0.1:2"
    with pytest.raises(ValueError):
        open_blobstore("ftp://x/y", default_dir=tmp_path)


def test_file_digest_parts(tmp_path):
    p = tmp_path / "f"
    p.write_bytes(b"a" * 25)
    d = file_digest(p, chunk_size=10)
    assert d.size == 25 and len(d.part_md5s) == 3


def test_s3_blobstore_roundtrip(s3_uri, tmp_path):
    store = open_blobstore(s3_uri, default_dir=tmp_path)
    assert isinstance(store, S3BlobStore)
    _exercise(store, tmp_path)
    # object metadata carries the sha256 used for verification
    src = tmp_path / "again.bin"
    src.write_bytes(b"hello")
    store.put_file(src, "again.bin")
    assert store.sha256("again.bin") == file_digest(src).sha256


def test_s3_multipart_upload_verified(seaweedfs, s3_bucket, tmp_path):
    store = S3BlobStore(
        s3_bucket, "mp", endpoint_url=seaweedfs.endpoint_url,
        multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024,
    )
    data = _payload(12 * 1024 * 1024 + 17, seed=7)
    src = tmp_path / "big.warc.gz"
    src.write_bytes(data)
    info = store.put_file(src, "big.warc.gz")
    assert info.size == len(data)
    head = store.client.head_object(Bucket=s3_bucket, Key="mp/big.warc.gz")
    assert head["ContentLength"] == len(data)
    off = 5 * 1024 * 1024 - 100  # range across a part boundary
    assert store.read_range("big.warc.gz", off, 300) == data[off : off + 300]


def test_s3_verification_detects_mismatch(seaweedfs, s3_bucket, tmp_path):
    """A stored object that differs from the local file must fail verification."""
    store = S3BlobStore(s3_bucket, endpoint_url=seaweedfs.endpoint_url)
    src = tmp_path / "f.bin"
    src.write_bytes(b"x" * 1000)
    store.put_file(src, "f.bin")
    head = store.client.head_object(Bucket=s3_bucket, Key="f.bin")
    other = tmp_path / "g.bin"
    other.write_bytes(b"y" * 1000)
    with pytest.raises(UploadError):
        store._verify("f.bin", head, file_digest(other))


SECRET = "s3cr3t-Ab9xQ7-not-for-logs"  # distinctive: found wherever it leaks


def _no_secret_in(*texts: str) -> None:
    for text in texts:
        assert SECRET not in text and SECRET[:12] not in text, text


def test_s3_unreachable_raises_upload_error(tmp_path, monkeypatch):
    from services import free_port

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "crawlerkeyid")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    port = free_port()
    store = S3BlobStore("bkt", endpoint_url=f"http://127.0.0.1:{port}", max_attempts=1, connect_timeout=1)
    assert store.client._request_signer._credentials.secret_key == SECRET  # the store holds it
    src = tmp_path / "f"
    src.write_bytes(b"x")
    with pytest.raises(UploadError) as ei:
        store.put_file(src, "f")
    assert f"127.0.0.1:{port}" in str(ei.value)  # the message says where it failed ...
    _no_secret_in(str(ei.value), repr(ei.value), repr(store), str(store))  # ... and no secret


def test_s3_wrong_secret_names_the_failure_not_the_secret(seaweedfs, s3_bucket, tmp_path, monkeypatch):
    """A real server refusing the signature: the operator learns it, the log never gets the key."""
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    store = S3BlobStore(s3_bucket, endpoint_url=seaweedfs.endpoint_url, max_attempts=1)
    src = tmp_path / "f"
    src.write_bytes(b"x")
    with pytest.raises(UploadError) as ei:
        store.put_file(src, "f")
    assert s3_bucket in str(ei.value)
    _no_secret_in(str(ei.value), repr(ei.value), repr(store))


def test_s3_loopback_endpoint_ignores_crawl_proxy_env(s3_uri, tmp_path, monkeypatch):
    """A crawl sets http_proxy for its fetches (demo portals); the S3 upload must not use it."""
    from services import free_port

    dead_proxy = f"http://127.0.0.1:{free_port()}"
    for k in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.setenv(k, dead_proxy)
    monkeypatch.setenv("no_proxy", "")
    store = open_blobstore(s3_uri, default_dir=tmp_path)  # endpoint from AWS_ENDPOINT_URL_S3
    src = tmp_path / "f.bin"
    src.write_bytes(b"through no proxy")
    store.put_file(src, "f.bin")
    assert store.read_bytes("f.bin") == b"through no proxy"
