"""Text normalisation and the vectorised word/line analysis of a document (numpy).

Pipeline for one document (``Analysis`` does steps 1-2 in one vectorised pass over the UTF-8
bytes, no Python loop per word):

1. Normalisation: lower case, NFKC when the text has combining marks / ligatures / full-width
   forms, ``ä ö ü ß`` -> ``ae oe ue ss`` (so "Außenminister" == "Aussenminister" after a
   republisher's orthography edit); typographic quotes, dashes, guillemets, nbsp and the rest of
   the U+0080-U+00BF and U+2000-U+2FFF punctuation blocks are separators like ASCII
   punctuation and whitespace.
2. Words: maximal runs of word bytes (ASCII letters/digits/_ and non-ASCII letters). Each word
   gets a 64-bit polynomial hash computed from prefix sums over the bytes; each line gets a
   fingerprint (words starting with a digit folded) for the boilerplate-line table.
Steps 3-4 (shingles, signatures) are in :mod:`crawler.dedup.minhash`.

``normalise``/``tokens`` are the same normalisation as strings (used by the datasketch
baseline in ``bench/``). Everything is deterministic (fixed constants and seeds, no salted
``hash``), so signatures written by one process are valid in every other process and after
restarts.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import xxhash

__all__ = ["normalise", "fold", "tokens", "Analysis", "text_hash"]

_FOLD = str.maketrans({
    "ß": "ss", "ẞ": "ss", "ä": "ae", "ö": "oe", "ü": "ue",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2039": "'", "\u203a": "'", "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
    "\u00b4": "'", "`": "'",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-", "\u00ad": None,  # soft hyphen disappears
    "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u200b": None,
})
_WS = re.compile(r"\s+")
_WORD = re.compile(r"\w+")


def normalise(text: str) -> str:
    """Case-folded, typography-folded, whitespace-collapsed text (line breaks kept as spaces)."""
    if not text:
        return ""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    text = text.lower().translate(_FOLD)
    return _WS.sub(" ", text).strip()


def fold(text: str) -> str:
    """The fast part of ``normalise`` that matters for words (punctuation is dropped by the
    tokeniser anyway): lower case, NFKC, ß/umlaut folding, soft hyphens. Keeps line breaks."""
    text = text.lower()
    if not text.isascii():
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
        text = (text.replace("ß", "ss").replace("ä", "ae").replace("ö", "oe")
                .replace("ü", "ue").replace("\u00ad", "").replace("\u200b", ""))
    return text


def tokens(text: str) -> list[str]:
    """Words of the normalised text."""
    return _WORD.findall(fold(text))


def text_hash(text: str | list[str]) -> int:
    """64-bit hash of the text's word sequence (signed, fits SQLite INTEGER): exact duplicates."""
    words = tokens(text) if isinstance(text, str) else text
    h = xxhash.xxh64_intdigest(" ".join(words).encode("utf-8"))
    return h - (1 << 64) if h >= (1 << 63) else h


_MIX1 = np.uint64(0xBF58476D1CE4E5B9)


# ---------------------------------------------------------------------------------------------
# Vectorised analysis: one pass over the UTF-8 bytes of the folded text gives every word's
# hash, its line, and per line a digit-folded fingerprint (for the boilerplate-line table).
# Word hashes are polynomial hashes mod 2**64 computed from prefix sums (odd base, so spans
# can be normalised by the inverse power), finished with splitmix64.
# ---------------------------------------------------------------------------------------------

_P = 0x100000001B3 | 1
_P_INV = pow(_P, -1, 1 << 64)
_PUNCT = ("\u201e", "\u201c", "\u201d", "\u201a", "\u2018", "\u2019", "\u00ab", "\u00bb",
          "\u2039", "\u203a", "\u2013", "\u2014", "\u2012", "\u2015", "\u2212", "\u2022",
          "\u00b7", "\u00b4")
_WORD_BYTE = np.zeros(256, dtype=bool)
for _c in b"abcdefghijklmnopqrstuvwxyz0123456789_ABCDEFGHIJKLMNOPQRSTUVWXYZ":
    _WORD_BYTE[_c] = True
_WORD_BYTE[128:] = True  # UTF-8 lead/continuation bytes: letters of any script
_UMLAUT_1ST = np.zeros(256, dtype=np.uint8)
_UMLAUT_2ND = np.zeros(256, dtype=np.uint8)
for _second, _repl in ((0xA4, b"ae"), (0xB6, b"oe"), (0xBC, b"ue"), (0x9F, b"ss")):
    _UMLAUT_1ST[_second], _UMLAUT_2ND[_second] = _repl[0], _repl[1]
_DIGIT_BYTE = np.zeros(256, dtype=bool)
_DIGIT_BYTE[ord("0"):ord("9") + 1] = True
_DIGIT_WORD = np.uint64(0x5BD1E9955BD1E995)


class _Powers:
    def __init__(self):
        self.pw = np.empty(0, dtype=np.uint64)
        self.ipw = np.empty(0, dtype=np.uint64)

    def get(self, n: int):
        if n > len(self.pw):
            m = max(n, 2 * len(self.pw), 1 << 14)
            with np.errstate(over="ignore"):
                self.pw = np.cumprod(np.full(m, _P, dtype=np.uint64), dtype=np.uint64)
                self.pw = np.concatenate([np.ones(1, dtype=np.uint64), self.pw[:-1]])
                self.ipw = np.cumprod(np.full(m, _P_INV, dtype=np.uint64), dtype=np.uint64)
                self.ipw = np.concatenate([np.ones(1, dtype=np.uint64), self.ipw[:-1]])
        return self.pw[:n], self.ipw[:n]


_POW = _Powers()


def _mix(h: np.ndarray) -> np.ndarray:
    """Light finaliser (xor-shift-multiply-xor-shift): spreads every input bit over the high
    and low halves, which is all the shingle polynomial and the line table need.
    (Integer array arithmetic wraps silently in numpy; only scalar overflow warns.)"""
    h = h ^ (h >> np.uint64(29))
    h *= _MIX1
    h ^= h >> np.uint64(32)
    return h


def _span_hash(byte_values: np.ndarray, starts: np.ndarray, ends: np.ndarray,
               pw: np.ndarray, ipw: np.ndarray) -> np.ndarray:
    s = np.empty(len(byte_values) + 1, dtype=np.uint64)
    s[0] = 0
    np.cumsum(np.multiply(byte_values, pw[:len(byte_values)], dtype=np.uint64), out=s[1:])
    return _mix((s[ends] - s[starts]) * ipw[starts])


def _word_bytes(text: str) -> tuple[np.ndarray, np.ndarray]:
    """The folded UTF-8 bytes of ``text`` and, shifted by one (a False at both ends), which
    of them belong to words."""
    t = (text or "").lower()
    ascii_only = t.isascii()
    b = np.frombuffer(bytearray(t.encode("utf-8")), dtype=np.uint8)
    isw = np.zeros(len(b) + 2, dtype=bool)
    if not ascii_only:
        lead = (b >= 0xC2).nonzero()[0]  # non-ASCII characters are a few % of the bytes
        lb = b[lead]
        if ((lb == 0xCC) | (lb == 0xCD) | (lb == 0xEF)).any():
            # combining marks, ligatures, full-width forms: compose with NFKC first
            t = unicodedata.normalize("NFKC", t)
            b = np.frombuffer(bytearray(t.encode("utf-8")), dtype=np.uint8)
            isw = np.zeros(len(b) + 2, dtype=bool)
            lead = (b >= 0xC2).nonzero()[0]
            lb = b[lead]
        # ä ö ü ß (C3 A4, C3 B6, C3 BC, C3 9F) -> ae oe ue ss: same byte length in UTF-8
        at = lead[lb == 0xC3]
        if len(at):
            second = _UMLAUT_2ND[b[at + 1]]
            hit = second != 0
            at = at[hit]
            b[at] = _UMLAUT_1ST[b[at + 1]]
            b[at + 1] = second[hit]
        isw[1:-1] = _WORD_BYTE[b]
        # punctuation blocks U+0080-U+00BF (lead C2) and U+2000-U+2FFF (lead E2)
        at = lead[lb == 0xC2] + 1
        isw[at] = False
        isw[at + 1] = False
        at = lead[lb == 0xE2] + 1
        isw[at] = False
        isw[at + 1] = False
        isw[np.minimum(at + 2, len(isw) - 1)] = False
    else:
        isw[1:-1] = _WORD_BYTE[b]
    return b, isw


class Analysis:
    """Words (as hashes) of a text, with their line numbers and per-line fingerprints.

    Word characters: ASCII letters, digits, ``_`` and every non-ASCII character except the
    punctuation blocks U+0080-U+00BF (nbsp, guillemets, middle dot, ...) and U+2000-U+2FFF
    (dashes, typographic quotes, ellipsis, bullets, ...), which are separators.
    """

    __slots__ = ("word_hashes", "word_line", "line_ids", "line_words", "line_keys")

    def __init__(self, text: str):
        b, isw = _word_bytes(text)
        bounds = (isw[1:] != isw[:-1]).nonzero()[0]
        starts, ends = bounds[0::2], bounds[1::2]
        n = len(starts)
        if not n:
            self.word_hashes = np.empty(0, dtype=np.uint64)
            self.word_line = self.line_ids = self.line_words = np.empty(0, dtype=np.int64)
            self.line_keys = np.empty(0, dtype=np.uint64)
            return
        pw, ipw = _POW.get(len(b) + 1)
        self.word_hashes = _span_hash(b, starts, ends, pw, ipw)
        newlines = (b == 10).nonzero()[0]
        if len(newlines):
            self.word_line = wl = np.searchsorted(newlines, starts)
            change = np.empty(n + 1, dtype=bool)
            change[0] = change[n] = True
            np.not_equal(wl[1:], wl[:-1], out=change[1:n])
            cut = change.nonzero()[0]
        else:
            self.word_line = wl = np.zeros(n, dtype=np.int64)
            cut = np.array([0, n])
        first = cut[:-1]
        self.line_ids = wl[first]
        self.line_words = cut[1:] - cut[:-1]
        # line fingerprints: polynomial over the word hashes with words that start with a
        # digit folded to one value (``Lesezeit: 8 Min.`` == ``Lesezeit: 3 Min.``), computed
        # for all lines at once from prefix sums
        w = np.where(_DIGIT_BYTE[b[starts]], _DIGIT_WORD, self.word_hashes)
        ps = np.empty(n + 1, dtype=np.uint64)
        ps[0] = 0
        np.cumsum(w * pw[:n], out=ps[1:])
        self.line_keys = _mix((ps[cut[1:]] - ps[first]) * ipw[first])

    def text_hash(self) -> int:
        h = xxhash.xxh64_intdigest(self.word_hashes.tobytes())
        return h - (1 << 64) if h >= (1 << 63) else h
