"""Page type (crawler.pagetype): structured data, a portal's own listing, per-portal overrides,
paywalled teasers (crawler.extract)."""

import json

from crawler.config import ConfigError, parse_sources
from crawler.extract import extract_article
from crawler.pagetype import is_article_page

PARA = ("Der Gemeinderat hat am Abend über die Zukunft des Freibads beraten und eine Sanierung in zwei "
        "Abschnitten beschlossen, die im kommenden Frühjahr beginnen soll.")


def html(*, og: str | None = None, ld: dict | None = None, paras: int = 3, article: bool = False) -> str:
    head = f'<meta property="og:type" content="{og}">' if og else ""
    if ld is not None:
        head += f'<script type="application/ld+json">{json.dumps(ld)}</script>'
    body = "".join(f"<p>Abschnitt {i + 1}: {PARA}</p>" for i in range(paras))
    body = f"<article>{body}</article>" if article else f"<div>{body}</div>"
    return f"<html><head>{head}</head><body>{body}</body></html>"


def test_listed_pages_are_articles_unless_clearly_empty():
    page = html(og="website", paras=3)  # a match report: og:type=website, no <article>
    assert is_article_page(page) == (False, "og:type=website")
    assert is_article_page(page, listed=True) == (True, "listed")
    assert is_article_page(html(og="website", paras=0), listed=True) == (False, "listed-but-empty")


def test_portal_article_types_and_force_article():
    page = html(og="website", ld={"@type": "WebPage"}, paras=1)
    assert is_article_page(page)[0] is False
    assert is_article_page(page, article_types=("WebPage",)) == (True, "json-ld")
    assert is_article_page(html(og="video.other", paras=0), article_types=("video.other",)) == (True, "og:type")
    assert is_article_page(html(paras=0), force=True) == (True, "forced")


def test_sources_keys_for_page_type():
    toml = """[[portal]]
name = "p"
feeds = ["https://p.test/rss.xml"]
article_types = ["WebPage"]
force_article = true
"""
    portal = parse_sources(toml).portal("p")
    assert portal.article_types == ("webpage",) and portal.force_article is True
    try:
        parse_sources(toml.replace("force_article = true", 'force_article = "ja"'))
    except ConfigError as exc:
        assert "force_article" in str(exc)
    else:
        raise AssertionError("a non-boolean force_article must be refused")


def test_paywalled_teaser_is_flagged():
    ld = {"@type": "NewsArticle", "headline": "Freibad", "isAccessibleForFree": "False"}
    art = extract_article(html(ld=ld, paras=2, article=True), "https://p.test/a.html")
    assert art["paywalled"] is True and art["paywall"] == "json-ld"
    full = extract_article(html(ld=ld, paras=12, article=True), "https://p.test/a.html")
    assert full["paywalled"] is False  # the full text came through
    free = extract_article(html(ld={"@type": "NewsArticle"}, paras=2, article=True), "https://p.test/a.html")
    assert free["paywalled"] is False


def test_a_subscription_box_under_a_full_article_is_no_paywall():
    box = '<div class="paywall-teaser"><p>Jetzt abonnieren: alle Artikel ab 0,99 Euro.</p></div>'
    def page(paras):
        return html(paras=paras, article=True).replace("</article>", "</article>" + box)
    teaser = extract_article(page(1), "https://p.test/a.html")
    assert teaser["paywalled"] is True and teaser["paywall"] == "markup"  # one paragraph, then the box
    full = extract_article(page(5), "https://p.test/a.html")
    assert full["paywalled"] is False, len(full["text"])  # a short but whole article above an upsell box
