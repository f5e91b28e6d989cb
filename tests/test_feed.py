"""The Atom feed of events: real events in a real SQLite file, read back with feedparser."""

from __future__ import annotations

import stat
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner
from test_alerts_support import figure_event, store_events

from rightswatch.cli import cli
from rightswatch.config import Config, load_config
from rightswatch.db import Store, open_db
from rightswatch.feed import (
    ENTRY_ID_PREFIX,
    load_events,
    rfc3339,
    write_atomically,
    xml_text,
)
from rightswatch.ingest import ingest_file

ARCHIVE = "https://archive.example.org/snapshots"
HOSTILE_TITLE = ('<script>alert("x")</script> Review & notes \x01\x07\x1b '
                 'Обзор \u202eevil\u202c مرحبا')
HOSTILE_SENTENCE = 'At least 600 cases <b>bold</b> & "quoted" \x00\x0b — Крим, مرحبا.'


def days_ago(n: int) -> str:
    return (date.today() - timedelta(days=n)).isoformat()


@pytest.fixture
def config(tmp_path: Path) -> Config:
    path = tmp_path / "rightswatch.toml"
    path.write_text(f'[rightswatch]\ncontact = "t@example.org"\narchive_base_url = "{ARCHIVE}"\n',
                    encoding="utf-8")
    return load_config(path)


def ingest(config: Config, tmp_path: Path, name: str, text: str, *, source: str = "chrg",
           published: str, url: str):
    path = tmp_path / f"{name}.txt"
    path.write_text(text, encoding="utf-8")
    return ingest_file(config, path, source, published=published, url=url)


@pytest.fixture
def populated(config: Config, tmp_path: Path) -> Config:
    """Two CHRG reports (a new and a changed figure), one hostile, one backfill."""
    ingest(config, tmp_path, "first",
           "According to the Crimean Human Rights Group, at least 522 criminal cases for "
           "evading military service have been opened in Crimea since 2015.",
           published=days_ago(5), url="https://crimeahrg.org/en/report-1/")
    ingest(config, tmp_path, "second",
           "The Crimean Human Rights Group now counts at least 583 criminal cases for "
           "evading service in Crimea since 2015.",
           published=days_ago(2), url="https://crimeahrg.org/en/report-2/")
    ingest(config, tmp_path, "hostile",
           'Кримська група: <script>alert("x")</script> & at least 17 people were detained '
           "in Kherson \u202eevil\u202c مرحبا.\n",
           source="hostile", published=days_ago(1),
           url="https://hostile.example.org/r/?a=1&b=2")
    # An old report seen for the first time is backfill: history, not news.
    ingest(config, tmp_path, "old",
           "Officials said 31 people were detained in Sevastopol last year.",
           source="archive-src", published="2020-01-01", url="https://old.example.org/a/")
    # A scraped title and sentence full of markup and control characters (stored as the
    # alert tests store events: event row and deliveries in one transaction).
    store_events(config.database, [figure_event(
        7, created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        report__title=HOSTILE_TITLE, report__snapshot_id=1,
        report__url="javascript:alert(1)", figure__sentence=HOSTILE_SENTENCE)], [])
    return config


def stored_events(config: Config, *, include_backfill: bool) -> list[dict]:
    store = Store(open_db(config.database))
    try:
        return store.events(include_backfill=include_backfill)
    finally:
        store.close()


def run_feed(config: Config, out: Path, *extra: str):
    result = CliRunner().invoke(cli, ["--config", str(config.path), "feed", "--out", str(out),
                                      *extra])
    assert result.exit_code == 0, result.output
    return result


def parse(path: Path):
    parsed = feedparser.parse(path.read_bytes())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def test_feed_has_one_entry_per_news_event(populated: Config, tmp_path: Path):
    out = tmp_path / "pub" / "events.atom"
    result = run_feed(populated, out)
    news = stored_events(populated, include_backfill=False)
    assert len(news) < len(stored_events(populated, include_backfill=True))  # backfill exists
    assert f"wrote {len(news)} entries to {out}" in result.output
    feed = parse(out)
    assert len(feed.entries) == len(news)
    assert {e.id for e in feed.entries} == {ENTRY_ID_PREFIX + e["id"] for e in news}
    titles = [e.title for e in feed.entries]
    assert "chrg · criminal cases, Crimea: 522 → 583 (+61)" in titles
    assert "chrg · new figure: criminal cases, Crimea: 522" in titles
    assert feed.feed.title == "rightswatch: events"
    assert feed.feed.id.startswith("urn:rightswatch:feed:")
    assert feed.feed.generator == "rightswatch"
    # Newest first, and the feed's updated is its newest entry's.
    stamps = [e.updated for e in feed.entries]
    assert stamps == sorted(stamps, reverse=True)
    assert feed.feed.updated == stamps[0]


def test_entries_carry_links_categories_dates_and_the_sentence(populated: Config,
                                                                tmp_path: Path):
    out = tmp_path / "events.atom"
    run_feed(populated, out)
    feed = parse(out)
    events = {ENTRY_ID_PREFIX + e["id"]: e for e in stored_events(populated,
                                                                  include_backfill=False)}
    changed = next(e for e in feed.entries if "522 → 583" in e.title)
    event = events[changed.id]
    links = {link.rel: link.href for link in changed.links}
    assert links["alternate"] == "https://crimeahrg.org/en/report-2/"
    assert links["related"] == f"{ARCHIVE}/{event['report']['snapshot_id']}"
    terms = {(t.term, t.scheme) for t in changed.tags}
    assert ("figure.changed", "urn:rightswatch:event-type") in terms
    assert ("criminal_cases", "urn:rightswatch:metric") in terms
    assert ("crimea", "urn:rightswatch:region") in terms
    assert changed.author == "chrg"
    # created_at, as RFC 3339, in both updated and published; feedparser reads the dates.
    assert changed.updated == changed.published == event["created_at"]
    assert changed.updated_parsed is not None and changed.published_parsed is not None
    assert datetime.fromisoformat(changed.updated) <= datetime.now(UTC)
    assert "now counts at least 583 criminal cases" in changed.summary
    assert "522 → at least 583 (+61)" in changed.summary
    body = changed.content[0].value
    assert "522" in body and "at least 583" in body and "+61" in body
    assert "https://crimeahrg.org/en/report-1/" in body   # the previous report
    assert event["report"]["sha256"] in body
    report = next(e for e in feed.entries if e.tags[0].term == "report.new")
    assert report.title.startswith(("chrg · new report: ", "hostile · new report: "))


def test_backfill_is_left_out_unless_asked_for(populated: Config, tmp_path: Path):
    backfill = [e for e in stored_events(populated, include_backfill=True) if e.get("backfill")]
    assert backfill, "the 2020 report should be backfill"
    out = tmp_path / "events.atom"
    run_feed(populated, out)
    ids = {e.id for e in parse(out).entries}
    assert not ids & {ENTRY_ID_PREFIX + e["id"] for e in backfill}
    assert "old.example.org" not in out.read_text(encoding="utf-8")
    run_feed(populated, out, "--include-backfill")
    ids = {e.id for e in parse(out).entries}
    assert {ENTRY_ID_PREFIX + e["id"] for e in backfill} <= ids


def test_ids_and_bytes_are_stable_across_runs(populated: Config, tmp_path: Path):
    first, second = tmp_path / "a.atom", tmp_path / "b.atom"
    run_feed(populated, first)
    run_feed(populated, second)
    assert [e.id for e in parse(first).entries] == [e.id for e in parse(second).entries]
    assert first.read_bytes() == second.read_bytes()


def test_hostile_text_is_escaped_and_the_feed_still_parses(populated: Config, tmp_path: Path):
    out = tmp_path / "events.atom"
    run_feed(populated, out)
    raw = out.read_bytes()
    text = raw.decode("utf-8")
    assert "<script" not in text and "<b>" not in text
    assert "&lt;script&gt;" in text
    for char in "\x00\x01\x07\x0b\x1b":
        assert char not in text
    feed = parse(out)
    hostile = next(e for e in feed.entries if e.id == ENTRY_ID_PREFIX + "evt_test0007")
    assert hostile.title == "CHRG · criminal cases, Crimea: 574 → 590 (+16)"
    assert 'At least 600 cases <b>bold</b> & "quoted"' in hostile.summary
    assert "Крим, مرحبا" in hostile.summary
    body = hostile.content[0].value
    assert "&lt;b&gt;bold&lt;/b&gt;" in body and "<b>" not in body
    assert "&lt;script&gt;" in body and "<script" not in body and "Обзор" in body
    # A javascript: URL is never a link.
    assert all("javascript" not in link.href for link in hostile.links)
    assert 'href="javascript' not in body
    # Titles are text: markup arrives as characters, Cyrillic and RTL intact.
    ingested = next(e for e in feed.entries if e.title.startswith("hostile · new report"))
    assert '<script>alert("x")</script> & at least 17' in ingested.title
    assert "Кримська група" in ingested.title and "\u202eevil\u202c" in ingested.title
    assert "مرحبا" in ingested.title
    assert {link.href for link in ingested.links if link.rel == "alternate"} == {
        "https://hostile.example.org/r/?a=1&b=2"}


def test_type_filter_self_link_and_since(populated: Config, tmp_path: Path):
    out = tmp_path / "changes.atom"
    run_feed(populated, out, "--type", "figure.changed", "--self-url",
             "https://monitor.example.org/changes.atom")
    feed = parse(out)
    assert feed.entries and all(e.tags[0].term == "figure.changed" for e in feed.entries)
    assert {"rel": "self", "href": "https://monitor.example.org/changes.atom"}.items() <= \
        next(link for link in feed.feed.links if link.rel == "self").items()
    assert feed.feed.id.endswith(":figure.changed")
    future = (date.today() + timedelta(days=2)).isoformat()
    run_feed(populated, out, "--since", future)
    assert parse(out).entries == []
    bad = CliRunner().invoke(cli, ["--config", str(populated.path), "feed", "--out", str(out),
                                   "--self-url", "javascript:alert(1)"])
    assert bad.exit_code == 2 and "--self-url" in bad.output


def test_an_empty_database_gives_a_valid_feed(tmp_path: Path):
    db = tmp_path / "empty.db"
    open_db(db).conn.close()
    out = tmp_path / "empty.atom"
    result = CliRunner().invoke(cli, ["--db", str(db), "feed", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote 0 entries" in result.output
    feed = parse(out)
    assert feed.entries == []
    assert feed.feed.id == "urn:rightswatch:feed:empty"
    assert feed.feed.updated_parsed is not None


def test_a_missing_database_is_a_one_line_error(tmp_path: Path):
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "nope.db"), "feed", "--out",
                                      str(tmp_path / "x.atom")])
    assert result.exit_code == 1
    assert "no database at" in result.output and "rightswatch crawl" in result.output
    assert not (tmp_path / "nope.db").exists() and not (tmp_path / "x.atom").exists()


def test_writing_is_atomic_and_keeps_the_file_mode(tmp_path: Path):
    out = tmp_path / "feed.atom"
    out.write_bytes(b"old")
    out.chmod(0o640)
    write_atomically(out, b"<feed/>")
    assert out.read_bytes() == b"<feed/>"
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["feed.atom"]  # no temporary left behind
    fresh = tmp_path / "new" / "feed.atom"
    write_atomically(fresh, b"<feed/>")
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o644


def test_xml_text_and_dates():
    assert xml_text("a\x00b\x01c\td\ne\ud800f\ufffeg") == "abc\td\nefg"
    assert xml_text(None) == ""
    assert rfc3339("2026-11-04T10:00:00Z") == "2026-11-04T10:00:00Z"
    assert rfc3339("2026-11-04T12:00:00+02:00") == "2026-11-04T10:00:00Z"
    assert rfc3339("2026-11-04") == "2026-11-04T00:00:00Z"
    assert rfc3339("not a date") is None and rfc3339(None) is None


def test_health_and_edit_events_become_entries(config: Config, tmp_path: Path):
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    open_db(config.database).conn.close()
    store = Store(open_db(config.database))
    try:
        store.ensure_manual_source("zmina", "ZMINA")
    finally:
        store.close()
    failing = {"id": "evt_health1", "type": "source.failing", "created_at": now,
               "source": {"id": "zmina", "name": "ZMINA"}, "payload_version": 1,
               "health": {"message": "3 crawls in a row failed", "since": now,
                          "last_error": "timeout <after 30 s> & retries"}}
    edited = {"id": "evt_edit1", "type": "report.edited", "created_at": now,
              "source": {"id": "zmina", "name": "ZMINA"}, "payload_version": 1,
              "report": {"url": "https://zmina.info/en/r/", "title": "Weekly review",
                         "published_at": None, "sha256": "ab" * 32, "snapshot_id": None},
              "diff": "…cases in Crimea: −574 +583 …"}
    store_events(config.database, [failing, edited], [])
    out = tmp_path / "events.atom"
    run_feed(config, out)
    entries = {e.id: e for e in parse(out).entries}
    health = entries[ENTRY_ID_PREFIX + "evt_health1"]
    assert health.title == "ZMINA · source failing: 3 crawls in a row failed"
    assert "timeout <after 30 s> & retries" in health.summary
    assert not [link for link in health.get("links", []) if link.rel == "alternate"]
    edit = entries[ENTRY_ID_PREFIX + "evt_edit1"]
    assert edit.title == "ZMINA · report edited: Weekly review"
    assert "−574 +583" in edit.content[0].value
    assert edit.link == "https://zmina.info/en/r/"


def test_load_events_finds_the_warc_record_of_each_snapshot(tmp_path: Path):
    from rightswatch.db.store import Fetch

    database = tmp_path / "rw.db"
    store = Store(open_db(database))
    try:
        store.ensure_manual_source("chrg", "CHRG")
        archived = store.save_fetch(Fetch(
            source_id="chrg", url="https://crimeahrg.org/a/", kind="report", status=200,
            fetched_at="2026-11-02T10:00:00Z", sha256="a" * 64, warc_file="rw-1.warc.gz",
            warc_offset=1234, warc_record_type="response")).snapshot_id
        unarchived = store.save_fetch(Fetch(
            source_id="chrg", url="https://crimeahrg.org/b/", kind="report", status=200,
            fetched_at="2026-11-02T10:00:00Z", sha256="b" * 64)).snapshot_id
    finally:
        store.close()
    events = [figure_event(i, report__snapshot_id=sid)
              for i, sid in enumerate((archived, unarchived, archived))]
    store_events(database, events, [])
    found, records = load_events(database, since=None, include_backfill=True)
    assert len(found) == 3
    assert records == {archived: ("rw-1.warc.gz", 1234)}
