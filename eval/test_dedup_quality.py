"""Dev-set scoring of the near-duplicate stage (the bars of issue 4; no timing asserts)."""

from __future__ import annotations

import importlib.util

import pytest
from evaldata import REPO, data_dir

BENCH = REPO / "bench" / "neardup_quality.py"


@pytest.fixture(scope="module")
def dev():
    """(bench module, docs path, pairs path)."""
    data = data_dir("neardup", "dev_docs.jsonl", "dev_pairs.jsonl")
    spec = importlib.util.spec_from_file_location("neardup_quality", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod, data / "dev_docs.jsonl", data / "dev_pairs.jsonl"


def _check(result: dict, bar: float) -> None:
    merges = {k: v for k, v in result["fp_rate_by_hard_negative_kind"].items()
              if not v.startswith("0/")}
    assert result["pair_f1"] >= bar, result
    assert not merges, f"hard negatives merged: {merges}"


@pytest.mark.parametrize("field,bar", [("text_clean", 0.97), ("text_raw", 0.95)])
def test_dev_set_bars(dev, field, bar):
    mod, docs, pairs = dev
    # text_raw without the clean stage: the index's own boilerplate-line learning must cope
    _check(mod.score(docs, pairs, mod.predict(docs, field, clean=False)), bar)


def test_dev_set_raw_with_clean_stage(dev):
    mod, docs, pairs = dev
    _check(mod.score(docs, pairs, mod.predict(docs, "text_raw", clean=True)), 0.95)
