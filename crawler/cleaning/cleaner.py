"""``clean_text``: the rule groups in order, each bounded by the safety guards.

Order: script, state or template code rendered as lines (``script_fragment``, by shape), per-portal
line patterns (``portal:<pattern>``), learned portal templates
(``template:<portal>``), the built-in catalogue (``crawler.cleaning.catalogue``), then the
positional rules (``crawler.cleaning.positional``). Every removed line is reported with its rule.
A rule that would remove most of the text (more than half of it, unless it is one
length-limited catalogue line) is not applied, nor is a rule set that would leave less than a
fifth of it; a warning says so. Code lines are not text whatever their share, so they pass no
guard (a page whose text is only code ends up empty).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Sequence

from crawler.charset import replacement_warning
from crawler.cleaning.catalogue import CATALOGUE_VERSION, RULES
from crawler.cleaning.lines import core
from crawler.cleaning.positional import positional
from crawler.cleaning.script import script_fragments

MAX_SHARE = 0.5  # a rule removing more than this share of the text is not applied
MAX_TOTAL_SHARE = 0.8  # nor is a rule set that would leave less than a fifth of the text


@dataclass
class CleanResult:
    text: str
    removed: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    catalogue_version: str = CATALOGUE_VERSION


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
    k = tuple(patterns)
    if k not in _PATTERN_CACHE:
        _PATTERN_CACHE[k] = _compile(k)
    return _PATTERN_CACHE[k]


class _Guarded:
    """The lines removed so far, and the guards every rule group passes through."""

    def __init__(self, lines: list[str], result: CleanResult):
        self.lines, self.result = lines, result
        self.total = sum(len(ln) for ln in lines) or 1
        self.taken: dict[int, str] = {}
        self.code: dict[int, str] = {}

    def _share(self, idxs) -> float:
        return sum(len(self.lines[i]) for i in idxs) / self.total

    def apply(self, candidates: dict[int, str], group: str) -> None:
        candidates = {i: r for i, r in candidates.items() if i not in self.taken}
        if group == "script":  # not text by its shape: no guard, and not counted in the shares
            self.taken.update(candidates)
            self.code.update(candidates)
            self.total = sum(len(ln) for i, ln in enumerate(self.lines) if i not in self.code) or 1
            return
        by_rule: dict[str, list[int]] = {}
        for i, r in candidates.items():
            by_rule.setdefault(r, []).append(i)
        kept: dict[int, str] = {}
        for rule, idxs in by_rule.items():
            share = self._share(idxs)
            bounded = group == "catalogue" and len(idxs) == 1  # one length-limited catalogue line
            if share > MAX_SHARE and len(self.lines) - len(self.code) > 1 and not bounded:
                self.result.warnings.append(
                    f"rule {rule} would remove {share:.0%} of the text ({len(idxs)} lines); not applied")
            else:
                kept.update({i: rule for i in idxs})
        share = self._share(kept) + self._share(set(self.taken) - set(self.code))
        if kept and share > MAX_TOTAL_SHARE and len(self.lines) - len(self.code) > 1:
            self.result.warnings.append(
                f"{group} rules would remove {share:.0%} of the text; {group} rules not applied")
            return
        self.taken.update(kept)


def _catalogue(lines: list[str]) -> dict[int, str]:
    found: dict[int, str] = {}
    for i, ln in enumerate(lines):
        c = core(ln)
        if not c:
            continue
        for rule in RULES:
            if rule.matches(c):
                found[i] = rule.name
                break
    return found


def _lines(text: str | None) -> list[str]:
    return [ln for ln in (ln.strip() for ln in (text or "").split("\n")) if ln]


def _text_key(text: str | None) -> str:
    return hashlib.sha1((text or "").encode("utf-8")).hexdigest()


def line_matches(text: str, line_patterns: Sequence[str] = ()) -> dict:
    """What the rules that look at one line at a time find in ``text`` (script fragments, the
    portal's line patterns, the catalogue): most of the cleaning's CPU, and independent of the
    learned templates, so a crawl computes it in the worker that extracted the text and hands
    it to :func:`clean_text` (``matches``)."""
    lines = _lines(text)
    pats = _patterns(line_patterns) if line_patterns else ()
    return {
        "key": _text_key(text), "patterns": tuple(line_patterns), "script": script_fragments(lines),
        "portal": {i: f"portal:{p}" for i, ln in enumerate(lines) for p, rx in pats if rx.search(ln)},
        "catalogue": _catalogue(lines),
    }


def clean_text(
    text: str,
    *,
    title: str | None = None,
    section: str | None = None,
    authors: Sequence[str] = (),
    portal: str | None = None,
    line_patterns: Sequence[str] = (),
    templates=None,
    learn: bool = False,
    matches: dict | None = None,
) -> CleanResult:
    """Remove residue lines from ``text`` (one block per line); see the module docstring.
    ``matches``: :func:`line_matches` of this text and these line patterns, computed before
    (ignored if it is of another text)."""
    lines = _lines(text)
    result = CleanResult(text="")
    if not lines:
        return result
    key = _text_key(text)
    if not matches or matches.get("key") != key or tuple(matches.get("patterns", ())) != tuple(line_patterns):
        matches = line_matches(text, line_patterns)
    g = _Guarded(lines, result)
    g.apply(matches["script"], "script")
    if line_patterns:
        g.apply(matches["portal"], "portal")
    if templates is not None and portal:
        g.apply({i: f"template:{portal}" for i in templates.match(portal, lines)}, "template")
    g.apply(matches["catalogue"], "catalogue")
    g.apply(positional(lines, g.taken, title, section, authors), "positional")

    if learn and templates is not None and portal:
        templates.learn(portal, lines, page_key=key)

    taken = g.taken
    result.removed = [{"line": lines[i], "rule": taken[i]} for i in sorted(taken)]
    result.text = "\n".join(ln for i, ln in enumerate(lines) if i not in taken)
    undecodable = replacement_warning(result.text)
    if undecodable:
        result.warnings.append(undecodable)
    return result
