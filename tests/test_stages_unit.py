"""Unit tests of the spider's decisions and the pipeline stages with injected fakes: no crawl,
no network, no files (milliseconds each)."""

from __future__ import annotations

import asyncio
import inspect

import pytest
from scrapy.exceptions import DropItem
from scrapy.http import HtmlResponse, Request, TextResponse

from crawler.dedup import DedupDecision
from crawler.store import UrlState
from crawler.cleaning.templates import TemplateStore
from fakes import FakeIndex, FakeStats, FakeStore, sources
from pipelines.clean import CleanPipeline
from pipelines.dedup import DedupPipeline
from pipelines.extract import ExtractPipeline
from pipelines.store import StorePipeline
from spiders.news import NewsSpider

PARAGRAPHS = [
    f"Absatz {i}: Der Rat der Stadt hat am Dienstagabend nach langer Debatte den Haushalt für das "
    f"kommende Jahr beschlossen, mit Investitionen in Schulen, Brücken und Straßen im Norden."
    for i in range(6)
]


def article_html(canonical: str | None = None, extra: str = "") -> str:
    link = f"<link rel='canonical' href='{canonical}'>" if canonical else ""
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (
        "<html lang='de'><head><title>Rat beschließt Haushalt</title>"
        f"<meta property='og:type' content='article'>{link}</head><body><article>"
        f"<h1>Rat beschließt Haushalt</h1>{body}{extra}</article>"
        "<a href='/artikel/2.html'>Mehr</a> <a href='/impressum'>Impressum</a>"
        "<a href='http://fremd.test/artikel/3.html'>fremd</a></body></html>"
    )


def run(result):
    """The result of a stage, whether it answers directly, as a coroutine or as an async generator."""
    if inspect.isasyncgen(result):
        async def collect():
            return [x async for x in result]
        return asyncio.run(collect())
    return asyncio.run(result) if inspect.isawaitable(result) else result


def item(**extra):
    url = "http://lokal.test/artikel/1.html"
    base = {"url": url, "canonical_url": url, "article_id": "a1", "portal": "lokal", "html": article_html(),
            "http_status": 200, "fetched_at": "2026-12-01T10:00:00+00:00", "lastmod": None,
            "discovered_via": "http://lokal.test/rss.xml", "warc": None}
    return {**base, **extra}


# -- spider ----------------------------------------------------------------------------------

def spider(states=None):
    return NewsSpider(sources=sources(), store=FakeStore(states), stats=FakeStats())


def test_spider_requests_a_feed_entry_once_and_skips_unchanged_known_articles():
    known = "http://lokal.test/artikel/7.html"
    s = spider({known: UrlState(known, "article", 200, "2026-11-30T00:00:00+00:00", "x", "2026-11-30T01:00:00+00:00")})
    feed = (b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>"
            b"<item><link>http://lokal.test/artikel/1.html</link></item>"
            b"<item><link>http://lokal.test/artikel/1.html</link></item>"
            b"<item><link>http://lokal.test/artikel/7.html</link></item>"
            b"<item><link>http://fremd.test/artikel/9.html</link></item></channel></rss>")
    response = TextResponse("http://lokal.test/rss.xml", body=feed, request=Request("http://lokal.test/rss.xml", meta={"portal": "lokal"}))
    requests = run(s.parse_feed(response))
    assert [r.url for r in requests] == ["http://lokal.test/artikel/1.html"]
    assert s.stats.values["crawler/feeds"] == 1


def test_spider_records_a_page_that_is_not_an_article():
    s = spider()
    url = "http://lokal.test/artikel/5.html"
    meta = {"portal": "lokal", "canonical": url, "lastmod": None}
    response = HtmlResponse(url, body=b"<html><body><p>Nur ein Teaser</p></body></html>", encoding="utf-8",
                            request=Request(url, meta=meta))
    assert run(s.parse_article(response)) == []
    assert s.store.states[url].status == "not-article"


def test_spider_yields_the_article_and_follows_only_article_links_of_the_portal():
    s = spider()
    url = "http://lokal.test/artikel/1.html"
    meta = {"portal": "lokal", "canonical": url, "lastmod": None, "discovered_via": "feed"}
    response = HtmlResponse(url, body=article_html().encode(), encoding="utf-8", request=Request(url, meta=meta))
    out = run(s.parse_article(response))
    items = [o for o in out if isinstance(o, dict)]
    assert len(items) == 1 and items[0]["article_id"] and items[0]["portal"] == "lokal"
    assert [o.url for o in out if isinstance(o, Request)] == ["http://lokal.test/artikel/2.html"]


# -- pipelines -------------------------------------------------------------------------------

def test_extract_fills_the_article_fields():
    out = run(ExtractPipeline(stats=FakeStats(), sources=sources()).process_item(item()))
    assert out["title"] == "Rat beschließt Haushalt"
    assert all(p in out["text"] for p in PARAGRAPHS)


def test_extract_drops_a_page_without_text():
    stats = FakeStats()
    with pytest.raises(DropItem):
        run(ExtractPipeline(stats=stats, sources=sources()).process_item(item(html="<html><body></body></html>")))
    assert stats.values["pipeline/extract/empty"] == 1


def test_extract_adopts_a_declared_canonical_article_url_of_the_portal():
    declared = "http://lokal.test/artikel/100.html"
    out = run(ExtractPipeline(stats=FakeStats(), sources=sources()).process_item(
        item(url="http://lokal.test/artikel/1.html?amp=1", html=article_html(canonical=declared))))
    assert out["canonical_url"] == declared and out["fetched_canonical_url"] == "http://lokal.test/artikel/1.html"
    # a canonical naming a section page does not fold articles together
    out = run(ExtractPipeline(stats=FakeStats(), sources=sources()).process_item(
        item(html=article_html(canonical="http://lokal.test/politik/"))))
    assert out["canonical_url"] == "http://lokal.test/artikel/1.html"


def test_clean_removes_the_portal_residue_with_its_rule_and_learns_templates():
    templates = TemplateStore(None)
    stats = FakeStats()
    pipeline = CleanPipeline(stats=stats, sources=sources(), templates=templates, learn=True)
    text = "\n".join([*PARAGRAPHS, "Mehr aus der Stadt: alle Meldungen"])
    out = run(pipeline.process_item(item(text=text, title="Rat beschließt Haushalt")))
    assert "Mehr aus der Stadt" not in out["text"]
    assert any(r["line"].startswith("Mehr aus der Stadt") for r in out["removed"])
    assert sum(v for k, v in stats.values.items() if k.startswith("clean/removed/")) == len(out["removed"])
    assert templates.page_count("lokal") == 1


def test_clean_uses_the_items_authors_for_a_line_of_their_names():
    pipeline = CleanPipeline(stats=FakeStats(), sources=sources(), templates=TemplateStore(None), learn=False)
    text = "\n".join([*PARAGRAPHS, "Jana Winter"])
    out = run(pipeline.process_item(item(text=text, title="Rat beschließt Haushalt", authors=["Jana Winter"])))
    assert out["text"] == "\n".join(PARAGRAPHS)
    assert out["removed"] == [{"line": "Jana Winter", "rule": "author_line"}]


def test_clean_drops_an_item_with_nothing_left():
    pipeline = CleanPipeline(stats=FakeStats(), sources=sources(), templates=TemplateStore(None), learn=False)
    with pytest.raises(DropItem):
        run(pipeline.process_item(item(text="Mehr aus der Stadt", title=None)))


def decision(**kw):
    base = dict(doc_id="a1", cluster_id="c1", representative="a1", previous_representative=None, nearest=None,
                jaccard=None, containment=None, reason="new-story")
    return DedupDecision(**{**base, **kw})


def test_dedup_commits_the_decision_before_handing_the_item_on():
    index = FakeIndex(decision())
    stats = FakeStats()
    out = run(DedupPipeline(stats=stats, sources=sources(), index=index).process_item(
        item(text="Text", published="2026-12-01T08:00:00+01:00")))
    assert out["dedup"].cluster_id == "c1"
    assert [c[0] for c in index.calls] == ["add", "commit"]
    assert index.calls[0][3].isoformat() == "2026-12-01T08:00:00+01:00"
    assert stats.values["dedup/new-story"] == 1


def test_store_saves_version_cluster_and_both_urls_and_drops_the_html():
    store = FakeStore()
    pipeline = StorePipeline(stats=FakeStats(), sources=sources(), store=store, archive_uri="/arch", run_id="r1")
    fetched = "http://lokal.test/artikel/1.html?amp=1"
    out = run(pipeline.process_item(item(text="Text eins", title="T", fetched_canonical_url=fetched,
                                          dedup=decision(reason="near-duplicate", nearest="a0", jaccard=0.8))))
    version, cluster = store.saved[0]
    assert version.run_id == "r1" and version.archive == "/arch" and version.text_hash.startswith("sha256:")
    assert cluster.reason == "near-duplicate" and cluster.nearest == "a0"
    assert {fetched, "http://lokal.test/artikel/1.html"} <= set(store.states)
    assert "html" not in out and out["seq"] == 1


# -- bounded cost per page -------------------------------------------------------------------

def test_outlinks_resolve_like_urljoin_without_fragments_and_duplicates():
    from urllib.parse import urljoin

    from lxml import html as lxml_html

    from crawler.engine.links import outlinks

    hrefs = ["/artikel/2.html", "artikel/3.html#kommentare", "../x/4.html", "//cdn.test/a.html",
             "https://lokal.test/artikel/2.html", "/artikel/2.html", "#top", "mailto:a@b.test",
             "javascript:void(0)", "?seite=2", " /artikel/5.html ", "/a/./b/../6.html"]
    base = "http://lokal.test/politik/seite.html"
    tree = lxml_html.fromstring("<html><body>" + "".join(f"<a href='{h}'>x</a>" for h in hrefs) + "</body></html>")
    expected = []
    for h in hrefs:
        if h.startswith("#"):
            continue  # a link to the page itself is not an outlink
        url = urljoin(base, h.strip()).split("#")[0]
        if url.startswith("http") and url not in expected:
            expected.append(url)
    assert outlinks(tree, base) == expected
    with_base = lxml_html.fromstring("<html><head><base href='http://lokal.test/archiv/'></head>"
                                     "<body><a href='7.html'>x</a></body></html>")
    assert outlinks(with_base, base) == ["http://lokal.test/archiv/7.html"]


class BoundedOffload:
    """Fails every CPU task as the worker pool does for a page past its time budget."""

    async def cpu(self, fn, *args, **kwargs):
        from crawler.engine.pool import TaskTimeout

        raise TaskTimeout("over the time budget of 20 s")

    async def io(self, fn, *args, **kwargs):
        return fn(*args, **kwargs)

    def io_later(self, fn, *args, **kwargs):
        fn(*args, **kwargs)


def _article_response(url, body: bytes):
    meta = {"portal": "lokal", "canonical": url, "lastmod": None}
    return HtmlResponse(url, body=body, encoding="utf-8", request=Request(url, meta=meta))


def test_a_page_over_the_size_limit_is_recorded_and_not_extracted():
    s = NewsSpider(sources=sources(), store=FakeStore(), stats=FakeStats(), offload=BoundedOffload(),
                   page_max_bytes=1000)
    url = "http://lokal.test/artikel/1.html"
    assert run(s.parse_article(_article_response(url, article_html().encode()))) == []
    assert s.store.states[url].status == "too-large"
    assert s.stats.values["crawler/page_bounded/too-large"] == 1


def test_a_page_past_its_time_budget_is_recorded_and_the_crawl_goes_on():
    s = NewsSpider(sources=sources(), store=FakeStore(), stats=FakeStats(), offload=BoundedOffload())
    url = "http://lokal.test/artikel/1.html"
    assert run(s.parse_article(_article_response(url, article_html().encode()))) == []
    assert s.store.states[url].status == "over-time-budget"
    assert s.stats.values["crawler/page_bounded/over-time-budget"] == 1


def test_a_broken_worker_pool_stops_the_crawl_instead_of_stalling_it():
    from scrapy.exceptions import CloseSpider

    from crawler.engine.pool import PoolBroken

    class Broken(BoundedOffload):
        async def cpu(self, fn, *args, **kwargs):
            raise PoolBroken("worker processes cannot start")

    s = NewsSpider(sources=sources(), store=FakeStore(), stats=FakeStats(), offload=Broken())
    with pytest.raises(CloseSpider) as stopped:
        run(s.parse_article(_article_response("http://lokal.test/artikel/1.html", article_html().encode())))
    assert stopped.value.reason == "worker-pool-broken"


# -- off the reactor -------------------------------------------------------------------------

class ThreadedOffload:
    """As the crawl's offload: ``cpu`` in a "worker" (recorded; a thread here), ``io`` on one
    "crawl-io" thread. Records which functions went where."""

    def __init__(self):
        import concurrent.futures

        self.cpu_calls, self.io_calls = [], []
        self._io = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="crawl-io")
        self._cpu = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="worker")

    async def _on(self, executor, fn, *args, **kwargs):
        return await asyncio.wrap_future(executor.submit(fn, *args, **kwargs))

    async def cpu(self, fn, *args, **kwargs):
        self.cpu_calls.append(fn.__name__)
        return await self._on(self._cpu, fn, *args, **kwargs)

    async def io(self, fn, *args, **kwargs):
        self.io_calls.append(getattr(fn, "__name__", repr(fn)))
        return await self._on(self._io, fn, *args, **kwargs)

    async def read(self, fn, *args, **kwargs):
        return await self._on(self._io, fn, *args, **kwargs)

    def io_later(self, fn, *args, **kwargs):
        self._io.submit(fn, *args, **kwargs)

    def close(self):
        self._io.shutdown()
        self._cpu.shutdown()


class ThreadRecorder:
    """``target`` whose every method call records the calling thread's name in ``threads``."""

    def __init__(self, target, threads: list):
        self._target, self._threads = target, threads

    def __getattr__(self, name):
        import threading

        attr = getattr(self._target, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            self._threads.append((name, threading.current_thread().name))
            return attr(*args, **kwargs)
        return call


def test_no_stage_runs_its_extraction_templates_dedup_or_store_work_on_the_calling_thread():
    """Extract, clean, dedup and store: the extraction is handed to a worker, every templates,
    dedup-index and store call runs on the crawl's I/O thread, none on the (reactor's) own."""
    threads: list = []
    offload = ThreadedOffload()
    templates = ThreadRecorder(TemplateStore(None), threads)
    index = ThreadRecorder(FakeIndex(decision()), threads)
    store = ThreadRecorder(FakeStore(), threads)
    base = {"stats": FakeStats(), "sources": sources()}
    stages = [ExtractPipeline(offload=offload, **base), CleanPipeline(templates=templates, offload=offload, **base),
              DedupPipeline(index=index, offload=offload, **base),
              StorePipeline(store=store, archive_uri="/arch", run_id="r1", offload=offload, **base)]

    async def through_all():
        current = item()
        for stage in stages:
            current = await stage.process_item(current)
        return current

    try:
        out = asyncio.run(through_all())
    finally:
        offload.close()
    assert out["seq"] == 1 and out["text"]
    assert offload.cpu_calls == ["extract_article"]
    called = {name for name, _ in threads}
    assert {"match", "learn", "add", "commit", "save_article", "record_url"} <= called, threads
    assert all(thread.startswith("crawl-io") for _, thread in threads), threads
