"""The alert exceptions (drawn in the `rightswatch.alerts` docstring).

Kept in their own module so that every channel can import them without importing the
dispatcher, and so that callers can catch at the level they need: the dispatcher only cares
whether a failure is worth retrying, the CLI only whether something went wrong.
"""

from __future__ import annotations

from ..config import ConfigError


class AlertError(Exception):
    """Base of every alert failure."""


class RuleError(AlertError, ConfigError):
    """An `[[alert]]` table cannot be used.

    Also a `ConfigError`, so configuration loading reports it like any other typo.
    """


class ChannelUnavailable(AlertError):
    """A channel's optional dependency is missing (e.g. the apprise package)."""


class DeliveryError(AlertError):
    """A message was not delivered.  `retry_after` is the receiver's wish, in seconds."""

    retryable = False

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TransientDeliveryError(DeliveryError):
    """Worth trying again later: connection refused, timeout, HTTP 429/5xx, SMTP 4xx."""

    retryable = True


class PermanentDeliveryError(DeliveryError):
    """Trying again will not help until someone changes something: HTTP 4xx, SMTP 5xx."""


class TargetGone(PermanentDeliveryError):
    """The receiver said it will never accept deliveries again (HTTP 410): disable it."""


__all__ = [
    "AlertError",
    "ChannelUnavailable",
    "DeliveryError",
    "PermanentDeliveryError",
    "RuleError",
    "TargetGone",
    "TransientDeliveryError",
]
