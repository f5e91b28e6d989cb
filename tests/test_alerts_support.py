"""Real loopback servers and small fixtures shared by the alert tests (no tests in here).

An SMTP server (aiosmtpd) that can refuse on purpose, a webhook receiver (http.server) that
verifies every signature with the shipped `verify_signature` and can fail on purpose, a
controllable clock, and a database with events stored the way the pipeline's store does it
(event and deliveries in one transaction).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rightswatch.alerts.rules import Rule, parse_rules
from rightswatch.db import Store, open_db, outbox
from rightswatch.demo.receivers import Receiver as _Receiver
from rightswatch.demo.receivers import SmtpServer, free_port

__all__ = ["SmtpServer", "free_port"]  # re-exported for the alert tests

SECRET = "s3cret-for-tests"
ENV = {"HOOK_SECRET": SECRET, "SMTP_PASSWORD": "pw"}


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    """Poll until *predicate* holds; fail the test if it never does (a bound, not a timing)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.02)


class FakeClock:
    """An injectable clock: tests move time instead of sleeping."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


# -- events and database -----------------------------------------------------------------------


def figure_event(n: int = 1, **overrides: Any) -> dict[str, Any]:
    """A figure.changed event as design.md shapes it; *overrides* replace top-level keys,
    `figure__x` / `report__x` / `source__x` replace nested ones."""
    event: dict[str, Any] = {
        "id": f"evt_test{n:04d}",
        "type": "figure.changed",
        "created_at": f"2026-10-01T10:{n % 60:02d}:00Z",
        "source": {"id": "chrg", "name": "Crimean Human Rights Group"},
        "report": {"url": f"https://crimeahrg.org/en/report-{n}/",
                   "title": f"Monitoring review no. {n}",
                   "published_at": "2026-10-01", "sha256": f"{n:064x}", "snapshot_id": None},
        "figure": {"metric": "criminal_cases", "region": "crimea", "period": "since 2015",
                   "value": 583 + n, "previous_value": 574, "qualifier": "at_least",
                   "previous_url": "https://crimeahrg.org/en/review-8/",
                   "sentence": f"At least {583 + n} criminal cases have been opened."},
        "payload_version": 1,
    }
    for key, value in overrides.items():
        if "__" in key:
            outer, inner = key.split("__", 1)
            event[outer][inner] = value
        else:
            event[key] = value
    return event


def make_db(tmp_path: Path) -> Path:
    path = tmp_path / "rightswatch.db"
    db = open_db(path)
    now = "2026-01-01T00:00:00Z"
    for sid, name in (("chrg", "Crimean Human Rights Group"), ("zmina", "ZMINA")):
        db.conn.execute("INSERT INTO sources (id, name, created_at, updated_at) "
                        "VALUES (?, ?, ?, ?)", [sid, name, now, now])
    db.conn.close()
    return path


def add_snapshot(db_path: Path, snapshot_id: int, warc_file: str, offset: int) -> None:
    db = open_db(db_path)
    now = "2026-01-01T00:00:00Z"
    url = f"https://crimeahrg.org/en/snap-{snapshot_id}/"
    cur = db.conn.execute("INSERT INTO pages (source_id, url, first_seen_at) VALUES (?, ?, ?)",
                          ["chrg", url, now])
    db.conn.execute(
        """INSERT INTO snapshots (id, page_id, source_id, url, fetched_at, http_status, size,
                                  sha256, warc_file, warc_offset)
           VALUES (?, ?, 'chrg', ?, ?, 200, 1, ?, ?, ?)""",
        [snapshot_id, cur.lastrowid, url, now, "ab" * 32, warc_file, offset])
    db.conn.close()


def store_events(db_path: Path, events: Iterable[dict[str, Any]], rules: Sequence[Rule], *,
                 now: datetime | None = None, backfill: bool = False) -> list[str]:
    """Store events as the pipeline's store does: event rows and their deliveries in one
    transaction.  Return the delivery ids.

    Without *now* they are stored an hour ago, so they are due for any clock a test starts
    (a test about timing passes its clock's time).
    """
    now = now or datetime.now(UTC) - timedelta(hours=1)
    db = open_db(db_path)
    store = Store(db)
    ids: list[str] = []
    try:
        with store.transaction():
            for event in events:
                db.conn.execute(
                    """INSERT INTO events (id, type, created_at, source_id, dedup_key, backfill,
                                           payload) VALUES (?, ?, ?, ?, ?, ?, ?)
                       ON CONFLICT(id) DO NOTHING""",
                    [event["id"], event["type"], event["created_at"], event["source"]["id"],
                     "dedup:" + event["id"], int(backfill), json.dumps(event)])
                ids += outbox.enqueue(db, event, rules, now=now)
    finally:
        db.conn.close()
    return ids


def deliveries(db_path: Path) -> dict[str, dict[str, Any]]:
    db = open_db(db_path)
    try:
        return {row["id"]: row for row in Store(db).query("SELECT * FROM deliveries")}
    finally:
        db.conn.close()


def rules_from(*tables: dict[str, Any]) -> list[Rule]:
    return parse_rules(list(tables), ENV)


# -- SMTP ----------------------------------------------------------------------------------------


class Receiver(_Receiver):
    """The package's receiver, verifying with the tests' secret unless told otherwise."""

    def __init__(self, secret: str | None = SECRET, port: int | None = None) -> None:
        super().__init__(secret, port)


def webhook_rule(url: str, name: str = "hook", **extra: Any) -> dict[str, Any]:
    return {"name": name, "channel": "webhook", "url": url, "secret": "${HOOK_SECRET}",
            "timeout": 10, **extra}  # loopback under a loaded CI: ample


def email_rule(smtp_url: str, name: str = "mail", **extra: Any) -> dict[str, Any]:
    return {"name": name, "channel": "email", "to": ["analyst@example.org"],
            "from": "rightswatch@example.org", "smtp_url": smtp_url, "timeout": 5, **extra}
