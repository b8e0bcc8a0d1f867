"""Crash repair of a ``.warc.gz`` that was open when its crawl died: where its last complete
gzip member (= record) ends, and truncating it there (a request record without its response
goes too). The spool (:mod:`crawler.archive.spool`) repairs such files before shipping them."""

from __future__ import annotations

import os
import zlib
from pathlib import Path


def scan_gzip_members(path: str | os.PathLike, chunk: int = 1 << 20) -> tuple[int, int]:
    """(end offset of the last complete gzip member, number of complete members).

    A member counts as complete when zlib reaches its end and its CRC/size trailer checks out.
    """
    good_end, count, _start, _head = _scan(path, chunk)
    return good_end, count


def _scan(path, chunk: int = 1 << 20) -> tuple[int, int, int, bytes]:
    """(end of the last complete member, complete members, start of the last complete member,
    its first decompressed bytes)."""
    good_end = count = last_start = 0
    last_head = head = b""
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
                out = d.decompress(buf, 4096) if len(head) < 256 else d.decompress(buf)
            except zlib.error:
                break
            if len(head) < 256:
                head += out[:256]
                rest = d.unconsumed_tail
                if rest:  # output was capped: feed the rest uncapped
                    try:
                        d.decompress(rest)
                    except zlib.error:
                        break
            if d.eof:
                used = len(buf) - len(d.unused_data)
                last_start, last_head = good_end, head
                base += used
                good_end = base
                count += 1
                buf, head = d.unused_data, b""
                d = zlib.decompressobj(zlib.MAX_WBITS + 16)
            else:
                base += len(buf)
                buf = b""
    return good_end, count, last_start, last_head


def _is_request(head: bytes) -> bool:
    top = head.split(b"\r\n\r\n", 1)[0]
    return any(line.strip().lower() == b"warc-type: request" for line in top.split(b"\r\n"))


def repair_warc_gz(path: str | os.PathLike) -> tuple[int, int]:
    """Truncate a half-written ``.warc.gz`` to its last complete record; a request record
    whose response was cut off goes too (its response is always written right after it).

    Returns (bytes cut off, records kept). A file without any complete record is deleted.
    """
    path = Path(path)
    size = path.stat().st_size
    good_end, count, last_start, last_head = _scan(path)
    if count and _is_request(last_head):
        good_end, count = last_start, count - 1
    if count == 0:
        path.unlink()
        return size, 0
    if good_end < size:
        with open(path, "r+b") as fh:
            fh.truncate(good_end)
            fh.flush()
            os.fsync(fh.fileno())
    return size - good_end, count
