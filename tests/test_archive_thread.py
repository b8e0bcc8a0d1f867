"""The WARC archive's work never runs on the crawl's reactor thread: in a real `crawler crawl`
of the demo portals, every WarcArchive operation (plan: digest-index look-up and revisit target
check; append + flush; metadata records; close) runs on the one archive thread, in order."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import CRAWL_ENV, REPO

pytestmark = pytest.mark.integration

#: runs `crawler ARGV...` with WarcArchive's operations wrapped to record the calling thread
PROBE = r"""
import json, os, runpy, sys, threading
from crawler.archive.revisits import Revisits
from crawler.archive.writer import WarcArchive

out, calls, pid = sys.argv[1], [], os.getpid()
OPS = ["plan_wire", "finish_wire", "write_wire", "write_exchange", "write_metadata", "append_metadata",
       "tick", "roll", "close"]

def recording(cls, name):
    original = getattr(cls, name)
    def wrapper(self, *args, **kwargs):
        t = threading.current_thread()
        calls.append((name, t.name, t is threading.main_thread()))
        return original(self, *args, **kwargs)
    setattr(cls, name, wrapper)

for name in OPS:
    recording(WarcArchive, name)
recording(Revisits, "_exists")
sys.argv = ["crawler", *sys.argv[2:]]
try:
    runpy.run_module("crawler", run_name="__main__")
finally:
    if os.getpid() == pid:
        with open(out, "w") as fh:
            json.dump(calls, fh)
"""


def probe_crawl(portals, data_dir, out) -> list[tuple[str, str, bool]]:
    sources = data_dir.parent / "sources.toml"
    sources.write_text(portals.sources_toml(), encoding="utf-8")
    env = {**os.environ, **CRAWL_ENV, "http_proxy": portals.proxy_url, "no_proxy": "", "CRAWLER_LOG_LEVEL": "INFO"}
    proc = subprocess.run([sys.executable, "-c", PROBE, str(out), "crawl", "--sources", str(sources),
                           "--data-dir", str(data_dir)], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-8000:]
    return [tuple(c) for c in json.loads(out.read_text())]


def test_no_archive_operation_of_a_crawl_runs_on_the_reactor_thread(portals, tmp_path):
    first = probe_crawl(portals, tmp_path / "data", tmp_path / "first.json")
    # the second crawl on the same data dir: revisits looked up in the digest index and checked in the store
    second = probe_crawl(portals, tmp_path / "data", tmp_path / "second.json")
    for calls in (first, second):
        names = {name for name, _, _ in calls}
        assert {"plan_wire", "finish_wire", "close"} <= names, names
        on_reactor = [(name, thread) for name, thread, main in calls if main]
        assert not on_reactor, on_reactor[:10]
        assert {thread for _, thread, _ in calls if not thread.startswith("warc-archive")} == set(), calls[:10]
        assert len({thread for _, thread, _ in calls}) == 1  # one thread: the operations stay in order
    assert {"write_metadata", "append_metadata"} & {name for name, _, _ in first}  # the articles' crawl context
    assert "_exists" in {name for name, _, _ in second}  # the originals of the first crawl checked in the store
