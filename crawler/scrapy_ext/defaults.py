"""Defaults of the settings read by the Scrapy adaptors that also serve other Scrapy projects (the
WARC capture middleware, the robots.txt middleware), defined once: this repository's
settings.py takes its values from here, and the adaptors fall back to them when a project runs
them without it. No imports: settings.py reads this cheaply."""

WARC_ENABLED = True  # CRAWLER_WARC_ENABLED: False leaves the capture middleware out
WARC_PREFIX = "crawl"  # CRAWLER_WARC_PREFIX: WARC file names start with it
WARC_MAX_SIZE = 1_000_000_000  # CRAWLER_WARC_MAX_SIZE: roll WARC files at 1 GB
WARC_MAX_AGE = 3600  # CRAWLER_WARC_MAX_AGE: ... and after an hour (seconds; 0: by size only)
WARC_SHUTDOWN_UPLOAD_SECONDS = 300  # CRAWLER_WARC_SHUTDOWN_UPLOAD_SECONDS
WARC_FSYNC = False  # CRAWLER_WARC_FSYNC: fsync each record before the response goes on
WARC_REVISITS = True  # CRAWLER_WARC_REVISITS: unchanged payloads become revisit records
COLLECTION_INDEX = True  # CRAWLER_COLLECTION_INDEX: shipping updates archive-index.sqlite
ROBOTS_RETRY_AFTER = 600.0  # CRAWLER_ROBOTS_RETRY_AFTER: seconds before an unreachable robots.txt is asked again
ROBOTS_MAX_AGE = 86400.0  # CRAWLER_ROBOTS_MAX_AGE: seconds a host's rules are used (RFC 9309: 24 h)
FRONTIER_BUFFER = 4  # CRAWLER_FRONTIER_BUFFER: requests a process of a shared frontier pops ahead for busy download slots
