"""``related_block``: the short link-title lines that follow a bare related-links heading."""

from __future__ import annotations

import re

from crawler.cleaning.lines import is_heading, words


def related_blocks(lines: list[str], taken: dict[int, str]) -> dict[int, str]:
    """Link titles following a related-links heading (in the second half of the text)."""
    out: dict[int, str] = {}
    n = len(lines)
    heads = [i for i, r in taken.items() if r == "related_links" and i >= n // 2 and is_heading(lines[i])]
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
    return out
