"""`rightswatch figures reanalyse`: a stored database moves to today's extractor without
sending old news again, and migrations carry an older schema forward."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from rightswatch.cli import cli
from rightswatch.config import load_config
from rightswatch.db import Store, open_db
from rightswatch.db.migrations import MIGRATIONS
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


def make_db(tmp_path: Path) -> Path:
    (tmp_path / "rightswatch.toml").write_text(CONFIG, encoding="utf-8")
    config = load_config(tmp_path / "rightswatch.toml")
    for n, (value, published) in enumerate(((522, "2024-10-15"), (574, "2025-01-20"))):
        path = tmp_path / f"r{n}.txt"
        path.write_text(f"Review\n\nThe group has documented {value} criminal cases in Crimea "
                        "since the beginning of the occupation. Journalists found obituaries "
                        f"of {40 + n} Crimeans.\n", encoding="utf-8")
        ingest_file(config, path, "chrg", url=f"https://crimeahrg.org/r{n}", published=published)
    return tmp_path / "rw.db"


def test_reanalyse_rebuilds_figures_and_sends_nothing(tmp_path: Path) -> None:
    db = make_db(tmp_path)
    with sqlite3.connect(db) as conn:  # as the previous extractor left them
        conn.execute("UPDATE figures SET what = NULL, topic = NULL, claim_org = NULL, "
                     "claim_series_id = NULL, series_id = 'criminal_cases|-|x|old', "
                     "figure_key = NULL")
        events_before = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        deliveries_before = conn.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0]
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "rightswatch.toml"),
                                      "figures", "reanalyse"])
    assert result.exit_code == 0, result.output
    assert "reanalysed 2 report versions" in result.output and "no events created" in result.output
    store = Store(open_db(db))
    try:
        rows = store.query("SELECT value, what, series_id, figure_key FROM figures "
                           "ORDER BY value")
        events_after = store.query("SELECT COUNT(*) AS n FROM events")[0]["n"]
        deliveries_after = store.query("SELECT COUNT(*) AS n FROM deliveries")[0]["n"]
    finally:
        store.close()
    assert (events_after, deliveries_after) == (events_before, deliveries_before)
    assert all(r["figure_key"].startswith("fig_") for r in rows)
    series = {r["value"]: r["series_id"] for r in rows}
    assert series[522] == series[574] == (
        "criminal_cases|crimea|cumulative:occupation|Crimean Human Rights Group")
    assert {r["what"] for r in rows if r["value"] in (40, 41)} == {"obituaries"}
    assert series[40] == series[41] and series[40].startswith("what:obituaries|")


def test_an_older_schema_migrates_forward(tmp_path: Path) -> None:
    from sqlite_utils import Database

    db = Database(sqlite3.connect(tmp_path / "old.db", isolation_level=None))
    db.conn.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for name, fn in MIGRATIONS:
        if name.startswith("0005"):
            break
        fn(db)
        db.conn.execute("INSERT INTO _migrations VALUES (?, '2026-01-01T00:00:00Z')", [name])
    columns = {r[1] for r in db.conn.execute("PRAGMA table_info(figures)")}
    assert "what" not in columns
    db.conn.close()
    reopened = open_db(tmp_path / "old.db")
    columns = {r[1] for r in reopened.conn.execute("PRAGMA table_info(figures)")}
    assert {"unit", "what", "population", "basis", "confidence", "region_basis", "part",
            "attribution", "figure_key", "topic", "claim_org", "claim_series_id"} <= columns
