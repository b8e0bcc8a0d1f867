"""The authors: people (and the agencies or organisations the site itself declares as author).

Order of evidence: the JSON-LD article's ``author`` (persons, ``givenName`` + ``familyName``
joined; organisations it lists next to persons kept), author meta tags (``author``,
``article:author``, ``dc.creator``, "Written by" label/data pairs ...), then the byline in the
page (author-classed elements, links to author pages, "Von …" lines). E-mail addresses, URLs,
the site's own name and agency boilerplate ("© dpa-infocom", "Mit Material von …") are not
authors; an author that is only the site's name gives way to the people of the byline.
"""

from __future__ import annotations

import re

from crawler.extraction.markup import Page, clean, is_site_name, types, visible_text

_SPLIT = re.compile(r"\s*(?:,|;|\bund\b|\band\b|&|/|\||•)\s*")
_PREFIX = re.compile(r"^(?:(?:ein\s+)?(?:beitrag|text|artikel|kommentar|analyse|interview|gastbeitrag)\s+)?"
                     r"(?:von|by|text|autor(?:in)?|autoren|verfasst\s+von|geschrieben\s+von|written\s+by|"
                     r"quelle|source)\s*:?\s+", re.I)
_CUT = re.compile(r"\s+(?:\||•|·|Stand|Aktualisiert|Veröffentlicht|Update|Lesezeit|\d{1,2}\.\s?\d{1,2}\.|\d{1,2}\.\s+[A-ZÄÖÜ][a-zä]+\s+\d{4}|\d{4}-\d\d)"
                  r".*$", re.S)
_BOILER = re.compile(r"©|\bmaterial\b|\bagentur|infocom|\bmit\s+\w+\b|\d|@|https?:|www\.", re.I)
_AGENCIES = {"dpa", "afp", "ap", "sda", "apa", "kna", "epd", "reuters", "dts", "sid", "efe", "ddp", "ots", "idea",
             "rtr", "afp/dpa", "dpa/afp", "lnw", "lno", "lni", "lsw", "lby", "lhe"}
_TITLES = r"(?:(?:Dr|Prof|Dipl|Ing|Mag)\.\s?)*"
_NAME = re.compile(r"^" + _TITLES + r"[A-ZÄÖÜÉ][\w'’.-]*(?:\s+(?:(?:von|van|de|der|den|zu|du|le|la|di|da|al|el|y)\s+)?"
                   r"[A-ZÄÖÜÉ][\w'’.-]*){1,4}$")
_NOT_BYLINE = re.compile(r"quote|comment|kommentar|teaser|related|avatar|image|bild|foto|photo|credit|copyright|"
                         r"bio|box|social|share|follow", re.I)
_TEASER_ANCESTOR = re.compile(r"teaser|related|comment|kommentar|recommend|empfehl", re.I)
_LINK_HREF = re.compile(r"/(?:autor(?:en|in)?|authors?|redaktion/mitarbeiter|profil)/", re.I)
_AUTHOR_META = ("author", "article:author", "dc.creator", "dcterms.creator", "sailthru.author", "parsely-author",
                "cxenseparse:author", "byl")


def is_agency(name: str) -> bool:
    return name.strip().lower() in _AGENCIES


def is_person(name: str) -> bool:
    return bool(_NAME.match(name)) and not _BOILER.search(name) and len(name) <= 60


def names_from_text(text: str, page: Page) -> list[str]:
    """People and agencies of a byline/author string; everything else is dropped."""
    text = _CUT.sub("", _PREFIX.sub("", clean(text)))
    out = []
    for part in _SPLIT.split(text):
        part = _PREFIX.sub("", part.strip(" .:()[]–-"))
        if not part or is_site_name(part, page):
            continue
        if is_agency(part) or (is_person(part) and not _all_caps_org(part)):
            out.append(part)
    return out


def _all_caps_org(name: str) -> bool:
    """"MDR THÜRINGEN": capitals only, not a person's name."""
    letters = [w for w in name.split() if len(w) > 1]
    return bool(letters) and all(w.isupper() for w in letters)


def _ld_authors(page: Page) -> tuple[list[str], list[str]]:
    """(persons, organisations) of the JSON-LD article's ``author``."""
    persons, orgs = [], []
    stack = [page.article.get("author")]
    while stack:
        v = stack.pop(0)
        if isinstance(v, list):
            stack[:0] = v
        elif isinstance(v, str):
            persons.extend(names_from_text(v, page))
        elif isinstance(v, dict):
            name = clean(v.get("name")) or clean(f"{v.get('givenName') or ''} {v.get('familyName') or ''}")
            if not name or _BOILER.search(name) or len(name) > 80:
                continue
            if types(v) & {"organization", "newsmediaorganization", "corporation"}:
                orgs.append(name)
            else:  # "A und B, dpa" in one name is split; a declared name is otherwise taken as it is
                split = names_from_text(name, page)
                persons.extend(split if len(split) > 1 else [name])
    return persons, orgs


def _meta_authors(page: Page) -> list[str]:
    m = page.meta
    values = [m.get(k) for k in _AUTHOR_META]
    for i in range(1, 5):  # Yoast and friends: twitter:label1 "Written by" / twitter:data1 "Name"
        if re.match(r"(?i)written by|verfasst von|geschrieben von|autor", m.get(f"twitter:label{i}", "")):
            values.append(m.get(f"twitter:data{i}"))
    values.append(m.get("twitter:misc:written by"))
    for v in values:
        names = names_from_text(v, page) if v else []
        if names:
            return names
    return []


def byline_authors(page: Page) -> list[str]:
    body = page.body
    if body is None:
        return []
    for el in page.marks.bylines:
        if _NOT_BYLINE.search(el.get("class") or "") or _in_teaser(el):
            continue
        text = visible_text(el)
        if re.match(r"(?i)(?:foto|bild|photo|image|grafik)s?\s*:", text):
            continue
        if 3 <= len(text) <= 160:
            names = names_from_text(text, page)
            if names:
                return names
    for a in body.iter("a"):
        href = a.get("href") or ""
        if _LINK_HREF.search(href) and not _in_teaser(a):
            names = names_from_text(visible_text(a), page)
            if names:
                return names
    return []


def _in_teaser(el) -> bool:
    """Inside a teaser of another article (a link card) or a comment section."""
    node = el.getparent()
    while node is not None:
        if node.tag in ("aside", "footer") or _TEASER_ANCESTOR.search(node.get("class") or ""):
            return True
        node = node.getparent()
    return False


def pick_authors(page: Page) -> list[str]:
    persons, orgs = _ld_authors(page)
    site_only = [p for p in persons if is_site_name(p, page)]
    if len(site_only) < len(persons):  # organisations declared next to people stay (an agency, the newsroom)
        return _unique(persons + orgs)
    found = _meta_authors(page) or byline_authors(page)
    if any(not is_agency(n) for n in found) or (found and not (orgs or site_only)):
        # a lone organisation that is the site itself gives way to the byline's people
        return _unique(found + [o for o in orgs if not is_site_name(o, page)])
    return _unique(site_only + orgs)


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(n for n in names if n))
