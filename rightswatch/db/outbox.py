"""The alert outbox: the `deliveries` table as a durable queue.

Why an outbox: a crawl must never talk to SMTP or a webhook (a slow mail server would stall
it, and a crash between "event stored" and "alert sent" would lose the alert).  Instead the
crawl's store writes the event and its deliveries in one transaction (`enqueue`), and the
dispatcher sends them later.  A delivery's life:

    pending ──claim──► pending + claimed_by/claimed_until (a lease: "being sent")
       ▲                 │ sent ─────► sent
       │                 │ transient ─► pending again, next_attempt_at later (backoff)
       │                 │ permanent ─► failed           (or too many attempts)
       │                 │ 410 Gone ──► disabled (and the target remembered as disabled)
       └── requeue ◄─────┘ (operator: `rightswatch alerts retry`)

A dispatcher killed mid-send leaves its lease behind; once `claimed_until` passes (or the
dispatcher is seen to be dead) the delivery is due again, so nothing is lost.  Delivery ids
are stable hashes of (event, rule, target): replaying an event never adds a delivery, and a
receiver that saw a delivery before the crash sees the same id again and can drop it.

Timestamps are ISO-8601 UTC strings with a `Z` (as everywhere in the database), so they
compare correctly as text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from .store import Conn, Moment, _c, _marks, _rows, _ts, iso, parse_ts, transaction

if TYPE_CHECKING:
    from ..alerts.rules import Rule

STATUSES = ("pending", "sent", "failed", "disabled")


def enqueue(conn: Conn, event: Mapping[str, Any], rules: Iterable[Rule], *,
            now: Moment | None = None) -> list[str]:
    """Insert the deliveries of *event* (one per matching rule × target); return their ids.

    Runs inside the caller's open transaction and never commits: the store calls it in the
    transaction that inserts the event, so an event and its deliveries land together or not
    at all.  The event row must exist (deliveries reference it).  Replaying the same event
    returns the same ids and inserts nothing new.  Backfill events never alert.
    """
    c = _c(conn)
    event_id = str(event["id"])
    if event.get("backfill"):
        return []
    row = c.execute("SELECT backfill FROM events WHERE id = ?", [event_id]).fetchone()
    if row is not None and row[0]:
        return []
    created = _ts(now)
    disabled = {(ch, t) for ch, t in c.execute("SELECT channel, target FROM disabled_targets")}
    ids: list[str] = []
    for rule in rules:
        if not rule.matches(event):
            continue
        due = created
        if rule.channel == "email" and rule.batch_window:
            # Wait out the batching window, so a burst of events becomes one email.
            due = iso(parse_ts(created) + timedelta(seconds=rule.batch_window))
        for target in rule.targets:
            did = delivery_id(event_id, rule.name, target.key)
            gone = (rule.channel, target.key) in disabled
            c.execute(
                """INSERT INTO deliveries (id, event_id, rule, channel, target, status, attempts,
                                           next_attempt_at, last_error, created_at)
                   VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?)
                   ON CONFLICT(id) DO NOTHING""",
                [did, event_id, rule.name, rule.channel, target.key,
                 "disabled" if gone else "pending", due,
                 "target disabled (it answered 410 Gone)" if gone else None, created],
            )
            ids.append(did)
    return ids


def delivery_id(event_id: str, rule: str, target_key: str) -> str:
    """Stable id of one delivery: the same event, rule and target always give the same id,
    so replaying an event never duplicates a delivery and receivers can de-duplicate."""
    digest = hashlib.sha256(f"{event_id}\x00{rule}\x00{target_key}".encode()).hexdigest()
    return "dlv_" + digest[:32]


def due(conn: Conn, now: Moment, limit: int = 100, *,
        include_digests: bool = True) -> list[dict[str, Any]]:
    """Pending deliveries (of events, and of digests unless *include_digests* is false)
    whose time has come and that nobody holds a live claim on, oldest first.

    A dispatcher that does not know the `[digest]` settings leaves digest deliveries alone
    for one that does, rather than failing them."""
    at = _ts(now)
    return _rows(_c(conn).execute(
        """SELECT * FROM deliveries
           WHERE status = 'pending'
             AND (event_id IS NOT NULL OR (? AND digest_id IS NOT NULL))
             AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
             AND (claimed_until IS NULL OR claimed_until <= ?)
           ORDER BY next_attempt_at, created_at, id LIMIT ?""",
        [int(include_digests), at, at, limit],
    ))


def pending_for(conn: Conn, channel: str, target: str, now: Moment,
                limit: int = 100) -> list[dict[str, Any]]:
    """Unclaimed pending deliveries to one target, due or not (for batching into one email)."""
    at = _ts(now)
    return _rows(_c(conn).execute(
        """SELECT * FROM deliveries
           WHERE status = 'pending' AND event_id IS NOT NULL AND channel = ? AND target = ?
             AND (claimed_until IS NULL OR claimed_until <= ?)
           ORDER BY created_at, id LIMIT ?""",
        [channel, target, at, limit],
    ))


def claim(conn: Conn, ids: Sequence[str], owner: str, now: Moment,
          until: Moment) -> list[str]:
    """Take a lease on those of *ids* still pending and unclaimed; return the ids taken.

    One UPDATE statement, hence atomic: two dispatchers never both win a delivery.  The
    attempt is counted here, before sending, so a delivery that kills its dispatcher every
    time still runs out of attempts instead of looping forever.
    """
    if not ids:
        return []
    cur = _c(conn).execute(
        f"""UPDATE deliveries SET claimed_by = ?, claimed_until = ?, attempts = attempts + 1
            WHERE id IN ({_marks(len(ids))}) AND status = 'pending'
              AND (claimed_until IS NULL OR claimed_until <= ?)
            RETURNING id""",
        [owner, _ts(until), *ids, _ts(now)],
    )
    taken = {row[0] for row in cur.fetchall()}
    return [i for i in ids if i in taken]


def mark_sent(conn: Conn, ids: Sequence[str], now: Moment | None = None) -> int:
    """Record deliveries as delivered (whoever holds the claim: they did arrive)."""
    if not ids:
        return 0
    cur = _c(conn).execute(
        f"""UPDATE deliveries SET status = 'sent', delivered_at = ?, last_error = NULL,
                   claimed_by = NULL, claimed_until = NULL
            WHERE id IN ({_marks(len(ids))}) AND status != 'sent'""",
        [_ts(now), *ids],
    )
    return cur.rowcount


def mark_retry(conn: Conn, delivery: str, error: str, next_attempt_at: Moment, *,
               owner: str | None = None) -> bool:
    """Release the claim and schedule another attempt (unless the lease went to another)."""
    cur = _c(conn).execute(
        """UPDATE deliveries SET next_attempt_at = ?, last_error = ?, claimed_by = NULL,
                  claimed_until = NULL
           WHERE id = ? AND status = 'pending' AND (? IS NULL OR claimed_by = ?)""",
        [_ts(next_attempt_at), error[:2000], delivery, owner, owner],
    )
    return cur.rowcount == 1


def mark_failed(conn: Conn, delivery: str, error: str, *, owner: str | None = None) -> bool:
    """Give up on a delivery until an operator re-queues it."""
    cur = _c(conn).execute(
        """UPDATE deliveries SET status = 'failed', last_error = ?, claimed_by = NULL,
                  claimed_until = NULL
           WHERE id = ? AND status = 'pending' AND (? IS NULL OR claimed_by = ?)""",
        [error[:2000], delivery, owner, owner],
    )
    return cur.rowcount == 1


def release(conn: Conn, owner: str) -> int:
    """Drop every claim of *owner* (a dispatcher known to be dead) so its work is due now."""
    cur = _c(conn).execute(
        """UPDATE deliveries SET claimed_by = NULL, claimed_until = NULL
           WHERE claimed_by = ? AND status = 'pending'""",
        [owner],
    )
    return cur.rowcount


def claim_owners(conn: Conn, now: Moment) -> list[str]:
    """Owners of live claims."""
    return [row[0] for row in _c(conn).execute(
        """SELECT DISTINCT claimed_by FROM deliveries
           WHERE status = 'pending' AND claimed_by IS NOT NULL AND claimed_until > ?""",
        [_ts(now)],
    )]


def disable_target(conn: Conn, channel: str, target: str, reason: str, *, rule: str = "",
                   now: Moment | None = None) -> int:
    """Stop sending to a target that is gone: its pending deliveries become `disabled`, and
    so will later ones (`enqueue` checks).  `requeue` of one of them re-enables it."""
    with transaction(conn) as c:
        c.execute(
            """INSERT INTO disabled_targets (channel, target, rule, disabled_at, reason)
               VALUES (?, ?, ?, ?, ?)
               ON CONFLICT(channel, target) DO UPDATE SET reason = excluded.reason""",
            [channel, target, rule, _ts(now), reason],
        )
        cur = c.execute(
            """UPDATE deliveries SET status = 'disabled', last_error = ?, claimed_by = NULL,
                      claimed_until = NULL
               WHERE channel = ? AND target = ? AND status = 'pending'""",
            [reason[:2000], channel, target],
        )
        return cur.rowcount


def status(conn: Conn, *, now: Moment | None = None,
           include_sent: bool = False) -> list[dict[str, Any]]:
    """Deliveries that have not (yet) arrived, oldest first, with their event's type
    (`digest` for the delivery of a digest, which has no event).

    `state` is `status`, except that a claimed pending delivery shows as `sending`.
    """
    at = _ts(now)
    where = "" if include_sent else "WHERE d.status != 'sent'"
    rows = _rows(_c(conn).execute(
        f"""SELECT d.id, d.status, d.rule, d.channel, d.target, d.attempts, d.next_attempt_at,
                   d.last_error, d.created_at, d.delivered_at, d.claimed_until, d.event_id,
                   d.digest_id,
                   COALESCE(e.type, CASE WHEN d.digest_id IS NOT NULL THEN 'digest' END)
                       AS event_type, e.source_id
            FROM deliveries d LEFT JOIN events e ON e.id = d.event_id
            {where} ORDER BY d.created_at, d.id"""
    ))
    for row in rows:
        claimed = row.pop("claimed_until")
        live = row["status"] == "pending" and claimed is not None and claimed > at
        row["state"] = "sending" if live else row["status"]
    return rows


def counts(conn: Conn) -> dict[str, int]:
    """How many deliveries are in each status."""
    found = dict(_c(conn).execute("SELECT status, count(*) FROM deliveries GROUP BY status"))
    return {s: int(found.get(s, 0)) for s in STATUSES}


def requeue(conn: Conn, ids: Iterable[str] | None = None) -> int:
    """Make deliveries due at once with a fresh attempt budget; return how many.

    Without ids: every failed delivery.  With ids: those deliveries whatever their state
    (except sent); a disabled one re-enables its target.  "Due at once" is a NULL
    next_attempt_at, so it does not depend on whose clock the dispatcher reads.
    """
    with transaction(conn) as c:
        if ids is None:
            cur = c.execute(
                """UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = NULL,
                          claimed_by = NULL, claimed_until = NULL
                   WHERE status = 'failed'""",
            )
            return cur.rowcount
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return 0
        targets = c.execute(
            f"""SELECT DISTINCT channel, target FROM deliveries
                WHERE id IN ({_marks(len(wanted))}) AND status = 'disabled'""",
            wanted,
        ).fetchall()
        for channel, target in targets:
            c.execute("DELETE FROM disabled_targets WHERE channel = ? AND target = ?",
                      [channel, target])
        cur = c.execute(
            f"""UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = NULL,
                       claimed_by = NULL, claimed_until = NULL
                WHERE id IN ({_marks(len(wanted))}) AND status != 'sent'""",
            wanted,
        )
        return cur.rowcount


def unknown_ids(conn: Conn, ids: Iterable[str]) -> list[str]:
    """Those of *ids* that name no delivery (so the CLI can say so)."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    found = {row[0] for row in _c(conn).execute(
        f"SELECT id FROM deliveries WHERE id IN ({_marks(len(wanted))})", wanted)}
    return [i for i in wanted if i not in found]


__all__ = ["STATUSES", "claim", "claim_owners", "counts", "delivery_id", "disable_target", "due", "enqueue",
           "mark_failed", "mark_retry", "mark_sent", "parse_ts", "pending_for", "release",
           "requeue", "status", "transaction", "unknown_ids"]
