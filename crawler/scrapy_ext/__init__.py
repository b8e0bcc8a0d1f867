"""Scrapy adaptors that are not spiders or item pipelines (middlewares, extensions, download handlers)."""
