"""What an alert says: subjects, plain text, HTML and short text, from Jinja2 templates.

Everything scraped (titles, sentences, URLs) is hostile until proven otherwise: the HTML
environment autoescapes, links are only emitted for http(s) URLs (a `javascript:` report
URL is shown as text), and header lines are flattened to one line so a title cannot inject
mail headers.  Templates receive plain view dicts built here, so they hold no logic beyond
layout, and a missing field is a bug caught by `StrictUndefined`, not an empty alert.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, parseaddr
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined

from ..changes.populations import population_label
from .rules import figure_delta

TYPE_LABELS = {
    "report.new": "New report",
    "report.edited": "Report edited",
    "report.removed": "Report removed",
    "figure.new": "New figure",
    "figure.changed": "Figure changed",
    "source.failing": "Source failing",
    "source.recovered": "Source recovered",
    "test": "Test message",
}
REGION_LABELS = {
    "crimea": "Crimea", "sevastopol": "Sevastopol", "donetsk": "Donetsk",
    "luhansk": "Luhansk", "zaporizhzhia": "Zaporizhzhia", "kherson": "Kherson",
    "occupied_territories": "occupied territories", "russia": "Russia", "ukraine": "Ukraine",
}
QUALIFIER_LABELS = {"exact": "", "at_least": "at least ", "more_than": "more than ",
                    "approx": "about ", "up_to": "up to ", "less_than": "less than "}
SUBJECT_MAX = 200

# Given a snapshot id, where its WARC record is: (file name, offset) or None.
ArchiveLookup = Callable[[int], tuple[str, int | None] | None]


def _env(autoescape: bool) -> Environment:
    return Environment(
        loader=PackageLoader("rightswatch.alerts", "templates"),
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


_HTML = _env(True)
_TEXT = _env(False)


def oneline(text: Any, limit: int | None = None) -> str:
    """Collapse whitespace and control characters: safe for a header or a chat title."""
    flat = re.sub(r"[\s\x00-\x1f\x7f]+", " ", str(text or "")).strip()
    if limit is not None and len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return flat


def safe_url(url: Any) -> str | None:
    """*url* if it is an http(s) URL worth linking to, else None."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() in ("http", "https") and parts.netloc and not re.search(r"\s", url):
        return url
    return None


def number(value: Any) -> str:
    """583.0 → '583', 1234567 → '1,234,567', 2.5 → '2.5'."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "?" if value is None else str(value)
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def signed(delta: float | None) -> str:
    if delta is None:
        return ""
    return ("+" if delta > 0 else "-" if delta < 0 else "±") + number(abs(delta))


def source_label(source: Mapping[str, Any]) -> str:
    """A short name for subjects: the source's name if short, else its id in capitals."""
    name = oneline(source.get("name"))
    sid = oneline(source.get("id"))
    if name and len(name) <= 24:
        return name
    return sid.upper() or name or "unknown source"


def metric_label(metric: Any, default: str = "figure") -> str:
    """'criminal_cases' → 'criminal cases'; *default* when the figure has no metric."""
    return str(metric).replace("_", " ") if metric else default


def figure_label(figure: Mapping[str, Any], default: str = "figure") -> str:
    """What a figure counts, in a reader's words: the metric ("criminal cases"), else the
    counted thing ("obituaries"); a part of a total says which part ("political prisoners
    — part: serving sentences"), a percentage that it is a share."""
    what = oneline(figure.get("what"))
    label = metric_label(figure.get("metric"), "") or what or default
    if figure.get("part") and what and what.lower() != label.lower():
        label += f" — part: {what}"
    if figure.get("unit") == "percent":
        label = f"share of {label} (%)"
    return label


def value_text(figure: Mapping[str, Any], value: Any) -> str:
    """A figure's value with its unit: '583', '36.1%', '3,500 RUB'."""
    unit = figure.get("unit") or "count"
    if unit == "count" or value is None:
        return number(value)
    if unit == "percent":
        return f"{number(value)}%"
    return f"{number(value)} {oneline(unit)}"


def headline(event: Mapping[str, Any]) -> str:
    """One line saying what happened, e.g. 'CHRG · criminal cases, Crimea: 574 → 583 (+9)'."""
    etype = str(event.get("type") or "")
    src = source_label(event.get("source") or {})
    report = event.get("report") or {}
    figure = event.get("figure") or {}
    health = event.get("health") or {}
    title = oneline(report.get("title")) or oneline(report.get("url")) or "untitled"
    if etype.startswith("figure.") and figure:
        what = figure_label(figure)
        if figure.get("population"):
            what += f" ({population_label(figure['population'])})"
        if figure.get("region"):
            what += ", " + REGION_LABELS.get(figure["region"], str(figure["region"]))
        value = value_text(figure, figure.get("value"))
        if etype == "figure.changed" and figure.get("previous_value") is not None:
            change = f"{value_text(figure, figure['previous_value'])} → {value}"
            delta = figure_delta(figure)
            if delta is not None:
                change += f" ({signed(delta)})"
            return oneline(f"{src} · {what}: {change}")
        return oneline(f"{src} · new figure: {what}: {value}")
    if etype == "source.failing":
        return oneline(f"{src} · source failing: {health.get('message') or 'see details'}")
    if etype == "source.recovered":
        return f"{src} · source recovered"
    if etype == "test":
        return oneline(f"rightswatch test message (rule {event.get('rule', '?')})")
    label = TYPE_LABELS.get(etype, etype or "event").lower()
    return oneline(f"{src} · {label}: {title}")


def _translation(original: Any) -> dict[str, Any] | None:
    if not isinstance(original, Mapping):
        return None
    return {"url": safe_url(original.get("url")), "url_text": oneline(original.get("url")),
            "title": oneline(original.get("title")), "lang": oneline(original.get("lang"))}


def fold_translations(views: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Report views with each translation folded into the version it translates (as a
    ``versions`` entry); a translation whose original is not among them stays an item."""
    by_url = {v["report_url_text"]: v for v in views if not v.get("translation_of")}
    out = []
    for view in views:
        original = view.get("translation_of")
        host = by_url.get(original["url_text"]) if original else None
        if host is None:
            out.append(view)
            continue
        host["versions"].append({"lang": view["lang"], "url": view["report_url"],
                                 "url_text": view["report_url_text"], "title": view["title"]})
    return out


def event_view(event: Mapping[str, Any], *, archive_base_url: str | None = None,
               archive_lookup: ArchiveLookup | None = None) -> dict[str, Any]:
    """The plain dict the templates render for one event."""
    report = event.get("report") or {}
    figure = event.get("figure") or None
    health = event.get("health") or None
    snapshot_id = report.get("snapshot_id")
    archive_url = archive_ref = None
    if snapshot_id is not None:
        if archive_base_url:
            archive_url = safe_url(f"{archive_base_url.rstrip('/')}/{snapshot_id}")
            archive_ref = archive_url
        else:
            found = archive_lookup(int(snapshot_id)) if archive_lookup else None
            if found:
                warc, offset = found
                archive_ref = f"{warc}" + (f" (record at offset {offset})"
                                            if offset is not None else "")
            else:
                archive_ref = f"snapshot {snapshot_id}"
    figure_view = None
    if figure:
        delta = figure_delta(figure)
        previous = figure.get("previous_value")
        previous_url = figure.get("previous_url")
        figure_view = {
            "metric": figure_label(figure),
            "region": REGION_LABELS.get(figure.get("region") or "", figure.get("region") or ""),
            "period": oneline(figure.get("period")),
            "value": QUALIFIER_LABELS.get(figure.get("qualifier") or "", "")
            + value_text(figure, figure.get("value")),
            "previous": None if previous is None else value_text(figure, previous),
            "delta": signed(delta) if previous is not None else "",
            "previous_url": safe_url(previous_url),
            "previous_url_text": oneline(previous_url) if previous_url else "",
            "also_reported_by": [oneline(s) for s in figure.get("also_reported_by") or ()],
        }
    sentence = (figure or {}).get("sentence") or report.get("sentence") or ""
    source = event.get("source") or {}
    return {
        "id": str(event.get("id") or ""),
        "type": str(event.get("type") or ""),
        "type_label": TYPE_LABELS.get(str(event.get("type")), str(event.get("type"))),
        "headline": headline(event),
        "created_at": oneline(event.get("created_at")),
        "source_name": oneline(source.get("name") or source.get("id")),
        "title": oneline(report.get("title")),
        "report_url": safe_url(report.get("url")),
        "report_url_text": oneline(report.get("url")),
        "published_at": oneline(report.get("published_at")),
        "lang": oneline(report.get("lang")),
        "translation_of": _translation(event.get("translation_of")),
        "versions": [],  # other language versions, filled by the digest and the feed
        "sha256": oneline(report.get("sha256")),
        "archive_url": archive_url,
        "archive_ref": archive_ref,
        "sentence": " ".join(str(sentence).split()),
        "figure": figure_view,
        "health": None if not health else {
            "message": oneline(health.get("message")),
            "last_error": oneline(health.get("last_error"), 500),
            "since": oneline(health.get("since")),
        },
    }


def subject(views: Sequence[Mapping[str, Any]]) -> str:
    if len(views) == 1:
        return oneline(views[0]["headline"], SUBJECT_MAX)
    return oneline(f"{len(views)} alerts · {views[0]['headline']} · and {len(views) - 1} more",
                   SUBJECT_MAX)


def render_email(views: Sequence[Mapping[str, Any]], *, sender: str, recipient: str,
                 delivery_ids: Sequence[str], rule: str) -> EmailMessage:
    """A multipart/alternative message (plain text first, HTML second) for *views*.

    The Message-ID is derived from the delivery ids, so the rare re-send after a crash
    carries the same Message-ID and mail clients show it once.
    """
    context = {"events": list(views), "rule": rule, "count": len(views)}
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = subject(views)
    msg["From"] = sender
    msg["To"] = recipient
    msg["Date"] = formatdate(usegmt=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "rightswatch.invalid"
    seed = hashlib.sha256("\n".join(sorted(delivery_ids)).encode()).hexdigest()[:32]
    msg["Message-ID"] = f"<{seed}@{domain}>"
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Rightswatch-Rule"] = rule
    msg["X-Rightswatch-Delivery"] = ", ".join(delivery_ids)
    msg["X-Rightswatch-Event"] = ", ".join(sorted({str(v["type"]) for v in views}))
    msg.set_content(_TEXT.get_template("email.txt.j2").render(context), cte="quoted-printable")
    msg.add_alternative(_HTML.get_template("email.html.j2").render(context), subtype="html")
    return msg


def render_short(view: Mapping[str, Any]) -> tuple[str, str]:
    """(title, body) for chat-like channels (apprise): a few plain lines."""
    body = _TEXT.get_template("short.txt.j2").render({"e": view}).strip()
    return oneline(view["headline"], SUBJECT_MAX), body


def webhook_body(event: Mapping[str, Any]) -> bytes:
    """The design.md Event JSON, compact UTF-8: these exact bytes are signed."""
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"),
                      default=str).encode("utf-8")


__all__ = [
    "ArchiveLookup",
    "event_view",
    "figure_label",
    "fold_translations",
    "headline",
    "metric_label",
    "oneline",
    "render_email",
    "render_short",
    "safe_url",
    "subject",
    "value_text",
    "webhook_body",
]
