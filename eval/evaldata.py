"""Quality checks on the shared evaluation data (``make eval``; not part of ``make test``).

The data lives beside the repository in ``../shared/data`` (never copied into it); set
``CRAWLER_EVAL_DATA`` to read it from elsewhere. A missing data set fails with a clear message.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("CRAWLER_EVAL_DATA") or REPO.parent / "shared" / "data")


def data_dir(name: str, *required: str) -> Path:
    """``DATA/name``, failing the test when it or one of its ``required`` files is missing."""
    path = DATA / name
    missing = [f for f in required if not (path / f).exists()]
    if not path.is_dir() or missing:
        pytest.fail(f"evaluation data missing: {path} ({', '.join(missing) or 'directory'}); expected "
                    f"../shared/data beside the repository or CRAWLER_EVAL_DATA pointing at it")
    return path
