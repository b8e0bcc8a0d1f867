"""One HTTP exchange as WARC records: the request record holds the request as sent, the
response (or revisit) record the response as received, byte for byte (status line with its
reason phrase, header lines in received order and case, body with its content and transfer
encodings). Digests follow warcio's convention: WARC-Block-Digest over the block,
WARC-Payload-Digest over the bytes after the HTTP head (chunked framing included)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from http import HTTPStatus
from typing import Mapping, NamedTuple
from urllib.parse import urlsplit

from crawler.archive.records import (
    HTTP_REQUEST_TYPE, HTTP_RESPONSE_TYPE, REVISIT_PROFILE, content_encoded, dechunked_response_headers,
    gzip_member, http_bytes, http_head_length, normalize_headers, record_bytes, request_target, sha1_b32,
)

#: WARC-Truncated values (WARC 1.1): what cut a response short
TRUNCATED_REASONS = ("length", "time", "disconnect", "unspecified")


def new_record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


@dataclass
class Exchange:
    """Bytes of one exchange as they went over the connection."""

    url: str
    request: bytes
    response: bytes
    warc_date: str
    ip_address: str | None = None
    truncated: str | None = None  # WARC-Truncated reason, None when complete

    def head_length(self) -> int:
        n = http_head_length(self.response)
        if n is None:
            raise ValueError(f"{self.url}: no complete HTTP response head in {len(self.response)} bytes")
        return n

    def payload(self) -> bytes:
        return self.response[self.head_length():]


def reconstructed(url: str, *, method: str, request_headers, request_body: bytes, status: int,
                  response_headers, body: bytes, reason: str | None, protocol: str,
                  warc_date: str, ip_address=None, truncated=None) -> Exchange:
    """An exchange from parsed parts (not captured at the connection): the body is taken as
    de-chunked, so Transfer-Encoding is renamed (see :data:`HTTP_CAPTURE_NOTES`)."""
    if reason is None:
        try:
            reason = HTTPStatus(int(status)).phrase
        except ValueError:
            reason = ""
    resp_hdrs = dechunked_response_headers(normalize_headers(response_headers), len(body),
                                           method=method, status=int(status))
    req_hdrs = normalize_headers(request_headers)
    if not any(k.lower() == "host" for k, _ in req_hdrs):
        req_hdrs.insert(0, ("Host", urlsplit(url).netloc))
    resp = http_bytes(f"{protocol} {int(status)} {reason}".rstrip(), resp_hdrs, body)
    req = http_bytes(f"{method} {request_target(url)} {protocol}", req_hdrs, request_body or b"")
    return Exchange(url, req, resp, warc_date, ip_address, truncated)


def _common(ex: Exchange, warcinfo_id: str | None) -> list[tuple[str, str]]:
    fields = [("WARC-Date", ex.warc_date), ("WARC-Target-URI", ex.url)]
    if ex.ip_address:
        fields.append(("WARC-IP-Address", str(ex.ip_address)))
    if warcinfo_id:
        fields.append(("WARC-Warcinfo-ID", warcinfo_id))
    return fields


def payload_digest(ex: Exchange) -> str:
    """WARC-Payload-Digest of the response (over the bytes after its head), without copying them."""
    return sha1_b32(memoryview(ex.response)[ex.head_length():])


def response_record(ex: Exchange, record_id: str, warcinfo_id: str | None,
                    extra: Mapping[str, str] | None = None, digest: str | None = None) -> tuple[bytes, str]:
    """(record bytes, payload digest) of the full response record; ``digest``: the payload
    digest when it is known already."""
    digest = digest or payload_digest(ex)
    fields = [("WARC-Type", "response"), ("WARC-Record-ID", record_id), *_common(ex, warcinfo_id)]
    if ex.truncated:
        fields.append(("WARC-Truncated", ex.truncated))
    fields += list((extra or {}).items())
    fields += [("WARC-Payload-Digest", digest), ("Content-Type", HTTP_RESPONSE_TYPE)]
    return record_bytes(fields, ex.response), digest


def revisit_record(ex: Exchange, record_id: str, warcinfo_id: str | None, digest: str,
                   refers_to: Mapping, extra: Mapping[str, str] | None = None) -> bytes:
    """A revisit (identical-payload-digest): the response head as received, no payload."""
    fields = [("WARC-Type", "revisit"), ("WARC-Record-ID", record_id), *_common(ex, warcinfo_id),
              ("WARC-Profile", REVISIT_PROFILE),
              ("WARC-Refers-To", refers_to["record_id"]),
              ("WARC-Refers-To-Target-URI", refers_to["url"]),
              ("WARC-Refers-To-Date", refers_to["warc_date"])]
    fields += list((extra or {}).items())
    fields += [("WARC-Payload-Digest", digest), ("Content-Type", HTTP_RESPONSE_TYPE)]
    return record_bytes(fields, ex.response[:ex.head_length()])


def request_record(ex: Exchange, response_id: str, warcinfo_id: str | None) -> bytes:
    head = http_head_length(ex.request)
    payload = ex.request[head:] if head is not None else b""
    fields = [("WARC-Type", "request"), ("WARC-Record-ID", new_record_id()),
              *_common(ex, warcinfo_id), ("WARC-Concurrent-To", response_id),
              ("WARC-Payload-Digest", sha1_b32(payload)), ("Content-Type", HTTP_REQUEST_TYPE)]
    return record_bytes(fields, ex.request)


@dataclass(frozen=True)
class RecordJob:
    """What building an exchange's request and full response record needs: plain values, so
    the work (digests, serialisation, gzip) can run in a worker process."""

    ex: Exchange
    response_id: str
    warcinfo_id: str | None
    digest: str | None  # payload digest, if the writer computed it already (revisit decision)
    extra: Mapping[str, str] | None
    levels: tuple[int, int]  # gzip levels: records, responses with a content-encoded payload


class BuiltRecords(NamedTuple):
    request: bytes  # gzip member of the request record
    response: bytes  # gzip member of the response (or revisit) record
    digest: str  # the response's payload digest
    cpu_seconds: float  # spent building them (where it is not metered otherwise: a worker)


def build_records(job: RecordJob) -> BuiltRecords:
    """The gzip members of an exchange's request and full response record."""
    t0 = time.thread_time()
    ex = job.ex
    resp, digest = response_record(ex, job.response_id, job.warcinfo_id, job.extra, job.digest)
    req = request_record(ex, job.response_id, job.warcinfo_id)
    level = job.levels[1] if content_encoded(ex.response[:ex.head_length()]) else job.levels[0]
    return BuiltRecords(gzip_member(req, job.levels[0]), gzip_member(resp, level), digest,
                        time.thread_time() - t0)
