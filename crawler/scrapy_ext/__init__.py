"""Scrapy adaptors that are not spiders or item pipelines (middlewares, extensions, download
handlers, log formatter): the WARC capture (``archive.py``), the crawl job extension that opens
the crawl's collaborators once (``job.py``, ``resources.py``) and the log formatter. Besides
``spiders/`` and ``pipelines/`` the only place that imports Scrapy."""
