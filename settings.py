"""Scrapy settings of the news crawler (``scrapy crawl news`` and ``crawler crawl`` use these).

Endpoints and locations come from the environment so one checkout serves many deployments:
  CRAWLER_DATA_DIR   data directory (default ./data): SQLite store, dedup index, WARC spool, logs
  CRAWLER_SOURCES    portal configuration (default ./sources.toml)
  CRAWLER_FRONTIER   redis://host:port/db: several crawler processes share one crawl
  CRAWLER_STORE      article store URI: sqlite:///path or postgresql://... (default
                     sqlite:///<data dir>/articles.sqlite)
  CRAWLER_ARCHIVE    where closed WARC files go: a directory or s3://bucket/prefix
                     (default <data dir>/archive); S3 endpoint via CRAWLER_S3_ENDPOINT,
                     else AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL
  CRAWLER_OPERATOR   operator contact written into each WARC's warcinfo record
"""

import os

from crawler import config as portal_config
from crawler import crawl_defaults
from crawler.scrapy_ext import defaults as adaptor_defaults
from crawler.dedup import params as dedup_params

BOT_NAME = "newscrawler"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# -- project settings (read by crawler/ components) ----------------------------------------
CRAWLER_DATA_DIR = os.environ.get("CRAWLER_DATA_DIR")  # None: ./data
CRAWLER_SOURCES = os.environ.get("CRAWLER_SOURCES")  # None: ./sources.toml
CRAWLER_ARCHIVE = os.environ.get("CRAWLER_ARCHIVE")  # None: <data dir>/archive
CRAWLER_STORE = os.environ.get("CRAWLER_STORE")  # None: sqlite:///<data dir>/articles.sqlite
CRAWLER_S3_ENDPOINT = (os.environ.get("CRAWLER_S3_ENDPOINT") or os.environ.get("AWS_ENDPOINT_URL_S3")
                       or os.environ.get("AWS_ENDPOINT_URL"))
CRAWLER_OPERATOR = os.environ.get("CRAWLER_OPERATOR", "")
CRAWLER_PORTALS = []  # empty: every portal in the sources file
# WARC capture and robots.txt defaults: crawler/scrapy_ext/defaults.py (the values in comments)
CRAWLER_WARC_ENABLED = adaptor_defaults.WARC_ENABLED  # True
CRAWLER_WARC_PREFIX = adaptor_defaults.WARC_PREFIX  # "crawl"
CRAWLER_WARC_MAX_SIZE = adaptor_defaults.WARC_MAX_SIZE  # roll WARC files at 1 GB
CRAWLER_WARC_MAX_AGE = adaptor_defaults.WARC_MAX_AGE  # ... and after an hour (3600 s; 0: by size only)
CRAWLER_WARC_FSYNC = adaptor_defaults.WARC_FSYNC  # False
# At shutdown, upload attempts stop after this many seconds (an S3 outage cannot hold up the
# exit); files not uploaded stay in the spool and are shipped by the next run.
CRAWLER_WARC_SHUTDOWN_UPLOAD_SECONDS = adaptor_defaults.WARC_SHUTDOWN_UPLOAD_SECONDS  # 300
# Unchanged payloads of a URL archived before become WARC revisit records (identical-payload-digest)
# pointing at the original; digest index: None -> <data dir>/warc-digests.sqlite, a path, or
# redis://host:port/db shared by the crawlers writing to one store.
CRAWLER_WARC_REVISITS = adaptor_defaults.WARC_REVISITS  # True
CRAWLER_WARC_DIGEST_INDEX = os.environ.get("CRAWLER_WARC_DIGEST_INDEX")
# Shipping adds each WARC file's captures to <data dir>/archive-index.sqlite (crawler archive
# find/get/wacz, crawler web); False leaves it to `crawler archive index`.
CRAWLER_COLLECTION_INDEX = adaptor_defaults.COLLECTION_INDEX  # True
CRAWLER_GONE_RETRY_DAYS = crawl_defaults.GONE_RETRY_DAYS  # 7: refetch URLs that answered 404/410 after this many days
CRAWLER_RETRY_LIMIT = crawl_defaults.RETRY_LIMIT  # 1000: article fetches that failed before, retried per crawl at most
# Fetch (and archive) the stylesheets of article pages on the portal's hosts, once per crawl, so
# replays of the archived pages (crawler web, pywb, ReplayWeb.page) render with their styles.
CRAWLER_PAGE_REQUISITES = crawl_defaults.PAGE_REQUISITES  # True
CRAWLER_LEARN_TEMPLATES = crawl_defaults.LEARN_TEMPLATES  # True: learn recurring per-portal residue lines during crawls
# Near-duplicate index: a directory (default <data dir>/dedup) or redis://host:port/db shared by
# several crawler processes; stories older than the window are no longer matched (kept in store).
CRAWLER_DEDUP_INDEX = os.environ.get("CRAWLER_DEDUP_INDEX")
CRAWLER_DEDUP_WINDOW_DAYS = dedup_params.WINDOW_DAYS  # 30 (days; None: unlimited)
# `crawler serve`: one long-running crawl, portals polled on their schedules (sources.toml).
CRAWLER_SERVE = False
CRAWLER_SERVE_SCHEDULE = None  # one schedule for every portal (overrides sources.toml)
CRAWLER_SERVE_TICK = 1.0  # seconds between checks for finished and due cycles
CRAWLER_PROGRESS = False  # set by `crawler crawl`/`crawler demo` when stderr is a terminal
CRAWLER_JOB_STATS_INTERVAL = 10.0  # seconds between live updates of the running job record
# Engine: page analysis (page type, outlinks, extraction) in worker processes; None: one per core.
# A page over the size limit or the time budget is recorded (log, stats, crawl state) and skipped.
CRAWLER_WORKERS = None
CRAWLER_PAGE_TIME_BUDGET = 20.0  # seconds of worker time per page; the worker is then replaced
CRAWLER_EXTRACT_MAX_BYTES = 4 * 1024 * 1024  # larger pages are archived but not extracted
# Items of one response handled in parallel (Scrapy's default 100 starts 100 asyncio tasks for
# every response, about 2 ms of the reactor thread per page): the news spider yields one item per
# article page, the rest of a callback's output are requests, which are handled at once anyway.
CONCURRENT_ITEMS = 4

# -- politeness ----------------------------------------------------------------------------
ROBOTSTXT_OBEY = True
USER_AGENT = portal_config.DEFAULT_USER_AGENT  # "NewsCrawler/0.1 (+...)"; sources.toml overrides
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_TIMES = 2
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = crawl_defaults.DOWNLOAD_MAXSIZE  # 32 MiB
# Scrapy stops downloading while the responses in the spider/pipelines exceed this (default 5 MB):
# one big page in a worker would otherwise hold up every other download (tests/test_hostile.py).
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 4 * DOWNLOAD_MAXSIZE
COOKIES_ENABLED = False
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "de,en;q=0.8",
    # only codings the archive toolchain replays (warcio, pywb 2.10, py-wacz): no br, no zstd
    "Accept-Encoding": "gzip, deflate",
}
TELNETCONSOLE_ENABLED = False
REDIRECT_MAX_TIMES = crawl_defaults.REDIRECT_MAX_TIMES  # 5
CRAWLER_ROBOTS_RETRY_AFTER = adaptor_defaults.ROBOTS_RETRY_AFTER  # 600 seconds: an unreachable robots.txt (5xx, no answer) is asked again
CRAWLER_ROBOTS_MAX_AGE = adaptor_defaults.ROBOTS_MAX_AGE  # 86400 seconds a host's robots.txt rules are used before asking again

# -- components ------------------------------------------------------------------------------
# Scrapy's scheduler; with CRAWLER_FRONTIER=redis://... scrapy-redis's, shared by every crawler
# process of the crawl (one request queue, one duplicate filter; see crawler/scrapy_ext/frontier.py).
SCHEDULER = "crawler.scrapy_ext.frontier.FrontierScheduler"
CRAWLER_FRONTIER = os.environ.get("CRAWLER_FRONTIER")
# Scrapy's HTTP/1.1 handler recording the bytes sent and received for the WARC records
# (crawler/scrapy_ext/wire.py); with CRAWLER_FRONTIER a request leaving its download slot waits
# for its turn in Redis, so the slot's delay and concurrency hold across all processes of the crawl.
DOWNLOAD_HANDLERS = {
    "http": "crawler.scrapy_ext.shared_politeness.PoliteHTTPDownloadHandler",
    "https": "crawler.scrapy_ext.shared_politeness.PoliteHTTPDownloadHandler",
}
CRAWLER_FRONTIER_KEY = os.environ.get("CRAWLER_FRONTIER_KEY", "newscrawler")  # Redis key prefix of the crawl
# With CRAWLER_FRONTIER a process pops a request only when its download slot has room, or into a
# local buffer of this many (crawler/scrapy_ext/frontier_pull.py); the rest stays for the others.
CRAWLER_FRONTIER_BUFFER = adaptor_defaults.FRONTIER_BUFFER  # 4
EXTENSIONS = {
    "crawler.scrapy_ext.job.CrawlJobExtension": 0,
    # per-portal counters in the stats (job records, health, metrics)
    "crawler.scrapy_ext.portal_stats.PortalStatsExtension": 10,
    # `crawler serve` only (CRAWLER_SERVE): cycles per portal on their schedules
    "crawler.scrapy_ext.serve.ServeExtension": 20,
    # `crawler crawl`/`crawler demo` on a terminal (CRAWLER_PROGRESS): a live progress line
    "crawler.scrapy_ext.progress.ProgressExtension": 30,
}
DOWNLOADER_MIDDLEWARES = {
    # Per-portal download slot, delay, concurrency and User-Agent from sources.toml.
    "crawler.scrapy_ext.politeness.PortalPolitenessMiddleware": 40,
    # Redirects leaving the portal's allowed_domains are dropped before anything (robots.txt
    # included) is asked of the other host.
    "crawler.scrapy_ext.redirects.PortalRedirectMiddleware": 50,
    # RFC 9309 (5xx/unreachable: disallow, 4xx: allow, Crawl-delay); Scrapy's own also lets
    # requests racing the robots.txt fetch through (see crawler/scrapy_ext/robots.py).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.scrapy_ext.robots.RobotsTxtMiddleware": 100,
    # Responses pass these after decompression (590): mislabelled charsets corrected, 0-byte
    # and cut bodies turned into failed fetches (retried, then retried by the next crawl).
    "crawler.scrapy_ext.charset.CharsetMiddleware": 587,
    "crawler.scrapy_ext.bodies.TruncatedBodyMiddleware": 585,
    # Closer to the wire than decompression (590) and redirects (600): archives raw exchanges.
    "crawler.scrapy_ext.archive.WarcCaptureMiddleware": 950,
}
ITEM_PIPELINES = {
    "pipelines.extract.ExtractPipeline": 100,
    "pipelines.clean.CleanPipeline": 200,
    "pipelines.dedup.DedupPipeline": 300,
    "pipelines.store.StorePipeline": 400,
}

# `scrapy crawl` exits 1 when the crawl failed (Scrapyd then logs the job as died, exitstatus=1)
COMMANDS_MODULE = "crawler.scrapy_ext.commands"
LOG_LEVEL = os.environ.get("CRAWLER_LOG_LEVEL", "INFO")
LOG_FORMATTER = "crawler.scrapy_ext.logformatter.ArticleLogFormatter"  # items logged by URL, not HTML
FEED_EXPORT_ENCODING = "utf-8"
