"""Structural pruning before main-text extraction: elements whose own markup says they are not
article text — hidden by class (not responsive-only), consent and embed placeholders, image
credit and copyright spans, short share/social/error-report/affiliate/newsletter boxes, lists whose every item is a
link (related articles, "more from" lists), captions not marked up as such (an image's alt text
repeated in a box holding little else). Decided by class tokens, link density and
element kind, never by the words of the text; the text inside them is gone before extraction."""

from __future__ import annotations

import re

from lxml import etree

_HIDDEN = re.compile(r"^(?:hidden|is-hidden|u-hidden|sr-only|visually-?hidden|visuallyhidden|screen-?reader-?(?:text|only)|"
                     r"offscreen|off-screen|invisible)$", re.I)
_RESPONSIVE_SHOW = re.compile(r"^\w+:(?:block|flex|inline|inline-block|grid|table|contents)$")
_PLACEHOLDER = re.compile(r"placeholder|consent|privacy|cmp-|optin|opt-in|embed-?(?:blocker|wrapper|consent)|"
                          r"external-?content|social-?embed", re.I)
_CREDIT = re.compile(r"copyright|credit|bildnachweis|bildquelle|image-?source|photo-?source", re.I)
_BOXES = re.compile(r"^(?:[\w-]*[-_])?(?:social|share|sharing|reporterr\w*|affiliate|newsletter)(?:[-_][\w-]*)?$", re.I)
_MAX_CHARS = 400  # placeholders, credits and share boxes are short; a long one is something else
_KEEP_TAGS = {"html", "body", "main", "article"}


def _tokens(el) -> list[str]:
    return (el.get("class") or "").split()


def _kind(el, toks: list[str]) -> str | None:
    if any(_HIDDEN.match(t) for t in toks) and not any(_RESPONSIVE_SHOW.match(t) for t in toks):
        return "hidden"
    if any(_PLACEHOLDER.search(t) for t in toks):
        return "placeholder"
    if el.tag in ("span", "small", "p", "div", "figcaption") and any(_CREDIT.search(t) for t in toks):
        return "credit"
    if el.tag in ("ul", "div", "aside", "section") and any(_BOXES.match(t) for t in toks):
        return "box"
    return None


_KINDS: dict[tuple[str, str], str | None] = {}  # (tag, class attribute) -> kind: pages repeat their classes


def _why(el) -> str | None:
    k = (el.tag, el.get("class") or "")
    kind = _KINDS.get(k, "?")
    if kind == "?":
        if len(_KINDS) > 100_000:
            _KINDS.clear()
        kind = _KINDS[k] = _kind(el, _tokens(el))
    return _long_enough(el, kind)


def _long_enough(el, kind: str | None) -> str | None:
    if kind is None:
        return None
    if kind in ("placeholder", "credit", "box") and len(el.text_content()) > _MAX_CHARS:
        return None
    return kind


def _link_only_list(el) -> bool:
    """A list whose every item is a link, maybe after a bold kicker ("<b>Thema:</b> <a>…</a>"):
    related articles, more-from lists."""
    filled = 0
    for li in el:
        if li.tag != "li":
            continue
        text = len(" ".join(li.text_content().split()))
        if not text:  # empty items (ad or lazy-load slots) say nothing
            continue
        kicker = sum(len(" ".join(b.text_content().split())) for b in li if b.tag in ("strong", "b"))
        linked = sum(len(" ".join(a.text_content().split())) for a in li.iter("a"))
        if linked < 0.9 * (text - kicker) or linked < 0.5 * text:
            return False
        filled += 1
    return filled >= 2


_CAPTION_TAGS = ("p", "div", "span")
_CREDIT_SUFFIX = re.compile(r"\s*[|©].*$")


def _norm(s: str) -> str:
    return " ".join(s.split()).casefold()


def _uncaptioned(img) -> list:
    """Elements repeating the image's alt/title text inside a box holding little but the
    image: captions not marked up as such (``<p class="…info…">`` under the picture)."""
    alts = {_norm(_CREDIT_SUFFIX.sub("", img.get(a) or "")) for a in ("alt", "title")}
    alts = {a for a in alts if 12 <= len(a) <= 300}
    box = img.getparent()
    for _ in range(4):
        if not alts or box is None or box.tag in _KEEP_TAGS or box.tag == "figure":
            return []
        size = len(_norm(box.text_content()))
        if size > max(map(len, alts)) + 120:  # a box with more than the image and its caption
            return []
        found = [el for el in box.iter(*_CAPTION_TAGS) if _norm(el.text_content()) in alts]
        if found:
            return found if size <= max(len(_norm(el.text_content())) for el in found) + 120 else []
        box = box.getparent()
    return []


_CLASSED = etree.XPath("//body//*[@class]")
_CAPTIONED = etree.XPath("//body//img[@alt or @title]")
_LISTS = etree.XPath("//body//ul | //body//ol")


def _candidates(tree) -> tuple[list, list, list]:
    """The classed elements, the images with alt or title text and the lists inside the body,
    each in document order. One walk of the body (libxml2's ``//body//…`` XPaths cost twice
    as much: they sort out duplicates); the XPaths for a page with several bodies."""
    bodies = list(tree.getroottree().getroot().iter("body"))
    if len(bodies) > 1:
        return _CLASSED(tree), _CAPTIONED(tree), _LISTS(tree)
    classed, images, lists = [], [], []
    for el in bodies[0].iterdescendants(etree.Element) if bodies else ():
        if el.get("class") is not None:
            classed.append(el)
        tag = el.tag
        if tag == "img":
            if el.get("alt") is not None or el.get("title") is not None:
                images.append(el)
        elif tag == "ul" or tag == "ol":
            lists.append(el)
    return classed, images, lists


def prune_chrome(tree) -> dict[str, int]:
    """Drop such elements from ``tree`` in place; returns counts by kind."""
    counts: dict[str, int] = {}
    doomed = []
    kinds = _KINDS
    classed, images, lists = _candidates(tree)
    for el in classed:
        tag = el.tag
        if tag in _KEEP_TAGS:
            continue
        kind = kinds.get((tag, el.get("class")), "?")  # the cache first: most classes are nothing
        why = _why(el) if kind == "?" else _long_enough(el, kind)
        if why:
            doomed.append(el)
            counts[why] = counts.get(why, 0) + 1
    for img in images:
        for el in _uncaptioned(img):
            doomed.append(el)
            counts["caption"] = counts.get("caption", 0) + 1
    for el in lists:
        if _link_only_list(el):
            doomed.append(el)
            counts["link_list"] = counts.get("link_list", 0) + 1
    for el in doomed:
        if el.getparent() is not None:
            el.drop_tree()  # keeps the tail text, which belongs to the parent
    return counts
