"""Residue cleaning: explainable, line-by-line rules over extracted article text.

Order: per-portal line patterns (``portal:<pattern>``), learned portal templates
(``template:<portal>``), the built-in catalogue (``crawler.residue_catalogue``), then
positional rules that look at the whole text:
- ``lone_rubric``: kicker/rubric/place lines of one or two plain words in the header zone above
  the first paragraph (not the title itself), or a short line equal to the page's section
  anywhere ("Politik", "Herford");
- ``related_block``: the short link-title lines that follow a bare related-links heading;
- ``author_bio``: an author biography among the last lines ("X ist Redakteurin bei ...");
- ``headline_repeat``: the headline repeated above the first paragraph, alone or with its kicker;
- ``credit_line``: a source or credit tag in the header zone or among the last lines: agency
  and site names, initials, a source label ("Quelle: dpa", "SDA/xy", "MDR (ab)", "cd Frankfurt");
- ``source_list``: the list of sources closing the text (short list items under a source label,
  or naming sites or own research).
Every removed line is reported with its rule. A rule that would remove most of the text (more
than half of it, unless it is one length-limited catalogue line) is not applied, nor is a rule
set that would leave less than a fifth of it; a warning says so.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Sequence

from crawler.charset import replacement_warning
from crawler.residue_catalogue import CATALOGUE_VERSION, RULES, words

MAX_SHARE = 0.5  # a rule removing more than this share of the text is not applied
MAX_TOTAL_SHARE = 0.8  # nor is a rule set that would leave less than a fifth of the text
_TERMINAL = re.compile(r"[.!?…:;,\"“”»«)]\s*$")
_WS = re.compile(r"\s+")
_PLAIN_LABEL = re.compile(r"^[^\W\d_][\w&'’-]*(?: [^\W\d_][\w&'’-]*)?$")
_AUTHOR_BIO = re.compile(
    r"^(?:[A-ZÄÖÜ][\w.'-]+\s){2,3}(?:ist|war|arbeitet|schreibt|berichtet|is|was|works|writes|covers)\b.{0,160}?"
    r"(?i:\b\w*(?:redakteur|journalist|reporter|korrespondent|volontär|ressortleiter|kolumnist)\w*|"
    r"\bautor(?:in)?\b|head\s+of|\beditor\w*|correspondent|writer|columnist)\b")
_DECOR = re.compile(r"^[\s|•·*>»–—-]+|[\s|•·*<«–—-]+$")


def _core(line: str) -> str:
    """The line without table pipes, bullets and decorative dashes around it."""
    return _DECOR.sub("", line)


@dataclass
class CleanResult:
    text: str
    removed: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    catalogue_version: str = CATALOGUE_VERSION


def _norm(s: str | None) -> str:
    return _WS.sub(" ", s or "").strip().lower()


def _is_short_label(line: str, max_words: int = 3, max_len: int = 40) -> bool:
    return len(line) <= max_len and words(line) <= max_words and not _TERMINAL.search(line)


def _is_heading(line: str) -> bool:
    """A heading with nothing after it ("Mehr zum Thema:"), not a line that carries its link."""
    core = _core(line).rstrip(":").strip()
    return words(core) <= 6 and not re.search(r"[:–—]\s*\S", core)


def _compile(patterns: Sequence[str]) -> list[tuple[str, re.Pattern]]:
    out = []
    for p in patterns:
        try:
            out.append((p, re.compile(p)))
        except re.error:
            continue
    return out


_PATTERN_CACHE: dict[tuple[str, ...], list] = {}


def _patterns(patterns: Sequence[str]):
    key = tuple(patterns)
    if key not in _PATTERN_CACHE:
        _PATTERN_CACHE[key] = _compile(key)
    return _PATTERN_CACHE[key]


def _key(s: str | None) -> str:
    return re.sub(r"[\W_]+", "", (s or "").casefold())


def _headline_repeats(lines: list[str], live: list[int], title: str | None) -> dict[int, str]:
    """Lines above the first paragraph that hold the headline, alone or with a kicker/rubric
    run into it ("Umbau des Weissen Hauses Trump plant ...")."""
    tk = _key(title)
    out: dict[int, str] = {}
    if len(tk) < 12:
        return out
    for i in live[:5]:
        lk = _key(lines[i])
        if lk == tk or (tk in lk and len(lk) - len(tk) <= 80 and words(lines[i]) - words(title) <= 10):
            out[i] = "headline_repeat"
        elif words(lines[i]) >= 12:
            break
    return out


_CREDIT_LABEL = re.compile(r"^(?:quellen?|sources?|text|mitarbeit|recherche|mit\s+material\s+(?:von|der|aus))\s*:?\s+",
                           re.I)
_DOMAIN = r"[\w-]+\.[a-z]{2,6}"
_CREDIT_TOKEN = re.compile(r"^(?:[a-zäöü]{2,4}|[A-ZÄÖÜ]{2,7}|" + _DOMAIN + r"|[A-ZÄÖÜ][\wäöüß'’.]*)$")
_INITIALS = re.compile(r"^(?:[a-zäöü]{2,4}|[A-ZÄÖÜ]{2,7}|" + _DOMAIN + r")$")
_FUNCTION_WORDS = frozenset("und oder der die das des dem den ein eine mit von für auf im in am an zu zum zur bei "
                            "aus ist sind so wie was wer nach vor über unter the and of for on at to is".split())


def _is_credit(line: str) -> bool:
    """A source/credit tag: a few names, initials, agency or site names, maybe a source label."""
    core = line.strip().strip("()[]").strip()
    if len(core) > 80 or re.search(r"[.!?:;]$", core) and not re.search(_DOMAIN + "$", core):
        return False
    labelled = bool(_CREDIT_LABEL.match(core))
    rest = _CREDIT_LABEL.sub("", core)
    tokens = [t for t in re.split(r"[\s/,()+&|–-]+", rest) if t]
    if not tokens or len(tokens) > 7 or any(t.lower() in _FUNCTION_WORDS for t in tokens):
        return False
    if not all(_CREDIT_TOKEN.match(t) for t in tokens):
        return False
    return labelled or "/" in rest or any(_INITIALS.match(t) for t in tokens)


def _credit_lines(lines: list[str], live: list[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    head = []
    for i in live:
        if words(lines[i]) >= 12:
            break
        head.append(i)
    for i in head[:4] + live[-4:]:
        if len(live) > 2 and _is_credit(lines[i]):
            out[i] = "credit_line"
    return out


_SOURCE_HEAD = re.compile(r"^(?:verwendete\s+|benutzte\s+|weitere\s+)?(?:quellen(?:angaben)?|quelle|sources?)\s*:?$",
                          re.I)
_SOURCE_ITEM = re.compile(r"^(?:" + _DOMAIN + r"\s*:|eigene\s+recherchen?\b)", re.I)
_LIST_ITEM = re.compile(r"^[-•*]\s+\S")


def _source_list(lines: list[str], live: list[int]) -> dict[int, str]:
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
    labelled = bool(_SOURCE_HEAD.match(_core(lines[prev]).strip()))
    if not labelled and not any(_SOURCE_ITEM.match(_core(lines[i])) for i in run):
        return {}
    return {i: "source_list" for i in run + ([prev] if labelled else [])}


def _positional(lines: list[str], taken: dict[int, str], title: str | None, section: str | None) -> dict[int, str]:
    out: dict[int, str] = {}
    live = [i for i in range(len(lines)) if i not in taken]
    if not live:
        return out
    title_n, section_n = _norm(title), _norm(section)
    # lone rubric / place / kicker lines in the header zone above the first paragraph: one or
    # two plain words each, not the title itself (lines already removed, such as bylines or
    # date stamps, do not end the zone)
    labels = []
    for i in live[:-1]:
        line = lines[i]
        if len(line.split()) >= 8 or re.search(r"[.!?]\s*$", line):
            break
        if len(line) <= 25 and words(line) <= 2 and _PLAIN_LABEL.match(line) and _norm(line) != title_n:
            labels.append(i)
    # a kicker zone holds a rubric and a place at most; a longer run of labels is the page's own
    # structure (a data sheet, a list), of which only a leading label is taken
    if labels and (len(labels) <= 2 or labels[0] == live[0]):
        for i in labels if len(labels) <= 2 else labels[:1]:
            out[i] = "lone_rubric"
    # a short line equal to the section, anywhere
    if section_n:
        for i in live:
            if i not in out and _is_short_label(lines[i]) and _norm(lines[i]) == section_n:
                out[i] = "lone_rubric"
    # link titles following a related-links heading (in the second half of the text)
    n = len(lines)
    heads = [i for i, r in taken.items() if r == "related_links" and i >= n // 2 and _is_heading(lines[i])]
    for h in sorted(heads):
        j = h + 1
        while j < n:
            if j in taken:
                j += 1
                continue
            line = lines[j]
            if words(line) <= 16 and not re.search(r"[.!?]\s*$", line) and len(line) <= 160:
                out.setdefault(j, "related_block")
                j += 1
            else:
                break
    for found in (_headline_repeats(lines, live, title), _credit_lines(lines, live), _source_list(lines, live)):
        for i, rule in found.items():
            out.setdefault(i, rule)
    # an author bio at the end: "Vorname Name ist Redakteur ... / is a reporter at ..."
    rest = [i for i in live if i not in out]
    for i in rest[-3:]:
        if len(rest) > 3 and _AUTHOR_BIO.match(lines[i]) and len(lines[i]) <= 400:
            out[i] = "author_bio"
    return out


def clean_text(
    text: str,
    *,
    title: str | None = None,
    section: str | None = None,
    portal: str | None = None,
    line_patterns: Sequence[str] = (),
    templates=None,
    learn: bool = False,
) -> CleanResult:
    """Remove residue lines from ``text`` (one block per line); see the module docstring."""
    lines = [ln.strip() for ln in (text or "").split("\n")]
    lines = [ln for ln in lines if ln]
    result = CleanResult(text="")
    if not lines:
        return result
    total = sum(len(ln) for ln in lines) or 1
    taken: dict[int, str] = {}

    def apply(candidates: dict[int, str], group: str) -> None:
        candidates = {i: r for i, r in candidates.items() if i not in taken}
        if not candidates:
            return
        by_rule: dict[str, list[int]] = {}
        for i, r in candidates.items():
            by_rule.setdefault(r, []).append(i)
        kept: dict[int, str] = {}
        for rule, idxs in by_rule.items():
            share = sum(len(lines[i]) for i in idxs) / total
            bounded = group == "catalogue" and len(idxs) == 1  # one length-limited catalogue line
            if share > MAX_SHARE and len(lines) > 1 and not bounded:
                result.warnings.append(
                    f"rule {rule} would remove {share:.0%} of the text ({len(idxs)} lines); not applied")
            else:
                kept.update({i: rule for i in idxs})
        share = sum(len(lines[i]) for i in kept) / total
        already = sum(len(lines[i]) for i in taken) / total
        if kept and share + already > MAX_TOTAL_SHARE and len(lines) > 1:
            result.warnings.append(
                f"{group} rules would remove {share + already:.0%} of the text; {group} rules not applied")
            return
        taken.update(kept)

    if line_patterns:
        pats = _patterns(line_patterns)
        apply({i: f"portal:{p}" for i, ln in enumerate(lines) for p, rx in pats if rx.search(ln)}, "portal")
    if templates is not None and portal:
        apply({i: f"template:{portal}" for i in templates.match(portal, lines)}, "template")
    found: dict[int, str] = {}
    for i, ln in enumerate(lines):
        core = _core(ln)
        if not core:
            continue
        for rule in RULES:
            if rule.matches(core):
                found[i] = rule.name
                break
    apply(found, "catalogue")
    apply(_positional(lines, taken, title, section), "positional")

    if learn and templates is not None and portal:
        templates.learn(portal, lines, page_key=hashlib.sha1(text.encode("utf-8")).hexdigest())

    result.removed = [{"line": lines[i], "rule": taken[i]} for i in sorted(taken)]
    result.text = "\n".join(ln for i, ln in enumerate(lines) if i not in taken)
    undecodable = replacement_warning(result.text)
    if undecodable:
        result.warnings.append(undecodable)
    return result
