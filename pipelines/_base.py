"""Shared base of the item pipelines: the crawler they run in and the portal of an item."""


class StagePipeline:
    """A thin Scrapy adaptor around one stage; subclasses implement ``process_item(item)``."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def portal_of(self, item):
        return self.crawler.spider.sources.portal(item["portal"])
