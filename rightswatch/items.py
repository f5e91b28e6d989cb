"""The item a spider yields for every fetched page, and what the stages add to it.

One dataclass travels through archive → extract → (figures → diff) → store; each stage fills
its own fields, so a stage can be tested by constructing the item directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Page kinds: reports are what monitors read; the others are archived discovery documents.
REPORT, LISTING, FEED, SITEMAP = "report", "listing", "feed", "sitemap"


@dataclass(repr=False)
class PageItem:
    url: str
    source_id: str
    status: int                          # HTTP status; 0: the page could not be fetched
    headers: list[tuple[str, str]]
    body: bytes
    fetched_at: datetime
    kind: str = REPORT
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    method: str = "GET"
    redirected_from: tuple[str, ...] = ()
    published_hint: str | None = None
    previous_sha256: str | None = None   # payload hash of the last fetch, for short-circuits
    first_crawl: bool = False            # the source was never crawled successfully before
    organisation: str | None = None      # who publishes the site (series of unattributed figures)
    site_counts: bool = True             # an organisation's own site (config.Source.counts_its_own)
    # Filled by the stages:
    archive: Any = None                  # rightswatch.archive.ArchiveRecord
    document: Any = None                 # rightswatch.extraction.Document
    extraction_error: str | None = None
    figures: list[Any] = field(default_factory=list)
    backfill: bool = False               # history, not news: its events never alert
    substantive_edit: bool = False       # the text changed beyond noise since the last version
    outcome: str | None = None           # new | changed | unchanged | removed | failed

    def __repr__(self) -> str:
        # Scrapy logs every item; a body dump per page would cost more than the page.
        return (f"PageItem({self.kind} {self.status} {self.url} {len(self.body)} bytes"
                f"{', ' + self.outcome if self.outcome else ''})")

    def header(self, name: str) -> str | None:
        """The first response header called *name* (case-insensitive), or None."""
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    @property
    def content_type(self) -> str | None:
        return self.header("Content-Type")

    @property
    def sha256(self) -> str | None:
        return self.archive.sha256 if self.archive is not None else None

    @property
    def unchanged_payload(self) -> bool:
        """The bytes are those of the last fetch: later stages can skip their work."""
        return self.status == 304 or (
            self.previous_sha256 is not None and self.sha256 == self.previous_sha256
        )
