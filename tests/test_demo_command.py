"""`crawler demo`: the new user's first run, and the second one that fetches no article again."""

import json

import pytest

from conftest import run_cli
from crawler.demo import manifest

pytestmark = pytest.mark.integration


def test_demo_twice_shows_the_incremental_crawl(tmp_path):
    data = str(tmp_path / "data")
    first = json.loads(run_cli("demo", "--json", "--data-dir", data).stdout)
    expected = manifest.by_url(1)
    assert first["exit_code"] == 0 and first["errors"] == 0
    assert first["articles_new"] == len(expected)
    assert first["residue_removed_total"] > 0 and all(first["residue_removed"].values())
    seed = set(manifest.stories(1)[manifest.SEED_000_STORY])
    assert any({m["url"] for m in c["members"]} == seed for c in first["clusters"]), first["clusters"]
    assert first["warc_files"] and all(w["size"] > 0 for w in first["warc_files"])
    assert first["store"]["uri"].endswith("/articles.sqlite")

    second = json.loads(run_cli("demo", "--json", "--data-dir", data).stdout)
    assert second["exit_code"] == 0
    assert second["article_pages_fetched"] == 0 and second["articles_new"] == 0
    assert second["pages_fetched"] > 0  # feeds, sitemaps and section pages are read again

    # `crawler export` afterwards shows the demo's articles, one record per story.
    records = [json.loads(l) for l in run_cli("export", "--data-dir", data).stdout.splitlines()]
    assert len(records) == len(manifest.stories(1))
    assert sum(len(r["members"]) for r in records) == len(expected)


def test_demo_text_summary_names_what_a_user_looks_for(tmp_path):
    out = run_cli("demo", "--data-dir", str(tmp_path / "data")).stdout
    for needle in ("pages fetched", "articles stored", "residue removed", "story clusters", "WARC files",
                   "articles.sqlite", "archive"):
        assert needle in out, out
