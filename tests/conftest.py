"""Shared fixtures: real services (tests/services.py), running the `crawler` CLI in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from services import redis_server, redis_url, s3_bucket, s3_uri, seaweedfs  # noqa: F401  (fixtures)

REPO = Path(__file__).resolve().parents[1]
# Crawls started by tests use tests/crawl_settings.py: the project settings without politeness
# delays (a test's env may name another settings module).
CRAWL_ENV = {"SCRAPY_SETTINGS_MODULE": "crawl_settings", "PYTHONPATH": str(REPO / "tests")}


def run_cli(*args: str, env: dict | None = None, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess:
    """Run ``crawler ARGS`` as an operator would, in its own process (Scrapy's reactor runs once
    per process). Output is captured and shown when the command fails."""
    full_env = {**os.environ, **CRAWL_ENV, **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-m", "crawler", *args], cwd=REPO, env=full_env, capture_output=True, text=True,
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"crawler {' '.join(args)} exited {proc.returncode}\n--- stdout\n{proc.stdout[-5000:]}\n"
            f"--- stderr\n{proc.stderr[-8000:]}"
        )
    return proc


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture(scope="module")
def portals():
    """The demo portals (edition 1) served on a free 127.0.0.1 port for one test module."""
    from crawler.demo.server import DemoPortals

    server = DemoPortals(edition=1)
    server.start()
    yield server
    server.stop()


# -- `pytest -m "not integration"`: the fast unit run ---------------------------------------------
# Tests that use a real service or the demo portals are integration tests wherever they live:
# by fixture, or by name for PostgreSQL (store tests parametrized by backend). Modules that crawl
# or start servers on their own carry `pytestmark = pytest.mark.integration`.
SERVICE_FIXTURES = {"seaweedfs", "s3_bucket", "s3_uri", "redis_server", "redis_url", "postgres_url", "portals", "cli"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if SERVICE_FIXTURES & set(getattr(item, "fixturenames", ())) or "postgres" in item.name:
            item.add_marker(pytest.mark.integration)
