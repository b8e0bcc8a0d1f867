"""crawler.extract: main text, metadata, dateline; `crawler extract` on HTML and WARC files."""

import argparse
import gzip
import io
import json
from pathlib import Path

import pytest

from crawler.commands import extract as extract_cmd
from crawler.datadir import DataDir
from crawler.extract import extract_article, split_dateline

P1 = ("Die Stadt Herford hat am Montag ein neues Konzept für den Radverkehr vorgestellt. Bis 2030 sollen "
      "mehr als vierzig Kilometer neue Radwege entstehen, teilte die Verwaltung mit.")
P2 = ("Der Bürgermeister sprach von einem wichtigen Schritt für die Innenstadt. Die Kosten werden auf rund "
      "zwölf Millionen Euro geschätzt, ein Teil soll aus Fördermitteln des Landes kommen.")
P3 = ("Kritik kam vom Einzelhandel, der um Parkplätze in der Innenstadt fürchtet. Die Politik will im "
      "Dezember über die ersten Abschnitte entscheiden.")


def article_html(*, ld_date="2026-11-23T09:30:00", jsonld=True, dateline=True, stand=True) -> str:
    ld = ""
    if jsonld:
        ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle",
                         "headline": "Herford plant vierzig Kilometer neue Radwege",
                         "datePublished": ld_date, "author": [{"@type": "Person", "name": "Sabine Oevermann"},
                                                               {"@type": "Person", "name": "Henrik Lückemeier"}],
                         "articleSection": "Herford"}, ensure_ascii=False)
        ld = f'<script type="application/ld+json">{ld}</script>'
    first = f"Herford (dpa) – {P1}" if dateline else P1
    stand_html = '<p class="meta">Stand: 23.11.2026 14:05 Uhr</p>' if stand else ""
    return f"""<!DOCTYPE html><html lang="de"><head><meta charset="utf-8">
<title>Herford plant vierzig Kilometer neue Radwege | Weserbote</title>
<link rel="canonical" href="https://www.weserbote.test/herford/radwege-123.html">
<meta property="og:title" content="Herford plant vierzig Kilometer neue Radwege">
{ld}</head><body>
<nav class="breadcrumb"><a href="/">Startseite</a> <a href="/herford/">Herford</a></nav>
<article><h1>Herford plant vierzig Kilometer neue Radwege</h1>{stand_html}
<p>{first}</p><aside class="teaser"><p>Lesen Sie auch: Neue Ampel am Bahnhof sorgt für Staus im Feierabendverkehr</p></aside>
<p>{P2}</p><p>{P3}</p></article>
<div id="comments"><h3>Schreibe einen Kommentar</h3><form><textarea></textarea></form></div>
<footer><p>Impressum · Datenschutz · Kontakt</p></footer></body></html>"""


def test_extract_article_text_and_metadata():
    art = extract_article(article_html(), "https://www.weserbote.test/herford/radwege-123.html")
    assert art["title"] == "Herford plant vierzig Kilometer neue Radwege"
    assert art["authors"] == ["Sabine Oevermann", "Henrik Lückemeier"]
    assert art["published"] == "2026-11-23T09:30:00+01:00"
    assert art["modified"] == "2026-11-23T14:05:00+01:00"
    assert art["section"] == "Herford"
    assert art["language"] == "de"
    assert art["canonical_url"] == "https://www.weserbote.test/herford/radwege-123.html"
    assert art["dateline"] == {"place": "Herford", "agency": "dpa"}
    lines = art["text"].split("\n")
    assert P1 in lines and P2 in lines and P3 in lines
    assert lines.index(P1) < lines.index(P2) < lines.index(P3)
    assert not any(line.startswith("Herford (dpa)") for line in lines)


def test_timezone_and_fallbacks():
    art = extract_article(article_html(jsonld=False, stand=False, dateline=False),
                          "https://www.example.com/2026/07/05/radwege/", timezone="America/New_York")
    assert art["published"] == "2026-07-05T00:00:00-04:00"
    assert art["modified"] is None and art["dateline"] is None
    assert art["section"] == "Herford"  # breadcrumbs
    art = extract_article(article_html(ld_date="2026-11-23T09:30:00+00:00"), None)
    assert art["published"] == "2026-11-23T09:30:00+00:00"


def test_drop_selectors():
    html = article_html()
    art = extract_article(html, drop_selectors=["aside.teaser", "div#comments"])
    assert "Neue Ampel am Bahnhof" not in art["text"]
    assert P2 in art["text"]


def test_bad_input_gives_empty_record():
    art = extract_article(b"", "https://x.test/a")
    assert art["text"] == "" and art["authors"] == [] and art["url"] == "https://x.test/a"


@pytest.mark.parametrize("para,dateline,rest", [
    ("Herford (dpa) – Die Stadt plant neue Radwege.", {"place": "Herford", "agency": "dpa"}, "Die Stadt plant neue Radwege."),
    ("Berlin/Kiew (dpa/AFP) - Der Kanzler reist nach Kiew.", {"place": "Berlin/Kiew", "agency": "dpa/AFP"}, "Der Kanzler reist nach Kiew."),
    ("BERLIN (AFP) — Die Regierung hat beschlossen.", {"place": "BERLIN", "agency": "AFP"}, "Die Regierung hat beschlossen."),
    ("Bad Oeynhausen (lnw) – Ein Unfall auf der A30.", {"place": "Bad Oeynhausen", "agency": "lnw"}, "Ein Unfall auf der A30."),
    ("(dpa) – Die Lage bleibt angespannt.", {"place": None, "agency": "dpa"}, "Die Lage bleibt angespannt."),
])
def test_split_dateline(para, dateline, rest):
    assert split_dateline(para) == (dateline, rest)


@pytest.mark.parametrize("para", [
    "Die Stadt (Herford) hat entschieden – und zwar klar.",
    "Der Ausschuss (2024) – so der Bericht – tagte erneut.",
    "Herford hat am Montag neue Radwege vorgestellt.",
])
def test_no_dateline(para):
    assert split_dateline(para) == (None, para)


def _args(tmp_path, paths, **kw):
    ns = argparse.Namespace(paths=[str(p) for p in paths], url=None, jsonl=str(tmp_path / "out.jsonl"),
                            portal=None, sources=None, learn=False, data_dir=DataDir(tmp_path / "data"))
    for k, v in kw.items():
        setattr(ns, k, v)
    return ns


def _records(tmp_path):
    return [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]


KEYS = {"source", "url", "title", "text", "published", "modified", "authors", "section", "dateline",
        "language", "removed", "warnings"}


def test_command_on_html_files(tmp_path):
    html = tmp_path / "a.html"
    html.write_text(article_html(), encoding="utf-8")
    gz = tmp_path / "b.html.gz"
    gz.write_bytes(gzip.compress(article_html(dateline=False).encode("utf-8")))
    broken = tmp_path / "c.html"  # unreadable: a directory with an .html name
    broken.mkdir()
    assert extract_cmd.run(_args(tmp_path, [html, gz, broken])) == 0
    recs = _records(tmp_path)
    assert len(recs) == 3
    assert KEYS <= set(recs[0]) and "warc" not in recs[0]
    assert recs[0]["source"] == str(html) and recs[0]["dateline"] == {"place": "Herford", "agency": "dpa"}
    assert P2 in recs[1]["text"]
    assert "error" in recs[2] and recs[2]["source"] == str(broken)


def test_command_url_and_portal_rules(tmp_path, monkeypatch):
    html = tmp_path / "a.html"
    html.write_text(article_html(), encoding="utf-8")
    sources = tmp_path / "sources.toml"
    sources.write_text("""
[[portal]]
name = "weserbote"
allowed_domains = ["www.weserbote.test"]
start_pages = ["http://www.weserbote.test/"]
timezone = "Europe/Berlin"
[portal.residue]
line_patterns = ['^Der Bürgermeister sprach']
drop_selectors = ["aside.teaser"]
""", encoding="utf-8")
    args = _args(tmp_path, [html], url="https://www.weserbote.test/herford/radwege-123.html",
                 portal="weserbote", sources=str(sources), learn=True)
    assert extract_cmd.run(args) == 0
    rec = _records(tmp_path)[0]
    assert rec["url"] == "https://www.weserbote.test/herford/radwege-123.html"
    assert P2 not in rec["text"] and {"line": P2, "rule": "portal:^Der Bürgermeister sprach"} in rec["removed"]
    assert (tmp_path / "data" / "templates.sqlite").exists()  # --learn records the page


def test_command_on_warc(tmp_path):
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    warc = tmp_path / "crawl.warc.gz"
    with open(warc, "wb") as fh:
        w = WARCWriter(fh, gzip=True)
        for i, (ctype, body) in enumerate([("text/html; charset=utf-8", article_html().encode()),
                                           ("application/rss+xml", b"<rss/>"),
                                           ("text/html", article_html(dateline=False).encode())]):
            headers = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
            rec = w.create_warc_record(f"https://www.weserbote.test/a-{i}.html", "response",
                                       payload=io.BytesIO(body), http_headers=headers)
            w.write_record(rec)
    assert extract_cmd.run(_args(tmp_path, [warc])) == 0
    recs = _records(tmp_path)
    assert [r["url"] for r in recs] == ["https://www.weserbote.test/a-0.html", "https://www.weserbote.test/a-2.html"]
    for r in recs:
        assert KEYS <= set(r) and set(r["warc"]) == {"offset", "length", "record_id"}
        assert P3 in r["text"]
    # the pointer addresses the record
    from warcio.archiveiterator import ArchiveIterator
    with open(warc, "rb") as fh:
        fh.seek(recs[1]["warc"]["offset"])
        rec = next(iter(ArchiveIterator(fh)))
        assert rec.rec_headers.get_header("WARC-Record-ID") == recs[1]["warc"]["record_id"]


def test_cli_wiring():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    extract_cmd.register(sub)
    args = parser.parse_args(["extract", "a.html", "--url", "https://x.test/", "--learn", "--portal", "p"])
    assert args.func is extract_cmd.run and args.paths == ["a.html"] and args.learn and args.portal == "p"


def test_cli_subprocess_on_html(tmp_path, cli):
    html = tmp_path / "page.html"
    html.write_text(article_html(), encoding="utf-8")
    proc = cli("extract", str(html), "--url", "https://www.weserbote.test/herford/radwege-123.html",
               "--data-dir", str(tmp_path / "data"))
    recs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(recs) == 1 and recs[0]["title"] == "Herford plant vierzig Kilometer neue Radwege"
    assert P3 in recs[0]["text"] and proc.stderr == ""


def test_structural_chrome_pruned_before_extraction():
    html = f"""<html lang="de"><head><title>Radwege</title></head><body><article>
<h1>Herford plant neue Radwege</h1><h2 class="visually-hidden">Zum Inhalt springen</h2>
<p>{P1}</p>
<div class="social-embed-placeholder"><p>Inhalte von Drittanbietern sind blockiert. Hier klicken zum Laden.</p></div>
<figure><img src="a.jpg"><span class="image-copyright">Archiv/Beispielagentur</span></figure>
<p>{P2} Mehr dazu im <a href="/bericht.pdf">Bericht<span class="sr-only"> (öffnet im neuen Fenster)</span></a>.</p><ul class="article-share"><li><a href="#">Teilen per E-Mail</a></li></ul>
<p class="hidden md:block">{P3}</p>
<ul><li><strong>Verkehr:</strong> <a href="/a-1.html">Neue Ampel am Bahnhof sorgt für Staus</a></li>
<li><a href="/a-2.html">Baustelle an der Bundesstraße dauert länger</a></li></ul>
<ul><li>Radweg an der Werre: 3,2 Kilometer, Baubeginn im Frühjahr</li>
<li>Fahrradstraße in der Innenstadt: 1,1 Kilometer, <a href="/plan.pdf">Plan</a></li></ul>
</article></body></html>"""
    text = extract_article(html, "https://www.weserbote.test/herford/radwege-123.html")["text"]
    assert P1 in text and P2 in text and "Mehr dazu im Bericht." in text  # the link label's hidden part gone
    assert P3 in text  # hidden on small screens only: still article text
    assert "Radweg an der Werre" in text and "Fahrradstraße in der Innenstadt" in text  # a list of the article
    for chrome in ("öffnet im neuen Fenster", "Zum Inhalt springen", "Drittanbietern", "Beispielagentur", "Teilen per E-Mail",
                   "Neue Ampel am Bahnhof", "Baustelle an der Bundesstraße"):
        assert chrome not in text


def test_related_link_list_with_an_empty_slot_is_pruned():
    from lxml import html as lh

    from crawler.extraction.prune import prune_chrome

    tree = lh.fromstring('<html><body><article><p>Text</p><aside><ul class="related">'
                         '<li><a href="/a-1.html"><span>Verkehr: </span><span>Neue Ampel am Bahnhof</span></a></li>'
                         '<li><a href="/a-2.html">Baustelle an der Bundesstraße dauert länger</a></li>'
                         '<li></li></ul></aside></article></body></html>')
    assert prune_chrome(tree).get("link_list") == 1 and "Neue Ampel" not in tree.text_content()


def test_captions_not_marked_up_and_affiliate_notes_pruned():
    from lxml import html as lh

    from crawler.extraction.prune import prune_chrome

    cap = "Radfahrer auf der neuen Trasse an der Werre"
    tree = lh.fromstring(
        f'<html><body><article><p>{P1}</p><div class="bildbox"><div><img src="a.jpg" alt="{cap}" '
        f'title="{cap} | Beispielagentur/Foto"></div><div class="bildbox-info"><p>{cap}</p></div></div>'
        f'<p>{P2}</p><div class="shop_affiliate_note">Für Käufe über markierte Links erhalten wir eine '
        f'Vergütung.</div></article></body></html>')
    counts = prune_chrome(tree)
    text = tree.text_content()
    assert counts.get("caption") and cap not in text and "Vergütung" not in text
    assert P1 in text and P2 in text


def test_text_equal_to_an_alt_in_a_long_passage_is_kept():
    from lxml import html as lh

    from crawler.extraction.prune import prune_chrome

    cap = "Radfahrer auf der neuen Trasse an der Werre"
    tree = lh.fromstring(f'<html><body><article><section><img src="a.jpg" alt="{cap}"><p>{cap}</p>'
                         f'<p>{P1}</p></section></article></body></html>')
    prune_chrome(tree)
    assert cap in tree.text_content()
