"""The article store's interface and the plain records that cross it.

The change feed: every change of an article or story takes the next value of one monotonic
sequence and is kept as a :class:`Change` (``store.changes(after_seq, limit)``); ``seq`` on an
article row is the sequence number of its last change, so a downstream reader that remembers the
highest ``seq`` it saw can ask for everything after it and miss nothing.

Change kinds (``Change.kind``):

- ``new-article``: first version stored; ``cluster_id`` is the story it joined
  (``detail["new_story"]`` true when it started one).
- ``new-version``: a new version with a different text or metadata (``VERSIONED_FIELDS``;
  ``version`` is its number).
- ``left`` / ``joined``: an article stored before moved from one story to another (``left``
  names the story it left, ``joined`` the one it joined).
- ``representative``: the article became (``is_representative`` true) or stopped being
  (false) its story's representative; ``detail["previous"]`` / ``detail["next"]`` name the other.
- ``gone``: tombstone: the article's URL answered 404/410 on a recrawl
  (``detail["http_status"]``); its versions stay, the article row carries ``gone_at``.
- ``restored``: a gone article answered again.

Contract for every backend (commit order): a reader never sees a sequence number before every
smaller one is committed, also with several writers. SQLite gives this by serialising writers
(``BEGIN IMMEDIATE``); the PostgreSQL store takes its numbers inside the writing transaction
under a transaction-scoped advisory lock held until commit, because plain sequences are not
assigned in commit order.
"""

from __future__ import annotations

import hashlib

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Iterator


class StoreError(RuntimeError):
    """The store cannot be used (bad URI, unreachable, newer schema): one line for the user."""


SCHEMA_VERSION = 3  # of the exported records, schema/*.json (the tables' version: crawler.store.schema)

# A version differs from the one before when one of these differs (else the save is "unchanged")
VERSIONED_FIELDS = ("text_hash", "title", "authors", "published", "modified", "section", "dateline", "language",
                    "paywalled")

CHANGE_KINDS = ("new-article", "new-version", "left", "joined", "representative", "gone", "restored")


def text_hash(text: str) -> str:
    """Hash of a version's text, whitespace-normalised: equal hashes mean "unchanged"."""
    return "sha256:" + hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


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
    paywalled: bool = False  # the page showed only a teaser behind a paywall
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
    unchanged: bool = False  # same text and metadata as the current version: nothing stored


@dataclass
class Change:
    """One entry of the change feed, in commit order of ``seq``."""

    seq: int
    kind: str  # one of CHANGE_KINDS
    article_id: str
    cluster_id: str | None  # the article's story after the change (``left``: the story it left)
    is_representative: bool  # after the change
    portal: str
    canonical_url: str
    version: int  # the article's current version number after the change
    at: str  # when the change was committed (UTC, ISO 8601)
    run_id: str | None = None  # the crawl run that made it
    detail: dict = field(default_factory=dict)


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

    def current_versions(self, article_ids: list[str]) -> dict[str, ArticleVersion]:
        """The current versions of the stored ones of ``article_ids`` (the SQL stores: one query)."""
        return {a: v for a in article_ids if (v := self.current_version(a)) is not None}

    @abstractmethod
    def save_article(self, version: ArticleVersion, cluster: ClusterAssignment) -> SaveResult:
        """Store a new article or a new version of a known one and apply its cluster decision."""

    @abstractmethod
    def versions(self, article_id: str) -> list[ArticleVersion]: ...

    @abstractmethod
    def changes(self, after_seq: int = 0, limit: int = 1000, *, portal: str | None = None,
                kinds: tuple[str, ...] | None = None) -> list[Change]:
        """The change feed: at most ``limit`` changes with ``seq > after_seq`` in seq order,
        optionally of one portal / of some kinds. Page on with the last ``seq`` returned; a page
        shorter than ``limit`` means nothing more is committed yet."""

    @abstractmethod
    def mark_gone(self, url: str, http_status: int, *, at: str | None = None,
                  run_id: str | None = None) -> Change | None:
        """Tombstone for the stored article of canonical ``url`` that answered 404/410 (None:
        no stored article there, or it is gone already)."""

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
    def max_seq(self) -> int:
        """The highest committed sequence number (0: none)."""

    @abstractmethod
    def article_row(self, article_id: str) -> dict | None:
        """The article's export row (as ``changes_after`` yields), or None."""

    @abstractmethod
    def clusters_touched(self, run_id: str) -> list[str]:
        """Clusters that got a new article or version in the given crawl run."""

    # -- crawl state -----------------------------------------------------------------------
    @abstractmethod
    def url_state(self, url: str) -> UrlState | None: ...

    def url_states_of(self, urls) -> dict[str, "UrlState | None"]:
        """Crawl state of each of ``urls`` (None: never recorded); backends read them in one go."""
        return {url: self.url_state(url) for url in urls}

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
    def mark_crashed_jobs(self, except_run_id: str, is_dead=None) -> list[str]:
        """Mark runs left "running" by a killed crawl as crashed (called under the crawl lock);
        ``is_dead(job) -> bool`` narrows them (a store shared by several crawler processes)."""

    @abstractmethod
    def jobs(self, limit: int = 20) -> list[JobRecord]: ...

    @abstractmethod
    def counts(self) -> dict: ...

    @abstractmethod
    def store_id(self) -> str:
        """The store's identity (made once, kept with the store): a shared dedup index records
        it and refuses another store's crawls."""

    def close(self) -> None:  # pragma: no cover - default no-op
        pass
