"""The shape every downloader middleware of ours shares: built from the crawler, keeps it."""


class CrawlerMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)
