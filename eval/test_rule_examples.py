"""Rule tests write their own examples from the kind of residue: no string of the cleaning and
pruning tests is a line of the evaluation data (an annotation snippet of ``extract_de_dev``, a
paragraph or headline of ``fundus_dev``), nor contains one."""

from __future__ import annotations

import ast
import json
import re

from evaldata import REPO, data_dir

MIN_CHARS = 26  # shorter strings are generic phrases ("Schreibe einen Kommentar", "Weitere Artikel zum Thema")
TEST_FILES = sorted((REPO / "tests").glob("test_clean*.py")) + sorted((REPO / "tests").glob("test_prune*.py"))


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip().casefold()


def _test_strings() -> dict[str, str]:
    out = {}
    for path in TEST_FILES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(_norm(node.value)) >= MIN_CHARS:
                out[_norm(node.value)] = f"{path.name}:{node.lineno}"
    return out


def _eval_lines() -> set[str]:
    ann = json.loads((data_dir("extract_de_dev", "annotations.json") / "annotations.json").read_text("utf-8"))
    truth = json.loads((data_dir("fundus_dev", "truth.json") / "truth.json").read_text("utf-8"))
    lines = {s for page in ann.values() for key in ("with", "without") for s in page.get(key, [])}
    lines |= {s for page in truth.values() for key in ("paragraphs", "headlines") for s in page.get(key) or []}
    return {n for n in map(_norm, lines) if len(n) >= MIN_CHARS}


def test_rule_test_examples_are_not_evaluation_lines():
    lines = _eval_lines()
    blob = "\n".join(lines)
    copied = [f"{where}: {s[:80]!r}" for s, where in _test_strings().items()
              if s in blob or any(line in s for line in lines)]
    assert not copied, "test strings copied from the evaluation data:\n" + "\n".join(copied)
