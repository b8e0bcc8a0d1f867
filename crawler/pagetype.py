"""Is a fetched page an article? Structured data first, text mass as the fallback."""

from __future__ import annotations

import json

from lxml import html as lxml_html

ARTICLE_TYPES = {
    "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
    "backgroundnewsarticle", "reviewnewsarticle", "blogposting", "liveblogposting", "report",
}
NON_ARTICLE_OG = {"website", "video.other", "profile", "product", "music.song"}
MIN_PARAGRAPH_WORDS = 120
MIN_LISTED_WORDS = 40  # a page the portal's feed or sitemap lists is an article unless this empty


_JSONLD_TEXT = lxml_html.etree.XPath('//script[@type="application/ld+json"]/text()')
_OG_TYPE = lxml_html.etree.XPath('//meta[@property="og:type"]/@content')


def _jsonld_types(doc) -> set[str]:
    types: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            t = node.get("@type")
            for v in t if isinstance(t, list) else [t]:
                if isinstance(v, str):
                    types.add(v.lower())
            for key in ("@graph", "mainEntity", "mainEntityOfPage"):
                walk(node.get(key))
        elif isinstance(node, list):
            for n in node:
                walk(n)

    for script in _JSONLD_TEXT(doc):
        try:
            walk(json.loads(script))
        except ValueError:
            continue
    return types


def _paragraph_words(doc, xpath: str) -> int:
    return sum(len(p.text_content().split()) for p in doc.xpath(xpath))


def is_article_page(html, *, listed: bool = False, article_types=(), force: bool = False) -> tuple[bool, str]:
    """Returns (is_article, evidence). ``html``: str, bytes or an already parsed lxml tree.

    ``listed``: the portal's own feed or sitemap announced the URL and it matches the portal's
    article pattern: then it is an article unless it is clearly empty (``og:type=website`` or
    little text inside ``<article>`` do not count against it). ``article_types``: the portal's
    extra schema.org / og:type types of articles; ``force``: every such page is an article."""
    if isinstance(html, lxml_html.etree._Element):
        doc = html
    else:
        try:
            doc = lxml_html.fromstring(html)
        except (ValueError, lxml_html.etree.ParserError):
            return False, "unparseable"
    if force:
        return True, "forced"
    extra = {t.lower() for t in article_types}
    types = _jsonld_types(doc)
    if types & (ARTICLE_TYPES | extra):
        return True, "json-ld"
    og = [v.strip().lower() for v in _OG_TYPE(doc)]
    if og and (og[0] == "article" or og[0] in extra):
        return True, "og:type"
    if listed:
        if _paragraph_words(doc, "//body//p") >= MIN_LISTED_WORDS:
            return True, "listed"
        return False, "listed-but-empty"
    if og and og[0] in NON_ARTICLE_OG:
        return False, f"og:type={og[0]}"
    if _paragraph_words(doc, "//article//p | //main//p") >= MIN_PARAGRAPH_WORDS:
        return True, "text-mass"
    return False, "no-article-evidence"
