# Only for `scrapyd-deploy`, which builds an egg with `python setup.py bdist_egg`; everything
# (metadata, packages, the Scrapy settings entry point) is declared in pyproject.toml.
from setuptools import setup

setup()
