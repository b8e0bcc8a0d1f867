"""Writers of exported records: JSON Lines, Parquet (one file, or one per day), CSV.

Parquet: columns typed as in ``schema/<kind>.json`` (nested objects as structs, lists as lists;
times stay ISO 8601 strings exactly as in JSON). With ``partition="day"`` the output is a
directory of ``day=YYYY-MM-DD/<kind>.parquet`` files (Hive-style, so ``pyarrow.dataset`` and
Spark read the day as a column), the day being the UTC date of ``provenance.fetched_at``.
CSV: one row per record, objects spread into ``provenance.url``-style columns, lists of strings
joined with "; ", other lists as JSON; UTF-8 with a byte-order mark so spreadsheets show umlauts.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import IO, Iterable

from crawler.export.filters import parse_time
from crawler.export.schema import arrow_schema, flat_columns

BATCH = 2000  # records per Parquet row group


def write_jsonl(records: Iterable[dict], out: IO[str]) -> int:
    count = 0
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def write_parquet(records: Iterable[dict], kind: str, path: Path, partition: str | None = None) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema(kind)
    writers: dict[str, pq.ParquetWriter] = {}
    batches: dict[str, list[dict]] = {}

    def flush(key: str) -> None:
        if not batches.get(key):
            return
        if key not in writers:
            target = path if partition is None else path / f"day={key}" / f"{kind}.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            writers[key] = pq.ParquetWriter(target, schema, compression="zstd")
        writers[key].write_table(pa.Table.from_pylist(batches[key], schema=schema))
        batches[key] = []

    count = 0
    try:
        for record in records:
            key = "" if partition is None else _day(record)
            batches.setdefault(key, []).append(record)
            count += 1
            if len(batches[key]) >= BATCH:
                flush(key)
        for key in list(batches):
            flush(key)
        if partition is None and "" not in writers:  # no records: still a valid, empty file
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(schema.empty_table(), path)
    finally:
        for writer in writers.values():
            writer.close()
    return count


def _day(record: dict) -> str:
    when = parse_time((record.get("provenance") or {}).get("fetched_at"))
    return when.date().isoformat() if when else "unknown"


def write_csv(records: Iterable[dict], kind: str, out: IO[str]) -> int:
    columns = flat_columns(kind)
    writer = csv.writer(out)
    writer.writerow([name for name, _ in columns])
    count = 0
    for record in records:
        writer.writerow([_cell(_get(record, name), jtype) for name, jtype in columns])
        count += 1
    return count


def _get(record: dict, dotted: str):
    value = record
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _cell(value, jtype: str) -> str:
    if value is None:
        return ""
    if jtype == "array":
        if all(isinstance(v, str) for v in value):
            return "; ".join(value)
        return json.dumps(value, ensure_ascii=False)
    if jtype == "boolean":
        return "true" if value else "false"
    return str(value)
