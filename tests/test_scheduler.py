"""The scheduler: planning (pure), then real crawls of the demo world with short intervals.

The end-to-end tests run `rightswatch run` or `Scheduler` against the demo world on
127.0.0.1; crawls are real child processes, so overlaps, crashes (SIGKILL) and SIGTERM are
the real thing, judged from the crawl records the crawls themselves wrote.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path

import pytest

from rightswatch.config import Config, ConfigError, config_from_dict, load_config
from rightswatch.crawler import BUSY_EXIT, lock_sources, run_crawl
from rightswatch.db import open_db
from rightswatch.db import schedule as state
from rightswatch.demo.config import demo_config_toml
from rightswatch.demo.receivers import SmtpServer
from rightswatch.demo.server import DemoServer
from rightswatch.scheduler import (
    LogFormatter,
    Scheduler,
    last_fire_before,
    next_due,
    plan_first_runs,
    planned_next_crawls,
    trigger_for,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
QUICK = ("chrg", "ctrc", "zmina", "ppu", "verstka")  # the hostile site takes ~20 s a crawl


def sources_config(extra: str = "", **scheduler: object) -> Config:
    lines = "\n".join(f"{k} = {json.dumps(v)}" for k, v in scheduler.items())
    text = f"[scheduler]\n{lines}\n{extra}\n" + "\n".join(
        f'[[source]]\nid = "{sid}"\nfeed_urls = ["http://127.0.0.1:9/{sid}"]\n'
        for sid in ("a", "b", "c", "d"))
    return config_from_dict(tomllib.loads(text))


# -- planning --------------------------------------------------------------------------------


def test_a_restart_keeps_recent_crawls_and_staggers_the_overdue_ones() -> None:
    config = sources_config(interval="6h", jitter=0)
    last = {"a": NOW - timedelta(hours=1),      # due in 5 h
            "b": NOW - timedelta(hours=7),      # overdue by 1 h
            "c": NOW - timedelta(days=3)}       # overdue by days; "d" never crawled
    plan = plan_first_runs(config.sources, last, NOW, stagger=60)
    assert plan["a"] == NOW + timedelta(hours=5)
    # Never crawled first, then the longest overdue, one minute apart.
    assert [plan["d"], plan["c"], plan["b"]] == [NOW + timedelta(seconds=s) for s in (0, 60, 120)]


def test_cron_schedules_and_their_next_due_time() -> None:
    config = sources_config(cron="0 6 * * *", timezone="Europe/Kyiv", jitter=0)
    schedule = config.sources[0].schedule
    last = datetime(2026, 11, 23, 4, 0, 5, tzinfo=UTC)  # 06:00:05 in Kyiv (UTC+2)
    assert next_due(schedule, "Europe/Kyiv", last) == datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
    assert next_due(schedule, "Europe/Kyiv", None) is None  # never crawled: due now
    assert schedule.describe() == "cron 0 6 * * *"


def test_the_last_weekly_fire_time_is_found_for_a_late_digest() -> None:
    trigger = trigger_for(sources_config(cron="0 8 * * mon", jitter=0).sources[0].schedule,
                          "Europe/Kyiv")
    wednesday = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    monday_8_kyiv = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    assert last_fire_before(trigger, wednesday, timedelta(days=7)) == monday_8_kyiv
    assert last_fire_before(trigger, monday_8_kyiv - timedelta(seconds=1),
                            timedelta(days=1)) is None


def test_per_source_schedules_override_the_default() -> None:
    config = sources_config(interval="6h", jitter="10m", extra="")
    raw = tomllib.loads('[scheduler]\ninterval = "6h"\njitter = "10m"\n'
                        '[[source]]\nid = "x"\nfeed_urls = ["http://127.0.0.1:9/"]\n'
                        'cron = "30 7 * * mon-fri"\n'
                        '[[source]]\nid = "y"\nfeed_urls = ["http://127.0.0.1:9/"]\n'
                        'interval = 5400\njitter = 0\n')
    x, y = config_from_dict(raw).sources
    assert (x.schedule.cron, x.schedule.interval, x.schedule.jitter) == ("30 7 * * mon-fri",
                                                                         None, 600)
    assert (y.schedule.cron, y.schedule.interval, y.schedule.jitter) == ("", 5400, 0)
    assert y.schedule.describe() == "every 90m"
    assert config.sources[0].schedule.describe() == "every 6h (+ up to 10m jitter)"


@pytest.mark.parametrize(("table", "message"), [
    ({"interval": "6 hours"}, "must be a duration"),
    ({"interval": "0s"}, "at least 1 second"),
    ({"cron": "61 * * * *"}, "invalid cron expression"),
    ({"interval": "1h", "cron": "0 * * * *"}, "either interval or cron"),
    ({"timezone": "Europe/Kiev-ish"}, "unknown time zone"),
    ({"max_parallel_crawls": 0}, "positive integer"),
    ({"dispatch_every": "1m"}, "unknown key"),
])
def test_bad_scheduler_settings_are_clear_errors(table: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config_from_dict({"scheduler": table})


def test_sources_shows_the_plan_of_a_running_scheduler_else_the_due_time() -> None:
    config = sources_config(interval="1h", jitter=0)
    last = {"a": "2026-11-23T11:00:00Z"}
    jobs = {"crawl:b": {"next_run_at": "2026-11-23T12:30:00Z", "scheduler_pid": os.getpid()},
            "crawl:c": {"next_run_at": "2026-11-23T12:30:00Z", "scheduler_pid": 2 ** 22 + 1}}
    upcoming = planned_next_crawls(config, last, jobs)
    assert upcoming["a"] == {"at": "2026-11-23T12:00:00Z", "scheduled": False}
    assert upcoming["b"] == {"at": "2026-11-23T12:30:00Z", "scheduled": True}
    assert upcoming["c"] == {"at": None, "scheduled": False}  # its scheduler is gone
    assert upcoming["d"] == {"at": None, "scheduled": False}


def test_logs_are_one_line_of_logfmt_or_json() -> None:
    record = logging.LogRecord("rightswatch.scheduler", logging.INFO, __file__, 1,
                               "crawl.finished", None, None)
    record.fields = {"source": "chrg", "seconds": 4.25, "message": 'a "quoted" error',
                     "skipped": None}
    line = LogFormatter("logfmt").format(record)
    assert line.endswith('info crawl.finished source=chrg seconds=4.2 '
                         'message="a \\"quoted\\" error"')
    data = json.loads(LogFormatter("json").format(record))
    assert data["event"] == "crawl.finished" and data["source"] == "chrg"


# -- real crawls -----------------------------------------------------------------------------


def demo_config(tmp_path: Path, server: DemoServer, scheduler: str, *,
                only: tuple[str, ...] = QUICK, extra: str = "") -> Config:
    text = demo_config_toml(server.base_url)
    path = tmp_path / "rightswatch.toml"
    disabled = [sid for sid in ("chrg", "ctrc", "zmina", "ppu", "verstka", "hostile")
                if sid not in only]
    for sid in disabled:  # keep the tables, switch them off
        text = text.replace(f'id = "{sid}"\n', f'id = "{sid}"\nenabled = false\n', 1)
    path.write_text(f"[scheduler]\n{scheduler}\n{extra}\n{text}", encoding="utf-8")
    return load_config(path)


def crawls(db_path: Path) -> list[dict]:
    """The crawl records, read-only ([] while the scheduler has not created the database)."""
    if not db_path.exists():
        return []
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM crawls ORDER BY id")]
    except sqlite3.OperationalError:  # not migrated yet
        return []
    finally:
        conn.close()


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def assert_consistent(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        # Every snapshot row points into a WARC file that exists.
        for (warc,) in conn.execute("SELECT DISTINCT warc_file FROM snapshots"):
            assert warc is None or (db_path.parent / "archive" / Path(warc).name).exists() \
                or Path(warc).exists()
    finally:
        conn.close()


@pytest.mark.slow
def test_crawls_repeat_never_overlap_and_survive_a_killed_crawl(tmp_path: Path) -> None:
    with DemoServer(day=1) as server:
        config = demo_config(tmp_path, server, 'interval = 3\njitter = 0\nstartup_stagger = 0.5\n'
                             'max_parallel_crawls = 2\ndispatch_interval = 1\n')
        scheduler = Scheduler(config)
        stop = threading.Event()
        thread = threading.Thread(target=scheduler.run_until, args=(stop,))
        thread.start()
        try:
            # Kill the first crawl of chrg mid-way, as the OOM killer or an operator would.
            wait_for(lambda: any(c["source_id"] == "chrg" and c["status"] == "running"
                                 and c["pid"] for c in crawls(config.database)), 60,
                     "chrg's first crawl")
            victim = next(c for c in crawls(config.database)
                          if c["source_id"] == "chrg" and c["status"] == "running")
            os.killpg(os.getpgid(victim["pid"]), signal.SIGKILL)
            # The scheduler goes on: every source is crawled again, chrg included.
            wait_for(lambda: all(sum(1 for c in crawls(config.database)
                                     if c["source_id"] == sid and c["status"] == "ok") >= 2
                                 for sid in QUICK), 150, "two good crawls of every source")
        finally:
            stop.set()
            thread.join(120)
        assert not thread.is_alive()

    records = crawls(config.database)
    killed = next(c for c in records if c["id"] == victim["id"])
    assert killed["status"] == "interrupted"  # closed by the next crawl of chrg
    for sid in QUICK:
        mine = [c for c in records if c["source_id"] == sid]
        for before, after in itertools.pairwise(mine):
            assert before["finished_at"] is not None
            assert after["started_at"] >= before["finished_at"], f"{sid} crawls overlap"
    assert not any(c["status"] == "running" for c in records)
    with sqlite3.connect(config.database) as conn:
        statuses = dict(conn.execute(
            "SELECT id, last_status FROM scheduler_jobs WHERE kind = 'crawl'").fetchall())
    assert set(statuses) == {f"crawl:{sid}" for sid in QUICK}
    assert_consistent(config.database)


@pytest.mark.slow
def test_a_manual_crawl_of_a_source_being_crawled_is_skipped(tmp_path: Path) -> None:
    with DemoServer(day=1) as server:
        config = demo_config(tmp_path, server, "", only=("chrg", "verstka"))
        open_db(config.database).close()
        free, fds = lock_sources(config.database, ["chrg"])  # "the scheduler is crawling it"
        try:
            assert free == ["chrg"]
            run = run_crawl(config, ["chrg"], timeout=60, quiet=True)
            assert run.returncode == BUSY_EXIT and run.busy == ("chrg",) and run.crawls == []
            both = run_crawl(config, ["chrg", "verstka"], timeout=60, quiet=True)
            assert both.returncode == 0 and both.busy == ("chrg",)
            assert [c["source_id"] for c in both.crawls] == ["verstka"]
        finally:
            for fd in fds:
                os.close(fd)
        # The lock dies with its holder: now chrg can be crawled.
        assert [c["status"] for c in run_crawl(config, ["chrg"], timeout=60, quiet=True).crawls] \
            == ["ok"]


def start_run(config: Config, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "rightswatch.cli", "--config", str(config.path), "run",
         "--log-format", "json"],
        stdout=subprocess.DEVNULL, stderr=log.open("ab"))


def log_events(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()
            if line.startswith("{")]


@pytest.mark.slow
def test_sigterm_stops_cleanly_and_a_restart_resumes_without_recrawling(
        tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    with DemoServer(day=1) as server:
        config = demo_config(tmp_path, server, 'interval = "1h"\njitter = 0\n'
                             'startup_stagger = 1\nmax_parallel_crawls = 1\nstop_grace = 20\n')
        proc = start_run(config, log)
        try:
            # Stop it while a crawl is running, after at least one crawl finished.
            wait_for(lambda: any(c["status"] == "ok" for c in crawls(config.database))
                     and any(c["status"] == "running" for c in crawls(config.database)),
                     90, "a finished and a running crawl")
            shown = subprocess.run(
                [sys.executable, "-m", "rightswatch.cli", "--config", str(config.path),
                 "sources", "--json"], capture_output=True, text=True, check=True).stdout
            planned = [json.loads(line)["next_crawl"] for line in shown.splitlines()]
            assert all(p["scheduled"] for p in planned if p is not None)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(60) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
        first = crawls(config.database)
        assert first and not any(c["status"] == "running" for c in first)
        assert {"interrupted"} >= {c["status"] for c in first} - {"ok"}
        assert_consistent(config.database)
        events = [e["event"] for e in log_events(log)]
        assert events[0] == "scheduler.started" and events[-1] == "scheduler.stopped"
        with sqlite3.connect(config.database) as conn:
            assert conn.execute("SELECT COUNT(*) FROM scheduler_jobs WHERE next_run_at IS NOT "
                                "NULL OR scheduler_pid IS NOT NULL").fetchone()[0] == 0

        done = {c["source_id"] for c in first if c["status"] == "ok"}
        rest = set(QUICK) - done
        proc = start_run(config, log)
        try:
            wait_for(lambda: {c["source_id"] for c in crawls(config.database)
                              if c["status"] == "ok"} >= set(QUICK), 120,
                     "the remaining sources")
            time.sleep(1)
            proc.send_signal(signal.SIGINT)
            assert proc.wait(60) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
    second = [c for c in crawls(config.database) if c["id"] > max(c["id"] for c in first)]
    # Only what had not been crawled is crawled after the restart, once each.
    assert sorted(c["source_id"] for c in second) == sorted(rest)
    assert_consistent(config.database)


def digest_config(tmp_path: Path, server: DemoServer, smtp: SmtpServer,
                  fire: datetime) -> Config:
    """A digest due at *fire* (UTC), and one source that is not due for an hour."""
    digest = (f'[digest]\nto = ["readers@example.org"]\nfrom = "rw <rw@example.org>"\n'
              f'smtp_url = "{smtp.url}"\nday_of_week = "{fire.strftime("%a").lower()}"\n'
              f'time = "{fire.strftime("%H:%M")}"\ntimezone = "UTC"\nout_dir = "digests"\n')
    return demo_config(tmp_path, server, 'interval = "1h"\nstartup_stagger = 3600\n',
                       only=("verstka",), extra=digest)


@pytest.mark.slow
def test_a_first_start_after_the_digest_time_does_not_send_a_digest(tmp_path: Path) -> None:
    fire = (datetime.now(UTC) - timedelta(minutes=2)).replace(second=0, microsecond=0)
    smtp = SmtpServer().start()
    try:
        with DemoServer(day=1) as server:
            config = digest_config(tmp_path, server, smtp, fire)
            scheduler = Scheduler(config)
            scheduler.start()
            time.sleep(2)
            scheduler.stop()
    finally:
        smtp.stop()
    assert smtp.handler.messages == []
    with sqlite3.connect(config.database) as conn:
        assert conn.execute("SELECT COUNT(*) FROM digests").fetchone()[0] == 0
        # It was never due for this scheduler: the first one is next week.
        (last_status,) = conn.execute(
            "SELECT last_status FROM scheduler_jobs WHERE id = 'digest'").fetchone()
        assert last_status is None


@pytest.mark.slow
def test_a_missed_digest_is_made_on_start_and_sent_through_the_outbox(tmp_path: Path) -> None:
    smtp = SmtpServer().start()
    try:
        now = datetime.now(UTC)
        fire = (now - timedelta(minutes=2)).replace(second=0, microsecond=0)
        with DemoServer(day=1) as server:
            config = digest_config(tmp_path, server, smtp, fire)
            # A scheduler ran before the digest's time and stopped: this one must catch up.
            db = open_db(config.database)
            state.record_job(db, "digest", kind="digest")
            db.conn.execute("UPDATE scheduler_jobs SET updated_at = ?",
                            [(fire - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")])
            db.close()
            stop = threading.Event()
            scheduler = Scheduler(config)
            thread = threading.Thread(target=scheduler.run_until, args=(stop,))
            thread.start()
            try:
                wait_for(lambda: any("readers@example.org" in str(m["To"])
                                     for m in smtp.handler.messages), 60, "the digest email")
            finally:
                stop.set()
                thread.join(60)
    finally:
        smtp.stop()
    (message,) = smtp.handler.messages
    parsed = message_from_bytes(message.as_bytes())
    assert {p.get_content_type() for p in parsed.walk()} >= {"text/plain", "text/html"}
    index = tmp_path / "digests" / fire.strftime("%Y-%m-%d") / "index.html"
    assert index.exists()
    with sqlite3.connect(config.database) as conn:
        (period_end,) = conn.execute("SELECT period_end FROM digests").fetchone()
        assert period_end == fire.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert conn.execute("SELECT status FROM deliveries").fetchall() == [("sent",)]
