"""WARC records: constants, record pointers, HTTP header helpers, record serialisation.

Records are built with warcio (so the headers, digests and framing are warcio's) but each record
is compressed here (:func:`gzip_member`) at level 6 instead of warcio's fixed level 9, by zlib-ng
(the same deflate format, about twice as fast as zlib at the same level and size), and
a response whose payload is already content-encoded (gzip, deflate) is put into its gzip member
uncompressed (deflate "stored" blocks: it cannot shrink further). Same format (one gzip member
per record, read by warcio, cdxj-indexer and pywb), 1.5x (HTML) to 3x (gzip-encoded payloads)
faster, < 1 % bigger (see bench/warc_speed.py).
"""

from __future__ import annotations

import base64
import hashlib
import io
import platform
import re
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Mapping, Sequence
from urllib.parse import urlsplit

from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from zlib_ng import zlib_ng

WARC_SUFFIX = ".warc.gz"
CDXJ_SUFFIX = ".cdxj"
DEFAULT_MAX_FILE_SIZE = 1_000_000_000
DEFAULT_MAX_FILE_AGE = 3600.0  # seconds: one file per hour at most
DEFAULT_COMPRESS_LEVEL = 6
#: level for records whose payload is already compressed (Content-Encoding gzip/br/...):
#: deflate cannot shrink it, so store it (0) instead of burning CPU (size +0.1 %)
ENCODED_PAYLOAD_LEVEL = 0
ORIG_HEADER_PREFIX = "X-Crawler-Orig-"

#: Documented in every warcinfo record: how the HTTP messages in the records were obtained.
HTTP_CAPTURE_NOTES = (
    "Request and response records hold the HTTP messages as sent and received on the "
    "connection (after TLS): status line with its reason phrase, header lines in received order "
    "and case, body with its content and transfer encodings (chunked framing kept). "
    "WARC-Payload-Digest is computed over the bytes after the HTTP head, as warcio does. A "
    "response cut short is archived with what arrived and WARC-Truncated (length: size limit, "
    "time: timeout, disconnect: connection lost). WARC-IP-Address is omitted for exchanges made "
    "through an HTTP proxy (it would be the proxy's address). Records carrying a WARC-Comment "
    "that says so were rebuilt from parsed parts instead (header case as given, a "
    f"Transfer-Encoding header renamed to {ORIG_HEADER_PREFIX}Transfer-Encoding, the body "
    "de-chunked)."
)


def software() -> str:
    import warcio

    try:
        from importlib.metadata import version

        own = version("newscrawler")
    except Exception:
        own = "0.1.0"
    wv = getattr(warcio, "__version__", None)
    if wv is None:
        try:
            from importlib.metadata import version

            wv = version("warcio")
        except Exception:
            wv = "?"
    return f"newscrawler/{own} (warcio/{wv}; Python/{platform.python_version()})"


@dataclass(frozen=True)
class WarcPointer:
    """Where one record lives: file name, offset and length of its gzip member.

    For a revisit record, ``refers_to`` is the original response (a dict: warc_file, offset,
    length, record_id, payload_digest, url, warc_date) that holds the payload."""

    warc_file: str
    offset: int
    length: int
    record_id: str
    payload_digest: str | None
    refers_to: dict | None = None  # for revisit records: pointer of the original response

    def to_dict(self) -> dict:
        d = asdict(self)
        if d["refers_to"] is None:
            del d["refers_to"]
        return d

    @classmethod
    def from_dict(cls, d: Mapping) -> "WarcPointer":
        return cls(
            warc_file=d["warc_file"],
            offset=int(d["offset"]),
            length=int(d["length"]),
            record_id=d["record_id"],
            payload_digest=d.get("payload_digest"),
            refers_to=d.get("refers_to"),
        )


def _s(v) -> str:
    return v.decode("latin-1") if isinstance(v, (bytes, bytearray)) else str(v)


def normalize_headers(headers) -> list[tuple[str, str]]:
    """(name, value) pairs from a list of pairs or a mapping of name -> value | [values]."""
    out: list[tuple[str, str]] = []
    items = headers.items() if hasattr(headers, "items") else headers
    for k, v in items or ():
        if isinstance(v, (list, tuple)):
            out.extend((_s(k), _s(x)) for x in v)
        else:
            out.append((_s(k), _s(v)))
    return out


def dechunked_response_headers(
    headers: Sequence[tuple[str, str]], body_len: int, *, method: str = "GET", status: int = 200
) -> list[tuple[str, str]]:
    """Headers that describe the stored (de-chunked, still content-encoded) body."""
    no_body = method.upper() == "HEAD" or status in (204, 304) or 100 <= status < 200
    out: list[tuple[str, str]] = []
    cl_values: list[str] = []
    for k, v in headers:
        lk = k.lower()
        if lk == "transfer-encoding":
            out.append((ORIG_HEADER_PREFIX + "Transfer-Encoding", v))
        elif lk == "content-length":
            cl_values.append(v)
        else:
            out.append((k, v))
    if no_body:
        out.extend(("Content-Length", v) for v in cl_values)
        return out
    if cl_values and all(v.strip() == str(body_len) for v in cl_values):
        out.append(("Content-Length", str(body_len)))
    else:
        out.extend((ORIG_HEADER_PREFIX + "Content-Length", v) for v in cl_values)
        out.append(("Content-Length", str(body_len)))
    return out


def request_target(url: str) -> str:
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return target


_NAME_SAFE = re.compile(r"[^A-Za-z0-9.]+")


def safe_component(s: str) -> str:
    return _NAME_SAFE.sub("_", s).strip("_") or "x"


def utc_stamp(dt: datetime | None = None) -> str:
    dt = dt or datetime.now(timezone.utc)
    return dt.astimezone(timezone.utc).strftime("%Y%m%d%H%M%S") + f"{dt.microsecond // 1000:03d}"


def warc_date(dt: datetime | None = None) -> str:
    """WARC/1.1 date (UTC, microseconds)."""
    dt = (dt or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(tzinfo=None)
    return datetime_to_iso_date(dt, use_micros=True)


def sha1_b32(data: bytes) -> str:
    """WARC payload/block digest of ``data`` (``sha1:`` + base32)."""
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


class RecordBuilder(WARCWriter):
    """warcio record serialisation without compression (we compress per record ourselves)."""

    def __init__(self):
        super().__init__(io.BytesIO(), gzip=False, warc_version="1.1")

    def serialize(self, record) -> bytes:
        buf = io.BytesIO()
        self._write_warc_record(buf, record)
        return buf.getvalue()


def gzip_member(data: bytes, level: int = DEFAULT_COMPRESS_LEVEL) -> bytes:
    """One gzip member (RFC 1952) holding ``data``: standard deflate, any gzip reader takes it."""
    c = zlib_ng.compressobj(level, zlib_ng.DEFLATED, zlib_ng.MAX_WBITS + 16)
    return c.compress(data) + c.flush()



# -- records from the bytes of the connection --------------------------------------------------
HTTP_RESPONSE_TYPE = "application/http; msgtype=response"
HTTP_REQUEST_TYPE = "application/http; msgtype=request"
REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
_ENCODING_RE = re.compile(rb"(?im)^content-encoding[ \t]*:[ \t]*([^\r\n]*)")


def http_head_length(raw: bytes) -> int | None:
    """Length of an HTTP message's head (start line, header lines, blank line) in ``raw``, the
    way warcio's parser reads it (lines ending in LF, CRLF or not); None if incomplete."""
    pos = 0
    first = True
    while True:
        nl = raw.find(b"\n", pos)
        if nl < 0:
            return None
        line = raw[pos:nl + 1]
        pos = nl + 1
        if not first and line.rstrip(b"\r\n") == b"":
            return pos
        first = False


def content_encoded(head: bytes) -> bool:
    """The HTTP head declares a Content-Encoding other than identity."""
    return any(m.strip().lower() not in (b"", b"identity") for m in _ENCODING_RE.findall(head))


def record_bytes(fields: Sequence[tuple[str, str]], block: bytes) -> bytes:
    """One WARC/1.1 record: ``fields`` (without Content-Length), a WARC-Block-Digest over
    ``block``, the block as given."""
    lines = ["WARC/1.1\r\n"]
    lines += [f"{k}: {v}\r\n" for k, v in fields]
    lines.append(f"WARC-Block-Digest: {sha1_b32(block)}\r\n")
    lines.append(f"Content-Length: {len(block)}\r\n\r\n")
    return "".join(lines).encode("utf-8") + block + b"\r\n\r\n"


def metadata_record_bytes(url: str, body: bytes, record_id: str, head: Sequence[tuple[str, str]]
                          ) -> tuple[bytes, str]:
    """(record, payload digest) of a metadata record (application/warc-fields) with ``body`` as
    its block, byte for byte as warcio's ``create_warc_record(url, "metadata",
    warc_headers_dict=dict(head))`` serialises it, with one digest pass instead of warcio's two."""
    digest = sha1_b32(body)
    lines = ["WARC/1.1\r\n"]
    lines += [f"{k}: {v}\r\n" for k, v in head]
    lines.append(f"WARC-Type: metadata\r\nWARC-Record-ID: {record_id}\r\nWARC-Target-URI: {url}\r\n"
                 f"WARC-Payload-Digest: {digest}\r\nWARC-Block-Digest: {digest}\r\n"
                 f"Content-Type: application/warc-fields\r\nContent-Length: {len(body)}\r\n\r\n")
    return "".join(lines).encode("utf-8") + body + b"\r\n\r\n", digest


def http_bytes(start_line: str, headers: Sequence[tuple[str, str]], body: bytes = b"") -> bytes:
    """An HTTP message from its parts (for exchanges not captured at the connection); header
    values outside latin-1 are percent-encoded as warcio does."""
    from warcio.statusandheaders import StatusAndHeaders

    proto, _, rest = start_line.partition(" ")
    sah = StatusAndHeaders(rest, list(headers), protocol=proto)
    return sah.to_ascii_bytes() + body
