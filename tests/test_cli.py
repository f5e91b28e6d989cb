"""The command line, through click's runner and as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from click.testing import CliRunner

from rightswatch.cli import cli
from rightswatch.crawler import run_crawl
from rightswatch.db import Store, open_db

ROOT = Path(__file__).resolve().parent.parent



def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_init_writes_a_loadable_starter(tmp_path: Path):
    result = invoke("init", str(tmp_path), "--contact", "team@example.org")
    assert result.exit_code == 0, result.output
    config = tomllib.loads((tmp_path / "rightswatch.toml").read_text(encoding="utf-8"))
    assert config["rightswatch"]["contact"] == "team@example.org"
    listed = invoke("--config", str(tmp_path / "rightswatch.toml"), "sources", "--json")
    ids = [json.loads(line)["id"] for line in listed.output.splitlines()]
    assert "chrg" in ids and "zmina" in ids
    again = CliRunner().invoke(cli, ["init", str(tmp_path)])
    assert again.exit_code != 0 and "exists" in again.output


def test_configuration_errors_are_one_line(tmp_path: Path):
    bad = tmp_path / "rightswatch.toml"
    bad.write_text('[[source]]\nid = "BAD ID"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(bad), "sources"])
    assert result.exit_code == 1
    assert "Error:" in result.output and "id must be" in result.output
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_crawl_sources_and_archive_verify(demo_config):
    cfg = str(demo_config.path)
    result = invoke("--config", cfg, "crawl", "--quiet", "chrg", "zmina")
    assert result.exit_code == 0, result.output
    assert "chrg" in result.output and "zmina" in result.output
    records = [json.loads(line) for line in invoke("--config", cfg, "sources", "--json")
               .output.splitlines()]
    chrg = next(r for r in records if r["id"] == "chrg")
    assert chrg["last_crawl"]["status"] == "ok" and chrg["last_crawl"]["pages_new"] > 0
    assert next(r for r in records if r["id"] == "ctrc")["last_crawl"] is None
    assert "chrg" in invoke("--config", cfg, "sources").output

    verified = invoke("--config", cfg, "archive", "verify")
    assert verified.exit_code == 0 and "0 mismatches" in verified.output

    # Flip one byte inside one archived payload: verify must notice and fail.
    store = Store(open_db(demo_config.database))
    row = store.query("""SELECT warc_file, warc_offset, warc_length FROM snapshots
                         WHERE warc_record_type = 'response' ORDER BY size DESC LIMIT 1""")[0]
    store.close()
    path = Path(demo_config.archive_dir) / row["warc_file"]
    data = bytearray(path.read_bytes())
    data[row["warc_offset"] + row["warc_length"] // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    tampered = CliRunner().invoke(cli, ["--config", cfg, "archive", "verify"])
    assert tampered.exit_code == 1
    assert "MISMATCH" in tampered.output and row["warc_file"] in tampered.output


def test_unknown_source_is_a_clear_error(demo_config):
    result = CliRunner().invoke(cli, ["--config", str(demo_config.path), "crawl", "nope"])
    assert result.exit_code == 1 and "unknown source 'nope'" in result.output


@pytest.mark.slow
def test_scrapy_crawl_command_from_the_repository_root(demo_config):
    env = {**os.environ, "RIGHTSWATCH_CONFIG": str(demo_config.path)}
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "source", "-a", "source=verstka",
         "-s", "LOG_LEVEL=WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    store = Store(open_db(demo_config.database))
    try:
        crawl = store.last_crawls()["verstka"]
    finally:
        store.close()
    assert crawl["status"] == "ok" and crawl["pages_new"] > 0


@pytest.mark.slow
def test_demo_runs_end_to_end(tmp_path: Path):
    proc = subprocess.run(
        [sys.executable, "-m", "rightswatch.cli", "demo", "--out", str(tmp_path), "--days", "3"],
        capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "== day 3" in proc.stdout and "archive verify" in proc.stdout
    assert (tmp_path / "rightswatch.db").exists() and (tmp_path / "rightswatch.toml").exists()
    assert list((tmp_path / "archive").glob("*.warc.gz"))
    # Day 1 is backfill: nothing alerts. Days 2-3 reach a real SMTP server and a real
    # webhook receiver, which kept what they got.
    assert "day 1: 2026-11-02 ==\n" in proc.stdout
    mails = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(mails) == 2  # one batched email per day for the Crimea team
    message = message_from_bytes(mails[0].read_bytes(), policy=policy.default)
    assert message["To"] == "crimea-team@example.org" and "alerts" in message["Subject"]
    assert message.get_body(("html",)) is not None and message.get_body(("plain",)) is not None
    hooks = [json.loads(line) for line in
             (tmp_path / "webhooks.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {"received_at", "headers", "body"} <= set(hooks[0])
    types = {h["headers"]["X-Rightswatch-Event"] for h in hooks}
    assert {"figure.changed", "report.edited", "report.removed"} <= types
    assert "signature INVALID" not in proc.stdout
    # The configuration the demo used works with the ordinary commands, given the secret it
    # left in demo.env (never in the configuration itself).
    name, secret = (tmp_path / "demo.env").read_text(encoding="utf-8").strip().split("=", 1)
    assert secret not in (tmp_path / "rightswatch.toml").read_text(encoding="utf-8")
    verified = CliRunner(env={name: secret}).invoke(
        cli, ["--config", str(tmp_path / "rightswatch.toml"), "archive", "verify"])
    assert verified.exit_code == 0, verified.output


def test_crawl_of_no_sources_does_nothing(tmp_path: Path):
    config_path = tmp_path / "rightswatch.toml"
    config_path.write_text("[rightswatch]\n", encoding="utf-8")
    from rightswatch.config import load_config

    assert run_crawl(load_config(config_path)).crawls == []
