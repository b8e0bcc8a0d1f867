"""Scrapy spiders: what to fetch and how to find articles."""
