"""What `rightswatch alerts test RULE | status | retry [ID…]` do, as plain functions.

The CLI stays a thin click layer: it opens nothing itself, calls one of these and prints.
`send_test` goes through the real channel code and reports the real outcome, so "the test
passed" means a message actually reached the receiver (a webhook answering 404 fails it).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..db import Database, open_db, outbox
from ..db.store import utcnow
from .apprise_channel import send_apprise
from .errors import AlertError
from .mail import send_email
from .render import event_view, render_email, render_short, webhook_body
from .rules import Rule
from .webhook import make_client, post_event


@dataclass(frozen=True)
class TargetOutcome:
    """How the test message to one target went."""

    target: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class TestOutcome:
    """The result of `send_test`: one `TargetOutcome` per target of the rule."""

    __test__ = False  # not a pytest test class, despite the name

    rule: str
    channel: str
    targets: tuple[TargetOutcome, ...]

    @property
    def ok(self) -> bool:
        return bool(self.targets) and all(t.ok for t in self.targets)

    def __str__(self) -> str:
        lines = [f"rule {self.rule!r} ({self.channel}): {'ok' if self.ok else 'FAILED'}"]
        lines += [f"  {'ok  ' if t.ok else 'FAIL'} {t.target}: {t.detail}" for t in self.targets]
        return "\n".join(lines)


def sample_event(rule: Rule) -> dict[str, Any]:
    """A clearly labelled sample event (type `test`) shaped like a real figure change."""
    return {
        "id": f"evt_test_{uuid.uuid4().hex[:16]}",
        "type": "test",
        "rule": rule.name,
        "created_at": utcnow(),
        "source": {"id": "rightswatch", "name": "rightswatch test"},
        "report": {"url": "https://example.org/rightswatch-test", "title":
                   "Test message: your alert rule works", "published_at": None,
                   "sha256": "0" * 64, "snapshot_id": None},
        "figure": {"metric": "criminal_cases", "region": "crimea", "period": None,
                   "value": 583, "previous_value": 574, "previous_url": None,
                   "qualifier": "at_least",
                   "sentence": "This is a test: no figure has changed."},
        "payload_version": 1,
    }


def send_test(rule: Rule) -> TestOutcome:
    """Send a test message through every target of *rule*; report what really happened."""
    event = sample_event(rule)
    view = event_view(event, archive_base_url=rule.archive_base_url)
    results = []
    for target in rule.targets:
        delivery = f"dlv_test_{uuid.uuid4().hex[:16]}"
        try:
            if rule.channel == "email":
                assert rule.smtp is not None
                message = render_email([view], sender=rule.smtp.sender,
                                       recipient=target.address, delivery_ids=[delivery],
                                       rule=rule.name)
                send_email(rule.smtp, message, target.address)
                detail = f"accepted by {rule.smtp.host}:{rule.smtp.port}"
            elif rule.channel == "webhook":
                assert rule.secret is not None
                with make_client(rule.timeout) as client:
                    code = post_event(client, target.address, rule.secret, event_type="test",
                                      delivery_id=delivery, body=webhook_body(event))
                detail = f"HTTP {code}"
            else:
                title, body = render_short(view)
                send_apprise(target.address, title, body, key=target.key)
                detail = "delivered"
        except AlertError as exc:
            results.append(TargetOutcome(target.key, False, str(exc)))
        else:
            results.append(TargetOutcome(target.key, True, detail))
    return TestOutcome(rule.name, rule.channel, tuple(results))


def find_rule(rules: Iterable[Rule], name: str) -> Rule:
    rules = list(rules)
    for rule in rules:
        if rule.name == name:
            return rule
    known = ", ".join(r.name for r in rules) or "none configured"
    raise AlertError(f"no alert rule named {name!r} (known: {known})")


def test(rule: Rule | str, rules: Iterable[Rule] = ()) -> TestOutcome:
    """`rightswatch alerts test RULE`: *rule* is a Rule, or the name of one of *rules*."""
    return send_test(rule if isinstance(rule, Rule) else find_rule(rules, rule))


test.__test__ = False  # type: ignore[attr-defined]  # not a pytest test when imported


def _open(db: str | Path | Database) -> tuple[Database, bool]:
    if isinstance(db, Database):
        return db, False
    return open_db(db), True


def status(db: str | Path | Database) -> list[dict[str, Any]]:
    """`rightswatch alerts status`: deliveries not yet sent (pending, sending, failed,
    disabled), oldest first, with attempts, next attempt and last error."""
    database, owned = _open(db)
    try:
        return outbox.status(database)
    finally:
        if owned:
            database.conn.close()


def retry(db: str | Path | Database, ids: Sequence[str] = ()) -> int:
    """`rightswatch alerts retry [ID…]`: re-queue the given deliveries (default: all failed);
    return how many.  Unknown ids are an error, so a typo is not silently ignored."""
    database, owned = _open(db)
    try:
        unknown = outbox.unknown_ids(database, ids)
        if unknown:
            raise AlertError(f"no such delivery: {', '.join(unknown)}")
        return outbox.requeue(database, list(ids) if ids else None)
    finally:
        if owned:
            database.conn.close()


__all__ = [
    "TargetOutcome",
    "TestOutcome",
    "find_rule",
    "retry",
    "sample_event",
    "send_test",
    "status",
    "test",
]
