"""Nordticker: wire-copy aggregator with an older CMS. Breadcrumbs, a visible "Stand: ..." line
as the only date on the page, a "Quelle:" line, no structured data, table-free but id-heavy."""

from __future__ import annotations

from .common import Page, Residue, de_short, esc

COOKIE = ("Diese Website nutzt Cookies. Durch die weitere Nutzung der Seite stimmen Sie der "
          "Verwendung von Cookies zu.")
NETIQUETTE = ("Bitte beachten Sie unsere Netiquette. Kommentare werden vor der Veröffentlichung "
              "von der Redaktion geprüft.")
NEWSLETTER = "Nordticker-Newsletter: Die wichtigsten Meldungen des Tages kostenlos per E-Mail."


def _head(title: str, description: str, og_type: str) -> str:
    return f"""<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
<html>
<head>
<meta http-equiv="content-type" content="text/html; charset=UTF-8">
<title>{esc(title)} | Nordticker Nachrichten</title>
<meta name="description" content="{esc(description)}">
<meta name="robots" content="index,follow">
<meta property="og:type" content="{og_type}">
<link rel="alternate" type="application/rss+xml" title="Nordticker - Alle Meldungen" href="/rss/alle.xml">
</head>
"""


def _top(spec, r: Residue) -> str:
    menu = "".join(
        f'<li><a href="{spec.section_path(s)}">{r(label)}</a></li>' for s, label in spec.sections
    )
    return f"""<body>
<div id="cookiehinweis">{r(COOKIE)} <a href="#" id="cookie-ok">{r("OK")}</a> <a href="/datenschutz.html">{r("Mehr erfahren")}</a></div>
<div id="kopf">
  <div id="logo"><a href="/">{r("Nordticker")}</a> <span id="claim">{r("Nachrichten aus Norddeutschland und der Welt")}</span></div>
  <ul id="menue"><li><a href="/">{r("Start")}</a></li>{menu}</ul>
</div>
<div id="inhalt">
"""


def _footer(r: Residue) -> str:
    return f"""</div>
<div id="fuss"><a href="/impressum.html">{r("Impressum")}</a> | <a href="/datenschutz.html">{r("Datenschutz")}</a> | <a href="/kontakt.html">{r("Kontakt")}</a><br>{r("© Nordticker Medien 2026")}</div>
</body>
</html>
"""


def render_article(spec, art, ver, url: str, edition: int, siblings) -> Page:
    r = Residue()
    section = spec.section_label(art.section)
    stand = f"Stand: {de_short(ver.lastmod)}"
    paras = "\n".join(f"<p>{esc(b[3:] if b.startswith('## ') else b)}</p>" for b in ver.blocks)
    more = "".join(
        f'<li><a href="{esc(s["href"])}">{r(s["title"])}</a></li>'
        for s in [s for s in siblings if s["href"] != url][:4]
    )
    source = f"Quelle: {art.source}" if art.source else ""
    out = [_head(ver.title, ver.paragraphs[0][:140], "article"), _top(spec, r)]
    out.append(f"""<ol class="breadcrumb">
  <li><a href="/">{r("Startseite")}</a> ›</li>
  <li><a href="{spec.section_path(art.section)}">{r(section)}</a> ›</li>
  <li>{r("Meldung")}</li>
</ol>
<div class="meldung" id="meldung-{art.num}">
<h1>{esc(ver.title)}</h1>
<p class="stand">{r(stand)}</p>
<div class="meldungstext">
{paras}
</div>
""" + (f'<p class="quelle">{r(source)}</p>\n' if source else "") + f"""<div class="teilen">{r("Teilen:")} <a href="#">{r("Facebook")}</a> <a href="#">{r("WhatsApp")}</a> <a href="#">{r("E-Mail")}</a> <a href="#">{r("Drucken")}</a></div>
</div>
<div class="kommentar-box">
<h4>{r("Kommentar verfassen")}</h4>
<p>{r(NETIQUETTE)}</p>
<form action="/cgi-bin/kommentar.pl" method="post"><textarea name="text" rows="5" cols="60"></textarea><br><input type="submit" value="Absenden"></form>
</div>
<div class="interessant">
<h4>{r("Das könnte Sie auch interessieren")}</h4>
<ul>{more}</ul>
</div>
<div class="newsletter">{r(NEWSLETTER)} <a href="/newsletter.html">{r("Jetzt abonnieren")}</a></div>
""")
    out.append(_footer(r))
    return Page("".join(out), r.lines)


def render_listing(spec, title: str, url: str, teasers) -> str:
    r = Residue()
    items = "\n".join(
        f'<li><span class="zeit">{esc(t.get("time", ""))}</span> <a href="{esc(t["href"])}">{esc(t["title"])}</a></li>'
        for t in teasers
    )
    return (_head(title, f"Meldungen: {title}", "website") + _top(spec, r)
            + f"""<ol class="breadcrumb"><li><a href="/">Startseite</a> ›</li><li>{esc(title)}</li></ol>
<h1>{esc(title)}</h1>
<ul class="meldungsliste">
{items}
</ul>
""" + _footer(r))


def render_not_found(spec, url: str) -> str:
    r = Residue()
    return (_head("Meldung nicht gefunden", "404", "website") + _top(spec, r)
            + "<h1>Meldung nicht gefunden</h1>\n<p>Die angeforderte Meldung existiert nicht oder wurde entfernt.</p>\n"
            + _footer(r))
