"""The embedded article store: one SQLite file (WAL mode), ``sqlite:///path``.

Writers are serialised by ``BEGIN IMMEDIATE``, so sequence numbers are committed in the order
they are taken and cursor readers (other processes reading the same file) never miss one.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from crawler.store import schema
from crawler.store.sql import SchemaError, SQLArticleStore

__all__ = ["SQLiteArticleStore", "SchemaError"]


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """Read-only, also in a read-only directory (a snapshot): ``mode=ro`` reads the WAL when
    SQLite can use its shared-memory file; where it cannot, the file is opened immutable."""
    uri = path.resolve().as_uri()
    for query in ("mode=ro", "immutable=1"):
        db = sqlite3.connect(f"{uri}?{query}", uri=True, timeout=30, isolation_level=None,
                             check_same_thread=False)
        try:
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return db
        except sqlite3.OperationalError:
            db.close()
            if query == "immutable=1":
                raise
    raise AssertionError("unreachable")  # pragma: no cover


class SQLiteArticleStore(SQLArticleStore):
    paramstyle = "qmark"

    def __init__(self, path: str | Path, read_only: bool = False):
        super().__init__()
        self.path = Path(path)
        self.location = f"sqlite:///{self.path}"
        self.read_only = read_only
        if read_only:
            self.db = _connect_read_only(self.path)
            self.db.row_factory = sqlite3.Row
            row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            if row is not None and int(row[0]) > schema.STORE_SCHEMA_VERSION:
                raise SchemaError(f"{self.path} has schema version {row[0]}, this code knows "
                                  f"{schema.STORE_SCHEMA_VERSION}: upgrade the crawler")
            return
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    def _begin_write(self, allocates_seq: bool) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    # -- schema ----------------------------------------------------------------------------
    def _ddl(self, sql) -> list[str]:
        return schema.statements(sql, seq_pk="INTEGER PRIMARY KEY AUTOINCREMENT", real="REAL")

    def _migrate(self) -> None:
        with self._tx():
            for stmt in self._ddl(schema.V1):
                self.db.execute(stmt)
            row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            if row is None:
                # fresh, or a store from before the version was recorded: its tables are version 1
                self.db.execute("INSERT INTO meta VALUES ('schema_version', '1')")
                current = 1
            else:
                current = int(row[0])
        if current > schema.STORE_SCHEMA_VERSION:
            raise SchemaError(f"{self.path} has schema version {current}, this code knows "
                              f"{schema.STORE_SCHEMA_VERSION}: upgrade the crawler")
        for version in range(current + 1, schema.STORE_SCHEMA_VERSION + 1):
            with self._tx():
                for stmt in self._ddl(schema.MIGRATIONS[version]):
                    self.db.execute(stmt)
                self.db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(version),))

    def schema_version(self) -> int:
        return int(self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self.db.close()
