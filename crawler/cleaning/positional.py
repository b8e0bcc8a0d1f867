"""Positional rules: they look at the whole text (the header zone, the last lines, what follows a
related-links heading), after the line rules have run."""

from __future__ import annotations

from crawler.cleaning.credits import author_bios, author_lines, credit_lines, source_list
from crawler.cleaning.header import headline_repeats, lone_rubrics
from crawler.cleaning.related import related_blocks


def positional(lines: list[str], taken: dict[int, str], title: str | None, section: str | None,
               authors=()) -> dict[int, str]:
    """Line index -> rule name for the positional rules, on the lines not yet ``taken``."""
    live = [i for i in range(len(lines)) if i not in taken]
    if not live:
        return {}
    out = lone_rubrics(lines, live, title, section)
    for found in (related_blocks(lines, taken), headline_repeats(lines, live, title),
                  credit_lines(lines, live), source_list(lines, live), author_lines(lines, live, authors)):
        for i, rule in found.items():
            out.setdefault(i, rule)
    rest = [i for i in live if i not in out]
    out.update(author_bios(lines, rest))
    return out
