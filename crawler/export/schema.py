"""The JSON Schemas of the record format (``schema/`` at the top of the project, a link to the
package data ``crawler/export/schemas/`` so installed copies carry them) and the typed
Arrow columns derived from them: the Parquet export has exactly the schema's fields and types
(string, int64, float64, bool, lists, structs), so a record read back equals the JSON record."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
RECORD_KINDS = ("story", "article", "version", "change")


@lru_cache(maxsize=None)
def load(name: str) -> dict:
    """The JSON Schema document ``schema/<name>.json``."""
    path = SCHEMA_DIR / f"{name}.json"
    if not path.exists():
        raise FileNotFoundError(f"record schema {path} missing (a broken installation)")
    return json.loads(path.read_text(encoding="utf-8"))


def resolve(node: dict, base: str) -> tuple[dict, str]:
    """Follow ``$ref`` (``file.json#/$defs/x`` or ``#/$defs/x``) to the schema node it names."""
    while "$ref" in node:
        target, _, pointer = node["$ref"].partition("#")
        base = target[:-5] if target.endswith(".json") else base
        node = load(base)
        for part in [p for p in pointer.split("/") if p]:
            node = node[part]
    return node, base


def arrow_schema(kind: str):
    """The Arrow schema of a record kind (column per top-level property, in schema order)."""
    import pyarrow as pa

    doc = load(kind)
    version = resolve(doc["properties"]["schema_version"], kind)[0]["const"]
    return pa.schema([pa.field(name, _arrow_type(prop, kind), nullable=True)
                      for name, prop in doc["properties"].items()],
                     metadata={"newscrawler.record": kind, "newscrawler.schema_version": str(version)})


def _arrow_type(node: dict, base: str):
    import pyarrow as pa

    node, base = resolve(node, base)
    types = node.get("type", "string")
    types = [types] if isinstance(types, str) else [t for t in types if t != "null"]
    if "const" in node and "type" not in node:
        types = ["integer" if isinstance(node["const"], int) else "string"]
    (kind,) = types
    if kind == "object":
        return pa.struct([pa.field(k, _arrow_type(v, base)) for k, v in node["properties"].items()])
    if kind == "array":
        return pa.list_(_arrow_type(node["items"], base))
    return {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(),
            "boolean": pa.bool_()}[kind]


def flat_columns(kind: str) -> list[tuple[str, str]]:
    """(dotted column name, JSON type) of a record kind for flat formats (CSV): objects are
    spread into ``parent.child`` columns; arrays stay one column."""
    out: list[tuple[str, str]] = []

    def walk(node: dict, base: str, prefix: str) -> None:
        node, base = resolve(node, base)
        types = node.get("type", "string")
        types = [types] if isinstance(types, str) else [t for t in types if t != "null"]
        if types == ["object"] and "properties" in node:
            for key, child in node["properties"].items():
                walk(child, base, f"{prefix}{key}.")
            return
        out.append((prefix[:-1], types[0]))

    walk(load(kind), kind, "")
    return out


def bundled(kind: str) -> dict:
    """The schema of a record kind with every ``$ref`` inlined (for the OpenAPI document)."""

    def inline(node, base: str):
        if isinstance(node, list):
            return [inline(v, base) for v in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            target, target_base = resolve(node, base)
            extra = {k: v for k, v in node.items() if k != "$ref"}
            return {**inline(target, target_base), **extra}
        return {k: inline(v, base) for k, v in node.items() if k not in ("$schema", "$id", "$defs")}

    return inline(load(kind), kind)
