"""Extract stage: clean text, title, date and language of each new or changed report.

Extraction (trafilatura, PDF text) is CPU-bound and would stall the Twisted reactor, which
must keep fetching; it runs in the crawl's worker pool.  Unchanged payloads (a 304, or the
same SHA-256 as the last fetch) skip extraction entirely.
"""

from __future__ import annotations

import logging

from ..extraction import Document, ExtractionError, extract_document
from ..items import REPORT, PageItem
from .pool import PoolStage

logger = logging.getLogger(__name__)


def analyse(body: bytes, url: str, content_type: str | None) -> Document | ExtractionError:
    """The work done in a pool process (module level, so it pickles).

    The error is returned, not raised: it is an outcome to record, not a crash.
    """
    try:
        return extract_document(body, url, content_type)
    except ExtractionError as exc:
        return exc


class ExtractPipeline(PoolStage):
    async def process_item(self, item: PageItem) -> PageItem:
        if self.wanted(item):
            self.apply(item, await self.pool.run(analyse, item.body, item.url, item.content_type))
        return item

    def process(self, item: PageItem) -> PageItem:
        """Synchronous variant for use outside a crawl (ingest, tests)."""
        if self.wanted(item):
            self.apply(item, analyse(item.body, item.url, item.content_type))
        return item

    @staticmethod
    def wanted(item: PageItem) -> bool:
        return item.kind == REPORT and item.status == 200 and not item.unchanged_payload

    def apply(self, item: PageItem, result: Document | ExtractionError) -> None:
        if isinstance(result, ExtractionError):
            # The page is still archived and stored; its text is missing, and we say why.
            item.extraction_error = str(result)
            logger.warning("extraction failed for %s: %s", item.url, result)
            if self.crawler is not None:
                self.crawler.stats.inc_value("rightswatch/extraction_errors")
        else:
            item.document = result
