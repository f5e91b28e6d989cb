"""Event dicts and their dedup keys: every event shape the change detector emits, in one place.

An event is the webhook body of design.md minus what the store fills in (``id``,
``created_at``, the source's name, the snapshot's ``sha256``):

    {"type", "dedup_key", "backfill", "source_id", "snapshot_id",
     "report": {"url", "title", "published_at"},
     "figure": {...}            (figure.* events only)
     "diff": "...", "previous_snapshot_id": N   (report.edited only)
     "payload_version": 1}

Dedup keys (``events.dedup_key`` is UNIQUE, so the store can ``INSERT OR IGNORE`` and a
re-processed report never alerts twice):

- ``report.new|<url>``                               once per URL
- ``report.edited|<url>|<sha256 of the new clean text>``  once per distinct text
- ``report.removed|<url>|<last snapshot id>``        once per disappearance of a version
- ``figure.new|<series id>``                         once per series, ever
- ``figure.changed|<series id>|<page url>|<value>|<previous value>``  once per report and
  transition (numbers written canonically: ``583``, not ``583.0``)
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .textdiff import NoiseRules, load_noise_rules, summarise_diff, word_diff

if TYPE_CHECKING:
    from .series import Observation

__all__ = [
    "PAGE_EVENT_TYPES",
    "PAYLOAD_VERSION",
    "delta",
    "figure_event",
    "num",
    "num_str",
    "page_event",
    "text_sha256",
]

PAYLOAD_VERSION = 1
PAGE_EVENT_TYPES = ("report.new", "report.edited", "report.removed")


def num(value: Any) -> int | float:
    """A figure value as JSON should carry it: 583, not 583.0 (the DB stores REAL)."""
    v = float(value)
    return int(v) if v.is_integer() else v


def delta(value: Any, previous: Any) -> int | float:
    """value − previous as JSON carries it (float noise rounded away: 0.3 − 0.1 is 0.2)."""
    return num(round(num(value) - num(previous), 9))


def num_str(value: Any) -> str:
    """Canonical text of a value for dedup keys: stable across int/float round-trips."""
    return repr(num(value))


def text_sha256(text: str | None) -> str:
    """SHA-256 of a clean text (UTF-8): identifies a version of a report's content."""
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()


def _report(url: str | None, snapshot: Mapping[str, Any] | None,
            page: Mapping[str, Any] | None = None) -> dict[str, Any]:
    snap = snapshot or {}
    pg = page or {}
    return {
        "url": url,
        "title": snap.get("title") if snap.get("title") is not None else pg.get("title"),
        "published_at": snap.get("published_at") if snap else pg.get("published_at"),
        "lang": snap.get("lang") if snap else pg.get("lang"),
    }


def page_event(kind: str, page: Mapping[str, Any], snapshot: Mapping[str, Any] | None, *,
               backfill: bool, previous: Mapping[str, Any] | None = None,
               rules: NoiseRules | None = None, max_diff_chars: int = 600) -> dict[str, Any]:
    """The event for a report that is new, was edited or was removed.

    ``page`` is a ``pages`` row (``url``, ``source_id``; ``id`` optional), ``snapshot`` the
    snapshot the event is about (for ``report.removed`` the last one seen, or None).  For
    ``report.edited`` pass the ``previous`` snapshot: the payload then carries ``diff``, a
    "−old +new" summary of the noise-free word diff, and ``previous_snapshot_id``.  Whether
    an edit is substantive is :func:`~rightswatch.changes.textdiff.substantive_change`'s
    call, made by the caller before asking for the event.
    """
    if kind not in PAGE_EVENT_TYPES:
        raise ValueError(f"not a page event type: {kind!r}")
    url = (snapshot or {}).get("url") or page.get("url")
    source_id = page.get("source_id") or (snapshot or {}).get("source_id")
    snapshot_id = (snapshot or {}).get("id")
    if kind == "report.new":
        dedup = f"report.new|{url}"
    elif kind == "report.edited":
        if snapshot is None:
            raise ValueError("report.edited needs the new snapshot")
        dedup = f"report.edited|{url}|{text_sha256(snapshot.get('text'))}"
    else:
        last = snapshot_id if snapshot_id is not None else page.get("removed_at", "")
        dedup = f"report.removed|{url}|{last}"
    event: dict[str, Any] = {
        "type": kind,
        "dedup_key": dedup,
        "backfill": bool(backfill),
        "source_id": source_id,
        "snapshot_id": snapshot_id,
        "report": _report(url, snapshot, page),
    }
    if kind == "report.edited" and previous is not None:
        assert snapshot is not None
        noise = rules if rules is not None else load_noise_rules()
        ops = word_diff(noise.apply(previous.get("text") or ""),
                        noise.apply(snapshot.get("text") or ""))
        event["diff"] = summarise_diff(ops, max_chars=max_diff_chars)
        event["previous_snapshot_id"] = previous.get("id")
    event["payload_version"] = PAYLOAD_VERSION
    return event


def figure_event(kind: str, obs: Observation, previous: Observation | None, *,
                 backfill: bool, also_reported_by: Sequence[str] = ()) -> dict[str, Any]:
    """A ``figure.new`` (previous None) or ``figure.changed`` event for one observation."""
    fig = obs.figure
    s = obs.series
    value = num(fig["value"])
    figure: dict[str, Any] = {
        "metric": s.metric or None,
        "what": fig.get("what") or s.what or None,
        "unit": fig.get("unit") or "count",
        "part": bool(fig.get("part")),
        "region": s.region,
        "period": fig.get("period"),
        "period_key": s.period_key,
        "organisation": s.organisation,
        "population": s.population or None,
        "series": s.id,
        "value": value,
        "qualifier": fig.get("qualifier"),
        "text": fig.get("text"),
        "sentence": fig.get("sentence"),
        "subject": fig.get("subject"),
        "lang": fig.get("lang"),
        "previous_value": None,
        "previous_qualifier": None,
        "previous_url": None,
        "previous_published_at": None,
        "previous_snapshot_id": None,
        "delta": None,
    }
    if fig.get("range_end") is not None:
        figure["range_end"] = num(fig["range_end"])
    if kind == "figure.new":
        dedup = f"figure.new|{s.id}"
    elif kind == "figure.changed":
        if previous is None:
            raise ValueError("figure.changed needs the previous observation")
        prev_value = num(previous.figure["value"])
        figure.update(
            previous_value=prev_value,
            previous_qualifier=previous.figure.get("qualifier"),
            previous_url=previous.page_url,
            previous_published_at=previous.published_at,
            previous_snapshot_id=previous.snapshot_id,
            delta=delta(value, prev_value),
        )
        dedup = f"figure.changed|{s.id}|{obs.page_url}|{num_str(value)}|{num_str(prev_value)}"
    else:
        raise ValueError(f"not a figure event type: {kind!r}")
    if also_reported_by:
        figure["also_reported_by"] = sorted(also_reported_by)
    return {
        "type": kind,
        "dedup_key": dedup,
        "backfill": bool(backfill),
        "source_id": obs.source_id,
        "snapshot_id": obs.snapshot_id,
        "report": {"url": obs.page_url, "title": obs.title, "published_at": obs.published_at},
        "figure": figure,
        "payload_version": PAYLOAD_VERSION,
    }
