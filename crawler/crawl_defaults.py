"""Defaults of the crawl settings read by the ``news`` spider and the pipelines, defined once:
this repository's settings.py takes its values from here, and the spider and pipelines fall back
to them when they are built without it (unit tests, another Scrapy project). No imports:
settings.py reads this cheaply. (The WARC capture and robots.txt defaults:
:mod:`crawler.scrapy_ext.defaults`; the near-duplicate window: :mod:`crawler.dedup.params`.)"""

GONE_RETRY_DAYS = 7  # CRAWLER_GONE_RETRY_DAYS: refetch URLs that answered 404/410 after this many days
RETRY_LIMIT = 1000  # CRAWLER_RETRY_LIMIT: article fetches that failed before, retried per crawl at most
PAGE_REQUISITES = True  # CRAWLER_PAGE_REQUISITES: fetch the stylesheets of article pages
LEARN_TEMPLATES = True  # CRAWLER_LEARN_TEMPLATES: learn recurring per-portal residue lines
# REDIRECT_MAX_TIMES and DOWNLOAD_MAXSIZE: Scrapy settings with Scrapy's own defaults (20, 1 GiB)
# when settings.py is not used; these are this project's values.
REDIRECT_MAX_TIMES = 5
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
