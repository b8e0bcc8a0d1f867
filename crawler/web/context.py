"""What ``crawler web`` reads: the store (read-only), its derived search index, the collection
index and the archive, refreshed from the store's change sequence and the archive's listing."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from crawler.archive.collection import COLLECTION_INDEX_FILE, CollectionIndex
from crawler.store import ArticleStore, open_store
from crawler.web.search import SearchIndex

log = logging.getLogger(__name__)

SEARCH_INDEX_NAME = "web-search.sqlite"
COLLECTION_INDEX_NAME = COLLECTION_INDEX_FILE


@dataclass
class WebContext:
    store_uri: str  # sqlite:///... or postgresql://..., opened read-only
    index_dir: Path
    blobstore: object  # crawler's BlobStore (local directory or S3)
    collection: CollectionIndex | None = None
    search: SearchIndex | None = None
    refresh_every: float = 2.0  # the store's change sequence: a cheap query
    archive_every: float = 30.0  # the archive's listing (an S3 LIST) for files shipped elsewhere
    _last: float = field(default=0.0, repr=False)
    _last_archive: float = field(default=-1e9, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self):
        self.index_dir.mkdir(parents=True, exist_ok=True)
        self.search = self.search or SearchIndex(self.index_dir / SEARCH_INDEX_NAME)
        self.collection = self.collection or CollectionIndex(self.index_dir / COLLECTION_INDEX_NAME)

    def open_store(self) -> ArticleStore:
        return open_store(self.store_uri, read_only=True)

    def refresh(self, force: bool = False) -> None:
        """Bring the derived indexes up to date (at most every ``refresh_every`` seconds)."""
        with self._lock:
            if not force and time.monotonic() - self._last < self.refresh_every:
                return
            self._last = time.monotonic()
            store = self.open_store()
            try:
                self.search.sync(store)
            finally:
                store.close()
            if not force and time.monotonic() - self._last_archive < self.archive_every:
                return
            self._last_archive = time.monotonic()
            try:
                self.collection.sync(self.blobstore)
            except Exception as exc:  # noqa: BLE001 - an unreachable archive must not stop search
                log.warning("cannot list the archive %r: %s", self.blobstore, exc)

    def archive_missed(self) -> bool:
        """A capture was not found: index the archive's new files now (at most every 5 s).
        True when anything new was indexed."""
        with self._lock:
            if time.monotonic() - self._last_archive < 5.0:
                return False
            self._last_archive = time.monotonic()
            try:
                return bool(self.collection.sync(self.blobstore))
            except Exception as exc:  # noqa: BLE001
                log.warning("cannot list the archive %r: %s", self.blobstore, exc)
                return False
