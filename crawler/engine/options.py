"""How a portal's pages are read: the options of the page task, a plain value the crawl process
builds without importing the extraction code (which only the worker processes need)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageOptions:
    """How a portal's pages are read (from its ``sources.toml`` entry)."""

    timezone: str = "Europe/Berlin"
    drop_selectors: tuple[str, ...] = ()
    language: str | None = "de"
    article_types: tuple[str, ...] = ()
    force_article: bool = False

    @classmethod
    def for_portal(cls, portal) -> "PageOptions":
        return cls(portal.timezone, tuple(portal.residue.drop_selectors), portal.language,
                   tuple(portal.article_types), portal.force_article)
