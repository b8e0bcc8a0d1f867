"""The ``news`` spider: discovers articles of the configured portals through RSS/Atom feeds,
sitemaps (incl. sitemap indexes and news sitemaps) and links on start and article pages.

Politeness (robots.txt, AutoThrottle, per-domain concurrency, User-Agent) is configured in
``settings.py``; the User-Agent comes from ``sources.toml`` ``[defaults] user_agent``; a portal's
own ``download_delay``, ``concurrency`` and ``user_agent`` are applied by
:mod:`crawler.scrapy_ext.politeness`.
Incremental: an article URL already stored is fetched again only when a feed or sitemap
announces a newer ``lastmod`` (see :func:`crawler.discovery.needs_fetch`). One crawl never
requests the same canonical URL twice.

Items are dicts: ``url`` (final URL), ``canonical_url``, ``article_id``, ``portal``, ``html``,
``http_status``, ``fetched_at``, ``lastmod``, ``discovered_via``, ``redirected_from``, ``warc``.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from typing import NamedTuple

import scrapy
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.defer import deferred_from_coro

from crawler.config import load_sources
from crawler.discovery import needs_fetch
from crawler.engine.offload import InlineOffload
from crawler.engine.page import PageOptions, analyze_page
from crawler.engine.pool import PoolBroken, TaskTimeout, WorkerDied
from crawler.engine.sources import read_source
from crawler.scrapy_ext.resources import crawl_resources
from crawler.store import UrlState
from crawler.urls import article_id_for, canonicalize_url


REDIRECT_STATUSES = [301, 302, 303, 307, 308]
MAX_OUTLINKS_RECORDED = 1000


class Candidate(NamedTuple):
    """An article URL a feed, sitemap, page, redirect or earlier failure names."""

    url: str
    lastmod: str | None
    via: str
    redirected_from: tuple = ()
    listed: bool = True  # announced by a feed or sitemap (not only linked from a page)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class NewsSpider(scrapy.Spider):
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
                 max_redirects: int = 5, retry_limit: int = 1000, gone_retry_days: float = 7,
                 max_size: int = 32 * 1024 * 1024, page_requisites: bool = True, **kwargs):
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
        self.started_at = _now()
        self.requested: set[str] = set()  # canonical URLs requested in this crawl (never twice)
        self.decided: set[str] = set()  # canonical URLs with a fetch decision in this crawl
        self.announced: dict[str, str] = {}  # canonical URL -> latest lastmod announced this crawl
        self.cycle_started: dict[str, str] = {}  # portal -> start of its current cycle (crawler serve)
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
        kwargs.setdefault("max_redirects", settings.getint("REDIRECT_MAX_TIMES", 5))
        kwargs.setdefault("retry_limit", settings.getint("CRAWLER_RETRY_LIMIT", 1000))
        kwargs.setdefault("gone_retry_days", settings.getfloat("CRAWLER_GONE_RETRY_DAYS", 7))
        kwargs.setdefault("max_size", settings.getint("DOWNLOAD_MAXSIZE"))
        kwargs.setdefault("page_requisites", settings.getbool("CRAWLER_PAGE_REQUISITES", True))
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
        await (self.offload or InlineOffload()).io(self._record_announced_lastmods())

    def _record_announced_lastmods(self, portal=None):
        """For URLs fetched and recorded in this crawl, keep the latest lastmod any feed or
        sitemap announced during it (whichever source led to the fetch), so the next crawl
        compares against it. URLs not fetched, still pending or failed keep their old lastmod:
        an announced update is never marked as seen before its page is stored.
        ``portal``: only that portal's URLs, since its current cycle started (`crawler serve`).
        Runs on the I/O thread, after the crawl-state writes queued before it."""
        announced = [(u, m) for u, m in list(self.announced.items()) if portal is None or portal.owns(u)]
        since = self.cycle_started.get(portal.name, self.started_at) if portal is not None else self.started_at
        return lambda: self._keep_lastmods(announced, since)

    def _keep_lastmods(self, announced, since):
        for url, lastmod in announced:
            state = self.store.url_state(url)
            if (
                state
                and state.status in ("article", "not-article", "redirect", "dropped")
                and state.fetched_at >= since
                and (state.lastmod is None or lastmod > state.lastmod)
            ):
                state.lastmod = lastmod
                self.store.record_url(state)

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
        for url in portal.start_pages:
            yield scrapy.Request(url, self.parse_listing, errback=self.source_failed, meta=meta, dont_filter=True)

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
        for known in (self.requested, self.decided):
            known.difference_update({u for u in known if portal.owns(u)})
        for url in [u for u in self.announced if portal.owns(u)]:
            del self.announced[url]
        self.cycle_started[name] = _now()
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
        (self.offload or InlineOffload()).io_later(self._record_announced_lastmods(self.sources.portal(name)))

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
        if not portal.article_pattern:
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

    async def _analyze(self, portal, response, *, article: bool, listed: bool = False):
        """Page type, outlinks and (``article``) extraction from one parse in a worker, or
        ``None`` when the page is past a bound (size, time budget): then it is recorded, in the
        log, the stats and (for an article URL) the crawl state, and the crawl goes on."""
        if not hasattr(response, "text"):
            return {"is_article": False, "evidence": "not-html", "outlinks": [], "article": None}
        if self.page_max_bytes and len(response.body) > self.page_max_bytes:
            self._past_bound(response, "too-large", f"{len(response.body)} bytes, extraction limit {self.page_max_bytes}")
            return None
        offload = self.offload or InlineOffload()
        try:
            return await offload.cpu(analyze_page, response.text, response.url, self.page_options[portal.name],
                                     article=article, listed=listed)
        except TaskTimeout as exc:
            self._past_bound(response, "over-time-budget", str(exc))
        except WorkerDied as exc:
            self._past_bound(response, "worker-died", str(exc))
        except PoolBroken as exc:  # nothing can be extracted any more: stop, do not stall
            self.logger.error("worker pool broken, stopping the crawl: %s", exc)
            raise CloseSpider("worker-pool-broken") from exc
        return None

    def _past_bound(self, response, reason: str, detail: str):
        self.stats.inc_value(f"crawler/page_bounded/{reason}")
        self.logger.warning("page %s not processed: %s (%s)", response.url, reason, detail)
        if "canonical" in response.meta:
            self._remember(response.meta["canonical"], reason, response.status, response.meta.get("lastmod"))

    async def _article_requests(self, portal, candidates) -> list:
        """Requests for the article URLs among ``candidates`` that this crawl has not requested
        yet and that are new or changed; their crawl state is read in one go in a thread."""
        wanted = [(c, canonicalize_url(c.url)) for c in candidates if self._is_candidate(portal, c)]
        for c, canonical in wanted:
            if c.lastmod and c.lastmod > self.announced.get(canonical, ""):
                self.announced[canonical] = c.lastmod
        wanted = [(c, canonical) for c, canonical in wanted if canonical not in self.requested]
        if not wanted:
            return []
        states = await self._read(self._url_states, {canonical for _, canonical in wanted})
        # (decided after the read: another callback may have requested a URL meanwhile)
        return [r for c, canonical in wanted for r in self._decide(portal, c, canonical, states[canonical])]

    def _url_states(self, urls) -> dict:
        """Crawl state of ``urls`` (on the read thread)."""
        return {url: self.store.url_state(url) for url in urls}

    async def _read(self, fn, *args, **kwargs):
        return await (self.offload or InlineOffload()).read(fn, *args, **kwargs)

    @staticmethod
    def _is_candidate(portal, c: Candidate) -> bool:
        if not portal.owns(c.url):
            return False
        # The pattern decides for links; without a pattern, feed and sitemap entries are
        # candidates and the page itself tells whether it is an article.
        return bool(c.redirected_from) or portal.is_article_url(c.url) or not (portal.article_pattern or not c.listed)

    def _decide(self, portal, c: Candidate, canonical: str, state):
        """Request ``canonical`` unless this crawl requested it already or it is known and
        unchanged (``state``: its crawl state)."""
        if canonical in self.requested:
            return
        # Decided again at every announcement: a feed announcing a newer lastmod after a
        # section page linked the URL (without one) still gets the update fetched.
        listed_article = c.listed and c.via != "retry" and portal.is_article_url(c.url)
        fetch, why = needs_fetch(state, c.lastmod, gone_retry_days=self.gone_retry_days, listed=listed_article)
        if canonical not in self.decided or fetch:
            self.stats.inc_value(f"crawler/article_urls/{why}")
        self.decided.add(canonical)
        if not fetch:
            return
        self.requested.add(canonical)
        yield scrapy.Request(
            canonical,
            self.parse_article,
            errback=self.article_failed,
            meta={
                "portal": portal.name, "lastmod": c.lastmod, "discovered_via": c.via, "canonical": canonical,
                "redirected_from": c.redirected_from, "listed": listed_article,
                # Redirects of article URLs are followed here, not by RedirectMiddleware, so the
                # target goes through the same once-per-crawl and incremental checks.
                "dont_redirect": True, "handle_httpstatus_list": REDIRECT_STATUSES,
            },
        )

    # -- articles --------------------------------------------------------------------------
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
        self._archive_context(response, page["outlinks"])
        html = response.text
        yield {
            "url": response.url,
            "canonical_url": final,
            "article_id": article_id_for(final),
            "portal": portal.name,
            "html": html,
            "http_status": response.status,
            "fetched_at": _now(),
            "lastmod": max(filter(None, (response.meta.get("lastmod"), self.announced.get(requested),
                                         self.announced.get(final))), default=None),
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

    def _archive_context(self, response, outlinks):
        """A WARC metadata record beside the article's response: where it was discovered and
        what it links to (the crawl context an archivist needs to explain the capture)."""
        archive = self.archive
        pointer = response.meta.get("warc")
        if archive is None or not pointer:
            return
        fields = [("via", response.meta.get("discovered_via") or "")]
        fields += [("outlink", u) for u in outlinks[:MAX_OUTLINKS_RECORDED]]
        archive.write_metadata(response.url, fields, concurrent_to=pointer["record_id"])

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

    def _remember(self, url, status, http_status, lastmod, article_id=None):
        # queued on the crawl's I/O thread, in order with the pipelines' store writes
        state = UrlState(url, status, http_status, lastmod, article_id, _now())
        (self.offload or InlineOffload()).io_later(self.store.record_url, state)

    async def article_failed(self, failure):
        request = failure.request
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

    def source_failed(self, failure):
        # A broken feed, sitemap or start page is reported and the crawl goes on with the rest.
        if failure.check(IgnoreRequest):  # robots.txt, an offsite redirect: logged where decided
            self.stats.inc_value("crawler/source_ignored")
            self.logger.info("source %s not fetched: %s", failure.request.url, failure.value)
            return
        self.stats.inc_value("crawler/source_errors")
        self.logger.error("source %s failed: %r", failure.request.url, failure.value)
