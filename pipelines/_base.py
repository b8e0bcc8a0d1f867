"""Shared base of the item pipelines: the stats and portals they work with.

Each pipeline takes its collaborators as constructor arguments (unit tests hand in fakes);
``from_crawler`` only looks them up: stats from the crawler, portals from the spider, stores and
indexes from the crawl's resources (:func:`crawler.scrapy_ext.resources.crawl_resources`).
"""

from crawler.scrapy_ext.resources import crawl_resources


class StagePipeline:
    """A thin Scrapy adaptor around one stage; subclasses implement ``process_item(item)`` and
    name what else they need in :meth:`collaborators`."""

    def __init__(self, *, stats, sources):
        self.stats = stats
        self.sources = sources

    @classmethod
    def from_crawler(cls, crawler):
        return cls(stats=crawler.stats, sources=crawler.spider.sources, **cls.collaborators(crawler))

    @classmethod
    def collaborators(cls, crawler) -> dict:
        return {}

    @staticmethod
    def resources(crawler):
        return crawl_resources(crawler)

    def portal_of(self, item):
        return self.sources.portal(item["portal"])
