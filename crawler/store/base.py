"""The article store's interface and the plain records that cross it.

Every row change (a new article, a new version, a cluster or representative change) takes the
next value of one monotonic sequence; ``seq`` on an article is the sequence number of its last
change, so a downstream reader that remembers the highest ``seq`` it saw can ask for everything
after it (``changes_after``) and miss nothing.

Contract for every backend: a reader must never see a sequence number before every smaller one
is committed. SQLite gives this by serialising writers; a PostgreSQL store must take its numbers
inside the writing transaction under a lock (or serve readers only up to a safe high-water mark),
because plain sequences are not assigned in commit order.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Iterator

SCHEMA_VERSION = 1


@dataclass
class ArticleVersion:
    """One fetched, extracted and cleaned version of an article, with its provenance."""

    article_id: str
    canonical_url: str
    url: str  # the URL that was fetched (after redirects)
    portal: str
    fetched_at: str
    title: str | None = None
    text: str = ""
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    modified: str | None = None
    section: str | None = None
    dateline: dict | None = None
    language: str | None = None
    removed: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    catalogue_version: str | None = None
    text_hash: str = ""
    lastmod: str | None = None  # from the feed or sitemap that announced it
    discovered_via: str | None = None
    run_id: str | None = None
    warc: dict | None = None  # {"warc_file","offset","length","record_id","payload_digest"}
    archive: str | None = None  # URI of the blob store holding warc_file


@dataclass
class ClusterAssignment:
    cluster_id: str
    representative: str  # article_id
    previous_representative: str | None = None
    nearest: str | None = None
    jaccard: float | None = None
    containment: float | None = None
    reason: str = "new-story"


@dataclass
class SaveResult:
    article_id: str
    version: int
    seq: int
    created: bool  # a new article (False: a new version of a known one, or unchanged)
    unchanged: bool = False  # same text as the current version: nothing stored


@dataclass
class UrlState:
    url: str
    status: str  # "article", "not-article", "redirect", "gone", "error"
    http_status: int | None
    lastmod: str | None
    article_id: str | None
    fetched_at: str


@dataclass
class JobRecord:
    run_id: str
    started_at: str
    ended_at: str | None = None
    status: str = "running"  # running, finished, interrupted, crashed (killed), or Scrapy's close reason
    exit_code: int | None = None
    portals: list[str] = field(default_factory=list)
    archive: str | None = None
    host: str | None = None
    pid: int | None = None
    stats: dict = field(default_factory=dict)
    warc_files: list[str] = field(default_factory=list)


class ArticleStore(ABC):
    """Storage of articles, clusters, crawl state and job records."""

    # -- articles --------------------------------------------------------------------------
    @abstractmethod
    def current_version(self, article_id: str) -> ArticleVersion | None: ...

    @abstractmethod
    def save_article(self, version: ArticleVersion, cluster: ClusterAssignment) -> SaveResult:
        """Store a new article or a new version of a known one and apply its cluster decision."""

    @abstractmethod
    def versions(self, article_id: str) -> list[ArticleVersion]: ...

    @abstractmethod
    def changes_after(self, after_seq: int = 0) -> Iterator[dict]:
        """Articles whose row changed after ``after_seq``, oldest change first (export rows)."""

    @abstractmethod
    def changed_clusters(self, after_seq: int = 0) -> Iterator[tuple[str, int]]:
        """(cluster_id, latest seq) of clusters with a member changed after ``after_seq``,
        oldest latest change first."""

    @abstractmethod
    def cluster_members(self, cluster_id: str) -> list[dict]: ...

    @abstractmethod
    def max_seq(self) -> int: ...

    @abstractmethod
    def clusters_touched(self, run_id: str) -> list[str]:
        """Clusters that got a new article or version in the given crawl run."""

    # -- crawl state -----------------------------------------------------------------------
    @abstractmethod
    def url_state(self, url: str) -> UrlState | None: ...

    @abstractmethod
    def record_url(self, state: UrlState) -> None: ...

    @abstractmethod
    def url_states(self, status: str, limit: int = 1000) -> list[UrlState]:
        """URLs in a state (e.g. "error": fetches to retry), oldest fetch first."""

    # -- jobs ------------------------------------------------------------------------------
    @abstractmethod
    def start_job(self, job: JobRecord) -> None: ...

    @abstractmethod
    def finish_job(self, job: JobRecord) -> None: ...

    @abstractmethod
    def mark_crashed_jobs(self, except_run_id: str) -> list[str]:
        """Mark runs left "running" by a killed crawl as crashed (called under the crawl lock)."""

    @abstractmethod
    def jobs(self, limit: int = 20) -> list[JobRecord]: ...

    @abstractmethod
    def counts(self) -> dict: ...

    def close(self) -> None:  # pragma: no cover - default no-op
        pass
