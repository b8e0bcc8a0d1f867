"""Mislabelled encodings are detected; what still cannot be decoded is flagged on the record."""

import codecs

import pytest

from crawler.charset import corrected_encoding, replacement_warning
from crawler.cleaning import clean_text

TEXT = "<p>Bürgermeisterin eröffnet das Straßenfest; Ärzte grüßen.</p>"


@pytest.mark.parametrize("body, label, meta, expected", [
    (TEXT.encode("utf-8"), "windows-1252", None, "utf-8"),      # UTF-8 served as windows-1252
    (TEXT.encode("utf-8"), "iso-8859-1", None, "utf-8"),
    (TEXT.encode("cp1252"), "utf-8", None, "cp1252"),          # legacy page labelled UTF-8
    (TEXT.encode("iso-8859-15"), "utf-8", "iso-8859-15", "iso8859-15"),  # ... its <meta> knows
    (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "windows-1252", None, "utf-8"),  # a BOM wins
])
def test_mislabelled_bodies_get_their_real_encoding(body, label, meta, expected):
    encoding, why = corrected_encoding(body, label, meta)
    assert encoding == expected and why
    assert body.decode(encoding).lstrip("\ufeff") == TEXT


@pytest.mark.parametrize("body, label", [
    (TEXT.encode("utf-8"), "utf-8"), (TEXT.encode("cp1252"), "windows-1252"), (b"<p>plain</p>", "cp1252"),
])
def test_correct_labels_are_kept(body, label):
    assert corrected_encoding(body, label) is None


def test_replacement_characters_get_a_warning_on_the_record():
    assert replacement_warning("fine text") is None
    result = clean_text("Der B\ufffd\ufffdrgermeister er\ufffdffnet das Fest am Samstag in der Stadt.")
    assert any("3 replacement characters" in w for w in result.warnings), result.warnings
