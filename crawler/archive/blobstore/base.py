"""The blob store interface (:class:`BlobStore`), its errors and records, and the file digest
that both backends verify an upload with."""

from __future__ import annotations

import hashlib
import os
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import BinaryIO

CHUNK = 1024 * 1024
MULTIPART_THRESHOLD = 64 * 1024 * 1024
MULTIPART_CHUNKSIZE = 16 * 1024 * 1024


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


def check_name(name: str) -> str:
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
