"""Any apprise URL (Telegram, Matrix, Signal, Slack, ntfy, json://…) as an alert channel.

apprise is optional and heavy, so it is imported only when a message is sent; without it
the rule cannot be loaded (`RuleError`) and a send raises `ChannelUnavailable`.  apprise
reports only success or failure, so failures are treated as transient (the dispatcher's
attempt budget bounds them) and the reason is taken from apprise's own log.
"""

from __future__ import annotations

import logging
from typing import Any

from .errors import ChannelUnavailable, PermanentDeliveryError, TransientDeliveryError


def _apprise() -> Any:
    try:
        import apprise
    except ImportError as exc:
        raise ChannelUnavailable("the apprise channel needs the apprise package "
                                 "(pip install apprise)") from exc
    return apprise


def send_apprise(url: str, title: str, body: str, *, key: str) -> None:
    """Notify through the apprise *url*; *key* (secret-free) names it in error messages."""
    apprise = _apprise()
    notifier = apprise.Apprise()
    if not notifier.add(url):
        raise PermanentDeliveryError(f"apprise does not understand the URL {key!r}")
    with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as log:
        ok = notifier.notify(title=title, body=body, body_format=apprise.NotifyFormat.TEXT)
        reasons = [line for line in log.getvalue().splitlines() if line.strip()]
    if not ok:
        why = "; ".join(reasons[-3:]) or "no reason given"
        raise TransientDeliveryError(f"apprise could not notify {key!r}: {why}")


__all__ = ["send_apprise"]
