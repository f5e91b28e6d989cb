"""The outbox: deliveries land with their events, are never duplicated, and are claimed."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from test_alerts_support import (
    ENV,
    FakeClock,
    deliveries,
    figure_event,
    make_db,
    rules_from,
    store_events,
    webhook_rule,
)

from rightswatch.alerts import AlertError, parse_rules, retry, status
from rightswatch.db import Store, open_db, outbox

HOOK = "https://hooks.example.org/a"


def test_deliveries_land_in_the_events_transaction_or_not_at_all(tmp_path: Path) -> None:
    db_path = make_db(tmp_path)
    rules = rules_from(webhook_rule(HOOK))
    db = open_db(db_path)
    store = Store(db)
    event = figure_event(1)
    with pytest.raises(RuntimeError), store.transaction():
        db.conn.execute(
            "INSERT INTO events (id, type, created_at, source_id, dedup_key, payload) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [event["id"], event["type"], event["created_at"], "chrg", "k", json.dumps(event)])
        assert len(outbox.enqueue(db, event, rules)) == 1
        raise RuntimeError("the crawl dies before COMMIT")
    assert store.query("SELECT count(*) AS n FROM deliveries") == [{"n": 0}]
    assert store.query("SELECT count(*) AS n FROM events") == [{"n": 0}]
    db.conn.close()


def test_ids_are_stable_and_one_per_rule_and_target(tmp_path: Path) -> None:
    db = make_db(tmp_path)
    rules = parse_rules([
        webhook_rule(HOOK, name="a"),
        webhook_rule(HOOK, name="b", metrics=["deaths"]),  # does not match
        {"name": "m", "channel": "email", "to": ["x@example.org", "y@example.org"],
         "smtp_host": "mx"},
    ], ENV)
    ids = store_events(db, [figure_event(1)], rules)
    assert len(ids) == 3 and len(set(ids)) == 3
    assert all(i.startswith("dlv_") for i in ids)
    assert store_events(db, [figure_event(1)], rules) == ids  # replay: same ids, no new rows
    assert set(deliveries(db)) == set(ids)
    assert outbox.delivery_id("evt_test0001", "a", HOOK) in ids
    rows = deliveries(db)
    assert {r["rule"] for r in rows.values()} == {"a", "m"}
    assert {r["target"] for r in rows.values() if r["channel"] == "email"} == {
        "x@example.org", "y@example.org"}


def test_backfill_events_get_no_deliveries(tmp_path: Path) -> None:
    db = make_db(tmp_path)
    rules = rules_from(webhook_rule(HOOK))
    assert store_events(db, [figure_event(1)], rules, backfill=True) == []
    assert deliveries(db) == {}


def test_claims_are_exclusive_and_expire(tmp_path: Path) -> None:
    db_path = make_db(tmp_path)
    rules = rules_from(webhook_rule(HOOK))
    clock = FakeClock()
    (did,) = store_events(db_path, [figure_event(1)], rules, now=clock())
    db = open_db(db_path)
    now = clock()
    assert [r["id"] for r in outbox.due(db, now)] == [did]
    assert outbox.claim(db, [did], "a", now, now + timedelta(seconds=60)) == [did]
    assert outbox.claim(db, [did], "b", now, now + timedelta(seconds=60)) == []
    assert outbox.due(db, now) == []
    assert status(db)[0]["state"] == "sending"
    later = now + timedelta(seconds=61)  # a's dispatcher died: its lease ran out
    assert [r["id"] for r in outbox.due(db, later)] == [did]
    assert outbox.claim(db, [did], "b", later, later + timedelta(seconds=60)) == [did]
    assert not outbox.mark_retry(db, did, "late", later, owner="a")  # a lost its claim
    assert outbox.mark_sent(db, [did], later) == 1
    assert deliveries(db_path)[did]["attempts"] == 2
    db.conn.close()


def test_requeue_and_status(tmp_path: Path) -> None:
    db_path = make_db(tmp_path)
    rules = rules_from(webhook_rule(HOOK))
    a, b = store_events(db_path, [figure_event(1), figure_event(2)], rules)
    db = open_db(db_path)
    outbox.mark_failed(db, a, "HTTP 404")
    outbox.disable_target(db, "webhook", HOOK, "HTTP 410", rule="hook")
    rows = {r["id"]: r for r in status(db)}
    assert rows[a]["state"] == "failed" and rows[a]["last_error"] == "HTTP 404"
    assert rows[b]["state"] == "disabled" and rows[b]["event_type"] == "figure.changed"
    assert outbox.counts(db) == {"pending": 0, "sent": 0, "failed": 1, "disabled": 1}
    with pytest.raises(AlertError, match="dlv_nope"):
        retry(db, ["dlv_nope"])
    assert retry(db) == 1  # all failed
    assert retry(db, [b]) == 1  # a disabled one, by id: its target is enabled again
    assert outbox.counts(db)["pending"] == 2
    (c,) = store_events(db_path, [figure_event(3)], rules)
    assert deliveries(db_path)[c]["status"] == "pending"
    db.conn.close()


def test_deliveries_of_removed_rules_fail_with_a_clear_reason(tmp_path: Path) -> None:
    from rightswatch.alerts import Dispatcher

    db = make_db(tmp_path)
    (did,) = store_events(db, [figure_event(1)], rules_from(webhook_rule(HOOK, name="old")))
    report = Dispatcher(db, rules_from(webhook_rule(HOOK, name="new"))).run_once()
    assert report.failed == 1
    assert "no webhook target" in deliveries(db)[did]["last_error"]
