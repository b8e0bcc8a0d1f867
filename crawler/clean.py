"""Old import path of ``crawler.cleaning`` (``from crawler.clean import clean_text`` keeps working)."""

from crawler.cleaning import *  # noqa: F401,F403
from crawler.cleaning import __all__  # noqa: F401
