"""Extraction quality bar on extract_de_dev: our extract + clean reaches F1 >= 0.95 and
precision >= 0.95, with recall not below trafilatura's on the same pages (trafilatura's figures
come from the baseline cache, see ``crawler.extract_eval.cached_baseline``)."""

from evaldata import data_dir

from crawler.extract_eval import cached_baseline, load_pages, ours, predict, scorer


def test_extract_quality_bar():
    data = data_dir("extract_de_dev", "annotations.json", "html")
    ann, pages = load_pages(data)
    score = scorer(data)
    mine = score(ann, predict(ours, ann, pages))
    base = cached_baseline(data)
    msg = f"ours {mine} vs trafilatura {base}"
    assert mine["f1"] >= 0.95, msg
    assert mine["precision"] >= 0.95, msg
    assert mine["recall"] >= base["recall"], msg
