"""Everything the crawl needs from one fetched page, from one parse: is it an article, what
does it link to, and (for articles) main text and metadata. Runs in a worker process: takes and
returns plain values."""

from __future__ import annotations

from crawler.engine.links import outlinks, stylesheets
from crawler.engine.options import PageOptions  # noqa: F401  (defined there: the crawl process needs it without the extraction)
from crawler.extract import extract_article
from crawler.extraction.parse import load_html
from crawler.pagetype import is_article_page


def analyze_page(html: str, url: str, options: PageOptions = PageOptions(), *, article: bool = True,
                 listed: bool = False) -> dict:
    """``{"is_article", "evidence", "outlinks", "stylesheets", "article"}``; ``article`` (the fields of
    :func:`crawler.extract.extract_article`) only for article pages when ``article`` is true
    (listing pages only need their links). ``listed``: the portal's feed or sitemap announced
    the URL and it matches the article pattern (see :func:`crawler.pagetype.is_article_page`)."""
    tree = load_html(html) if html else None
    if tree is None:
        return {"is_article": False, "evidence": "unparseable" if html else "not-html", "outlinks": [], "article": None}
    links = outlinks(tree, url)  # before extraction, which prunes the tree
    if not article:
        return {"is_article": False, "evidence": "listing", "outlinks": links, "article": None}
    is_article, evidence = is_article_page(tree, listed=listed, article_types=options.article_types,
                                           force=options.force_article)
    fields, styles = None, []
    if is_article:
        styles = stylesheets(tree, url)
        fields = extract_article(tree, url, timezone=options.timezone, drop_selectors=options.drop_selectors,
                                 language=options.language)
    return {"is_article": is_article, "evidence": evidence, "outlinks": links, "stylesheets": styles,
            "article": fields}


def warm_up() -> None:
    """Run once in each new worker: the first real page does not pay for lazy initialisation."""
    analyze_page("<html><head><title>x</title></head><body><article><p>Text.</p></article></body></html>",
                 "http://localhost/")
