"""Alerts: rules decide who hears about an event; the outbox and dispatcher make sure they do.

Monitors act on alerts, so an alert must never be lost, never arrive twice in normal
operation, never be forged, and must carry the evidence (the sentence, the previous value,
links to the report and to its archived copy with its SHA-256).

    store (crawl) ──one transaction──► events + deliveries (rightswatch.db.outbox.enqueue)
    Dispatcher.run_once ──claim──► email (SMTP) · webhook (signed HTTP POST) · apprise
                         ◄─result─ sent | retry later (backoff) | failed | disabled

Modules: `rules` (the `[[alert]]` tables and matching), `dispatch` (the sending loop),
`mail`, `webhook` (including `verify_signature` for receivers), `apprise_channel`,
`render` (+ `templates/`), `health` (source.failing / source.recovered), `commands`
(what `rightswatch alerts test|status|retry` call).

Exceptions — catch at the level you need::

    AlertError                      anything that went wrong with alerts
    ├── RuleError                   an [[alert]] table is invalid (also a config.ConfigError)
    ├── ChannelUnavailable          an optional dependency (apprise) is not installed
    └── DeliveryError               a message was not delivered (.retry_after: seconds | None)
        ├── TransientDeliveryError  try again later: refused, timeout, HTTP 429/5xx, SMTP 4xx
        └── PermanentDeliveryError  will not work until something changes: HTTP 4xx, SMTP 5xx
            └── TargetGone          HTTP 410: the target is disabled
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .commands import TargetOutcome, TestOutcome, find_rule, retry, send_test, status, test
from .errors import (
    AlertError,
    ChannelUnavailable,
    DeliveryError,
    PermanentDeliveryError,
    RuleError,
    TargetGone,
    TransientDeliveryError,
)
from .health import plan_health_events, record_health_events
from .rules import Rule, SmtpSettings, Target, parse_rules
from .webhook import verify_signature

if TYPE_CHECKING:
    from .dispatch import Dispatcher, DispatchReport


def __getattr__(name: str) -> Any:
    """`Dispatcher` and `DispatchReport` load on first use, so that
    `python -m rightswatch.alerts.dispatch` does not import its own module twice."""
    if name in ("Dispatcher", "DispatchReport"):
        from . import dispatch

        return getattr(dispatch, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "AlertError",
    "ChannelUnavailable",
    "DeliveryError",
    "DispatchReport",
    "Dispatcher",
    "PermanentDeliveryError",
    "Rule",
    "RuleError",
    "SmtpSettings",
    "Target",
    "TargetGone",
    "TargetOutcome",
    "TestOutcome",
    "TransientDeliveryError",
    "find_rule",
    "parse_rules",
    "plan_health_events",
    "record_health_events",
    "retry",
    "send_test",
    "status",
    "test",
    "verify_signature",
]
