"""One report in three languages is one piece of news: in events, alerts, digest and feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser

from rightswatch.alerts import parse_rules
from rightswatch.alerts.digest import build_digest
from rightswatch.changes.translations import Version, is_translation, original_of
from rightswatch.config import load_config
from rightswatch.db import open_db
from rightswatch.feed import FeedInfo, build_feed
from rightswatch.ingest import ingest_file

CONFIG = """\
[rightswatch]
database = "rw.db"
archive_dir = "archive"

[[source]]
id = "chrg"
name = "Crimean Human Rights Group"
organisation = "Crimean Human Rights Group"
homepage = "https://crimeahrg.org/"
"""

VERSIONS = {
    "en": ("CHRG: 574 criminal cases for refusing to serve",
           "The Crimean Human Rights Group knows of 574 criminal cases opened in Crimea since "
           "the start of the occupation; 497 of them have ended in convictions."),
    "uk": ("КПГ: 574 кримінальні справи за відмову служити",
           "Кримська правозахисна група знає про 574 кримінальні справи, порушені в Криму з "
           "початку окупації; у 497 з них ухвалено вироки."),
    "ru": ("КПГ: 574 уголовных дела за отказ служить",
           "Крымская правозащитная группа знает о 574 уголовных делах, возбужденных в Крыму с "
           "начала оккупации; по 497 из них вынесены приговоры."),
}


def at(hours: int) -> datetime:
    return datetime(2026, 11, 2, 9, tzinfo=UTC) + timedelta(hours=hours)


def test_versions_of_one_report_are_recognised() -> None:
    en = Version("en", "en", at(0), frozenset({574.0, 497.0}))
    uk = Version("uk", "uk", at(2), frozenset({574.0, 497.0}))
    assert is_translation(en, uk)
    assert not is_translation(en, Version("en2", "en", at(1), en.values))  # same language
    assert not is_translation(en, Version("uk", "uk", at(100), en.values))  # days apart
    assert not is_translation(en, Version("uk", "uk", at(1), frozenset({12.0, 3.0})))
    assert not is_translation(en, Version("uk", "uk", at(1), frozenset()))  # nothing to compare
    assert original_of(uk, [en]) == en
    assert original_of(en, [uk]) is None  # published first: it is the original


def ingest_versions(tmp_path: Path) -> list[dict]:
    (tmp_path / "rightswatch.toml").write_text(CONFIG, encoding="utf-8")
    config = load_config(tmp_path / "rightswatch.toml")
    events = []
    for hours, (lang, (title, body)) in enumerate(VERSIONS.items()):
        path = tmp_path / f"{lang}.txt"
        path.write_text(f"{title}\n\n{body}\n", encoding="utf-8")
        published = at(hours).isoformat()
        events += ingest_file(config, path, "chrg", url=f"https://crimeahrg.org/{lang}/574",
                              published=published).events
    return events


def test_translations_are_marked_and_do_not_alert_again(tmp_path: Path,
                                                        monkeypatch) -> None:
    events = ingest_versions(tmp_path)
    new = [e for e in events if e["type"] == "report.new"]
    assert [e["report"]["lang"] for e in new] == ["en", "uk", "ru"]
    assert "translation_of" not in new[0]
    assert [e["translation_of"]["url"] for e in new[1:]] == ["https://crimeahrg.org/en/574"] * 2
    monkeypatch.setenv("HOOK_SECRET", "s3cret")
    rule, = parse_rules([{"name": "team", "channel": "webhook", "url": "https://h.example.org/",
                          "secret": "${HOOK_SECRET}"}])
    live = [{**e, "backfill": False} for e in new]
    assert [rule.matches(e) for e in live] == [True, False, False]
    everything, = parse_rules([{"name": "all", "channel": "webhook",
                                "url": "https://h.example.org/", "secret": "${HOOK_SECRET}",
                                "translations": True}])
    assert all(everything.matches(e) for e in live)


def test_digest_and_feed_show_one_item_with_its_language_versions(tmp_path: Path) -> None:
    events = ingest_versions(tmp_path)
    db = open_db(tmp_path / "rw.db")
    try:
        content = build_digest(db, since=datetime.now(UTC) - timedelta(hours=1),
                               until=datetime.now(UTC) + timedelta(minutes=1))
    finally:
        db.conn.close()
    (group,) = content.reports
    (item,) = group["entries"]
    assert item["lang"] == "en"
    assert [v["lang"] for v in item["versions"]] == ["uk", "ru"]

    xml = build_feed([e for e in events if e["type"] == "report.new"],
                     FeedInfo(feed_id="urn:test", title="test"))
    parsed = feedparser.parse(xml)
    assert len(parsed.entries) == 1
    links = {link.get("hreflang"): link["href"] for link in parsed.entries[0].links
             if link["rel"] == "alternate"}
    assert links == {None: "https://crimeahrg.org/en/574", "uk": "https://crimeahrg.org/uk/574",
                     "ru": "https://crimeahrg.org/ru/574"}
