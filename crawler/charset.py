"""Which encoding an HTML body is really in, when its label says otherwise.

Portals mislabel: UTF-8 pages served as ``charset=windows-1252`` (or ISO-8859-1) in the HTTP
header, legacy pages labelled UTF-8. The checks, in order: a byte order mark wins; a body
labelled with a single-byte encoding that holds non-ASCII bytes and is valid UTF-8 is UTF-8
(legacy German text is practically never valid UTF-8: "für" is ``66 FC 72``); a body labelled
UTF-8 that is not valid UTF-8 is in the encoding its ``<meta>`` declares, else windows-1252.
"""

from __future__ import annotations

import codecs

BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
REPLACEMENT = "\ufffd"


def _name(encoding: str | None) -> str:
    try:
        return codecs.lookup(encoding or "").name
    except LookupError:
        return ""


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def corrected_encoding(body: bytes, encoding: str | None, meta_encoding: str | None = None) -> tuple[str, str] | None:
    """``(encoding, why)`` when ``body`` is not in ``encoding`` (the one it is labelled with),
    else None. ``meta_encoding``: what the page's ``<meta charset>`` declares, if anything."""
    for bom, name in BOMS:
        if body.startswith(bom):
            return None if _name(encoding) == _name(name) else (name, "byte order mark")
    labelled = _name(encoding)
    if labelled.startswith(("utf-16", "utf-32")):
        return None
    if labelled == "utf-8":
        if _is_utf8(body):
            return None
        meta = _name(meta_encoding)
        fallback = meta if meta and meta != "utf-8" and not meta.startswith(("utf-16", "utf-32")) else "cp1252"
        return fallback, f"labelled {encoding} but not valid UTF-8"
    if not body.isascii() and _is_utf8(body):
        return "utf-8", f"labelled {encoding or 'nothing'} but valid UTF-8"
    return None


def replacement_warning(text: str) -> str | None:
    """A warning for a text that still holds U+FFFD replacement characters (bytes that could
    not be decoded), else None."""
    n = text.count(REPLACEMENT)
    if not n:
        return None
    return f"text holds {n} replacement character{'s' if n > 1 else ''} (U+FFFD): bytes of the page could not be decoded"
