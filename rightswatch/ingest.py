"""`rightswatch ingest`: a report received outside a crawl goes through the same stages.

A PDF sent by e-mail, a statement copied from Telegram: archive → extract → figures → diff →
store, exactly as if the crawler had fetched it, so its figures join the same series and its
events (idempotent: ingesting twice changes nothing) go out the same way.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from .archive import WarcArchive
from .config import Config
from .db import Store, open_db
from .items import REPORT, PageItem
from .pipelines.archive import ArchivePipeline
from .pipelines.diff import DiffPipeline
from .pipelines.extract import ExtractPipeline
from .pipelines.figures import FiguresPipeline
from .pipelines.store import StorePipeline

CONTENT_TYPES = {".txt": "text/plain; charset=utf-8", ".html": "text/html",
                 ".htm": "text/html", ".pdf": "application/pdf"}


@dataclass(frozen=True)
class Ingested:
    url: str
    outcome: str
    snapshot_id: int | None
    figures: int
    events: list[dict]


def ingest_file(config: Config, path: str | Path, source_id: str, *, url: str | None = None,
                published: str | None = None) -> Ingested:
    path = Path(path)
    body = path.read_bytes()
    content_type = CONTENT_TYPES.get(path.suffix.lower()) or (
        mimetypes.guess_type(path.name)[0] or "application/octet-stream")
    store = Store(open_db(config.database))
    try:
        store.sync_sources(config.sources)
        known = {s.id: s for s in config.sources}
        if source_id not in known:
            store.ensure_manual_source(source_id)
        organisation = (known[source_id].reporting_organisation
                        if source_id in known else store.source_name(source_id))
        backfill_days = (known[source_id].crawl if source_id in known
                         else config.crawl).backfill_days
        page_url = url or path.resolve().as_uri()
        state = store.page_states(source_id, page_url).get(page_url)
    finally:
        store.close()

    item = PageItem(url=page_url, source_id=source_id, status=200,
                    headers=[("Content-Type", content_type)], body=body,
                    fetched_at=datetime.now(UTC), kind=REPORT, published_hint=published,
                    previous_sha256=state.latest_sha256 if state else None,
                    organisation=organisation,
                    # a document sent by hand is nobody's own count unless its source says so
                    site_counts=known[source_id].counts_its_own if source_id in known else False)
    archive = ArchivePipeline(config.archive_dir, config.database,
                              archive=WarcArchive(config.archive_dir, prefix="rightswatch-ingest"))
    diff = DiffPipeline(config.database, backfill_days)
    stored = StorePipeline(config.database, rules=config.alerts)
    for stage in (archive, diff, stored):
        stage.open_spider()
    try:
        archive.process(item)
        ExtractPipeline().process(item)
        if published and item.document is not None:
            # The sender knows when it was published better than the file's metadata does.
            item.document = replace(item.document, published_at=published)
        FiguresPipeline(metrics=config.metrics).process(item)
        diff.process(item)
        saved = stored.process(item)
    finally:
        for stage in (archive, diff, stored):
            stage.close_spider()
    return Ingested(page_url, saved.outcome, saved.snapshot_id, len(item.figures),
                    stored.recorded)
