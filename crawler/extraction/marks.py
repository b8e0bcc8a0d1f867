"""One walk over a page for the elements the metadata pickers look for by class, id, itemprop
or rel: paywall boxes, breadcrumbs, bylines, date boxes, ``<time>`` and date itemprops, the
canonical link. Replaces one XPath scan of the whole tree per picker (substring tests on every
element's attributes, each scan as slow as this whole walk); same elements, same order."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_BYLINES, MAX_DATE_BOXES, MAX_STAMPS, MAX_TIMES = 40, 30, 3, 5
_BYLINE = re.compile("author|Author|byline|Byline|autor|Autor")
_DATE = re.compile("date|Date|time|datum|publish|meta|Datum|stand")
_ANY = re.compile(f"{_BYLINE.pattern}|{_DATE.pattern}|paywall|Paywall|breadcrumb|Breadcrumb")
_TAGS = ("time", "link")


@dataclass
class Marks:
    paywall: bool = False  # an element inside the body with "paywall" in its class or id
    crumb_boxes: list = field(default_factory=list)  # breadcrumb-classed, holding a link, first of its siblings
    bylines: list = field(default_factory=list)  # author/byline-classed, rel/itemprop author
    date_boxes: list = field(default_factory=list)  # date/time/meta-classed, inside the body
    published: list = field(default_factory=list)  # itemprop datePublished, <time pubdate>
    modified: list = field(default_factory=list)  # itemprop dateModified
    times: list = field(default_factory=list)  # <time datetime>
    canonical: str | None = None  # href of the first <link rel="canonical">


def _subtree_end(el):
    """The node after ``el``'s subtree in document order (None: the document ends there)."""
    while el is not None:
        nxt = el.getnext()
        if nxt is not None:
            return nxt
        el = el.getparent()
    return None


def _attrs(el, tag: str, cls: str, m: Marks, in_body: bool, crumb_parents: set) -> None:
    ident, prop, rel = el.get("id") or "", el.get("itemprop"), el.get("rel")
    if cls or ident:
        if in_body and not m.paywall and ("paywall" in cls or "Paywall" in cls or "paywall" in ident):
            m.paywall = True
        if ("breadcrumb" in cls or "Breadcrumb" in cls or "breadcrumb" in ident) and el.find(".//a") is not None:
            parent = el.getparent()
            if parent not in crumb_parents:  # XPath's [1]: the first such child of its parent
                crumb_parents.add(parent)
                m.crumb_boxes.append(el)
        if in_body and len(m.date_boxes) < MAX_DATE_BOXES and _DATE.search(cls):
            m.date_boxes.append(el)
    if len(m.bylines) < MAX_BYLINES and (rel == "author" or prop == "author" or _BYLINE.search(cls)):
        m.bylines.append(el)
    if len(m.published) < MAX_STAMPS and (prop == "datePublished" or (tag == "time" and el.get("pubdate") is not None)):
        m.published.append(el)
    if prop == "dateModified" and len(m.modified) < MAX_STAMPS:
        m.modified.append(el)
    if tag == "time" and len(m.times) < MAX_TIMES and el.get("datetime") is not None:
        m.times.append(el)
    if tag == "link" and rel == "canonical" and m.canonical is None and el.get("href") is not None:
        m.canonical = el.get("href")


def page_marks(tree) -> Marks:
    m, crumb_parents = Marks(), set()
    in_body, body_end = False, None
    for el in tree.getroottree().getroot().iter():
        if in_body and el is body_end:
            in_body = False
        tag = el.tag
        if not isinstance(tag, str):
            continue
        cls = el.get("class") or ""
        if (cls and _ANY.search(cls)) or tag in _TAGS or el.get("id") or el.get("itemprop") or el.get("rel"):
            _attrs(el, tag, cls, m, in_body, crumb_parents)
        if tag == "body" and not in_body:
            in_body, body_end = True, _subtree_end(el)
    return m
