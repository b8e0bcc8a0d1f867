"""Link labels inside paragraphs: "(öffnet im neuen Fenster)", "(externer Link)", "(opens in a new
tab)" are not article text but a link's accessibility label printed into the paragraph.

Decided by where the fragment sits, not by its words. A candidate is a short parenthesised
fragment (two to six words, one of them a lower-case word other than an article, no digits, no
colon) at the end of a link's text, in its own element inside the link, or right after the
link. It is a label, and goes while the paragraph stays, when the markup says so:
- the same fragment sits at two or more different links of the page (labels are added per link);
- the link's ``title``/``aria-label`` carries it as well while saying more than the visible text.
A single label with no such evidence stays (hidden screen-reader spans are pruned before, by
class, in ``crawler.extraction.prune``).
A name's party or an abbreviation ("(CDU)", "(RKI)") has one word; an explanation that belongs
to one link ("Fernseher (LCD und Plasma)") has no such evidence: both stay.
"""

from __future__ import annotations

import re

_FRAGMENT = r"\(\s*([^()\d:;]{3,60}?)\s*\)"
_WHOLE = re.compile(r"^\s*" + _FRAGMENT + r"\s*$")
_END = re.compile(r"\s*" + _FRAGMENT + r"\s*$")
_START = re.compile(r"^\s*" + _FRAGMENT)
_PUNCT_START = re.compile(r"^[.,;:!?)\]»“]")
_LINKS = "//body//a | //body//*[@role='link']"
_ARTICLES = frozenset("der die das den dem des ein eine the a an".split())


def _is_label(fragment: str) -> bool:
    """Two to six words, one of them a lower-case word other than an article ("(die Linke)" is a name)."""
    ws = fragment.split()
    return 2 <= len(ws) <= 6 and any(w[:1].islower() and w not in _ARTICLES for w in ws)


def _norm(s: str | None) -> str:
    return " ".join((s or "").split()).casefold()


def _label(m) -> str | None:
    return _norm(m.group(1)) if m and _is_label(m.group(1)) else None


def _own_element(link):
    """The element inside the link whose whole text is a label, if any."""
    for el in link.iterdescendants():
        if isinstance(el.tag, str):
            label = _label(_WHOLE.match(el.text_content() or ""))
            if label:
                return el, label
    return None, None


def _last_text(link) -> tuple[object, str]:
    """Where the link's visible text ends: (node, "text" or "tail")."""
    kids = [k for k in link if isinstance(k.tag, str)]
    return (kids[-1], "tail") if kids else (link, "text")


class _Candidate:
    def __init__(self, link, where: str, label: str, el=None):
        self.link, self.where, self.label, self.el = link, where, label, el

    def evidence(self, spread: dict[str, set]) -> bool:
        if len(spread[self.label]) >= 2:
            return True
        attrs = _norm(" ".join(self.link.get(k) or "" for k in ("title", "aria-label")))
        return self.label in attrs and attrs != _norm(self.link.text_content())

    def strip(self) -> None:
        if self.where == "element":
            if self.el.getparent() is not None:
                self.el.drop_tree()  # keeps the tail
        elif self.where == "end":
            node, attr = _last_text(self.link)
            setattr(node, attr, _END.sub("", getattr(node, attr) or "", count=1))
        else:
            self.link.tail = _START.sub("", self.link.tail or "", count=1)


def _candidates(link) -> list[_Candidate]:
    out = []
    el, label = _own_element(link)
    if el is not None:
        out.append(_Candidate(link, "element", label, el))
    else:
        node, attr = _last_text(link)
        label = _label(_END.search(getattr(node, attr) or ""))
        if label:
            out.append(_Candidate(link, "end", label))
    label = _label(_START.match(link.tail or ""))
    if label:
        out.append(_Candidate(link, "tail", label))
    return out


def _rstrip(el) -> None:
    """Trailing whitespace off the last text inside ``el``."""
    kids = [k for k in el if isinstance(k.tag, str)]
    if not kids:
        el.text = (el.text or "").rstrip()
        return
    last = kids[-1]
    if (last.tail or "").strip():
        last.tail = last.tail.rstrip()
    else:
        last.tail = None
        _rstrip(last)


def _fix_space(link) -> None:
    """"Seite des Landes ." -> "Seite des Landes.": no space before punctuation the label left."""
    if link.tail is not None and _PUNCT_START.match(link.tail.lstrip()):
        link.tail = link.tail.lstrip()
        _rstrip(link)


def strip_link_labels(tree) -> int:
    """Remove link labels from ``tree`` in place; returns how many were removed."""
    cands = [c for a in tree.xpath(_LINKS) for c in _candidates(a)]
    spread: dict[str, set] = {}
    for c in cands:  # at how many different links (target and text) each fragment sits
        spread.setdefault(c.label, set()).add((c.link.get("href"), _norm(c.link.text_content())))
    doomed = [c for c in cands if c.evidence(spread)]
    for c in doomed:
        c.strip()
    for link in {id(c.link): c.link for c in doomed}.values():
        _fix_space(link)
    return len(doomed)
