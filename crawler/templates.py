"""Old import path of ``crawler.cleaning.templates``."""

from crawler.cleaning.templates import TemplateStore, normalize  # noqa: F401
