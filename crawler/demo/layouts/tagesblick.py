"""Tagesblick: national news site. Div soup with meta tags (og:, article:*) and <time>, a
"Lesen Sie auch" box inside the text, a paywall teaser, recommendations, no <article>."""

from __future__ import annotations

from .common import Page, Residue, de_short, esc

CONSENT = ("Wir und unsere Partner verarbeiten personenbezogene Daten. Mit Klick auf „Akzeptieren“ "
           "willigen Sie ein. Ihre Einwilligung können Sie jederzeit widerrufen.")
PAYWALL_TITLE = "Tagesblick+ – unabhängiger Journalismus"
PAYWALL_TEXT = "Lesen Sie alle Artikel ab 0,99 € im ersten Monat. Jederzeit kündbar."


def _head(title: str, url: str, description: str, og_type: str, meta: str = "") -> str:
    return f"""<!doctype html>
<html lang="de-DE">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{esc(title)} - Tagesblick</title>
<meta name="description" content="{esc(description)}">
<meta property="og:type" content="{og_type}">
<meta property="og:title" content="{esc(title)}">
<meta property="og:url" content="{esc(url)}">
<meta property="og:site_name" content="Tagesblick">
<meta name="twitter:card" content="summary_large_image">
<link rel="canonical" href="{esc(url)}">
{meta}<link rel="alternate" type="application/atom+xml" href="/feeds/alle.atom">
</head>
"""


def _top(spec, r: Residue) -> str:
    links = [("/", "Home")] + [(spec.section_path(s), label) for s, label in spec.sections]
    links += [("/digital/", "Digital"), ("/sport/", "Sport")]
    nav = " ".join(f'<a class="nav-link" href="{h}">{r(label)}</a>' for h, label in links)
    return f"""<body>
<div class="consent-layer" id="consent">
  <div class="consent-text">{r(CONSENT)}</div>
  <a class="consent-btn" href="#">{r("Akzeptieren")}</a> <a class="consent-link" href="/datenschutz">{r("Datenschutzeinstellungen")}</a>
</div>
<div class="topbar">
  <div class="brand"><a href="/">{r("TAGESBLICK")}</a></div>
  <div class="nav-wrap">{nav}</div>
  <div class="login"><a href="/abo">{r("Abo")}</a> <a href="/login">{r("Anmelden")}</a></div>
</div>
"""


def _footer(r: Residue) -> str:
    return f"""<div class="footer">
  <div class="footer-nav"><a href="/impressum">{r("Impressum")}</a> · <a href="/datenschutz">{r("Datenschutz")}</a> · <a href="/agb">{r("AGB")}</a> · <a href="/kontakt">{r("Kontakt")}</a></div>
  <div class="footer-copy">{r("© Tagesblick Digital GmbH 2026. Alle Rechte vorbehalten.")}</div>
</div>
</body>
</html>
"""


def _article_meta(art, ver, section: str) -> str:
    return (
        f'<meta property="article:published_time" content="{ver.published}">\n'
        f'<meta property="article:modified_time" content="{ver.lastmod}">\n'
        f'<meta property="article:section" content="{esc(section)}">\n'
        f'<meta name="author" content="{esc(art.author)}">\n'
        f'<meta name="date" content="{ver.published}">\n'
        f'<meta name="last-modified" content="{ver.lastmod}">\n'
    )


def _story_text(ver, url: str, siblings, r) -> str:
    """The text blocks, with a "Lesen Sie auch" box after the second."""
    blocks = []
    read_also = [s for s in siblings if s["href"] != url][:3]
    for i, block in enumerate(ver.blocks):
        blocks.append(f'<div class="text-block"><p class="paragraph">{esc(block)}</p></div>')
        if i == 1 and read_also:
            items = "".join(f'<li><a href="{esc(s["href"])}">{r(s["title"])}</a></li>' for s in read_also)
            blocks.append(f'<div class="read-also"><div class="read-also-title">{r("Lesen Sie auch")}</div><ul>{items}</ul></div>')
    return "\n    ".join(blocks)


def render_article(spec, art, ver, url: str, edition: int, siblings) -> Page:
    r = Residue()
    section = spec.section_label(art.section)
    meta = _article_meta(art, ver, section)
    out = [_head(ver.title, url, ver.paragraphs[0][:160], "article", meta), _top(spec, r)]
    date_line = f'<time class="story-date" datetime="{ver.published}">{esc(de_short(ver.published))}</time>'
    r(de_short(ver.published))
    if ver.modified:
        upd = f"Aktualisiert: {de_short(ver.modified)}"
        date_line += f' <span class="story-updated">| <time datetime="{ver.modified}">{r(upd)}</time></span>'
    body = _story_text(ver, url, siblings, r)
    recs = [s for s in siblings if s["href"] != url][-3:]
    rec_html = "".join(
        f'<div class="rec-item"><a href="{esc(s["href"])}"><span class="rec-title">{r(s["title"])}</span></a></div>'
        for s in recs
    )
    kicker = f'<div class="story-kicker">{r(art.kicker)}</div>' if art.kicker else ""
    caption = f'<div class="caption">{r(art.caption)}</div>' if art.caption else ""
    r("Von " + art.author)
    out.append(f"""<div class="page">
 <div class="content-main">
  <div class="breadcrumb-mini"><a href="{spec.section_path(art.section)}">{r(section)}</a></div>
  <div class="story-header">
    {kicker}
    <h1 class="story-title">{esc(ver.title)}</h1>
    <div class="story-meta"><span class="byline">Von {esc(art.author)}</span> {date_line}</div>
  </div>
  <div class="image-wrap"><img src="/img/{art.num}-1200.jpg" alt="">{caption}</div>
  <div class="social-bar">
    <a class="sb-share" href="#">{r("Teilen")}</a> <a class="sb-print" href="?print=1">{r("Artikel drucken")}</a> <a class="sb-save" href="#">{r("Merken")}</a>
  </div>
  <div class="story-text">
    {body}
  </div>
  <div class="paywall-teaser">
    <div class="pw-title">{r(PAYWALL_TITLE)}</div>
    <p>{r(PAYWALL_TEXT)}</p>
    <a class="pw-button" href="/abo">{r("Jetzt abonnieren")}</a>
    <p class="pw-login">{r("Sie sind bereits Abonnent? Hier anmelden")}</p>
  </div>
  <div class="recommendations">
    <div class="rec-head">{r("Das könnte Sie auch interessieren")}</div>
    {rec_html}
  </div>
  <div class="ad-slot"><span class="ad-marker">{r("Anzeige")}</span></div>
 </div>
</div>
""")
    out.append(_footer(r))
    return Page("".join(out), r.lines)


def render_listing(spec, title: str, url: str, teasers) -> str:
    r = Residue()
    items = "\n".join(
        f'  <div class="teaser-item"><div class="teaser-kicker">{esc(t.get("kicker") or "")}</div>'
        f'<a class="teaser-link" href="{esc(t["href"])}"><span class="teaser-headline">{esc(t["title"])}</span></a>'
        f'<p class="teaser-summary">{esc(t.get("teaser", ""))}</p></div>'
        for t in teasers
    )
    return (_head(title, url, f"{title} – Nachrichten und Hintergründe", "website") + _top(spec, r)
            + f"""<div class="page"><div class="content-main">
  <h1 class="section-title">{esc(title)}</h1>
{items}
</div></div>
""" + _footer(r))


def render_not_found(spec, url: str) -> str:
    r = Residue()
    return (_head("Fehler 404", url, "Seite nicht gefunden", "website") + _top(spec, r)
            + '<div class="page"><h1>Fehler 404</h1><p>Diese Seite existiert nicht (mehr).</p></div>\n'
            + _footer(r))
