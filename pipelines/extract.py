"""Extract stage: main text and metadata of the fetched page (core: crawler.extract).

The spider has them already: page type, outlinks and extraction share one parse in a worker
process (:func:`crawler.engine.page.analyze_page`), handed on as ``item["extracted"]``. An item
without them (from another spider) is extracted here, in a worker as well."""

from scrapy.exceptions import DropItem

from crawler.engine.offload import InlineOffload
from crawler.urls import article_id_for, canonicalize_url
from pipelines._base import StagePipeline

EXTRACTED_FIELDS = (
    "title", "text", "authors", "published", "modified", "section", "dateline", "language", "paywalled",
)


class ExtractPipeline(StagePipeline):
    def __init__(self, *, offload=None, **base):
        super().__init__(**base)
        self.offload = offload or InlineOffload()

    @classmethod
    def collaborators(cls, crawler) -> dict:
        return {"offload": cls.resources(crawler).offload}

    async def process_item(self, item):
        portal = self.portal_of(item)
        result = item.pop("extracted", None)
        if result is None:
            from crawler.extract import extract_article  # (only here: the crawl process need not load it)

            result = await self.offload.cpu(
                extract_article, item["html"], item["url"], timezone=portal.timezone,
                drop_selectors=tuple(portal.residue.drop_selectors), language=portal.language,
            )
        if not (result.get("text") or "").strip():
            self.stats.inc_value("pipeline/extract/empty")
            raise DropItem(f"no article text extracted from {item['url']}")
        if result.get("paywalled"):  # a teaser behind a paywall, flagged with the evidence
            self.stats.inc_value(f"pipeline/extract/paywalled/{result.get('paywall')}")
        for key in EXTRACTED_FIELDS:
            item[key] = result.get(key)
        if result.get("line_matches"):  # the cleaning's one-line rules, run in the worker (crawler.engine.tasks)
            item["line_matches"] = result["line_matches"]
        self._adopt_declared_canonical(item, result.get("canonical_url"), portal)
        return item

    def _adopt_declared_canonical(self, item, declared, portal):
        """A page that names another URL of the same portal as canonical (AMP, print or
        tracking variants) is stored as that article: an exact duplicate by canonical URL. Only
        a declared URL that is itself an article URL of the portal counts (templates that name
        the home or section page as canonical must not fold articles together)."""
        if not declared or not portal.owns(declared) or not portal.is_article_url(declared):
            return
        canonical = canonicalize_url(declared)
        if canonical != item["canonical_url"]:
            self.stats.inc_value("pipeline/extract/declared_canonical")
            item["fetched_canonical_url"] = item["canonical_url"]
            item["canonical_url"] = canonical
            item["article_id"] = article_id_for(canonical)
