"""The FastAPI application of ``crawler web``: search, article pages, replay, Memento."""

from __future__ import annotations

import difflib
import hmac
from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from crawler.archive.collection import timestamp14
from crawler.web import memento, replay
from crawler.web.context import WebContext
from crawler.web.search import FACETS

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
TOKEN_COOKIE = "crawler_web_token"


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _target(url: str, request: Request) -> str:
    """The archived URL of a /replay/TS/URL path (its query string belongs to it)."""
    if "://" not in url and ":/" in url:  # some clients squash "//" in paths
        url = url.replace(":/", "://", 1)
    return url + (f"?{request.url.query}" if request.url.query else "")


def diff_lines(old: str, new: str) -> list[tuple[str, str]]:
    """(op, line) of a line diff between two versions' texts: '+', '-' or ' '."""
    a = [line for line in (old or "").splitlines() if line.strip()]
    b = [line for line in (new or "").splitlines() if line.strip()]
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.extend((" ", line) for line in a[i1:i2])
        else:
            out.extend(("-", line) for line in a[i1:i2])
            out.extend(("+", line) for line in b[j1:j2])
    return out


def create_app(ctx: WebContext, token: str | None = None) -> FastAPI:
    app = FastAPI(title="crawler web", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.ctx = ctx
    if token:
        _require_token(app, token)
    _pages(app, ctx)
    _replay(app, ctx)
    _memento(app, ctx)
    return app


def _require_token(app: FastAPI, token: str) -> None:
    @app.middleware("http")
    async def require_token(request: Request, call_next):
        given = (request.query_params.get("token") or request.cookies.get(TOKEN_COOKIE)
                 or request.headers.get("authorization", "").removeprefix("Bearer ").strip())
        if not given or not hmac.compare_digest(given.encode(), token.encode()):
            return PlainTextResponse("a token is required: ?token=... or Authorization: Bearer ...", 401)
        response = await call_next(request)
        if request.query_params.get("token"):
            response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
        return response


def _pages(app: FastAPI, ctx: WebContext) -> None:
    @app.get("/", include_in_schema=False)
    def home():
        return RedirectResponse("/search", 302)

    @app.get("/search", response_class=HTMLResponse)
    def search(request: Request, q: str = "", sort: str = "relevance", page: int = 1):
        ctx.refresh()
        filters = {f: request.query_params.get(f, "") for f in FACETS if request.query_params.get(f)}
        page = max(1, page)
        result = ctx.search.search(q, filters, sort=sort, limit=20, offset=(page - 1) * 20)

        def link(**change):
            params = {"q": q, "sort": sort, **filters, **change}
            return "/search?" + urlencode({k: v for k, v in params.items() if v})

        return TEMPLATES.TemplateResponse(request, "search.html", {
            "q": q, "sort": sort, "filters": filters, "result": result, "facets": FACETS,
            "link": link, "page": page})

    @app.get("/article/{article_id}", response_class=HTMLResponse)
    def article(request: Request, article_id: str):
        ctx.refresh()
        store = ctx.open_store()
        try:
            versions = store.versions(article_id)
            if not versions:
                return _error(request, 404, f"no article {article_id}")
            doc = ctx.search.doc(article_id) or {}
            members = store.cluster_members(doc["cluster_id"]) if doc.get("cluster_id") else []
        finally:
            store.close()
        rows = []
        for i, v in enumerate(versions):
            diff = diff_lines(versions[i - 1].text, v.text) if i else []
            rows.append({"number": i + 1, "v": v, "diff": diff, "ts": timestamp14(v.fetched_at)})
        me = next((m for m in members if m["article_id"] == article_id), None)
        return TEMPLATES.TemplateResponse(request, "article.html", {
            "article_id": article_id, "current": versions[-1], "versions": rows, "members": members,
            "me": me, "ts": timestamp14(versions[-1].fetched_at),
            "row_gone": me if me and me.get("gone_at") else None})


def _replay(app: FastAPI, ctx: WebContext) -> None:
    @app.get("/replay/{ts}/{url:path}")
    def replay_page(request: Request, ts: str, url: str):
        ctx.refresh()
        url = _target(url, request)
        if not ts.isdigit():
            return _error(request, 400, f"not a timestamp: {ts}")
        cap = ctx.collection.closest(url, ts)
        if cap is None and ctx.archive_missed():
            cap = ctx.collection.closest(url, ts)
        if cap is None:
            return _error(request, 404, f"{url} is not in the archive")
        if cap.timestamp != ts:
            return RedirectResponse(f"/replay/{cap.timestamp}/{cap.url}", 302)
        try:
            rep = replay.load(ctx.collection, ctx.blobstore, cap)
        except replay.ReplayError as exc:
            return _error(request, 502, str(exc))
        base = _base(request)
        banner = TEMPLATES.get_template("banner.html").render(cap=cap, base=base)
        body, ctype = replay.render(rep, "/replay", banner)
        headers = [(k, v) for k, v in rep.headers if k.lower() not in ("content-type", "location")]
        location = dict((k.lower(), v) for k, v in rep.headers).get("location")
        response = Response(body, status_code=rep.status, media_type=None)
        for k, v in headers:  # the archived response's headers, as pywb shows them
            response.headers.append(f"X-Archive-Orig-{k}", v)
        response.headers["content-type"] = ctype
        if location:
            response.headers["location"] = replay.rewrite_url("/replay", cap.timestamp, cap.url, location)
        response.headers["content-security-policy"] = replay.CSP
        response.headers["memento-datetime"] = memento.http_date(cap.datetime)
        response.headers["link"] = memento.link_header(base, cap.url, ctx.collection.captures(cap.url), cap)
        return response


def _memento(app: FastAPI, ctx: WebContext) -> None:
    @app.get("/timemap/link/{url:path}")
    def timemap(request: Request, url: str):
        ctx.refresh()
        url = _target(url, request)
        caps = ctx.collection.captures(url)
        if not caps:
            return PlainTextResponse(f"{url} is not in the archive\n", 404)
        return Response(memento.timemap(_base(request), url, caps), media_type="application/link-format")

    @app.get("/timegate/{url:path}")
    def timegate(request: Request, url: str):
        ctx.refresh()
        url = _target(url, request)
        when = memento.parse_accept_datetime(request.headers.get("accept-datetime"))
        if request.headers.get("accept-datetime") and when is None:
            return PlainTextResponse("Accept-Datetime is not an RFC 1123 date\n", 400)
        cap = ctx.collection.closest(url, when)
        if cap is None:
            return PlainTextResponse(f"{url} is not in the archive\n", 404)
        base = _base(request)
        return Response(status_code=302, headers={
            "location": memento.memento_url(base, cap), "vary": "accept-datetime",
            "link": memento.link_header(base, url, ctx.collection.captures(url), cap)})


def _error(request: Request, status: int, message: str):
    return TEMPLATES.TemplateResponse(request, "error.html", {"message": message}, status_code=status)
