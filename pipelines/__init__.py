"""Scrapy item pipelines: one thin adaptor per stage (extract, clean, dedup, store), each calling
its core in ``crawler/``. Order and wiring: ``ITEM_PIPELINES`` in ``settings.py``."""
