"""The capture middleware's fallback for responses not captured at the connection (another
download handler): the exchange rebuilt from what Scrapy exposes, marked with a WARC-Comment
(see ``http-capture-notes`` in warcinfo)."""

from __future__ import annotations

from datetime import datetime, timezone

from crawler.archive import WarcArchive, WarcPointer

RECONSTRUCTED_COMMENT = ("HTTP message rebuilt from Scrapy's parsed response, not the bytes of "
                         "the connection (see http-capture-notes in warcinfo)")


def scrapy_headers(headers) -> list[tuple[str, str]]:
    """Scrapy Headers (bytes keys, list of bytes values) as (name, value) str pairs."""
    out: list[tuple[str, str]] = []
    for k, vals in headers.items():
        name = k.decode("latin-1") if isinstance(k, bytes) else str(k)
        if not isinstance(vals, (list, tuple)):
            vals = [vals]
        for v in vals:
            out.append((name, v.decode("latin-1") if isinstance(v, bytes) else str(v)))
    return out


def write_rebuilt(archive: WarcArchive, request, response) -> WarcPointer:
    """Archive ``response`` to ``request`` as rebuilt from Scrapy's parsed parts."""
    proxied = bool(request.meta.get("proxy") or request.meta.get("_auth_proxy"))
    ip = None if proxied else (str(response.ip_address) if response.ip_address else None)
    truncated = "disconnect" if "dataloss" in response.flags else None
    return archive.write_exchange(
        url=response.url,
        method=request.method,
        request_headers=scrapy_headers(request.headers),
        request_body=request.body or b"",
        status=response.status,
        response_headers=scrapy_headers(response.headers),
        body=response.body,
        protocol=response.protocol or "HTTP/1.1",
        ip_address=ip,
        date=datetime.now(timezone.utc),
        truncated=truncated,
        extra_warc_headers={"WARC-Comment": RECONSTRUCTED_COMMENT},
    )
