import re

import pytest

from crawler.config import ConfigError, parse_sources
from pathlib import Path

GOOD = """
[defaults]
user_agent = "TestBot/1.0 (+mailto:ops@example.org)"
[[portal]]
name = "weserbote"
feeds = ["http://www.weserbote.test/rss.xml"]
article_pattern = '-\\d+\\.html$'
timezone = "Europe/Vienna"
[portal.residue]
line_patterns = ['^Mehr aus Herford']
drop_selectors = ["aside.teaser"]
"""


def test_parses_portal_with_defaults_and_residue():
    sources = parse_sources(GOOD)
    portal = sources.portal("weserbote")
    assert sources.user_agent.startswith("TestBot/1.0")
    assert portal.allowed_domains == ("www.weserbote.test",)  # derived from the URLs
    assert portal.language == "de" and portal.timezone == "Europe/Vienna"
    assert portal.residue.line_patterns == ("^Mehr aus Herford",)
    assert portal.is_article_url("http://www.weserbote.test/politik/x-12.html")
    assert not portal.is_article_url("http://www.weserbote.test/politik/")
    assert portal.owns("http://www.weserbote.test/a") and not portal.owns("http://evil.test/a")
    assert sources.digest.startswith("sha256:")


@pytest.mark.parametrize(
    "text, message",
    [
        ("[[portal]]\nname='a b'\nfeeds=['http://x.test/']", "short identifier"),
        ("[[portal]]\nname='a'", "at least one of feeds"),
        ("[[portal]]\nname='a'\nfeeds=['ftp://x.test/']", "not an http(s) URL"),
        ("[[portal]]\nname='a'\nfeeds=['http://x.test/']\narticle_pattern='('", "not a valid regex"),
        ("[[portal]]\nname='a'\nfeeds=['http://x.test/']\ntimezone='Mars/Olympus'", "unknown timezone"),
        ("[[portal]]\nname='a'\nfeeds=['http://x.test/']\nfeed=['http://x.test/']", "unknown keys"),
        ("[[portal]]\nname='a'\nfeeds=['http://x.test/']\n[[portal]]\nname='a'\nfeeds=['http://x.test/']", "used twice"),
        ("not toml = = 1", "not valid TOML"),
        ("[defaults]\nuser_agent='x'", "no [[portal]]"),
    ],
)
def test_bad_config_gives_clear_error(text, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_sources(text)


def test_example_file_is_valid():
    example = Path(__file__).resolve().parents[1] / "sources.toml.example"
    sources = parse_sources(example.read_bytes(), path=example)
    assert len(sources.portals) >= 3
    assert all(p.article_pattern for p in sources.portals)


def test_select_unknown_portal():
    with pytest.raises(ConfigError, match="no portal named 'nope'"):
        parse_sources(GOOD).select(["nope"])


def test_single_strings_are_lists_and_bad_css_is_refused():
    portal = parse_sources(GOOD.replace("line_patterns = ['^Mehr aus Herford']", "line_patterns = '^Anzeige$'")).portal(
        "weserbote")
    assert portal.residue.line_patterns == ("^Anzeige$",)
    with pytest.raises(ConfigError, match="not valid CSS"):
        parse_sources(GOOD.replace('drop_selectors = ["aside.teaser"]', 'drop_selectors = ["aside[["]'))


def test_politeness_per_portal():
    sources = parse_sources(GOOD.replace('timezone = "Europe/Vienna"', 'timezone = "Europe/Vienna"\n'
                                         'download_delay = 2.5\nconcurrency = 1\nuser_agent = "Own/2.0"'))
    portal = sources.portal("weserbote")
    assert (portal.download_delay, portal.concurrency, portal.user_agent) == (2.5, 1, "Own/2.0")
    plain = parse_sources(GOOD).portal("weserbote")
    assert (plain.download_delay, plain.concurrency, plain.user_agent) == (None, None, None)


@pytest.mark.parametrize("line, message", [
    ("download_delay = -1", "'download_delay' must be a number"),
    ("download_delay = 'slow'", "'download_delay' must be a number"),
    ("concurrency = 0", "'concurrency' must be a whole number"),
    ("concurrency = 1.5", "'concurrency' must be a whole number"),
    ("user_agent = ''", "'user_agent' must be a non-empty string"),
])
def test_bad_politeness_gives_clear_error(line, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_sources(f"[[portal]]\nname='a'\nfeeds=['http://x.test/']\n{line}")


def test_crawl_takes_any_scrapy_setting():
    from crawler.commands.crawl import parse_settings

    assert parse_settings(["DOWNLOAD_DELAY=0", "USER_AGENT=Bot/1 (x=y)"]) == {
        "DOWNLOAD_DELAY": "0", "USER_AGENT": "Bot/1 (x=y)"}
    for bad in ("DOWNLOAD_DELAY", "=1", "A B=1"):
        with pytest.raises(ValueError, match="expected NAME=VALUE"):
            parse_settings([bad])
