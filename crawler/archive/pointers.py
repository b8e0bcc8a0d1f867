"""Following record pointers: the record a stored article names (:func:`resolve_pointer`) and,
for a revisit, the original response holding its payload; :func:`verify_pointers` for many."""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from crawler.archive.records import WarcPointer, sha1_b32

@dataclass
class ResolvedRecord:
    """What a :class:`WarcPointer` leads to: the pointed record and, for a revisit, the
    original response holding the payload (``body_record``)."""

    record_type: str
    record_id: str
    target_uri: str
    http_status: str | None
    payload: bytes  # of the body record: as archived (still content-encoded)
    body: bytes  # of the body record: content-decoded (what the portal's page was)
    body_pointer: dict  # pointer of the record holding the payload
    problems: list = field(default_factory=list)


def _chunked(http_headers) -> bool:
    return "chunked" in (http_headers.get_header("Transfer-Encoding") or "").lower()


def _dechunk(data: bytes) -> bytes:
    """The body of a chunked message body (extensions and trailers ignored)."""
    out, pos = [], 0
    while True:
        nl = data.find(b"\r\n", pos)
        if nl < 0:
            raise ValueError(f"no chunk size line at {pos}")
        size_text = data[pos:nl].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise ValueError(f"bad chunk size {size_text[:20]!r} at {pos}") from None
        pos = nl + 2
        if size == 0:
            return b"".join(out)
        if pos + size > len(data):
            raise ValueError(f"chunk of {size} bytes at {pos} runs past the end")
        out.append(data[pos:pos + size])
        pos += size + 2


def _read_one(store, d: Mapping, problems: list, what: str):
    """(record, raw payload, decoded body) of the single record at d's offset/length."""
    from warcio.archiveiterator import ArchiveIterator

    data = store.read_range(d["warc_file"], int(d["offset"]), int(d["length"]))
    it = iter(ArchiveIterator(io.BytesIO(data), check_digests=True))
    try:
        rec = next(it)
    except StopIteration:
        raise ValueError(f"{what}: no record at offset") from None
    raw = rec.raw_stream.read()
    body = raw
    if rec.http_headers is not None and raw and _chunked(rec.http_headers):
        try:
            body = _dechunk(raw)
        except ValueError as exc:
            problems.append(f"{what}: bad chunked framing: {exc}")
    if rec.http_headers is not None and raw:
        enc = (rec.http_headers.get_header("Content-Encoding") or "").strip().lower()
        try:
            if enc in ("gzip", "x-gzip"):
                body = zlib.decompress(body, zlib.MAX_WBITS | 32)
            elif enc == "deflate":
                try:
                    body = zlib.decompress(body)
                except zlib.error:
                    body = zlib.decompress(body, -zlib.MAX_WBITS)
            elif enc == "br":
                import brotli  # scrapy's optional dependency; only when a portal sends br

                body = brotli.decompress(body)
        except Exception as exc:
            problems.append(f"{what}: cannot decode {enc} payload: {exc}")
            body = b""
    if rec.digest_checker.passed is False:
        problems.extend(f"{what}: {p}" for p in rec.digest_checker.problems)
    if next(it, None) is not None:
        problems.append(f"{what}: length covers more than one record")
    return rec, raw, body


def resolve_pointer(store, pointer: "Mapping | WarcPointer", *, url: str | None = None) -> ResolvedRecord:
    """Read the record a pointer names and, for a revisit, its original (``refers_to``).

    Checks: the record at (offset, length) is one complete gzip member holding the response or
    revisit record with that id (and WARC-Target-URI ``url`` when given); its payload digest
    equals the pointer's; a response's payload hashes to it. For a revisit, the pointer's
    ``refers_to`` must name the record of the revisit's WARC-Refers-To (same target URI as
    WARC-Refers-To-Target-URI, same payload digest), a response whose payload hashes to the
    digest. Problems are collected in ``problems``; unreadable records raise.
    """
    d = pointer.to_dict() if isinstance(pointer, WarcPointer) else dict(pointer)
    problems: list[str] = []
    rec, raw, body = _read_one(store, d, problems, "record")
    h = rec.rec_headers
    rid = h.get_header("WARC-Record-ID")
    uri = h.get_header("WARC-Target-URI")
    digest = h.get_header("WARC-Payload-Digest")
    if rid != d.get("record_id"):
        problems.append(f"record id {rid} != {d.get('record_id')}")
    if rec.rec_type not in ("response", "revisit"):
        problems.append(f"record type {rec.rec_type}")
    if url and uri != url:
        problems.append(f"URI {uri} != {url}")
    if d.get("payload_digest") and digest != d["payload_digest"]:
        problems.append(f"payload digest {digest} != pointer {d['payload_digest']}")
    status = rec.http_headers.get_statuscode() if rec.http_headers else None
    res = ResolvedRecord(rec.rec_type, rid, uri, status, raw, body, d, problems)
    if rec.rec_type == "response":
        if digest and sha1_b32(raw) != digest:
            problems.append("payload does not match its digest")
        return res
    if rec.rec_type != "revisit":
        return res
    ref = d.get("refers_to")
    if not ref:
        problems.append("revisit record but the pointer has no refers_to (original)")
        return res
    orig, oraw, obody = _read_one(store, ref, problems, "original")
    oh = orig.rec_headers
    if orig.rec_type != "response":
        problems.append(f"original is a {orig.rec_type} record, not a response")
    if oh.get_header("WARC-Record-ID") != h.get_header("WARC-Refers-To"):
        problems.append(f"original {oh.get_header('WARC-Record-ID')} is not WARC-Refers-To "
                        f"{h.get_header('WARC-Refers-To')}")
    if ref.get("record_id") and oh.get_header("WARC-Record-ID") != ref["record_id"]:
        problems.append(f"original record id {oh.get_header('WARC-Record-ID')} != {ref['record_id']}")
    if oh.get_header("WARC-Target-URI") != h.get_header("WARC-Refers-To-Target-URI"):
        problems.append("original URI != WARC-Refers-To-Target-URI")
    if oh.get_header("WARC-Payload-Digest") != digest or sha1_b32(oraw) != digest:
        problems.append("original payload does not match the revisit's digest")
    res.payload, res.body, res.body_pointer = oraw, obody, dict(ref)
    return res


def verify_pointers(store, pointers: Iterable["Mapping | WarcPointer"]) -> dict:
    """Resolve WARC pointers (e.g. of every stored article) against ``store``, through
    ``refers_to`` for revisits (see :func:`resolve_pointer`). Items are WarcPointers or dicts,
    optionally with ``url`` (checked against WARC-Target-URI) and ``article_id`` (for messages).
    Returns {"checked": n, "ok": n, "revisits": n, "errors": [str, ...]}."""
    checked = ok = revisits = 0
    errors: list[str] = []
    for p in pointers:
        d = p.to_dict() if isinstance(p, WarcPointer) else dict(p)
        checked += 1
        label = d.get("article_id") or d.get("url") or d.get("record_id")
        try:
            res = resolve_pointer(store, d, url=d.get("url"))
            problems = res.problems
            revisits += res.record_type == "revisit"
        except Exception as exc:
            problems = [f"unreadable: {exc}"]
        if problems:
            errors.append(f"{label}: {d.get('warc_file')}@{d.get('offset')}: " + "; ".join(problems))
        else:
            ok += 1
    return {"checked": checked, "ok": ok, "revisits": revisits, "errors": errors}


