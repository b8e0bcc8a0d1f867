"""A full disk mid-crawl ends the run with one clear line and a job record (status disk-full),
not a flood of logging tracebacks. The data directory is a small tmpfs in a private mount
namespace (util-linux unshare; as a normal user through a user namespace)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import CRAWL_ENV, REPO

pytestmark = pytest.mark.integration

SCRIPT = 'mount -t tmpfs -o size=640k tmpfs "$0" && "$@"'


def test_full_disk_mid_crawl(tmp_path):
    mnt = tmp_path / "small-disk"
    mnt.mkdir()
    data = mnt / "data"
    run = (f'{sys.executable} -m crawler demo --data-dir {data}; code=$?; '
           f'{sys.executable} -m crawler jobs --data-dir {data}; exit $code')
    namespace = ["unshare", "-m"] if os.geteuid() == 0 else ["unshare", "-rm"]
    # the near-duplicate index preallocates tens of MB: it lives outside the small disk
    env = {**os.environ, **CRAWL_ENV, "CRAWLER_DEDUP_INDEX": str(tmp_path / "dedup")}
    proc = subprocess.run([*namespace, "sh", "-c", SCRIPT, str(mnt), "sh", "-c", run], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    if "mount:" in proc.stderr or "unshare:" in proc.stderr:
        raise AssertionError("could not make a small tmpfs for the test: " + proc.stderr[-2000:])
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Logging error" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr[-5000:]
    lines = [line for line in proc.stderr.splitlines() if "disk is full" in line]
    assert any(line.startswith("crawler demo: the disk is full") for line in lines), proc.stderr[-3000:]
    assert not [line for line in proc.stderr.splitlines() if " ERROR: " in line], proc.stderr[-5000:]
    assert " disk-full " in proc.stdout, proc.stdout  # the job record
