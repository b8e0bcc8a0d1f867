"""Replay of archived captures by ``crawler web``: the record read by range from the archive,
revisits followed to their original, the payload decoded, and links of HTML and CSS rewritten
to point back into the replay, so a page renders from the archive with its own subresources
and never reaches the live web."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from urllib.parse import urljoin

from warcio.archiveiterator import ArchiveIterator

from crawler.archive.collection import Capture, CollectionIndex

_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""", re.I)
_KEEP_SCHEMES = ("data:", "javascript:", "mailto:", "tel:", "about:", "#")
# Archived pages may only load what the replay serves (no live-web leaks), and their scripts do
# not run: they would run with the origin (and the token cookie) of the archivist's pages.
CSP = ("default-src 'self' data: blob:; style-src 'self' 'unsafe-inline' data:; script-src 'none'; "
       "object-src 'none'; form-action 'none'; base-uri 'none'")


@dataclass
class Replayed:
    capture: Capture
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    content_type: str


class ReplayError(Exception):
    pass


def read_record(blobstore, cap: Capture):
    """(warcio record, payload) of the record a capture names (one range read); the payload
    without its chunked framing and content encoding (warcio decodes gzip, deflate, br)."""
    data = blobstore.read_range(cap.filename, cap.offset, cap.length)
    rec = next(iter(ArchiveIterator(io.BytesIO(data))), None)
    if rec is None:
        raise ReplayError(f"no record at {cap.filename}@{cap.offset}")
    return rec, rec.content_stream().read()


def load(index: CollectionIndex, blobstore, cap: Capture) -> Replayed:
    rec, payload = read_record(blobstore, cap)
    http = rec.http_headers
    if rec.rec_type == "revisit":
        target = rec.rec_headers.get_header("WARC-Refers-To-Target-URI") or cap.url
        orig = index.original_of(target, cap.digest or "", before=cap.timestamp)
        if orig is None:
            raise ReplayError(f"revisit of {target}: original capture not in the collection index")
        orec, payload = read_record(blobstore, orig)
        http = orec.http_headers or http
    if http is None:
        raise ReplayError(f"{cap.filename}@{cap.offset} is not an HTTP response record")
    skip = {"content-encoding", "transfer-encoding", "content-length", "connection", "keep-alive",
            "set-cookie", "content-security-policy", "strict-transport-security"}
    headers = [(k, v) for k, v in http.headers if k.lower() not in skip and not k.lower().startswith("x-crawler")]
    status = int(http.get_statuscode() or 200)
    return Replayed(cap, status, headers, payload, http.get_header("Content-Type") or "application/octet-stream")


def _charset(content_type: str) -> str:
    m = re.search(r"charset=([\w.-]+)", content_type or "", re.I)
    return m.group(1) if m else "utf-8"


def rewrite_url(prefix: str, ts: str, base: str, link: str) -> str:
    link = link.strip()
    if not link or link.lower().startswith(_KEEP_SCHEMES):
        return link
    absolute = urljoin(base, link)
    if not absolute.startswith(("http://", "https://")):
        return link
    return f"{prefix}/{ts}/{absolute}"


def rewrite_css(css: str, prefix: str, ts: str, base: str) -> str:
    def sub(m: re.Match) -> str:
        if m.group(2) is not None:
            return f"url({m.group(1)}{rewrite_url(prefix, ts, base, m.group(2))}{m.group(1)})"
        return f"@import {m.group(3)}{rewrite_url(prefix, ts, base, m.group(4))}{m.group(3)}"

    return _CSS_URL.sub(sub, css)


def rewrite_html(html: bytes, content_type: str, prefix: str, ts: str, base: str, banner: str) -> bytes:
    import lxml.html

    text = html.decode(_charset(content_type), errors="replace")
    doc = lxml.html.document_fromstring(text)
    for base_el in doc.iter("base"):  # links resolve against <base href>, then it goes
        if base_el.get("href"):
            base = urljoin(base, base_el.get("href"))
        base_el.drop_tree()
    doc.rewrite_links(lambda link: rewrite_url(prefix, ts, base, link), resolve_base_href=False)
    for el in doc.iter("img", "source"):
        srcset = el.get("srcset")
        if srcset and not srcset.lstrip().startswith(prefix + "/"):
            el.set("srcset", ", ".join(
                " ".join([rewrite_url(prefix, ts, base, part.split()[0]), *part.split()[1:]])
                for part in srcset.split(",") if part.split()))
    body = doc.find("body")
    if body is not None and banner:
        body.insert(0, lxml.html.fragment_fromstring(banner))
    out = lxml.html.tostring(doc, encoding="unicode", doctype="<!DOCTYPE html>")
    return out.encode("utf-8")


def render(rep: Replayed, prefix: str, banner: str) -> tuple[bytes, str]:
    """(body, content type) of a capture as served by the replay."""
    ctype = rep.content_type
    ts, base = rep.capture.timestamp, rep.capture.url
    kind = ctype.split(";")[0].strip().lower()
    if kind in ("text/html", "application/xhtml+xml") and rep.body:
        return rewrite_html(rep.body, ctype, prefix, ts, base, banner), "text/html; charset=utf-8"
    if kind == "text/css":
        css = rep.body.decode(_charset(ctype), errors="replace")
        return rewrite_css(css, prefix, ts, base).encode("utf-8"), "text/css; charset=utf-8"
    return rep.body, ctype
