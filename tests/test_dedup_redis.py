"""Shared Redis-backed index: two processes inserting concurrently give one process's clusters.

Needs the `redis-server` binary (Debian: apt-get install -y redis-server); the fixture starts
its own server on a free 127.0.0.1 port and stops it afterwards.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path


from test_dedup import paragraphs, text

REPO = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)


def corpus() -> list[dict]:
    """30 stories: an original, a shortened copy, an edited copy with a dateline."""
    docs = []
    for story in range(30):
        paras = paragraphs(500 + story, n=7)
        edited = list(paras)
        edited[3] = edited[3].replace("bericht", "meldung")
        versions = [text(paras), text(paras[:4]), "Berlin (dpa) - " + text(edited[1:])]
        for v, body in enumerate(versions):
            docs.append({"id": f"s{story}-v{v}", "text": body,
                         "published": (T0 + timedelta(hours=v, minutes=story)).isoformat()})
    # interleave so both workers write to every story
    return sorted(docs, key=lambda d: (d["id"].split("-")[1], d["id"]))


WORKER = """
import json, sys
from crawler.dedup import open_index
url, prefix, inp, out = sys.argv[1:5]
idx = open_index(url, prefix=prefix, window_days=None)
with open(out, "w") as f:
    for line in open(inp):
        d = json.loads(line)
        dec = idx.add(d["id"], d["text"], published=d["published"])
        f.write(json.dumps({"id": dec.doc_id, "cluster": dec.cluster_id,
                            "reason": dec.reason}) + "\\n")
idx.close()
"""


def partition(assign: dict[str, str]) -> set[frozenset]:
    groups: dict[str, set] = {}
    for doc, cluster in assign.items():
        groups.setdefault(cluster, set()).add(doc)
    return {frozenset(g) for g in groups.values()}


def test_two_processes_share_one_index(redis_url, tmp_path):
    from crawler.dedup import open_index

    docs = corpus()
    # one process, local in-memory index
    local = open_index(None, window_days=None)
    single = {d["id"]: local.add(d["id"], d["text"], published=d["published"]).cluster_id
              for d in docs}
    local.close()
    assert len(partition(single)) == 30

    # two processes inserting concurrently into one Redis-backed index
    halves = [docs[0::2], docs[1::2]]
    procs = []
    for k, half in enumerate(halves):
        inp = tmp_path / f"in{k}.jsonl"
        inp.write_text("".join(json.dumps(d) + "\n" for d in half))
        procs.append(subprocess.Popen(
            [sys.executable, "-c", WORKER, redis_url, "t1", str(inp), str(tmp_path / f"out{k}")],
            cwd=REPO, stderr=subprocess.PIPE, text=True))
    for p in procs:
        _, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
    shared = {}
    for k in range(2):
        for line in (tmp_path / f"out{k}").read_text().splitlines():
            r = json.loads(line)
            shared[r["id"]] = r["cluster"]
    assert set(shared) == set(single)
    assert partition(shared) == partition(single)

    # a third process replays the log and agrees with what the writers decided
    idx = open_index(redis_url, prefix="t1", window_days=None)
    d = idx.add("late-copy", text(paragraphs(505, n=7)[:3]),
                published=(T0 + timedelta(days=1)).isoformat())
    assert d.cluster_id == shared["s5-v0"]
    assert d.representative == "s5-v0"
    idx.close()
