"""Diff stage: what is news in a report, judged against what the database already holds.

Before storing, it marks backfill (a source's first crawl, or a report older than
`backfill_days`), gives every figure its series (metric, region, period key, organisation)
and decides whether a changed text changed in substance (noise rules: view counters,
"updated" stamps…).  The events that depend on a series' history are planned by
`plan_events`, which the store stage calls inside the snapshot's own transaction: two reports
of one series processed at once must not both be its "first value".
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler

from ..changes import (
    Observation,
    SeriesKey,
    claim_of,
    observations_for_snapshot,
    page_event,
    plan_figure_events,
    substantive_change,
)
from ..changes.translations import WINDOW, Version, figure_values, original_of
from ..db import Store, utcnow
from ..db.store import Saved, parse_moment
from ..items import REPORT, PageItem
from .base import DatabaseStage


class DiffPipeline(DatabaseStage):
    def __init__(self, db_path: str | Path, backfill_days: float = 30.0,
                 crawler: Crawler | None = None) -> None:
        self.db_path = Path(db_path)
        self.backfill_days = backfill_days
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DiffPipeline:
        source = getattr(crawler.spider, "source", None)
        days = source.crawl.backfill_days if source is not None else 30.0
        return cls(crawler.settings["RIGHTSWATCH_DB_PATH"], days, crawler)

    def process_item(self, item: PageItem) -> PageItem:
        return self.process(item)

    def process(self, item: PageItem) -> PageItem:
        if item.kind != REPORT:
            return item
        doc = item.document
        published = (doc.published_at if doc is not None else None) or item.published_hint
        item.backfill = item.first_crawl or self._older_than_backfill(published)
        if doc is None:
            return item
        organisation = item.organisation or item.source_id
        claim_figures(item.figures, organisation, published_at=published,
                      site_counts=item.site_counts)
        assert self.store is not None, "open_spider() first"
        previous = self.store.latest_text(item.url)
        item.substantive_edit = (previous is not None and previous != doc.text
                                 and substantive_change(previous, doc.text))
        return item

    def _older_than_backfill(self, published: str | None) -> bool:
        when = parse_moment(published)
        return when is not None and datetime.now(UTC) - when > timedelta(days=self.backfill_days)


def claim_figures(figures: list[dict[str, Any]], organisation: str, *,
                  published_at: str | None, site_counts: bool) -> None:
    """Give each figure dict its claim (rightswatch.changes.series.claim_of): the series it
    has if nothing continues, and what continuation matches on.  The store resolves the
    claims against the figures already stored (rightswatch.db.series)."""
    now = utcnow()
    for fig in figures:
        fig["analysed_at"] = now
        claim = claim_of(fig, organisation, published_at=published_at, site_counts=site_counts)
        if claim is None:
            fig.update(series_id=None, topic=None, claim_org=None, claim_series_id=None)
            continue
        base = claim.base
        fig.update(series_id=base.id, period_key=base.period_key, organisation=base.organisation,
                   topic=claim.topic, claim_org=claim.organisation, claim_series_id=base.id)


# How much of a series' history planning reads: its latest word, with room for reports
# published at the same moment.
HISTORY_SNAPSHOTS = 5


def plan_events(store: Store, item: PageItem, saved: Saved) -> list[dict[str, Any]]:
    """The events of one stored report, complete with ids; call inside the transaction."""
    if item.kind != REPORT or saved.page_id is None:
        return []
    page = store.page_row(saved.page_id) or {}
    snapshot = store.snapshot_row(saved.snapshot_id)
    events: list[dict[str, Any]] = []
    moved = item.redirected_from or saved.duplicate_of  # a report at a new address
    if saved.outcome == "new" and not moved:
        event = page_event("report.new", page, snapshot, backfill=item.backfill)
        original = _original(store, item, page, snapshot)
        if original is not None:
            event["translation_of"] = original
        events.append(event)
    elif saved.outcome == "changed" and item.substantive_edit and snapshot is not None:
        previous = store.previous_snapshot(saved.page_id, snapshot["id"])
        events.append(page_event("report.edited", page, snapshot, backfill=item.backfill,
                                 previous=previous))
    elif saved.outcome == "removed":
        events.append(page_event("report.removed", page, snapshot, backfill=item.backfill))
    if saved.outcome in ("new", "changed") and snapshot is not None:
        events += _figure_events(store, item, snapshot)
    return [_complete(e, store, item, snapshot) for e in events]


def _original(store: Store, item: PageItem, page: dict[str, Any],
              snapshot: dict[str, Any] | None) -> dict[str, Any] | None:
    """The report this new one translates (rightswatch.changes.translations), if any."""
    if snapshot is None or not page.get("id"):
        return None

    def moment(row: dict[str, Any]) -> datetime | None:
        return parse_moment(row.get("published_at")) or parse_moment(row.get("fetched_at"))

    this = Version(page["id"], snapshot.get("lang"), moment(snapshot),
                   figure_values(item.figures))
    if this.moment is None or not this.lang or not this.values:
        return None  # nothing to recognise it by
    # a day either side more than the window: dates are compared as written (time zones)
    margin = WINDOW + timedelta(days=1)
    rows = {r["page_id"]: r for r in store.report_versions(
        item.source_id, page["id"], since=(this.moment - margin).date().isoformat(),
        until=(this.moment + margin).date().isoformat())}
    others = [Version(pid, r["lang"], moment(r), frozenset(round(v, 3) for v in r["values"]))
              for pid, r in rows.items()]
    found = original_of(this, others)
    if found is None:
        return None
    row = rows[found.key]
    return {"url": row["url"], "title": row["title"], "lang": row["lang"],
            "snapshot_id": row["snapshot_id"]}


def _figure_events(store: Store, item: PageItem, snapshot: dict[str, Any]) -> list[dict]:
    in_series = [f for f in item.figures if f.get("series_id")]
    if not in_series:
        return []
    new = observations_for_snapshot(in_series, snapshot,
                                    site_organisation=item.organisation or item.source_id,
                                    source_id=item.source_id)
    rows = store.series_rows({o.series.id for o in new}, exclude_snapshot=snapshot["id"],
                             newest=HISTORY_SNAPSHOTS)
    history = {sid: [_observation(r) for r in found] for sid, found in rows.items()}
    also = store.also_reported(o.series.topic for o in new)
    return plan_figure_events(new, history, backfill=item.backfill, also_reported=also)


def _observation(row: dict[str, Any]) -> Observation:
    return Observation(figure=row, series=SeriesKey.from_id(row["series_id"]),
                       snapshot_id=row["snapshot_id"], page_url=row["url"],
                       source_id=row["source_id"], published_at=row["published_at"],
                       fetched_at=row["fetched_at"], title=row["title"])


def _complete(event: dict[str, Any], store: Store, item: PageItem,
              snapshot: dict[str, Any] | None) -> dict[str, Any]:
    """Add what design.md's Event carries beyond the planner's view: ids, source, evidence."""
    event = dict(event)
    # Derived from the dedup key, so a replayed event has the same id as the stored one.
    event["id"] = "evt_" + hashlib.sha256(event["dedup_key"].encode()).hexdigest()[:24]
    event["created_at"] = utcnow()
    event["source"] = {"id": item.source_id, "name": store.source_name(item.source_id)}
    report = dict(event.get("report") or {})
    if snapshot is not None:
        report.setdefault("title", snapshot.get("title"))
        report["sha256"] = snapshot.get("sha256")
        report["snapshot_id"] = snapshot.get("id")
    event["report"] = report
    return event
