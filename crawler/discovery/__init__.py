"""Article discovery: URLs and their announced ``lastmod`` from feeds and sitemaps
(:mod:`.parse`), the incremental fetch decision for one URL (:mod:`.fetch`) and the
bookkeeping of one crawl's decisions (:mod:`.ledger`). Plain Python, testable without Scrapy;
the spider (``spiders/news.py``) turns the decisions into requests."""

from crawler.discovery.fetch import DROPPED_RETRY, needs_fetch
from crawler.discovery.ledger import Candidate, CrawlLedger, Decision, is_candidate, keep_announced_lastmods, utc_now
from crawler.discovery.parse import Discovered, parse_date, parse_feed, parse_sitemap

__all__ = ["DROPPED_RETRY", "Candidate", "CrawlLedger", "Decision", "Discovered", "is_candidate",
           "keep_announced_lastmods", "needs_fetch", "parse_date", "parse_feed", "parse_sitemap", "utc_now"]
