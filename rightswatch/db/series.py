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

from ..changes.series import Claim, SeriesKey
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


# order_key() as one string that sorts like the tuple (a separator below every printable
# character, the snapshot id zero-padded): stored on each figure so the database can find
# "the latest named figure at or before" with an index instead of reading a whole topic.
_SEP = "\x01"


def order_text(key: OrderKey) -> str:
    return f"{key[0]}{_SEP}{key[1]}{_SEP}{key[2]:012d}"


ORDER_SQL = ("coalesce(s.published_at, s.fetched_at) || char(1) || "
             "CASE WHEN s.published_at IS NOT NULL THEN s.url ELSE s.fetched_at END || char(1) || "
             "printf('%012d', s.id)")


def _latest_named(store: Store, claim: Claim, at: str) -> SeriesKey:
    """resolve_claim over the database: the latest figure of the claim's topic and period
    that names its organisation, at or before *at*."""
    row = store.conn.execute(
        """SELECT organisation FROM figures
           WHERE topic = ? AND period_key = ? AND claim_org IS NOT NULL AND order_key <= ?
           ORDER BY order_key DESC LIMIT 1""",
        [claim.topic, claim.base.period_key, at]).fetchone()
    if row is None:
        return claim.base
    b = claim.base
    return SeriesKey(b.metric, b.region, b.period_key, row[0], b.population, b.what, b.unit,
                     b.part)


def _apply(store: Store, figure_id: int, key: SeriesKey) -> None:
    store.conn.execute(
        "UPDATE figures SET series_id = ?, organisation = ?, period_key = ? WHERE id = ?",
        [key.id, key.organisation, key.period_key, figure_id])


def resolve_snapshot(store: Store, snapshot: Mapping[str, Any],
                     figures: Iterable[MutableMapping[str, Any]] = ()) -> set[str]:
    """Resolve the series of a just stored snapshot's figures, and re-resolve the figures
    that continue a series after them.  *figures* (the item's dicts) get the resolved ids
    too.  Returns the topics touched.  Call inside the snapshot's transaction.

    Only a figure that names its organisation can move others: the continuing figures of
    its topic and period published after it, up to the next named one.  Every lookup is an
    index range, so storing a report costs the same however many figures a topic holds.
    Figures replaced by ``figures reanalyse`` are handled by re-analysing in publication
    order.
    """
    snap = store.conn.execute(
        "SELECT id, url, published_at, fetched_at FROM snapshots WHERE id = ?",
        [snapshot["id"]]).fetchone()
    if snap is None:
        return set()
    at = order_text(order_key({"snapshot_id": snap[0], "url": snap[1], "published_at": snap[2],
                               "fetched_at": snap[3]}))
    store.conn.execute("UPDATE figures SET order_key = ? WHERE snapshot_id = ?",
                       [at, snapshot["id"]])
    rows = store.query(
        """SELECT id, figure_key, topic, claim_org, claim_series_id, series_id
            FROM figures WHERE snapshot_id = ? AND topic IS NOT NULL""", [snapshot["id"]])
    by_key = {f.get("id"): f for f in figures}
    topics: set[str] = set()
    arrivals: set[tuple[str, str]] = set()  # (topic, period key) a named figure came to
    for row in rows:
        claim = claim_of_row(row)
        if claim is None:
            continue
        topics.add(claim.topic)
        if claim.resolved:
            key = claim.base
            arrivals.add((claim.topic, key.period_key))
        else:
            key = _latest_named(store, claim, at)
        if key.id != row["series_id"]:
            _apply(store, row["id"], key)
        fig = by_key.get(row["figure_key"])
        if fig is not None:
            fig.update(series_id=key.id, organisation=key.organisation,
                       period_key=key.period_key)
    for topic, period_key in sorted(arrivals):
        _reresolve_after(store, topic, period_key, at)
    return topics


def _reresolve_after(store: Store, topic: str, period_key: str, at: str) -> int:
    """The continuing figures a named figure stored at *at* may have taken over."""
    nxt = store.conn.execute(
        """SELECT order_key FROM figures
           WHERE topic = ? AND period_key = ? AND claim_org IS NOT NULL AND order_key > ?
           ORDER BY order_key LIMIT 1""", [topic, period_key, at]).fetchone()
    sql = """SELECT id, topic, claim_org, claim_series_id, series_id, order_key FROM figures
             WHERE topic = ? AND period_key = ? AND claim_org IS NULL AND order_key >= ?"""
    params: list[Any] = [topic, period_key, at]
    if nxt is not None:
        sql += " AND order_key < ?"
        params.append(nxt[0])
    return _reresolve(store, store.query(sql, params))


def reresolve_topic(store: Store, topic: str) -> int:
    """Resolve every continuing figure of *topic* again; the number moved."""
    return _reresolve(store, store.query(
        """SELECT id, topic, claim_org, claim_series_id, series_id, order_key FROM figures
           WHERE topic = ? AND claim_org IS NULL""", [topic]))


def _reresolve(store: Store, rows: list[dict[str, Any]]) -> int:
    moved = 0
    for row in rows:
        claim = claim_of_row(row)
        if claim is None or row["order_key"] is None:
            continue
        key = _latest_named(store, claim, row["order_key"])
        if key.id != row["series_id"]:
            _apply(store, row["id"], key)
            moved += 1
    return moved


__all__ = ["ORDER_SQL", "claim_of_row", "order_key", "order_text", "reresolve_topic",
           "resolve_snapshot"]
