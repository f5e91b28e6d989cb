"""The crawl record: when a crawl of a source ran, what it found, and what went wrong.

Kept by an extension rather than by a pipeline because failures never become items: they
arrive as `page_failed` signals from the spider, and the summary needs the final stats.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from .db import Store, open_db
from .signals import page_failed

logger = logging.getLogger("rightswatch.crawl")

OUTCOME_STAT = "rightswatch/pages/{}"


class CrawlRecorder:
    def __init__(self, crawler: Crawler, progress_interval: float) -> None:
        self.crawler = crawler
        self.store: Store | None = None
        self.crawl_id: int | None = None
        self.errors: list[str] = []
        self.progress_interval = progress_interval
        self._progress: task.LoopingCall | None = None
        self._started = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRecorder:
        if crawler.spidercls.name != "source":
            raise NotConfigured("only SourceSpider crawls are recorded")
        ext = cls(crawler, crawler.settings.getfloat("RIGHTSWATCH_PROGRESS_INTERVAL", 5.0))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.page_failed, signal=page_failed)
        return ext

    @property
    def spider(self) -> Any:
        return self.crawler.spider

    def spider_opened(self) -> None:
        self.store = Store(open_db(self.crawler.settings["RIGHTSWATCH_DB_PATH"]))
        self.crawl_id = self.store.start_crawl(self.spider.source.id, pid=os.getpid())
        self.spider.crawl_id = self.crawl_id
        if self.progress_interval > 0:
            self._progress = task.LoopingCall(self.log_progress)
            self._progress.start(self.progress_interval, now=False)

    def page_failed(self, url: str, kind: str, message: str) -> None:
        self.errors.append(message)
        if self.store is not None:
            self.store.add_crawl_error(self.crawl_id, self.spider.source.id, url, kind, message)

    def counts(self) -> dict[str, int]:
        stats = self.crawler.stats
        counts = {k: int(stats.get_value(OUTCOME_STAT.format(k), 0))
                  for k in ("new", "changed", "unchanged", "removed", "moved", "failed")}
        counts["failed"] += len(self.errors)
        counts["articles_found"] = len(self.spider.articles_found)
        counts["requests"] = int(stats.get_value("downloader/request_count", 0))
        return counts

    def log_progress(self) -> None:
        c = self.counts()
        logger.info(
            "%s: %d requests, %d new, %d changed, %d unchanged, %d failed (%.0fs)",
            self.spider.source.id, c["requests"], c["new"], c["changed"], c["unchanged"],
            c["failed"], time.monotonic() - self._started,
        )

    def spider_closed(self, reason: str) -> None:
        if self._progress is not None and self._progress.running:
            self._progress.stop()
        if self.store is None or self.crawl_id is None:
            return
        spider = self.spider
        status = "ok"
        error = None
        if spider.discovery_failed and not spider.discovery_ok:
            status = "failed"
            error = "; ".join(self.errors[:3]) or "every discovery URL failed"
        elif reason not in ("finished", "closespider_pagecount"):
            # Stopped on request (SIGTERM from the scheduler or an operator) is neither a
            # success nor the source's fault: the next crawl picks up where this one left.
            status = "interrupted" if reason == "shutdown" else "ok"
            error = f"crawl ended early: {reason}"
        elif self.errors:
            more = f" (+{len(self.errors) - 3} more)" if len(self.errors) > 3 else ""
            error = "; ".join(self.errors[:3]) + more
        if spider.budget_exhausted:
            error = (error + "; " if error else "") + (
                f"page budget of {spider.source.crawl.max_pages} requests exhausted")
        stats = {k: v for k, v in self.crawler.stats.get_stats().items()
                 if isinstance(v, int | float | str)}
        self.store.finish_crawl(self.crawl_id, status=status, counts=self.counts(),
                                finish_reason=reason, error=error, stats=stats)
        self.store.close()
        self.log_progress()
