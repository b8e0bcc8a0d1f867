"""The ``news`` spider: discovers articles of the configured portals through RSS/Atom feeds,
sitemaps (incl. sitemap indexes and news sitemaps) and links on start and article pages.

Politeness (robots.txt, AutoThrottle, per-domain concurrency, User-Agent) is configured in
``settings.py``; the User-Agent comes from ``sources.toml`` ``[defaults] user_agent``; a portal's
own ``download_delay``, ``concurrency`` and ``user_agent`` are applied by
:mod:`crawler.scrapy_ext.politeness`.
Incremental: an article URL already stored is fetched again only when a feed or sitemap
announces a newer ``lastmod`` (see :func:`crawler.discovery.needs_fetch`). One crawl never
requests the same canonical URL twice (:class:`crawler.discovery.CrawlLedger`). Article pages
are handled by :class:`spiders.articles.ArticlePages`. The reactor thread only schedules:
feeds, sitemaps and pages are parsed in worker processes, the crawl state is read on a thread
of its own and written on the crawl's I/O thread.

Items are dicts: ``url`` (final URL), ``canonical_url``, ``article_id``, ``portal``,
``http_status``, ``fetched_at``, ``lastmod``, ``discovered_via``, ``redirected_from``, ``warc``,
``extracted`` (text and metadata from the worker; the page itself is in the WARC archive).
"""

from __future__ import annotations

from collections import Counter

import scrapy
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.utils.defer import deferred_from_coro

from crawler import crawl_defaults as defaults
from crawler.config import load_sources
from crawler.discovery import Candidate, CrawlLedger, keep_announced_lastmods, utc_now
from crawler.engine.offload import InlineOffload
from crawler.engine.options import PageOptions
from crawler.engine.pool import PoolBroken, TaskTimeout, WorkerDied
from crawler.engine.sources import read_source
from crawler.scrapy_ext.charset import DECODE_IN_WORKER
from crawler.scrapy_ext.warc_build import PENDING_META, finish_unclaimed
from crawler.scrapy_ext.resources import crawl_resources
from crawler.store import UrlState
from crawler.urls import canonicalize_url
from spiders.articles import REDIRECT_STATUSES, ArticlePages


class NewsSpider(ArticlePages, scrapy.Spider):
    name = "news"

    @classmethod
    def update_settings(cls, settings):
        super().update_settings(settings)
        # The identifying User-Agent lives in sources.toml; it must be in the settings before
        # they freeze, so robots.txt rules are matched against the same agent that is sent.
        if settings.getpriority("USER_AGENT") < 40:  # not given on the command line
            try:
                sources = load_sources(settings.get("CRAWLER_SOURCES"))
            except Exception:  # reported properly when the spider starts
                return
            settings.set("USER_AGENT", sources.user_agent, priority="spider")

    def __init__(self, *args, portal: str | None = None, sources=None, store=None, stats=None, archive=None, run_id=None,
                 offload=None, page_max_bytes: int | None = None,
                 max_redirects: int = defaults.REDIRECT_MAX_TIMES, retry_limit: int = defaults.RETRY_LIMIT,
                 gone_retry_days: float = defaults.GONE_RETRY_DAYS, max_size: int = defaults.DOWNLOAD_MAXSIZE,
                 page_requisites: bool = defaults.PAGE_REQUISITES, **kwargs):
        """Collaborators may be given directly (unit tests hand in fakes); a crawl gets them
        from the crawl job extension (:mod:`crawler.scrapy_ext.resources`)."""
        super().__init__(*args, **kwargs)
        self._portal_arg = [p for p in (portal or "").split(",") if p]
        self.store = store
        self.stats = stats
        self.archive = archive  # the WARC archive, for crawl-context metadata records
        self.run_id = run_id
        # CPU work (parsing, extraction) goes to the worker pool; inline without a crawl
        self.offload = offload
        self.page_max_bytes = page_max_bytes  # larger pages are recorded, not extracted
        self.max_redirects = max_redirects
        self.retry_limit = retry_limit
        self.gone_retry_days = gone_retry_days
        self.max_size = max_size  # a .xml.gz feed or sitemap is decompressed up to this many bytes
        self.page_requisites = page_requisites
        self.ledger = CrawlLedger(gone_retry_days=gone_retry_days)  # what this crawl decided about URLs
        self.polling: Counter = Counter()  # portal -> crawl-state reads of a cycle's start still running
        if sources is not None:
            self.use_sources(sources)

    def use_sources(self, sources) -> None:
        self.sources = sources
        self.allowed_domains = sorted({d for p in sources.portals for d in p.allowed_domains})
        self.page_options = {p.name: PageOptions.for_portal(p) for p in sources.portals}

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        settings = crawler.settings
        # REDIRECT_MAX_TIMES and DOWNLOAD_MAXSIZE always have a value (Scrapy's defaults)
        kwargs.setdefault("max_redirects", settings.getint("REDIRECT_MAX_TIMES"))
        kwargs.setdefault("retry_limit", settings.getint("CRAWLER_RETRY_LIMIT", defaults.RETRY_LIMIT))
        kwargs.setdefault("gone_retry_days", settings.getfloat("CRAWLER_GONE_RETRY_DAYS", defaults.GONE_RETRY_DAYS))
        kwargs.setdefault("max_size", settings.getint("DOWNLOAD_MAXSIZE"))
        kwargs.setdefault("page_requisites", settings.getbool("CRAWLER_PAGE_REQUISITES", defaults.PAGE_REQUISITES))
        spider = super().from_crawler(crawler, *args, **kwargs)
        names = spider._portal_arg or settings.getlist("CRAWLER_PORTALS")
        spider.use_sources(load_sources(settings.get("CRAWLER_SOURCES")).select(names))
        # Scrapy creates the spider before the stats and the extensions: they are looked up when
        # it opens.
        crawler.signals.connect(spider._opened, signal=scrapy.signals.spider_opened)
        crawler.signals.connect(spider._record_on_close, signal=scrapy.signals.spider_closed)
        crawler.signals.connect(spider._item_dropped, signal=scrapy.signals.item_dropped)
        return spider

    def _opened(self, spider):
        if self.stats is None:
            self.stats = self.crawler.stats
        if self.store is None or self.offload is None:
            resources = crawl_resources(self.crawler)
            self.store = self.store or resources.store
            self.offload = self.offload or resources.offload
            self.page_max_bytes = self.page_max_bytes or resources.page_max_bytes
        if self.run_id is None:
            self.run_id = getattr(self.crawler, "crawl_run_id", None)
        if self.archive is None:  # set by the WARC capture middleware, when it is enabled
            self.archive = getattr(self.crawler, "warc_archive", None)

    async def _record_on_close(self, spider):
        # after the crawl state writes queued before it; the store is closed by the job extension
        await (self.offload or InlineOffload()).io(keep_announced_lastmods, self.store, *self.ledger.announcements())

    def _item_dropped(self, item, response, exception, spider=None):
        # A page the pipelines dropped (no article text left): remembered, so it is fetched
        # again only when a feed or sitemap announces a change.
        if isinstance(item, dict) and item.get("canonical_url"):
            for url in {item["canonical_url"], item.get("fetched_canonical_url") or item["canonical_url"]}:
                self._remember(url, "dropped", item.get("http_status"), item.get("lastmod"), item.get("article_id"))

    # -- discovery -------------------------------------------------------------------------
    async def start(self):
        settings = getattr(self, "settings", None)
        if settings is not None and settings.getbool("CRAWLER_SERVE"):
            return  # `crawler serve` starts each portal's cycles on its schedule (begin_cycle)
        for portal in self.sources.portals:
            for request in self.source_requests(portal):
                yield request
            for request in await self.retry_requests(portal):
                yield request

    def source_requests(self, portal):
        """A poll of a portal begins with its feeds, sitemaps and start pages ..."""
        meta = {"portal": portal.name}
        for url in portal.feeds:
            yield scrapy.Request(url, self.parse_feed, errback=self.source_failed, meta=meta, dont_filter=True)
        for url in portal.sitemaps:
            yield scrapy.Request(url, self.parse_sitemap, errback=self.source_failed, meta=meta, dont_filter=True)
        for url in portal.start_pages:  # (analysed in a worker, which decodes the page: _analyze)
            yield scrapy.Request(url, self.parse_listing, errback=self.source_failed,
                                 meta={**meta, DECODE_IN_WORKER: True}, dont_filter=True)

    async def retry_requests(self, portal) -> list:
        """... and the article fetches that failed in an earlier crawl (retried even when no
        source announces them any more, e.g. behind a skipped, unchanged sitemap)."""
        failed = await self._read(self.store.url_states, "error", limit=self.retry_limit)
        return await self._article_requests(portal, [Candidate(state.url, state.lastmod, "retry")
                                                     for state in failed if portal.owns(state.url)])

    # -- cycles of `crawler serve`: one long-running crawl polls each portal again and again --
    def begin_cycle(self, name: str) -> list:
        """A new cycle of portal ``name``: its URLs may be requested again (once per cycle, as
        once per crawl); returns the source requests of its poll and schedules its retries once
        the crawl state is read (``polling[name]`` counts such reads still running)."""
        portal = self.sources.portal(name)
        self.ledger.begin_cycle(portal)
        self.polling[name] += 1
        deferred_from_coro(self._crawl_retries(portal)).addErrback(
            lambda f: self.logger.error("retries of portal %s not scheduled: %s", name, f.value))
        return list(self.source_requests(portal))

    async def _crawl_retries(self, portal):
        try:
            for request in await self.retry_requests(portal):
                self.crawler.engine.crawl(request)
        finally:
            self.polling[portal.name] -= 1

    def end_cycle(self, name: str) -> None:
        announced, since = self.ledger.announcements(self.sources.portal(name))
        (self.offload or InlineOffload()).io_later(keep_announced_lastmods, self.store, announced, since)

    async def parse_feed(self, response):
        portal = self.sources.portal(response.meta["portal"])
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1") or None
        read = await self._read_source("feed", portal, response, content_type=content_type)
        if read is None:
            return
        self.stats.inc_value("crawler/feeds")
        for request in await self._article_requests(portal, [Candidate(e.url, e.lastmod, response.url)
                                                             for e in read[1]]):
            yield request

    async def parse_sitemap(self, response):
        portal = self.sources.portal(response.meta["portal"])
        read = await self._read_source("sitemap", portal, response)
        if read is None:
            return
        kind, entries = read
        self.stats.inc_value("crawler/sitemaps")
        if response.meta.get("sitemap_lastmod"):
            # Parsed: next crawl skips it while the index announces the same lastmod.
            self._remember(canonicalize_url(response.url), "sitemap", response.status, response.meta["sitemap_lastmod"])
        if kind != "index":
            for request in await self._article_requests(portal, [Candidate(e.url, e.lastmod, response.url)
                                                                 for e in entries]):
                yield request
            return
        children = [entry for entry in entries if portal.owns(entry.url)]
        states = await self._read(self._url_states, {canonicalize_url(entry.url) for entry in children})
        for entry in children:
            if not self._sitemap_unchanged(entry, states[canonicalize_url(entry.url)]):
                yield response.follow(entry.url, self.parse_sitemap, errback=self.source_failed,
                                      meta={"portal": portal.name, "sitemap_lastmod": entry.lastmod})

    async def _read_source(self, kind: str, portal, response, content_type=None):
        """A feed's or sitemap's entries, read in a worker (:func:`crawler.engine.sources.read_source`:
        a ``.xml.gz`` decompressed at most up to DOWNLOAD_MAXSIZE, so a gzip bomb is not read),
        or ``None`` when the document is unusable (logged and counted; the crawl goes on)."""
        max_size = response.meta.get("download_maxsize", self.max_size)
        try:
            return await (self.offload or InlineOffload()).cpu(read_source, kind, response.body, response.url,
                                                               max_size=max_size, content_type=content_type)
        except (ValueError, OSError, EOFError, TaskTimeout, WorkerDied) as exc:
            self.logger.error("%s %s of portal %s unusable: %s", kind, response.url, portal.name, exc)
            self.stats.inc_value(f"crawler/{kind}_errors")
        except PoolBroken as exc:
            self.logger.error("worker pool broken, stopping the crawl: %s", exc)
            raise CloseSpider("worker-pool-broken") from exc
        return None

    def _sitemap_unchanged(self, entry, state) -> bool:
        """A child sitemap whose lastmod in the index is the one recorded when it was last
        parsed (archive sitemaps of past months, typically) is not fetched again."""
        unchanged = bool(entry.lastmod and state and state.status == "sitemap" and state.lastmod
                         and entry.lastmod <= state.lastmod)
        if unchanged:
            self.stats.inc_value("crawler/sitemaps_unchanged")
        return unchanged

    async def parse_listing(self, response):
        portal = self.sources.portal(response.meta["portal"])
        if not portal.article_pattern:  # not analysed: the page's WARC records built by themselves now,
            pending = response.meta.pop(PENDING_META, None)  # not left pending until the crawl closes
            if pending is not None:
                await pending.finish_in_worker(self.offload)
            return
        page = await self._analyze(portal, response, article=False)
        for request in await self._follow_article_links(portal, response, page["outlinks"] if page else ()):
            yield request

    async def _follow_article_links(self, portal, response, outlinks) -> list:
        if not portal.article_pattern:
            return []
        # (the cheap test first: most links are not articles)
        return await self._article_requests(portal, [Candidate(url, None, response.url, listed=False)
                                                     for url in outlinks if portal.is_article_url(url)])

    async def _article_requests(self, portal, candidates) -> list:
        """Requests for the article URLs among ``candidates`` that this crawl has not requested
        yet and that are new or changed; their crawl state is read in one go in a thread."""
        wanted = self.ledger.candidates(portal, candidates)
        if not wanted:
            return []
        states = await self._read(self._url_states, {canonical for _, canonical in wanted})
        # (decided after the read: another callback may have requested a URL meanwhile)
        return [request for c, canonical in wanted
                if (request := self._request_for(portal, c, canonical, states[canonical])) is not None]

    def _request_for(self, portal, c: Candidate, canonical: str, state):
        decision = self.ledger.decide(portal, c, canonical, state)
        if decision.counted:
            self.stats.inc_value(f"crawler/article_urls/{decision.why}")
        if not decision.fetch:
            return None
        return scrapy.Request(
            canonical,
            self.parse_article,
            errback=self.article_failed,
            meta={
                "portal": portal.name, "lastmod": c.lastmod, "discovered_via": c.via, "canonical": canonical,
                "redirected_from": c.redirected_from, "listed": decision.listed, DECODE_IN_WORKER: True,
                # Redirects of article URLs are followed here, not by RedirectMiddleware, so the
                # target goes through the same once-per-crawl and incremental checks.
                "dont_redirect": True, "handle_httpstatus_list": REDIRECT_STATUSES,
            },
        )

    def _url_states(self, urls) -> dict:
        """Crawl state of ``urls`` (on the read thread, one query per batch)."""
        return self.store.url_states_of(urls)

    async def _read(self, fn, *args, **kwargs):
        return await (self.offload or InlineOffload()).read(fn, *args, **kwargs)

    def _remember(self, url, status, http_status, lastmod, article_id=None):
        # queued on the crawl's I/O thread, in order with the pipelines' store writes
        state = UrlState(url, status, http_status, lastmod, article_id, utc_now())
        (self.offload or InlineOffload()).io_later(self.store.record_url, state)

    def source_failed(self, failure):
        # A broken feed, sitemap or start page is reported and the crawl goes on with the rest.
        finish_unclaimed(failure.request.meta)  # a start page's WARC records left to its page task
        if failure.check(IgnoreRequest):  # robots.txt, an offsite redirect: logged where decided
            self.stats.inc_value("crawler/source_ignored")
            self.logger.info("source %s not fetched: %s", failure.request.url, failure.value)
            return
        self.stats.inc_value("crawler/source_errors")
        self.logger.error("source %s failed: %r", failure.request.url, failure.value)
