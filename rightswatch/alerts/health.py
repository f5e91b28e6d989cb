"""Source health: notice when a watched site stops yielding reports, and when it is back.

A monitor's worst failure is silence that looks like "nothing new": the site blocks us, or
its redesign makes the listing selector match nothing, and the crawl finishes "ok" with zero
articles.  `plan_health_events` replays a source's crawl history (pure: plain dicts in,
events out) through a two-state machine::

    healthy ──(N failed crawls in a row, or an ok crawl finding < drop_ratio × median)──►
    failing ──(an ok crawl finding a normal number of articles)──► healthy

and emits `source.failing` / `source.recovered` at each transition.  Each transition has a
dedup key built from the crawl that started it, so replaying the same history yields the
same keys: the store's UNIQUE(dedup_key) makes a failing state alert once, however often
the plan is recomputed.  Crawls still running or interrupted (shutdown, timeout of the
scheduler itself) say nothing about the site and are skipped.

The "normal" number is the median of the last `baseline` healthy ok crawls, once there are
`min_history` of them; crawls judged dropped never enter the baseline, so a broken layout
cannot slowly redefine normal as zero.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from statistics import median
from typing import Any

from ..db import outbox
from ..db.store import utcnow
from .rules import Rule


def _event(kind: str, source: Mapping[str, Any], crawl: Mapping[str, Any], dedup_key: str,
           health: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "evt_" + hashlib.sha256(dedup_key.encode()).hexdigest()[:24],
        "type": kind,
        "created_at": crawl.get("finished_at") or crawl.get("started_at") or utcnow(),
        "source": {"id": source.get("id"), "name": source.get("name") or source.get("id")},
        "health": health,
        "payload_version": 1,
        "dedup_key": dedup_key,
    }


def plan_health_events(source: Mapping[str, Any], crawls: Sequence[Mapping[str, Any]], *,
                       failures: int = 3, drop_ratio: float = 0.2, min_history: int = 3,
                       baseline: int = 10) -> list[dict[str, Any]]:
    """Every health transition in *crawls* (any order; pass the whole history, or at least
    everything since the current failing episode began), oldest first.

    Each event is a design.md Event plus `health` (reason, message, last_error, since,
    crawl_id, …) and its `dedup_key`.
    """
    sid = source.get("id")
    ordered = sorted(crawls, key=lambda c: (str(c.get("started_at") or ""), c.get("id") or 0))
    events: list[dict[str, Any]] = []
    healthy_counts: list[int] = []
    streak: list[Mapping[str, Any]] = []
    failing_since: str | None = None

    for crawl in ordered:
        status = crawl.get("status")
        if status == "failed":
            streak.append(crawl)
            if failing_since is None and len(streak) >= failures:
                first = streak[0]
                failing_since = str(first.get("started_at"))
                last_error = crawl.get("error") or crawl.get("finish_reason") or "unknown error"
                events.append(_event("source.failing", source, crawl,
                                     f"source.failing:{sid}:{first.get('id')}", {
                    "reason": "crawl_errors",
                    "message": f"{len(streak)} crawls failed in a row",
                    "last_error": str(last_error),
                    "consecutive_failures": len(streak),
                    "since": failing_since,
                    "crawl_id": crawl.get("id"),
                }))
            continue
        if status != "ok":
            continue
        streak = []
        found = int(crawl.get("articles_found") or 0)
        history = healthy_counts[-baseline:]
        normal = median(history) if len(history) >= min_history else None
        if normal is not None and normal > 0 and found < drop_ratio * normal:
            if failing_since is None:
                failing_since = str(crawl.get("started_at"))
                events.append(_event("source.failing", source, crawl,
                                     f"source.failing:{sid}:{crawl.get('id')}", {
                    "reason": "articles_dropped",
                    "message": (f"found {found} articles where it usually finds "
                                f"{normal:g} (has the site's layout changed?)"),
                    "last_error": str(crawl.get("error") or
                                      "the crawl succeeded but found almost no articles"),
                    "articles_found": found,
                    "median_articles": normal,
                    "since": failing_since,
                    "crawl_id": crawl.get("id"),
                }))
            continue
        healthy_counts.append(found)
        if failing_since is not None:
            events.append(_event("source.recovered", source, crawl,
                                 f"source.recovered:{sid}:{crawl.get('id')}", {
                "reason": "recovered",
                "message": f"crawling works again ({found} articles found)",
                "articles_found": found,
                "since": failing_since,
                "crawl_id": crawl.get("id"),
            }))
            failing_since = None
    return events


def record_health_events(db: Any, source_id: str, rules: Iterable[Rule],
                         **options: Any) -> list[str]:
    """Plan a source's health events from its stored crawls, store the new ones and their
    deliveries in one transaction; return the ids of events that will alert.

    Only the latest transition describes the present, so older ones found for the first
    time (e.g. on an existing database) are stored as backfill and never alert.
    *db* is a sqlite_utils Database or a sqlite3 connection; call it after each crawl.
    """
    rules = list(rules)
    with outbox.transaction(db) as conn:
        row = conn.execute("SELECT id, name FROM sources WHERE id = ?", [source_id]).fetchone()
        if row is None:
            return []
        source = {"id": row[0], "name": row[1]}
        cur = conn.execute("""SELECT id, started_at, finished_at, status, articles_found, error,
                                     finish_reason FROM crawls WHERE source_id = ?""",
                           [source_id])
        names = [d[0] for d in cur.description]
        crawls = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        planned = plan_health_events(source, crawls, **options)
        alerting: list[str] = []
        for i, event in enumerate(planned):
            backfill = i < len(planned) - 1
            cur = conn.execute(
                """INSERT INTO events (id, type, created_at, source_id, dedup_key, backfill,
                                       payload)
                   VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING""",
                [event["id"], event["type"], event["created_at"], source_id,
                 event["dedup_key"], int(backfill), json.dumps(event, ensure_ascii=False)],
            )
            if cur.rowcount and not backfill:
                outbox.enqueue(conn, event, rules)
                alerting.append(event["id"])
        return alerting


__all__ = ["plan_health_events", "record_health_events"]
