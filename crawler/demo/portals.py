"""The three fictional demo portals: host names, URL schemes, feeds, sitemaps, robots.txt and
their ``sources.toml`` description."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PortalSpec:
    name: str
    host: str
    allowed_domains: tuple[str, ...]
    display: str                      # shown name of the publication
    sections: tuple[tuple[str, str], ...]   # (slug, label)
    feed_path: str
    feed_kind: str                    # "rss" | "atom"
    sitemap_path: str
    article_pattern: str
    robots: str
    line_patterns: tuple[str, ...] = ()
    drop_selectors: tuple[str, ...] = ()

    @property
    def base(self) -> str:
        return f"http://{self.host}"

    def section_label(self, slug: str) -> str:
        return dict(self.sections)[slug]

    def section_path(self, slug: str) -> str:
        if self.name == "nordticker":
            return f"/ressort/{slug}/"
        return f"/{slug}/"

    def article_path(self, section: str, slug: str, num: int) -> str:
        if self.name == "weserbote":
            return f"/{section}/{slug}-{num}.html"
        if self.name == "tagesblick":
            return f"/{section}/{slug}-a{num}"
        return f"/meldung/{num}-{slug}.html"

    def url(self, path: str) -> str:
        return self.base + path

    @property
    def feed_url(self) -> str:
        return self.url(self.feed_path)

    @property
    def sitemap_url(self) -> str:
        return self.url(self.sitemap_path)

    @property
    def start_pages(self) -> tuple[str, ...]:
        return tuple(self.url(self.section_path(s)) for s, _ in self.sections)


WESERBOTE = PortalSpec(
    name="weserbote",
    host="www.weserbote.test",
    allowed_domains=("www.weserbote.test",),
    display="Weserbote",
    sections=(("politik", "Politik"), ("lokales", "Lokales"), ("nrw", "NRW")),
    feed_path="/rss.xml",
    feed_kind="rss",
    sitemap_path="/sitemap.xml",
    article_pattern=r"^https?://www\.weserbote\.test/[a-z-]+/[a-z0-9-]+-\d+\.html$",
    robots=(
        "# robots.txt für www.weserbote.test\n"
        "User-agent: *\n"
        "Disallow: /intern/\n"
        "Disallow: /suche\n"
        "\n"
        "User-agent: GPTBot\n"
        "Disallow: /\n"
        "\n"
        "Sitemap: http://www.weserbote.test/sitemap.xml\n"
    ),
)

TAGESBLICK = PortalSpec(
    name="tagesblick",
    host="www.tagesblick.test",
    allowed_domains=("www.tagesblick.test",),
    display="Tagesblick",
    sections=(("politik", "Politik"), ("wirtschaft", "Wirtschaft"), ("panorama", "Panorama")),
    feed_path="/feeds/alle.atom",
    feed_kind="atom",
    sitemap_path="/sitemap.xml",
    article_pattern=r"^https?://www\.tagesblick\.test/[a-z]+/[a-z0-9-]+-a\d+$",
    robots=(
        "User-agent: *\n"
        "Disallow: /intern/\n"
        "Disallow: /*?print=1\n"
        "Allow: /\n"
        "\n"
        "Sitemap: http://www.tagesblick.test/sitemap.xml\n"
    ),
    drop_selectors=("div.read-also", "div.paywall-teaser"),
)

NORDTICKER = PortalSpec(
    name="nordticker",
    host="nachrichten.nordticker.test",
    allowed_domains=("nordticker.test",),
    display="Nordticker",
    sections=(("politik", "Politik"), ("regional", "Regional"), ("wirtschaft", "Wirtschaft")),
    feed_path="/rss/alle.xml",
    feed_kind="rss",
    sitemap_path="/sitemap.xml",
    article_pattern=r"^https?://nachrichten\.nordticker\.test/meldung/\d+-[a-z0-9-]+\.html$",
    robots=(
        "User-agent: *\n"
        "Disallow: /intern/\n"
        "Disallow: /cgi-bin/\n"
        "\n"
        "Sitemap: http://nachrichten.nordticker.test/sitemap.xml\n"
    ),
    line_patterns=(r"^Quelle: [\w /().-]+$",),
)

PORTALS: tuple[PortalSpec, ...] = (WESERBOTE, TAGESBLICK, NORDTICKER)
BY_NAME = {p.name: p for p in PORTALS}
BY_HOST = {p.host: p for p in PORTALS}

USER_AGENT = "NewsCrawler-Demo/0.1 (+https://github.com/newscrawler/newscrawler; demo@example.org)"


def _toml_str(s: str) -> str:
    # literal strings keep regex backslashes readable; none of our values contain "'"
    assert "'" not in s and "\n" not in s
    return f"'{s}'"


def _toml_list(values) -> str:
    return "[" + ", ".join(_toml_str(v) for v in values) + "]"


def sources_toml() -> str:
    """``sources.toml`` text describing the demo portals (URLs use the fictional host names;
    the crawl reaches them through the demo server acting as HTTP proxy)."""
    out = [
        "# Demo portals bundled with the crawler (crawler.demo). The host names are fictional;",
        "# the demo server answers for them as an HTTP proxy (http_proxy=<proxy_url>).",
        "",
        "[defaults]",
        f"user_agent = {_toml_str(USER_AGENT)}",
        "",
    ]
    for p in PORTALS:
        out += [
            "[[portal]]",
            f"name = {_toml_str(p.name)}",
            f"allowed_domains = {_toml_list(p.allowed_domains)}",
            f"feeds = {_toml_list([p.feed_url])}",
            f"sitemaps = {_toml_list([p.sitemap_url])}",
            f"start_pages = {_toml_list(p.start_pages)}",
            f"article_pattern = {_toml_str(p.article_pattern)}",
            'language = "de"',
            'timezone = "Europe/Berlin"',
        ]
        if p.line_patterns or p.drop_selectors:
            out.append("[portal.residue]")
            if p.line_patterns:
                out.append(f"line_patterns = {_toml_list(p.line_patterns)}")
            if p.drop_selectors:
                out.append(f"drop_selectors = {_toml_list(p.drop_selectors)}")
        out.append("")
    return "\n".join(out)
