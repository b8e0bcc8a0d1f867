"""``scrapy crawl``, exiting 1 when the crawl failed (its job record's exit code is not 0).

Scrapy's own command exits 0 whenever the spider started, however the crawl went; Scrapyd
(which runs ``scrapy crawl``) then reports a failed crawl as finished. With this command its
log says ``Process died: exitstatus=1`` and cron/systemd see the failure too.
"""

from __future__ import annotations

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError


class Command(ScrapyCrawl):
    def run(self, args, opts):
        if len(args) != 1:
            raise UsageError("give one spider: scrapy crawl news [-a portal=NAME]")
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed or getattr(crawler, "crawl_exit_code", 0):
            self.exitcode = 1
