"""Residue kinds of issue 12 decided by shape or markup, not phrases: script/state code rendered
as lines, link labels inside paragraphs; and what the rules must keep (lead, pull quotes,
in-article headings). Every example is written here from the kind of residue."""

import re

import pytest

from crawler.cleaning import clean_text
from crawler.cleaning.script import is_script_fragment

LEAD = ("Die Gemeinde Talbach bekommt ein neues Hallenbad: Der Rat hat am Dienstag den Bau für "
        "zwölf Millionen Euro beschlossen.")
P1 = ("Nach drei Jahren Planung stimmten 21 von 27 Ratsmitgliedern für den Entwurf des Architekturbüros, "
      "das ein Becken mit sechs Bahnen und einen Lehrschwimmbereich vorsieht.")
P2 = ("Die Bauarbeiten sollen im Frühjahr beginnen; eröffnet werden soll das Bad nach den Plänen der "
      "Verwaltung im Herbst des übernächsten Jahres.")
P3 = ("Der Förderverein sammelt seit Jahren Spenden für das Projekt und will sich an den Kosten für die "
      "Sauna beteiligen, wie seine Vorsitzende ankündigte.")

SCRIPT_LINES = [
    'window.__APP_STATE__ = {"user":null,"articleId":48213,"flags":{"paywall":false}};',
    'var dataLayer = dataLayer || []; dataLayer.push({"event":"pageview","section":"lokal"});',
    '{"@context":"https://schema.org","@type":"NewsArticle","headline":"Hallenbad für Talbach"}',
    '[{"id":17,"slot":"sidebar"},{"id":18,"slot":"footer"}]',
    "(function(w,d){var s=d.createElement('script');s.async=true;d.head.appendChild(s);})(window,document);",
    "document.addEventListener('DOMContentLoaded', () => { initGallery('#bilder'); });",
    "const player = new VideoPlayer({ autoplay: false, muted: true });",
    "{{#relatedItems}}",
    "{{{teaserText}}}",
    ".teaser-box{margin:0 auto;padding:12px;color:#333}",
    "if (typeof consent !== 'undefined') { consent.show(); }",
]

KEEP_LINES = [
    "Die Formel lautet: Ertrag = Fläche × Menge; bei 3 Hektar also 12 Tonnen.",
    "=> Was hat dir am Projekt am besten gefallen?",
    "Öffnungszeiten: Mo–Fr 9–18 Uhr; Sa 10–14 Uhr; So geschlossen.",
    "Sie sagte: „Das ist ein Tag, auf den wir lange gewartet haben; jetzt geht es los.“",
    "Die Variable x (in Metern) steht für die Höhe des Sprungturms; y für die Tiefe des Beckens.",
    "Mit dem Programm „Code für Kinder“ lernen Schüler, wie eine Funktion function() in JavaScript arbeitet.",
]


@pytest.mark.parametrize("line", SCRIPT_LINES)
def test_script_and_state_lines_are_removed(line):
    res = clean_text("\n".join([LEAD, P1, line, P2]))
    assert res.removed == [{"line": line, "rule": "script_fragment"}]
    assert res.text == "\n".join([LEAD, P1, P2])


@pytest.mark.parametrize("line", KEEP_LINES)
def test_lines_with_code_punctuation_that_are_text_stay(line):
    assert not is_script_fragment(line)
    text = "\n".join([LEAD, P1, line, P2])
    assert clean_text(text).text == text


def test_a_long_state_blob_is_removed_although_it_is_most_of_the_text():
    blob = "window.__INITIAL_DATA__ = {" + ",".join(f'"k{i}":{{"v":{i},"t":"x"}}' for i in range(200)) + "};"
    res = clean_text("\n".join([LEAD, blob, P1]))
    assert res.text == "\n".join([LEAD, P1])
    assert res.removed == [{"line": blob, "rule": "script_fragment"}] and not res.warnings


def test_code_lines_do_not_trip_the_guard_for_the_other_rules():
    blob = 'var cfg = {"a":1};' + ";".join(f"cfg.k{i} = {i}" for i in range(80)) + ";"
    res = clean_text("\n".join([blob, LEAD, P1, P2, "Anzeige"]))
    assert res.text == "\n".join([LEAD, P1, P2])
    assert [r["rule"] for r in res.removed] == ["script_fragment", "advert"]


# -- link labels: decided in the markup, before extraction ------------------------------------
def _page(*paragraphs: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<html><head><title>Hallenbad für Talbach</title></head><body><article>"
            f"<h1>Hallenbad für Talbach</h1>{body}</article></body></html>")


def _extracted(html: str) -> list[str]:
    from crawler.extract import extract_article

    return extract_article(html)["text"].split("\n")


def test_a_label_repeated_at_several_links_goes_and_the_paragraphs_stay():
    html = _page(P1, 'Den Plan zeigt die <a href="https://kreis.example/plan">Seite des Kreises (öffnet im neuen '
                 'Fenster)</a>. Die Kosten teilen sich Gemeinde und Land, wie der Kämmerer erläuterte.',
                 'Auch der <a href="https://verein.example/">Förderverein (öffnet im neuen Fenster)</a> sammelt '
                 'seit Jahren Spenden für das Projekt und will sich an der Sauna beteiligen.', P2)
    lines = _extracted(html)
    assert "Den Plan zeigt die Seite des Kreises. Die Kosten teilen sich Gemeinde und Land, wie der Kämmerer " \
           "erläuterte." in lines
    assert any(ln.startswith("Auch der Förderverein sammelt seit Jahren") for ln in lines)
    assert not any("Fenster" in ln for ln in lines)


def test_a_label_after_the_link_that_its_title_repeats_goes():
    html = _page(P1, 'Der Entwurf stammt vom <a href="https://nord.example/" title="Architekturbüro Nord (externer '
                 'Link, neues Fenster)">Architekturbüro Nord</a> (externer Link), das schon mehrere Bäder im Land '
                 'geplant hat.', P2)
    assert ("Der Entwurf stammt vom Architekturbüro Nord, das schon mehrere Bäder im Land geplant hat."
            in _extracted(html))


@pytest.mark.parametrize("para", [
    # one word in parentheses: a party, an abbreviation
    'Zugestimmt haben <a href="/p/berg">Anna Berg</a> (Grüne) und <a href="/p/roth">Max Roth</a> (Grüne), '
    'dagegen stimmte die Fraktion der Freien Wähler geschlossen.',
    # an explanation that belongs to one link, and a remark outside links
    'Die Zahlen stehen im <a href="/bericht">Bericht der Verwaltung (erste Fassung)</a>, der dem Rat seit '
    'Montag vorliegt (siehe auch unten).',
])
def test_parentheses_that_are_text_stay(para):
    html = _page(P1, para, P2)
    lines = _extracted(html)
    plain = re.sub(r"<[^>]+>", "", para)
    assert plain in lines


# -- what the rules must keep -----------------------------------------------------------------
TITLE = "Hallenbad für Talbach beschlossen"


@pytest.mark.parametrize("lead", [
    LEAD,  # a lead sentence under the headline
    "Zwölf Millionen Euro für Schwimmer: Talbach baut.",  # a short teaser lead
    f"{TITLE}: Nach drei Jahren Streit hat der Gemeinderat am Dienstagabend mit großer Mehrheit zugestimmt.",
    f"{TITLE}: Der Rat stimmte am Dienstag mit großer Mehrheit zu.",  # opens with the headline
])
def test_lead_and_teaser_paragraphs_are_kept(lead):
    res = clean_text("\n".join([TITLE, lead, P1, P2, P3]), title=TITLE)
    assert res.text.split("\n") == [lead, P1, P2, P3]
    assert res.removed == [{"line": TITLE, "rule": "headline_repeat"}]


@pytest.mark.parametrize("quote", [
    "„Wir haben lange auf diesen Tag gewartet“",
    "„Ein Bad für alle Generationen“ – Bürgermeisterin Eva Lindner",
    "\"Das Becken wird größer als geplant.\"",
])
@pytest.mark.parametrize("where", [1, 3, 5])
def test_pull_quotes_are_kept(quote, where):
    lines = [LEAD, P1, P2, P3, P1.replace("drei", "vier"), P2.replace("Frühjahr", "Sommer")]
    lines.insert(where, quote)
    text = "\n".join(lines)
    res = clean_text(text, title=TITLE)
    assert res.text == text, res.removed


@pytest.mark.parametrize("heading", ["Was der Umbau kostet", "Die Kosten", "Ausblick", "Wie geht es nun weiter?",
                                     "Sauna und Lehrbecken", "Kritik aus der Opposition"])
def test_headings_inside_the_article_are_kept(heading):
    lines = [LEAD, P1, heading, P2, P3, heading.upper() if len(heading) < 12 else heading + " im Detail", P1]
    text = "\n".join(lines)
    res = clean_text(text, title=TITLE, section="Lokales")
    assert res.text == text, res.removed
