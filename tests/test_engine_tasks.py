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


def test_page_type_outlinks_extraction_and_metadata_come_from_one_parse(monkeypatch):
    """The crawler's own code parses a fetched page once (lxml): page type, outlinks, stylesheets,
    text and metadata all read that tree. (trafilatura may still re-parse a serialised copy for
    its readability comparison: that is the library's, counted apart.)"""
    import traceback
    from pathlib import Path

    import lxml.etree

    import crawler

    ours = str(Path(crawler.__file__).parent)
    parses = []
    parse = lxml.etree.fromstring

    def counting(text, *args, **kwargs):
        callers = [f.filename for f in traceback.extract_stack()[:-1]]
        first_outside_lxml = next(f for f in reversed(callers) if "/lxml/" not in f)
        parses.append(first_outside_lxml)
        return parse(text, *args, **kwargs)

    monkeypatch.setattr(lxml.etree, "fromstring", counting)
    page = ("<html lang='de'><head><title>Stadtrat beschließt Haushalt</title><link rel='stylesheet' href='/s.css'>"
            "<meta property='og:type' content='article'><script type='application/ld+json'>"
            '{"@type": "NewsArticle", "headline": "Stadtrat beschließt Haushalt",'
            ' "datePublished": "2026-12-01T10:00:00+01:00",'
            ' "author": {"@type": "Person", "name": "Anna Beispiel"}}</script></head><body><article>'
            "<h1>Stadtrat beschließt Haushalt</h1>" + "".join(f"<p>{line}</p>" for line in TEXT.splitlines()[2:5])
            + "<a href='/artikel/2.html'>Mehr</a></article></body></html>")
    result = analyze_for_crawl(page, "http://weserbote.test/artikel/1.html", PageOptions(), article=True, listed=True)
    assert result["is_article"] and result["article"]["text"]
    assert result["outlinks"] == ["http://weserbote.test/artikel/2.html"]
    assert result["stylesheets"] == ["http://weserbote.test/s.css"]
    assert [f for f in parses if f.startswith(ours)] == [str(Path(ours) / "extraction" / "parse.py")], parses


def _as_the_middleware_leaves_it(response):
    from crawler.scrapy_ext.charset import correction

    fix = correction(response)
    return (response.replace(encoding=fix[0]) if fix else response).text, fix


def test_the_worker_decodes_a_body_as_scrapy_and_the_charset_middleware_do():
    from scrapy.http import HtmlResponse, TextResponse

    from crawler.scrapy_ext.charset import body_args, decode_body

    page = "<html><head>{meta}<title>Grüße</title></head><body><p>Straße, Bäder, Kähler</p></body></html>"
    cases = [
        (HtmlResponse, page.format(meta="").encode("utf-8"), b"text/html; charset=windows-1252", None),  # mislabelled
        (HtmlResponse, page.format(meta="").encode("cp1252"), b"text/html; charset=utf-8", None),  # legacy as UTF-8
        (HtmlResponse, page.format(meta='<meta charset="iso-8859-1">').encode("latin-1"), b"text/html", None),
        (HtmlResponse, page.format(meta="").encode("utf-8"), None, None),  # nothing declared: sniffed
        (HtmlResponse, b"\xef\xbb\xbf" + page.format(meta="").encode("utf-8"), b"text/html; charset=latin-1", None),
        (HtmlResponse, page.format(meta="").encode("utf-16-le"), b"text/html", "utf-16-le"),  # given explicitly
        (TextResponse, page.format(meta="").encode("utf-8"), b"text/plain; charset=windows-1252", None),
        (HtmlResponse, b"", b"text/html", None),
    ]
    fixes = 0
    for cls, body, ctype, encoding in cases:
        response = cls("https://www.weserbote.test/a.html", body=body,
                       headers={"Content-Type": ctype} if ctype else None, encoding=encoding)
        expected = _as_the_middleware_leaves_it(response)
        got = decode_body(response.body, response.url, *pickle.loads(pickle.dumps(body_args(response))))
        assert got == expected, (ctype, body[:40])
        fixes += expected[1] is not None
    assert fixes == 2  # the two mislabelled pages were corrected


def test_an_articles_records_built_with_its_page_task_equal_those_built_apart(tmp_path):
    """One worker task (analysis, request/response records, crawl-context metadata record)
    writes the same WARC records as the capture middleware's build plus the spider's
    write_metadata did (record ids and dates aside)."""
    from warcio.archiveiterator import ArchiveIterator

    from crawler.archive import WarcArchive
    from crawler.archive.blobstore import LocalBlobStore
    from crawler.archive.exchange import Exchange, build_records
    from crawler.engine.tasks import analyze_and_build

    paragraphs = "".join(f"<p>{line}</p>" for line in TEXT.split("\n")[2:4] + TEXT.split("\n")[5:7])
    body = (f"<html><head><title>Haushalt</title></head><body><article><h1>Stadtrat beschließt</h1>"
            f"{paragraphs}<a href='/politik/b.html'>B</a></article></body></html>").encode("utf-8")
    url = "https://www.weserbote.test/politik/haushalt-2027.html"
    response = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + body
    records = []
    for together in (False, True):
        archive = WarcArchive(tmp_path / f"spool-{together}", LocalBlobStore(tmp_path / f"a-{together}"),
                              run_id="r", background_upload=False)
        plan = archive.plan_wire(Exchange(url, b"GET /politik/haushalt-2027.html HTTP/1.1\r\n\r\n", response,
                                          "2026-12-01T10:00:00Z"))
        job = pickle.loads(pickle.dumps(plan.job))
        if together:
            page, built = analyze_and_build(job, None, url, (b"text/html; charset=utf-8", None, True),
                                            PageOptions(force_article=True), context=("https://www.weserbote.test/", 5))
            pointer = archive.finish_wire(plan, built)
            assert archive.append_metadata(page["warc_metadata"], pointer.record_id) is not None
        else:
            pointer = archive.finish_wire(plan, build_records(job))
            page = analyze_for_crawl(body.decode("utf-8"), url, PageOptions(force_article=True))
            fields = [("via", "https://www.weserbote.test/"), *(("outlink", u) for u in page["outlinks"][:5])]
            archive.write_metadata(url, fields, concurrent_to=pointer.record_id)
        [closed] = archive.close()
        with open(tmp_path / f"a-{together}" / closed.name, "rb") as fh:
            records.append([(r.rec_type, [(k, v) for k, v in r.rec_headers.headers
                                          if k not in ("WARC-Record-ID", "WARC-Date", "WARC-Concurrent-To",
                                                       "WARC-Warcinfo-ID", "WARC-Filename", "WARC-Block-Digest")],
                             r.content_stream().read()) for r in ArchiveIterator(fh)
                            if r.rec_type != "warcinfo"])
    assert [r[0] for r in records[1]] == ["request", "response", "metadata"]
    assert b"outlink: https://www.weserbote.test/politik/b.html" in records[1][2][2]
    assert records[0] == records[1]
