"""Date parsing for German (and English) news pages.

``parse_date("23. November 2026, 14:05 Uhr", "Europe/Berlin")`` -> aware ``datetime``.
Handles ISO 8601 (with or without offset), ``23.11.2026``, ``Mo, 23.11.26``, German month
names ("23. Nov. 2026", "Jänner"), "Stand:"/"Aktualisiert am" prefixes, "Uhr", "Do 25.04.24 |
14:07 Uhr", JavaScript ``Date.toString()`` ("Thu Apr 25 2024 14:07:00 GMT+0200 (…)"), time-zone
abbreviations (MEZ/MESZ/CET/CEST/UTC/GMT). Naive values are localised in the portal's zone.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone as dt_timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil import parser as du_parser

MONTHS = {
    "januar": 1, "jänner": 1, "jaenner": 1, "jan": 1, "january": 1,
    "februar": 2, "feber": 2, "feb": 2, "february": 2,
    "märz": 3, "maerz": 3, "mär": 3, "mrz": 3, "march": 3, "mar": 3,
    "april": 4, "apr": 4,
    "mai": 5, "may": 5,
    "juni": 6, "jun": 6, "june": 6,
    "juli": 7, "jul": 7, "july": 7,
    "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9,
    "oktober": 10, "okt": 10, "october": 10, "oct": 10,
    "november": 11, "nov": 11,
    "dezember": 12, "dez": 12, "december": 12, "dec": 12,
}

ZONE_OFFSETS = {"MEZ": 1, "CET": 1, "MESZ": 2, "CEST": 2, "UTC": 0, "GMT": 0, "Z": 0,
                "WEZ": 0, "WESZ": 1, "OEZ": 2, "OESZ": 3, "EET": 2, "EEST": 3}

_WEEKDAYS = (r"(?:montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonnabend|sonntag|"
             r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
             r"mo|di|mi|do|fr|sa|so|mon|tue|wed|thu|fri|sat|sun)\.?,?")
_LABELS = (r"(?:stand|zuletzt aktualisiert|aktualisiert|update|updated|last updated|letzte änderung|"
           r"letzte aktualisierung|veröffentlicht|erschienen|publiziert|erstellt|geändert|published|"
           r"posted|datum|date)(?:\s+(?:am|on|um))?\s*:?")
_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
_TIME = r"(?:,?\s*(?:um\s+|at\s+|-\s*|\|\s*(?:um\s+)?)?(?P<H>\d{1,2})[:.](?P<M>\d{2})(?:[:.](?P<S>\d{2}))?\s*(?:uhr|h)?)?"
_ZONE = r"(?:\s*\(?(?P<Z>(?:GMT|UTC)[+-]\d{2}:?\d{2}|MESZ|MEZ|CEST|CET|UTC|GMT|WESZ|WEZ|OESZ|OEZ|EEST|EET|[+-]\d{2}:?\d{2})\)?)?"

NUMERIC_RE = re.compile(
    r"(?P<d>\d{1,2})\.\s?(?P<m>\d{1,2})\.\s?(?P<y>\d{4}|\d{2})(?!\d)" + _TIME + _ZONE, re.I)
MONTHNAME_RE = re.compile(
    r"(?P<d>\d{1,2})\.?\s+(?P<mon>" + _MONTH_RE + r")\.?\s+(?P<y>\d{4})" + _TIME + _ZONE, re.I)
EN_MONTHNAME_RE = re.compile(
    r"(?P<mon>" + _MONTH_RE + r")\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})" + _TIME + _ZONE, re.I)
ISO_RE = re.compile(
    r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?:[T ](?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?"
    r"\s*(?P<off>Z|[+-]\d{2}:?\d{2})?)?")
_PREFIX_RE = re.compile(r"^\s*(?:" + _LABELS + r"\s*)?(?:" + _WEEKDAYS + r"\s*)?(?:den\s+|am\s+)?", re.I)


@lru_cache(maxsize=64)
def get_zone(name: str | None):
    if not name:
        return ZoneInfo("Europe/Berlin")
    try:
        return ZoneInfo(name)
    except Exception:
        return ZoneInfo("Europe/Berlin")


def _year(y: str) -> int:
    v = int(y)
    if len(y) == 2:
        v += 2000 if v < 70 else 1900
    return v


def _build(y, m, d, H, M, S, zone_abbr, tz) -> datetime | None:
    try:
        dt = datetime(_year(y), int(m), int(d), int(H or 0), int(M or 0), int(S or 0))
    except (ValueError, TypeError):
        return None
    if zone_abbr and zone_abbr[:3].upper() in ("GMT", "UTC") and len(zone_abbr) > 3:
        zone_abbr = zone_abbr[3:]  # Date.toString(): "GMT+0200 (Mitteleuropäische Sommerzeit)"
    if zone_abbr and zone_abbr[0] in "+-":
        off = zone_abbr.replace(":", "")
        delta = timedelta(hours=int(off[1:3]), minutes=int(off[3:5]))
        return dt.replace(tzinfo=dt_timezone(-delta if off[0] == "-" else delta))
    if zone_abbr:
        return dt.replace(tzinfo=dt_timezone(timedelta(hours=ZONE_OFFSETS[zone_abbr.upper()])))
    return dt.replace(tzinfo=get_zone(tz))


def _from_iso(m: re.Match, tz: str) -> datetime | None:
    off = m.group("off")
    try:
        dt = datetime(int(m["y"]), int(m["m"]), int(m["d"]), int(m["H"] or 0), int(m["M"] or 0), int(m["S"] or 0))
    except ValueError:
        return None
    if off:
        if off == "Z":
            return dt.replace(tzinfo=dt_timezone.utc)
        off = off.replace(":", "")
        sign = -1 if off[0] == "-" else 1
        delta = timedelta(hours=int(off[1:3]), minutes=int(off[3:5]))
        return dt.replace(tzinfo=dt_timezone(sign * delta))
    return dt.replace(tzinfo=get_zone(tz))


def search_date(text: str, tz: str = "Europe/Berlin") -> datetime | None:
    """The first date (with time if given) found anywhere in ``text``."""
    if not text:
        return None
    best = None
    for rx in (ISO_RE, NUMERIC_RE, MONTHNAME_RE, EN_MONTHNAME_RE):
        m = rx.search(text)
        if m and (best is None or m.start() < best[0].start()):
            best = (m, rx)
    if not best:
        return None
    m, rx = best
    if rx is ISO_RE:
        return _from_iso(m, tz)
    month = m["m"] if rx is NUMERIC_RE else MONTHS[m["mon"].lower()]
    return _build(m["y"], month, m["d"], m["H"], m["M"], m["S"], m["Z"], tz)


class _GermanParserInfo(du_parser.parserinfo):
    def __init__(self):
        super().__init__(dayfirst=True)
        for name, num in MONTHS.items():
            self._months[name] = num - 1


_PINFO = _GermanParserInfo()


def parse_date(value, tz: str = "Europe/Berlin") -> datetime | None:
    """Parse one date value (a meta tag, a ``<time>`` attribute, a visible "Stand: ..." text)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=get_zone(tz))
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=get_zone(tz))
    text = str(value).strip()
    if not text or len(text) > 200:
        return None
    if text.isdigit() and len(text) >= 9:  # unix timestamp
        try:
            return datetime.fromtimestamp(int(text[:10]), tz=dt_timezone.utc)
        except (OverflowError, ValueError, OSError):
            return None
    text = _PREFIX_RE.sub("", text, count=1)
    found = search_date(text, tz)
    if found is not None:
        return found
    try:
        dt = du_parser.parse(text, parserinfo=_PINFO, fuzzy=False)
    except (ValueError, OverflowError, TypeError):
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=get_zone(tz))


def to_iso(dt: datetime | None) -> str | None:
    """ISO 8601 with offset, seconds precision: ``2026-11-23T14:05:00+01:00``."""
    if dt is None:
        return None
    return dt.replace(microsecond=0).isoformat()


def parse_iso(value, tz: str = "Europe/Berlin") -> str | None:
    return to_iso(parse_date(value, tz))


URL_DATE_RE = re.compile(r"/(?P<y>(?:19|20)\d{2})[/-]?(?P<m>[01]\d)[/-]?(?P<d>[0-3]\d)(?:/|[^\d]|$)")


def date_from_url(url: str | None, tz: str = "Europe/Berlin") -> datetime | None:
    if not url:
        return None
    m = URL_DATE_RE.search(url)
    if not m:
        return None
    return _build(m["y"], m["m"], m["d"], None, None, None, None, tz)


MODIFIED_LABEL_RE = re.compile(
    r"\b(?:Stand|Zuletzt aktualisiert|[Aa]ktualisiert|Letzte Änderung|Letzte Aktualisierung|"
    r"Updated|Last updated|[Uu]pdate)(?:\s+(?:am|on|vom))?\s*:?\s*(?P<v>[^\n]{6,60})")
PUBLISHED_LABEL_RE = re.compile(
    r"\b(?:Veröffentlicht|Erschienen|Publiziert|Erstellt|Published|Posted)(?:\s+(?:am|on|vom))?\s*:?\s*"
    r"(?P<v>[^\n]{6,60})")


def _leading_date(value: str, tz: str) -> datetime | None:
    """A date at the start of a labelled value (not one somewhere later in a sentence)."""
    m = re.match(r"\s*(?:[A-Za-zä]{2,10}\.?,?\s+)?(?=\d)", value)
    return search_date(value[m.end():], tz) if m and re.match(r"\d", value[m.end():]) else None


def dates_in_text(text: str, tz: str = "Europe/Berlin") -> tuple[datetime | None, datetime | None]:
    """(published, modified) from labelled visible text ("Veröffentlicht am ...", "Stand: ...")."""
    pub = mod = None
    for m in PUBLISHED_LABEL_RE.finditer(text):
        pub = _leading_date(m["v"], tz)
        if pub:
            break
    for m in MODIFIED_LABEL_RE.finditer(text):
        mod = _leading_date(m["v"], tz)
        if mod:
            break
    return pub, mod
