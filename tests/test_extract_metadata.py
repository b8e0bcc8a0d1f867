"""Metadata pickers (crawler.extraction): titles, authors, dates on pages written here for each
kind of markup news portals use (SEO headline in the breadcrumb, kicker spans, organisation
authors, e-mail bylines, non-standard date meta names, JSON-LD in CDATA, textual dates)."""

import json

import pytest

from crawler.extract import extract_article

HEADLINE = "Stadtrat beschließt neue Radwege für die Innenstadt"
BODY = ("<p>Der Stadtrat hat am Dienstag mit großer Mehrheit ein Programm für neue Radwege beschlossen. "
        "Bis zum Jahr 2030 sollen mehr als zwanzig Kilometer entstehen.</p>"
        "<p>Die Verwaltung rechnet mit Kosten von rund acht Millionen Euro, die zum Teil aus Fördermitteln "
        "des Landes kommen sollen.</p>")


def page(head: str = "", body: str = "", ld: dict | None = None, cdata: bool = False) -> str:
    script = ""
    if ld is not None:
        raw = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", **ld}, ensure_ascii=False)
        raw = f"//<![CDATA[\n{raw}\n//]]>" if cdata else raw
        script = f'<script type="application/ld+json">{raw}</script>'
    return (f'<!DOCTYPE html><html lang="de"><head><meta charset="utf-8">{head}{script}</head>'
            f"<body>{body}<article>{BODY}</article></body></html>")


def meta(**kv) -> str:
    return "".join(f'<meta property="{k.replace("_", ":")}" content="{v}">' for k, v in kv.items())


URL = "https://www.lokalbote.test/stadt/radwege-100.html"


def test_displayed_headline_preferred_over_the_seo_heading_in_the_breadcrumb():
    body = ('<nav class="breadcrumbs"><ol><li><a href="/">Start</a></li>'
            '<li><h1>Radwege-Programm: Stadtrat stimmt für 20 Kilometer neue Wege</h1></li></ol></nav>'
            f'<header><h2><span class="kicker">Verkehr</span><span class="headline">{HEADLINE}</span></h2></header>')
    art = extract_article(page(meta(og_title=HEADLINE), body,
                               ld={"headline": "Radwege-Programm: Stadtrat stimmt für 20 Kilometer neue Wege"}), URL)
    assert art["title"] == HEADLINE


def test_title_entities_decoded_and_site_suffix_stripped():
    head = '<title>Lokalbote</title><meta property="og:site_name" content="Lokalbote">'
    art = extract_article(page(head, ld={"headline": "Bürgermeister: &quot;Ein guter Tag&quot; | Lokalbote"}), URL)
    assert art["title"] == 'Bürgermeister: "Ein guter Tag"'
    art = extract_article(page('<title>Hochwasser an der Weser - lokalbote.test</title>'), URL)
    assert art["title"] == "Hochwasser an der Weser"


def test_kicker_headline_form_when_the_declared_titles_agree_on_it():
    full = f"Nach dem Beschluss: {HEADLINE}"
    art = extract_article(page(meta(og_title=full, twitter_title=full), f"<article><h1>{HEADLINE}</h1></article>"), URL)
    assert art["title"] == full
    # one declared title alone with a prefix does not make the displayed headline longer
    art = extract_article(page(meta(og_title=full), f"<article><h1>{HEADLINE}</h1></article>"), URL)
    assert art["title"] == HEADLINE


def test_authors_split_joined_names_and_keep_agencies():
    art = extract_article(page(ld={"author": {"@type": "Person", "name": "Jana Beispiel und Tom Muster, dpa"}}), URL)
    assert art["authors"] == ["Jana Beispiel", "Tom Muster", "dpa"]
    art = extract_article(page(ld={"author": [{"@type": "Person", "givenName": "Lea Marie", "familyName": "Probe"}]}),
                          URL)
    assert art["authors"] == ["Lea Marie Probe"]


def test_email_author_replaced_by_the_written_by_label():
    head = ('<meta name="author" content="j.beispiel@lokalbote.test">'
            '<meta name="twitter:label1" content="Written by"><meta name="twitter:data1" content="Jana Beispiel">')
    assert extract_article(page(head), URL)["authors"] == ["Jana Beispiel"]


def test_site_name_author_gives_way_to_the_byline():
    head = '<meta property="og:site_name" content="Lokalbote"><meta name="author" content="Lokalbote Online">'
    body = '<p class="article-author">Von Jana Beispiel, Bielefeld | 12.03.2026</p>'
    art = extract_article(page(head, body, ld={"author": {"@type": "Organization", "name": "Lokalbote"}}), URL)
    assert art["authors"] == ["Jana Beispiel"]
    # no byline: the organisation the page declares stays
    art = extract_article(page(head, "", ld={"author": {"@type": "Organization", "name": "Lokalbote"}}), URL)
    assert art["authors"] == ["Lokalbote"]


def test_image_credits_and_author_page_links():
    body = ('<div class="bildautor">Foto: Bild: Archiv/Max Fotograf</div>'
            '<p class="meta-info">von <a href="/autoren/jana-beispiel">Dr. Jana Beispiel</a></p>')
    assert extract_article(page("", body), URL)["authors"] == ["Dr. Jana Beispiel"]


@pytest.mark.parametrize("head,ld,cdata,body,published", [
    ("", {"datePublished": "2026-03-12T08:15:00+01:00"}, True, "", "2026-03-12T08:15:00+01:00"),
    ('<meta name="article:published:time" content="2026-03-12T07:15:00+00:00">', None, False, "",
     "2026-03-12T07:15:00+00:00"),
    ("", None, False, '<span class="article-date">Do 12.03.26 | 14:07 Uhr</span>', "2026-03-12T14:07:00+01:00"),
    ('<meta name="publish-date" content="Thu Mar 12 2026 14:07:00 GMT+0100 (Mitteleuropäische Normalzeit)">',
     None, False, "", "2026-03-12T14:07:00+01:00"),
])
def test_published_from_every_kind_of_markup(head, ld, cdata, body, published):
    assert extract_article(page(head, body, ld=ld, cdata=cdata), URL)["published"] == published


def test_published_kept_apart_from_modified():
    head = ('<meta property="article:modified_time" content="2026-03-13T10:00:00+01:00">'
            '<meta property="article:published_time" content="2026-03-12T08:00:00+01:00">')
    art = extract_article(page(head), URL)
    assert (art["published"], art["modified"]) == ("2026-03-12T08:00:00+01:00", "2026-03-13T10:00:00+01:00")


def test_declared_title_in_one_wording_wins_over_a_display_variant_of_the_heading():
    declared = "Radwege in der Innenstadt: Stadtrat gibt grünes Licht"
    display = f'<article><h1><span class="kicker">Radwege in der Innenstadt</span> <span>{HEADLINE}</span></h1>{BODY}</article>'
    art = extract_article(page(meta(og_title=declared, twitter_title=declared) + f"<title>{declared}</title>", display), URL)
    assert art["title"] == declared
    assert HEADLINE not in art["text"]  # the displayed headline is still a headline repeat, not text
    # declared titles that disagree leave the displayed headline the title
    art = extract_article(page(meta(og_title=declared, twitter_title="Radwege: Mehr Platz für Fahrräder")
                               + f"<title>{declared}</title>", display), URL)
    assert art["title"] == HEADLINE
