"""Crawl runs: the data-directory lock and run identifiers.

The lock is an advisory ``flock`` on ``<data dir>/crawl.lock``: the kernel releases it when the
holder exits, even after ``kill -9``, so a crashed crawl never blocks the next one, while two live
crawls can never share one data directory.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import uuid
from datetime import datetime, timezone
from pathlib import Path


class LockHeld(RuntimeError):
    """Another crawl is using the data directory."""


class CrawlLock:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._fd: int | None = None

    def acquire(self, run_id: str) -> "CrawlLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 4096).decode("utf-8", "replace").strip()
            os.close(fd)
            raise LockHeld(
                f"another crawl is running on {self.path.parent} ({holder or 'holder unknown'}); "
                "wait for it to finish or use another --data-dir"
            ) from None
        os.ftruncate(fd, 0)
        info = {"run_id": run_id, "pid": os.getpid(), "host": socket.gethostname(), "since": utc_now()}
        os.write(fd, json.dumps(info).encode())
        os.fsync(fd)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def new_run_id() -> str:
    """Sortable and unique: UTC time of the start plus a random suffix."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


def store_is_own(store_location: str, data_dir) -> bool:
    """The store is the data directory's SQLite file: its crawls are exactly those holding the
    data directory's lock. (Another store may be shared by crawlers of other data directories.)"""
    if not store_location.startswith("sqlite:"):
        return False
    path = store_location[len("sqlite://"):] if store_location.startswith("sqlite://") else ""
    try:
        return Path("/" + path.lstrip("/")).resolve() == Path(data_dir.articles_db).resolve()
    except (OSError, ValueError):
        return False


def process_gone(job) -> bool:
    """A run recorded by a process of this host that no longer exists."""
    if job.host != socket.gethostname() or not job.pid:
        return False
    try:
        os.kill(job.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def lock_is_free(path: Path) -> bool:
    """True when no live process holds the data-directory lock (works read-only)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return True  # no lock file: nothing ever held it
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    finally:
        os.close(fd)


def effective_status(job, *, lock_free: bool) -> str:
    """A run recorded as running whose process is gone (killed, host rebooted) is shown crashed."""
    if job.status != "running":
        return job.status
    if lock_free:
        return "crashed"
    if job.host == socket.gethostname() and job.pid:
        try:
            os.kill(job.pid, 0)
        except ProcessLookupError:
            return "crashed"
        except PermissionError:
            pass
    return "running"
