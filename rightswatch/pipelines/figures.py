"""Figures stage: every figure of every new or changed report, found by rightswatch.figures.

Runs in the crawl's worker pool like extraction, so a long report never stalls fetching.
"""

from __future__ import annotations

from typing import Any

from ..figures import extract_figures
from ..items import PageItem
from .pool import PoolStage


def find_figures(text: str, lang: str | None) -> list[dict[str, Any]]:
    """Module level so it pickles; plain dicts travel cheaper than dataclasses."""
    return [f.to_dict() for f in extract_figures(text, lang)]


class FiguresPipeline(PoolStage):
    async def process_item(self, item: PageItem) -> PageItem:
        if self.wanted(item):
            item.figures = await self.pool.run(find_figures, item.document.text,
                                               item.document.lang)
            self._count(item)
        return item

    def process(self, item: PageItem) -> PageItem:
        if self.wanted(item):
            item.figures = find_figures(item.document.text, item.document.lang)
            self._count(item)
        return item

    @staticmethod
    def wanted(item: PageItem) -> bool:
        return item.document is not None and bool(item.document.text)

    def _count(self, item: PageItem) -> None:
        if self.crawler is not None:
            self.crawler.stats.inc_value("rightswatch/figures/found", len(item.figures))
