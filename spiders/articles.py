"""Article pages of the ``news`` spider: each fetched page analysed in a worker (page type,
outlinks, extraction from one parse), an article yielded as an item with its page requisites
and the article links it holds, redirects followed through the same once-per-crawl and
incremental checks as any URL, failed fetches recorded for the next crawl.

A mixin of :class:`spiders.news.NewsSpider`, which provides ``sources``, ``store``, ``stats``,
``offload``, ``ledger`` and ``_article_requests`` / ``_remember``.
"""

from __future__ import annotations

import scrapy
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.http import TextResponse
from scrapy.spidermiddlewares.httperror import HttpError

from crawler.discovery import Candidate, utc_now
from crawler.scrapy_ext.charset import body_args, log_correction
from crawler.scrapy_ext.warc_build import PENDING_META, finish_unclaimed
from crawler.engine.offload import InlineOffload
from crawler.engine.tasks import analyze_and_build, analyze_body
from crawler.engine.pool import PoolBroken, TaskTimeout, WorkerDied
from crawler.urls import article_id_for, canonicalize_url

REDIRECT_STATUSES = [301, 302, 303, 307, 308]
MAX_OUTLINKS_RECORDED = 1000


class ArticlePages:
    async def _analyze(self, portal, response, *, article: bool, listed: bool = False):
        """Page type, outlinks and (``article``) extraction from one parse in a worker, or
        ``None`` when the page is past a bound (size, time budget): then it is recorded, in the
        log, the stats and (for an article URL) the crawl state, and the crawl goes on. The
        worker decodes the body (charset corrected, see :mod:`crawler.scrapy_ext.charset`) and,
        when the capture middleware left them to this task, builds the page's WARC records
        (:mod:`crawler.scrapy_ext.warc_build`); they are written before this returns."""
        pending = response.meta.pop(PENDING_META, None)
        try:
            return await self._page_task(portal, response, pending, article=article, listed=listed)
        finally:
            if pending is not None and not pending.done:  # not analysed, or its task failed
                await pending.finish_in_worker(self.offload)

    async def _page_task(self, portal, response, pending, *, article: bool, listed: bool):
        if not isinstance(response, TextResponse):
            return {"is_article": False, "evidence": "not-html", "outlinks": [], "article": None}
        if self.page_max_bytes and len(response.body) > self.page_max_bytes:
            self._past_bound(response, "too-large", f"{len(response.body)} bytes, extraction limit {self.page_max_bytes}")
            return None
        offload = self.offload or InlineOffload()
        kwargs = {"article": article, "listed": listed, "line_patterns": tuple(portal.residue.line_patterns)}
        try:
            if pending is None:
                page = await offload.cpu(analyze_body, response.body, response.url, body_args(response),
                                         self.page_options[portal.name], **kwargs)
            else:  # the body goes once: as the exchange's payload when it is that
                body = None if pending.payload_is(response.body) else response.body
                context = (response.meta.get("discovered_via"), MAX_OUTLINKS_RECORDED) if self.archive else None
                page, built = await offload.cpu(analyze_and_build, pending.job, body, response.url,
                                                body_args(response), self.page_options[portal.name],
                                                context=context, **kwargs)
                await pending.finish(built)
        except TaskTimeout as exc:
            self._past_bound(response, "over-time-budget", str(exc))
        except WorkerDied as exc:
            self._past_bound(response, "worker-died", str(exc))
        except PoolBroken as exc:  # nothing can be extracted any more: stop, do not stall
            self.logger.error("worker pool broken, stopping the crawl: %s", exc)
            raise CloseSpider("worker-pool-broken") from exc
        else:
            if page.get("charset"):
                log_correction(self.stats, response.url, page["charset"])
            return page
        return None

    def _past_bound(self, response, reason: str, detail: str):
        self.stats.inc_value(f"crawler/page_bounded/{reason}")
        self.logger.warning("page %s not processed: %s (%s)", response.url, reason, detail)
        if "canonical" in response.meta:
            self._remember(response.meta["canonical"], reason, response.status, response.meta.get("lastmod"))

    async def parse_article(self, response):
        portal = self.sources.portal(response.meta["portal"])
        requested = response.meta["canonical"]
        self.stats.inc_value("crawler/article_pages_fetched")
        if response.status in REDIRECT_STATUSES:
            for request in await self._follow_redirect(portal, response):
                yield request
            return
        final = canonicalize_url(response.url)
        page = await self._analyze(portal, response, article=True, listed=bool(response.meta.get("listed")))
        if page is None:
            return
        if not page["is_article"]:
            self.stats.inc_value("crawler/not_article")
            self.stats.inc_value(f"crawler/not_article/{page['evidence']}")  # the reason of every drop
            self.logger.info("not an article (%s): %s", page["evidence"], response.url)
            self._remember(requested, "not-article", response.status, response.meta.get("lastmod"))
            return
        self._archive_context(response, page["outlinks"], page.get("warc_metadata"))
        yield {
            "url": response.url,
            "canonical_url": final,
            "article_id": article_id_for(final),
            "portal": portal.name,
            "http_status": response.status,
            "fetched_at": utc_now(),
            "lastmod": self.ledger.item_lastmod(response.meta.get("lastmod"), requested, final),
            "discovered_via": response.meta.get("discovered_via"),
            "redirected_from": list(response.meta.get("redirected_from") or ()),
            "warc": response.meta.get("warc"),
            "extracted": page["article"],  # main text and metadata (crawler.extract), from the worker
        }
        for request in self._requisites(portal, response, page.get("stylesheets", ())):
            yield request
        # Articles link to related articles: more discovery, same rules.
        for request in await self._follow_article_links(portal, response, page["outlinks"]):
            yield request

    def _requisites(self, portal, response, stylesheets):
        """The article page's stylesheets on the portal's own hosts, fetched once per crawl
        (only archived), so that a replay of the page renders with its own styles."""
        if not self.page_requisites:
            return
        for url in stylesheets:  # resolved in the worker, from the page's one parse
            if portal.owns(url):
                yield scrapy.Request(url, self.parse_requisite, errback=self.requisite_failed, priority=-10,
                                     meta={"portal": portal.name, "requisite": True})

    def parse_requisite(self, response):
        self.stats.inc_value("crawler/page_requisites")
        return ()

    def requisite_failed(self, failure):
        self.logger.info("page requisite not fetched: %s", failure.getErrorMessage())

    def _archive_context(self, response, outlinks, built=None):
        """A WARC metadata record beside the article's response: where it was discovered and
        what it links to (the crawl context an archivist needs to explain the capture); built
        in the worker with the page's other records (``built``), or here."""
        archive = self.archive
        pointer = response.meta.get("warc")
        if archive is None or not pointer:
            return
        fields = [("via", response.meta.get("discovered_via") or "")]
        fields += [("outlink", u) for u in outlinks[:MAX_OUTLINKS_RECORDED]]
        # on the archive thread (crawler.scrapy_ext.archive_thread), after the page's records;
        # not awaited: a failure is logged there
        archive.write_metadata(response.url, fields, concurrent_to=pointer["record_id"], built=built)

    async def _follow_redirect(self, portal, response) -> list:
        requested = response.meta["canonical"]
        location = response.headers.get(b"Location")
        target = canonicalize_url(response.urljoin(location.decode("latin-1"))) if location else None
        chain = [*response.meta.get("redirected_from", ()), requested]
        self.stats.inc_value("crawler/article_redirects")
        if target and not portal.owns(target):
            self.stats.inc_value("crawler/offsite_redirects")
            self.logger.warning("redirect from %s to %s leaves portal %s (allowed domains: %s): not followed",
                                response.url, target, portal.name, ", ".join(portal.allowed_domains))
        if target is None or target in chain or len(chain) > self.max_redirects:
            self.logger.warning("article %s: broken redirect (%s)", response.url, target or "no Location")
            self._remember(requested, "error", response.status, response.meta.get("lastmod"))
            return []
        # Remembered even when the target was fetched already in this crawl: the next crawl
        # must not request the old URL again.
        self._remember(requested, "redirect", response.status, response.meta.get("lastmod"), article_id_for(target))
        return await self._article_requests(portal, [Candidate(target, response.meta.get("lastmod"),
                                                               response.meta.get("discovered_via"), tuple(chain))])

    async def article_failed(self, failure):
        request = failure.request
        finish_unclaimed(request.meta)  # WARC records left to the page task (a later middleware raised)
        if failure.check(HttpError):
            status = failure.value.response.status
            gone = status in (404, 410)
            self.stats.inc_value(f"crawler/article_http_{status}")
            self.logger.warning("article %s answered HTTP %s", request.url, status)
            self._remember(request.meta["canonical"], "gone" if gone else "error", status, request.meta.get("lastmod"))
            if gone and await (self.offload or InlineOffload()).io(self.store.mark_gone, request.meta["canonical"],
                                                                   status, run_id=self.run_id):
                self.stats.inc_value("store/gone")  # a stored article's tombstone (written on the I/O thread)
        elif failure.check(IgnoreRequest) and "DOWNLOAD_MAXSIZE" not in str(failure.value):
            # Disallowed by robots.txt (or dropped by another middleware): a decision, not an error.
            # (A body past DOWNLOAD_MAXSIZE once decompressed is a failed fetch, retried next crawl.)
            self.stats.inc_value("crawler/article_ignored")
            self.logger.info("article %s not fetched: %s", request.url, failure.value)
        else:
            self.stats.inc_value("crawler/article_errors")
            self.logger.error("article %s failed: %r", request.url, failure.value)
            self._remember(request.meta["canonical"], "error", None, request.meta.get("lastmod"))
