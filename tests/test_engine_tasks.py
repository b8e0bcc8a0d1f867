"""The crawl's page task: the cleaning's one-line rules run in the worker with the extraction,
and cleaning with their result gives what cleaning the text from scratch gives."""

from __future__ import annotations

import pickle

from crawler.cleaning import clean_text
from crawler.cleaning.cleaner import line_matches
from crawler.engine.page import PageOptions
from crawler.engine.tasks import analyze_for_crawl

TEXT = "\n".join([
    "Politik",
    "Stadtrat beschließt den Haushalt für 2027",
    "Der Stadtrat von Herford hat am Dienstagabend nach langer Debatte den Haushalt für das kommende Jahr "
    "beschlossen. Die Opposition kritisierte die geplanten Kürzungen bei den Bädern.",
    "Lesen Sie auch",
    "window.__INITIAL_STATE__ = {\"user\":null,\"ads\":[1,2,3]};",
    "Bürgermeister Tim Kähler sprach von einem schwierigen, aber soliden Haushalt. Die Rücklagen reichten "
    "noch für zwei Jahre, danach müsse die Stadt neue Wege gehen.",
    "Jetzt Newsletter abonnieren!",
    "Foto: dpa",
    "(dpa)",
])
PATTERNS = (r"^Jetzt Newsletter",)


def _clean(text, **kw):
    return clean_text(text, title="Stadtrat beschließt den Haushalt für 2027", section="Politik",
                      portal="weserbote", line_patterns=PATTERNS, **kw)


def test_cleaning_with_the_workers_line_matches_equals_cleaning_from_scratch():
    matches = pickle.loads(pickle.dumps(line_matches(TEXT, PATTERNS)))  # as it comes back from a worker
    assert matches["catalogue"] and matches["portal"] and matches["script"]
    assert _clean(TEXT, matches=matches) == _clean(TEXT)
    assert _clean(TEXT).removed  # the example has residue


def test_line_matches_of_another_text_or_other_patterns_are_not_used():
    other = line_matches("Ganz anderer Text.\nFoto: dpa", PATTERNS)
    assert _clean(TEXT, matches=other) == _clean(TEXT)
    unpatterned = line_matches(TEXT, ())
    assert _clean(TEXT, matches=unpatterned) == _clean(TEXT)


def test_the_page_task_hands_on_line_matches_for_articles_only():
    paragraphs = "".join(f"<p>{line}</p>" for line in TEXT.split("\n")[2:4] + TEXT.split("\n")[5:7])
    html = (f"<html><head><title>Haushalt</title></head><body><article><h1>Stadtrat beschließt</h1>"
            f"{paragraphs}</article></body></html>")
    page = analyze_for_crawl(html, "https://www.weserbote.test/politik/haushalt-2027.html",
                             PageOptions(force_article=True), line_patterns=PATTERNS)
    fields = page["article"]
    assert page["is_article"] and fields["line_matches"] == line_matches(fields["text"], PATTERNS)
    listing = analyze_for_crawl(html, "https://www.weserbote.test/politik/", article=False)
    assert listing["article"] is None
