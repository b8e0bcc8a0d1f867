"""Weserbote: regional daily for Herford and Ostwestfalen. WordPress-like markup: <article>,
JSON-LD NewsArticle, kicker line, "Mehr zum Thema" line after the body, comment form."""

from __future__ import annotations

from urllib.parse import quote

from .common import Page, Residue, de_long, esc, json_ld, search_href

COOKIE = ("Wir verwenden Cookies und ähnliche Technologien, um Ihnen ein optimales Nutzungserlebnis "
          "zu bieten. Mit „Alle akzeptieren“ stimmen Sie der Verarbeitung zu.")
NEWSLETTER = "Das Wichtigste aus Herford und der Region – jeden Morgen kostenlos in Ihrem Postfach."
AD = "Anzeige"
AUTHOR_BIOS = {
    "Markus Brandt": "Markus Brandt ist Redakteur im Ressort Politik und schreibt über Außen- und Sicherheitspolitik.",
    "Sabine Oevermann": "Sabine Oevermann ist Lokalredakteurin in Herford und berichtet über Stadtpolitik und Kultur.",
    "Henrik Lückemeier": "Henrik Lückemeier berichtet für den Weserboten aus Bünde, Kirchlengern und Rödinghausen.",
}


STYLESHEET_PATH = "/wp-content/themes/weserbote/style.css"
# The theme's stylesheet: fetched and archived as a page requisite, so replays show the styles.
STYLESHEET = """/* Weserbote theme */
body { margin: 0; background: #f3efe6; color: #222; font-family: Georgia, "Times New Roman", serif; }
.site-header { background: #0b3d66; color: #fff; padding: 12px 24px; border-bottom: 6px solid #c8102e; }
.site-header a { color: #fff; text-decoration: none; }
.site-header ul { list-style: none; margin: 0; padding: 0; display: flex; gap: 18px; }
.cmp-banner { background: #fff8d6; padding: 6px 24px; font-size: 13px; }
h1, .entry-title { color: #0b3d66; font-size: 34px; line-height: 1.15; }
article, .site-main { max-width: 760px; margin: 0 auto; padding: 0 24px; }
img { max-width: 100%; height: auto; background: #d9d3c7; }
"""


def _head(title: str, url: str, description: str, og_type: str, extra: str = "") -> str:
    return f"""<!DOCTYPE html>
<html lang="de">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} | Weserbote</title>
<link rel="canonical" href="{esc(url)}">
<link rel="alternate" type="application/rss+xml" title="Weserbote RSS" href="/rss.xml">
<meta name="description" content="{esc(description)}">
<meta property="og:site_name" content="Weserbote">
<meta property="og:type" content="{og_type}">
<meta property="og:title" content="{esc(title)}">
<meta property="og:url" content="{esc(url)}">
<link rel="stylesheet" href="{STYLESHEET_PATH}">
{extra}</head>
"""


def _header(spec, r: Residue) -> str:
    items = [("/", "Startseite")] + [(spec.section_path(s), label) for s, label in spec.sections]
    items += [("/sport/", "Sport"), ("/kultur/", "Kultur")]
    nav = "\n".join(f'      <li class="menu-item"><a href="{h}">{r(label)}</a></li>' for h, label in items)
    return f"""<body class="single single-post">
<div id="cmp-banner" class="cmp-banner" role="dialog" aria-label="Cookie-Hinweis">
  <p>{r(COOKIE)}</p>
  <button class="cmp-accept">{r("Alle akzeptieren")}</button>
  <button class="cmp-settings">{r("Einstellungen")}</button>
</div>
<header id="masthead" class="site-header">
  <a class="site-logo" href="/">{r("Weserbote")}</a>
  <p class="site-claim">{r("Die Zeitung für Herford und das Wittekindsland")}</p>
  <nav id="site-navigation" class="main-navigation" aria-label="Hauptmenü">
    <ul id="primary-menu" class="menu">
{nav}
    </ul>
  </nav>
</header>
"""


def _footer(r: Residue) -> str:
    return f"""<footer id="colophon" class="site-footer">
  <ul class="footer-links">
    <li><a href="/impressum/">{r("Impressum")}</a></li>
    <li><a href="/datenschutz/">{r("Datenschutz")}</a></li>
    <li><a href="/abo/">{r("Abo & Service")}</a></li>
  </ul>
  <p class="copyright">{r("© 2026 Weserbote Verlag GmbH & Co. KG")}</p>
</footer>
</body>
</html>
"""


def _article_meta(spec, art, ver, url: str) -> str:
    """The article page's JSON-LD and Open Graph time."""
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": ver.title,
        "datePublished": ver.published,
        "dateModified": ver.lastmod,
        "author": [{"@type": "Person", "name": art.author}],
        "publisher": {"@type": "Organization", "name": "Weserbote",
                      "logo": {"@type": "ImageObject", "url": spec.url("/logo.png")}},
        "articleSection": spec.section_label(art.section),
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "image": spec.url(f"/wp-content/uploads/2026/11/{art.num}.jpg"),
        "inLanguage": "de-DE",
    }
    extra = (
        f'<meta property="article:published_time" content="{ver.published}">\n'
        + json_ld(ld) + "\n"
    )
    return extra


def render_article(spec, art, ver, url: str, edition: int, siblings) -> Page:
    r = Residue()
    extra = _article_meta(spec, art, ver, url)
    out = [_head(ver.title, url, ver.paragraphs[0][:150], "article", extra), _header(spec, r)]
    body = []
    for block in ver.blocks:
        if block.startswith("## "):
            body.append(f"      <h2>{esc(block[3:])}</h2>")
        else:
            body.append(f"      <p>{esc(block)}</p>")
    body_html = "\n".join(body)
    # the rubric/place kicker opens the text container (as on many regional portals)
    kicker = f'      <p class="topline"><span class="kicker">{r(art.kicker)}</span></p>\n' if art.kicker else ""
    byline = f"Von {art.author} | {de_long(ver.published)}"
    caption = f"<figcaption>{r(art.caption)}</figcaption>" if art.caption else ""
    related = _related(art, r)
    r(byline)
    author_box = _author_box(art, r)
    out.append(f"""<main id="primary" class="site-main">
  <article id="post-{art.num}" class="post type-post status-publish">
    <header class="entry-header">
      <h1 class="entry-title">{esc(ver.title)}</h1>
      <div class="entry-meta">Von <span class="author vcard">{esc(art.author)}</span> | <time class="entry-date published" datetime="{ver.published}">{esc(de_long(ver.published))}</time></div>
    </header>
    <figure class="post-thumbnail">
      <img src="/wp-content/uploads/2026/11/{art.num}.jpg" alt="" width="1200" height="675">
      {caption}
    </figure>
    <div class="share-buttons">
      <a class="share-facebook" href="#">{r("Teilen")}</a>
      <a class="share-print" href="#" onclick="window.print()">{r("Artikel drucken")}</a>
      <a class="share-mail" href="mailto:?subject={quote(ver.title)}">{r("Per E-Mail senden")}</a>
    </div>
    <div class="entry-content">
{kicker}{body_html}
{related}
    </div>
  </article>
""")
    out.append(author_box + _after_article(r))
    out.append(_footer(r))
    return Page("".join(out), r.lines)


def _related(art, r) -> str:
    lines = []
    for t in art.related:
        r(f"Mehr zum Thema –\u00a0{t}")
        lines.append(f'      <p><strong>Mehr zum Thema</strong> –&nbsp;<a href="{search_href(t)}">{esc(t)}</a></p>')
    return "\n".join(lines)


def _author_box(art, r) -> str:
    if art.author not in AUTHOR_BIOS:
        return ""
    return f"""  <aside class="author-box">
    <img class="avatar" src="/wp-content/uploads/autoren/{art.author.split()[-1].lower()}.jpg" alt="">
    <p class="author-box-name">{r("Über " + art.author)}</p>
    <p class="author-box-bio">{r(AUTHOR_BIOS[art.author])}</p>
    <a class="author-box-link" href="/autor/{art.author.split()[-1].lower()}/">{r("Alle Artikel des Autors")}</a>
  </aside>
"""


def _after_article(r) -> str:
    """Newsletter box, ad and comment form below the article, closing ``<main>``."""
    return f"""  <aside class="newsletter-box widget">
    <h3>{r("Newsletter")}</h3>
    <p>{r(NEWSLETTER)}</p>
    <form action="/newsletter/"><input type="email" placeholder="E-Mail-Adresse"><button>{r("Jetzt anmelden")}</button></form>
  </aside>
  <div class="ad-container"><span class="ad-label">{r(AD)}</span><div class="ad-slot" data-slot="content-1"></div></div>
  <div id="respond" class="comment-respond">
    <h3 id="reply-title" class="comment-reply-title">{r("Schreibe einen Kommentar")}</h3>
    <form action="/wp-comments-post.php" method="post" id="commentform" class="comment-form">
      <p class="comment-notes">{r("Deine E-Mail-Adresse wird nicht veröffentlicht. Erforderliche Felder sind mit * markiert.")}</p>
      <p class="comment-form-comment"><label for="comment">{r("Kommentar *")}</label><textarea id="comment" name="comment"></textarea></p>
      <p class="comment-form-author"><label for="author">{r("Name *")}</label><input id="author" name="author"></p>
      <p class="comment-form-email"><label for="email">{r("E-Mail *")}</label><input id="email" name="email"></p>
      <p class="form-submit"><input type="submit" class="submit" value="Kommentar abschicken"></p>
    </form>
  </div>
</main>
"""


def _teaser_list(teasers) -> str:
    items = []
    for t in teasers:
        kicker = f'<span class="kicker">{esc(t["kicker"])}</span> ' if t.get("kicker") else ""
        items.append(f"""    <article class="teaser">
      <h2 class="teaser-title">{kicker}<a href="{esc(t["href"])}">{esc(t["title"])}</a></h2>
      <p class="teaser-text">{esc(t.get("teaser", ""))}</p>
    </article>""")
    return "\n".join(items)


def render_listing(spec, title: str, url: str, teasers) -> str:
    r = Residue()
    return (_head(title, url, f"Aktuelle Nachrichten: {title}", "website") + _header(spec, r)
            + f"""<main id="primary" class="site-main archive">
  <h1 class="page-title">{esc(title)}</h1>
{_teaser_list(teasers)}
</main>
""" + _footer(r))


def render_gallery(spec, url: str, title: str, captions) -> str:
    """A picture gallery under an article-like URL: og:type website, no article markup."""
    r = Residue()
    figs = "\n".join(
        f'    <figure class="gallery-item"><img src="/wp-content/uploads/2026/11/galerie-{i}.jpg" alt="">'
        f"<figcaption>{esc(c)}</figcaption></figure>"
        for i, c in enumerate(captions, 1)
    )
    return (_head(title, url, "Bildergalerie", "website") + _header(spec, r)
            + f"""<main id="primary" class="site-main gallery-page">
  <h1 class="page-title">{esc(title)}</h1>
  <p class="gallery-count">{len(captions)} Bilder</p>
  <div class="gallery">
{figs}
  </div>
  <p><a href="/lokales/">Zurück zu Lokales</a></p>
</main>
""" + _footer(r))


def render_intern(spec, url: str) -> str:
    r = Residue()
    return (_head("Interne Vorschau", url, "Nur für die Redaktion", "website") + _header(spec, r)
            + """<main id="primary" class="site-main"><h1>Interne Vorschau</h1>
<p>Dieser Bereich ist nur für die Redaktion bestimmt.</p></main>
""" + _footer(r))


def render_not_found(spec, url: str) -> str:
    r = Residue()
    return (_head("Seite nicht gefunden", url, "404", "website") + _header(spec, r)
            + """<main id="primary" class="site-main error-404"><h1>Seite nicht gefunden</h1>
<p>Leider konnte die angeforderte Seite nicht gefunden werden.</p></main>
""" + _footer(r))
