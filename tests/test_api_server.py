"""`crawler api` as users run it (a real uvicorn server on a free port) against demo crawls."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest
from conftest import REPO, run_cli
from record_schema import assert_valid
from services import postgres_database

pytestmark = pytest.mark.integration

TOKEN = "demo-token-" + "7f3a9c" * 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backend(request) -> dict:
    """Environment naming the article store: the data directory's SQLite file, or PostgreSQL."""
    return {"CRAWLER_STORE": ""} if request.param == "sqlite" else {"CRAWLER_STORE": postgres_database()}


@pytest.fixture(scope="module")
def data(tmp_path_factory, backend):
    data = tmp_path_factory.mktemp("api") / "data"
    run_cli("demo", "--json", "--data-dir", str(data), env=backend)
    return data


@pytest.fixture(scope="module")
def server(data, backend, tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("api-log") / "server.log"
    tokens = log.parent / "tokens"
    tokens.write_text(TOKEN + "\n", encoding="utf-8")
    env = {**os.environ, "CRAWLER_API_TOKENS": "", **backend}
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "crawler", "api", "--data-dir", str(data), "--port", str(port),
                                 "--tokens-file", str(tokens)], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(base + "/openapi.json", timeout=2)
            break
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(f"crawler api did not start:\n{log.read_text()}")
            time.sleep(0.2)
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    yield client, log
    client.close()
    proc.terminate()
    proc.wait(timeout=30)


def _page_through(client, after: int, limit: int = 7) -> tuple[list[dict], int]:
    seen = []
    while True:
        r = client.get("/changes", params={"after_seq": after, "limit": limit})
        assert r.status_code == 200, r.text
        assert r.headers.get("content-encoding") == "gzip" or len(r.content) < 500  # small ones stay plain
        body = r.json()
        seen += body["changes"]
        after = body["next_after_seq"]
        if not body["has_more"]:
            return seen, after


def _store_changes(data, backend, after: int = 0) -> list[int]:
    from crawler.datadir import DataDir
    from crawler.store import open_store

    store = open_store(DataDir(data), uri=backend["CRAWLER_STORE"] or None, read_only=True)
    try:
        return [c.seq for c in store.changes(after, 100_000)]
    finally:
        store.close()


def test_api_against_demo_crawls(server, data, backend):
    client, log = server
    # 401 without a token (and with a wrong one); the OpenAPI document is served.
    assert httpx.get(str(client.base_url) + "/changes").status_code == 401
    assert client.get("/stories", headers={"Authorization": "Bearer not-the-token-123456"}).status_code == 401
    doc = client.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.") and "/changes" in doc["paths"]
    assert client.get("/docs").status_code == 200

    # Paging through /changes from 0 returns every change once.
    first, cursor = _page_through(client, 0)
    assert [c["seq"] for c in first] == _store_changes(data, backend) and len(first) > 7
    for record in first:
        assert_valid(record, "change")

    # The same records as `crawler export`.
    stories = []
    after = 0
    while True:
        body = client.get("/stories", params={"after_seq": after, "limit": 5}).json()
        stories += body["stories"]
        after = body["next_after_seq"]
        if not body["has_more"]:
            break
    exported = [json.loads(l) for l in run_cli("export", "--data-dir", str(data), env=backend).stdout.splitlines()]
    assert stories == exported
    for record in stories:
        assert_valid(record, "story")
    some = exported[0]
    assert client.get(f"/stories/{some['story_id']}").json() == some
    article = client.get(f"/articles/{some['article_id']}").json()
    assert_valid(article["article"], "article")
    for v in article["versions"]:
        assert_valid(v, "version")

    # Edition 2 crawled while a consumer polls: from the last cursor it gets only the new
    # changes, each once, in order, and in the end exactly the store's.
    new, stop, errors = [], threading.Event(), []

    def poll():
        try:
            after = cursor
            while not stop.is_set():
                page, after = _page_through(client, after)
                new.extend(page)
                time.sleep(0.05)
            page, _ = _page_through(client, after)
            new.extend(page)
        except BaseException as exc:  # noqa: BLE001  (reported by the test below)
            errors.append(exc)

    consumer = threading.Thread(target=poll)
    consumer.start()
    try:
        run_cli("demo", "--json", "--edition", "2", "--data-dir", str(data), env=backend)
    finally:
        stop.set()
        consumer.join(timeout=60)
    assert not errors, errors
    assert new and [c["seq"] for c in new] == _store_changes(data, backend, cursor)
    assert all(c["seq"] > cursor for c in new)
    assert {"new-article", "new-version"} <= {c["kind"] for c in new}
    for record in new:
        assert_valid(record, "change")
    updated = next(c["article_id"] for c in new if c["kind"] == "new-version")
    versions = client.get(f"/articles/{updated}").json()["versions"]
    assert len(versions) == 2 and versions[1]["diff"].startswith("--- version 1")

    # Tokens never reach the log; requests do.
    text = log.read_text()
    assert TOKEN not in text and '"GET /changes' in text


def test_api_refuses_to_start_without_tokens_or_store(tmp_path):
    proc = run_cli("api", "--data-dir", str(tmp_path / "none"), env={"CRAWLER_API_TOKENS": ""}, check=False)
    assert proc.returncode == 2 and "no API token configured" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("api", "--data-dir", str(tmp_path / "none"), env={"CRAWLER_API_TOKENS": TOKEN}, check=False)
    assert proc.returncode == 2 and "no article store" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "none").exists()  # a reader creates nothing


def test_api_port_in_use_is_one_line(data, backend):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = run_cli("api", "--data-dir", str(data), "--port", str(port), "--log-level", "warning",
                       env={"CRAWLER_API_TOKENS": TOKEN, **backend}, check=False)
    assert proc.returncode == 2 and f"could not listen on 127.0.0.1:{port}" in proc.stderr
    assert "Traceback" not in proc.stderr
