"""Extraction of one article page: metadata pickers (one module per field), date parsing.

``crawler.extract.extract_article`` is the entry point (main text + metadata);
``crawler.extraction.metadata.extract_metadata`` assembles the pickers.
"""
