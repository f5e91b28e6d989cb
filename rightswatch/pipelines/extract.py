"""Extract stage: clean text, title, date and language of each new or changed report.

Extraction (trafilatura, PDF text) is CPU-bound and would stall the Twisted reactor, which
must keep fetching; it runs in a process pool so a second core does the heavy work.  Unchanged
payloads (a 304, or the same SHA-256 as the last fetch) skip extraction entirely.
"""

from __future__ import annotations

import asyncio
import logging
import os
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from scrapy.crawler import Crawler

from ..extraction import Document, ExtractionError, extract_document
from ..items import REPORT, PageItem

logger = logging.getLogger(__name__)


def _warm_up() -> None:
    """Import trafilatura once per worker, not on the first page; keep its chatter down.

    Trafilatura warns about every page without a main text; the pipeline records that as an
    empty text already.
    """
    import trafilatura  # noqa: F401

    logging.getLogger("trafilatura").setLevel(logging.ERROR)


def analyse(body: bytes, url: str, content_type: str | None) -> Document:
    """The work done in a pool process (module level, so it pickles)."""
    return extract_document(body, url, content_type)


class ExtractPipeline:
    def __init__(self, workers: int | None = None, crawler: Crawler | None = None) -> None:
        # The crawl process itself needs about a core (fetching, archiving, storing), so by
        # default the pool takes the others; on one core everything runs inline.
        self.workers = max(0, (os.cpu_count() or 1) - 1) if workers is None else workers
        self.pool: Executor | None = None
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        workers = crawler.settings.get("RIGHTSWATCH_EXTRACTION_WORKERS")
        return cls(None if workers is None else int(workers), crawler)

    def open_spider(self) -> None:
        """Nothing to open: the pool starts with the first page that needs extracting.

        A no-change re-crawl extracts nothing and should not pay for starting workers.
        """

    def close_spider(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    async def process_item(self, item: PageItem) -> PageItem:
        if not self.wanted(item):
            return item
        if self.workers == 0:
            return self.apply(item, self._inline(item))
        if self.pool is None:
            self.pool = ProcessPoolExecutor(self.workers, initializer=_warm_up)
        future = self.pool.submit(analyse, item.body, item.url, item.content_type)
        try:
            result = await asyncio.wrap_future(future)
        except ExtractionError as exc:
            result = exc
        except BrokenProcessPool:
            # A worker died (out of memory on a hostile PDF?): restart the pool, retry inline.
            logger.error("extraction worker died on %s; restarting the pool", item.url)
            self.close_spider()
            result = self._inline(item)
        return self.apply(item, result)

    def process(self, item: PageItem) -> PageItem:
        """Synchronous variant for use outside a crawl (ingest, benchmarks)."""
        return self.apply(item, self._inline(item)) if self.wanted(item) else item

    @staticmethod
    def wanted(item: PageItem) -> bool:
        return item.kind == REPORT and item.status == 200 and not item.unchanged_payload

    @staticmethod
    def _inline(item: PageItem) -> Document | ExtractionError:
        try:
            return analyse(item.body, item.url, item.content_type)
        except ExtractionError as exc:
            return exc

    def apply(self, item: PageItem, result: Document | ExtractionError) -> PageItem:
        if isinstance(result, ExtractionError):
            # The page is still archived and stored; its text is missing, and we say why.
            item.extraction_error = str(result)
            logger.warning("extraction failed for %s: %s", item.url, result)
            if self.crawler is not None:
                self.crawler.stats.inc_value("rightswatch/extraction_errors")
        else:
            item.document = result
        return item
