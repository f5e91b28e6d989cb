"""One count reported three ways is one series, in every arrival order (issue 10).

The group's own report (522, on its own site), a news site quoting it by name (574) and a
news site with a generic attribution (583, "according to human rights organizations"),
published in that order, ingested in any order: one series 522 → 574 → 583, and every report
that arrives as the newest word alerts with the right previous value.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from rightswatch.config import load_config
from rightswatch.db import Store, open_db
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

[[source]]
id = "news"
name = "Krym news"
kind = "media"
homepage = "https://news.example.org/"
"""

REPORTS = {
    "own": ("chrg", "https://crimeahrg.org/en/522", "2024-10-15",
            "Monitoring review for October 2024",
            "The Crimean Human Rights Group has documented at least 522 criminal cases against "
            "Crimean residents for evading military service since the beginning of the "
            "occupation."),
    "quoted": ("news", "https://news.example.org/574", "2025-01-20",
               "Crimea: more draft-evasion cases",
               "According to the Crimean Human Rights Group, 574 criminal cases have been opened "
               "in Crimea for evading service since the start of the occupation."),
    "generic": ("dw", "https://dw.example.org/583", "2025-04-10", "Occupied Crimea",
                "According to human rights organizations, at least 583 criminal proceedings "
                "have been initiated in Crimea for evasion since the beginning of the "
                "occupation."),
}
SERIES = "criminal_cases|crimea|cumulative:occupation|Crimean Human Rights Group"


def ingest_in(tmp_path: Path, order: tuple[str, ...]) -> list[dict]:
    (tmp_path / "rightswatch.toml").write_text(CONFIG, encoding="utf-8")
    config = load_config(tmp_path / "rightswatch.toml")
    events = []
    for name in order:
        source, url, published, title, body = REPORTS[name]
        path = tmp_path / f"{name}.txt"
        path.write_text(f"{title}\n\n{body}\n", encoding="utf-8")
        events += ingest_file(config, path, source, url=url, published=published).events
    return events


def series_values(tmp_path: Path) -> dict[str, list[float]]:
    store = Store(open_db(tmp_path / "rw.db"))
    try:
        rows = store.query("""SELECT f.series_id, f.value FROM figures f
                              JOIN snapshots s ON s.id = f.snapshot_id
                              WHERE f.series_id IS NOT NULL ORDER BY s.published_at""")
    finally:
        store.close()
    out: dict[str, list[float]] = {}
    for r in rows:
        out.setdefault(r["series_id"], []).append(r["value"])
    return out


@pytest.mark.parametrize("order", list(itertools.permutations(REPORTS)),
                         ids=lambda o: "-".join(o))
def test_one_series_whatever_the_arrival_order(tmp_path: Path, order: tuple[str, ...]) -> None:
    events = ingest_in(tmp_path, order)
    assert series_values(tmp_path) == {SERIES: [522, 574, 583]}
    # Each report that arrived as the newest word of the series alerted against the word
    # before it; a report arriving after a newer one is history only.
    published = {"own": 0, "quoted": 1, "generic": 2}
    values = {"own": 522, "quoted": 574, "generic": 583}
    newest: str | None = None
    expected = []
    for name in order:
        if newest is None:
            expected.append(("figure.new", None, values[name]))
            newest = name
        elif published[name] > published[newest]:
            expected.append(("figure.changed", values[newest], values[name]))
            newest = name
    got = [(e["type"], e["figure"]["previous_value"], e["figure"]["value"])
           for e in events if e["type"].startswith("figure.")]
    assert got == expected


def test_in_publication_order_two_changes_with_their_deltas(tmp_path: Path) -> None:
    events = ingest_in(tmp_path, ("own", "quoted", "generic"))
    changed = [e["figure"] for e in events if e["type"] == "figure.changed"]
    assert [(f["previous_value"], f["value"], f["delta"]) for f in changed] == [
        (522, 574, 52), (574, 583, 9)]
    assert {f["series"] for f in changed} == {SERIES}


def test_another_named_organisation_keeps_its_own_series(tmp_path: Path) -> None:
    ingest_in(tmp_path, ("own",))
    (tmp_path / "un.txt").write_text(
        "UN report\n\nThe UN Human Rights Monitoring Mission in Ukraine counts 540 criminal "
        "cases for evasion in Crimea since the beginning of the occupation.\n", encoding="utf-8")
    config = load_config(tmp_path / "rightswatch.toml")
    done = ingest_file(config, tmp_path / "un.txt", "news", url="https://news.example.org/un",
                       published="2025-02-01")
    figure = next(e["figure"] for e in done.events if e["type"] == "figure.new")
    assert figure["organisation"] == "UN Human Rights Monitoring Mission in Ukraine"
    assert figure["also_reported_by"] == ["Crimean Human Rights Group"]
    assert len(series_values(tmp_path)) == 2


def test_a_database_from_before_the_order_index_migrates_and_continues(tmp_path: Path) -> None:
    """Migration 0006 fills in each figure's publication order; a report stored after the
    upgrade continues the series as if the database had always had it."""
    from rightswatch.db.series import order_key, order_text

    ingest_in(tmp_path, ("own", "quoted"))
    db = open_db(tmp_path / "rw.db")
    for index in ("figures_named_order", "figures_continuing_order",
                  "figures_topic_organisations", "snapshots_source_published",
                  "snapshots_source_fetched"):
        db.conn.execute(f"DROP INDEX {index}")
    db.conn.execute("ALTER TABLE figures DROP COLUMN order_key")
    db.conn.execute("DELETE FROM _migrations WHERE name = '0006_indexed_lookups'")
    db.conn.close()

    store = Store(open_db(tmp_path / "rw.db"))
    try:
        rows = store.query("""SELECT f.order_key, f.topic, f.snapshot_id, s.url, s.published_at,
                                     s.fetched_at
                              FROM figures f JOIN snapshots s ON s.id = f.snapshot_id""")
    finally:
        store.close()
    assert rows and all(r["order_key"] == order_text(order_key(r)) for r in rows if r["topic"])
    events = ingest_in(tmp_path, ("generic",))
    assert series_values(tmp_path) == {SERIES: [522, 574, 583]}
    assert [(e["figure"]["previous_value"], e["figure"]["value"]) for e in events
            if e["type"] == "figure.changed"] == [(574, 583)]


def test_a_late_named_report_takes_over_only_until_the_next_named_one(tmp_path: Path) -> None:
    """Continuing figures follow the latest named count before them: a named report that
    arrives late re-resolves the continuing figures after it, up to the next named one."""
    more = {
        "mission": ("news", "https://news.example.org/590", "2025-06-02",
                    "Crimea: prosecutions",
                    "According to the Mission of the President of Ukraine in Crimea, 590 "
                    "criminal cases have been opened in Crimea for evading service since the "
                    "beginning of the occupation."),
        "generic2": ("dw", "https://dw.example.org/601", "2025-08-11", "Occupied Crimea",
                     "According to human rights defenders, at least 601 criminal proceedings "
                     "have been initiated in Crimea for evasion since the beginning of the "
                     "occupation."),
    }
    REPORTS.update(more)
    try:
        ingest_in(tmp_path, ("generic2", "generic", "mission", "quoted", "own"))
    finally:
        for name in more:
            del REPORTS[name]
    mission = SERIES.replace("Crimean Human Rights Group",
                             "Mission of the President of Ukraine in the Autonomous "
                             "Republic of Crimea")
    assert series_values(tmp_path) == {SERIES: [522, 574, 583], mission: [590, 601]}
