"""The cheap prefilters of the cleaning's line rules (``Rule.needs``, ``script.SIGNATURE_NEEDS``)
skip only lines their full pattern would not match either: checked on every text node of the
evaluation pages (navigation, banners, scripts and article text alike), every annotated snippet
and every line of the near-duplicate set's raw texts (which carry portal residue lines)."""

from __future__ import annotations

import gzip
import json

from evaldata import data_dir

from crawler.cleaning.catalogue import RULES
from crawler.cleaning.lines import core
from crawler.cleaning.script import _SIGNATURE, SIGNATURE_NEEDS
from crawler.extraction.parse import load_html


def _page_lines(name: str) -> set[str]:
    out = set()
    for path in sorted((data_dir(name, "html") / "html").glob("*.html.gz")):
        tree = load_html(gzip.decompress(path.read_bytes()).decode("utf-8", "replace"))
        for text in tree.itertext() if tree is not None else ():
            out.update(ln.strip() for ln in text.split("\n") if ln.strip())
    return out


def _corpus() -> set[str]:
    lines = _page_lines("extract_de_dev") | _page_lines("fundus_dev")
    ann = json.loads((data_dir("extract_de_dev", "annotations.json") / "annotations.json").read_text("utf-8"))
    lines |= {s for page in ann.values() for key in ("with", "without") for s in page.get(key, [])}
    docs = data_dir("neardup", "dev_docs.jsonl") / "dev_docs.jsonl"
    for row in map(json.loads, docs.read_text("utf-8").splitlines()):
        lines.update(ln.strip() for ln in (row.get("text_raw") or "").split("\n") if ln.strip())
    return lines | {core(ln) for ln in lines}


def test_prefilters_never_skip_a_matching_line():
    lines = _corpus()
    assert len(lines) > 50_000
    missed = [f"{rule.name}: {ln[:80]!r}" for rule in RULES if rule.needs is not None
              for ln in lines if rule.pattern.search(ln) and not rule.needs.search(ln)]
    missed += [f"script_fragment: {ln[:80]!r}" for ln in lines
               if _SIGNATURE.search(ln) and not any(s in ln for s in SIGNATURE_NEEDS)]
    assert not missed, "\n".join(missed[:20])
    matched = sum(1 for rule in RULES if rule.needs is not None for ln in lines if rule.pattern.search(ln))
    assert matched > 20  # the corpus holds lines these rules match, so the check checks something
