"""The command line, through click's runner and as real processes."""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import sys
import tomllib
import zlib
from datetime import datetime
from email import message_from_bytes, policy
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from rightswatch.alerts.render import webhook_body
from rightswatch.alerts.webhook import verify_signature
from rightswatch.cli import cli
from rightswatch.config import load_config
from rightswatch.crawler import run_crawl
from rightswatch.db import Store, open_db
from rightswatch.demo.run import DIGEST_RECIPIENT

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


def test_the_starters_commented_examples_are_valid_once_uncommented(tmp_path: Path,
                                                                   monkeypatch):
    assert invoke("init", str(tmp_path)).exit_code == 0
    path = tmp_path / "rightswatch.toml"
    lines = path.read_text(encoding="utf-8").splitlines()
    # "# [digest]", "# key = value": example tables and their keys, not prose comments.
    example = re.compile(r"^# (\[\[?[a-z]+\]\]?$|[a-z_]+ = )")
    path.write_text("\n".join(line[2:] if example.match(line) else line for line in lines),
                    encoding="utf-8")
    monkeypatch.setenv("SMTP_PASSWORD", "hunter2")
    config = load_config(path)
    assert config.digest.recipients and config.alerts[0].name == "crimea-team"
    assert config.scheduler.schedule.describe() == "every 6h (+ up to 10m jitter)"


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
    """The whole `make demo` story, once in the suite: four days, then the digest."""
    proc = subprocess.run(
        [sys.executable, "-m", "rightswatch.cli", "demo", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=280, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    out = proc.stdout
    assert "== day 4" in out and "archive verify" in out
    assert (tmp_path / "rightswatch.db").exists() and (tmp_path / "rightswatch.toml").exists()
    config = tomllib.loads((tmp_path / "rightswatch.toml").read_text(encoding="utf-8"))
    assert config["digest"]["to"] == [DIGEST_RECIPIENT]
    assert config["digest"]["smtp_url"].startswith("smtp://127.0.0.1:")

    # Progress while crawling: a line per source as its crawl finishes, every day.
    assert out.count("crawling 6 sources") == 4 and out.count("[6/6] ") == 4

    # Day 1 is backfill: nothing alerts. Days 2-4 reach a real SMTP server and a real
    # webhook receiver, which kept what they got.
    assert "day 1: 2026-11-02 ==\n" in out
    day1 = out.split("== day 1")[1].split("== day 2")[0]
    assert "alerts: 0 deliveries sent" in day1
    assert "  email " not in day1 and "  webhook " not in day1
    store = Store(open_db(tmp_path / "rightswatch.db"))
    try:
        day2_start = store.query("SELECT started_at FROM crawls ORDER BY id LIMIT 1 OFFSET 6"
                                 )[0]["started_at"]
        day1_events = store.query("SELECT backfill FROM events WHERE created_at < ?",
                                  [day2_start])
        day1_deliveries = store.query(
            """SELECT d.id FROM deliveries d JOIN events e ON e.id = d.event_id
               WHERE e.created_at < ?""", [day2_start])
        statuses = store.query("SELECT status, digest_id FROM deliveries")
    finally:
        store.close()
    assert day1_events and {e["backfill"] for e in day1_events} == {1}
    assert day1_deliveries == []
    # Everything queued went out, the digest's delivery too.
    assert {d["status"] for d in statuses} == {"sent"}
    assert sum(d["digest_id"] is not None for d in statuses) == 1

    # The archive reads back with warcio.
    warcs = sorted((tmp_path / "archive").glob("*.warc.gz"))
    assert warcs
    responses = 0
    for warc in warcs:
        with warc.open("rb") as fh:
            for record in ArchiveIterator(fh):
                record.content_stream().read()
                responses += record.rec_type == "response"
    assert responses > 0

    # Emails: one batched alert email a day (days 2-4) for the Crimea team, then the digest.
    messages = [message_from_bytes(p.read_bytes(), policy=policy.default)
                for p in sorted((tmp_path / "mail").glob("*.eml"))]
    alerts = [m for m in messages if not m["X-Rightswatch-Digest"]]
    digests = [m for m in messages if m["X-Rightswatch-Digest"]]
    assert len(alerts) == 3 and len(digests) == 1
    for message in alerts:
        assert message["To"] == "crimea-team@example.org" and "alerts" in message["Subject"]
        assert message.get_body(("html",)) is not None
        assert message.get_body(("plain",)) is not None
    (digest_mail,) = digests
    assert digest_mail["To"] == DIGEST_RECIPIENT
    assert digest_mail["Subject"].startswith("rightswatch digest")
    types = [part.get_content_type() for part in digest_mail.walk()]
    assert {"text/plain", "text/html", "image/png"} <= set(types)

    # The digest on disk: the four sections, charts that are real PNGs, the text version.
    folder = tmp_path / "digest"
    page = _Page()
    page.feed((folder / "index.html").read_text(encoding="utf-8"))
    assert {"New reports", "Figure changes", "New series", "Source health"} <= set(page.h2)
    assert page.images and types.count("image/png") == len(page.images)
    for src in page.images:
        assert "/" not in src and src.endswith(".png")
        assert _png_size((folder / src).read_bytes()) == (480, 200)
    assert "NEW REPORTS" in (folder / "digest.txt").read_text(encoding="utf-8")

    # Webhooks: one JSON line per request, each signed with the demo's secret.
    name, secret = (tmp_path / "demo.env").read_text(encoding="utf-8").strip().split("=", 1)
    hooks = [json.loads(line) for line in
             (tmp_path / "webhooks.jsonl").read_text(encoding="utf-8").splitlines()]
    assert hooks
    for hook in hooks:
        assert {"received_at", "headers", "body"} <= set(hook)
        headers = hook["headers"]
        timestamp = headers["X-Rightswatch-Timestamp"]
        assert verify_signature(secret, timestamp, webhook_body(hook["body"]),
                                headers["X-Rightswatch-Signature"], now=int(timestamp))
        assert hook["body"]["id"] and hook["body"]["type"] == headers["X-Rightswatch-Event"]
    types = {h["headers"]["X-Rightswatch-Event"] for h in hooks}
    assert {"figure.changed", "report.edited", "report.removed"} <= types
    day2 = datetime.fromisoformat(day2_start.replace("Z", "+00:00"))
    assert min(datetime.fromisoformat(h["received_at"]) for h in hooks) >= day2
    assert "signature INVALID" not in out

    # Where things are, and how to look: the digest, the browse command.
    assert str(folder / "index.html") in out
    assert f"--config {tmp_path / 'rightswatch.toml'} serve" in out
    assert "http://127.0.0.1:8001/" in out

    # The configuration the demo used works with the ordinary commands, given the secret it
    # left in demo.env (never in the configuration itself).
    assert secret not in (tmp_path / "rightswatch.toml").read_text(encoding="utf-8")
    verified = CliRunner(env={name: secret}).invoke(
        cli, ["--config", str(tmp_path / "rightswatch.toml"), "archive", "verify"])
    assert verified.exit_code == 0, verified.output


class _Page(HTMLParser):
    """The section headings and image sources of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.h2: list[str] = []
        self.images: list[str] = []
        self._in_h2 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "h2":
            self._in_h2 = True
            self.h2.append("")
        elif tag == "img":
            self.images.append(dict(attrs).get("src") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self._in_h2 = False
            self.h2[-1] = self.h2[-1].strip()

    def handle_data(self, data: str) -> None:
        if self._in_h2:
            self.h2[-1] += data


def _png_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a well-formed PNG: signature, every chunk's CRC, IHDR first and
    IEND last."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, kinds, size = 8, [], (0, 0)
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(kind + body) == crc
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        kinds.append(kind)
        pos += 12 + length
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and b"IDAT" in kinds
    return size


def test_crawl_of_no_sources_does_nothing(tmp_path: Path):
    config_path = tmp_path / "rightswatch.toml"
    config_path.write_text("[rightswatch]\n", encoding="utf-8")
    assert run_crawl(load_config(config_path)).crawls == []
