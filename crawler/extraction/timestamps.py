"""Publication and modification time: JSON-LD, meta tags (also non-standard names such as
``article:published:time`` or ``cXenseParse:recs:publishtime``), ``<time>`` elements, labelled
or date-classed visible text ("Do 25.04.24 | 14:07 Uhr", ``Date.toString()`` forms), the URL.
Published and modified come from separate evidence; a modification not after the publication
is dropped."""

from __future__ import annotations

import re

from crawler.extraction.dates import date_from_url, dates_in_text, parse_date, to_iso
from crawler.extraction.markup import Page, clean, key

# meta names (compared as keys: letters and digits only) in order of trust
_PUBLISHED_META = ("articlepublishedtime", "ogpublishedtime", "datepublished", "publishdate", "publishdatetime",
                   "pubdate", "publicationdate", "publishedtime", "dcdateissued", "dctermsissued", "dcdatecreated",
                   "dctermscreated", "date", "dcdate", "dctermsdate", "parselypubdate", "sailthrudate",
                   "cxenseparserecspublishtime", "firstpublished", "releasedate", "datecreated")
_MODIFIED_META = ("articlemodifiedtime", "ogupdatedtime", "datemodified", "lastmodified", "dcdatemodified",
                  "dctermsmodified", "modifieddate", "updatedtime", "articleupdatedtime", "lastupdated")
_HINT_WORDS = ("Stand", "Aktualisiert", "Veröffentlicht", "Erschienen", "Publiziert", "Erstellt", "Letzte Änderung",
               "Updated", "Published", "Posted")
_DATE_HINT = re.compile("(" + "|".join(_HINT_WORDS) + ")", re.I)
_LOWER_HINT = re.compile("|".join(w.lower() for w in _HINT_WORDS))  # case-sensitive: one C-level scan
# what re.I matches beyond str.lower() for these letters: "ſ" ~ s, "ı" ~ i, and "İ" (lowered to two characters)
UNLOWERED = ("ſ", "ı", "İ")
_MODIFIED_HINT = re.compile(r"stand|aktualisiert|update|geändert|änderung|modified", re.I)


def has_hint(text: str) -> bool:
    """``_DATE_HINT.search(text)``, faster: the lowered text searched case-sensitively (a
    case-insensitive regex is tried at every position; the body's text nodes are many)."""
    if "ſ" in text or "ı" in text or "İ" in text:  # UNLOWERED
        return _DATE_HINT.search(text) is not None
    return _LOWER_HINT.search(text.lower()) is not None


def _meta_by_key(page: Page) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in page.meta.items():
        out.setdefault(key(k), v)
    return out


def _first(values, tz):
    for v in values:
        if isinstance(v, list):
            v = v[0] if v else None
        dt = parse_date(v, tz) if v else None
        if dt is not None:
            return dt
    return None


def _from_meta(page: Page, names, fuzzy: tuple[str, ...]):
    metas = _meta_by_key(page)
    dt = _first([metas.get(n) for n in names], page.tz)
    if dt is None:  # any other name that says what it is
        dt = _first([v for k, v in metas.items() if any(f in k for f in fuzzy) and k not in names], page.tz)
    return dt


def _time_elements(page: Page):
    """(published, modified) from ``<time>``/itemprop elements of the page."""
    marks, pub, mod = page.marks, None, None
    for el in marks.published:
        pub = pub or parse_date(el.get("datetime") or el.get("content") or el.text_content(), page.tz)
    for el in marks.modified:
        mod = mod or parse_date(el.get("datetime") or el.get("content") or el.text_content(), page.tz)
    if pub is None:
        for el in marks.times:
            label = clean(" ".join(filter(None, [el.getparent().text if el.getparent() is not None else "",
                                                   el.text_content()])))
            dt = parse_date(el.get("datetime"), page.tz)
            if dt is not None and not _MODIFIED_HINT.search(label):
                pub = dt
                break
            mod = mod or dt
    return pub, mod


def _visible(page: Page):
    """(published, modified) from labelled text nodes and date-classed elements."""
    body = page.body
    if body is None:
        return None, None
    parts = []
    for node in body.iter():
        if not isinstance(node.tag, str) or node.tag in ("script", "style"):
            continue
        for t, inside in ((node.text, True), (node.tail, False)):
            if t and has_hint(t):  # a label in the element's own text: the date may be in its children
                parts.append(clean(node.text_content())[:len(t) + 80] if inside else t.strip())
        if len(parts) > 5:
            break
    pub, mod = dates_in_text("\n".join(parts), page.tz)
    if pub is None:  # a date-classed element ("Do 25.04.24 | 14:07 Uhr"); one with a time first
        day_only = None
        for el in page.marks.date_boxes:
            text = clean(el.text_content())
            dt = parse_date(text, page.tz) if 6 <= len(text) <= 80 and not _MODIFIED_HINT.search(text) else None
            if dt is not None and (dt.hour or dt.minute):
                return dt, mod
            day_only = day_only or dt
        pub = day_only
    return pub, mod


def pick_dates(page: Page) -> tuple[str | None, str | None]:
    """(published, modified) as ISO 8601 with offset."""
    art = page.article
    pub = _first([art.get("datePublished")], page.tz) or _from_meta(page, _PUBLISHED_META, ("publish", "pubdate"))
    mod = _first([art.get("dateModified")], page.tz) or _from_meta(page, _MODIFIED_META, ("modif", "updated"))
    if pub is None or mod is None:
        tpub, tmod = _time_elements(page)
        pub, mod = pub or tpub, mod or tmod
    if pub is None or mod is None:
        vpub, vmod = _visible(page)
        pub, mod = pub or vpub, mod or vmod
    pub = pub or _first([art.get("dateCreated")], page.tz) or date_from_url(page.url, page.tz)
    if pub is None and mod is not None:  # a lone "Stand:" stamp is the best publication date we have
        pub = mod
    if mod is not None and pub is not None and mod <= pub:
        mod = None  # not modified after publication
    return to_iso(pub), to_iso(mod)
