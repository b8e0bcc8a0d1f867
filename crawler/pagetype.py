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

    for script in doc.xpath('//script[@type="application/ld+json"]/text()'):
        try:
            walk(json.loads(script))
        except ValueError:
            continue
    return types


def is_article_page(html) -> tuple[bool, str]:
    """Returns (is_article, evidence). ``html``: str, bytes or an already parsed lxml tree."""
    if isinstance(html, lxml_html.etree._Element):
        doc = html
    else:
        try:
            doc = lxml_html.fromstring(html)
        except (ValueError, lxml_html.etree.ParserError):
            return False, "unparseable"
    types = _jsonld_types(doc)
    if types & ARTICLE_TYPES:
        return True, "json-ld"
    og = [v.strip().lower() for v in doc.xpath('//meta[@property="og:type"]/@content')]
    if og and og[0] == "article":
        return True, "og:type"
    if og and og[0] in NON_ARTICLE_OG:
        return False, f"og:type={og[0]}"
    words = sum(len(p.text_content().split()) for p in doc.xpath("//article//p | //main//p"))
    if words >= MIN_PARAGRAPH_WORDS:
        return True, "text-mass"
    return False, "no-article-evidence"
