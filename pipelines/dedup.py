"""Dedup stage: exact and near-duplicate detection, story clusters (core: crawler.dedup)."""

from dateutil import parser as dateparser

from crawler.engine.offload import InlineOffload
from pipelines._base import StagePipeline


def _published(item):
    value = item.get("published") or item.get("fetched_at")
    try:
        return dateparser.isoparse(value) if value else None
    except ValueError:
        return None


class DedupPipeline(StagePipeline):
    def __init__(self, *, index, offload=None, **base):
        super().__init__(**base)
        self.index = index  # crawler.dedup.DedupIndex
        self.offload = offload or InlineOffload()

    @classmethod
    def collaborators(cls, crawler) -> dict:
        resources = cls.resources(crawler)
        return {"index": resources.index, "offload": resources.offload}

    async def process_item(self, item):
        # On the I/O thread: decisions (0.2 ms of CPU each) in the order items were handed in.
        decision = await self.offload.io(self._decide, item)
        item["dedup"] = decision
        self.stats.inc_value(f"dedup/{decision.reason}")
        return item

    def _decide(self, item):
        decision = self.index.add(
            item["article_id"], item["text"], published=_published(item), title=item.get("title")
        )
        # Durable before the store commits the article: after a crash the index never lags the
        # store (an article the store has, but the index lost, would start a story of its own).
        self.index.commit()
        return decision
