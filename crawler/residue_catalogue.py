"""Old import path of ``crawler.cleaning.catalogue``."""

from crawler.cleaning.catalogue import *  # noqa: F401,F403
from crawler.cleaning.catalogue import CATALOGUE_VERSION, RULES, RULES_BY_NAME, Rule, is_sentence, match_line, words  # noqa: F401
