"""Store stage: articles, versions, clusters and provenance into the article store."""

import hashlib

from crawler.datadir import resolve_data_dir
from crawler.store import ArticleVersion, ClusterAssignment, UrlState, open_store
from pipelines._base import StagePipeline


def text_hash(text: str) -> str:
    return "sha256:" + hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


class StorePipeline(StagePipeline):
    def __init__(self, crawler):
        super().__init__(crawler)
        s = crawler.settings
        data_dir = resolve_data_dir(s.get("CRAWLER_DATA_DIR")).ensure()
        self.store = open_store(data_dir)
        self.archive_uri = s.get("CRAWLER_ARCHIVE") or str(data_dir.archive_dir)

    def process_item(self, item):
        decision = item.pop("dedup")
        version = ArticleVersion(
            article_id=item["article_id"],
            canonical_url=item["canonical_url"],
            url=item["url"],
            portal=item["portal"],
            fetched_at=item["fetched_at"],
            title=item.get("title"),
            text=item["text"],
            authors=list(item.get("authors") or []),
            published=item.get("published"),
            modified=item.get("modified"),
            section=item.get("section"),
            dateline=item.get("dateline"),
            language=item.get("language"),
            removed=item.get("removed", []),
            warnings=item.get("warnings", []),
            catalogue_version=item.get("catalogue_version"),
            text_hash=text_hash(item["text"]),
            lastmod=item.get("lastmod"),
            discovered_via=item.get("discovered_via"),
            run_id=getattr(self.crawler, "crawl_run_id", None),
            warc=item.get("warc"),
            archive=self.archive_uri,
        )
        cluster = ClusterAssignment(
            cluster_id=decision.cluster_id,
            representative=decision.representative,
            previous_representative=decision.previous_representative,
            nearest=decision.nearest,
            jaccard=decision.jaccard,
            containment=decision.containment,
            reason=decision.reason,
        )
        result = self.store.save_article(version, cluster)
        for url in {item["canonical_url"], item.get("fetched_canonical_url") or item["canonical_url"]}:
            self.store.record_url(
                UrlState(url, "article", item["http_status"], item.get("lastmod"), item["article_id"], item["fetched_at"])
            )
        self.stats.inc_value("store/unchanged" if result.unchanged else ("store/new" if result.created else "store/new_version"))
        item["seq"] = result.seq
        item["version"] = result.version
        item.pop("html", None)  # the HTML is in the WARC archive; keep items light
        return item

    def close_spider(self):
        self.store.close()
