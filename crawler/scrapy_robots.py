"""robots.txt enforcement that holds for every request, also those racing the robots.txt fetch.

Scrapy 2.19's ``RobotsTxtMiddleware`` lets all requests to a host wait on one Deferred for its
robots.txt; the first waiter consumes the Deferred's result and later waiters receive ``None``,
which the middleware treats as "no robots.txt": they are fetched even when disallowed. This
subclass re-reads the parsed rules once the fetch has finished, so every waiter is checked.
"""

from __future__ import annotations

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    async def robot_parser(self, request):
        parser = await super().robot_parser(request)
        if parser is None:
            cached = self._parsers.get(urlparse_cached(request).netloc)
            if cached is not None and not isinstance(cached, Deferred):
                return cached
        return parser
