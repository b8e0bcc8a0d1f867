"""The one data directory every command works in.

Everything a crawl keeps between runs lives under one root: the article store, the dedup index,
learned portal templates, the WARC spool, the default local archive, logs and the crawl lock.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path

DATA_DIR_ENV = "CRAWLER_DATA_DIR"
DEFAULT_DATA_DIR = "data"


@dataclass(frozen=True)
class DataDir:
    root: Path

    @property
    def articles_db(self) -> Path:
        return self.root / "articles.sqlite"

    @property
    def dedup_index(self) -> Path:
        return self.root / "dedup"

    @property
    def templates_db(self) -> Path:
        return self.root / "templates.sqlite"

    @property
    def warc_spool(self) -> Path:
        return self.root / "warc-spool"

    @property
    def archive_dir(self) -> Path:
        return self.root / "archive"

    @property
    def warc_digests(self) -> Path:
        return self.root / "warc-digests.sqlite"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def lock_file(self) -> Path:
        return self.root / "crawl.lock"

    def ensure(self) -> "DataDir":
        if self.root.exists() and not self.root.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "the data directory is a file, not a directory "
                                     "(check --data-dir / $CRAWLER_DATA_DIR)", str(self.root))
        self.root.mkdir(parents=True, exist_ok=True)
        self.logs_dir.mkdir(exist_ok=True)
        return self

    def __str__(self) -> str:
        return str(self.root)


def resolve_data_dir(arg: str | os.PathLike | None = None) -> DataDir:
    """``arg`` if given, else ``$CRAWLER_DATA_DIR``, else ``./data`` (made absolute)."""
    raw = arg or os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR
    return DataDir(Path(raw).expanduser().resolve())
