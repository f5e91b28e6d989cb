"""Store stage: the item's page, snapshot, figures, events and deliveries in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler

from ..db import outbox
from ..db.series import resolve_snapshot
from ..db.store import Fetch, Saved, iso
from ..extensions import OUTCOME_STAT
from ..items import REPORT, PageItem
from .base import DatabaseStage
from .diff import plan_events


def to_fetch(item: PageItem, crawl_id: int | None, removed_after: int = 3) -> Fetch:
    doc = item.document
    record = item.archive
    return Fetch(
        source_id=item.source_id,
        url=item.url,
        kind=item.kind,
        status=item.status,
        fetched_at=iso(item.fetched_at),
        sha256=item.sha256,
        size=len(item.body),
        content_type=item.content_type,
        etag=item.header("ETag"),
        last_modified=item.header("Last-Modified"),
        warc_file=record.filename if record else None,
        warc_offset=record.offset if record else None,
        warc_length=record.length if record else None,
        warc_record_id=record.record_id if record else None,
        warc_record_type=record.record_type if record else None,
        doc_kind=doc.kind if doc else item.kind if item.kind != REPORT else None,
        title=doc.title if doc else None,
        published_at=(doc.published_at if doc and doc.published_at else item.published_hint),
        lang=doc.lang if doc else None,
        encoding=doc.encoding if doc else None,
        text=doc.text if doc else None,
        extraction_error=item.extraction_error,
        redirected_from=item.redirected_from,
        crawl_id=crawl_id,
        figures=tuple(item.figures),
        removed_after=removed_after,
    )


class StorePipeline(DatabaseStage):
    def __init__(self, db_path: str | Path, crawler: Crawler | None = None,
                 rules: Sequence[Any] = (), removed_after: int = 3) -> None:
        self.db_path = Path(db_path)
        self.rules = list(rules)  # [[alert]] rules: deliveries are queued with each event
        self.removed_after = removed_after
        self.crawler = crawler
        self.recorded: list[dict] = []  # events this stage stored (replays excluded)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        config = getattr(crawler.spider, "config", None)
        source = getattr(crawler.spider, "source", None)
        return cls(crawler.settings["RIGHTSWATCH_DB_PATH"], crawler,
                   config.alerts if config is not None else (),
                   source.crawl.removed_after_failures if source is not None else 3)

    def process_item(self, item: PageItem) -> PageItem:
        crawl_id = getattr(self.crawler.spider, "crawl_id", None) if self.crawler else None
        saved = self.process(item, crawl_id)
        # A fetch failure is already counted by the crawl record when it happens.
        if self.crawler is not None and item.kind == REPORT and (
                item.status != 0 or saved.outcome == "removed"):
            self.crawler.stats.inc_value(OUTCOME_STAT.format(saved.outcome))
            if item.redirected_from:
                self.crawler.stats.inc_value(OUTCOME_STAT.format("moved"))
        return item

    def process(self, item: PageItem, crawl_id: int | None = None) -> Saved:
        """Page, snapshot, figures and their events: one transaction, all or nothing."""
        assert self.store is not None, "open_spider() first"
        with self.store.transaction():
            saved = self.store.save_fetch(to_fetch(item, crawl_id, self.removed_after))
            if saved.outcome in ("new", "changed") and saved.snapshot_id is not None:
                resolve_snapshot(self.store, {"id": saved.snapshot_id}, item.figures)
            for event in plan_events(self.store, item, saved):
                if self.store.insert_event(event, page_id=saved.page_id):
                    # The outbox: deliveries land with their event, or neither does.
                    outbox.enqueue(self.store.conn, event, self.rules)
                    self.recorded.append(event)
                    if self.crawler is not None:
                        self.crawler.stats.inc_value(f"rightswatch/events/{event['type']}")
        item.outcome = saved.outcome
        return saved
