"""Validation of emitted records against the published JSON Schemas in ``schema/``."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "schema"


@lru_cache(maxsize=None)
def _documents() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(SCHEMA_DIR.glob("*.json"))}


@lru_cache(maxsize=None)
def validator(kind: str) -> Draft202012Validator:
    docs = _documents()
    registry = Registry().with_resources([(d["$id"], Resource.from_contents(d)) for d in docs.values()])
    return Draft202012Validator(docs[kind], registry=registry)


def assert_valid(record: dict, kind: str | None = None) -> None:
    """``kind``: story, article, version or change (default: the record's own ``record`` field)."""
    kind = kind or record.get("record")
    errors = sorted(validator(kind).iter_errors(record), key=lambda e: list(e.path))
    assert not errors, f"{kind} record invalid: " + "; ".join(
        f"{'/'.join(map(str, e.path)) or '(record)'}: {e.message[:200]}" for e in errors[:5])


def documents() -> dict[str, dict]:
    return _documents()
