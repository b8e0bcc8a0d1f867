"""`crawler api` on a small store (FastAPI's test client): auth, paging, records, filters."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from record_schema import assert_valid
from services import postgres_database

from crawler.api import TokenError, TokenSet, create_app, load_tokens
from crawler.datadir import DataDir
from crawler.store import ArticleVersion, ClusterAssignment, open_store

TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _version(aid, text, portal="a", fetched="2026-11-23T12:00:00+00:00", **kw):
    return ArticleVersion(
        article_id=aid, canonical_url=f"http://{portal}.test/{aid}.html", url=f"http://{portal}.test/{aid}.html",
        portal=portal, fetched_at=fetched, title=f"Titel {aid}", text=text, text_hash=f"h:{text}",
        published=kw.pop("published", "2026-11-23T10:00:00+01:00"), language="de",
        warc={"warc_file": "crawl-1.warc.gz", "offset": 1, "length": 2, "record_id": f"<urn:uuid:{aid}>",
              "payload_digest": "sha1:X"}, **kw)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def data_dir(request, tmp_path):
    """Where the API reads: a data directory (SQLite) or a PostgreSQL URL (a real server)."""
    where = DataDir(tmp_path) if request.param == "sqlite" else postgres_database()
    store = open_store(where)
    for i in range(12):
        store.save_article(_version(f"a{i}", f"Text Nummer {i}.", portal="a" if i % 2 else "b", section="Politik"),
                           ClusterAssignment(f"c{i}", f"a{i}"))
    store.save_article(_version("dup", "Text Nummer 3, kopiert.", portal="c", published="2026-11-23T06:00:00+01:00"),
                       ClusterAssignment("c3", "dup", previous_representative="a3", nearest="a3", jaccard=0.8,
                                         containment=0.9, reason="near-duplicate"))
    store.save_article(_version("a5", "Text Nummer 5.\nMit Nachtrag.", portal="a", fetched="2026-11-24T09:00:00+00:00",
                               section="Politik"),
                       ClusterAssignment("c5", "a5", reason="new-version"))
    store.close()
    return where


@pytest.fixture
def client(data_dir):
    app = create_app(lambda: open_store(data_dir, read_only=True), TokenSet([TOKEN]))
    with TestClient(app) as c:
        yield c


def _pages(client, path, key, limit, after=0, **params):
    seen, pages = [], 0
    while True:
        body = client.get(path, params={"after_seq": after, "limit": limit, **params}, headers=AUTH).json()
        seen += body[key]
        pages += 1
        assert body["next_after_seq"] >= after
        after = body["next_after_seq"]
        if not body["has_more"]:
            return seen, pages, after


def test_data_needs_a_valid_token_docs_do_not(client):
    for path in ("/changes", "/stories", "/stories/c1", "/articles", "/articles/a1"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers={"Authorization": "Bearer wrong-token-0123456789"}).status_code == 401
        assert client.get(path, headers=AUTH).status_code == 200
    assert client.get("/changes", params={"token": TOKEN}).status_code == 401  # not in URLs (logs)
    assert client.get("/changes").headers["www-authenticate"] == "Bearer"
    doc = client.get("/openapi.json").json()
    assert {"/changes", "/stories", "/stories/{story_id}", "/articles", "/articles/{article_id}"} <= set(doc["paths"])
    assert "HTTPBearer" in doc["components"]["securitySchemes"]
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger-ui-bundle.js" in docs.text
    assert "https://" not in docs.text and "http://" not in docs.text  # no CDN: works offline
    script = re.search(r'src="([^"]+swagger-ui-bundle\.js)"', docs.text)[1]
    assert client.get(script).status_code == 200


def test_changes_pages_return_every_change_once_in_order(client, data_dir):
    changes, pages, last = _pages(client, "/changes", "changes", limit=4)
    store = open_store(data_dir, read_only=True)
    expected = [c.seq for c in store.changes(0, 10_000)]
    store.close()
    assert [c["seq"] for c in changes] == expected and pages >= 4 and last == expected[-1]
    for record in changes:
        assert_valid(record, "change")
    assert {"new-article", "new-version", "representative"} <= {c["kind"] for c in changes}
    # After the last cursor: nothing, and the cursor stays.
    body = client.get("/changes", params={"after_seq": last}, headers=AUTH).json()
    assert body == {"changes": [], "next_after_seq": last, "has_more": False}
    only = client.get("/changes", params={"kind": "new-version"}, headers=AUTH).json()["changes"]
    assert [c["article_id"] for c in only] == ["a5"]
    assert client.get("/changes", params={"kind": "moved"}, headers=AUTH).status_code == 422


def test_stories_and_articles_pages_match_the_store(client):
    stories, _, _ = _pages(client, "/stories", "stories", limit=5)
    assert sorted(s["story_id"] for s in stories) == sorted(f"c{i}" for i in range(12))
    for record in stories:
        assert_valid(record, "story")
    articles, _, _ = _pages(client, "/articles", "articles", limit=5)
    assert sorted(a["article_id"] for a in articles) == sorted([f"a{i}" for i in range(12)] + ["dup"])
    for record in articles:
        assert_valid(record, "article")


def test_story_has_representative_members_and_first_publisher(client):
    story = client.get("/stories/c3", headers=AUTH).json()
    assert_valid(story, "story")
    assert story["article_id"] == "dup" and story["first_publisher"]["portal"] == "c"
    assert {m["article_id"]: (m["is_representative"], m["jaccard"]) for m in story["members"]} == {
        "dup": (True, 0.8), "a3": (False, None)}
    assert client.get("/stories/nope", headers=AUTH).status_code == 404


def test_article_with_versions_and_diffs(client):
    body = client.get("/articles/a5", headers=AUTH).json()
    assert_valid(body["article"], "article")
    assert [v["version"] for v in body["versions"]] == [1, 2] and body["article"]["version"] == 2
    for v in body["versions"]:
        assert_valid(v, "version")
    assert "+Mit Nachtrag." in body["versions"][1]["diff"]
    assert client.get("/articles/nope", headers=AUTH).status_code == 404


def test_filters(client):
    ids = lambda path, key, **p: sorted(r["article_id"] for r in client.get(path, params=p, headers=AUTH).json()[key])  # noqa: E731
    assert ids("/articles", "articles", portal="c") == ["dup"]
    assert ids("/articles", "articles", fetched_after="2026-11-24") == ["a5"]
    assert ids("/articles", "articles", published_before="2026-11-23T08:00:00+01:00") == ["dup"]
    assert len(ids("/articles", "articles", section="politik")) == 12
    assert ids("/articles", "articles", language="en") == []
    assert ids("/stories", "stories", portal="c") == ["dup"]  # the story of a matching member
    bad = client.get("/articles", params={"fetched_after": "gestern"}, headers=AUTH)
    assert bad.status_code == 422 and "not a time" in bad.text
    assert client.get("/changes", params={"limit": 5000}, headers=AUTH).status_code == 422


def test_responses_are_gzip_compressed(client):
    raw = client.get("/articles", headers={**AUTH, "Accept-Encoding": "gzip"})
    assert raw.headers["content-encoding"] == "gzip"
    assert raw.json()["articles"]  # httpx decodes; the bytes on the wire were gzip


def test_tokens_from_environment_and_file(tmp_path):
    f = tmp_path / "tokens"
    f.write_text("# API tokens\nfile-token-0123456789abcdef\n\n", encoding="utf-8")
    tokens = load_tokens(str(f), environ={"CRAWLER_API_TOKENS": "env-token-0123456789abcdef, other-token-0123456789"})
    assert len(tokens) == 3 and tokens.accepts("file-token-0123456789abcdef") and tokens.accepts("other-token-0123456789")
    assert not tokens.accepts("file-token") and not tokens.accepts(None)
    with pytest.raises(TokenError, match="no API token"):
        load_tokens(None, environ={})
    with pytest.raises(TokenError, match="shorter"):
        load_tokens(None, environ={"CRAWLER_API_TOKENS": "abc"})
    with pytest.raises(TokenError, match="cannot read"):
        load_tokens(str(tmp_path / "missing"), environ={})
