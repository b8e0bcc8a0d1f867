"""A directory as blob store: atomic ``put_file`` (temporary file, fsync, rename) and each
file's SHA-256 in ``.fixity/NAME.sha256`` for ``crawler archive verify``."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from crawler.archive.blobstore.base import CHUNK, BlobInfo, BlobStore, UploadError, check_name, file_digest

FIXITY_DIR = ".fixity"  # SHA-256 of each stored file, written at upload


class LocalBlobStore(BlobStore):
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).expanduser().resolve()
        self.uri = self.root.as_uri()

    def _path(self, name: str) -> Path:
        return self.root / check_name(name)

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
        return self.root / FIXITY_DIR / (check_name(name) + ".sha256")

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
