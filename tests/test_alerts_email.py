"""Alert email through a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from test_alerts_support import (
    FakeClock,
    SmtpServer,
    add_snapshot,
    deliveries,
    email_rule,
    figure_event,
    make_db,
    rules_from,
    store_events,
)

from rightswatch.alerts import Dispatcher, RuleError, retry, send_test, status


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def test_one_alert_email_carries_the_evidence_and_escapes_hostile_titles(
        tmp_path: Path, smtp: SmtpServer) -> None:
    db = make_db(tmp_path)
    add_snapshot(db, 42, "archive/rightswatch-20261001.warc.gz", 1234)
    rules = rules_from(email_rule(smtp.url, batch_window=0))
    event = figure_event(1, report__title='<script>alert("x")</script> Review & notes',
                         report__snapshot_id=42,
                         report__url="https://crimeahrg.org/en/review-9/")
    store_events(db, [event], rules)

    report = Dispatcher(db, rules, clock=FakeClock()).run_once()

    assert (report.sent, report.messages) == (1, 1)
    (message,) = smtp.handler.messages
    assert smtp.handler.envelopes == [("rightswatch@example.org", ["analyst@example.org"])]
    assert message["Subject"] == "CHRG · criminal cases, Crimea: 574 → 584 (+10)"
    assert message["To"] == "analyst@example.org"
    assert message["X-Rightswatch-Delivery"] == next(iter(deliveries(db)))
    assert message["Auto-Submitted"] == "auto-generated"
    text, html = parts(message)
    # The hostile title arrives as text, never as markup.
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert '<script>alert("x")</script> Review & notes' in text
    # The evidence: sentence quoted, previous value, links, archived copy, SHA-256.
    for body in (text, html):
        assert "At least 584 criminal cases have been opened." in body
        assert "574" in body and "+10" in body
        assert "https://crimeahrg.org/en/review-9/" in body
        assert "https://crimeahrg.org/en/review-8/" in body  # the previous report
        assert "archive/rightswatch-20261001.warc.gz" in body  # no archive_base_url: WARC
        assert f"{1:064x}" in body
    assert 'href="https://crimeahrg.org/en/review-9/"' in html
    assert deliveries(db)[message["X-Rightswatch-Delivery"]]["status"] == "sent"


def test_archive_link_uses_archive_base_url_and_unsafe_links_are_not_linked(
        tmp_path: Path, smtp: SmtpServer) -> None:
    db = make_db(tmp_path)
    rules = rules_from(email_rule(smtp.url, batch_window=0,
                                  archive_base_url="https://archive.example.org/snapshots/"))
    event = figure_event(2, report__snapshot_id=7, report__url="javascript:alert(1)")
    store_events(db, [event], rules)
    Dispatcher(db, rules, clock=FakeClock()).run_once()
    text, html = parts(smtp.handler.messages[0])
    assert 'href="https://archive.example.org/snapshots/7"' in html
    assert "https://archive.example.org/snapshots/7" in text
    assert 'href="javascript:' not in html


def test_three_events_for_one_recipient_become_one_email(tmp_path: Path,
                                                          smtp: SmtpServer) -> None:
    db = make_db(tmp_path)
    clock = FakeClock()
    rules = rules_from(email_rule(smtp.url, batch_window=300))
    dispatcher = Dispatcher(db, rules, clock=clock)
    store_events(db, [figure_event(1)], rules, now=clock())
    clock.advance(60)
    store_events(db, [figure_event(2)], rules, now=clock())
    assert dispatcher.run_once().sent == 0  # still inside the batching window
    clock.advance(60)
    store_events(db, [figure_event(3)], rules, now=clock())
    clock.advance(200)  # the first event's window has passed

    report = dispatcher.run_once()

    assert (report.sent, report.messages) == (3, 1)
    (message,) = smtp.handler.messages
    assert message["Subject"].startswith("3 alerts · CHRG · criminal cases, Crimea")
    text, html = parts(message)
    for n in (1, 2, 3):
        assert f"At least {583 + n} criminal cases" in text
        assert f"At least {583 + n} criminal cases" in html
    ids = {i.strip() for i in message["X-Rightswatch-Delivery"].split(",")}
    rows = deliveries(db)
    assert ids == set(rows)
    assert {r["status"] for r in rows.values()} == {"sent"}
    assert len({r["delivered_at"] for r in rows.values()}) == 1  # marked sent together


def test_temporary_refusal_backs_off_then_fails_then_retry_delivers(
        tmp_path: Path, smtp: SmtpServer) -> None:
    db = make_db(tmp_path)
    clock = FakeClock()
    rules = rules_from(email_rule(smtp.url, batch_window=0))
    dispatcher = Dispatcher(db, rules, clock=clock, max_attempts=4, base_delay=30,
                            max_delay=3600)
    (did,) = store_events(db, [figure_event(1)], rules, now=clock())
    smtp.handler.refuse = "451 4.3.0 Try again later"

    delays = []
    for attempt in range(1, 4):
        report = dispatcher.run_once()
        assert report.retried == 1
        row = deliveries(db)[did]
        assert row["attempts"] == attempt and row["status"] == "pending"
        assert "451" in row["last_error"]
        due = row["next_attempt_at"]
        assert dispatcher.run_once().attempted == 0  # not due yet: nothing is sent early
        seconds = (clock.now.fromisoformat(due) - clock()).total_seconds()
        ceiling = 30 * 2 ** (attempt - 1)
        assert ceiling / 2 - 1 <= seconds <= ceiling  # exponential, jittered in upper half
        delays.append(seconds)
        clock.advance(seconds)
    report = dispatcher.run_once()
    assert report.failed == 1
    row = deliveries(db)[did]
    assert row["status"] == "failed" and row["attempts"] == 4
    assert [r["id"] for r in status(db)] == [did]
    assert smtp.handler.messages == []

    smtp.handler.refuse = None
    assert retry(db) == 1
    assert dispatcher.run_once().sent == 1
    assert len(smtp.handler.messages) == 1
    assert deliveries(db)[did]["status"] == "sent"
    assert status(db) == []


def test_permanent_refusal_fails_at_once_and_retry_by_id_delivers(
        tmp_path: Path, smtp: SmtpServer) -> None:
    db = make_db(tmp_path)
    rules = rules_from(email_rule(smtp.url, batch_window=0))
    dispatcher = Dispatcher(db, rules, clock=FakeClock())
    (did,) = store_events(db, [figure_event(1)], rules)
    smtp.handler.refuse = "550 5.1.1 No such mailbox"
    assert dispatcher.run_once().failed == 1
    assert "550" in deliveries(db)[did]["last_error"]
    smtp.handler.refuse = None
    assert retry(db, [did]) == 1
    assert dispatcher.run_once().sent == 1
    assert len(smtp.handler.messages) == 1


def test_server_down_then_up_delivers_each_alert_once(tmp_path: Path) -> None:
    db = make_db(tmp_path)
    clock = FakeClock()
    server = SmtpServer()  # not started: connection refused
    rules = rules_from(email_rule(server.url, batch_window=0))
    dispatcher = Dispatcher(db, rules, clock=clock)
    ids = store_events(db, [figure_event(1), figure_event(2)], rules, now=clock())
    report = dispatcher.run_once()
    assert report.retried == 2 and report.sent == 0
    assert "Connection" in deliveries(db)[ids[0]]["last_error"]
    server.start()
    try:
        clock.advance(3600)
        assert dispatcher.run_once().sent == 2
        clock.advance(3600)
        assert dispatcher.run_once().attempted == 0
        assert len(server.handler.messages) == 1  # batch_window 0 still groups what is due
    finally:
        server.stop()


def test_send_test_reports_the_real_outcome(smtp: SmtpServer) -> None:
    (rule,) = rules_from(email_rule(smtp.url))
    outcome = send_test(rule)
    assert outcome.ok, str(outcome)
    (message,) = smtp.handler.messages
    assert "test" in message["Subject"]
    smtp.handler.refuse = "550 no"
    failed = send_test(rule)
    assert not failed.ok and "550" in failed.targets[0].detail


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_login_uses_the_password_from_the_environment(tmp_path: Path) -> None:
    server = SmtpServer(login=("alerts", "pw")).start()
    try:
        db = make_db(tmp_path)
        url = f"smtp://alerts:${{SMTP_PASSWORD}}@127.0.0.1:{server.port}?starttls=0"
        rules = rules_from(email_rule(url, batch_window=0))
        store_events(db, [figure_event(1)], rules)
        assert Dispatcher(db, rules, clock=FakeClock()).run_once().sent == 1
        assert server.logins == [("alerts", True)]
        assert len(server.handler.messages) == 1
        server.login = ("alerts", "rotated")  # the server's password changed: 535
        store_events(db, [figure_event(2)], rules)
        report = Dispatcher(db, rules, clock=FakeClock()).run_once()
        assert report.failed == 1 and "535" in report.errors[0]
    finally:
        server.stop()


def test_a_password_is_never_sent_without_tls_except_on_loopback() -> None:
    with pytest.raises(RuleError, match="without TLS"):
        rules_from(email_rule("smtp://alerts:${SMTP_PASSWORD}@mail.example.org?starttls=0"))


def test_login_and_starttls_settings_are_parsed_from_the_url() -> None:
    (rule,) = rules_from(email_rule("smtp://alerts:${SMTP_PASSWORD}@mail.example.org:2525"))
    assert rule.smtp is not None
    assert (rule.smtp.host, rule.smtp.port, rule.smtp.security) == ("mail.example.org", 2525,
                                                                    "starttls")
    assert (rule.smtp.user, rule.smtp.password) == ("alerts", "pw")
    assert "pw" not in repr(rule)
    (tls,) = rules_from(email_rule("smtps://a:${SMTP_PASSWORD}@mail.example.org"))
    assert tls.smtp is not None and (tls.smtp.security, tls.smtp.port) == ("tls", 465)
    assert re.search(r"starttls", rule.smtp.identity)


def test_alerts_name_what_is_counted_when_no_metric_fits() -> None:
    from rightswatch.alerts.render import headline

    event = {"type": "figure.changed", "source": {"id": "chrg", "name": "CHRG"},
             "figure": {"metric": None, "what": "obituaries", "region": "crimea", "value": 52,
                        "previous_value": 45, "delta": 7, "unit": "count"}}
    assert headline(event) == "CHRG · obituaries, Crimea: 45 → 52 (+7)"
    part = {**event, "figure": {**event["figure"], "metric": "political_prisoners",
                                "what": "serving sentences", "part": True}}
    assert "political prisoners — part: serving sentences" in headline(part)
    share = {**event, "figure": {**event["figure"], "unit": "percent", "value": 36.1,
                                 "previous_value": 30, "delta": 6.1}}
    assert headline(share) == "CHRG · share of obituaries (%), Crimea: 30% → 36.1% (+6.1)"
