"""Source and credit tags, source lists and author biographies at the edges of the text.

- ``credit_line``: a source or credit tag in the header zone or among the last lines: agency and
  site names, initials, a source label ("Quelle: dpa", "SDA/xy", "MDR (ab)", "cd Frankfurt");
- ``source_list``: the list of sources closing the text (short list items under a source label,
  or naming sites or own research);
- ``author_bio``: an author biography among the last lines ("X ist Redakteurin bei ...");
- ``author_line``: a line holding only the article's author names (as its metadata has them),
  maybe after "Von"/"Text:", above the first paragraph or among the last three lines.
"""

from __future__ import annotations

import re

from crawler.cleaning.lines import core, key, words

_CREDIT_LABEL = re.compile(r"^(?:quellen?|sources?|text|mitarbeit|recherche|mit\s+material\s+(?:von|der|aus))\s*:?\s+",
                           re.I)
_DOMAIN = r"[\w-]+\.[a-z]{2,6}"
_CREDIT_TOKEN = re.compile(r"^(?:[a-zäöü]{2,4}|[A-ZÄÖÜ]{2,7}|" + _DOMAIN + r"|[A-ZÄÖÜ][\wäöüß'’.]*)$")
_INITIALS = re.compile(r"^(?:[a-zäöü]{2,4}|[A-ZÄÖÜ]{2,7}|" + _DOMAIN + r")$")
_FUNCTION_WORDS = frozenset("und oder der die das des dem den ein eine mit von für auf im in am an zu zum zur bei "
                            "aus ist sind so wie was wer nach vor über unter the and of for on at to is".split())
_AUTHOR_BIO = re.compile(
    r"^(?:[A-ZÄÖÜ][\w.'-]+\s){2,3}(?:ist|war|arbeitet|schreibt|berichtet|is|was|works|writes|covers)\b.{0,160}?"
    r"(?i:\b\w*(?:redakteur|journalist|reporter|korrespondent|volontär|ressortleiter|kolumnist)\w*|"
    r"\bautor(?:in)?\b|head\s+of|\beditor\w*|correspondent|writer|columnist)\b")


def is_credit(line: str) -> bool:
    """A source/credit tag: a few names, initials, agency or site names, maybe a source label."""
    c = line.strip().strip("()[]").strip()
    if len(c) > 80 or re.search(r"[.!?:;]$", c) and not re.search(_DOMAIN + "$", c):
        return False
    labelled = bool(_CREDIT_LABEL.match(c))
    rest = _CREDIT_LABEL.sub("", c)
    tokens = [t for t in re.split(r"[\s/,()+&|–-]+", rest) if t]
    if not tokens or len(tokens) > 7 or any(t.lower() in _FUNCTION_WORDS for t in tokens):
        return False
    if not all(_CREDIT_TOKEN.match(t) for t in tokens):
        return False
    return labelled or "/" in rest or any(_INITIALS.match(t) for t in tokens)


_INITIALS_PLACE = re.compile(r"^[a-zäöü]{2,4}(?:\s*/\s*[a-zäöü]{2,4})*\s+[A-ZÄÖÜ][\wäöüß-]+$")  # "ku Frankfurt"


def credit_lines(lines: list[str], live: list[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    head = []
    for i in live:
        if words(lines[i]) >= 12:
            break
        head.append(i)
    for i in head[:4] + live[-4:]:
        if len(live) > 2 and is_credit(lines[i]):
            out[i] = "credit_line"
    # initials and a place open the text even below a lead or a subtitle
    for i in live[:6]:
        if len(live) > 2 and _INITIALS_PLACE.match(lines[i].strip()):
            out[i] = "credit_line"
    return out


_SOURCE_HEAD = re.compile(r"^(?:verwendete\s+|benutzte\s+|weitere\s+)?(?:quellen(?:angaben)?|quelle|sources?)\s*:?$",
                          re.I)
_SOURCE_ITEM = re.compile(r"^(?:" + _DOMAIN + r"\s*:|eigene\s+recherchen?\b)", re.I)
_LIST_ITEM = re.compile(r"^[-•*]\s+\S")


def source_list(lines: list[str], live: list[int]) -> dict[int, str]:
    """The list of sources at the very end: a trailing run of short list items ("- …", no
    sentences) under a source label, or naming a site ("example.com: …") or own research."""
    run = []
    for i in reversed(live):
        line = lines[i]
        if not _LIST_ITEM.match(line) or words(line) > 24 or re.search(r"[.!?]\s*$", line):
            break
        run.append(i)
    if not run or len(run) == len(live):
        return {}
    prev = live[len(live) - len(run) - 1]
    labelled = bool(_SOURCE_HEAD.match(core(lines[prev]).strip()))
    if not labelled and not any(_SOURCE_ITEM.match(core(lines[i])) for i in run):
        return {}
    return {i: "source_list" for i in run + ([prev] if labelled else [])}


def author_bios(lines: list[str], rest: list[int]) -> dict[int, str]:
    """An author bio among the last lines: "Vorname Name ist Redakteur ... / is a reporter at ..."."""
    out: dict[int, str] = {}
    for i in rest[-3:]:
        if len(rest) > 3 and _AUTHOR_BIO.match(lines[i]) and len(lines[i]) <= 400:
            out[i] = "author_bio"
    return out


_NAME_PREFIX = re.compile(r"^(?:von|by|text|autor(?:in)?|autoren|ein\s+(?:beitrag|kommentar)\s+von)\s*:?\s+", re.I)
_NAME_SEP = re.compile(r"\s*(?:,|;|&|\||\bund\b|\band\b)\s*")


def author_lines(lines: list[str], live: list[int], authors) -> dict[int, str]:
    """A line of nothing but the article's authors, above the first paragraph or among the last lines."""
    names = {key(a) for a in authors or () if len(key(a)) >= 4}
    if not names or len(live) < 3:
        return {}
    out: dict[int, str] = {}
    head = []
    for i in live[:5]:  # above the first paragraph
        if words(lines[i]) >= 12:
            break
        head.append(i)
    for i in head + live[-3:]:
        line = core(lines[i])
        if len(line) > 120:
            continue
        parts = [key(p) for p in _NAME_SEP.split(_NAME_PREFIX.sub("", line)) if key(p)]
        if parts and all(p in names for p in parts):
            out[i] = "author_line"
    return out
