"""German date parsing across formats and time zones (crawler.extraction.dates)."""

import pytest

from crawler.extraction.dates import date_from_url, dates_in_text, parse_iso

CASES = [
    ("23. November 2026, 14:05 Uhr", "Europe/Berlin", "2026-11-23T14:05:00+01:00"),
    ("23. November 2026 um 14:05 Uhr", "Europe/Berlin", "2026-11-23T14:05:00+01:00"),
    ("23.11.2026", "Europe/Berlin", "2026-11-23T00:00:00+01:00"),
    ("23.11.2026, 14:05", "Europe/Berlin", "2026-11-23T14:05:00+01:00"),
    ("Mo, 23.11.26", "Europe/Berlin", "2026-11-23T00:00:00+01:00"),
    ("Montag, 23. Nov. 2026", "Europe/Berlin", "2026-11-23T00:00:00+01:00"),
    ("Stand: 23.11.2026 14:05 Uhr", "Europe/Berlin", "2026-11-23T14:05:00+01:00"),
    ("1. Jänner 2020", "Europe/Vienna", "2020-01-01T00:00:00+01:00"),
    ("5. Juli 2026, 9.30 Uhr", "Europe/Berlin", "2026-07-05T09:30:00+02:00"),  # summer time
    ("3. März 2026", "Europe/Zurich", "2026-03-03T00:00:00+01:00"),
    ("2026-11-23T14:05:00+01:00", "America/New_York", "2026-11-23T14:05:00+01:00"),  # offset wins
    ("2026-11-23T13:05:00Z", "Europe/Berlin", "2026-11-23T13:05:00+00:00"),
    ("2026-07-01 10:00", "Europe/Berlin", "2026-07-01T10:00:00+02:00"),
    ("2026-11-23 14:05", "America/New_York", "2026-11-23T14:05:00-05:00"),
    ("23.11.2026 14:05 MESZ", "Europe/Berlin", "2026-11-23T14:05:00+02:00"),
    ("23.11.2026 14:05 MEZ", "UTC", "2026-11-23T14:05:00+01:00"),
    ("Tue, 24 Nov 2026 10:00:00 +0100", "Europe/Berlin", "2026-11-24T10:00:00+01:00"),
    ("November 23, 2026", "Europe/London", "2026-11-23T00:00:00+00:00"),
    ("Mo 23.11.26 | 14:05 Uhr", "Europe/Berlin", "2026-11-23T14:05:00+01:00"),
    ("Mon Nov 23 2026 14:05:00 GMT+0100 (Mitteleuropäische Normalzeit)", "UTC", "2026-11-23T14:05:00+01:00"),
]


@pytest.mark.parametrize("text,tz,expected", CASES)
def test_parse_german_formats(text, tz, expected):
    assert parse_iso(text, tz) == expected


@pytest.mark.parametrize("text", ["", "kein Datum", "Politik", "32.13.2026", None])
def test_not_a_date(text):
    assert parse_iso(text) is None


def test_date_from_url():
    assert parse_iso(date_from_url("https://telebasel.ch/2019/10/19/junge-lenker/")) == "2019-10-19T00:00:00+02:00"
    assert date_from_url("https://www.example.de/politik/artikel-123.html") is None


def test_visible_labels_give_published_and_modified():
    pub, mod = dates_in_text("Veröffentlicht am 22.11.2026\nStand: 23.11.2026 14:05 Uhr", "Europe/Berlin")
    assert pub.isoformat() == "2026-11-22T00:00:00+01:00"
    assert mod.isoformat() == "2026-11-23T14:05:00+01:00"


def test_date_label_test_matches_what_the_case_insensitive_regex_matches():
    """``has_hint`` (lowered substrings) finds a label exactly where ``_DATE_HINT`` (re.I) does:
    every character re.I takes for a letter of the labels lowers to that letter, or is one of the
    few it falls back to the regex for; no other character lowers to one of those letters."""
    import re
    import sys

    from crawler.extraction.timestamps import _DATE_HINT, _HINT_WORDS, UNLOWERED, has_hint

    letters = {c for w in _HINT_WORDS for c in w.lower()}  # with the space of "Letzte Änderung"
    any_letter = re.compile("[" + "".join(sorted(letters)) + "]", re.I)
    for cp in range(sys.maxunicode + 1):
        ch = chr(cp)
        if ch in UNLOWERED or 0xD800 <= cp <= 0xDFFF:
            continue
        low = ch.lower()
        if any_letter.fullmatch(ch):
            assert low in letters and re.fullmatch(re.escape(low), ch, re.I), hex(cp)
        else:
            assert not set(low) & letters, hex(cp)
    for text in ("Stand: 3. Mai", "zuletzt AKTUALISIERT", "ſtand: heute", "Aktualİsiert", "Aktualısiert",
                 "Letzte Änderung 1.2.", "letzte änderung", "Veröffentlicht", "VERÖFFENTLICHT", "Posted by",
                 "Kein Datum hier", "Stan d", "Letzte  Änderung", "Publiziert\u212a", "\u212aein Stand"):
        assert has_hint(text) == bool(_DATE_HINT.search(text)), text


def test_a_label_whose_date_is_in_a_child_element_gives_the_date():
    """No date in the metadata, none in the URL: "Veröffentlicht am" in an element's own text
    and the date itself in a child (a <span>, a <strong>) as portal templates render it."""
    from crawler.extraction.metadata import extract_metadata
    from crawler.extraction.parse import load_html

    html = ("<html><head><title>Neue Brücke für Ölbach</title></head><body><article><h1>Neue Brücke</h1>"
            "<div class='info'>Veröffentlicht am <span>3. März 2026</span>, <b>14:07 Uhr</b></div>"
            "<p>Der Gemeinderat hat am Dienstag den Bau einer neuen Brücke beschlossen.</p></article></body></html>")
    meta = extract_metadata(load_html(html), "https://www.example.de/lokales/neue-bruecke", "Europe/Berlin")
    assert meta["published"] == "2026-03-03T14:07:00+01:00"
