"""`rightswatch serve`: Datasette on a real database, as a real process on 127.0.0.1."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import psutil
import pytest
from click.testing import CliRunner

from rightswatch.browse import (
    CANNED_QUERIES,
    SAMPLE_PARAMS,
    build_metadata,
    datasette_command,
    is_loopback,
)
from rightswatch.cli import cli
from rightswatch.config import Config, load_config
from rightswatch.db import open_db
from rightswatch.demo.receivers import free_port
from rightswatch.ingest import ingest_file

FIXED_TABLES = ("sources", "pages", "snapshots", "figures", "events", "deliveries", "crawls",
                "crawl_errors", "digests", "scheduler_jobs")
DB_NAME = "monitor"  # not "rightswatch": the metadata must follow the file's name


def days_ago(n: int) -> str:
    return (date.today() - timedelta(days=n)).isoformat()


def make_config(directory: Path) -> Config:
    path = directory / "rightswatch.toml"
    path.write_text(f'[rightswatch]\ncontact = "t@example.org"\ndatabase = "{DB_NAME}.db"\n',
                    encoding="utf-8")
    return load_config(path)


def ingest(config: Config, directory: Path, name: str, text: str, published: str,
           source: str = "chrg") -> None:
    path = directory / f"{name}.txt"
    path.write_text(text, encoding="utf-8")
    ingest_file(config, path, source, published=published,
                url=f"https://crimeahrg.org/en/{name}/")


def populate(config: Config, directory: Path) -> None:
    ingest(config, directory, "report-1",
           "According to the Crimean Human Rights Group, at least 522 criminal cases for "
           "evading military service have been opened in Crimea since 2015.", days_ago(6))
    ingest(config, directory, "report-2",
           "За даними Кримської правозахисної групи, з 2015 року в Криму порушено 574 "
           "кримінальні справи за ухилення від служби.", days_ago(4))
    ingest(config, directory, "report-3",
           "The Crimean Human Rights Group now counts at least 583 criminal cases for "
           "evading service in Crimea since 2015. Some 40 people were detained in Kherson.",
           days_ago(2))
    ingest(config, directory, "old-report",
           "In 2019 the group documented 12 detentions of journalists in Sevastopol.",
           "2019-12-01", source="archive-src")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """A database the query tests share (they only read it)."""
    directory = tmp_path_factory.mktemp("serve")
    config = make_config(directory)
    populate(config, directory)
    return config


@pytest.fixture
def live_world(tmp_path: Path) -> Config:
    """A database of its own for a server test (it writes while the server runs)."""
    directory = tmp_path / "live"
    directory.mkdir()
    config = make_config(directory)
    populate(config, directory)
    return config


# -- metadata and queries, without a server ------------------------------------------------------


def test_metadata_describes_every_fixed_table_and_hides_internals(tmp_path: Path):
    metadata = build_metadata(DB_NAME)
    assert metadata["title"] and metadata["description"] and metadata["license"]
    database = metadata["databases"][DB_NAME]
    tables = database["tables"]
    for name in FIXED_TABLES:
        assert tables[name]["title"] and tables[name]["description"], name
        assert tables[name]["columns"], name
    assert tables["_migrations"]["hidden"] is True
    assert tables["snapshots"]["fts_table"] == "snapshots_fts"
    assert tables["snapshots"]["fts_pk"] == "id"
    assert {"metric", "region"} <= set(tables["figures"]["facets"])
    assert {"type", "source_id"} <= set(tables["events"]["facets"])
    assert set(database["queries"]) == {"latest_figures", "series_history", "events_this_week",
                                        "search_reports"}
    # Every table and column the metadata names exists in a freshly migrated database.
    db = open_db(tmp_path / "fresh.db")
    try:
        existing = {name: {c.name for c in db[name].columns} for name in db.table_names()}
    finally:
        db.conn.close()
    for name, table in tables.items():
        assert name in existing, f"metadata names a table that does not exist: {name}"
        for column in table.get("columns", {}):
            assert column in existing[name], f"{name}.{column} does not exist"
        for column in table.get("facets", []):
            assert column in existing[name], f"facet {name}.{column} does not exist"
        for key in ("sort", "sort_desc", "label_column"):
            if key in table:
                assert table[key] in existing[name], f"{key} of {name} does not exist"


def test_every_canned_query_runs_on_a_fresh_database(tmp_path: Path):
    open_db(tmp_path / "fresh.db").conn.close()
    conn = sqlite3.connect(f"file:{tmp_path / 'fresh.db'}?mode=ro", uri=True)
    try:
        for name, query in CANNED_QUERIES.items():
            assert conn.execute(query["sql"], SAMPLE_PARAMS[name]).fetchall() == [], name
            assert set(query.get("params", [])) == set(SAMPLE_PARAMS[name]), name
    finally:
        conn.close()


def run_query(config: Config, name: str, **params: str) -> list[dict]:
    conn = sqlite3.connect(f"file:{config.database}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        full = {**dict.fromkeys(CANNED_QUERIES[name].get("params", []), ""), **params}
        return [dict(r) for r in conn.execute(CANNED_QUERIES[name]["sql"], full)]
    finally:
        conn.close()


def test_canned_queries_answer_the_questions(world: Config):
    latest = run_query(world, "latest_figures", metric="criminal_cases", region="crimea")
    assert [(r["value"], r["qualifier"], r["reports"]) for r in latest] == [
        (583, "at_least", 3)]
    assert latest[0]["url"] == "https://crimeahrg.org/en/report-3/"
    assert "583 criminal cases" in latest[0]["sentence"]
    assert latest[0]["published_at"] == days_ago(2) and latest[0]["source"] == "chrg"
    everything = run_query(world, "latest_figures")
    assert {r["metric"] for r in everything} >= {"criminal_cases", "detained"}

    history = run_query(world, "series_history", metric="criminal_cases", region="crimea",
                        period="since 2015")
    assert [(r["value"], r["previous_value"], r["delta"]) for r in history] == [
        (522, None, None), (574, 522, 52), (583, 574, 9)]
    assert run_query(world, "series_history", metric="criminal_cases",
                     period="cumulative:occupation") == history

    week = run_query(world, "events_this_week")
    assert week and all(r["url"] != "https://crimeahrg.org/en/old-report/" for r in week)
    changed = [r for r in week if r["type"] == "figure.changed"]
    assert {(r["previous_value"], r["value"]) for r in changed} == {(522, 574), (574, 583)}
    stamps = [r["created_at"] for r in week]
    assert stamps == sorted(stamps, reverse=True)

    found = run_query(world, "search_reports", q="ухилення")
    assert [r["url"] for r in found] == ["https://crimeahrg.org/en/report-2/"]
    assert "[ухилення]" in found[0]["snippet"]
    both = run_query(world, "search_reports", q="evading Crimea")
    assert [r["url"] for r in both] == ["https://crimeahrg.org/en/report-3/",
                                        "https://crimeahrg.org/en/report-1/"]  # newest first


@pytest.mark.parametrize("q", ["", "   ", 'Kherson-oblast "unbalanced', "NEAR(a b)", "a OR",
                               "*", "col:umn", "'; drop table events; --"])
def test_search_never_fails_on_odd_input(world: Config, q: str):
    run_query(world, "search_reports", q=q)  # FTS5 syntax is escaped: no exception


def test_the_command_is_never_immutable_and_defaults_to_loopback(tmp_path: Path):
    command = datasette_command(tmp_path / "x.db", tmp_path / "m.json")
    assert "-i" not in command and "--immutable" not in command
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert command[command.index("--port") + 1] == "8001"
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2")


def test_serve_without_a_database_says_what_to_do(tmp_path: Path):
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "none.db"), "serve"])
    assert result.exit_code == 1
    assert "rightswatch crawl" in result.output and "rightswatch demo" in result.output
    assert not (tmp_path / "none.db").exists()


# -- the real server -------------------------------------------------------------------------


@pytest.fixture
def server(live_world: Config, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    port = free_port()
    metadata_out = tmp_path / "metadata.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "rightswatch.cli", "--config", str(live_world.path), "serve",
         "--port", str(port), "--metadata-out", str(metadata_out)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.communicate()[0].decode(errors="replace")
            try:
                if httpx.get(f"{base}/-/versions.json", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "datasette did not start"
            time.sleep(0.2)
        assert metadata_out.exists()
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def get_json(url: str, **params: str):
    response = httpx.get(url, params=params, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_serve_answers_canned_queries_metadata_and_search(server, live_world: Config,
                                                          tmp_path: Path):
    base, _proc = server
    db = f"{base}/{DB_NAME}"
    latest = get_json(f"{db}/latest_figures.json", metric="criminal_cases", region="crimea",
                      _shape="array")
    assert [row["value"] for row in latest] == [583]
    history = get_json(f"{db}/series_history.json", metric="criminal_cases", region="crimea",
                       _shape="array")
    assert [row["value"] for row in history] == [522, 574, 583]
    week = get_json(f"{db}/events_this_week.json", _shape="array")
    assert {"report.new", "figure.new", "figure.changed"} <= {row["type"] for row in week}
    found = get_json(f"{db}/search_reports.json", q="evading", _shape="array")
    assert {row["url"] for row in found} == {"https://crimeahrg.org/en/report-1/",
                                             "https://crimeahrg.org/en/report-3/"}
    # The table's own search box uses the FTS table from the metadata.
    searched = get_json(f"{db}/snapshots.json", _search="ухилення", _shape="array")
    assert [row["url"] for row in searched] == ["https://crimeahrg.org/en/report-2/"]

    metadata = get_json(f"{base}/-/metadata.json")
    assert metadata["databases"][DB_NAME]["tables"]["figures"]["title"] == "Figures"
    page = httpx.get(f"{db}/figures", timeout=30).text
    assert "One row per figure per snapshot" in page
    tables = {t["name"]: t["hidden"] for t in get_json(f"{db}.json")["tables"]}
    assert tables["_migrations"] and tables["snapshots_fts"] and tables["snapshots_fts_data"]
    assert not any(tables[name] for name in FIXED_TABLES)

    # Read-only: Datasette refuses writing SQL.
    write = httpx.get(f"{db}.json", params={"sql": "DELETE FROM events"}, timeout=30)
    assert write.status_code >= 400
    assert get_json(f"{db}.json", sql="SELECT COUNT(*) AS n FROM events",
                    _shape="array")[0]["n"] > 0

    # Not immutable: a report ingested while the server runs shows up at once.
    ingest(live_world, tmp_path, "report-4", "Monitors recorded 9 summonses delivered in "
           "Dzhankoi during the inspection.", days_ago(1))
    found = get_json(f"{db}/search_reports.json", q="Dzhankoi", _shape="array")
    assert [row["url"] for row in found] == ["https://crimeahrg.org/en/report-4/"]


def test_serve_stops_cleanly_with_its_datasette(server):
    base, proc = server
    children = psutil.Process(proc.pid).children(recursive=True)
    assert children, "datasette runs as a child process"
    proc.send_signal(signal.SIGTERM)
    output = proc.communicate(timeout=30)[0].decode(errors="replace")
    assert proc.returncode == 0, output
    assert "serving " in output and f"{base}/{DB_NAME}" in output
    _gone, alive = psutil.wait_procs(children, timeout=10)
    assert not alive
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{base}/-/versions.json", timeout=2)
