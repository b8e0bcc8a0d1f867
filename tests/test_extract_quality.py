"""Extraction quality bar on ../shared/data/extract_de_dev (issue 3): our extract + clean reaches
F1 >= 0.95 and precision >= 0.95, with recall not below trafilatura's on the same pages.
No timing here (see bench/extract_speed.py)."""

from pathlib import Path

import pytest

from crawler.extract_eval import load_pages, ours, predict, scorer, trafilatura_baseline

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "extract_de_dev"


def test_extract_quality_bar():
    if not (DATA / "annotations.json").exists():
        pytest.fail(f"evaluation data missing: {DATA} (expected ../shared/data/extract_de_dev beside the "
                    "repository; it is not copied into the project)")
    ann, pages = load_pages(DATA)
    score = scorer(DATA)
    mine = score(ann, predict(ours, ann, pages))
    base = score(ann, predict(trafilatura_baseline, ann, pages))
    msg = f"ours {mine} vs trafilatura {base}"
    assert mine["f1"] >= 0.95, msg
    assert mine["precision"] >= 0.95, msg
    assert mine["recall"] >= base["recall"], msg
