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


@lru_cache(maxsize=200_000)
def term(word: str) -> str:
    """The index term of one word."""
    w = word.casefold().replace("ß", "ss")
    stem = _GERMAN.stemWord(w)  # Snowball's German stemmer also removes umlaut accents
    stem = _TRANSCRIBED.sub(r"\1", stem)
    stem = unicodedata.normalize("NFKD", stem)
    return "".join(c for c in stem if not unicodedata.combining(c))


def terms(text: str) -> list[str]:
    return [term(m.group()) for m in WORD.finditer(text or "")]


def analyzed(text: str) -> str:
    """Text as the space-separated terms the full-text index stores."""
    return " ".join(terms(text))


def parse_query(q: str) -> list[list[str]]:
    """A query as a list of clauses, each a list of terms (a phrase when longer than one).
    Words outside quotes are single-term clauses; every clause must match."""
    clauses: list[list[str]] = []
    for phrase, word in re.findall(r'"([^"]*)"|(\S+)', q or ""):
        found = terms(phrase if phrase else word)
        if phrase and found:
            clauses.append(found)
        else:
            clauses.extend([t] for t in found)
    return clauses


def fts_match(clauses: list[list[str]]) -> str:
    """The FTS5 MATCH expression for parsed clauses (terms quoted: no operator injection)."""
    return " AND ".join('"' + " ".join(c) + '"' for c in clauses)


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
