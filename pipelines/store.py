"""Store stage: articles, versions, clusters and provenance into the article store."""

from crawler.store import ArticleVersion, ClusterAssignment, UrlState, text_hash
from crawler.engine.offload import InlineOffload
from pipelines._base import StagePipeline


class StorePipeline(StagePipeline):
    def __init__(self, *, store, archive_uri: str | None = None, run_id: str | None = None,
                 portal_run_ids: dict | None = None, offload=None, **base):
        super().__init__(**base)
        self.store = store  # crawler.store.ArticleStore
        self.archive_uri = archive_uri
        self.run_id = run_id
        self.portal_run_ids = portal_run_ids if portal_run_ids is not None else {}  # `crawler serve`: per cycle
        self.offload = offload or InlineOffload()

    @classmethod
    def collaborators(cls, crawler) -> dict:
        resources = cls.resources(crawler)
        return {"store": resources.store, "archive_uri": resources.archive_uri,
                "run_id": getattr(crawler, "crawl_run_id", None),
                "portal_run_ids": getattr(crawler, "portal_run_ids", None), "offload": resources.offload}

    async def process_item(self, item):
        # On the I/O thread, one item after the other: change numbers are assigned in commit
        # order, so they stay monotonic and gap-free for cursor readers.
        result, decision = await self.offload.io(self._save, item)
        self.stats.inc_value("store/unchanged" if result.unchanged else ("store/new" if result.created else "store/new_version"))
        item["stored"] = "unchanged" if result.unchanged else ("new" if result.created else "new_version")
        item["cluster_reason"] = decision.reason
        item["seq"] = result.seq
        item["version"] = result.version
        item.pop("html", None)  # the HTML is in the WARC archive; keep items light
        return item

    def _save(self, item):
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
            paywalled=bool(item.get("paywalled")),
            removed=item.get("removed", []),
            warnings=item.get("warnings", []),
            catalogue_version=item.get("catalogue_version"),
            text_hash=text_hash(item["text"]),
            lastmod=item.get("lastmod"),
            discovered_via=item.get("discovered_via"),
            # `crawler serve`: the run of the portal's current cycle
            run_id=self.portal_run_ids.get(item["portal"]) or self.run_id,
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
        return result, decision
