"""The downstream HTTP API (FastAPI): the change feed, stories and articles, read-only.

Every data endpoint needs ``Authorization: Bearer <token>`` (401 otherwise); ``/docs``,
``/redoc`` (their scripts served locally, no CDN) and ``/openapi.json`` are public. The records are those of ``crawler export`` (``crawler.export``),
described by the JSON Schemas in ``schema/`` (inlined into the OpenAPI document). Responses are
gzip-compressed when the client accepts it. Cursor paging: pass the ``next_after_seq`` of a
page as ``after_seq`` of the next; the order is the store's change sequence (commit order).
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from itertools import islice
from typing import Callable

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi_offline import FastAPIOffline
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from crawler import __version__
from crawler.api.auth import TokenSet
from crawler.export import RecordFilter, change_record, export_records, parse_since, story_record, version_records
from crawler.export.records import article_record
from crawler.export.schema import bundled
from crawler.store import CHANGE_KINDS, ArticleStore

MAX_LIMIT = 1000
_bearer = HTTPBearer(auto_error=False, description="an API token (see `crawler api --help`)")


def _page_schema(key: str, kind: str) -> dict:
    return {"type": "object", "required": [key, "next_after_seq", "has_more"], "properties": {
        key: {"type": "array", "items": bundled(kind)},
        "next_after_seq": {"type": "integer", "description": "pass as after_seq for the next page"},
        "has_more": {"type": "boolean", "description": "more entries follow after next_after_seq (now)"},
    }}


def _doc(schema: dict) -> dict:
    return {200: {"content": {"application/json": {"schema": schema}}}}


def create_app(open_reader: Callable[[], ArticleStore], tokens: TokenSet) -> FastAPI:
    """``open_reader``: opens the (read-only) store once when the server starts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.store = open_reader()
        try:
            yield
        finally:
            app.state.store.close()

    # /docs and /redoc with their JavaScript served by the API itself (no CDN: works offline)
    app = FastAPIOffline(title="newscrawler API", version=__version__, lifespan=lifespan,
                  description="De-duplicated German news articles: the change feed, stories (near-duplicate "
                  "clusters) and articles with versions, diffs and WARC provenance. Records as in `schema/`.")
    app.add_middleware(GZipMiddleware, minimum_size=500)

    def authorised(credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> None:
        if credentials is None or not tokens.accepts(credentials.credentials):
            raise HTTPException(401, "a valid API token is required (Authorization: Bearer <token>)",
                                headers={"WWW-Authenticate": "Bearer"})

    def store(request: Request) -> ArticleStore:
        return request.app.state.store

    _routes(app, authorised, store)
    return app


def _time(name: str, value: str | None):
    if value is None:
        return None
    try:
        return parse_since(value)
    except ValueError as exc:
        raise HTTPException(422, f"{name}: {exc}") from None


def record_filter(
    portal: str | None = Query(None, description="portal name as in sources.toml"),
    section: str | None = Query(None, description="section (case-insensitive)"),
    language: str | None = Query(None, description="language code, e.g. de"),
    published_after: str | None = Query(None, description="ISO 8601 time (inclusive) or relative (36h, 7d)"),
    published_before: str | None = Query(None, description="ISO 8601 time (exclusive)"),
    fetched_after: str | None = Query(None, description="ISO 8601 time (inclusive) or relative (36h, 7d)"),
    fetched_before: str | None = Query(None, description="ISO 8601 time (exclusive)"),
) -> RecordFilter:
    return RecordFilter(
        portal=portal, section=section, language=language,
        published_after=_time("published_after", published_after),
        published_before=_time("published_before", published_before),
        fetched_after=_time("fetched_after", fetched_after), fetched_before=_time("fetched_before", fetched_before))


def _page(key: str, items: list[dict], limit: int, after_seq: int) -> JSONResponse:
    more = len(items) > limit
    items = items[:limit]
    return JSONResponse({key: items, "next_after_seq": items[-1]["seq"] if items else after_seq, "has_more": more})


def _routes(app: FastAPI, authorised, store) -> None:
    auth = [Depends(authorised)]
    after = Query(0, ge=0, description="cursor: the next_after_seq of the previous page (0: from the start)")
    limit_q = Query(100, ge=1, le=MAX_LIMIT, description=f"entries per page (at most {MAX_LIMIT})")

    @app.get("/changes", dependencies=auth, responses=_doc(_page_schema("changes", "change")),
             summary="The change feed: every change of an article or story, in commit order")
    def changes(after_seq: int = after, limit: int = limit_q,
                portal: str | None = Query(None, description="only changes of this portal's articles"),
                kind: list[str] | None = Query(None, description=f"only these kinds: {', '.join(CHANGE_KINDS)}"),
                db: ArticleStore = Depends(store)):
        unknown = set(kind or ()) - set(CHANGE_KINDS)
        if unknown:
            raise HTTPException(422, f"unknown change kind(s) {sorted(unknown)}: use {', '.join(CHANGE_KINDS)}")
        found = db.changes(after_seq, limit + 1, portal=portal, kinds=tuple(kind) if kind else None)
        return _page("changes", [change_record(c) for c in found], limit, after_seq)

    @app.get("/stories", dependencies=auth, responses=_doc(_page_schema("stories", "story")),
             summary="Stories changed after the cursor (a story matches when one member does)")
    def stories(after_seq: int = after, limit: int = limit_q, where: RecordFilter = Depends(record_filter),
                db: ArticleStore = Depends(store)):
        found = list(islice(export_records(db, after_seq=after_seq, where=where), limit + 1))
        return _page("stories", found, limit, after_seq)

    @app.get("/stories/{story_id}", dependencies=auth, responses=_doc(bundled("story")),
             summary="One story: representative, first publisher, members with their similarity")
    def story(story_id: str, db: ArticleStore = Depends(store)):
        members = db.cluster_members(story_id)
        if not members:
            raise HTTPException(404, f"no story {story_id!r}")
        return JSONResponse(story_record(story_id, members))

    @app.get("/articles", dependencies=auth, responses=_doc(_page_schema("articles", "article")),
             summary="Articles changed after the cursor")
    def articles(after_seq: int = after, limit: int = limit_q, where: RecordFilter = Depends(record_filter),
                 db: ArticleStore = Depends(store)):
        found = list(islice(export_records(db, after_seq=after_seq, all_members=True, where=where), limit + 1))
        return _page("articles", found, limit, after_seq)

    article_doc = {"type": "object", "required": ["article", "versions"], "properties": {
        "article": bundled("article"), "versions": {"type": "array", "items": bundled("version")}}}

    @app.get("/articles/{article_id}", dependencies=auth, responses=_doc(article_doc),
             summary="One article with every stored version and the diffs between them")
    def article(article_id: str, db: ArticleStore = Depends(store)):
        row = db.article_row(article_id)
        if row is None:
            raise HTTPException(404, f"no article {article_id!r}")
        return JSONResponse({"article": article_record(row), "versions": version_records(db.versions(article_id))})
