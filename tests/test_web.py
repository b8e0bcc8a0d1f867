"""Unit tests of ``crawler web``'s parts: German analysis, the derived search index and its
incremental sync, Memento formats, link rewriting of the replay, the token, the read-only store."""

from __future__ import annotations

import sqlite3

import pytest

from crawler.archive.collection import Capture, CollectionIndex, timestamp14
from crawler.store import ArticleVersion, ClusterAssignment, SQLiteArticleStore
from crawler.store import open_store
from crawler.web import analyzer, memento, replay
from crawler.web.search import SearchIndex


def test_umlauts_transcriptions_and_inflections_meet_at_one_term():
    assert analyzer.term("Präsidenten") == analyzer.term("praesident") == analyzer.term("Präsident")
    assert analyzer.term("Straße") == analyzer.term("strasse")
    assert analyzer.term("Bündnisse") == analyzer.term("Buendnis")
    assert analyzer.term("neue") != analyzer.term("nu")  # "ue" after a vowel is not an umlaut


def test_query_terms_are_quoted_so_fts_operators_are_plain_words():
    clauses = analyzer.parse_query('Grünen OR "Rote Karte" NEAR(')
    assert analyzer.fts_match(clauses).count('"') == 2 * len(clauses)
    assert ["rot", "kart"] in clauses


def _version(aid, url, title, text, portal="weserbote", published="2026-11-21T09:00:00+01:00", section="Politik"):
    return ArticleVersion(article_id=aid, canonical_url=url, url=url, portal=portal, fetched_at="2026-12-01T10:00:00+00:00",
                          title=title, text=text, published=published, section=section, language="de",
                          text_hash=f"h-{aid}-{len(text)}")


@pytest.fixture
def store(tmp_path):
    s = SQLiteArticleStore(tmp_path / "articles.sqlite")
    s.save_article(_version("a1", "http://a.test/1", "Großbrand in Bünde", "Die Feuerwehr löschte die Lagerhalle."),
                   ClusterAssignment("c1", "a1"))
    s.save_article(_version("a2", "http://b.test/2", "Brand in Bünde", "Feuerwehrleute löschten eine Halle.",
                            portal="tagesblick", published="2026-11-22T09:00:00+01:00"),
                   ClusterAssignment("c1", "a1", nearest="a1", jaccard=0.8, reason="near-duplicate"))
    s.save_article(_version("a3", "http://a.test/3", "Rentenpaket beschlossen", "Der Bundestag stimmte zu.",
                            section="Wirtschaft"), ClusterAssignment("c2", "a3"))
    yield s
    s.close()


def test_search_index_syncs_incrementally_and_facets_narrow(store, tmp_path):
    index = SearchIndex(tmp_path / "web-search.sqlite")
    assert index.sync(store) == 3
    hits = index.search("Bünde").hits
    assert {h.article_id for h in hits} == {"a1", "a2"}
    assert index.search("buende", {"portal": "tagesblick"}).total == 1
    assert {h.article_id for h in index.search("Feuerw*").hits} == {"a1", "a2"}  # Feuerwehr, Feuerwehrleute
    assert index.search("Feuerwehr").total == 1
    assert index.search("Loesch*").total == index.search("lösch*").total == 2
    result = index.search("")
    assert dict((v, n) for v, _, n in result.facets["section"]) == {"Politik": 2, "Wirtschaft": 1}
    assert [label for _, label, _ in result.facets["cluster"]][0] == "Großbrand in Bünde"
    assert [h.article_id for h in index.search("", sort="date").hits][0] == "a2"
    # A new version replaces the indexed text; nothing else is read again.
    store.save_article(_version("a3", "http://a.test/3", "Rentenpaket beschlossen", "Der Bundesrat stimmte später zu."),
                       ClusterAssignment("c2", "a3", reason="new-version"))
    assert index.sync(store) == 1
    assert index.search("Bundesrat").total == 1 and index.search("Bundestag").total == 0
    assert index.sync(store) == 0
    # Pointed at another store (a fresh crawl in the same place): the index starts over.
    other = SQLiteArticleStore(tmp_path / "other.sqlite")
    other.save_article(_version("b1", "http://c.test/1", "Wahl in Bremen", "Die Bürgerschaft wählt."),
                       ClusterAssignment("c9", "b1"))
    assert index.sync(other) == 1
    assert index.search("").total == 1 and index.search("Bürgerschaft").total == 1
    other.close()


def test_snippet_marks_the_matching_words():
    pieces = analyzer.highlight("Die Feuerwehr löschte die brennende Lagerhalle in Bünde.", {analyzer.term("Buende")})
    assert ("Bünde", True) in pieces


def test_read_only_store_never_writes(store, tmp_path):
    ro = open_store(f"sqlite:///{tmp_path / 'articles.sqlite'}", read_only=True)
    assert len(list(ro.changes_after(0))) == 3
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        ro.db.execute("DELETE FROM articles")
    ro.close()


def _cap(ts, url="http://a.test/1", mime="text/html"):
    return Capture("test,a)/1", ts, url, mime, "200", "sha1:X", 10, 0, "f.warc.gz")


def test_timemap_lists_every_memento_with_rfc1123_dates():
    caps = [_cap("20261201100000"), _cap("20261202110000")]
    tm = memento.timemap("http://127.0.0.1:1", "http://a.test/1", caps)
    assert '<http://a.test/1>; rel="original"' in tm
    assert 'rel="first memento"; datetime="Tue, 01 Dec 2026 10:00:00 GMT"' in tm
    assert '<http://127.0.0.1:1/replay/20261202110000/http://a.test/1>; rel="last memento"' in tm
    assert memento.parse_accept_datetime("Wed, 02 Dec 2026 10:00:00 GMT").day == 2
    assert memento.parse_accept_datetime("yesterday") is None


def test_collection_index_closest_capture(tmp_path):
    index = CollectionIndex(tmp_path / "idx.sqlite")
    lines = "\n".join(
        f'test,a)/1 {ts} {{"url": "http://www.a.test/1", "mime": "text/html", "status": "200", '
        f'"digest": "sha1:X", "length": "10", "offset": "{off}", "filename": "f.warc.gz"}}'
        for ts, off in (("20261201100000", 0), ("20261203100000", 10)))
    assert index.add_cdxj("f.warc.gz", lines) == 2
    assert index.closest("http://a.test/1", "2026-12-02T23:00:00Z").offset == 10
    assert index.closest("http://www.a.test/1").timestamp == "20261203100000"
    assert [c.offset for c in index.by_host_day(["a.test"], "2026-12-01")] == [0]
    assert timestamp14("2026-12-01T11:00:00+01:00") == "20261201100000"


def test_replay_rewrites_subresources_into_the_archive():
    html = (b'<html><head><link rel="stylesheet" href="/style.css"><style>body{background:url(bg.png)}</style>'
            b'</head><body><img src="https://cdn.test/a.jpg" srcset="a.jpg 1x, b.jpg 2x"><a href="#top">t</a></body></html>')
    out = replay.rewrite_html(html, "text/html", "/replay", "20261201100000", "http://a.test/x/p.html", "<div>b</div>")
    text = out.decode()
    assert 'href="/replay/20261201100000/http://a.test/style.css"' in text
    assert "url(/replay/20261201100000/http://a.test/x/bg.png)" in text
    assert 'src="/replay/20261201100000/https://cdn.test/a.jpg"' in text
    assert "/replay/20261201100000/http://a.test/x/b.jpg 2x" in text
    assert 'href="#top"' in text
    css = replay.rewrite_css('@import "a.css"; x{background:url("../i.png")}', "/replay", "1", "http://a.test/c/s.css")
    assert css == '@import "/replay/1/http://a.test/c/a.css"; x{background:url("/replay/1/http://a.test/i.png")}'


def test_token_is_required_when_configured(store, tmp_path):
    from fastapi.testclient import TestClient

    from crawler.archive.blobstore import LocalBlobStore
    from crawler.web.app import create_app
    from crawler.web.context import WebContext

    (tmp_path / "archive").mkdir()
    ctx = WebContext(store_uri=f"sqlite:///{tmp_path / 'articles.sqlite'}", index_dir=tmp_path / "idx",
                     blobstore=LocalBlobStore(tmp_path / "archive"))
    client = TestClient(create_app(ctx, token="s3cret"))
    assert client.get("/search?q=Bünde").status_code == 401
    r = client.get("/search?q=Bünde&token=s3cret")
    assert r.status_code == 200 and "Großbrand in Bünde" in r.text
    assert client.get("/search?q=Bünde").status_code == 200  # the cookie it set
    assert client.get("/article/a2", headers={"Authorization": "Bearer s3cret"}).status_code == 200
