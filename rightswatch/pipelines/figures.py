"""Figures stage: every figure of every new or changed report, found by rightswatch.figures.

Runs in the crawl's worker pool like extraction, so a long report never stalls fetching.
The report's title is context (the place or period a whole report is about); the
configuration's own `[[metric]]` tables extend the lexicons.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scrapy.crawler import Crawler

from ..config import MetricDef
from ..figures import extract_figures
from ..items import PageItem
from .pool import PoolStage, WorkerPool


def find_figures(text: str, lang: str | None, title: str | None = None,
                 metrics: Sequence[MetricDef] = ()) -> list[dict[str, Any]]:
    """Module level so it pickles; plain dicts travel cheaper than dataclasses."""
    return [f.to_dict() for f in extract_figures(text, lang, title=title, metrics=metrics)]


class FiguresPipeline(PoolStage):
    def __init__(self, pool: WorkerPool | None = None, crawler: Crawler | None = None,
                 metrics: Sequence[MetricDef] = ()) -> None:
        super().__init__(pool, crawler)
        self.metrics = tuple(metrics)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FiguresPipeline:
        config = getattr(crawler.spider, "config", None)
        return cls(WorkerPool.for_crawler(crawler), crawler,
                   config.metrics if config is not None else ())

    async def process_item(self, item: PageItem) -> PageItem:
        if self.wanted(item):
            doc = item.document
            item.figures = await self.pool.run(find_figures, doc.text, doc.lang, doc.title,
                                               self.metrics)
            self._count(item)
        return item

    def process(self, item: PageItem) -> PageItem:
        if self.wanted(item):
            doc = item.document
            item.figures = find_figures(doc.text, doc.lang, doc.title, self.metrics)
            self._count(item)
        return item

    @staticmethod
    def wanted(item: PageItem) -> bool:
        return item.document is not None and bool(item.document.text)

    def _count(self, item: PageItem) -> None:
        if self.crawler is not None:
            self.crawler.stats.inc_value("rightswatch/figures/found", len(item.figures))
