"""Checking WARC files: every gzip member, every record, digests, pairing, the CDXJ sidecar,
fixity against the SHA-256 stored at upload, and every revisit's original.

Each fault names its offset and what is wrong (``truncated``, ``bad gzip member``, ``trailing
garbage``, ``block digest mismatch``, ``payload digest mismatch``, ``unsorted``/``stale`` index,
``fixity mismatch``, ``original not found``); corrupt input never raises. Files are read
member by member (one gzip member = one record, as this project writes them), so a bit flip
is reported at the member where it is, not as a differing index; past a broken member reading
resumes at the next gzip member that decompresses, so every broken member of a file is named.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from dataclasses import dataclass, field
from typing import BinaryIO, Iterator

from crawler.archive.records import http_head_length, sha1_b32

PAYLOAD_DIGEST_TYPES = ("response", "request", "resource", "metadata", "conversion")
GZIP_MAGIC = b"\x1f\x8b"
PIECE = 1 << 16  # bytes fed to the decompressor at a time (a record is usually smaller)
MEMBER_MAGIC = b"\x1f\x8b\x08"  # gzip magic and its only compression method, deflate


@dataclass
class Member:
    offset: int
    length: int
    data: bytes | None  # decompressed; None when the member is broken
    error: str | None = None


class _Window:
    """The bytes of a stream from ``offset`` on that have been read but not consumed."""

    def __init__(self, fh: BinaryIO, chunk: int):
        self.fh, self.chunk, self.buf, self.offset, self.ended = fh, chunk, bytearray(), 0, False

    def more(self) -> bool:
        """Read one more chunk; False at the end of the stream."""
        if not self.ended:
            data = self.fh.read(self.chunk)
            self.ended = not data
            self.buf += data
        return not self.ended

    def drop(self, n: int) -> None:
        del self.buf[:n]
        self.offset += n

    def rest(self) -> int:
        """Read to the end; the number of unconsumed bytes."""
        while self.more():
            pass
        return len(self.buf)


def _inflate(win: _Window, start: int) -> tuple[bytes | None, int, str | None]:
    """Decompress the gzip member at ``win.buf[start:]``: (data, length, error), the error
    ``"truncated"`` when the stream ends inside the member."""
    d = zlib.decompressobj(zlib.MAX_WBITS + 16)
    out, pos = [], start
    while True:
        if pos >= len(win.buf) and not win.more():
            return None, pos - start, "truncated"
        with memoryview(win.buf)[pos:pos + PIECE] as piece:  # no copy; released before the window grows
            try:
                out.append(d.decompress(piece))
            except zlib.error as exc:
                return None, pos - start, str(exc)
            if d.eof:
                return b"".join(out), pos + len(piece) - len(d.unused_data) - start, None
            pos += len(piece)


def _resync(win: _Window) -> int | None:
    """Where (relative to the window) the next gzip member starts that decompresses without
    an error (or runs into the end of the file), past the broken one at the window's start."""
    pos = 1
    while True:
        found = win.buf.find(MEMBER_MAGIC, pos)
        if found < 0:
            pos = max(1, len(win.buf) - len(MEMBER_MAGIC) + 1)
            if not win.more():
                return None
            continue
        if _inflate(win, found)[2] in (None, "truncated"):
            return found
        pos = found + 1


def iter_members(fh: BinaryIO, chunk: int = 1 << 20) -> Iterator[Member]:
    """The gzip members of a stream, in order. A broken member (bad gzip data, or bytes that are
    not a gzip member) is yielded with its error and reading resumes at the next gzip member
    that decompresses, so every fault of a file is named; a member cut off by the end of the
    file ends the iteration."""
    win = _Window(fh, chunk)
    while win.buf or win.more():
        offset = win.offset
        if len(win.buf) < 2 and win.more():
            continue
        error = "not a gzip member"
        if win.buf.startswith(GZIP_MAGIC):
            data, length, error = _inflate(win, 0)
            if error is None:
                yield Member(offset, length, data)
                win.drop(length)
                continue
            if error == "truncated":
                yield Member(offset, length, None, f"truncated: the gzip member at offset {offset} "
                                                   f"ends early (file ends at {offset + length})")
                return
        garbage = error == "not a gzip member"
        skip = _resync(win)
        if skip is None:
            rest = win.rest()
            yield Member(offset, rest, None, f"trailing garbage at offset {offset}: {rest} bytes that are "
                         "not a gzip member" if garbage else
                         f"bad gzip member at offset {offset}: {error} (no gzip member after it)")
            return
        what = (f"{skip} bytes at offset {offset} that are not a gzip member" if garbage else
                f"bad gzip member at offset {offset}: {error}")
        yield Member(offset, skip, None, f"{what}; reading resumes at offset {offset + skip}")
        win.drop(skip)


@dataclass
class Record:
    offset: int
    length: int
    type: str
    fields: dict
    block: bytes

    def get(self, name: str) -> str | None:
        return self.fields.get(name.lower())


def parse_record(m: Member) -> tuple[Record | None, list[str]]:
    """The WARC record in a member and the problems found in it (digests, framing)."""
    at = f"record at offset {m.offset}"
    data = m.data or b""
    end = data.find(b"\r\n\r\n")
    if not data.startswith(b"WARC/") or end < 0:
        return None, [f"{at}: not a WARC record"]
    fields: dict[str, str] = {}
    for line in data[:end].split(b"\r\n")[1:]:
        k, sep, v = line.decode("utf-8", "replace").partition(":")
        if sep:
            fields[k.strip().lower()] = v.strip()
    try:
        n = int(fields.get("content-length", ""))
    except ValueError:
        return None, [f"{at}: no valid Content-Length"]
    block = data[end + 4:end + 4 + n]
    problems = []
    if len(block) < n:
        problems.append(f"truncated: {at} has {len(block)} of its {n} block bytes")
    elif data[end + 4 + n:end + 8 + n] != b"\r\n\r\n":
        problems.append(f"{at}: block not followed by CRLF CRLF")
    rec = Record(m.offset, m.length, fields.get("warc-type", "?"), fields, block)
    problems += _digest_problems(rec, at)
    return rec, problems


def _digest_problems(rec: Record, at: str) -> list[str]:
    out = []
    what = f"{at} ({rec.type} {rec.get('WARC-Record-ID')})"
    bd = rec.get("WARC-Block-Digest")
    if not bd and rec.type != "revisit":
        out.append(f"{what}: no WARC-Block-Digest")
    elif bd and bd.lower().startswith("sha1:") and sha1_b32(rec.block) != bd:
        out.append(f"{what}: block digest mismatch (stored {bd}, computed {sha1_b32(rec.block)})")
    pd = rec.get("WARC-Payload-Digest")
    if rec.type in PAYLOAD_DIGEST_TYPES and rec.type != "metadata" and not pd:
        out.append(f"{what}: no WARC-Payload-Digest")
    if pd and rec.type in ("response", "request") and pd.lower().startswith("sha1:"):
        head = http_head_length(rec.block)
        payload = rec.block[head:] if head is not None else b""
        if head is None:
            out.append(f"{what}: no complete HTTP head")
        elif sha1_b32(payload) != pd:
            out.append(f"{what}: payload digest mismatch (stored {pd}, computed {sha1_b32(payload)})")
    return out


@dataclass
class WarcCheck:
    """Result of reading one WARC file to the end (see :func:`check_warc`)."""

    name: str
    records: int = 0
    by_type: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    responses: dict = field(default_factory=dict)  # record id -> (uri, offset, length, digest)
    requests: dict = field(default_factory=dict)  # record id -> (uri, concurrent-to id)
    revisits: list = field(default_factory=list)  # Record of each revisit
    size: int = 0
    sha256: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors


class _Hashing:
    """Reads through to ``fh`` and hashes what passes (SHA-256, size)."""

    def __init__(self, fh):
        self.fh, self.sha, self.size = fh, hashlib.sha256(), 0

    def read(self, n=-1):
        b = self.fh.read(n)
        self.sha.update(b)
        self.size += len(b)
        return b


def check_warc(source, name: str = "", *, pairing: bool = True) -> WarcCheck:
    """Read a WARC (path or binary stream) to the end and check every member and record.

    Every record must have a WARC-Block-Digest (revisits may not) and a WARC-Payload-Digest
    where it has a payload; both are recomputed. With ``pairing``, every request record must
    point (WARC-Concurrent-To) at a response of the same URI and every response must have its
    request. The first record must be warcinfo.
    """
    own = isinstance(source, (str, os.PathLike))
    res = WarcCheck(name or (os.path.basename(source) if own else ""))
    try:
        fh = open(source, "rb") if own else source
    except OSError as exc:
        res.errors.append(f"cannot read: {exc}")
        return res
    reader = _Hashing(fh)
    broken = False
    try:
        for m in iter_members(reader):
            if m.error:
                res.errors.append(m.error)
                broken = True
                continue
            _add_record(res, m)
        while reader.read(1 << 20):  # the whole file's SHA-256, also past a broken member
            pass
    except Exception as exc:  # an unreadable stream: never a traceback
        res.errors.append(f"unreadable after {res.records} records: {exc}")
    finally:
        if own:
            fh.close()
    res.size, res.sha256 = reader.size, reader.sha.hexdigest()
    if pairing and not broken:  # a broken member may have held the partner of any record
        _check_pairing(res)
    return res


def _add_record(res: WarcCheck, m: Member) -> None:
    rec, problems = parse_record(m)
    res.errors.extend(problems)
    if rec is None:
        return
    res.records += 1
    res.by_type[rec.type] = res.by_type.get(rec.type, 0) + 1
    if m.offset == 0 and rec.type != "warcinfo":
        res.errors.append("first record is not warcinfo")
    rid, uri = rec.get("WARC-Record-ID"), rec.get("WARC-Target-URI")
    if rec.type in ("response", "revisit"):
        res.responses[rid] = (uri, m.offset, m.length, rec.get("WARC-Payload-Digest"))
    elif rec.type == "request":
        res.requests[rid] = (uri, rec.get("WARC-Concurrent-To"), m.offset)
    if rec.type == "revisit":
        rec.block = b""  # not needed any more
        res.revisits.append(rec)


def _check_pairing(res: WarcCheck) -> None:
    answered = set()
    for qid, (uri, to, off) in res.requests.items():
        target = res.responses.get(to) if to else None
        if target is None:
            res.errors.append(f"request {qid} ({uri}) at offset {off} has no concurrent "
                              "response in the file")
        elif target[0] != uri:
            res.errors.append(f"request {qid} ({uri}) at offset {off} pairs with a response "
                              f"for {target[0]}")
        else:
            answered.add(to)
    for rid, (uri, off, *_rest) in res.responses.items():
        if rid not in answered:
            res.errors.append(f"response {rid} ({uri}) at offset {off} has no request record")
