"""Archive stage: every response becomes WARC records before anything else looks at it."""

from __future__ import annotations

import logging
from pathlib import Path

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from ..archive import ArchiveError, Original, WarcArchive, payload_sha256
from ..items import PageItem
from .base import DatabaseStage

logger = logging.getLogger(__name__)


def raw(headers: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    """Headers as the bytes that came over the wire (items carry them decoded as latin-1)."""
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]


class ArchivePipeline(DatabaseStage):
    """Writes each PageItem as WARC request/response records; identical payloads as revisits.

    A payload already in the archive (same SHA-256, this crawl or an earlier one) is written
    as a revisit record pointing at the first copy, so unchanged pages cost a few hundred bytes.
    """

    def __init__(self, directory: str | Path, db_path: str | Path, prefix: str = "rightswatch",
                 archive: WarcArchive | None = None) -> None:
        self.directory = Path(directory)
        self.db_path = Path(db_path)
        self.prefix = prefix
        self.archive = archive  # injected (tests, ingest) or opened in open_spider
        self.originals: dict[str, Original] = {}
        self.crawler: Crawler | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        spider = crawler.spider
        source = getattr(spider, "source", None)
        prefix = f"rightswatch-{source.id}" if source is not None else "rightswatch"
        pipeline = cls(crawler.settings["RIGHTSWATCH_ARCHIVE_DIR"],
                       crawler.settings["RIGHTSWATCH_DB_PATH"], prefix)
        pipeline.crawler = crawler
        return pipeline

    def open_spider(self) -> None:
        if self.archive is None:
            self.archive = WarcArchive(self.directory, prefix=self.prefix)
        self.archive.open()
        super().open_spider()

    def close_spider(self) -> None:
        if self.archive is not None:
            self.archive.close()
        super().close_spider()

    def process_item(self, item: PageItem) -> PageItem:
        return self.process(item)

    def process(self, item: PageItem) -> PageItem:
        assert self.archive is not None, "open_spider() first"
        if item.status == 0:  # no response came back: nothing to keep
            return item
        try:
            headers, request_headers = raw(item.headers), raw(item.request_headers)
            if item.status == 304:
                original = self._original(item.previous_sha256) if item.previous_sha256 else None
                if original is None:  # nothing to point at: keep the 304 itself
                    item.archive = self.archive.write_response(
                        item.url, item.status, headers, item.body,
                        request_headers=request_headers, method=item.method,
                        fetched_at=item.fetched_at)
                else:
                    item.archive = self.archive.write_not_modified(
                        item.url, headers, request_headers=request_headers,
                        fetched_at=item.fetched_at, original=original)
                return item
            sha = payload_sha256(item.body)
            item.archive = self.archive.write_response(
                item.url, item.status, headers, item.body,
                request_headers=request_headers, method=item.method,
                fetched_at=item.fetched_at, duplicate_of=self._original(sha))
        except ArchiveError as exc:
            # Not archived means not stored: the next crawl fetches the page again.
            self._stat("rightswatch/archive_errors")
            raise DropItem(f"could not archive {item.url}: {exc}") from exc
        if item.archive.record_type == "response":
            self.originals.setdefault(sha, item.archive.as_original())
        return item

    def _original(self, sha: str) -> Original | None:
        if sha in self.originals:
            return self.originals[sha]
        row = self.store.archived_payload(sha) if self.store is not None else None
        if row is None:
            return None
        original = Original(uri=row["url"], date=row["fetched_at"], sha256=sha,
                            record_id=row["warc_record_id"])
        self.originals[sha] = original
        return original

    def _stat(self, key: str) -> None:
        if self.crawler is not None:
            self.crawler.stats.inc_value(key)
