"""Digest queries and writes: what happened in a period, and the digests kept as sent.

A digest summarises *news*, so every query over `events` leaves out backfill events (the
history a first crawl finds).  Periods are half-open, ``since <= created_at < until``: the
scheduler's digests follow each other without gap or overlap, so no event is reported twice.

A digest is stored once, with its charts and its deliveries, in one transaction
(`save_digest`).  Its id is a hash of the period, and its deliveries' ids hashes of (digest,
rule, target): the scheduler firing twice for the same week, or an operator repeating
`rightswatch digest --send`, finds everything already there and queues nothing new.  The
first rendering is the one kept, so a retry days later sends the very same message.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from .outbox import delivery_id
from .store import Conn, Store, _c, _marks, _rows, _ts, transaction

HEALTH_TYPES = ("source.failing", "source.recovered")


def digest_id(period_start: str, period_end: str) -> str:
    """Stable id of the digest of one period (ISO UTC strings, as stored)."""
    seed = f"{period_start}\x00{period_end}".encode()
    return "dig_" + hashlib.sha256(seed).hexdigest()[:24]


def period_events(conn: Conn, since: str, until: str) -> list[dict[str, Any]]:
    """Non-backfill events created in [since, until), oldest first, as their payloads.

    The row's id and created_at win over the payload's, so an event written by an older
    version (or by hand) still carries them.
    """
    rows = _rows(_c(conn).execute(
        """SELECT id, type, created_at, source_id, payload FROM events
           WHERE backfill = 0 AND created_at >= ? AND created_at < ?
           ORDER BY created_at, rowid""",
        [since, until],
    ))
    events = []
    for row in rows:
        try:
            event = json.loads(row["payload"])
        except (TypeError, ValueError):
            event = {}
        if not isinstance(event, dict):
            event = {}
        event.update(id=row["id"], type=row["type"], created_at=row["created_at"])
        event.setdefault("source", {"id": row["source_id"], "name": row["source_id"]})
        events.append(event)
    return events


def failing_sources(conn: Conn, until: str) -> list[dict[str, Any]]:
    """Sources whose latest health transition before *until* is `source.failing`.

    Backfill transitions count here: this is the state of a source, not news, and a source
    that went blind before the period is the one a quiet digest must not hide.
    """
    rows = _rows(_c(conn).execute(
        """SELECT e.id, e.source_id, e.created_at, e.payload FROM events e
           WHERE e.type IN ('source.failing', 'source.recovered') AND e.created_at < ?
             AND e.rowid = (SELECT e2.rowid FROM events e2
                            WHERE e2.source_id = e.source_id AND e2.created_at < ?
                              AND e2.type IN ('source.failing', 'source.recovered')
                            ORDER BY e2.created_at DESC, e2.rowid DESC LIMIT 1)
             AND e.type = 'source.failing'
           ORDER BY e.source_id""",
        [until, until],
    ))
    found = []
    for row in rows:
        event = json.loads(row["payload"])
        event.update(id=row["id"], type="source.failing", created_at=row["created_at"])
        found.append(event)
    return found


def crawl_counts(conn: Conn, since: str, until: str) -> dict[str, dict[str, int]]:
    """Per source: crawls started in [since, until) and how many of them failed.

    A digest with no crawls at all means the scheduler was not running: the reader must
    be able to tell that from a quiet week.
    """
    found: dict[str, dict[str, int]] = {}
    for source_id, total, failed in _c(conn).execute(
            """SELECT source_id, count(*), sum(status = 'failed') FROM crawls
               WHERE started_at >= ? AND started_at < ? GROUP BY source_id
               ORDER BY source_id""", [since, until]):
        found[source_id] = {"crawls": int(total), "failed": int(failed or 0)}
    return found


def source_names(conn: Conn) -> dict[str, str]:
    """Source id -> display name."""
    return {sid: name for sid, name in _c(conn).execute("SELECT id, name FROM sources")}


def archive_locations(conn: Conn, snapshot_ids: Iterable[int]
                      ) -> dict[int, tuple[str, int | None]]:
    """Snapshot id -> (WARC file, record offset), for the snapshots archived in a WARC."""
    ids = sorted({int(i) for i in snapshot_ids})
    found: dict[int, tuple[str, int | None]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for sid, warc, offset in _c(conn).execute(
                f"""SELECT id, warc_file, warc_offset FROM snapshots
                    WHERE id IN ({_marks(len(chunk))}) AND warc_file IS NOT NULL""", chunk):
            found[int(sid)] = (str(warc), offset)
    return found


def series_observations(conn: Conn, series_ids: Iterable[str], until: str
                        ) -> dict[str, list[dict[str, Any]]]:
    """Stored figures of these series (with their snapshots' facts) fetched before *until*.

    What was known at the end of the period: a digest of a past week draws its charts as
    they were that week, not with what arrived since.
    """
    db = conn if isinstance(conn, Database) else Database(_c(conn))
    rows = Store(db).series_rows(series_ids)
    return {sid: [r for r in found if str(r["fetched_at"]) < until]
            for sid, found in rows.items()}


# -- stored digests ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestRecipient:
    """Who a stored digest goes to: the delivery's rule, channel and target key."""

    rule: str
    channel: str
    target: str


@dataclass(frozen=True)
class SavedDigest:
    """What `save_digest` did: whether the digest was new, and its deliveries' ids."""

    digest_id: str
    created: bool
    queued: tuple[str, ...] = ()        # deliveries inserted by this call
    existing: tuple[str, ...] = ()      # deliveries that were already there


@dataclass(frozen=True)
class StoredDigest:
    """A digest as kept in the database (the email's HTML, its text and chart PNGs)."""

    id: str
    period_start: str
    period_end: str
    created_at: str
    subject: str
    html: str
    text: str
    summary: dict[str, Any]
    charts: dict[str, bytes] = field(default_factory=dict)


def save_digest(conn: Conn, *, digest: str, period_start: str, period_end: str, subject: str,
                html: str, text: str, summary: Mapping[str, Any], charts: Mapping[str, bytes],
                recipients: Sequence[DigestRecipient], now: str | None = None) -> SavedDigest:
    """Store a digest, its charts and one pending delivery per recipient: all or nothing.

    Idempotent: an existing digest (same id) is kept as it was, and only deliveries to
    recipients it has not been queued for yet are added.
    """
    created_at = _ts(now)
    queued: list[str] = []
    existing: list[str] = []
    with transaction(conn) as c:
        cur = c.execute(
            """INSERT INTO digests (id, period_start, period_end, created_at, subject, html,
                                    text, summary)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING""",
            [digest, period_start, period_end, created_at, subject, html, text,
             json.dumps(dict(summary), sort_keys=True)],
        )
        created = cur.rowcount == 1
        if created:
            c.executemany(
                """INSERT INTO digest_charts (digest_id, name, png) VALUES (?, ?, ?)
                   ON CONFLICT(digest_id, name) DO NOTHING""",
                [(digest, name, bytes(png)) for name, png in charts.items()],
            )
        for recipient in recipients:
            did = delivery_id(digest, recipient.rule, recipient.target)
            cur = c.execute(
                """INSERT INTO deliveries (id, event_id, digest_id, rule, channel, target,
                                           status, attempts, next_attempt_at, created_at)
                   VALUES (?, NULL, ?, ?, ?, ?, 'pending', 0, ?, ?)
                   ON CONFLICT(id) DO NOTHING""",
                [did, digest, recipient.rule, recipient.channel, recipient.target, created_at,
                 created_at],
            )
            (queued if cur.rowcount == 1 else existing).append(did)
    return SavedDigest(digest, created, tuple(queued), tuple(existing))


def load_digest(conn: Conn, digest: str) -> StoredDigest | None:
    """A stored digest with its charts, or None."""
    c = _c(conn)
    rows = _rows(c.execute("SELECT * FROM digests WHERE id = ?", [digest]))
    if not rows:
        return None
    row = rows[0]
    charts = {str(name): bytes(png) for name, png in c.execute(
        "SELECT name, png FROM digest_charts WHERE digest_id = ? ORDER BY name", [digest])}
    try:
        summary = json.loads(row["summary"] or "{}")
    except ValueError:
        summary = {}
    return StoredDigest(id=row["id"], period_start=row["period_start"],
                        period_end=row["period_end"], created_at=row["created_at"],
                        subject=row["subject"], html=row["html"], text=row["text"],
                        summary=summary if isinstance(summary, dict) else {}, charts=charts)


def digest_deliveries(conn: Conn, digest: str) -> list[dict[str, Any]]:
    """The deliveries of one digest, oldest first."""
    return _rows(_c(conn).execute(
        "SELECT * FROM deliveries WHERE digest_id = ? ORDER BY created_at, id", [digest]))


__all__ = ["HEALTH_TYPES", "DigestRecipient", "SavedDigest", "StoredDigest", "archive_locations",
           "crawl_counts", "digest_deliveries", "digest_id", "failing_sources", "load_digest",
           "period_events", "save_digest", "series_observations", "source_names"]
