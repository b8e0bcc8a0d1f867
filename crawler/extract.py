"""Main text and metadata of one article page.

The main text comes from trafilatura (one block per line); we add what it misses on German
news pages: the lead/teaser paragraph it often drops, a dateline split off the first paragraph,
and metadata with time zones (see ``crawler.extraction``). The page is parsed once.
"""

from __future__ import annotations

import logging
import re
from typing import Sequence

from trafilatura import bare_extraction

from crawler.cleaning.link_labels import strip_link_labels
from crawler.extraction.metadata import extract_metadata
from crawler.extraction.parse import load_html
from crawler.extraction.prune import prune_chrome

logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
logging.getLogger("htmldate").setLevel(logging.CRITICAL)

_WS = re.compile(r"\s+")
PAYWALL_TEASER_CHARS = 2000  # a page behind a paywall with less text than this shows a teaser only
# Paywall markup alone (a subscription box) also sits under free articles: only a text as short
# as a teaser of a paragraph or two counts as cut off behind it.
PAYWALL_MARKUP_TEASER_CHARS = 700

DATELINE_RE = re.compile(
    r"^(?P<place>[A-ZÄÖÜ][\w.'’-]*(?:[ /][A-ZÄÖÜa-zäöü][\w.'’-]*){0,3})?\s*"
    r"\((?P<agency>[A-Za-z][A-Za-z./ -]{0,23}?)\)\s*[-–—:]\s+(?P<rest>\S.*)$", re.S)

LEAD_CLASS_RE = re.compile(
    r"^(?:[\w-]*[-_])?(?:lead|intro|summary|chapo|standfirst|abstract|teaser-?text|article-?teaser|subline|"
    r"description|documentDescription)(?:[-_]{1,2}(?:text|copy|paragraph|content))?$", re.I)
_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "ul", "ol", "table", "section", "header", "figure"}
_SKIP_ANCESTORS = {"a", "nav", "footer", "aside", "form", "button", "li", "figcaption", "figure"}


def _norm(s: str) -> str:
    return _WS.sub(" ", s).strip()


def split_dateline(paragraph: str) -> tuple[dict | None, str]:
    """``"Herford (dpa) – Die ..."`` -> ``({"place": "Herford", "agency": "dpa"}, "Die ...")``."""
    m = DATELINE_RE.match(paragraph)
    if not m:
        return None, paragraph
    agency = m["agency"].strip()
    if any(ch.isdigit() for ch in agency) or len(agency.split()) > 3:
        return None, paragraph
    rest = m["rest"]
    if not (rest[:1].isupper() or rest[:1] in "„\"»‚'"):
        return None, paragraph
    place = (m["place"] or "").strip() or None
    return {"place": place, "agency": agency}, rest


def _drop(tree, selectors: Sequence[str]) -> None:
    for sel in selectors:
        try:
            nodes = tree.cssselect(sel)
        except Exception:  # invalid selector: ignore, config validation reports it
            continue
        for node in nodes:
            parent = node.getparent()
            if parent is not None:
                node.drop_tree()


_LEAD_CLASSES: dict[str, bool] = {}  # class attribute -> has a lead class token (pages repeat their classes)


def _lead_class(cls: str) -> bool:
    found = _LEAD_CLASSES.get(cls)
    if found is None:
        if len(_LEAD_CLASSES) > 100_000:
            _LEAD_CLASSES.clear()
        found = _LEAD_CLASSES[cls] = any(LEAD_CLASS_RE.match(tok) for tok in cls.split())
    return found


def _recover_lead(tree, lines: list[str], description: str | None, title: str | None) -> tuple[int, str] | None:
    """The lead paragraph trafilatura dropped: the block that repeats the meta description, or
    a lead/intro/teaser-classed block, if it sits before the extracted body text. Returns
    (line index to insert at, text)."""
    body = tree.find(".//body")
    if body is None or not lines:
        return None
    title_n = _norm(title or "").lower()
    anchor_idx = next((i for i, ln in enumerate(lines[:6])
                       if len(ln.split()) >= 6 and _norm(ln).lower() != title_n), None)
    if anchor_idx is None:
        return None
    anchor = _norm(lines[anchor_idx])[:25]
    desc = _norm(description or "").rstrip(".…") if description else ""
    desc_key = desc[:50] if len(desc) >= 50 else None
    # a normalised text holds the anchor only if the raw text holds its first word: a cheap test first
    anchor_word, desc_word = anchor.split(" ")[0], desc_key.split(" ")[0] if desc_key else None
    desc_el, class_els = None, []
    found_anchor = False
    for node in body.iter():
        if not isinstance(node.tag, str) or node.tag in ("script", "style", "noscript", "template"):
            continue
        text = node.text
        if text and anchor_word in text and anchor in _norm(text):
            found_anchor = True
            break
        if desc_el is None and desc_key and text and desc_word in text and desc_key in _norm(text):
            desc_el = node
            continue
        cls = node.get("class")
        if cls and node.tag in ("p", "div", "h2", "section") and len(class_els) < 5 and _lead_class(cls):
            class_els.append(node)
    candidates = ([desc_el] if desc_el is not None else []) + (class_els if found_anchor else [])
    for el in candidates:
        text = _lead_text(el, lines)
        if text:
            return anchor_idx, text
    return None


def _lead_text(el, lines: list[str]) -> str | None:
    if el.tag in ("strong", "b", "span", "em", "i"):
        parent = el.getparent()
        if parent is not None and parent.tag in ("p", "div", "h2"):
            el = parent
    anc = el
    while anc is not None:
        if anc.tag in _SKIP_ANCESTORS:
            return None
        anc = anc.getparent()
    if any(isinstance(d.tag, str) and d.tag in _BLOCKS for d in el.iterdescendants()):
        # a wrapper (kicker, title, byline, lead ...): take its longest paragraph
        paras = [d for d in el.iterdescendants("p")]
        if not paras:
            return None
        el = max(paras, key=lambda d: len(d.text_content()))
    text = _norm(el.text_content())
    if not (60 <= len(text) <= 1200) or "|" in text:
        return None
    joined = _norm(" ".join(lines))
    if text[:60] in joined:
        return None
    return text


_DE_WORDS = frozenset("der die das und ist nicht sich mit den von auf für dem des eine ein auch wird im zu es".split())
_EN_WORDS = frozenset("the and is of to in that it for with was on are as be this by have from".split())


def guess_language(text: str) -> str | None:
    words = re.findall(r"[a-zäöüß]+", text[:3000].lower())
    de = sum(w in _DE_WORDS for w in words)
    en = sum(w in _EN_WORDS for w in words)
    if de + en < 5:
        return None
    return "de" if de >= en else "en"


def _drop_heading(lines: list[str], heading: str) -> list[str]:
    """The displayed headline (maybe with its kicker run into it) among the first lines, when
    the title is another wording of it: clean_text's headline rule knows only the title."""
    hk = re.sub(r"[\W_]+", "", heading.casefold())
    for i, ln in enumerate(lines[:5]):
        lk = re.sub(r"[\W_]+", "", ln.casefold())
        if len(hk) >= 12 and lk.endswith(hk) and len(lk) - len(hk) <= 60:
            return lines[:i] + lines[i + 1:]
    return lines


def extract_article(
    html: bytes | str,
    url: str | None = None,
    *,
    timezone: str = "Europe/Berlin",
    drop_selectors: Sequence[str] = (),
    language: str | None = None,
) -> dict:
    """Main text (one block per line) and metadata of an article page. Never raises on bad
    HTML: an unparseable page gives empty text and ``None`` metadata."""
    result = {"url": url, "canonical_url": None, "title": None, "text": "", "authors": [],
              "published": None, "modified": None, "section": None, "dateline": None,
              "language": language, "paywalled": False, "paywall": None}
    tree = load_html(html)
    if tree is None:
        return result
    try:
        meta = extract_metadata(tree, url, timezone)
    except Exception:  # odd markup must not cost us the text; metadata stays empty
        logging.getLogger(__name__).warning("metadata extraction failed for %s", url, exc_info=True)
        meta = {"title": None, "authors": [], "published": None, "modified": None, "section": None,
                "language": None, "canonical_url": None, "description": None}
    if drop_selectors:
        _drop(tree, drop_selectors)
    prune_chrome(tree)
    strip_link_labels(tree)
    doc = bare_extraction(tree, url=url, include_comments=False, with_metadata=False)
    raw = (doc.text if doc is not None else "") or ""
    lines = [ln.strip() for ln in raw.split("\n")]
    lines = [ln for ln in lines if ln]
    if meta.get("heading"):
        lines = _drop_heading(lines, meta["heading"])
    lead = _recover_lead(tree, lines, meta.get("description"), meta.get("title"))
    if lead:
        lines.insert(*lead)
    dateline = None
    for i, ln in enumerate(lines[:3]):
        dateline, rest = split_dateline(ln)
        if dateline:
            lines[i] = rest
            break
    text = "\n".join(lines)
    result.update({k: meta[k] for k in ("canonical_url", "title", "authors", "published", "modified", "section")})
    result["text"] = text
    result["dateline"] = dateline
    # only a teaser behind a paywall: declared or marked, and no full text came through
    limit = PAYWALL_MARKUP_TEASER_CHARS if meta.get("paywall") == "markup" else PAYWALL_TEASER_CHARS
    if meta.get("paywall") and len(text) < limit:
        result["paywalled"], result["paywall"] = True, meta["paywall"]
    result["language"] = meta.get("language") or guess_language(text) or language
    return result
