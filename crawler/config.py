"""Portal configuration: loading and validating ``sources.toml``.

The file has an optional ``[defaults]`` table and one ``[[portal]]`` table per news portal
(see ``sources.toml.example``). Errors name the file, the portal and the key, so an operator can
fix a broken config without reading code.
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cssselect import GenericTranslator, SelectorError

SOURCES_ENV = "CRAWLER_SOURCES"
DEFAULT_SOURCES = "sources.toml"
DEFAULT_USER_AGENT = "NewsCrawler/0.1 (+https://github.com/newscrawler/newscrawler)"


class ConfigError(ValueError):
    """A sources file that cannot be used, with a message that says where and why."""


# A portal's language and timezone when neither its entry nor [defaults] names one.
DEFAULT_LANGUAGE = "de"
DEFAULT_TIMEZONE = "Europe/Berlin"


@dataclass(frozen=True)
class ResidueRules:
    line_patterns: tuple[str, ...] = ()
    drop_selectors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Portal:
    name: str
    allowed_domains: tuple[str, ...]
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    start_pages: tuple[str, ...] = ()
    article_pattern: str = ""
    language: str = DEFAULT_LANGUAGE
    timezone: str = DEFAULT_TIMEZONE
    residue: ResidueRules = field(default_factory=ResidueRules)
    schedule: str | None = None  # `crawler serve`: "every 15m" or a cron expression
    # Politeness of this portal (None: the Scrapy settings' DOWNLOAD_DELAY / AutoThrottle,
    # CONCURRENT_REQUESTS_PER_DOMAIN, [defaults] user_agent).
    download_delay: float | None = None
    concurrency: int | None = None
    user_agent: str | None = None
    # Page type: extra schema.org / og:type types that mark this portal's articles, or every
    # fetched article URL taken as an article (force_article).
    article_types: tuple[str, ...] = ()
    force_article: bool = False

    def is_article_url(self, url: str) -> bool:
        return bool(self.article_pattern) and re.search(self.article_pattern, url) is not None

    def owns(self, url: str) -> bool:
        host = (urlparse(url).hostname or "").lower()
        return any(host == d or host.endswith("." + d) for d in self.allowed_domains)


@dataclass(frozen=True)
class Sources:
    path: Path | None
    digest: str
    user_agent: str
    portals: tuple[Portal, ...]
    defaults: dict = field(default_factory=dict)

    def portal(self, name: str) -> Portal:
        for p in self.portals:
            if p.name == name:
                return p
        raise ConfigError(f"no portal named {name!r} (known: {', '.join(p.name for p in self.portals)})")

    def select(self, names: list[str] | tuple[str, ...] | None) -> "Sources":
        if not names:
            return self
        return Sources(self.path, self.digest, self.user_agent, tuple(self.portal(n) for n in names),
                       self.defaults)

    def portal_for_url(self, url: str) -> Portal | None:
        for p in self.portals:
            if p.owns(url):
                return p
        return None


def resolve_sources_path(arg: str | os.PathLike | None = None) -> Path:
    return Path(arg or os.environ.get(SOURCES_ENV) or DEFAULT_SOURCES).expanduser().resolve()


def load_sources(path: str | os.PathLike | None = None) -> Sources:
    """Load ``path`` (or ``$CRAWLER_SOURCES``, or ``./sources.toml``)."""
    p = resolve_sources_path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"sources file {p} not found: copy sources.toml.example to sources.toml, "
            f"or pass --sources / set ${SOURCES_ENV}"
        ) from None
    return parse_sources(raw, path=p)


def parse_sources(raw: bytes | str, path: Path | None = None) -> Sources:
    data = raw.encode() if isinstance(raw, str) else raw
    where = str(path) if path else "<sources>"
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: not valid TOML: {exc}") from None
    defaults = doc.get("defaults", {})
    if not isinstance(defaults, dict):
        raise ConfigError(f"{where}: [defaults] must be a table")
    _check_known(doc, _TOP_LEVEL_KEYS, where, "top-level tables")
    _check_known(defaults, DEFAULTS_KEYS, f"{where}: [defaults]", "keys")
    entries = doc.get("portal", [])
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{where}: no [[portal]] entries")
    portals: list[Portal] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        portal = _parse_portal(entry, defaults, f"{where}: portal #{i + 1}")
        if portal.name in seen:
            raise ConfigError(f"{where}: portal name {portal.name!r} used twice")
        seen.add(portal.name)
        portals.append(portal)
    return Sources(
        path=path,
        digest="sha256:" + hashlib.sha256(data).hexdigest(),
        user_agent=str(defaults.get("user_agent") or DEFAULT_USER_AGENT),
        portals=tuple(portals),
        defaults=dict(defaults),
    )


_TOP_LEVEL_KEYS = {"defaults", "portal"}
#: keys ``[defaults]`` accepts; a typo ("user-agent", "useragent") is an error, not ignored.
DEFAULTS_KEYS = {"user_agent", "language", "timezone", "schedule"}


def _check_known(table: dict, known: set[str], where: str, what: str) -> None:
    import difflib

    unknown = sorted(set(table) - known)
    if unknown:
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(key, sorted(known), n=1)
            hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise ConfigError(f"{where}: unknown {what} {', '.join(hints)} (known: {', '.join(sorted(known))})")


_PORTAL_KEYS = {
    "name", "allowed_domains", "feeds", "sitemaps", "start_pages", "article_pattern",
    "language", "timezone", "residue", "schedule", "download_delay", "concurrency", "user_agent",
    "article_types", "force_article",
}


def _strings(table: dict, key: str, where: str) -> tuple[str, ...]:
    """A list of strings (a single string is taken as a list of one)."""
    value = table.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {key!r} must be a list of strings")
    return tuple(value)


def _parse_portal(entry: dict, defaults: dict, where: str) -> Portal:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: must be a table")
    name = entry.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", name or ""):
        raise ConfigError(f"{where}: 'name' must be a short identifier (letters, digits, _.-)")
    where = f"{where} ({name})"
    _check_known(entry, _PORTAL_KEYS, where, "keys")

    def str_list(key: str) -> tuple[str, ...]:
        return _strings(entry, key, where)

    def urls(key: str) -> tuple[str, ...]:
        values = str_list(key)
        for v in values:
            if urlparse(v).scheme not in ("http", "https"):
                raise ConfigError(f"{where}: {key!r} entry {v!r} is not an http(s) URL")
        return values

    feeds, sitemaps, start_pages = urls("feeds"), urls("sitemaps"), urls("start_pages")
    if not (feeds or sitemaps or start_pages):
        raise ConfigError(f"{where}: needs at least one of feeds, sitemaps, start_pages")
    domains = tuple(d.lower() for d in str_list("allowed_domains"))
    if not domains:
        domains = tuple(sorted({urlparse(u).hostname for u in feeds + sitemaps + start_pages}))
    pattern = _article_pattern(entry, where)
    tz = entry.get("timezone", defaults.get("timezone", DEFAULT_TIMEZONE))
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ConfigError(f"{where}: unknown timezone {tz!r}") from None
    delay, concurrency, agent = _politeness(entry, where)
    force = entry.get("force_article", False)
    if not isinstance(force, bool):
        raise ConfigError(f"{where}: 'force_article' must be true or false")
    return Portal(
        name=name,
        allowed_domains=domains,
        feeds=feeds,
        sitemaps=sitemaps,
        start_pages=start_pages,
        article_pattern=pattern,
        language=str(entry.get("language", defaults.get("language", DEFAULT_LANGUAGE))),
        timezone=tz,
        residue=_residue(entry, where),
        schedule=_schedule(entry.get("schedule", defaults.get("schedule")), where),
        download_delay=delay,
        concurrency=concurrency,
        user_agent=agent,
        article_types=tuple(t.lower() for t in str_list("article_types")),
        force_article=force,
    )


def _article_pattern(entry: dict, where: str) -> str:
    pattern = entry.get("article_pattern", "")
    if not isinstance(pattern, str):
        raise ConfigError(f"{where}: 'article_pattern' must be a string (a regular expression)")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ConfigError(f"{where}: 'article_pattern' is not a valid regex: {exc}") from None
    return pattern


def _residue(entry: dict, where: str) -> ResidueRules:
    """The portal's ``[portal.residue]`` table: extra line patterns and CSS drop selectors."""
    residue = entry.get("residue", {})
    if not isinstance(residue, dict) or set(residue) - {"line_patterns", "drop_selectors"}:
        raise ConfigError(f"{where}: [portal.residue] takes only line_patterns and drop_selectors")
    line_patterns = _strings(residue, "line_patterns", f"{where}: [portal.residue]")
    for pat in line_patterns:
        try:
            re.compile(pat)
        except re.error as exc:
            raise ConfigError(f"{where}: residue line pattern {pat!r} is not a valid regex: {exc}") from None
    drop_selectors = _strings(residue, "drop_selectors", f"{where}: [portal.residue]")
    for sel in drop_selectors:
        try:
            GenericTranslator().css_to_xpath(sel)
        except SelectorError as exc:
            raise ConfigError(f"{where}: drop selector {sel!r} is not valid CSS: {exc}") from None
    return ResidueRules(line_patterns, drop_selectors)


def _schedule(value, where: str) -> str | None:
    if value is None:
        return None
    from crawler.service.schedule import ScheduleError, parse_schedule

    try:
        parse_schedule(value)
    except ScheduleError as exc:
        raise ConfigError(f"{where}: 'schedule' {exc}") from None
    return value


def _politeness(entry: dict, where: str) -> tuple[float | None, int | None, str | None]:
    delay, concurrency, agent = entry.get("download_delay"), entry.get("concurrency"), entry.get("user_agent")
    if delay is not None and (isinstance(delay, bool) or not isinstance(delay, (int, float)) or delay < 0):
        raise ConfigError(f"{where}: 'download_delay' must be a number of seconds >= 0")
    if concurrency is not None and (isinstance(concurrency, bool) or not isinstance(concurrency, int)
                                    or concurrency < 1):
        raise ConfigError(f"{where}: 'concurrency' must be a whole number >= 1")
    if agent is not None and (not isinstance(agent, str) or not agent.strip()):
        raise ConfigError(f"{where}: 'user_agent' must be a non-empty string")
    return (float(delay) if delay is not None else None), concurrency, agent
