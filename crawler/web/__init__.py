"""``crawler web``: the archivist's pages over the article store and the WARC holdings.

A reader: it opens the article store read-only, keeps its own derived full-text index in the
data directory (``web-search.sqlite``, brought up to date from the store's change sequence) and
reads WARC records from the archive by range. It never blocks a crawl.
"""
