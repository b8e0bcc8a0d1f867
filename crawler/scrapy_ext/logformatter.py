"""Log lines about items that name the article, not its whole HTML.

Scrapy's default formatter prints the full item when a pipeline drops it or fails on it; our
items carry the page's HTML until the store stage, which would put tens of kilobytes into one
log line.
"""

from __future__ import annotations

from scrapy.logformatter import LogFormatter


def item_label(item) -> str:
    if isinstance(item, dict):
        return f"<article {item.get('url') or item.get('canonical_url') or '?'} ({item.get('portal', '?')})>"
    return repr(item)[:200]


class ArticleLogFormatter(LogFormatter):
    @staticmethod
    def _short(result: dict, item) -> dict:
        return {**result, "args": {**result["args"], "item": item_label(item)}}

    def dropped(self, item, exception, response, spider):
        return self._short(super().dropped(item, exception, response, spider), item)

    def item_error(self, item, exception, response, spider):
        return self._short(super().item_error(item, exception, response, spider), item)

    def scraped(self, item, response, spider):
        return self._short(super().scraped(item, response, spider), item)
