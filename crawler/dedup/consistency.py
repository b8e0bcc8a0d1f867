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

Only a local directory index is checked: a shared Redis index forgets stories outside its time
window and other crawlers add to it concurrently, so the two sets legitimately differ there.
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
        if len(report.extra) > max(EXTRA_TOLERATED, len(in_index) // 100):
            raise IndexMismatch(
                f"dedup index {where or 'in use'} holds {len(report.extra)} articles the article store does not "
                f"have (of {len(in_index)}): it belongs to another store; point CRAWLER_DEDUP_INDEX at the "
                "index of this store, or move the index directory away to rebuild it from the store")
        logger.warning("dedup index holds %d article(s) the store lacks (decided before a crash, not stored): "
                       "they are stored when fetched again", len(report.extra))
    if lacking:
        if not repair:
            raise IndexMismatch(f"dedup index {where} lacks {len(lacking)} stored articles")
        order = [a for a in _first_stored_order(store) if xxhash.xxh64_intdigest(a.encode("utf-8")) in lacking]
        for n, article_id in enumerate(order, start=1):
            version = store.current_version(article_id)
            if version is None:
                continue
            index.add(article_id, version.text, published=_published(version), title=version.title)
            report.added.append(article_id)
            if n % 10_000 == 0:
                logger.info("dedup index repair: %d of %d articles added", n, len(order))
        index.commit()
        logger.warning("dedup index lacked %d stored article(s) (lost commits after a crash?): added from the store",
                       len(report.added))
    return report
