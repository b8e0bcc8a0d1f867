"""The title: the headline the page displays, in the site's own wording.

Candidates are the page's headings (``h1``/``h2``, a kicker span split off) and its declared
titles (``og:title``, ``twitter:title``, the JSON-LD headline, ``<title>``), entities decoded
and site-name suffixes ("… | Börsen-Zeitung", "… - n-tv.de") stripped. The displayed headline is
the heading that looks most like the article's own: an ``h1`` before an ``h2``, inside
``article``/``header`` rather than a breadcrumb or navigation (where many portals put a second,
search-engine headline), split into kicker and headline, and repeated by a declared title. A
declared title equal to it, or to kicker/rubric + headline ("Nach Gaetz-Rückzug: …"), is taken
in the site's wording; without a plausible heading the declared titles decide, and so do three
or more declared titles in one wording that an unconfirmed heading only shares words with (the
heading is then a display variant; its line in the text is dropped as a headline repeat).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crawler.extraction.markup import Page, clean, is_site_name, key, visible_text

_SUFFIX = re.compile(r"(?:\s+[|–—·»-]\s+|\s*\|\s*)([^|–—·»]{2,60})$")
_HIDDEN_CLASS = re.compile(r"crumb|seo|sr-only|visually-?hidden|screen-?reader|offscreen", re.I)
_SKIP_ANCESTORS = {"a", "aside", "footer", "figure", "form", "button", "figcaption"}
_NAV_ANCESTORS = {"nav", "li", "ol", "ul"}
_ARTICLE_ANCESTORS = {"article", "header", "hgroup", "main"}
_MAX_HEADINGS = 60


@dataclass
class Heading:
    headline: str
    kicker: str | None
    score: int
    confirmed: bool  # a declared title repeats (or largely overlaps) it
    h1: bool


def strip_site(title: str, page: Page) -> str:
    """``"Titel | Rubrik | Börsen-Zeitung"`` -> ``"Titel"`` (only suffixes that name the site,
    plus a rubric segment right before one)."""
    out = title
    for _ in range(3):
        m = _SUFFIX.search(out)
        if not m or not is_site_name(m.group(1), page):
            break
        out = out[:m.start()].rstrip()
    return out or title


def declared_titles(page: Page) -> list[str]:
    m, art = page.meta, page.article
    values = [m.get("og:title"), m.get("twitter:title"), art.get("headline") if isinstance(art.get("headline"), str)
              else None, m.get("title"), m.get("dc.title")]
    t = page.tree.find(".//title")
    values.append(t.text_content() if t is not None else None)
    # every source's value, repeats kept: agreement between sources is evidence
    return [t for t in (strip_site(clean(v), page) if v else "" for v in values) if t]


def _split_kicker(el) -> tuple[str | None, str]:
    """(kicker, headline) of a heading built as kicker element + headline element."""
    full = visible_text(el)
    if (el.text or "").strip():
        return None, full
    kids = [c for c in el if isinstance(c.tag, str) and c.tag not in ("script", "style", "br", "template")]
    texts = [(c, visible_text(c)) for c in kids]
    texts = [(c, t) for c, t in texts if len(t.strip(":–—-|· ")) > 1]
    if len(texts) < 2 or any((c.tail or "").strip() for c in kids):
        return None, full
    kicker = texts[0][1].rstrip(": ")
    headline = " ".join(t for _, t in texts[1:])
    if len(kicker) > 90 or len(headline.split()) < 2:
        return None, full
    return kicker, headline


def _structure_score(el) -> int:
    score = 2 if el.tag == "h1" else 1
    penalised = inside_article = False
    node = el
    while node is not None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if node is not el and tag in _SKIP_ANCESTORS:
            return -99
        if tag in _NAV_ANCESTORS or _HIDDEN_CLASS.search(node.get("class") or "") or node.get("hidden") is not None:
            penalised = True
        inside_article = inside_article or tag in _ARTICLE_ANCESTORS
        node = node.getparent()
    return score - 2 * penalised + inside_article


def _overlap(a: str, b: str) -> float:
    ta, tb = set(re.findall(r"\w+", a.casefold())), set(re.findall(r"\w+", b.casefold()))
    return len(ta & tb) / max(1, len(ta | tb))


def headings(page: Page, declared: list[str]) -> list[Heading]:
    body = page.body
    if body is None:
        return []
    keys = {key(d) for d in declared}
    out = []
    for i, el in enumerate(body.iter("h1", "h2")):
        if i >= _MAX_HEADINGS:
            break
        score = _structure_score(el)
        if score < -9:
            continue
        kicker, headline = _split_kicker(el)
        if not 8 <= len(headline) <= 300:
            continue
        score += kicker is not None
        confirmed = True
        if key(headline) in keys or (kicker and key(kicker + headline) in keys) or key(visible_text(el)) in keys:
            score += 3
        elif declared and max(_overlap(headline, d) for d in declared) >= 0.5:
            score += 1
        else:
            confirmed = False
        out.append(Heading(headline, kicker, score, confirmed, el.tag == "h1" and score >= 2))
    return out


def _in_site_wording(head: Heading, declared: list[str]) -> str:
    hk = key(head.headline)
    if any(key(d) == hk for d in declared):
        return head.headline
    # the site's own "kicker: headline" form, when its declared titles agree on it
    for d in declared:
        dk = key(d)
        if dk.endswith(hk) and len(dk) > len(hk) and re.search(r"[:|–—-]\s*" + re.escape(head.headline[:12]), d) \
                and sum(key(x) == dk for x in declared) >= 2:
            return d
    return head.headline


def _unanimous(declared: list[str], head: Heading) -> bool:
    """Three or more declared titles (og, twitter, JSON-LD, ``<title>`` ...) in one wording that
    the heading does not repeat but shares words with: the article's own title, the heading a
    display variant of it (a different teaser line under the same kicker)."""
    if len(declared) < 3 or len({key(d) for d in declared}) != 1:
        return False
    shared = set(re.findall(r"\w{4,}", f"{head.kicker or ''} {head.headline}".casefold()))
    return len(shared & set(re.findall(r"\w{4,}", declared[0].casefold()))) >= 2


def pick_title(page: Page) -> str | None:
    return pick_title_heading(page)[0]


def pick_title_heading(page: Page) -> tuple[str | None, str | None]:
    """(title, displayed heading when the title is not it): the heading's line in the text is
    then a headline repeat all the same."""
    declared = declared_titles(page)
    heads = headings(page, declared)
    best = max(heads, key=lambda h: h.score, default=None)  # first of equals: document order
    if best is not None and best.score >= 2 and (best.confirmed or best.h1):
        if not best.confirmed and _unanimous(declared, best):
            return declared[0], best.headline
        return _in_site_wording(best, declared), None
    return (declared[0] if declared else (best.headline if best else None)), None
