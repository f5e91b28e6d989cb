"""Signed webhooks and apprise through real HTTP receivers on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_alerts_support import (
    SECRET,
    FakeClock,
    Receiver,
    deliveries,
    figure_event,
    make_db,
    rules_from,
    store_events,
    webhook_rule,
)

from rightswatch.alerts import Dispatcher, send_test, verify_signature
from rightswatch.alerts.webhook import parse_retry_after, sign


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loopback requests must not go through a proxy configured in the environment."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                 "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


# -- signatures ----------------------------------------------------------------------------------


def test_verify_signature_accepts_only_the_exact_signed_body_recently() -> None:
    body = b'{"id":"evt_1"}'
    header = sign(SECRET, 1_000_000, body)
    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert verify_signature(SECRET, "1000000", body, header, now=1_000_100)
    assert not verify_signature(SECRET, "1000000", body + b" ", header, now=1_000_100)
    assert not verify_signature("other", "1000000", body, header, now=1_000_100)
    assert not verify_signature(SECRET, "1000001", body, header, now=1_000_100)
    assert not verify_signature(SECRET, "1000000", body, header, now=1_000_000 + 301)
    assert not verify_signature(SECRET, "1000000", body, header, now=1_000_000 - 301)
    assert not verify_signature(SECRET, "soon", body, header, now=1_000_000)
    assert not verify_signature(SECRET, None, body, header)
    assert not verify_signature(SECRET, "1000000", body, "", now=1_000_000)
    rotated = "sha256=" + "0" * 64 + ", " + header
    assert verify_signature(SECRET, 1_000_000, body, rotated, now=1_000_000)


@given(st.binary(max_size=200), st.integers(min_value=0, max_value=2**40))
def test_any_signed_body_verifies(body: bytes, timestamp: int) -> None:
    assert verify_signature(SECRET, str(timestamp), body, sign(SECRET, timestamp, body),
                            now=timestamp)


def test_retry_after_seconds_and_dates() -> None:
    assert parse_retry_after("120") == 120
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    when = datetime(2026, 1, 1, 0, 2, 0).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert parse_retry_after(when, now=datetime(2026, 1, 1, 0, 0, 0).timestamp()) == 120


# -- deliveries ----------------------------------------------------------------------------------


def test_delivery_is_signed_carries_the_event_and_a_stable_id(tmp_path: Path,
                                                              receiver: Receiver) -> None:
    db = make_db(tmp_path)
    rules = rules_from(webhook_rule(receiver.url))
    event = figure_event(1, figure__also_reported_by=["ZMINA"])
    (did,) = store_events(db, [event], rules)
    assert store_events(db, [event], rules) == [did]  # a replay adds nothing
    assert len(deliveries(db)) == 1

    report = Dispatcher(db, rules, clock=FakeClock()).run_once()

    assert report.sent == 1
    (request,) = receiver.requests
    assert request["valid"] and receiver.bad_signatures == 0
    assert request["delivery"] == did
    assert request["event"] == "figure.changed"
    assert request["headers"]["Content-Type"].startswith("application/json")
    assert request["headers"]["X-Rightswatch-Timestamp"].isdigit()
    assert json.loads(request["body"]) == event
    assert deliveries(db)[did]["status"] == "sent"
    assert Dispatcher(db, rules, clock=FakeClock()).run_once().attempted == 0


def test_server_errors_and_rate_limits_are_retried_honouring_retry_after(
        tmp_path: Path, receiver: Receiver) -> None:
    db = make_db(tmp_path)
    clock = FakeClock()
    rules = rules_from(webhook_rule(receiver.url))
    dispatcher = Dispatcher(db, rules, clock=clock, base_delay=30)
    (did,) = store_events(db, [figure_event(1)], rules)
    receiver.script = [("status", 500, {}), ("status", 429, {"Retry-After": "120"})]

    assert dispatcher.run_once().retried == 1
    assert "HTTP 500" in deliveries(db)[did]["last_error"]
    clock.advance(30)
    assert dispatcher.run_once().retried == 1
    row = deliveries(db)[did]
    assert "HTTP 429" in row["last_error"]
    waited = (datetime.fromisoformat(row["next_attempt_at"]) - clock()).total_seconds()
    assert waited == 120
    clock.advance(119)
    assert dispatcher.run_once().attempted == 0
    clock.advance(1)
    assert dispatcher.run_once().sent == 1
    assert receiver.ids() == [did, did, did]  # one delivery, one id, three attempts
    assert receiver.acknowledged == [did]


def test_gone_disables_the_target_for_later_events_too(tmp_path: Path,
                                                       receiver: Receiver) -> None:
    db = make_db(tmp_path)
    rules = rules_from(webhook_rule(receiver.url))
    dispatcher = Dispatcher(db, rules, clock=FakeClock())
    store_events(db, [figure_event(1), figure_event(2)], rules)
    receiver.script = [("status", 410, {})]
    report = dispatcher.run_once()
    assert report.disabled == 2 and len(receiver.requests) == 1
    (later,) = store_events(db, [figure_event(3)], rules)
    assert deliveries(db)[later]["status"] == "disabled"
    assert dispatcher.run_once().attempted == 0
    assert {r["status"] for r in deliveries(db).values()} == {"disabled"}


def test_other_client_errors_fail_without_retry(tmp_path: Path, receiver: Receiver) -> None:
    db = make_db(tmp_path)
    clock = FakeClock()
    rules = rules_from(webhook_rule(receiver.url))
    dispatcher = Dispatcher(db, rules, clock=clock)
    (did,) = store_events(db, [figure_event(1)], rules)
    receiver.script = [("status", 404, {})]
    assert dispatcher.run_once().failed == 1
    clock.advance(86400)
    assert dispatcher.run_once().attempted == 0
    assert deliveries(db)[did]["status"] == "failed"


def test_a_receiver_that_hangs_is_a_timeout_and_retried(tmp_path: Path,
                                                        receiver: Receiver) -> None:
    db = make_db(tmp_path)
    clock = FakeClock()
    rules = rules_from(webhook_rule(receiver.url, timeout=0.3))
    dispatcher = Dispatcher(db, rules, clock=clock)
    (did,) = store_events(db, [figure_event(1)], rules)
    receiver.script = [("sleep", 2)]
    assert dispatcher.run_once().retried == 1
    assert "timed out" in deliveries(db)[did]["last_error"]
    clock.advance(3600)
    assert dispatcher.run_once().sent == 1


def test_receiver_down_then_up_gets_every_delivery_exactly_once(tmp_path: Path) -> None:
    db = make_db(tmp_path)
    clock = FakeClock()
    receiver = Receiver()  # its port is chosen but nothing listens yet
    rules = rules_from(webhook_rule(receiver.url))
    dispatcher = Dispatcher(db, rules, clock=clock, max_attempts=20)
    ids = store_events(db, [figure_event(n) for n in range(1, 11)], rules)
    for _ in range(3):
        report = dispatcher.run_once()
        assert report.retried == 10 and report.sent == 0
        clock.advance(3600)
    assert "unreachable" in deliveries(db)[ids[0]]["last_error"]
    receiver.start()
    try:
        assert dispatcher.run_once().sent == 10
        clock.advance(86400)
        assert dispatcher.run_once().attempted == 0
    finally:
        receiver.stop()
    assert sorted(receiver.ids()) == sorted(ids)
    assert receiver.bad_signatures == 0


def test_two_dispatchers_at_once_never_send_a_delivery_twice(tmp_path: Path,
                                                             receiver: Receiver) -> None:
    db = make_db(tmp_path)
    rules = rules_from(webhook_rule(receiver.url))
    ids = store_events(db, [figure_event(n) for n in range(1, 21)], rules)
    receiver.delay = 0.02
    reports = []

    def run() -> None:
        reports.append(Dispatcher(db, rules).run_once())

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.sent for r in reports) == 20
    assert sorted(receiver.ids()) == sorted(ids)


def test_send_test_reports_a_404_as_a_failure(receiver: Receiver) -> None:
    (rule,) = rules_from(webhook_rule(receiver.url))
    assert send_test(rule).ok
    assert receiver.requests[-1]["event"] == "test" and receiver.requests[-1]["valid"]
    receiver.script = [("status", 404, {})]
    outcome = send_test(rule)
    assert not outcome.ok
    assert "HTTP 404" in outcome.targets[0].detail
    assert "FAIL" in str(outcome)


# -- apprise -------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:'imghdr' is deprecated")
def test_apprise_json_url_reaches_a_loopback_server(tmp_path: Path) -> None:
    receiver = Receiver(secret=None).start()
    try:
        db = make_db(tmp_path)
        rules = rules_from({"name": "chat", "channel": "apprise",
                            "url": f"json://127.0.0.1:{receiver.port}/notify"})
        store_events(db, [figure_event(1, report__title="<b>Review</b>")], rules)
        report = Dispatcher(db, rules, clock=FakeClock()).run_once()
        assert report.sent == 1, report.errors
        (request,) = receiver.requests
        assert request["path"] == "/notify"
        payload = json.loads(request["body"])
        assert payload["title"] == "CHRG · criminal cases, Crimea: 574 → 584 (+10)"
        assert "At least 584 criminal cases" in payload["message"]
        assert "https://crimeahrg.org/en/report-1/" in payload["message"]
    finally:
        receiver.stop()


@pytest.mark.filterwarnings("ignore:'imghdr' is deprecated")
def test_apprise_failure_is_retried(tmp_path: Path) -> None:
    receiver = Receiver(secret=None).start()
    try:
        db = make_db(tmp_path)
        clock = FakeClock()
        rules = rules_from({"name": "chat", "channel": "apprise",
                            "url": f"json://127.0.0.1:{receiver.port}/notify"})
        (did,) = store_events(db, [figure_event(1)], rules)
        receiver.script = [("status", 500, {})]
        dispatcher = Dispatcher(db, rules, clock=clock)
        assert dispatcher.run_once().retried == 1
        assert deliveries(db)[did]["last_error"]
        clock.advance(3600)
        assert dispatcher.run_once().sent == 1
    finally:
        receiver.stop()
