"""Clean stage: removes residue lines, each with the rule that removed it (core: crawler.cleaning)."""

from scrapy.exceptions import DropItem

from crawler import crawl_defaults
from crawler.cleaning import clean_text
from crawler.engine.offload import InlineOffload
from pipelines._base import StagePipeline


class CleanPipeline(StagePipeline):
    def __init__(self, *, templates, learn: bool = crawl_defaults.LEARN_TEMPLATES, offload=None, **base):
        super().__init__(**base)
        self.templates = templates  # crawler.cleaning.templates.TemplateStore
        self.learn = learn
        self.offload = offload or InlineOffload()  # cleaning reads and learns templates: I/O thread

    @classmethod
    def collaborators(cls, crawler) -> dict:
        return {
            "templates": cls.resources(crawler).templates,
            "learn": crawler.settings.getbool("CRAWLER_LEARN_TEMPLATES", crawl_defaults.LEARN_TEMPLATES),
            "offload": cls.resources(crawler).offload,
        }

    async def process_item(self, item):
        portal = self.portal_of(item)
        result = await self.offload.io(
            clean_text,
            item["text"],
            title=item.get("title"),
            section=item.get("section"),
            authors=item.get("authors") or (),
            portal=portal.name,
            line_patterns=portal.residue.line_patterns,
            templates=self.templates,
            learn=self.learn,
            matches=item.pop("line_matches", None),
        )
        if not result.text.strip():
            self.stats.inc_value("pipeline/clean/empty")
            raise DropItem(f"nothing left after cleaning {item['url']}")
        item["text"] = result.text
        item["removed"] = list(result.removed)
        item["warnings"] = list(result.warnings)
        item["catalogue_version"] = result.catalogue_version
        for removed in result.removed:
            self.stats.inc_value(f"clean/removed/{removed['rule']}")
        return item
