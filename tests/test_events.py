"""Events from reports, through `rightswatch ingest` (the crawler's stages, on files)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from rightswatch.cli import cli
from rightswatch.config import load_config
from rightswatch.db import Store, open_db
from rightswatch.ingest import ingest_file

# Four CHRG statements, written for these tests, in the order they were published.
REPORTS = {
    "2026-10-01": "According to the Crimean Human Rights Group, at least 522 criminal cases "
                  "for evading military service have been opened in Crimea since 2015.",
    "2026-10-20": "За даними Кримської правозахисної групи, з 2015 року в Криму порушено 574 "
                  "кримінальні справи за ухилення від служби. З 24 лютого 2022 року відкрито "
                  "244 справи.",
    "2026-11-04": "The Crimean Human Rights Group now counts at least 583 criminal cases for "
                  "evading service in Crimea since 2015.",
    "2026-11-05": "Crimean Human Rights Group: since 2015, at least 583 criminal cases for "
                  "evading service have been opened in Crimea, the group repeated.",
}
SERIES = "criminal_cases|crimea|cumulative:occupation|Crimean Human Rights Group"


@pytest.fixture
def config(tmp_path: Path):
    path = tmp_path / "rightswatch.toml"
    path.write_text('[rightswatch]\ncontact = "t@example.org"\n', encoding="utf-8")
    return load_config(path)


def write(tmp_path: Path, date: str) -> Path:
    path = tmp_path / f"chrg-{date}.txt"
    path.write_text(REPORTS[date], encoding="utf-8")
    return path


def ingest(config, tmp_path: Path, date: str):
    return ingest_file(config, write(tmp_path, date), "chrg", published=date,
                       url=f"https://crimeahrg.org/en/report-{date}/")


def figure_events(result, series=SERIES):
    return [(e["type"], e["figure"].get("previous_value"), e["figure"]["value"])
            for e in result.events if e.get("figure") and e["figure"]["series"] == series]


def history(config, series=SERIES):
    store = Store(open_db(config.database))
    try:
        rows = store.query("""SELECT f.value FROM figures f JOIN snapshots s
                              ON s.id = f.snapshot_id WHERE f.series_id = ?
                              ORDER BY s.published_at""", [series])
    finally:
        store.close()
    return [r["value"] for r in rows]


def test_a_series_grows_report_by_report(config, tmp_path):
    first = ingest(config, tmp_path, "2026-10-01")
    assert first.outcome == "new"
    assert [e["type"] for e in first.events if not e.get("figure")] == ["report.new"]
    assert figure_events(first) == [("figure.new", None, 522)]
    second = ingest(config, tmp_path, "2026-10-20")
    assert figure_events(second) == [("figure.changed", 522, 574)]
    changed = next(e for e in second.events if e["type"] == "figure.changed")
    assert changed["figure"]["delta"] == 52
    assert changed["figure"]["previous_url"] == "https://crimeahrg.org/en/report-2026-10-01/"
    assert changed["source"] == {"id": "chrg", "name": "chrg"}
    assert changed["report"]["sha256"] and changed["report"]["snapshot_id"]
    assert changed["id"].startswith("evt_") and changed["payload_version"] == 1
    assert figure_events(ingest(config, tmp_path, "2026-11-04")) == [
        ("figure.changed", 574, 583)]


def test_a_since_2022_count_never_moves_the_cumulative_series(config, tmp_path):
    for date in ("2026-10-01", "2026-10-20"):
        ingest(config, tmp_path, date)
    assert history(config) == [522, 574]
    since_2022 = "criminal_cases|crimea|cumulative:2022|Crimean Human Rights Group"
    assert history(config, since_2022) == [244]


def test_a_restatement_and_a_reingest_are_silent(config, tmp_path):
    for date in ("2026-10-01", "2026-10-20", "2026-11-04"):
        ingest(config, tmp_path, date)
    restated = ingest(config, tmp_path, "2026-11-05")
    assert figure_events(restated) == []
    again = ingest(config, tmp_path, "2026-10-20")
    assert again.outcome == "unchanged" and again.events == []


VALUES = {"2026-10-01": 522, "2026-10-20": 574, "2026-11-04": 583}


@pytest.mark.parametrize("order", list(itertools.permutations(VALUES)))
def test_any_arrival_order_gives_the_same_series(tmp_path, order):
    config_path = tmp_path / "rightswatch.toml"
    config_path.write_text("[rightswatch]\n", encoding="utf-8")
    config = load_config(config_path)
    changes = []
    for date in order:
        changes += figure_events(ingest(config, tmp_path, date))
    assert history(config) == [522, 574, 583]
    # Only a report newer than everything seen so far can change the latest value; a late,
    # older one fills in history silently.
    expected, seen = [], []
    for date in order:
        if not seen:
            expected.append(("figure.new", None, VALUES[date]))
        elif date > max(seen):
            expected.append(("figure.changed", VALUES[max(seen)], VALUES[date]))
        seen.append(date)
    assert changes == expected


def test_cli_ingest_series_and_events(config, tmp_path):
    runner = CliRunner()
    for date in ("2026-10-01", "2026-10-20", "2026-11-04"):
        result = runner.invoke(cli, ["--config", str(config.path), "ingest",
                                     str(write(tmp_path, date)), "--source", "chrg",
                                     "--published", date])
        assert result.exit_code == 0, result.output
    assert "figure.changed chrg: criminal cases, crimea, since 2015: 574 → 583 (+9)" in \
        result.output
    rows = [json.loads(line) for line in runner.invoke(
        cli, ["--config", str(config.path), "series", "--metric", "criminal_cases",
              "--region", "crimea", "--json"]).output.splitlines()]
    ours = [r for r in rows if r["series"] == SERIES]
    assert [r["value"] for r in ours] == [522, 574, 583]
    assert {"value", "qualifier", "published_at", "url", "source", "snapshot_id"} <= set(ours[0])
    events = [json.loads(line) for line in runner.invoke(
        cli, ["--config", str(config.path), "events", "--since", "1d", "--type",
              "figure.changed", "--json"]).output.splitlines()]
    assert [e["figure"]["value"] for e in events if e["figure"]["series"] == SERIES] == [574, 583]
    readable = runner.invoke(cli, ["--config", str(config.path), "series", "--source", "chrg"])
    assert "Crimean Human Rights Group · criminal_cases, crimea" in readable.output


def test_an_unknown_source_becomes_a_manual_source(config, tmp_path):
    ingest_file(config, write(tmp_path, "2026-10-01"), "telegram-tips")
    store = Store(open_db(config.database))
    try:
        kind = store.query("SELECT kind FROM sources WHERE id = 'telegram-tips'")[0]["kind"]
    finally:
        store.close()
    assert kind == "manual"


def test_a_report_gone_for_several_crawls_is_removed(config, tmp_path):
    """Errors other than 404/410, crawl after crawl, also mean the report is gone."""
    from datetime import UTC, datetime

    from rightswatch.items import REPORT, PageItem
    from rightswatch.pipelines.diff import DiffPipeline
    from rightswatch.pipelines.store import StorePipeline

    ingest(config, tmp_path, "2026-10-01")
    url = "https://crimeahrg.org/en/report-2026-10-01/"
    diff, stored = DiffPipeline(config.database), StorePipeline(config.database, removed_after=2)
    diff.open_spider()
    stored.open_spider()
    try:
        outcomes = []
        for _ in range(2):
            item = PageItem(url=url, source_id="chrg", status=0, headers=[], body=b"",
                            fetched_at=datetime.now(UTC), kind=REPORT)
            outcomes.append(stored.process(diff.process(item)).outcome)
    finally:
        diff.close_spider()
        stored.close_spider()
    assert outcomes == ["failed", "removed"]
    assert [e["type"] for e in stored.recorded] == ["report.removed"]
    assert stored.recorded[0]["report"]["url"] == url


def test_a_report_seen_at_a_new_address_is_not_news(config, tmp_path):
    ingest(config, tmp_path, "2026-10-01")
    moved = ingest_file(config, write(tmp_path, "2026-10-01"), "chrg", published="2026-10-01",
                        url="https://crimeahrg.org/en/report-2026-10-01-moved/")
    assert moved.outcome == "new" and moved.events == []
