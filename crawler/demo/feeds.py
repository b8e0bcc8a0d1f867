"""Feeds (RSS 2.0, Atom) and sitemaps (urlset, sitemap index, Google News sitemap) of the demo
portals. Entries are dicts: url, title, summary, published, lastmod, author, section."""

from __future__ import annotations

from email.utils import format_datetime
from xml.sax.saxutils import escape

from .layouts.common import dt


def _x(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def rss(spec, entries, *, title: str, description: str) -> str:
    newest = max(e["lastmod"] for e in entries)
    items = []
    for e in entries:
        items.append(f"""    <item>
      <title>{_x(e["title"])}</title>
      <link>{_x(e["url"])}</link>
      <guid isPermaLink="false">{spec.host}-{e["num"]}</guid>
      <pubDate>{format_datetime(dt(e["published"]))}</pubDate>
      <dc:creator>{_x(e["author"])}</dc:creator>
      <category>{_x(e["section"])}</category>
      <description>{_x(e["summary"])}</description>
    </item>""")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>{_x(title)}</title>
    <link>{spec.base}/</link>
    <description>{_x(description)}</description>
    <language>de-de</language>
    <lastBuildDate>{format_datetime(dt(newest))}</lastBuildDate>
    <atom:link href="{spec.feed_url}" rel="self" type="application/rss+xml"/>
{chr(10).join(items)}
  </channel>
</rss>
"""


def atom(spec, entries, *, title: str) -> str:
    newest = max(e["lastmod"] for e in entries)
    items = []
    for e in entries:
        items.append(f"""  <entry>
    <title>{_x(e["title"])}</title>
    <link rel="alternate" type="text/html" href="{_x(e["url"])}"/>
    <id>tag:{spec.host},2026:{e["num"]}</id>
    <published>{e["published"]}</published>
    <updated>{e["lastmod"]}</updated>
    <author><name>{_x(e["author"])}</name></author>
    <category term="{_x(e["section"])}"/>
    <summary>{_x(e["summary"])}</summary>
  </entry>""")
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="de">
  <title>{_x(title)}</title>
  <link rel="self" href="{spec.feed_url}"/>
  <link rel="alternate" type="text/html" href="{spec.base}/"/>
  <id>{spec.base}/</id>
  <updated>{newest}</updated>
{chr(10).join(items)}
</feed>
"""


def urlset(entries) -> str:
    urls = "\n".join(
        f"""  <url>
    <loc>{_x(e["url"])}</loc>
    <lastmod>{e["lastmod"]}</lastmod>
  </url>""" for e in entries
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{urls}
</urlset>
"""


def news_sitemap(entries, *, publication: str) -> str:
    urls = "\n".join(
        f"""  <url>
    <loc>{_x(e["url"])}</loc>
    <news:news>
      <news:publication>
        <news:name>{_x(publication)}</news:name>
        <news:language>de</news:language>
      </news:publication>
      <news:publication_date>{e["published"]}</news:publication_date>
      <news:title>{_x(e["title"])}</news:title>
    </news:news>
  </url>""" for e in entries
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
{urls}
</urlset>
"""


def sitemap_index(children) -> str:
    """children: list of (url, lastmod)."""
    items = "\n".join(
        f"""  <sitemap>
    <loc>{_x(u)}</loc>
    <lastmod>{m}</lastmod>
  </sitemap>""" for u, m in children
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{items}
</sitemapindex>
"""
