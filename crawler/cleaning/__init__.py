"""Residue cleaning: explainable, line-by-line rules over extracted article text.

One concept per module:
- ``cleaner``: ``clean_text`` runs the rule groups in order (portal line patterns, learned
  portal templates, the catalogue, the positional rules) behind the safety guards;
- ``script``: script, state or template code rendered as lines, by shape;
- ``link_labels``: link labels printed into paragraphs, taken out of the markup before extraction;
- ``catalogue``: the built-in, versioned German/English line rules (``RULES``);
- ``templates``: lines learned as page chrome because they recur on many pages of one portal;
- ``header``: kicker/rubric lines and the headline repeated above the first paragraph;
- ``credits``: source and credit tags, closing source lists, author biographies;
- ``related``: link-title lines after a related-links heading;
- ``positional``: the rules that need the whole text, in order;
- ``lines``: shared line helpers.
"""

from crawler.cleaning.catalogue import CATALOGUE_VERSION, RULES, RULES_BY_NAME, Rule, match_line
from crawler.cleaning.cleaner import MAX_SHARE, MAX_TOTAL_SHARE, CleanResult, clean_text
from crawler.cleaning.lines import is_sentence, words

__all__ = ["CATALOGUE_VERSION", "RULES", "RULES_BY_NAME", "Rule", "match_line", "MAX_SHARE", "MAX_TOTAL_SHARE",
           "CleanResult", "clean_text", "is_sentence", "words"]
