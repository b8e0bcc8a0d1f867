"""Memento (RFC 7089) for ``crawler web``: TimeMaps in link format and TimeGate negotiation."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime

from crawler.archive.collection import Capture


def http_date(dt: datetime) -> str:
    return format_datetime(dt.astimezone(timezone.utc), usegmt=True)


def parse_accept_datetime(value: str | None) -> datetime | None:
    """The Accept-Datetime header (an RFC 1123 date); None when absent or unparsable."""
    if not value:
        return None
    try:
        dt = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def memento_url(base: str, cap: Capture) -> str:
    return f"{base}/replay/{cap.timestamp}/{cap.url}"


def link_header(base: str, url: str, caps: list[Capture], current: Capture | None = None) -> str:
    """Link header of a memento or TimeGate response: original, timegate, timemap, and the
    first/last (and current) mementos."""
    links = [f'<{url}>; rel="original"', f'<{base}/timegate/{url}>; rel="timegate"',
             f'<{base}/timemap/link/{url}>; rel="timemap"; type="application/link-format"']
    rels: dict[Capture, list[str]] = {}
    for cap, rel in ((caps[0] if caps else None, "first"), (caps[-1] if caps else None, "last"), (current, "")):
        if cap is not None:
            words = rels.setdefault(cap, [])
            if rel:
                words.append(rel)
    for cap, words in rels.items():
        rel = " ".join([*words, "memento"])
        links.append(f'<{memento_url(base, cap)}>; rel="{rel}"; datetime="{http_date(cap.datetime)}"')
    return ", ".join(links)


def timemap(base: str, url: str, caps: list[Capture]) -> str:
    """The TimeMap of ``url`` in application/link-format, mementos oldest first."""
    lines = [f'<{url}>; rel="original"',
             f'<{base}/timemap/link/{url}>; rel="self"; type="application/link-format"'
             + (f'; from="{http_date(caps[0].datetime)}"; until="{http_date(caps[-1].datetime)}"' if caps else ""),
             f'<{base}/timegate/{url}>; rel="timegate"']
    for i, cap in enumerate(caps):
        rel = "memento"
        if i == 0:
            rel = "first memento"
        if i == len(caps) - 1:
            rel = "last memento" if i else "first last memento"
        lines.append(f'<{memento_url(base, cap)}>; rel="{rel}"; datetime="{http_date(cap.datetime)}"')
    return ",\n".join(lines) + "\n"
