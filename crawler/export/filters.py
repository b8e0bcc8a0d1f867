"""Filters of exported records: portal, section, language, published and fetched time.

Times are compared as instants: a date-only value counts as midnight UTC, a value without an
offset as UTC. ``parse_since`` also takes relative times ("36h", "7d") for the command line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from dateutil import parser as dateparser

_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 date or date-time as an aware datetime; None for None or unparsable text."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        try:
            when = dateparser.isoparse(value)
        except (ValueError, OverflowError):
            return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """``2026-12-01``, ``2026-12-01T08:00:00+01:00`` or ``36h`` / ``7d`` / ``30m`` / ``2w`` ago.
    Raises ValueError with a message for the user."""
    m = _RELATIVE.match(text.strip())
    if m:
        now = now or datetime.now(timezone.utc)
        return now - timedelta(**{_UNITS[m[2]]: float(m[1])})
    when = parse_time(text.strip())
    if when is None:
        raise ValueError(f"not a time: {text!r} (use an ISO 8601 date/time such as 2026-12-01 or "
                         "2026-12-01T08:00:00Z, or a relative time such as 36h or 7d)")
    return when


@dataclass(frozen=True)
class RecordFilter:
    """Conditions on a store row (all given ones must hold). ``*_after`` is inclusive,
    ``*_before`` exclusive."""

    portal: str | None = None
    section: str | None = None
    language: str | None = None
    published_after: datetime | None = None
    published_before: datetime | None = None
    fetched_after: datetime | None = None
    fetched_before: datetime | None = None

    def matches(self, row: dict) -> bool:
        if self.portal is not None and row.get("portal") != self.portal:
            return False
        if self.section is not None and (row.get("section") or "").casefold() != self.section.casefold():
            return False
        if self.language is not None and (row.get("language") or "").casefold() != self.language.casefold():
            return False
        return (_within(row.get("published"), self.published_after, self.published_before)
                and _within(row.get("fetched_at"), self.fetched_after, self.fetched_before))


def _within(value: str | None, after: datetime | None, before: datetime | None) -> bool:
    if after is None and before is None:
        return True
    when = parse_time(value)
    if when is None:
        return False
    return (after is None or when >= after) and (before is None or when < before)
