"""Dedup stage: exact and near-duplicate detection, story clusters (core: crawler.dedup)."""

from dateutil import parser as dateparser

from crawler.datadir import resolve_data_dir
from crawler.dedup import open_index
from pipelines._base import StagePipeline


def _published(item):
    value = item.get("published") or item.get("fetched_at")
    try:
        return dateparser.isoparse(value) if value else None
    except ValueError:
        return None


class DedupPipeline(StagePipeline):
    def __init__(self, crawler):
        super().__init__(crawler)
        s = crawler.settings
        location = s.get("CRAWLER_DEDUP_INDEX") or resolve_data_dir(s.get("CRAWLER_DATA_DIR")).ensure().dedup_index
        window = s.get("CRAWLER_DEDUP_WINDOW_DAYS", 30)
        self.index = open_index(location, window_days=float(window) if window not in (None, "") else None)

    def process_item(self, item):
        decision = self.index.add(
            item["article_id"], item["text"], published=_published(item), title=item.get("title")
        )
        # Durable before the store commits the article: after a crash the index never lags the
        # store (an article the store has, but the index lost, would start a story of its own).
        self.index.commit()
        item["dedup"] = decision
        self.stats.inc_value(f"dedup/{decision.reason}")
        return item

    def close_spider(self):
        self.index.close()
