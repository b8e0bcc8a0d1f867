"""The page task a crawl hands to a worker: :func:`crawler.engine.page.analyze_page`, plus, for
an article, what the cleaning's one-line rules find in its text
(:func:`crawler.cleaning.cleaner.line_matches`, ``article["line_matches"]``), so that the clean
stage on the crawl's I/O thread only applies the learned templates, the guards and the
positional rules.

:func:`analyze_body` takes the response's bytes: the worker decodes them (charset corrected
as :mod:`crawler.scrapy_ext.charset` does), so the crawl process neither decodes the page nor
sends it as text."""

from __future__ import annotations

from crawler.cleaning.cleaner import line_matches
from crawler.engine.options import PageOptions

# The extraction (crawler.engine.page) is imported where it runs: in the worker processes (their
# fork server preloads it, crawler.engine.pool.PRELOAD), not in the crawl process.


def warm_up() -> None:
    """The worker pool's initializer: :func:`crawler.engine.page.warm_up`."""
    from crawler.engine.page import warm_up as warm_up_page

    warm_up_page()


def analyze_for_crawl(html: str, url: str, options: PageOptions = PageOptions(), *, article: bool = True,
                      listed: bool = False, line_patterns: tuple[str, ...] = ()) -> dict:
    from crawler.engine.page import analyze_page

    page = analyze_page(html, url, options, article=article, listed=listed)
    fields = page.get("article")
    if fields and (fields.get("text") or "").strip():
        fields["line_matches"] = line_matches(fields["text"], line_patterns)
    return page


def analyze_body(body: bytes, url: str, decode: tuple, options: PageOptions = PageOptions(), **kwargs) -> dict:
    """:func:`analyze_for_crawl` of a response body; ``decode``: the arguments of
    :func:`crawler.scrapy_ext.charset.decode_body` after body and url. The page's
    ``charset`` is the correction applied (``(encoding, why)``) or None."""
    from crawler.scrapy_ext.charset import decode_body

    html, fix = decode_body(body, url, *decode)
    page = analyze_for_crawl(html, url, options, **kwargs)
    page["charset"] = fix
    return page


def analyze_and_build(job, body: bytes | None, url: str, decode: tuple, options: PageOptions = PageOptions(),
                      *, context: tuple | None = None, **kwargs) -> tuple:
    """``(page, records)``: :func:`analyze_body` and the WARC records of the page's exchange
    (:func:`crawler.archive.exchange.build_records` of ``job``) in one task; ``body`` None: the
    response's payload as received is the body. ``context``: ``(via, max outlinks)``: an
    article's crawl-context metadata record is built too (``page["warc_metadata"]``, a
    :class:`crawler.archive.context.MetadataMember`)."""
    from crawler.archive.context import metadata_member
    from crawler.archive.exchange import build_records

    built = build_records(job)
    page = analyze_body(job.ex.payload() if body is None else body, url, decode, options, **kwargs)
    if context is not None and page["is_article"]:
        via, most = context
        fields = [("via", via or ""), *(("outlink", u) for u in page["outlinks"][:most])]
        page["warc_metadata"] = metadata_member(url, fields, warcinfo_id=job.warcinfo_id,
                                                concurrent_to=job.response_id, level=job.levels[0])
    return page, built
