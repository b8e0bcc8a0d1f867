"""German-aware search terms: case folding, umlaut/ß folding and Snowball stemming.

The same analysis runs over article texts when they are indexed and over the words of a query,
so "Präsidentin", "praesidentin" and "Präsidenten" meet at one term ("prasident").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

WORD = re.compile(r"\w+", re.UNICODE)
_GERMAN = snowballstemmer.stemmer("german")
# Transcribed umlauts ("Muenchen", "Praesident") fold like the umlauts themselves; a vowel
# before "e" is only read as an umlaut after a consonant or at the start ("neue" stays).
_TRANSCRIBED = re.compile(r"(?<![aeiou])(a|o|u)e")


def _unaccent(text: str) -> str:
    text = unicodedata.normalize("NFKD", _TRANSCRIBED.sub(r"\1", text))
    return "".join(c for c in text if not unicodedata.combining(c))


@lru_cache(maxsize=200_000)
def term(word: str) -> str:
    """The index term of one word."""
    w = word.casefold().replace("ß", "ss")
    return _unaccent(_GERMAN.stemWord(w))  # Snowball's German stemmer also removes umlaut accents


def prefix(word: str) -> str:
    """A prefix as typed ("Präsid", "Praesid"), folded like terms but not stemmed."""
    return _unaccent(word.casefold().replace("ß", "ss"))


def terms(text: str) -> list[str]:
    return [term(m.group()) for m in WORD.finditer(text or "")]


def analyzed(text: str) -> str:
    """Text as the space-separated terms the full-text index stores."""
    return " ".join(terms(text))


PREFIX = "*"  # a clause ending in it matches every term that starts with its last term


def parse_query(q: str) -> list[list[str]]:
    """A query as a list of clauses, each a list of terms (a phrase when longer than one).
    Words outside quotes are single-term clauses; every clause must match. A word ending in
    ``*`` ("Renten*") is a prefix: its clause ends with ``PREFIX``."""
    clauses: list[list[str]] = []
    for phrase, word in re.findall(r'"([^"]*)"|(\S+)', q or ""):
        found = terms(phrase if phrase else word)
        if phrase and found:
            clauses.append(found)
        elif word.endswith("*") and found:
            clauses.extend([t] for t in found[:-1])
            clauses.append([prefix(WORD.findall(word)[-1]), PREFIX])
        else:
            clauses.extend([t] for t in found)
    return clauses


def fts_match(clauses: list[list[str]]) -> str:
    """The FTS5 MATCH expression for parsed clauses (terms quoted: no operator injection)."""
    parts = []
    for c in clauses:
        if c[-1] == PREFIX:
            parts.append('"' + " ".join(c[:-1]) + '" *')
        else:
            parts.append('"' + " ".join(c) + '"')
    return " AND ".join(parts)


def highlight(text: str, wanted: set[str], width: int = 30) -> list[tuple[str, bool]]:
    """A window of ``text`` around the first word whose term is wanted, as (segment, is_hit)
    pieces for the template to escape and mark."""
    words = list(WORD.finditer(text or ""))
    if not words:
        return []
    hits = {i for i, m in enumerate(words) if term(m.group()) in wanted}
    first = min(hits) if hits else 0
    lo = max(0, first - width // 3)
    hi = min(len(words), lo + width)
    start, end = words[lo].start(), words[hi - 1].end()
    pieces: list[tuple[str, bool]] = [("… " if lo else "", False)]
    pos = start
    for i in range(lo, hi):
        m = words[i]
        if i in hits:
            pieces.append((text[pos:m.start()], False))
            pieces.append((m.group(), True))
            pos = m.end()
    pieces.append((text[pos:end], False))
    if hi < len(words):
        pieces.append((" …", False))
    return [p for p in pieces if p[0]]
