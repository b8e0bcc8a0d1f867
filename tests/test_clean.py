"""Residue rules of crawler.cleaning: each rule with real residue snippets, positive and negative,
English text untouched, the seed articles, per-portal patterns and the safety guard."""

from pathlib import Path

import pytest

from crawler.cleaning import clean_text
from crawler.cleaning.catalogue import CATALOGUE_VERSION, RULES_BY_NAME

REPO = Path(__file__).resolve().parents[1]
# The project's seed articles (the demo portals' content).
SEEDS_DIR = REPO / "crawler" / "demo" / "content" / "seeds"

BODY = ("Der Kreistag hat am Montagabend den Haushalt für das kommende Jahr beschlossen. "
        "Die Mehrheit stimmte nach langer Debatte für den Entwurf der Verwaltung.")
BODY2 = ("Kritik kam von der Opposition, die höhere Investitionen in Schulen und Radwege gefordert hatte. "
         "Der Landrat verteidigte den Sparkurs als notwendig.")

POSITIVE = {
    "comment_prompt": ["Schreibe einen Kommentar!", "Schreiben Sie einen Kommentar", "17 Kommentare", "3 Kommentare",
                       "Kommentare (12)", "Noch keine Kommentare vorhanden – seien Sie der Erste",
                       "Bitte beachten Sie unsere Netiquette: Beleidigende Kommentare werden gelöscht.",
                       "Please keep comments civil; off-topic comments will be removed.",
                       "Leave a Reply", "Ihre E-Mail-Adresse wird nicht veröffentlicht.",
                       "Verraten Sie uns in den Kommentaren, wie Sie den Umbau finden!"],
    "related_links": ["Mehr zum Thema – Stadtwerke: Neue Tarife ab Januar, doch der Grundpreis steigt kräftig",
                      "Lesen Sie auch: Hallenbad bleibt bis Ostern geschlossen", "Lesen Sie hier: Hallenbad bleibt bis Ostern geschlossen",
                      "Das könnte Sie ebenfalls interessieren", "Ähnliche Artikel aus der Region", "Auch lesen: Diese 3 Sternzeichen",
                      "Weitere Informationen zum Ausbau der Radwege:", "Mehr Themen aus Herford:", "Weitere Artikel aus dem Kreis",
                      "Nächster Artikel", "Mehr zum Thema auf weserbote.test", "Read more", "Related Articles"],
    "image_credit": ["Foto: dpa", "Foto: MDR/Bernd Cramer", "Titelbild: Geyres Christophe/ABACA/picture-alliance",
                     "© dpa | Kay Nietfeld", "Bildquelle: Peter Ferstl", "Copyright: Hanna Probe",
                     "Blick auf die neue Brücke über die Werre | © Stadtarchiv", "Photo: Reuters"],
    "share_prompt": ["Teilen", "Artikel versenden", "Facebook Twitter WhatsApp E-Mail", "Drucken | Teilen", "Diesen Beitrag teilen",
                     "Artikel anhören", "Listen to this article",
                     "If you liked reading this article, please consider a donation to keep it free.",
                     "Folgen Sie uns auf Mastodon"],
    "newsletter": ["Mit unserem Newsletter erhalten Sie jede Woche die wichtigsten Termine aus dem Kreis!",
                   "Newsletter jetzt kostenlos abonnieren", "Das Wichtigste aus der Region – jeden Morgen kostenlos in Ihrem Postfach.",
                   "Sie möchten wöchentliche Produktvorstellungen? Schauen Sie mal in unseren Musiknewsletter!",
                   "Sign up for our newsletter"],
    "cookie_consent": ["Wir verwenden Cookies und ähnliche Technologien, um Ihnen ein optimales Nutzungserlebnis zu bieten.",
                       "Alle akzeptieren", "Diese Seite verwendet Cookies. Wenn Sie weiter surfen, stimmen Sie der Nutzung von Cookies zu.",
                       "Klicken Sie auf den Button, um den Inhalt von www.kartendienst.test zu laden.",
                       "This website uses cookies to improve your experience.",
                       "Mit dem Klick auf „Einverstanden“ stimmen Sie der Verarbeitung Ihrer Daten zu.",
                       "By clicking Accept you agree to our use of your data.",
                       "Link zum Vimeo-Video", "Instagram Post", "Empfohlener externer Inhalt", "Embed"],
    "advert": ["Anzeige", "Story continues below advertisement", "Weiter nach der Anzeige", "ANZEIGE - Lust auf einen Ausflug? Unsere Tipps:", "Werbung", "Advertisement"],
    "paywall": ["Jetzt weiterlesen", "Lust auf mehr? Mit dem Digital-Abo lesen Sie alle Artikel.",
                "Dieser Artikel ist nur für Abonnenten verfügbar.", "Sie sind bereits Abonnent? Hier einloggen",
                "Unterstützen Sie unabhängigen Journalismus mit einem Abo.",
                "Support independent journalism with a digital subscription.",
                "Jetzt 4 Wochen kostenlos testen", "Einen Monat für 1 € lesen – danach monatlich kündbar",
                "Probeabo sichern: alle Artikel, die App und das E-Paper", "Start your free trial today"],
    "author_box": ["Über die Autorin", "Zur Person", "Autor: Max Mustermann", "Über diese Serie"],
    "copyright_footer": ["Alle Rechte vorbehalten.", "© 2026 Weserbote Verlag GmbH & Co. KG. Alle Rechte vorbehalten.",
                         "Sofern nicht anders vermerkt, stehen alle Texte dieser Seite unter der Lizenz CC BY-SA 4.0",
                         "Copyright 2026 Weserbote Media Group. All rights reserved."],
    "byline": ["Von Sabine Oevermann", "Von Max Mustermann und Erika Musterfrau", "Von dpa | 15.02.2026, 19:07 Uhr"],
    "contact_box": ["Pressekontakt", "Tel.: (030) 78 95 47 78", "E-Mail: presse@example.de"],
    "date_line": ["Aktualisiert am 03.02.2026.", "Letzte Änderung 09.10.2025", "Stand: 23.11.2026, 14:05 Uhr",
                  "Lesezeit: 3 Minuten"],
    "toc": ["Table of Contents", "Inhalt", "Auf dieser Seite:", "In diesem Artikel"],
    "editorial_note": ["Sie haben einen Fehler gefunden? Bitte schreiben Sie uns.",
                       "Dieser Artikel wurde automatisch aus dem Angebot der Nachrichtenagentur übernommen.",
                       "Quelle: dpa", "Reporting by Jane Doe; Editing by John Smith",
                       "Found an error? Tell us.",
                       "Hinweis: Der Inhalt dieser Seite wird nicht redaktionell geprüft.",
                       "Alle Angaben ohne Gewähr.",
                       "Dieser Beitrag erschien zuerst im Magazin „Stadtleben“.",
                       "This article was originally published by The Example Review.",
                       "Dies ist eine automatische Übersetzung eines Textes unserer Partnerredaktion.",
                       "Lesen Sie hier den Originalartikel auf Englisch."],
    "breadcrumb": ["Home › Politik", "Startseite > Lokales > Herford", "Home / News / World", "Zurück nach oben",
                   "Back to top"],
}

NEGATIVE = [
    "Der Kommentar des Bürgermeisters zur Schließung des Freibads sorgte im Rat für Unmut.",
    "In seinem Kommentar für die Lokalzeitung kritisierte er die Pläne scharf.",
    "Weitere Informationen zur Unfallursache wollte der Sprecher am Abend nicht nennen.",
    "Mehr als 300 Menschen kamen zur Eröffnung des neuen Gemeindezentrums.",
    "Foto-Ausstellungen sind in diesem Sommer besonders gefragt, sagte die Kuratorin.",
    "Die Anzeige wurde am Dienstag bei der Polizei in Herford erstattet.",
    "Wer den Newsletter-Dienst der Stadt nutzt, wurde über die Sperrung informiert.",
    "Von Montag an gilt auf der Bundesstraße eine neue Umleitung.",
    "Die EU-Kommission will strengere Regeln für Cookies und Tracking durchsetzen.",
    "Wir haben Cookies für den Basar gebacken, erzählt die Schülerin stolz.",
    "Die Quelle: ein kleiner Bach im Teutoburger Wald, der seit Jahrhunderten nie versiegt ist.",
    "Der Fehler wurde nach Angaben der Stadt inzwischen behoben.",
    "(APA, red, 4.3.2021)",  # an agency sign-off belongs to the article
    "Der Veranstalter übernimmt keine Haftung für Garderobe, heißt es auf den Plakaten, doch die Gäste sind skeptisch und fordern mehr Sicherheit.",
    "Teilen sich zwei Familien eine Wohnung, steigt das Risiko von Konflikten.",
    "Der Text erschien zuerst 1923 in einer Zeitschrift und wurde danach lange vergessen.",
    "Auf dieser Seite des Flusses liegt das alte Fährhaus, das nun ein Café beherbergt.",
    "Ein Instagram-Post der Sängerin sorgte am Wochenende für Aufregung unter ihren Fans.",
    "Drei Wochen lang testen Schüler der Realschule das neue Mensa-Konzept, bevor der Rat entscheidet.",
    "Das Probeabo der Stadtwerke für E-Bikes kam bei den Pendlern gut an, berichtet der Sprecher.",
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
    assert res.removed == [{"line": "Politik", "rule": "lone_rubric"},
                           {"line": "Haushalt beschlossen: Kreis spart bei Investitionen", "rule": "headline_repeat"}]
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
    lines = [BODY, BODY2, BODY, "Das könnte Sie ebenfalls interessieren", "Neue Radwege für die Innenstadt",
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


# -- positional rules of issue 12: headline repeated at the top, source and credit tags ---------
HEADLINE = "Kreistag beschließt Haushalt nach langer Debatte"


@pytest.mark.parametrize("top", [HEADLINE, f"Finanzen {HEADLINE}", f"{HEADLINE} – Opposition kritisiert Sparkurs"])
def test_headline_repeated_at_the_top_is_removed(top):
    res = clean_text(f"{top}\n{BODY}\n{BODY2}", title=HEADLINE)
    assert res.text == f"{BODY}\n{BODY2}"
    assert res.removed == [{"line": top, "rule": "headline_repeat"}]


def test_headline_words_inside_the_text_are_kept():
    later = f"{BODY}\n{BODY2}\n{HEADLINE}"  # not above the first paragraph
    assert clean_text(later, title=HEADLINE).text == later


@pytest.mark.parametrize("credit", ["(Quelle: xyz/abc)", "Quelle: lokalbote.test", "abc/xy", "LRB (ab, cd)",
                                    "Mitarbeit: ab, cd"])
def test_credit_tags_at_the_end_are_removed(credit):
    res = clean_text(f"{BODY}\n{BODY2}\n{credit}")
    assert res.text == f"{BODY}\n{BODY2}" and res.removed == [{"line": credit, "rule": "credit_line"}]


def test_credit_initials_in_the_header_zone_are_removed():
    res = clean_text(f"{HEADLINE}\nxy/ab Hannover\n{BODY}\n{BODY2}", title="Ein anderer Titel für diese Seite")
    assert {"line": "xy/ab Hannover", "rule": "credit_line"} in res.removed


@pytest.mark.parametrize("last", ["Die Entscheidung fällt im Mai.", "ARD und ZDF", "Wie geht es weiter?",
                                  "Weitere Termine folgen"])
def test_last_lines_that_are_not_credits_stay(last):
    text = f"{BODY}\n{BODY2}\n{last}"
    assert clean_text(text).text == text


@pytest.mark.parametrize("tail", [
    ["Verwendete Quellen:", "- Pressemitteilung der Stadtwerke", "- Gespräch mit dem Bürgermeister"],
    ["- Eigene Recherche", "- Auskunft des Landratsamts"],
    ["- lokalbote.test: Neue Radwege für die Innenstadt", "- Ratsprotokoll vom 12. März"],
])
def test_source_list_closing_the_text_is_removed(tail):
    res = clean_text("\n".join([BODY, BODY2, *tail]))
    assert res.text == f"{BODY}\n{BODY2}" and {r["rule"] for r in res.removed} == {"source_list"}


@pytest.mark.parametrize("tail", [
    ["- Radweg an der Werre: 3,2 Kilometer", "- Fahrradstraße in der Innenstadt: 1,1 Kilometer"],  # a fact list
    ["Quellen:", "- Die Stadt hat die Zahlen veröffentlicht.", "- Der Rat stimmt im Mai ab."],  # sentences
])
def test_closing_lists_that_are_not_sources_stay(tail):
    text = "\n".join([BODY, BODY2, *tail])
    assert clean_text(text).text == text


def test_old_import_paths_still_work():
    import crawler.cleaning as cleaning
    from crawler.clean import clean_text as old_clean_text
    from crawler.residue_catalogue import RULES
    from crawler.templates import TemplateStore

    assert old_clean_text is cleaning.clean_text and RULES is cleaning.RULES
    assert TemplateStore is cleaning.templates.TemplateStore


# -- author names standing alone, initials with a place --------------------------------------
@pytest.mark.parametrize("where", [0, -1])
@pytest.mark.parametrize("line", ["Lena Hartmann", "Von Lena Hartmann und Tom Weiß", "Lena Hartmann, Tom Weiß"])
def test_a_line_of_the_authors_names_is_removed_at_the_edges(line, where):
    lines = [BODY, BODY2, BODY, BODY2]
    lines.insert(len(lines) if where == -1 else 0, line)
    res = clean_text("\n".join(lines), authors=["Lena Hartmann", "Tom Weiß"])
    assert res.text == "\n".join([BODY, BODY2, BODY, BODY2])
    assert res.removed[0]["line"] == line


@pytest.mark.parametrize("line", ["Lena Hartmann", "Jonas Brandt", "Lena Hartmann im Gespräch mit dem Landrat"])
def test_names_that_are_not_an_author_line_stay(line):
    text = "\n".join([BODY, BODY2, line, BODY, BODY2, BODY])  # the authors' name inside the text stays
    assert clean_text(text, authors=["Lena Hartmann"]).text == text
    tail = "\n".join([BODY, BODY2, BODY, "Jonas Brandt"])  # a name that is not an author
    assert clean_text(tail, authors=["Lena Hartmann"]).text == tail


def test_initials_and_place_below_a_lead_are_a_credit():
    lead = "Die Stadtwerke erhöhen zum Jahreswechsel die Preise für Strom und Gas deutlich stärker als erwartet."
    res = clean_text("\n".join([lead, "Mehr zahlen für Wärme", "mb Hamburg", BODY, BODY2]))
    assert res.removed == [{"line": "mb Hamburg", "rule": "credit_line"}]
