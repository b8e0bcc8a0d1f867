"""The header zone above the first paragraph: kicker, rubric and place lines, the headline repeated.

- ``lone_rubric``: kicker/rubric/place lines of one or two plain words above the first paragraph
  (not the title itself), or a short line equal to the page's section anywhere ("Politik");
- ``headline_repeat``: the headline repeated above the first paragraph, alone or with its kicker
  run into it ("Umbau des Weissen Hauses Trump plant ...").
"""

from __future__ import annotations

import re

from crawler.cleaning.lines import is_short_label, key, norm, words

_PLAIN_LABEL = re.compile(r"^[^\W\d_][\w&'’-]*(?: [^\W\d_][\w&'’-]*)?$")


def lone_rubrics(lines: list[str], live: list[int], title: str | None, section: str | None) -> dict[int, str]:
    """Lone rubric / place / kicker lines in the header zone (lines already removed, such as
    bylines or date stamps, do not end the zone), and short lines equal to the section."""
    out: dict[int, str] = {}
    title_n, section_n = norm(title), norm(section)
    labels = []
    for i in live[:-1]:
        line = lines[i]
        if len(line.split()) >= 8 or re.search(r"[.!?]\s*$", line):
            break
        if len(line) <= 25 and words(line) <= 2 and _PLAIN_LABEL.match(line) and norm(line) != title_n:
            labels.append(i)
    # a kicker zone holds a rubric and a place at most; a longer run of labels is the page's own
    # structure (a data sheet, a list), of which only a leading label is taken
    if labels and (len(labels) <= 2 or labels[0] == live[0]):
        for i in labels if len(labels) <= 2 else labels[:1]:
            out[i] = "lone_rubric"
    if section_n:
        for i in live:
            if i not in out and is_short_label(lines[i]) and norm(lines[i]) == section_n:
                out[i] = "lone_rubric"
    return out


def headline_repeats(lines: list[str], live: list[int], title: str | None) -> dict[int, str]:
    """Lines above the first paragraph that hold the headline, alone or with a kicker/rubric
    run into it."""
    tk = key(title)
    out: dict[int, str] = {}
    if len(tk) < 12:
        return out
    for i in live[:5]:
        lk = key(lines[i])
        extra = words(lines[i]) - words(title)
        lead = extra >= 5 and re.search(r"[.!?]\s*$", lines[i])  # a lead sentence opening with the headline
        if lk == tk or (tk in lk and len(lk) - len(tk) <= 80 and extra <= 10 and not lead):
            out[i] = "headline_repeat"
        elif words(lines[i]) >= 12:
            break
    return out
