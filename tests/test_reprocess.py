"""`crawler reprocess`: stored articles re-extracted from their WARC records with the current
rules; new versions only where something changed; nothing fetched; stories kept."""

import argparse
import json

import pytest

from conftest import run_cli
from crawler.commands import reprocess
from crawler.datadir import DataDir
from crawler.store import open_store
from test_crawl_demo import crawl

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def crawled(portals, tmp_path_factory):
    portals.set_edition(1)
    return crawl(portals, tmp_path_factory.mktemp("reprocess") / "data")


def _versions(data_dir):
    store = open_store(DataDir(data_dir), read_only=True)
    try:
        ids = list(dict.fromkeys(r["article_id"] for r in store.changes_after(0)))
        return {aid: store.versions(aid) for aid in ids}
    finally:
        store.close()


def test_same_rules_store_nothing_and_fetch_nothing(crawled):
    before = _versions(crawled.data_dir)
    crawled.portals.clear_log()
    proc = run_cli("reprocess", "--sources", str(crawled.sources), "--data-dir", str(crawled.data_dir))
    assert f"{len(before)} checked, 0 reprocessed, {len(before)} unchanged, 0 metadata_only, 0 failed" in proc.stdout, proc.stdout
    assert crawled.portals.request_log == []
    assert _versions(crawled.data_dir) == before


def test_changed_rules_give_reprocessed_versions_in_the_same_stories(crawled, monkeypatch):
    stories_before = {r["url"]: r["cluster_id"] for r in crawled.export()}
    rules = reprocess.clean_text

    def stricter(text, **kw):  # a rule change: the last paragraph now counts as residue
        res = rules(text, **kw)
        res.text = "\n".join(res.text.split("\n")[:-1])
        return res

    monkeypatch.setattr(reprocess, "clean_text", stricter)
    portal = json.loads(json.dumps(crawled.export()[0]))["portal"]
    args = argparse.Namespace(portal=[portal], since="2000-01-01", sources=str(crawled.sources),
                              data_dir=DataDir(crawled.data_dir))
    crawled.portals.clear_log()
    assert reprocess.run(args) == 0
    assert crawled.portals.request_log == []
    for aid, versions in _versions(crawled.data_dir).items():
        if versions[0].portal != portal:
            assert len(versions) == 1  # other portals untouched
            continue
        assert len(versions) == 2 and versions[-1].discovered_via == "reprocessed"
        assert versions[-1].warc == versions[0].warc and versions[-1].fetched_at == versions[0].fetched_at
        assert versions[-1].text == "\n".join(versions[0].text.split("\n")[:-1])
    assert {r["url"]: r["cluster_id"] for r in crawled.export()} == stories_before


def test_bad_arguments_are_one_line_errors(crawled):
    proc = run_cli("reprocess", "--sources", str(crawled.sources), "--data-dir", str(crawled.data_dir),
                   "--portal", "no-such-portal", check=False)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
