"""Clean stage: removes residue lines, each with the rule that removed it (core: crawler.clean)."""

from scrapy.exceptions import DropItem

from crawler.clean import clean_text
from crawler.datadir import resolve_data_dir
from crawler.templates import TemplateStore
from pipelines._base import StagePipeline


class CleanPipeline(StagePipeline):
    def __init__(self, crawler):
        super().__init__(crawler)
        s = crawler.settings
        self.templates = TemplateStore(resolve_data_dir(s.get("CRAWLER_DATA_DIR")).ensure().templates_db)
        self.learn = s.getbool("CRAWLER_LEARN_TEMPLATES", True)

    def process_item(self, item):
        portal = self.portal_of(item)
        result = clean_text(
            item["text"],
            title=item.get("title"),
            section=item.get("section"),
            portal=portal.name,
            line_patterns=portal.residue.line_patterns,
            templates=self.templates,
            learn=self.learn,
        )
        if not result.text.strip():
            raise DropItem(f"nothing left after cleaning {item['url']}")
        item["text"] = result.text
        item["removed"] = list(result.removed)
        item["warnings"] = list(result.warnings)
        item["catalogue_version"] = result.catalogue_version
        for removed in result.removed:
            self.stats.inc_value(f"clean/removed/{removed['rule']}")
        return item

    def close_spider(self):
        close = getattr(self.templates, "close", None)
        if close:
            close()
