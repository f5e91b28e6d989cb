"""Alert rules: which events go to whom, parsed from `[[alert]]` tables.

Several teams share one installation, so a rule is a filter plus a channel.  Everything is
validated when the configuration loads (a typo in a rule is a `ConfigError` at start, not a
silently dropped alert at 3 a.m.), and secrets are never written in the file: any string may
contain `${ENV_VAR}` references, resolved here, and the keys that hold secrets (`secret`,
`smtp_password`, the password of `smtp_url`) *must* be such references.

    [[alert]]
    name = "crimea-team"
    channel = "email"                 # email | webhook | apprise
    to = ["analyst@example.org"]
    from = "rightswatch@example.org"
    smtp_url = "smtp://alerts:${SMTP_PASSWORD}@mail.example.org:587"
    events = ["figure.new", "figure.changed"]
    metrics = ["criminal_cases", "conscripted"]
    regions = ["crimea"]
    min_delta = 5

Filters combine with AND; a list filter matches when any of its values matches.  A rule
without filters receives every event (backfill events never alert).

Deliveries remember a target by its *unresolved* text (`${SLACK_TOKEN}` and all), so the
database never holds a secret and a rotated secret does not orphan pending deliveries.
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ..vocabulary import EVENT_TYPES, METRICS, REGIONS
from .errors import RuleError

CHANNELS = ("email", "webhook", "apprise")
DIRECTIONS = ("any", "increase", "decrease")

_ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ONLY_ENV_RE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_EMAIL_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")
_LOOPBACK = ("127.0.0.1", "::1", "localhost")

_COMMON_KEYS = {"name", "channel", "enabled", "events", "sources", "metrics", "regions",
                "min_delta", "min_change_ratio", "direction", "keywords", "timeout",
                "archive_base_url", "translations"}
_CHANNEL_KEYS = {
    "email": {"to", "from", "smtp_url", "smtp_host", "smtp_port", "smtp_security", "smtp_user",
              "smtp_password", "batch_window"},
    "webhook": {"url", "secret"},
    "apprise": {"url"},
}


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the mail server.  `security`: starttls (default), tls (implicit), none."""

    host: str
    port: int
    security: str = "starttls"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "rightswatch@localhost"
    timeout: float = 30.0

    @property
    def identity(self) -> str:
        """What must be equal for two deliveries to share one email (no secrets in it)."""
        return f"{self.security}://{self.user or ''}@{self.host}:{self.port}/{self.sender}"


@dataclass(frozen=True)
class Target:
    """One receiver of a rule: an address, a webhook URL or an apprise URL.

    `key` is the text as written in the configuration (secret-free, stored in the outbox);
    `address` is the same text with its `${…}` references resolved.
    """

    key: str
    address: str = field(repr=False)


@dataclass(frozen=True)
class Rule:
    """One `[[alert]]` table, validated and with its secrets resolved."""

    name: str
    channel: str
    targets: tuple[Target, ...]
    events: frozenset[str] | None = None
    sources: frozenset[str] | None = None
    metrics: frozenset[str] | None = None
    regions: frozenset[str] | None = None
    min_delta: float | None = None
    min_change_ratio: float | None = None
    direction: str = "any"
    keywords: tuple[str, ...] = ()
    translations: bool = False  # also send report.new for a translation of a report sent
    enabled: bool = True
    timeout: float = 10.0
    archive_base_url: str | None = None
    # email
    smtp: SmtpSettings | None = None
    batch_window: float = 300.0
    # webhook
    secret: str | None = field(default=None, repr=False)

    def target(self, key: str) -> Target | None:
        """The configured target stored in the outbox as *key*, if it still exists."""
        return next((t for t in self.targets if t.key == key), None)

    # -- matching ----------------------------------------------------------------------------

    def matches(self, event: Mapping[str, Any]) -> bool:
        """True when *event* should be delivered through this rule.

        Figure filters (metrics, regions, change, keywords) are checked against one figure at
        a time, so `metrics = ["deaths"]` with `regions = ["crimea"]` needs a figure that is
        both.  The change filters only constrain figures that have a previous value: a new
        figure, or a report event, is governed by the `events` filter alone.
        """
        if not self.enabled or event.get("backfill"):
            return False
        if event.get("translation_of") and not self.translations:
            return False  # the report in another language was news; this version is not
        if self.events is not None and not _among(event.get("type"), self.events):
            return False
        source = _mapping(event.get("source"))
        if self.sources is not None and not _among(source.get("id"), self.sources):
            return False
        figures = _figures(event)
        if self.metrics is not None or self.regions is not None:
            figures = [f for f in figures
                       if (self.metrics is None or _among(f.get("metric"), self.metrics))
                       and (self.regions is None or _among(f.get("region"), self.regions))]
            if not figures:
                return False
        if self._has_change_filter() and figures:
            figures = [f for f in figures if self._change_ok(f)]
            if not figures:
                return False
        if self.keywords:
            texts = [str(_mapping(event.get("report")).get("title") or "")]
            texts += [str(f.get("sentence") or "") for f in (figures or _figures(event))]
            return _keywords_match(self.keywords, " \n ".join(texts))
        return True

    def _has_change_filter(self) -> bool:
        return (self.min_delta is not None or self.min_change_ratio is not None
                or self.direction != "any")

    def _change_ok(self, figure: Mapping[str, Any]) -> bool:
        delta = figure_delta(figure)
        if delta is None:
            return True
        if self.direction == "increase" and delta <= 0:
            return False
        if self.direction == "decrease" and delta >= 0:
            return False
        if self.min_delta is not None and abs(delta) < self.min_delta:
            return False
        if self.min_change_ratio is not None:
            previous = _number(figure.get("previous_value"))
            ratio = math.inf if not previous else abs(delta) / abs(previous)
            if ratio < self.min_change_ratio:
                return False
        return True


def figure_delta(figure: Mapping[str, Any]) -> float | None:
    """value − previous_value (or the producer's own `delta`); None for a new figure."""
    delta = _number(figure.get("delta"))
    if delta is not None:
        return delta
    value, previous = _number(figure.get("value")), _number(figure.get("previous_value"))
    if value is None or previous is None:
        return None
    return value - previous


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _among(value: Any, allowed: frozenset[str]) -> bool:
    return isinstance(value, str) and value in allowed


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _figures(event: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The figure(s) an event is about: `figure`, or a `figures` list on report events.

    Matching runs inside the store's transaction, so an odd event must not raise here.
    """
    if isinstance(event.get("figure"), Mapping):
        return [event["figure"]]
    figures = event.get("figures")
    if not isinstance(figures, list | tuple):
        return []
    return [f for f in figures if isinstance(f, Mapping)]


# -- keywords ----------------------------------------------------------------------------------

_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "‘": "'", "`": "'", "ё": "е", "Ё": "Е"})


def normalize_text(text: str) -> str:
    """Fold case, compatibility forms, apostrophe variants and ё, so that Ukrainian and
    Russian keywords match however a site happens to spell them."""
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).casefold()
    return re.sub(r"\s+", " ", text)


def _keywords_match(keywords: Iterable[str], text: str) -> bool:
    """A keyword matches at the start of a word, so a stem (`мобіліз`) matches its forms
    (`мобілізація`, `мобілізованих`) while `рф` does not match inside `арфа`."""
    haystack = normalize_text(text)
    return any(re.search(r"(?<!\w)" + re.escape(kw), haystack) for kw in keywords)


# -- parsing -----------------------------------------------------------------------------------


def parse_rules(tables: list[dict[str, Any]], env: Mapping[str, str] | None = None, *,
                source: str | None = None, metrics: Sequence[str] = METRICS) -> list[Rule]:
    """Validate the `[[alert]]` tables and resolve their `${ENV_VAR}` references.

    Raises `RuleError` (a `ConfigError`) naming the rule and the key at fault, prefixed
    with *source* (the configuration file) when given.  *metrics*: the metric ids rules may
    name (design.md's and the configuration's own `[[metric]]` ids).
    """
    env = os.environ if env is None else env
    rules: list[Rule] = []
    seen: set[str] = set()
    prefix = f"{source}: " if source else ""
    for i, table in enumerate(tables):
        where = f"{prefix}[[alert]] #{i + 1}"
        if not isinstance(table, Mapping):
            raise RuleError(f"{where}: must be a table")
        rule = _parse_rule(table, env, where, tuple(metrics))
        if rule.name in seen:
            raise RuleError(f"{where}: rule name {rule.name!r} is used twice")
        seen.add(rule.name)
        rules.append(rule)
    return rules


def _parse_rule(raw: Mapping[str, Any], env: Mapping[str, str], where: str,
                metrics: tuple[str, ...] = METRICS) -> Rule:
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise RuleError(f"{where}: name must be letters, digits, '.', '-' or '_', got {name!r}")
    where = where.rpartition("[[alert]]")[0] + f"[[alert]] {name!r}"
    channel = raw.get("channel")
    if channel not in CHANNELS:
        raise RuleError(f"{where}: channel must be one of {', '.join(CHANNELS)}, "
                        f"got {channel!r}")
    unknown = set(raw) - _COMMON_KEYS - _CHANNEL_KEYS[channel]
    if unknown:
        raise RuleError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} "
                        f"for a {channel} rule")
    p = _Parser(raw, env, where)
    values: dict[str, Any] = {
        "name": name,
        "channel": channel,
        "enabled": p.boolean("enabled", True),
        "events": p.choices("events", EVENT_TYPES, wildcard=True),
        "sources": p.choices("sources", None),
        "metrics": p.choices("metrics", metrics),
        "regions": p.choices("regions", REGIONS),
        "min_delta": p.number("min_delta"),
        "min_change_ratio": p.number("min_change_ratio"),
        "direction": p.string("direction") or "any",
        "keywords": tuple(normalize_text(k).strip() for k in p.strings("keywords")
                          if k.strip()),
        "timeout": p.number("timeout", positive=True) or 10.0,
        "translations": p.boolean("translations", False),
        "archive_base_url": p.string("archive_base_url"),
    }
    if values["direction"] not in DIRECTIONS:
        raise RuleError(f"{where}: direction must be one of {', '.join(DIRECTIONS)}")
    if values["archive_base_url"]:
        p.http_url("archive_base_url", values["archive_base_url"])

    if channel == "email":
        recipients = p.strings("to", raw_text=True)
        if not recipients:
            raise RuleError(f"{where}: an email rule needs `to` (an address or a list)")
        targets = []
        for key in recipients:
            address = p.resolve(key, "to")
            if not _EMAIL_RE.match(address):
                raise RuleError(f"{where}: to: {key!r} is not an email address")
            targets.append(Target(key, address))
        values["targets"] = tuple(targets)
        values["smtp"] = _smtp(p, values["timeout"] if "timeout" in raw else 30.0)
        values["batch_window"] = p.number("batch_window")
        if values["batch_window"] is None:
            values["batch_window"] = 300.0
    elif channel == "webhook":
        key = p.raw_string("url")
        values["targets"] = (Target(key, p.http_url("url", p.resolve(key, "url"))),)
        values["secret"] = p.secret("secret", required=True)
    else:
        keys = p.strings("url", raw_text=True)
        if not keys:
            raise RuleError(f"{where}: an apprise rule needs `url`")
        if importlib.util.find_spec("apprise") is None:
            raise RuleError(f"{where}: the apprise channel needs the apprise package "
                            "(pip install apprise)")
        values["targets"] = tuple(Target(k, p.resolve(k, "url")) for k in keys)
    return Rule(**values)


def _smtp(p: _Parser, timeout: float) -> SmtpSettings:
    where = p.where
    sender = p.string("from") or "rightswatch@localhost"
    if re.search(r"[\x00-\x1f\x7f]", sender) or \
            not _EMAIL_RE.match(sender.rpartition("<")[2].rstrip(">")):
        raise RuleError(f"{where}: from: {sender!r} is not an email address")
    settings = _smtp_server(p, sender, timeout)
    if settings.user and settings.security == "none" and settings.host not in _LOOPBACK:
        raise RuleError(f"{where}: refusing to send the SMTP password to {settings.host} "
                        "without TLS (use STARTTLS or smtps://)")
    return settings


def _smtp_server(p: _Parser, sender: str, timeout: float) -> SmtpSettings:
    where, raw = p.where, p.raw
    if "smtp_url" in raw:
        if {"smtp_host", "smtp_port", "smtp_security", "smtp_user", "smtp_password"} & set(raw):
            raise RuleError(f"{where}: give either smtp_url or smtp_host/smtp_port/…, not both")
        text = p.raw_string("smtp_url")
        parts = urlsplit(text)
        if parts.password and not _ONLY_ENV_RE.match(unquote(parts.password)):
            raise RuleError(f"{where}: smtp_url: write the password as ${{ENV_VAR}}, "
                            "never in the file")
        url = urlsplit(p.resolve(text, "smtp_url"))
        if url.scheme not in ("smtp", "smtps") or not url.hostname:
            raise RuleError(f"{where}: smtp_url must look like smtp://user:${{PASSWORD}}@host:587"
                            " or smtps://…@host:465")
        query = {k: v[-1].lower() for k, v in parse_qs(url.query).items()}
        if url.scheme == "smtps":
            security = "tls"
        elif query.get("starttls", "1") in ("0", "false", "no", "off"):
            security = "none"
        else:
            security = "starttls"
        try:
            port = url.port or (465 if security == "tls" else 587)
        except ValueError as exc:
            raise RuleError(f"{where}: smtp_url: {exc}") from exc
        return SmtpSettings(host=url.hostname, port=port, security=security,
                            user=unquote(url.username) if url.username else None,
                            password=unquote(url.password) if url.password else None,
                            sender=sender, timeout=timeout)
    host = p.string("smtp_host")
    if not host:
        raise RuleError(f"{where}: an email rule needs smtp_url or smtp_host")
    security = p.string("smtp_security") or "starttls"
    if security not in ("starttls", "tls", "none"):
        raise RuleError(f"{where}: smtp_security must be starttls, tls or none")
    port_number = p.number("smtp_port", positive=True)
    return SmtpSettings(host=host,
                        port=int(port_number or (465 if security == "tls" else 587)),
                        security=security, user=p.string("smtp_user"),
                        password=p.secret("smtp_password", required=False),
                        sender=sender, timeout=timeout)


class _Parser:
    """Typed access to one rule's keys, with `${ENV}` resolution and precise messages."""

    def __init__(self, raw: Mapping[str, Any], env: Mapping[str, str], where: str) -> None:
        self.raw, self.env, self.where = raw, env, where

    def resolve(self, text: str, key: str) -> str:
        def substitute(match: re.Match[str]) -> str:
            var = match.group(1)
            if var not in self.env:
                raise RuleError(f"{self.where}: {key} refers to ${{{var}}}, but the "
                                f"environment variable {var} is not set")
            return self.env[var]

        return _ENV_RE.sub(substitute, text)

    def raw_string(self, key: str) -> str:
        value = self.raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise RuleError(f"{self.where}: {key} must be a non-empty string")
        return value.strip()

    def string(self, key: str) -> str | None:
        if key not in self.raw:
            return None
        return self.resolve(self.raw_string(key), key)

    def strings(self, key: str, *, raw_text: bool = False) -> list[str]:
        value = self.raw.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise RuleError(f"{self.where}: {key} must be a string or a list of strings")
        if raw_text:
            return [v.strip() for v in value if v.strip()]
        return [self.resolve(v, key) for v in value]

    def choices(self, key: str, allowed: Iterable[str] | None, *,
                wildcard: bool = False) -> frozenset[str] | None:
        if key not in self.raw:
            return None
        chosen: set[str] = set()
        allowed = tuple(allowed) if allowed is not None else None
        for value in self.strings(key):
            if wildcard and allowed and value.endswith(".*"):
                expanded = [a for a in allowed if a.startswith(value[:-1])]
                if not expanded:
                    raise RuleError(f"{self.where}: {key}: {value!r} matches no event type")
                chosen.update(expanded)
            elif allowed is not None and value not in allowed:
                raise RuleError(f"{self.where}: {key}: unknown value {value!r} "
                                f"(known: {', '.join(allowed)})")
            else:
                chosen.add(value)
        if not chosen:
            raise RuleError(f"{self.where}: {key} is empty (leave it out to match everything)")
        return frozenset(chosen)

    def number(self, key: str, *, positive: bool = False) -> float | None:
        if key not in self.raw:
            return None
        value = self.raw[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 \
                or (positive and value == 0) or math.isnan(value):
            raise RuleError(f"{self.where}: {key} must be a non-negative number, not {value!r}")
        return float(value)

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw.get(key, default)
        if not isinstance(value, bool):
            raise RuleError(f"{self.where}: {key} must be true or false")
        return value

    def secret(self, key: str, *, required: bool) -> str | None:
        if key not in self.raw:
            if required:
                raise RuleError(f"{self.where}: {key} is required (write {key} = "
                                f'"${{SOME_ENV_VAR}}" and set the variable)')
            return None
        text = self.raw_string(key)
        if not _ONLY_ENV_RE.match(text):
            raise RuleError(f"{self.where}: {key} must be an environment reference such as "
                            f'"${{RIGHTSWATCH_{key.upper()}}}": secrets are never written in '
                            "the file")
        value = self.resolve(text, key)
        if not value:
            raise RuleError(f"{self.where}: {key}: the environment variable {text} is empty")
        return value

    def http_url(self, key: str, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise RuleError(f"{self.where}: {key} must be an http(s) URL")
        return url


__all__ = ["CHANNELS", "DIRECTIONS", "EVENT_TYPES", "METRICS", "REGIONS", "Rule", "SmtpSettings",
           "Target", "figure_delta", "normalize_text", "parse_rules"]
