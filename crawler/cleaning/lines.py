"""Small line helpers shared by the cleaning rules: word counts, sentence shape, normal forms."""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"[.!?…\"“”»«]\s*$")
TERMINAL = re.compile(r"[.!?…:;,\"“”»«)]\s*$")  # a line ending like this is not a bare label
_WS = re.compile(r"\s+")
_DECOR = re.compile(r"^[\s|•·*>»–—-]+|[\s|•·*<«–—-]+$")


def words(line: str) -> int:
    return len(line.split())


def is_sentence(line: str) -> bool:
    """Ends like a sentence and is long enough to be one."""
    return bool(_SENTENCE_END.search(line)) and words(line) >= 6


def core(line: str) -> str:
    """The line without table pipes, bullets and decorative dashes around it."""
    return _DECOR.sub("", line)


def norm(s: str | None) -> str:
    """Whitespace collapsed, lower case."""
    return _WS.sub(" ", s or "").strip().lower()


def key(s: str | None) -> str:
    """Letters and digits only, case-folded: for comparing a line with the headline."""
    return re.sub(r"[\W_]+", "", (s or "").casefold())


def is_short_label(line: str, max_words: int = 3, max_len: int = 40) -> bool:
    return len(line) <= max_len and words(line) <= max_words and not TERMINAL.search(line)


def is_heading(line: str) -> bool:
    """A heading with nothing after it ("Mehr zum Thema:"), not a line that carries its link."""
    c = core(line).rstrip(":").strip()
    return words(c) <= 6 and not re.search(r"[:–—]\s*\S", c)
