"""News crawling framework core: configuration, stores, archive, extraction, cleaning, dedup."""

__version__ = "0.1.0"
