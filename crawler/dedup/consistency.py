"""The check at the start of a crawl that the near-duplicate index and the article store agree.

The dedup stage commits its decision before the store commits the article, so after a crash
the two can disagree in two ways:

* the store has articles the index lacks (the index's last commits were lost, e.g. an OS crash
  with the index's ``synchronous=OFF``, or the index directory was deleted or replaced by an
  older copy): repaired by adding their current versions to the index, oldest first, so
  later versions and copies find their stories again;
* the index has articles the store lacks (decided, then the crawl died before the store wrote
  them): harmless in small numbers (the spider fetches those URLs again, and the index then
  answers "new-version" in the story it chose), so they are kept and reported. Many of them
  mean the index belongs to another store (another data directory, a restored backup): that
  is refused with a message saying what to do, because joining stories against articles the
  store does not have would give it representatives it cannot show.

A shared Redis index (:func:`check_shared_index`) forgets stories outside its time window and
other crawlers add to it concurrently, so there the sets legitimately differ; instead it records
the id of the store it belongs to (``{prefix}:store``). At the start of a crawl:

* the index belongs to another store (another id recorded): refused, one line;
* otherwise every stored article inside the window that the index lacks is added from the
  store, oldest first: after a ``FLUSHDB``, a Redis restarted from an old snapshot or without
  persistence, the crawl clusters against the old articles again instead of silently starting
  new stories. An unclaimed index holding many articles the store lacks is refused as above;
  after the check the index is claimed for the store. Crawlers starting together check one
  after the other (``{prefix}:check`` lock), so the index is rebuilt once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import xxhash
from dateutil import parser as dateparser

from crawler.preflight import PreflightError

logger = logging.getLogger(__name__)

EXTRA_TOLERATED = 100  # articles only the index has, kept with a warning (or 1 % of the index)
VERSION_BATCH = 500  # current versions loaded from the store per query while adding what the index lacks


class IndexMismatch(PreflightError):
    """The index belongs to another store (one line for the operator)."""


@dataclass
class Agreement:
    store_articles: int
    index_articles: int
    added: list[str] = field(default_factory=list)   # store had them, the index now has them too
    extra: list[str] = field(default_factory=list)   # only the index has them

    @property
    def agreed(self) -> bool:
        return not self.added and not self.extra


def _published(version):
    """As the dedup stage passes it: the published time, else the fetch time."""
    value = version.published or version.fetched_at
    try:
        return dateparser.isoparse(value) if value else None
    except (ValueError, OverflowError):
        return None


def _hashes(ids) -> np.ndarray:
    return np.fromiter((xxhash.xxh64_intdigest(i.encode("utf-8")) for i in ids), dtype=np.uint64)


def _first_stored_order(store) -> list[str]:
    """Article ids in the order they were first stored (their new-article change)."""
    out, after = [], 0
    while True:
        page = store.changes(after, 5000, kinds=("new-article",))
        out += [c.article_id for c in page]
        if len(page) < 5000:
            return out
        after = page[-1].seq


def _foreign(extra: list[str], total: int, where: str) -> IndexMismatch | None:
    if len(extra) <= max(EXTRA_TOLERATED, total // 100):
        return None
    return IndexMismatch(
        f"dedup index {where or 'in use'} holds {len(extra)} articles the article store does not "
        f"have (of {total}): it belongs to another store; point CRAWLER_DEDUP_INDEX at the "
        "index of this store, or move the index directory away to rebuild it from the store")


def _current_versions(store, article_ids: list[str]):
    """``(article_id, current version or None)`` in the order of ``article_ids``, loaded
    ``VERSION_BATCH`` at a time (one store query each, not one per article)."""
    for start in range(0, len(article_ids), VERSION_BATCH):
        chunk = article_ids[start:start + VERSION_BATCH]
        versions = store.current_versions(chunk)
        for article_id in chunk:
            yield article_id, versions.get(article_id)


def _add_from_store(index, store, lacking: set[int], horizon: int | None = None, *, renew=None) -> list[str]:
    """Add the stored articles whose id hashes are in ``lacking`` to ``index`` in the order
    they were first stored (their current versions; those published before ``horizon``, the
    index's window, are left out). Returns the ids added."""
    added = []
    order = [a for a in _first_stored_order(store) if xxhash.xxh64_intdigest(a.encode("utf-8")) in lacking]
    for n, (article_id, version) in enumerate(_current_versions(store, order), start=1):
        if version is None:
            continue
        published = _published(version)
        if horizon is not None and published is not None and published.timestamp() < horizon:
            continue
        index.add(article_id, version.text, published=published, title=version.title)
        added.append(article_id)
        if n % 1000 == 0 and renew is not None:
            renew()
        if n % 10_000 == 0:
            logger.info("dedup index repair: %d of %d articles added", n, len(order))
    index.commit()
    return added


def check_index(index, store, *, repair: bool = True, where: str = "") -> Agreement:
    """Compare the doc ids of ``index`` (a ``DedupIndex``) with the articles of ``store``;
    add what the index lacks (``repair``), report what only the index has, refuse a foreign
    index (:class:`IndexMismatch`)."""
    stored = store.article_ids()
    in_index = index.doc_ids()
    s_hash, i_hash = _hashes(stored), _hashes(in_index)
    lacking = set(np.setdiff1d(s_hash, i_hash, assume_unique=False).tolist())
    only = set(np.setdiff1d(i_hash, s_hash, assume_unique=False).tolist())
    report = Agreement(len(stored), len(in_index))
    if only:
        report.extra = [d for d, h in zip(in_index, i_hash.tolist()) if h in only]
        if (refusal := _foreign(report.extra, len(in_index), where)) is not None:
            raise refusal
        logger.warning("dedup index holds %d article(s) the store lacks (decided before a crash, not stored): "
                       "they are stored when fetched again", len(report.extra))
    if lacking:
        if not repair:
            raise IndexMismatch(f"dedup index {where} lacks {len(lacking)} stored articles")
        report.added = _add_from_store(index, store, lacking)
        logger.warning("dedup index lacked %d stored article(s) (lost commits after a crash?): added from the store",
                       len(report.added))
    return report


def check_shared_index(index, store, *, where: str = "") -> Agreement:
    """The start check of a shared Redis index (a ``RedisDedupIndex``) against ``store``: refuse
    an index that belongs to another store; add the stored articles inside the window the index
    lacks; claim an unclaimed index for the store."""
    mine = store.store_id()
    with index.check_lock() as lock:
        owner = index.owner()
        if owner is not None and owner != mine:
            raise IndexMismatch(
                f"dedup index {where or 'in use'} belongs to another article store (id {owner}, this store is "
                f"{mine}): point CRAWLER_DEDUP_INDEX at this store's index (another Redis database), "
                "or delete its keys to rebuild it from this store")
        index.refresh()
        stored, in_index = store.article_ids(), index.local.doc_ids()
        s_hash, i_hash = _hashes(stored), _hashes(in_index)
        report = Agreement(len(stored), len(in_index))
        if owner is None:
            only = set(np.setdiff1d(i_hash, s_hash).tolist())
            report.extra = [d for d, h in zip(in_index, i_hash.tolist()) if h in only]
            if (refusal := _foreign(report.extra, len(in_index), where)) is not None:
                raise refusal
        lacking = set(np.setdiff1d(s_hash, i_hash).tolist())
        if lacking:
            report.added = _add_from_store(index, store, lacking, index.local.horizon(), renew=lock.reacquire)
            if report.added:
                logger.warning("shared dedup index %s lacked %d stored article(s) inside its window (Redis "
                               "flushed or restored from an older snapshot?): added from the store",
                               where, len(report.added))
        if owner is None:
            index.claim(mine)
    return report
