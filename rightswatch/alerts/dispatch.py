"""The dispatcher: sends what the outbox says is due, and never loses a delivery.

Guarantees, and how they are kept:

* **Nothing is lost.**  A delivery leaves `pending` only after its channel confirmed it
  (`sent`), refused it for good (`failed`, `disabled`) or ran out of attempts (`failed`); an
  operator can re-queue those.  A dispatcher killed at any point leaves at most a lease
  (`claimed_until`) behind, which expires; claims of a dispatcher on this host whose process
  is gone are released at once, so a restart resumes immediately.
* **At most one sender at a time.**  A delivery is claimed with one atomic UPDATE before it
  is sent; a second dispatcher (the scheduler's and a manual `rightswatch alerts`…) skips it.
* **Exactly once in normal operation, at least once after a crash.**  A delivery is marked
  sent in its own short transaction right after the receiver's acknowledgement; only a crash
  in that instant re-sends it, with the same delivery id (and email Message-ID) so receivers
  can drop the duplicate.
* **Short transactions.**  No lock is held while talking to the network, so a crawl writing
  events is never blocked by a slow mail server.

Digest deliveries (a stored weekly digest to a `[digest]` recipient) take the same path:
claimed, sent as one email of their own (never batched with alerts), retried the same way.

Failures back off exponentially with jitter (`base_delay · 2^(attempt−1)`, capped at
`max_delay`, randomised in its upper half so that many deliveries to one recovering server
do not stampede), or wait exactly as long as a `Retry-After` asks.

Run it standalone (tests kill it with SIGKILL)::

    python -m rightswatch.alerts.dispatch --db rightswatch.db --config rightswatch.toml \
        [--loop SECONDS]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from ..config import ConfigError, load_config
from ..db import digests as digest_store
from ..db import open_db, outbox
from .apprise_channel import send_apprise
from .digest import DigestSettings, digest_message
from .errors import DeliveryError, PermanentDeliveryError, TargetGone, TransientDeliveryError
from .mail import send_email
from .render import event_view, render_email, render_short, webhook_body
from .rules import Rule, Target
from .webhook import make_client, post_event

log = logging.getLogger("rightswatch.alerts")

Clock = Callable[[], datetime]
EMAIL_BATCH_MAX = 50


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class DispatchReport:
    """What one `run_once` did, counted in deliveries (`messages`: emails/requests sent)."""

    sent: int = 0
    messages: int = 0
    retried: int = 0
    failed: int = 0
    disabled: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.sent + self.retried + self.failed + self.disabled

    def __str__(self) -> str:
        return (f"{self.sent} sent ({self.messages} messages), {self.retried} to retry, "
                f"{self.failed} failed, {self.disabled} disabled")


def process_alive(pid: int) -> bool:
    """Whether a process of this host with that pid exists (claims and plans of dead
    processes are released rather than waited out)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Dispatcher:
    """Sends due deliveries of the database at *db_path* according to *rules*.

    `clock` is injected so tests can run days of backoff without sleeping; `rng` likewise
    makes jitter reproducible.  `lease` (seconds) bounds how long a claim survives its
    dispatcher; by default it is a generous multiple of the rule's timeout.

    `digest` (the `[digest]` settings, or their email `Rule`) lets it send stored digests
    too, each as its own email (never batched with alerts).  Without it, digest deliveries
    are left for a dispatcher that has it.
    """

    def __init__(self, db_path: str | Path, rules: Iterable[Rule], *,
                 clock: Clock = system_clock, max_attempts: int = 8, base_delay: float = 30,
                 max_delay: float = 3600, lease: float | None = None,
                 batch_size: int = 100, archive_base_url: str | None = None,
                 rng: random.Random | None = None,
                 digest: DigestSettings | Rule | None = None) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.db_path = Path(db_path)
        self.rules = {r.name: r for r in rules}
        self.clock = clock
        self.max_attempts = max_attempts
        self.base_delay = float(base_delay)
        self.max_delay = float(max_delay)
        self.lease = lease
        self.batch_size = batch_size
        self.archive_base_url = archive_base_url
        self.rng = rng or random.Random()
        self.host = socket.gethostname()
        self.owner = f"{self.host}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._clients: dict[float, httpx.Client] = {}
        self.sends_digests = digest is not None
        self.digest_rule = digest.rule if isinstance(digest, DigestSettings) else digest

    # -- the loop ------------------------------------------------------------------------------

    def run_once(self) -> DispatchReport:
        """Send everything due now; each delivery is attempted at most once per call."""
        report = DispatchReport()
        db = open_db(self.db_path)
        conn = db.conn
        try:
            self._release_dead_claims(conn)
            attempted: set[str] = set()
            while True:
                rows = [r for r in outbox.due(conn, self.clock(), self.batch_size,
                                              include_digests=self.sends_digests)
                        if r["id"] not in attempted]
                if not rows:
                    break
                for row in rows:
                    if row["id"] in attempted:  # already sent as part of an email batch
                        continue
                    self._dispatch(conn, row, attempted, report)
        finally:
            for client in self._clients.values():
                client.close()
            self._clients.clear()
            conn.close()
        return report

    def _release_dead_claims(self, conn: Any) -> None:
        """Claims of a dispatcher on this host whose process is gone are released now
        rather than when their lease expires, so a restart after a crash resumes at once."""
        for owner in outbox.claim_owners(conn, self.clock()):
            host, _, rest = owner.partition(":")
            pid = rest.partition(":")[0]
            if host != self.host or not pid.isdigit() or int(pid) == os.getpid():
                continue
            if not process_alive(int(pid)):
                released = outbox.release(conn, owner)
                log.warning("released %d deliveries claimed by %s, which is gone",
                            released, owner)

    def _dispatch(self, conn: Any, row: Mapping[str, Any], attempted: set[str],
                  report: DispatchReport) -> None:
        attempted.add(row["id"])
        if row.get("digest_id") and not row.get("event_id"):
            self._dispatch_digest(conn, row, report)
            return
        rule = self.rules.get(row["rule"])
        target = rule.target(row["target"]) if rule else None
        if rule is None or target is None or rule.channel != row["channel"]:
            self._unroutable(conn, row, report, f"rule {row['rule']!r} has no {row['channel']} "
                             f"target {row['target']!r} any more")
            return
        if rule.channel == "email":
            group = self._email_group(conn, rule, target)
            if row["id"] not in {g["id"] for g in group}:
                group = [dict(row), *group][:EMAIL_BATCH_MAX]
            attempted.update(g["id"] for g in group)
            self._send(conn, rule, target, group, report)
        else:
            self._send(conn, rule, target, [dict(row)], report)

    def _unroutable(self, conn: Any, row: Mapping[str, Any], report: DispatchReport,
                    why: str) -> None:
        """The configuration no longer says where a delivery goes: fail it for an operator."""
        error = f"{why}; fix the configuration, then `rightswatch alerts retry`"
        if outbox.mark_failed(conn, row["id"], error):
            report.failed += 1
            report.errors.append(f"{row['id']}: {error}")

    def _email_group(self, conn: Any, rule: Rule, target: Target) -> list[dict[str, Any]]:
        """Every pending delivery to the same mailbox through the same server, due or not:
        events that arrived within the batching window go out together."""
        assert rule.smtp is not None
        group = []
        for row in outbox.pending_for(conn, "email", target.key, self.clock(),
                                      EMAIL_BATCH_MAX):
            other = self.rules.get(row["rule"])
            other_target = other.target(row["target"]) if other else None
            if (other is not None and other.smtp is not None and other_target is not None
                    and other.smtp.identity == rule.smtp.identity
                    and other_target.address == target.address):
                group.append(row)
        return group

    # -- one message ---------------------------------------------------------------------------

    def _send(self, conn: Any, rule: Rule, target: Target, rows: list[dict[str, Any]],
              report: DispatchReport) -> None:
        now = self.clock()
        lease = self.lease if self.lease is not None else max(60.0, 3 * rule.timeout + 30)
        ids = outbox.claim(conn, [r["id"] for r in rows], self.owner, now,
                           now + timedelta(seconds=lease))
        if not ids:
            report.skipped += len(rows)
            return
        claimed = [r for r in rows if r["id"] in ids]
        try:
            if claimed[0].get("digest_id") and not claimed[0].get("event_id"):
                self._deliver_digest(conn, rule, target, claimed[0])
            else:
                events = self._events(conn, claimed)
                self._deliver(conn, rule, target, claimed, events)
        except DeliveryError as exc:
            self._record_failure(conn, rule, target, claimed, exc, report)
            return
        except Exception as exc:  # a bug must not strand claims: record it, retry later
            log.exception("internal error while sending %s", ids)
            self._record_failure(conn, rule, target, claimed, TransientDeliveryError(
                f"internal error: {type(exc).__name__}: {exc}"), report)
            return
        report.sent += outbox.mark_sent(conn, ids, self.clock())
        report.messages += 1

    def _dispatch_digest(self, conn: Any, row: Mapping[str, Any],
                         report: DispatchReport) -> None:
        """A digest delivery: one email of the stored digest to one `[digest]` recipient."""
        rule = self.digest_rule
        target = rule.target(row["target"]) if rule is not None else None
        if rule is None or target is None or row["channel"] != "email":
            self._unroutable(conn, row, report,
                             f"the [digest] settings have no recipient {row['target']!r} any more")
            return
        self._send(conn, rule, target, [dict(row)], report)

    def _deliver_digest(self, conn: Any, rule: Rule, target: Target,
                        row: Mapping[str, Any]) -> None:
        assert rule.smtp is not None
        stored = digest_store.load_digest(conn, row["digest_id"])
        if stored is None:
            raise PermanentDeliveryError(f"digest {row['digest_id']} is not in the database")
        message = digest_message(stored, sender=rule.smtp.sender, recipient=target.address,
                                 delivery_id=row["id"])
        send_email(rule.smtp, message, target.address)

    def _events(self, conn: Any, rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        ids = list({r["event_id"] for r in rows})
        found = {}
        for event_id, payload in conn.execute(
                f"SELECT id, payload FROM events WHERE id IN ({', '.join('?' * len(ids))})",
                ids):
            event = json.loads(payload)
            event.setdefault("id", event_id)
            found[event_id] = event
        return found

    def _view(self, conn: Any, rule: Rule, event: Mapping[str, Any]) -> dict[str, Any]:
        def lookup(snapshot_id: int) -> tuple[str, int | None] | None:
            row = conn.execute("SELECT warc_file, warc_offset FROM snapshots WHERE id = ?",
                               [snapshot_id]).fetchone()
            return (row[0], row[1]) if row and row[0] else None

        return event_view(event, archive_base_url=rule.archive_base_url or self.archive_base_url,
                          archive_lookup=lookup)

    def _deliver(self, conn: Any, rule: Rule, target: Target, rows: list[dict[str, Any]],
                 events: Mapping[str, dict[str, Any]]) -> None:
        missing = [r["id"] for r in rows if r["event_id"] not in events]
        if missing:
            raise DeliveryError(f"event of {', '.join(missing)} not found")
        if rule.channel == "email":
            assert rule.smtp is not None
            ordered = sorted({r["event_id"] for r in rows},
                             key=lambda e: (str(events[e].get("created_at")), e))
            views = [self._view(conn, rule, events[e]) for e in ordered]
            rule_names = ", ".join(sorted({r["rule"] for r in rows}))
            message = render_email(views, sender=rule.smtp.sender, recipient=target.address,
                                   delivery_ids=[r["id"] for r in rows], rule=rule_names)
            send_email(rule.smtp, message, target.address)
        elif rule.channel == "webhook":
            assert rule.secret is not None
            (row,) = rows
            event = events[row["event_id"]]
            post_event(self._client(rule.timeout), target.address, rule.secret,
                       event_type=str(event.get("type")), delivery_id=row["id"],
                       body=webhook_body(event))
        else:
            (row,) = rows
            title, body = render_short(self._view(conn, rule, events[row["event_id"]]))
            send_apprise(target.address, title, body, key=target.key)

    def _client(self, timeout: float) -> httpx.Client:
        if timeout not in self._clients:
            self._clients[timeout] = make_client(timeout)
        return self._clients[timeout]

    def _record_failure(self, conn: Any, rule: Rule, target: Target,
                        rows: list[dict[str, Any]], exc: DeliveryError,
                        report: DispatchReport) -> None:
        error = str(exc)
        log.warning("delivery via rule %r to %r failed: %s", rule.name, target.key, error)
        if isinstance(exc, TargetGone):
            report.disabled += outbox.disable_target(conn, rule.channel, target.key, error,
                                                     rule=rule.name, now=self.clock())
            report.errors.append(f"{target.key}: {error} (target disabled)")
            return
        now = self.clock()
        for row in rows:
            attempts = int(row["attempts"]) + 1  # the claim counted this attempt
            if not exc.retryable or attempts >= self.max_attempts:
                why = error if not exc.retryable else f"{error} (gave up after {attempts} attempts)"
                if outbox.mark_failed(conn, row["id"], why, owner=self.owner):
                    report.failed += 1
                    report.errors.append(f"{row['id']}: {why}")
                continue
            delay = self.backoff(attempts, exc.retry_after)
            if outbox.mark_retry(conn, row["id"], error, now + timedelta(seconds=delay),
                                 owner=self.owner):
                report.retried += 1

    def backoff(self, attempts: int, retry_after: float | None = None) -> float:
        """Seconds before the next attempt after *attempts* failed ones."""
        if retry_after is not None:
            return max(0.0, retry_after)
        ceiling = min(self.max_delay, self.base_delay * 2 ** max(0, attempts - 1))
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)


# -- command line ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rightswatch.alerts.dispatch",
                                     description="Send due alert deliveries.")
    parser.add_argument("--db", help="database file (default: the configuration's)")
    parser.add_argument("--config", required=True, help="rightswatch.toml with [[alert]] rules")
    parser.add_argument("--loop", type=float, metavar="SECONDS",
                        help="keep dispatching, pausing SECONDS between rounds, until SIGTERM")
    parser.add_argument("--max-attempts", type=int, default=8,
                        help="attempts before a delivery is marked failed (default 8)")
    parser.add_argument("--base-delay", type=float, default=30,
                        help="seconds before the first retry; doubles each time (default 30)")
    parser.add_argument("--max-delay", type=float, default=3600,
                        help="longest wait between retries, in seconds (default 3600)")
    parser.add_argument("--lease", type=float, default=None,
                        help="seconds a claim outlives a dispatcher that died on another host")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    dispatcher = Dispatcher(args.db or config.database, config.alerts,
                            max_attempts=args.max_attempts, base_delay=args.base_delay,
                            max_delay=args.max_delay, lease=args.lease,
                            archive_base_url=config.archive_base_url or None,
                            digest=config.digest)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while True:
        report = dispatcher.run_once()
        print(json.dumps({"at": time.time(), **asdict(report)}), flush=True)
        if args.loop is None or stop.wait(args.loop):
            return 0


if __name__ == "__main__":
    sys.exit(main())
