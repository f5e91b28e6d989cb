"""An Atom 1.0 feed (RFC 4287) of events, so monitors can follow rightswatch in any reader.

Alerts push news to the people a rule names; a feed lets anyone else pull the same news
without an account or a rule: a file the operator publishes (or opens locally) and a feed
reader polls.  Wording comes from `rightswatch.alerts.render`, so an entry says exactly what
the alert email says.

Everything in an event was scraped from the web and is hostile until proven otherwise:
the XML is built with ElementTree (which escapes text and attributes), characters XML 1.0
cannot carry (NUL, most C0 controls, lone surrogates) are dropped, and only http(s) URLs
become links.  Backfill events (a source's first crawl, old reports seen late) are history,
not news, and are left out unless asked for.

Entry ids are derived from event ids, which are hashes of the events' dedup keys: the same
event keeps the same entry id in every regeneration of the feed, so readers never show an
entry twice.
"""

from __future__ import annotations

import os
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from . import __version__
from .alerts.render import REGION_LABELS, ArchiveLookup, event_view, metric_label, safe_url
from .db import Store, digests, open_db
from .db.store import iso

ATOM_NS = "http://www.w3.org/2005/Atom"
ENTRY_ID_PREFIX = "urn:rightswatch:event:"
TYPE_SCHEME = "urn:rightswatch:event-type"
WHAT_SCHEME = "urn:rightswatch:what"  # counted things no metric fits
METRIC_SCHEME = "urn:rightswatch:metric"
REGION_SCHEME = "urn:rightswatch:region"
DEFAULT_TITLE = "rightswatch: events"

# Characters XML 1.0 allows (https://www.w3.org/TR/xml/#charsets); anything else is dropped.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

ET.register_namespace("", ATOM_NS)


def xml_text(value: Any) -> str:
    """*value* as a string XML 1.0 can carry: control characters and surrogates removed."""
    return _NOT_XML_CHAR.sub("", "" if value is None else str(value))


def rfc3339(value: Any) -> str | None:
    """An ISO timestamp as RFC 3339 UTC ('2026-11-04T10:00:00Z'); None if it is not one."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return iso(moment)


def entry_id(event: Mapping[str, Any]) -> str:
    """The entry's permanent id: the event id never changes, so neither does this."""
    return ENTRY_ID_PREFIX + quote(xml_text(event.get("id")), safe="_-.")


@dataclass(frozen=True)
class FeedInfo:
    """Feed-level facts: who it is, where it lives, what it holds."""

    feed_id: str
    title: str = DEFAULT_TITLE
    subtitle: str | None = None
    self_url: str | None = None
    archive_base_url: str | None = None
    # Without archive_base_url, where each snapshot's WARC record is (shown, not linked).
    archive_lookup: ArchiveLookup | None = None


def _sub(parent: ET.Element, tag: str, text: Any = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}",
                            {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def _html(tag: str, text: Any = None, **attrs: str) -> ET.Element:
    element = ET.Element(tag, {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def _link_or_text(parent: ET.Element, url: str | None, text: str) -> None:
    """An <a> for a safe http(s) URL, else the text alone (a `javascript:` URL stays text)."""
    if url:
        parent.append(_html("a", text or url, href=url))
    elif parent.text:
        parent.text += xml_text(text)
    else:
        parent.text = xml_text(text)


def _change(view: Mapping[str, Any]) -> str:
    """'574 → at least 583 (+9)', or just the value for a new figure."""
    figure = view.get("figure") or {}
    if not figure:
        return ""
    if figure.get("previous") is not None:
        delta = f" ({figure['delta']})" if figure.get("delta") else ""
        return f"{figure['previous']} → {figure['value']}{delta}"
    return str(figure.get("value") or "")


def summary_text(view: Mapping[str, Any]) -> str:
    """Plain-text summary: the source's sentence, then previous → new value."""
    parts = []
    if view.get("sentence"):
        parts.append(f"“{view['sentence']}”")
    change = _change(view)
    if change:
        parts.append(change)
    health = view.get("health") or {}
    if health.get("message"):
        parts.append(health["message"])
    if health.get("last_error"):
        parts.append(f"Last error: {health['last_error']}")
    if not parts:
        parts.append(view.get("title") or view.get("report_url_text") or view["headline"])
    return " — ".join(parts)


def content_html(view: Mapping[str, Any], diff: str | None = None) -> str:
    """The entry body as an HTML fragment, built as a tree (never by pasting strings)."""
    root = _html("div")
    root.append(_html("p", view["headline"]))
    if view.get("sentence"):
        root.append(_html("blockquote", view["sentence"]))
    facts = _html("ul")

    def fact(label: str, text: str = "", url: str | None = None) -> None:
        item = _html("li", f"{label}: ")
        _link_or_text(item, url, text)
        facts.append(item)

    figure = view.get("figure")
    if figure:
        what = figure["metric"] + (f", {figure['region']}" if figure.get("region") else "")
        fact("Figure", what + (f" ({figure['period']})" if figure.get("period") else ""))
        fact("Value", figure["value"])
        if figure.get("previous") is not None:
            fact("Previous value", figure["previous"] + (f" ({figure['delta']})"
                                                          if figure.get("delta") else ""))
            if figure.get("previous_url_text"):
                fact("Previous report", figure["previous_url_text"], figure.get("previous_url"))
        if figure.get("also_reported_by"):
            fact("Also reported by", ", ".join(figure["also_reported_by"]))
    for version in view.get("versions") or ():
        fact(f"Also in {version['lang'] or 'another language'}",
             version["title"] or version["url_text"], version["url"])
    original = view.get("translation_of")
    if original:
        fact("Translation of", original["title"] or original["url_text"], original["url"])
    health = view.get("health")
    if health:
        fact("Status", health.get("message") or "")
        if health.get("last_error"):
            fact("Last error", health["last_error"])
        if health.get("since"):
            fact("Since", health["since"])
    if diff:
        fact("Changes", " ".join(str(diff).split()))
    if view.get("report_url_text"):
        fact("Report", view.get("title") or view["report_url_text"], view.get("report_url"))
    if view.get("published_at"):
        fact("Published", view["published_at"])
    if view.get("archive_url"):
        fact("Archived copy", view["archive_url"], view["archive_url"])
    elif view.get("archive_ref"):
        fact("Archived copy", view["archive_ref"])
    if view.get("sha256"):
        fact("SHA-256", view["sha256"])
    fact("Source", view.get("source_name") or "")
    root.append(facts)
    return ET.tostring(root, encoding="unicode", method="html")


def _category(entry: ET.Element, term: Any, scheme: str, label: str | None = None) -> None:
    term_text = xml_text(term).strip()
    if term_text:
        attrs = {"term": term_text, "scheme": scheme}
        if label:
            attrs["label"] = label
        _sub(entry, "category", **attrs)


def add_entry(feed: ET.Element, event: Mapping[str, Any], *, fallback_updated: str,
              archive_base_url: str | None = None,
              archive_lookup: ArchiveLookup | None = None,
              versions: Sequence[Mapping[str, Any]] = ()) -> None:
    """Append one <entry> for *event* (design.md's Event JSON) to *feed*; *versions*: the
    report's translations ``report.new`` events, shown as links of the same entry."""
    view = event_view(event, archive_base_url=archive_base_url, archive_lookup=archive_lookup)
    for other in versions:
        report = other.get("report") or {}
        view["versions"].append({"lang": str(report.get("lang") or ""),
                                 "url": safe_url(report.get("url")),
                                 "url_text": str(report.get("url") or ""),
                                 "title": str(report.get("title") or "")})
    entry = _sub(feed, "entry")
    _sub(entry, "id", entry_id(event))
    _sub(entry, "title", view["headline"], type="text")
    when = rfc3339(event.get("created_at")) or fallback_updated
    _sub(entry, "updated", when)
    _sub(entry, "published", when)
    author = _sub(entry, "author")
    _sub(author, "name", view.get("source_name") or "rightswatch")
    if view.get("report_url"):
        _sub(entry, "link", rel="alternate", type="text/html", href=view["report_url"],
             title=view.get("title") or view["report_url"])
    if view.get("archive_url"):
        _sub(entry, "link", rel="related", href=view["archive_url"], title="archived copy")
    for version in view["versions"]:
        if version["url"]:
            lang = {"hreflang": version["lang"]} if version["lang"] else {}
            _sub(entry, "link", rel="alternate", type="text/html", href=version["url"],
                 title=version["title"] or version["url"], **lang)
    _category(entry, event.get("type"), TYPE_SCHEME, view.get("type_label"))
    figure = event.get("figure") or {}
    if figure:
        metric = figure.get("metric")
        _category(entry, metric, METRIC_SCHEME, metric_label(metric, "") or None)
        if not metric and figure.get("what"):
            _category(entry, figure["what"], WHAT_SCHEME, figure["what"])
        region = figure.get("region")
        _category(entry, region, REGION_SCHEME, REGION_LABELS.get(str(region or "")))
    _sub(entry, "summary", summary_text(view), type="text")
    diff = event.get("diff") if isinstance(event.get("diff"), str) else None
    _sub(entry, "content", content_html(view, diff), type="html")


def build_feed(events: Iterable[Mapping[str, Any]], info: FeedInfo, *,
               now: datetime | None = None) -> bytes:
    """The Atom document (UTF-8 bytes) for *events*, newest first.

    The feed's <updated> is its newest entry's time, so regenerating an unchanged feed
    yields the same bytes (readers and HTTP caches see no change); an empty feed says now.
    """
    generated = iso(now or datetime.now(UTC))
    ordered = sorted(events, key=lambda e: (rfc3339(e.get("created_at")) or generated,
                                            str(e.get("id") or "")), reverse=True)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _sub(feed, "id", info.feed_id)
    _sub(feed, "title", info.title, type="text")
    if info.subtitle:
        _sub(feed, "subtitle", info.subtitle, type="text")
    newest = rfc3339(ordered[0].get("created_at")) if ordered else None
    _sub(feed, "updated", newest or generated)
    author = _sub(feed, "author")
    _sub(author, "name", "rightswatch")
    _sub(feed, "generator", "rightswatch", version=__version__)
    self_url = safe_url(info.self_url)
    if self_url:
        _sub(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    # One report in several languages is one entry: translations join their original's.
    originals = {str((e.get("report") or {}).get("url")): e for e in ordered
                 if e.get("type") == "report.new" and not e.get("translation_of")}
    versions: dict[int, list[Mapping[str, Any]]] = {}
    for event in ordered:
        original = originals.get(str((event.get("translation_of") or {}).get("url")))
        if original is not None:
            versions.setdefault(id(original), []).append(event)
    folded = {id(e) for group in versions.values() for e in group}
    for event in ordered:
        if id(event) in folded:
            continue
        add_entry(feed, event, fallback_updated=generated,
                  archive_base_url=info.archive_base_url, archive_lookup=info.archive_lookup,
                  versions=versions.get(id(event), []))
    ET.indent(feed, space="  ")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def write_atomically(path: str | Path, data: bytes) -> None:
    """Replace *path* with *data* in one step: a reader polling the file never sees half.

    The new file keeps the mode of the one it replaces (a web server may need to read it),
    else gets the usual 0644 rather than a temporary file's 0600.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def default_feed_id(database: str | Path, types: Sequence[str] = ()) -> str:
    """A stable feed id: one per database (and event-type filter), the same on every run."""
    name = quote(Path(database).stem or "rightswatch", safe="_-.")
    suffix = ":" + quote(",".join(sorted(types)), safe="_-.,") if types else ""
    return f"urn:rightswatch:feed:{name}{suffix}"


def load_events(database: str | Path, *, since: str | None, types: Sequence[str] = (),
                include_backfill: bool = False
                ) -> tuple[list[dict[str, Any]], dict[int, tuple[str, int | None]]]:
    """Event payloads from the database at *database* (which must exist), and where the
    WARC record of each snapshot they mention is (file name, offset)."""
    if not Path(database).exists():
        raise FileNotFoundError(f"no database at {database}")
    store = Store(open_db(database))
    try:
        events = store.events(since=since, types=types, include_backfill=include_backfill)
        snapshot_ids = [sid for sid in ((e.get("report") or {}).get("snapshot_id")
                                        for e in events) if isinstance(sid, int)]
        return events, digests.archive_locations(store.db, snapshot_ids)
    finally:
        store.close()


def export_feed(database: str | Path, out: str | Path, *, since: str | None,
                types: Sequence[str] = (), self_url: str | None = None,
                archive_base_url: str | None = None, include_backfill: bool = False,
                title: str = DEFAULT_TITLE) -> int:
    """Write the feed of the database's events to *out*; return the number of entries."""
    events, records = load_events(database, since=since, types=types,
                                  include_backfill=include_backfill)
    what = ", ".join(types) if types else "new and edited reports, figure changes, source health"
    info = FeedInfo(feed_id=default_feed_id(database, types), title=title,
                    subtitle=f"Events from the watched sources ({what})",
                    self_url=self_url, archive_base_url=archive_base_url,
                    archive_lookup=records.get)
    write_atomically(out, build_feed(events, info))
    return len(events)


__all__ = ["FeedInfo", "build_feed", "content_html", "default_feed_id", "entry_id",
           "export_feed", "load_events", "rfc3339", "summary_text", "write_atomically",
           "xml_text"]
