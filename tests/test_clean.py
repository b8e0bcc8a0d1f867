"""Residue rules of crawler.clean: each rule with real residue snippets, positive and negative,
English text untouched, the seed articles, per-portal patterns and the safety guard."""

from pathlib import Path

import pytest

from crawler.clean import clean_text
from crawler.residue_catalogue import CATALOGUE_VERSION, RULES_BY_NAME

REPO = Path(__file__).resolve().parents[1]
# The project's seed articles (the lead copies them from ../shared/data/seeds into the demo).
SEEDS_DIR = next((p for p in (REPO / "crawler" / "demo" / "content" / "seeds",
                              REPO.parent / "shared" / "data" / "seeds") if p.is_dir()),
                 REPO / "crawler" / "demo" / "content" / "seeds")

BODY = ("Der Kreistag hat am Montagabend den Haushalt für das kommende Jahr beschlossen. "
        "Die Mehrheit stimmte nach langer Debatte für den Entwurf der Verwaltung.")
BODY2 = ("Kritik kam von der Opposition, die höhere Investitionen in Schulen und Radwege gefordert hatte. "
         "Der Landrat verteidigte den Sparkurs als notwendig.")

POSITIVE = {
    "comment_prompt": ["Schreibe einen Kommentar", "Schreiben Sie einen Kommentar", "Kommentare", "3 Kommentare",
                       "Kommentare (12)", "Keine Kommentare (Kommentare erscheinen erst nach unserer Freigabe)",
                       "Bitte beachten Sie unsere Netiquette: Beleidigende Kommentare werden gelöscht.",
                       "Please keep comments civil; off-topic comments will be removed.",
                       "Leave a Reply", "Ihre E-Mail-Adresse wird nicht veröffentlicht.",
                       "Verraten Sie gerne in den Kommentaren: Was bedeutet ein Award für Sie?"],
    "related_links": ["Mehr zum Thema – Ukraine: Neues deutsches Waffen-Paket, doch eine “Koalition der Willigen” zeigt Schwächen",
                      "Lesen Sie auch: Spielabbruch in der Kreisliga", "Lesen Sie hier: Spielabbruch in der Kreisliga",
                      "Das könnte Sie auch interessieren", "Ähnliche Beiträge", "Auch lesen: Diese 3 Sternzeichen",
                      "Weitere Informationen zum Coronavirus in Thüringen:", "Mehr Themen:", "Weitere Artikel zum Thema",
                      "Vorschau auf den nächsten Artikel", "Mehr zum Thema auf UEPO.de", "Read more", "Related Articles"],
    "image_credit": ["Foto: dpa", "Foto: MDR/Bernd Cramer", "Titelbild: Geyres Christophe/ABACA/picture-alliance",
                     "© dpa | Kay Nietfeld", "Bildquelle: Peter Ferstl", "Copyright: Gisele Wender",
                     "Logo des Sustainable Award in Finance von Bankmagazin | © Springer", "Photo: Reuters"],
    "share_prompt": ["Teilen", "Artikel teilen", "Facebook Twitter WhatsApp E-Mail", "Drucken | Teilen", "Diesen Artikel teilen",
                     "Artikel anhören", "Listen to this article",
                     "If you enjoyed reading this post – would you consider supporting our work? Just click here. Thanks!",
                     "Folgen Sie uns auf Instagram"],
    "newsletter": ["Mit unserem Newsletter erhalten Sie monatlich Informationen rund um das Urlaubsland Österreich!",
                   "Jetzt Newsletter abonnieren", "Das Wichtigste aus der Region – jeden Morgen kostenlos in Ihrem Postfach.",
                   "Sie möchten wöchentliche Produktvorstellungen? Schauen Sie mal in unseren Musiknewsletter!",
                   "Sign up for our newsletter"],
    "cookie_consent": ["Wir verwenden Cookies und ähnliche Technologien, um Ihnen ein optimales Nutzungserlebnis zu bieten.",
                       "Alle akzeptieren", "Diese Website nutzt Cookies. Durch die weitere Nutzung der Seite stimmen Sie der Verwendung von Cookies zu.",
                       "Klicken Sie auf den unteren Button, um den Inhalt von www.komoot.de zu laden.",
                       "This website uses cookies to improve your experience.",
                       "Mit dem Klick auf „Einverstanden“ stimmen Sie der Verarbeitung Ihrer Daten zu.",
                       "By clicking Accept you agree to our use of your data."],
    "advert": ["Anzeige", "Story continues below advertisement", "Weiter nach der Anzeige", "ANZEIGE - Heute mal ausgehen/bestellen? Wie wäre es mit:", "Werbung", "Advertisement"],
    "paywall": ["Jetzt weiterlesen", "Lust auf mehr? Lass dir die besten Storys jede Woche in deinen Posteingang liefern.",
                "Dieser Artikel ist nur für Abonnenten verfügbar.", "Sie sind bereits Abonnent? Hier einloggen",
                "Unterstützen Sie unabhängigen Journalismus mit einem Abo.",
                "Support independent journalism with a digital subscription."],
    "author_box": ["Über den Autor", "Zur Person", "Autor: Max Mustermann", "Über diese Reihe"],
    "copyright_footer": ["Alle Rechte vorbehalten.", "© 2026 Weserbote Verlag GmbH & Co. KG. Alle Rechte vorbehalten.",
                         "Sofern nicht anders ausgewiesen, stehen Inhalte dieser Website unter CC-BY",
                         "Copyright 2026 Example Media. All rights reserved."],
    "byline": ["Von Sabine Oevermann", "Von Max Mustermann und Erika Musterfrau", "Von dpa | 15.02.2026, 19:07 Uhr"],
    "contact_box": ["Pressekontakt", "Tel.: (030) 78 95 47 78", "E-Mail: presse@example.de"],
    "date_line": ["Aktualisiert am 17.01.2021.", "Letzte Änderung 14.02.2019", "Stand: 23.11.2026, 14:05 Uhr",
                  "Lesezeit: 3 Minuten"],
    "toc": ["Inhaltsverzeichnis"],
    "editorial_note": ["Sie haben einen Fehler gefunden? Bitte schreiben Sie uns.",
                       "Dieser Artikel wurde automatisch aus dem Angebot der Nachrichtenagentur übernommen.",
                       "Quelle: dpa", "Reporting by Jane Doe; Editing by John Smith",
                       "Found an error? Tell us.",
                       "Hinweis: Der Inhalt dieser Seite wird nicht redaktionell geprüft.",
                       "Alle Angaben ohne Gewähr."],
    "breadcrumb": ["Home › Politik", "Startseite > Lokales > Herford", "Home / News / World", "Nach oben",
                   "Back to top"],
}

NEGATIVE = [
    "Der Kommentar des Bürgermeisters zur Schließung des Freibads sorgte im Rat für Unmut.",
    "In seinem Kommentar für die Lokalzeitung kritisierte er die Pläne scharf.",
    "Weitere Informationen gab die Polizei nicht bekannt.",
    "Mehr als 300 Menschen kamen zur Eröffnung des neuen Gemeindezentrums.",
    "Foto-Ausstellungen sind in diesem Sommer besonders gefragt, sagte die Kuratorin.",
    "Die Anzeige wurde am Dienstag bei der Polizei in Herford erstattet.",
    "Wer den Newsletter-Dienst der Stadt nutzt, wurde über die Sperrung informiert.",
    "Von Montag an gilt auf der Bundesstraße eine neue Umleitung.",
    "Die EU-Kommission will strengere Regeln für Cookies und Tracking durchsetzen.",
    "Wir haben Cookies für den Basar gebacken, erzählt die Schülerin stolz.",
    "Die Quelle: ein kleiner Bach im Teutoburger Wald, der seit Jahrhunderten nie versiegt ist.",
    "Der Fehler wurde nach Angaben der Stadt inzwischen behoben.",
    "(APA, red, 11.5.2016)",  # an agency sign-off belongs to the article
    "Der Veranstalter übernimmt keine Haftung für Garderobe, heißt es auf den Plakaten, doch die Gäste sind skeptisch und fordern mehr Sicherheit.",
    "Teilen sich zwei Familien eine Wohnung, steigt das Risiko von Konflikten.",
]

ENGLISH = [
    "The council approved the budget on Monday evening after a long debate.",
    "In a comment to reporters, the mayor said more funding was needed for schools.",
    "Read the full report, the minister told parliament, and you will see the numbers.",
    "More than 300 people attended the opening of the new community centre.",
    "Comments from residents were mixed, with many welcoming the new cycle lanes.",
    "Share prices fell sharply after the announcement on Tuesday.",
    "Reporting by the local paper revealed a pattern of abuse in the care home.",
    "The minister said offensive comments will be removed from the ministry's page.",
    "Home prices in the region rose by five percent last year, the survey found.",
    "We baked cookies for the school fair, she said, and sold all of them within an hour.",
    "Our website was down for two hours on Monday because of a power cut at the data centre.",
    "Photo editors at the agency worked through the night to publish the images.",
    "Related research has shown similar effects in other European cities.",
]


def _clean(lines, **kw):
    return clean_text("\n".join(lines), **kw)


@pytest.mark.parametrize("rule,line", [(r, line) for r, lines in POSITIVE.items() for line in lines])
def test_rule_removes_residue(rule, line):
    res = _clean([BODY, line, BODY2])
    assert res.removed == [{"line": line, "rule": rule}]
    assert res.text == "\n".join([BODY, BODY2])
    assert res.catalogue_version == CATALOGUE_VERSION


def test_every_catalogue_rule_is_tested():
    assert set(POSITIVE) == set(RULES_BY_NAME)


@pytest.mark.parametrize("line", NEGATIVE + ENGLISH)
def test_real_sentences_stay(line):
    res = _clean([BODY, line, BODY2])
    assert res.removed == [], res.removed
    assert line in res.text.split("\n")


def test_english_article_untouched():
    text = "\n".join(ENGLISH)
    res = clean_text(text)
    assert res.text == text and not res.removed


def test_lone_rubric_and_place_lines():
    res = clean_text("\n".join(["Politik", "Haushalt beschlossen: Kreis spart bei Investitionen", BODY, BODY2]),
                     title="Haushalt beschlossen: Kreis spart bei Investitionen")
    assert res.removed == [{"line": "Politik", "rule": "lone_rubric"}]
    res = clean_text("\n".join([BODY, "Herford", BODY2]), section="Herford")
    assert res.removed == [{"line": "Herford", "rule": "lone_rubric"}]
    # a sub-heading inside the article stays
    res = clean_text("\n".join([BODY, "Russische Offensive im Donbass", BODY2]))
    assert res.removed == []


def test_author_bio_at_the_end():
    bio = ("Sabine Oevermann ist Lokalredakteurin in Herford und berichtet über Stadtpolitik und Kultur.")
    res = clean_text("\n".join([BODY, BODY2, BODY, BODY2, bio]))
    assert res.removed == [{"line": bio, "rule": "author_bio"}]
    en = "Jane Doe is a senior reporter at the Example Times covering climate policy."
    assert clean_text("\n".join([BODY, BODY2, BODY, BODY2, en])).removed == [{"line": en, "rule": "author_bio"}]
    # the same kind of sentence inside the article stays
    quote = "Peter Schmidt ist Redakteur und hat den Fall über Monate recherchiert, sagte der Verleger."
    assert clean_text("\n".join([BODY, quote, BODY2, BODY, BODY2, BODY])).removed == []


def test_related_block_after_heading():
    lines = [BODY, BODY2, BODY, "Das könnte Sie auch interessieren", "Neue Radwege für die Innenstadt",
             "Kreisliga: Spielabbruch in Bünde"]
    res = clean_text("\n".join(lines))
    assert [r["rule"] for r in res.removed] == ["related_links", "related_block", "related_block"]


def test_table_pipes_and_bullets_do_not_hide_residue():
    res = clean_text("\n".join([BODY, "|   Weitere Artikel zum Thema | ", "- Anzeige", BODY2]))
    assert [r["rule"] for r in res.removed] == ["related_links", "advert"]


def test_portal_line_patterns():
    res = clean_text("\n".join([BODY, "Mehr aus Herford: Stadtfest abgesagt", BODY2]),
                     portal="weserbote", line_patterns=[r"^Mehr aus Herford\b"])
    assert res.removed == [{"line": "Mehr aus Herford: Stadtfest abgesagt", "rule": r"portal:^Mehr aus Herford\b"}]


def test_rule_removing_most_of_the_text_is_not_applied():
    text = "\n".join([BODY, BODY2])
    res = clean_text(text, line_patterns=[r"Kreistag|Opposition"])
    assert res.text == text and not res.removed
    assert res.warnings and "not applied" in res.warnings[0]


def test_empty_text():
    res = clean_text("")
    assert res.text == "" and res.removed == [] and res.warnings == []


def _paragraphs(path):
    return [p.strip() for p in path.read_text(encoding="utf-8").split("\n") if p.strip()]


def test_seed_article_000():
    paras = _paragraphs(SEEDS_DIR / "article_000.txt")
    res = clean_text("\n".join(paras))
    residue = {"Schreibe einen Kommentar"} | {p for p in paras if p.startswith("Mehr zum Thema")}
    assert len(residue) == 2
    assert {r["line"] for r in res.removed} == residue
    kept = res.text.split("\n")
    assert kept == [p for p in paras if p not in residue]


def test_seed_article_002():
    paras = _paragraphs(SEEDS_DIR / "article_002.txt")
    res = clean_text("\n".join(paras))
    assert res.removed == [{"line": "Herford", "rule": "lone_rubric"}]
    assert res.text.split("\n") == paras[1:]
