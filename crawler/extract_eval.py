"""Evaluation helpers for the extract + clean stages on a with/without annotated page set
(``extract_de_dev``: ``annotations.json`` + ``html/*.html.gz``). Used by ``bench/extract_*.py``
and ``eval/`` (``make eval``). The data is never copied into the repository.

trafilatura's figures on a data set are cached in ``eval/baselines.json`` (committed), keyed by
trafilatura version, data set name and a digest of its files: they are computed once per
version and data, not on every run.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Callable

BASELINES = Path(__file__).resolve().parents[1] / "eval" / "baselines.json"

from crawler.cleaning import clean_text
from crawler.extract import extract_article


def load_pages(dataset_dir: Path) -> tuple[dict, dict[str, bytes]]:
    """(annotations, {file name without .gz: html bytes})."""
    ann = json.loads((dataset_dir / "annotations.json").read_text(encoding="utf-8"))
    pages = {}
    for name in ann:
        path = dataset_dir / "html" / (name + ".gz")
        pages[name] = gzip.decompress(path.read_bytes()) if path.exists() else (dataset_dir / "html" / name).read_bytes()
    return ann, pages


def _norm(s):
    return re.sub(r"\s+", " ", s).strip()


def _local_score(ann, pred):
    tp = fp = fn = tn = 0
    for key, item in ann.items():
        out = pred.get(key)
        text = _norm(out) if isinstance(out, str) else ""
        for w in item["with"]:
            if text and _norm(w) in text:
                tp += 1
            else:
                fn += 1
        for w in item["without"]:
            if text and _norm(w) in text:
                fp += 1
            else:
                tn += 1
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return dict(docs=len(ann), tp=tp, fp=fp, fn=fn, tn=tn, precision=round(p, 4), recall=round(r, 4), f1=round(f, 4))


def scorer(dataset_dir: Path):
    """The shared scorer (``<data>/../tools/score_withwithout.py``) if present, else an
    identical local copy of its rule."""
    tool = dataset_dir.resolve().parents[1] / "tools" / "score_withwithout.py"
    if tool.exists():
        spec = importlib.util.spec_from_file_location("score_withwithout", tool)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod.score
    return _local_score


def ours(html: bytes, url: str | None) -> str:
    art = extract_article(html, url)
    return clean_text(art["text"], title=art["title"], section=art["section"], authors=art["authors"]).text


def trafilatura_baseline(html: bytes, url: str | None) -> str | None:
    import trafilatura

    return trafilatura.extract(html, include_comments=False)


def predict(fn, ann: dict, pages: dict[str, bytes]) -> dict[str, str | None]:
    return {name: fn(html, ann[name].get("url")) for name, html in pages.items()}


def data_digest(dataset_dir: Path) -> str:
    """SHA-256 over the names and bytes of every file of a data set (short hex)."""
    h = hashlib.sha256()
    for path in sorted(p for p in Path(dataset_dir).rglob("*") if p.is_file()):
        h.update(str(path.relative_to(dataset_dir)).encode() + b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def baseline_key(dataset_dir: Path, variant: str) -> str:
    import trafilatura

    return f"trafilatura-{trafilatura.__version__}/{variant}/{Path(dataset_dir).name}/{data_digest(dataset_dir)}"


def cached(key: str, compute: Callable[[], dict], path: Path = BASELINES) -> dict:
    """``compute()`` once per key: read from ``path`` or computed and written there."""
    cache = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    if key in cache:
        return cache[key]
    value = compute()
    cache[key] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(cache, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"baseline {key} computed and cached in {path}", file=sys.stderr)
    return value


def cached_baseline(dataset_dir: Path, path: Path = BASELINES) -> dict:
    """trafilatura ``extract(include_comments=False)`` scored on a with/without data set."""
    def compute():
        ann, pages = load_pages(dataset_dir)
        return scorer(dataset_dir)(ann, predict(trafilatura_baseline, ann, pages))

    return cached(baseline_key(dataset_dir, "extract-no-comments"), compute, path)
