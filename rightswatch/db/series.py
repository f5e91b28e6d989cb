"""Series continuation in the database: which series a figure with a generic attribution
continues (rightswatch.changes.series.resolve_claim).

Continuation follows publication order, so it is resolved again whenever a figure that
names its organisation arrives: a named report crawled late moves the
continuing figures published after it into its series.  Figures keep every other field;
only ``series_id`` and ``organisation`` follow the resolution.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

from ..changes.series import Claim, SeriesKey, resolve_claim
from .store import Store

OrderKey = tuple[str, str, int]


def order_key(row: Mapping[str, Any]) -> OrderKey:
    """Observation.order_key of a figures-joined-snapshots row."""
    published = row.get("published_at")
    tie = row["url"] if published else row["fetched_at"]
    return (published or row["fetched_at"], tie, int(row["snapshot_id"]))


def claim_of_row(row: Mapping[str, Any]) -> Claim | None:
    if not row.get("topic") or not row.get("claim_series_id"):
        return None
    return Claim(SeriesKey.from_id(row["claim_series_id"]), row.get("claim_org"), row["topic"])


def _named(store: Store, topic: str) -> list[tuple[OrderKey, str, str]]:
    rows = store.query(
        """SELECT f.organisation, f.period_key, f.snapshot_id, s.url, s.published_at,
                  s.fetched_at
           FROM figures f JOIN snapshots s ON s.id = f.snapshot_id
           WHERE f.topic = ? AND f.claim_org IS NOT NULL""", [topic])
    return [(order_key(r), r["organisation"], r["period_key"]) for r in rows]


def _apply(store: Store, figure_id: int, key: SeriesKey) -> None:
    store.conn.execute(
        "UPDATE figures SET series_id = ?, organisation = ?, period_key = ? WHERE id = ?",
        [key.id, key.organisation, key.period_key, figure_id])


def resolve_snapshot(store: Store, snapshot: Mapping[str, Any],
                     figures: Iterable[MutableMapping[str, Any]] = ()) -> set[str]:
    """Resolve the series of a just stored snapshot's figures, and re-resolve the figures
    that continue a series after them.  *figures* (the item's dicts) get the resolved ids
    too.  Returns the topics touched.  Call inside the snapshot's transaction."""
    rows = store.query(
        """SELECT f.id, f.figure_key, f.topic, f.claim_org, f.claim_series_id, f.series_id,
                   f.snapshot_id, s.url, s.published_at, s.fetched_at
            FROM figures f JOIN snapshots s ON s.id = f.snapshot_id
            WHERE f.snapshot_id = ? AND f.topic IS NOT NULL""", [snapshot["id"]])
    by_key = {f.get("id"): f for f in figures}
    topics: set[str] = set()
    for row in rows:
        claim = claim_of_row(row)
        if claim is None:
            continue
        topics.add(claim.topic)
        key = claim.base if claim.resolved else resolve_claim(
            claim, _named(store, claim.topic), order_key(row))
        if key.id != row["series_id"]:
            _apply(store, row["id"], key)
        fig = by_key.get(row["figure_key"])
        if fig is not None:
            fig.update(series_id=key.id, organisation=key.organisation,
                       period_key=key.period_key)
    for topic in topics:
        reresolve_topic(store, topic)
    return topics


def reresolve_topic(store: Store, topic: str) -> int:
    """Resolve every continuing figure of *topic* again, oldest first; the number moved."""
    rows = store.query(
        """SELECT f.id, f.topic, f.claim_org, f.claim_series_id, f.series_id, f.snapshot_id,
                  s.url, s.published_at, s.fetched_at
           FROM figures f JOIN snapshots s ON s.id = f.snapshot_id
           WHERE f.topic = ? AND f.claim_org IS NULL""", [topic])
    moved = 0
    named = _named(store, topic)
    for row in rows:
        claim = claim_of_row(row)
        if claim is None:
            continue
        key = resolve_claim(claim, named, order_key(row))
        if key.id != row["series_id"]:
            _apply(store, row["id"], key)
            moved += 1
    return moved


__all__ = ["claim_of_row", "order_key", "reresolve_topic", "resolve_snapshot"]
