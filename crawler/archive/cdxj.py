"""CDXJ sidecar indexes: one ``NAME.cdxj`` beside each ``NAME.warc.gz``, exactly what
``cdxj-indexer --sort NAME.warc.gz`` prints for the file: sorted by SURT key and timestamp in
byte order (``LC_ALL=C sort -c`` passes), so pywb and other CDXJ readers can binary-search it
as it is."""

from __future__ import annotations

import io
import os
from pathlib import Path

from crawler.archive.records import CDXJ_SUFFIX, WARC_SUFFIX

def cdxj_name(warc_name: str) -> str:
    base = warc_name[: -len(WARC_SUFFIX)] if warc_name.endswith(WARC_SUFFIX) else warc_name
    return base + CDXJ_SUFFIX


def cdxj_for(warc_path: str | os.PathLike) -> str:
    """The index ``cdxj-indexer --sort WARC`` prints for this file (its Python API)."""
    from cdxj_indexer.main import write_cdx_index

    out = io.StringIO()
    write_cdx_index(out, [str(warc_path)], {"sort": True})
    return out.getvalue()


def cdxj_for_stream(stream, filename: str) -> str:
    """Same as :func:`cdxj_for` for a binary stream (e.g. an object in the store)."""
    from cdxj_indexer.main import write_cdx_index

    out = io.StringIO()
    write_cdx_index(out, [stream], {"filename": filename, "sort": True})
    return out.getvalue()


def write_cdxj(warc_path: str | os.PathLike) -> Path:
    """Write the sidecar of ``warc_path`` atomically (temporary file, fsync, rename)."""
    warc_path = Path(warc_path)
    text = cdxj_for(warc_path)
    dest = warc_path.with_name(cdxj_name(warc_path.name))
    tmp = dest.with_name(dest.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, dest)
    return dest


def index_file(warc_path: str | os.PathLike) -> float:
    """:func:`write_cdxj` as a task for a worker process: returns the CPU seconds it took."""
    import time

    t0 = time.thread_time()
    write_cdxj(warc_path)
    return time.thread_time() - t0
