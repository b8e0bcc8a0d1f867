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


def test_a_metadata_change_alone_gives_a_new_version_with_the_same_text(portals, tmp_path, monkeypatch, capsys):
    portals.set_edition(1)
    crawled = crawl(portals, tmp_path / "data")  # its own holdings: the test above changed texts
    before = _versions(crawled.data_dir)
    extract = reprocess.extract_article

    def more_authors(html, url, **kw):  # a rule change: one more author, the same text
        art = extract(html, url, **kw)
        art["authors"] = [*art["authors"], "Anna Beispiel"]
        return art

    monkeypatch.setattr(reprocess, "extract_article", more_authors)
    args = argparse.Namespace(portal=None, since=None, sources=str(crawled.sources), data_dir=DataDir(crawled.data_dir))
    assert reprocess.run(args) == 0
    n = len(before)
    assert f"{n} checked, 0 reprocessed, 0 unchanged, {n} metadata_only, 0 failed" in capsys.readouterr().out
    for aid, versions in _versions(crawled.data_dir).items():
        old, new = before[aid][-1], versions[-1]
        assert len(versions) == len(before[aid]) + 1 and new.discovered_via == "reprocessed"
        assert new.text == old.text and new.authors == [*old.authors, "Anna Beispiel"]
    assert reprocess.run(args) == 0  # the same rules again: nothing more
    assert f"{n} checked, 0 reprocessed, {n} unchanged, 0 metadata_only, 0 failed" in capsys.readouterr().out


def test_bad_arguments_are_one_line_errors(crawled):
    proc = run_cli("reprocess", "--sources", str(crawled.sources), "--data-dir", str(crawled.data_dir),
                   "--portal", "no-such-portal", check=False)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
