"""Built-in catalogue of residue line rules (German and English), each one named.

A rule describes residue in general terms: an anchored phrase a whole line starts with
(comment forms, related-link lines, share prompts ...), plus guards (length, sentence shape) so
that a real sentence which merely contains a word like "Kommentar" is never matched. Positional
rules (lone rubric lines at the top, related-link blocks, author bios at the end) live in the
other modules of ``crawler.cleaning`` because they need the whole text. No rule is built from
evaluation data strings; ``bench/extract_quality.py`` and ``bench/extract_residue.py`` measure generality.

Bump ``CATALOGUE_VERSION`` whenever a rule changes: every cleaned article records it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crawler.cleaning.lines import is_sentence, words  # noqa: F401 (is_sentence: old import path)

CATALOGUE_VERSION = "de-en-2026.12.6"


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    pattern: re.Pattern
    max_len: int = 200
    max_words: int | None = None
    no_terminal_period: bool = False  # short heading-like lines only (unless a separator follows)
    # A cheap search that finds something in every line ``pattern`` matches (the keywords every
    # alternative of the pattern contains): for the unanchored patterns that are slow to try at
    # every position of a line. Change it with the pattern (``eval/test_rule_prefilters.py``
    # checks it on every line of the evaluation texts).
    needs: re.Pattern | None = None

    def matches(self, line: str) -> bool:
        if len(line) > self.max_len:
            return False
        if self.max_words is not None and words(line) > self.max_words:
            return False
        if self.needs is not None and not self.needs.search(line):
            return False
        m = self.pattern.search(line)
        if not m:
            return False
        if self.no_terminal_period:
            rest = line[m.end():]
            has_sep = bool(re.match(r"\s*[:–—|»>-]", rest)) or bool(re.search(r"[:–—|»>]\s*$", m.group(0)))
            if not has_sep and (words(line) > 12 or re.search(r"[.!?]\s*$", line)):
                return False
        return True


def _rx(p: str, flags=re.I) -> re.Pattern:
    return re.compile(p, flags)


RULES: tuple[Rule, ...] = (
    Rule("comment_prompt", "comment forms, comment counters and prompts",
         _rx(r"^(?:schreiben?\s+sie\s+einen\s+kommentar|schreibe\s+einen\s+kommentar|"
             r"kommentar\s+(?:schreiben|verfassen|abgeben|hinzufügen|abschicken)|jetzt\s+kommentieren|"
             r"kommentieren|kommentare?|leserkommentare|\d+\s+kommentare?|kommentare?\s*\(\d+\)|"
             r"(?:noch\s+)?keine\s+kommentare\b.*|diskutieren\s+sie\s+mit\b.*|die\s+kommentarfunktion\b.*|"
             r"kommentare?\s+(?:anzeigen|lesen|einblenden|ausblenden|schließen|laden)|"
             r"(?:dein|ihr)\s+kommentar|antwort\s+(?:verfassen|schreiben)|antworten|"
             r"(?:leave|post|add|write)\s+a\s+(?:comment|reply)|\d+\s+(?:comments?|responses?|replies)|"
             r"comments?|no\s+comments(?:\s+yet)?|join\s+the\s+(?:discussion|conversation)\b.*|"
             r"verraten\s+sie\s+.{0,40}\bin\s+den\s+kommentaren\b.*|"
             r"(?:schreiben\s+sie|schreibt)\s+(?:es\s+)?(?:uns\s+)?in\s+die\s+kommentare\b.*|"
             r"was\s+(?:meinen|denken)\s+sie\b.{0,60}\bkommentar.*|"
             r"(?:ihre|deine)\s+e-?mail-?adresse\s+wird\s+nicht\s+veröffentlicht.*|"
             r"your\s+email\s+address\s+will\s+not\s+be\s+published.*|"
             r"bitte\s+beachten\s+sie\s+unsere\s+(?:netiquette|kommentarregeln|diskussionsregeln)\b.*|"
             r"please\s+keep\s+(?:comments|the\s+discussion)\b.*|"
             r"(?!.*\b(?:said|says|told|according|sagte|sagt|erklärte|laut)\b)(?:[\w-]+\s+){0,3}comments?\s+"
             r"(?:will|may)\s+be\s+(?:removed|deleted|moderated)\b.*|"
             r"(?!.*\b(?:said|says|told|according|sagte|sagt|erklärte|laut)\b)(?:[\w:-]+\s+){0,8}kommentare\s+"
             r"(?:werden|können)\s+(?:\w+\s+){0,3}(?:gelöscht|entfernt|moderiert)\b.*|"
             r"(?:ihr\s+)?kommentare?\s+(?:werden|wird)\s+(?:vor\s+der\s+veröffentlichung\s+)?(?:von\s+der\s+redaktion\s+)?"
             r"(?:geprüft|moderiert|freigeschaltet)\b.*)[.!:]?$"),
         max_len=220),
    Rule("related_links", "related-article lines and headings (Mehr zum Thema, Lesen Sie auch ...)",
         _rx(r"^(?:mehr\s+zum\s+thema|lesen\s+sie\s+(?:auch|hier|mehr|weiter|dazu)|auch\s+(?:lesen|interessant)|"
             r"(?:das|dies)\s+könnte\s+(?:sie|dich|euch)\s+(?:auch|ebenfalls)\s+interessieren|ebenfalls\s+interessant|"
             r"ähnliche\s+(?:beiträge|artikel|themen|nachrichten|rezepte|posts)|verwandte\s+(?:artikel|beiträge|themen)|"
             r"weitere\s+(?:artikel|beiträge|themen|nachrichten|meldungen|news|informationen|infos|links|"
             r"\w*tipps|aktuelle\s+themen|berichte|videos|bilder)|"
             r"mehr\s+(?:themen|artikel|news|nachrichten|beiträge|infos|informationen|videos|aus\b|von\b|zu\b|dazu|zum\b)|"
             r"zum\s+thema|passend\s+(?:dazu|zum\s+thema)|dazu\s+passend|unsere\s+empfehlungen?|empfehlungen\s+der\s+redaktion|"
             r"top[-\s]?themen|meist(?:-|\s)?(?:gelesen|kommentiert|diskutiert|geklickt)(?:e\s+artikel)?|"
             r"beliebte\s+(?:artikel|beiträge)|kommentierte\s+(?:artikel|beiträge)|(?:zum|zur)\s+(?:artikel|startseite|übersicht)|zurück\s+zur\s+übersicht|"
             r"(?:nächster|vorheriger|voriger)\s+(?:artikel|beitrag)|der\s+(?:nächste|vorherige)\s+beitrag|"
             r"vorschau\s+auf\s+den\s+nächsten\s+artikel|weiterlesen|mehr\s+lesen|alle\s+(?:artikel|beiträge|news|meldungen)|"
             r"related(?:\s+(?:articles|posts|stories|content|news))?|read\s+(?:more|also|next)|see\s+also|"
             r"more\s+(?:on\s+this(?:\s+story)?|from|stories|news|articles)|you\s+(?:may|might)\s+also\s+like|"
             r"recommended(?:\s+for\s+you)?|(?:\.{3}|…)\s*weiter\b)\b"),
         max_len=220, no_terminal_period=True),
    Rule("copyright_footer", "copyright and licence footers of the site",
         _rx(r"^(?:©\s*)?(?:alle\s+rechte\s+vorbehalten|all\s+rights\s+reserved)\b.{0,120}$|"
             r"\b(?:alle\s+rechte\s+vorbehalten|all\s+rights\s+reserved)\.?$|"
             r"^(?:sofern\s+nicht\s+anders\s+(?:angegeben|ausgewiesen|vermerkt),?\s+)?(?:stehen\s+)?(?:alle\s+)?"
             r"(?:inhalte|texte)\s+(?:dieser|unserer)\s+(?:web)?(?:seite|site)\b.{0,80}\b(?:lizenz|cc[- ]by|creative\s+commons)|"
             r"^(?:unless\s+otherwise\s+(?:noted|stated),?\s+)?(?:the\s+)?content\s+(?:of|on)\s+this\s+(?:web)?site\b.{0,60}"
             r"\b(?:licen[cs]ed|cc[- ]by|creative\s+commons)"),
         max_len=220),
    Rule("image_credit", "image credits and captions ending in a credit (Foto: dpa, © ...)",
         _rx(r"^[(\[]?(?:foto|fotos|bild|bilder|titelbild|titelfoto|aufmacherbild|beitragsbild|symbolbild|"
             r"symbolfoto|archivbild|archivfoto|grafik|illustration|bildquelle|bildnachweis|bildrechte|"
             r"fotonachweis|copyright|photo|photos|image|picture|credit|credits|photo\s+credit)s?\s*"
             r"(?::|©|\(c\))\s*\S.{0,110}$|^(?:©|\(c\)|copyright\b\s*©?)\s*\S.{0,110}$|"
             r"(?:\||/|\()\s*(?:©|\(c\)|foto:|fotos:|bild:|photo:|credit:)\s*[^.!?]{1,60}\)?$"),
         max_len=300, max_words=40),
    Rule("share_prompt", "share / print / follow prompts and social button rows",
         _rx(r"^(?:(?:teilen|drucken|twittern|tweet|share|print|merken|speichern|vorlesen|anhören|e-?mail|mail|"
             r"facebook|twitter|x|whatsapp|pinterest|linkedin|xing|telegram|reddit|flipboard|messenger|pocket|"
             r"link\s+kopieren|copy\s+link|kopieren|artikel\s+(?:teilen|drucken|vorlesen|anhören|merken|versenden)|"
             r"beitrag\s+(?:teilen|drucken)|seite\s+(?:teilen|drucken)|per\s+(?:e-?mail|mail|whatsapp)\s*(?:teilen|versenden)?|"
             r"teilen\s+auf\s+\w+|auf\s+\w+\s+teilen|schriftgröße|a\+|a-|feedback|bookmark|save)"
             r"[\s|·•,/]*)+$|"
             r"^(?:teilen\s+sie\s+(?:diesen|den|unseren)\s+(?:artikel|beitrag)\b.*|"
             r"share\s+(?:this\s+(?:article|story|post|page)|on\s+\w+)\b.{0,40}|jetzt\s+teilen\b.*|"
             r"(?:diese[ns]?|den)\s+(?:artikel|beitrag|text|seite)\s+(?:teilen|drucken|versenden|empfehlen|merken|"
             r"anhören|vorlesen\s+lassen)|(?:artikel|beitrag)\s+(?:anhören|vorlesen\s+lassen)|"
             r"listen\s+to\s+this\s+(?:article|story)|"
             r"folgen\s+sie\s+uns\b.*|folge\s+uns\b.*|follow\s+us\b.*|"
             r"(?:hat\s+)?(?:ihnen|dir)\s+(?:dieser|der|unser)\s+(?:artikel|beitrag)\s+gefallen\b.*|"
             r"(?:if\s+you\s+)?(?:enjoyed|liked)\s+(?:reading\s+)?this\s+(?:post|article)\b.*)$"),
         max_len=250),
    Rule("newsletter", "newsletter sign-up prompts",
         _rx(r"(?:newsletter\b.{0,120}\b(?:abonnier|anmeld|registrier|bestell|posteingang|postfach|erhalten\s+sie|"
             r"erhältst\s+du|kostenlos|sign\s+up|subscribe|inbox)|(?:abonnier|anmeld|registrier|bestell|melden\s+sie\s+sich|"
             r"melde\s+dich|sign\s+up|subscribe)\w*.{0,80}newsletter|\b(?:in|für|zu)\s+unse?re?[nm]?\s+\w*newsletter\b|^(?:jetzt\s+)?(?:zum\s+)?newsletter\b.{0,60}$|"
             r"\b(?:kostenlos|direkt|täglich|wöchentlich|jeden\s+\w+).{0,40}\bin\s+(?:ihr(?:em|en)?|dein(?:em|en)?)\s+"
             r"(?:postfach|posteingang)\b|"
             r"^mit\s+(?:der|ihrer|deiner)\s+(?:registrierung|anmeldung)\b.{0,80}\b(?:datenschutz|nutzungsbedingungen|agb))"),
         max_len=350, needs=_rx(r"newsletter|post|^mit")),
    Rule("cookie_consent", "cookie banners, consent buttons and placeholders for blocked embeds",
         _rx(r"(?:\b(?:wir|diese\s+(?:web)?(?:seite|site)|unsere\s+(?:web)?(?:seite|site)|we|this\s+(?:web)?site|"
             r"our\s+(?:web)?site)\b.{0,40}\b(?:verwenden|nutzen|nutzt|setzen|setzt|verwendet|use|uses|store|stores)\b"
             r".{0,40}\bcookies?\b|\bcookies?\b.{0,120}\b(?:akzeptieren|zustimmen|zustimmung|einwilligung|"
             r"cookie-einstellungen|accept|consent)\b|"
             r"^(?:alle\s+)?(?:akzeptieren|zustimmen|ablehnen|accept(?:\s+all)?|reject(?:\s+all)?|"
             r"alle\s+ablehnen|einverstanden|cookie-einstellungen|datenschutzeinstellungen|privacy\s+settings)$|"
             r"\bexterne[nr]?\s+inhalte?\b.{0,100}\b(?:laden|anzeigen|zustimm|einwillig|aktivier|entsperr)|"
             r"\bklicken\s+sie\s+auf\s+.{0,60}\bum\s+(?:den|die|das)\s+inhalte?\s+.{0,60}\bzu\s+laden|"
             r"\b(?:mit\s+dem\s+klick|durch\s+(?:den\s+)?klick|by\s+clicking)\b.{0,60}\b(?:akzeptieren|zustimmen|"
             r"einverstanden|accept|agree|consent)|"
             r"\bcookies?\b.{0,120}\b(?:betrieb\s+der\s+(?:seite|website)|statistikzwecke|marketingzwecke|"
             r"drittanbieter|datenschutzerklärung|privacy\s+policy|necessary\s+for)|"
             r"\b(?:an|ab)\s+dieser\s+stelle\s+(?:finden|befindet)\s+sich\s+ein(?:en)?\s+(?:externe|eingebettete)|"
             r"\bmit\s+(?:dem\s+)?(?:laden|anzeigen)\s+de[rs]\s+(?:inhalts?|videos|karte)\s+akzeptieren\s+sie\b|"
             r"^(?:link\s+zu[mr]?\s+)?(?:youtube|vimeo|twitter|x|instagram|tiktok|facebook|spotify|soundcloud|"
             r"datawrapper|podigee|bluesky|threads|mastodon|twitch)[-\s]?(?:inhalt|inhalte|video|post|beitrag|embed|"
             r"player|content)$|^(?:embed|externer\s+inhalt|external\s+content|"
             r"empfohlener\s+(?:redaktioneller\s+|externer\s+)?inhalt)$)"),
         max_len=500, needs=_rx(r"cookie|extern|klick|clicking|stelle|akzeptieren|^(?:alle|zustimmen|ablehnen|accept|reject|"
                                r"einverstanden|datenschutz|privacy|link|youtube|vimeo|twitter|x|instagram|tiktok|facebook|"
                                r"spotify|soundcloud|datawrapper|podigee|bluesky|threads|mastodon|twitch|embed|empfohlen)")),
    Rule("advert", "advertisement markers and sponsored lines",
         _rx(r"^(?:(?:story|article|artikel|text)\s+(?:continues|geht)\s+(?:below|unter|nach)\b.{0,30}"
             r"\b(?:advertisement|anzeige|werbung)|weiter\s+nach\s+der\s+(?:anzeige|werbung))$|^(?:anzeige|werbung|advertisement|sponsored(?:\s+content|\s+post)?|gesponsert|paid\s+content|"
             r"promotion|ad)\b\s*(?:[-–—:|]\s*.{0,150})?$"),
         max_len=200),
    Rule("paywall", "paywall teasers and subscription prompts",
         _rx(r"^(?:jetzt\s+(?:weiterlesen|abonnieren|abo\s+abschließen|testen|gratis\s+testen|registrieren|freischalten)|"
             r"weiterlesen\s+mit\b.*|(?:um|zum)\s+(?:diesen|den)\s+(?:artikel|beitrag)\s+(?:vollständig\s+|komplett\s+|weiter\s+)?"
             r"(?:zu\s+)?(?:lesen|weiterzulesen).*|diese[rs]?\s+(?:artikel|beitrag|inhalt)\s+ist\s+(?:nur\s+|exklusiv\s+)?"
             r"(?:für|mit)\s+(?:abonnent|\w*\+|plus|premium).*|(?:sie\s+sind\s+)?bereits\s+(?:abonnent|registriert|kunde).*|"
             r"sie\s+haben\s+bereits\s+ein\s+(?:abo|konto).*|exklusiv\s+für\s+abonnenten.*|lust\s+auf\s+mehr\?.*|"
             r"(?:\w+\s*)?(?:plus|\+)[-\s]artikel|abo\s+(?:abschließen|testen)\b.*|alle\s+artikel\s+lesen\b.*|"
             r"subscribe\s+(?:now|to\s+(?:continue|read))\b.*|already\s+a\s+subscriber\?.*|"
             r"(?:unterstützen\s+sie|unterstütze)\s+(?:\w+\s+){0,3}journalismus\b.*|"
             r"support\s+(?:\w+\s+){0,2}journalism\b.*|.{0,60}\bdigital-?abo(?:nnement)?\s+(?:ab|für|from)\s+\d.*|"
             r"(?:nur\s+)?\d+[,.]\d{2}\s*(?:€|euro)\s+(?:im|pro|/)\s*monat.*|"
             r"(?:jetzt\s+)?(?:\d+|einen|eine|ein|zwei|drei|vier|sechs)\s+(?:tage?|wochen?|monate?)\s+(?:lang\s+)?"
             r"(?:kostenlos|gratis|unverbindlich|für\s+(?:nur\s+)?\d+(?:[,.]\d{2})?\s*(?:€|euro))\s+"
             r"(?:testen|lesen|weiterlesen|nutzen)\b.{0,80}|"
             r"(?:jetzt\s+)?(?:probe|test|schnupper)-?abo\s*(?:[:–—|-]|sichern|abschließen|bestellen|starten|testen)"
             r".{0,80}|(?:start|begin)\s+(?:your\s+)?free\s+trial\b.{0,60})$"),
         max_len=300),
    Rule("author_box", "author boxes and bylines",
         _rx(r"^(?:über\s+(?:den|die)\s+autor(?:in)?(?:en|innen)?|zur\s+person|about\s+the\s+authors?|autoreninfo|"
             r"über\s+(?:uns|diese\s+(?:reihe|serie)|dieses\s+projekt)|about\s+(?:us|this\s+series)|"
             r"(?:alle\s+|mehr\s+)?(?:artikel|beiträge)\s+(?:von|des\s+autors|der\s+autorin)\b.{0,50}|"
             r"(?:autor(?:in)?|autoren|text|redaktion|recherche|interview)\s*:\s*.{2,60})$"),
         max_len=120),
    Rule("byline", "a byline line: 'Von Vorname Nachname'",
         _rx(r"^(?:[Vv]on|[Bb]y|VON|BY)\s+(?:[a-z]{2,5}(?=\s*(?:[,|/]|$))|[A-ZÄÖÜ][\w.'-]+)(?:\s+(?:von\s+|de\s+|van\s+)?[A-ZÄÖÜ][\w.'-]+){0,3}"
             r"(?:\s*(?:,|und|and|&|\|)\s*[A-ZÄÖÜ][\w.'-]+(?:\s+[A-ZÄÖÜ][\w.'-]+){0,3})*(?:\s*[,|]\s*.{0,40})?$", 0),
         max_len=120, max_words=12),
    Rule("contact_box", "press contact boxes: contact headings, phone, fax and e-mail lines",
         _rx(r"^(?:(?:pressesprecher|pressekontakt|medienkontakt|ansprechpartner|ansprechperson|press\s+contact|"
             r"media\s+contact)\S*\b.{0,60}|kontakt|contact|"
             r"(?:tel|telefon|fon|fax|telefax|mobil|handy|phone|e-?mail|mail)\.?\s*:?\s*(?:[+(\d][\d\s()/+-]{5,30}|"
             r"\S+@\S+\.\w+)(?:\s*[|,]\s*.{0,60})?|\S+@\S+\.[a-z]{2,6})$"),
         max_len=120),
    Rule("editorial_note", "error-report prompts, agency takeover notes, wire credits",
         _rx(r"^(?:(?:sie\s+haben\s+einen\s+fehler\s+(?:gefunden|entdeckt)|fehler\s+(?:gefunden|entdeckt)|"
             r"fehler\s+melden|spotted\s+an\s+error|found\s+an?\s+(?:error|mistake|typo)|report\s+an\s+error)\b.*|"
             r"diese[rs]?\s+(?:artikel|beitrag|text|meldung)\s+wurde\s+(?:automatisch\s+)?(?:aus|von)\b.{0,100}"
             r"\b(?:übernommen|erstellt|generiert)\b.*|"
             r"this\s+(?:article|story)\s+(?:was|has\s+been)\s+(?:automatically\s+)?(?:generated|published|produced)\s+"
             r"from\b.*|"
             r"(?:diese[rs]?\s+(?:artikel|beitrag|text|interview|kommentar)|der\s+(?:artikel|beitrag))\s+(?:ist|erschien|wurde)\s+(?:\w+\s+){0,2}(?:zuerst|ursprünglich|"
             r"erstmals)\s+(?:\w+\s+){0,3}(?:bei|in|auf|im)\b.*|"
             r"(?:this|the)\s+(?:article|story|piece|post)\s+(?:was\s+|has\s+been\s+)?(?:originally|first)\s+"
             r"(?:published|appeared|ran)\b.*|"
             r"(?:dies\s+ist|bei\s+diese[mr]\s+(?:artikel|text|beitrag)\s+handelt\s+es\s+sich\s+um)\s+eine\s+"
             r"(?:maschinelle|automatische|automatisierte|ki-gestützte)?\s*übersetzung\b.*|"
             r"(?:lest|lesen\s+sie|lies|read)\s+(?:hier\s+)?(?:den|das|the)\s+(?:original(?:artikel|text)?|englische[n]?\s+original)"
             r"\b.{0,40}|(?:additional\s+)?(?:reporting|writing|editing)\s+by\s+(?-i:[A-ZÄÖÜ])[^.!?]{0,80}\.?|"
             r"(?:quelle|source)\s*:\s*[^\s.!?][^.!?]{0,40}|"
             r"(?:hinweis\s*:\s*)?(?:der|die|alle)?\s*inhalte?\s+(?:dieser|der)\s+(?:seite|website|webseite)\b.{0,60}"
             r"\bnicht\s+(?:\w+\s+)?(?:geprüft|überprüft)\b.*|"
             r"(?:(?:die\s+)?redaktion|der\s+verlag|wir)\s+übernehm\w*\s+keine\s+(?:haftung|gewähr|verantwortung)\b.*|"
             r"für\s+(?:den|die)\s+inhalte?\b.{0,80}\b(?:verantwortlich|keine\s+(?:haftung|gewähr))\b.*|"
             r"alle\s+angaben\s+ohne\s+gewähr\.?)$"),
         max_len=200, max_words=25),
    Rule("breadcrumb", "breadcrumb trails (Home › Politik › ...) and page navigation links",
         _rx(r"^(?:home|startseite|start|homepage|übersicht)\s*(?:[›»>/|]\s*[^›»>/|]{1,40}){1,5}$|"
             r"^(?:back\s+to\s+top|(?:zurück\s+)?nach\s+oben|zum\s+seitenanfang|seitenanfang|top)$"),
         max_len=160),
    Rule("date_line", "a line that only carries a date/time stamp or reading time",
         _rx(r"^(?:(?:stand|aktualisiert|zuletzt\s+aktualisiert|veröffentlicht|erschienen|publiziert|erstellt|"
             r"letzte\s+änderung|letzte\s+aktualisierung|datum|updated|last\s+updated|published|posted)"
             r"(?:\s+(?:am|on|um))?\s*:?\s*)?(?:[a-z]{2,10}\.?,?\s+)?"
             r"(?:\d{1,2}\.\s?\d{1,2}\.\s?\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}\.?\s+[a-zäö]{3,9}\.?\s+\d{4})"
             r"(?:,?\s*(?:um\s+)?\d{1,2}[:.]\d{2}(?:\s*uhr)?)?\s*(?:[|–—-]\s*[\wäöüÄÖÜ -]{1,30})?\.?$|"
             r"^(?:lesezeit|lesedauer|reading\s+time)\s*:?\s*(?:ca\.\s*)?\d+.{0,20}$|"
             r"^(?:ca\.\s*)?\d+\s*(?:min\.?|minuten|minutes?)\s+(?:lesezeit|lesen|read)$"),
         max_len=100),
    Rule("toc", "table-of-contents heading",
         _rx(r"^(?:inhaltsverzeichnis|table\s+of\s+contents|contents|inhalt|auf\s+dieser\s+seite|in\s+diesem\s+"
             r"(?:artikel|beitrag|text)|artikelinhalt|inhalt\s+(?:des|dieses)\s+(?:artikels|beitrags)|in\s+this\s+"
             r"(?:article|story))\s*:?$"),
         max_len=40),
)

RULES_BY_NAME = {r.name: r for r in RULES}


def match_line(line: str) -> str | None:
    """Name of the first catalogue rule matching ``line`` (stripped), else None."""
    for rule in RULES:
        if rule.matches(line):
            return rule.name
    return None
