"""`rightswatch demo`: the whole pipeline on the demo world, day by day, then the digest.

Starts the demo world on a free loopback port, writes the configuration it uses next to the
results, and crawls every simulated day in turn, so that a newcomer sees in a minute what the
tool does with new reports, silent edits, removals, moves, a layout change and a hostile site.
Day 1 is backfill (nothing alerts); after each later day the alerts go out to a real SMTP
server and a real webhook receiver on loopback.  After the last day the weekly digest of the
run is made, written to `digest/` and mailed through the same SMTP server, and the demo
prints where everything is and the commands to look around (Datasette among them).
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import click
import tomli_w

from ..alerts.digest import DigestResult, make_digest
from ..alerts.dispatch import Dispatcher, DispatchReport
from ..config import Config, load_config
from ..crawler import run_crawl
from ..db import Store, open_db
from ..tables import crawl_summary, table
from .config import demo_config_toml
from .receivers import Receiver, SmtpServer
from .server import DemoServer
from .world import MAX_DAY, day_date

SECRET_VARIABLE = "RIGHTSWATCH_DEMO_WEBHOOK_SECRET"
SENDER = "rightswatch demo <rightswatch@example.org>"
DIGEST_RECIPIENT = "digest-readers@example.org"
DIGEST_DIR = "digest"
#: Seconds between "still crawling" lines: the hostile site's slow pages keep its crawl
#: going for ~15 s after the others are done, and silence that long looks like a hang
#: (one line a day says so; one every second would bury the results in a CI log).
HEARTBEAT = 10.0

Say = Callable[..., Any]


def _fresh(out: Path) -> None:
    """The story starts on day 1: results of an earlier run are replaced, not extended."""
    for name in ("rightswatch.db", "rightswatch.db-wal", "rightswatch.db-shm",
                 "webhooks.jsonl"):
        (out / name).unlink(missing_ok=True)
    for folder in ("archive", "mail", DIGEST_DIR):
        shutil.rmtree(out / folder, ignore_errors=True)


def alert_rules(smtp_url: str, webhook_url: str) -> str:
    """Two teams, as an NGO would set them up: one follows Crimea by email, a newsroom gets
    every figure change and source problem by signed webhook (its secret from the
    environment, never in the file)."""
    return tomli_w.dumps({"alert": [
        {"name": "crimea-team", "channel": "email", "to": ["crimea-team@example.org"],
         "from": SENDER, "smtp_url": smtp_url,
         "events": ["report.*", "figure.*", "source.*"], "regions": ["crimea"]},
        {"name": "newsroom", "channel": "webhook", "url": webhook_url,
         "secret": "${" + SECRET_VARIABLE + "}",
         "events": ["figure.changed", "report.edited", "report.removed", "source.*"]},
    ]})


def digest_table(smtp_url: str) -> str:
    """The `[digest]` table: the weekly digest goes to a readers' list through the same
    loopback SMTP server as the alerts.  `out_dir` keeps the digests a scheduler would make
    on this configuration (`rightswatch run`) beside the one the demo makes."""
    return tomli_w.dumps({"digest": {
        "to": [DIGEST_RECIPIENT], "from": SENDER, "smtp_url": smtp_url,
        "day_of_week": "mon", "time": "08:00", "timezone": "UTC", "out_dir": DIGEST_DIR,
    }})


def _dispatch(config: Config) -> DispatchReport:
    """Send what is due, stored digests included.  The demo's days are simulated, so its
    clock jumps past the email batching window as it jumps from day to day."""
    later = datetime.now(UTC) + timedelta(seconds=max(
        (r.batch_window for r in config.alerts if r.channel == "email"), default=0) + 1)
    return Dispatcher(config.database, config.alerts, clock=lambda: later,
                      archive_base_url=config.archive_base_url,
                      digest=config.digest).run_once()


def run_demo(out_dir: str | Path, days: int = MAX_DAY, *, quiet: bool = False) -> Path:
    """Crawl the demo world day by day; alerts go to real loopback receivers."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _fresh(out)
    say: Say = (lambda *a, **k: None) if quiet else click.echo
    # The digest covers the whole run (whole seconds, as events are stored); day 1 is
    # backfill, which digests leave out anyway.
    started = datetime.now(UTC).replace(microsecond=0)
    os.environ.setdefault(SECRET_VARIABLE, secrets.token_hex(16))
    # The configuration names the secret, never holds it; keep it beside the results so the
    # printed commands work on them later.
    (out / "demo.env").write_text(f"{SECRET_VARIABLE}={os.environ[SECRET_VARIABLE]}\n",
                                  encoding="utf-8")
    smtp = SmtpServer(out_dir=out / "mail").start()
    hooks = Receiver(os.environ[SECRET_VARIABLE], log_path=out / "webhooks.jsonl").start()
    try:
        with DemoServer(day=1) as server:
            config_path = out / "rightswatch.toml"
            config_path.write_text(demo_config_toml(server.base_url) + "\n"
                                   + alert_rules(smtp.url, hooks.url) + "\n"
                                   + digest_table(smtp.url), encoding="utf-8")
            config = load_config(config_path)
            _story(config, server, days, say, smtp, hooks)
            digest = _digest(config, out / DIGEST_DIR, started, say, smtp)
    finally:
        smtp.stop()
        hooks.stop()
    say(_where(config, out, digest))
    return out


class _CrawlProgress:
    """Progress of one crawl cycle, on stdout: a line per source as its crawl finishes,
    and every `HEARTBEAT` seconds the sources still crawling.

    The crawl runs in a child process whose own progress lines are timestamped log records
    every few seconds per source: fine in a terminal, noise in a CI log.  Instead the parent
    polls the crawl records the child commits as it goes (WAL lets a reader in without
    blocking the writer), so a terminal and a log show the same few short lines.
    """

    def __init__(self, database: Path, source_ids: Sequence[str], say: Say, *,
                 poll: float = 0.5, heartbeat: float = HEARTBEAT) -> None:
        self.database = database
        self.source_ids = list(source_ids)
        self.say = say
        self.poll = poll
        self.heartbeat = heartbeat
        self.reported: set[int] = set()
        self.done: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="demo-progress", daemon=True)
        self._started = time.monotonic()
        store = Store(open_db(database))  # creates the database on day 1
        try:
            self.after = store.last_crawl_id()
        finally:
            store.close()

    def __enter__(self) -> _CrawlProgress:
        self.say(f"crawling {len(self.source_ids)} sources: {', '.join(self.source_ids)}")
        self._started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()
        if kind is None:
            self._report()  # whatever finished between the last poll and the child's exit

    def _watch(self) -> None:
        next_beat = self.heartbeat
        while not self._stop.wait(self.poll):
            self._report()
            elapsed = time.monotonic() - self._started
            if elapsed >= next_beat:
                next_beat += self.heartbeat
                running = [sid for sid in self.source_ids if sid not in self.done]
                if running:
                    self.say(f"  still crawling {', '.join(running)} ({elapsed:.0f} s)")

    def _report(self) -> None:
        try:
            db = open_db(self.database, readonly=True)
        except (OSError, sqlite3.Error):
            return
        try:
            rows = Store(db).crawls_after(self.after, finished=True)
        except sqlite3.Error:
            rows = []  # e.g. busy for longer than the timeout: the next poll catches up
        finally:
            db.conn.close()
        width = max((len(sid) for sid in self.source_ids), default=0)
        for row in rows:
            crawl_id, sid = row["id"], row["source_id"]
            if crawl_id in self.reported:
                continue
            self.reported.add(crawl_id)
            self.done.add(sid)
            elapsed = time.monotonic() - self._started
            self.say(f"  [{len(self.done)}/{len(self.source_ids)}] {sid:<{width}}  "
                     f"{row['status']:<6} after {elapsed:3.0f} s: {row['pages_new']} new, "
                     f"{row['pages_changed']} changed, {row['pages_removed']} removed, "
                     f"{row['requests']} requests")


def _story(config: Config, server: DemoServer, days: int, say: Say, smtp: SmtpServer,
           hooks: Receiver) -> None:
    say(f"demo world serving at {server.base_url} (sources: "
        f"{', '.join(s.id for s in config.sources)})")
    for day in range(1, days + 1):
        server.set_day(day)
        say(click.style(f"\n== day {day}: {day_date(day)} ==", bold=True))
        # quiet: the child's own log lines would repeat _CrawlProgress's, timestamped.
        with _CrawlProgress(config.database, [s.id for s in config.sources if s.enabled],
                            say):
            run = run_crawl(config, quiet=True, timeout=300)
        say(crawl_summary(run.crawls))
        if run.returncode != 0:
            raise click.ClickException(f"the crawl of day {day} failed")
        mails, posts = len(smtp.handler.messages), len(hooks.requests)
        report = _dispatch(config)
        say(f"alerts: {report.sent} deliveries sent ({report.failed} failed)")
        for message in smtp.handler.messages[mails:]:
            say(f"  email   {message['To']}: {message['Subject']}")
        for request in hooks.requests[posts:]:
            say(f"  webhook {request['event']} {request['delivery']} "
                f"(signature {'valid' if request['valid'] else 'INVALID'})")


def _digest(config: Config, out: Path, since: datetime, say: Say,
            smtp: SmtpServer) -> DigestResult:
    """The weekly digest of the run, as the scheduler would make it on Monday: written to
    *out*, stored, and mailed to the `[digest]` recipient through the outbox.

    The period ends now, rounded up a second: stored times are whole seconds and the period
    excludes its end, so the last day's events are in it.
    """
    say(click.style("\n== weekly digest ==", bold=True))
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    result = make_digest(config, since=since, until=until, out=out, send=True)
    c = result.counts
    say(f"subject  {result.subject}")
    say(table([["new reports", c["reports"]],
               ["edited or removed reports", c["report_updates"]],
               ["figure changes", f"{c['figure_changes']} in {c['changed_series']} series"],
               ["new series", c["new_series"]],
               ["source health notices", c["health"]],
               ["crawls", f"{c['crawls']} ({c['failed_crawls']} failed)"]],
              ["section", "items"]))
    mails = len(smtp.handler.messages)
    report = _dispatch(config)
    sent = [m for m in smtp.handler.messages[mails:] if m["X-Rightswatch-Digest"]]
    for message in sent:
        images = sum(part.get_content_type() == "image/png" for part in message.walk())
        say(f"  email   {message['To']}: text and HTML, {images} inline charts")
    if not sent:
        raise click.ClickException(
            "the digest email was not delivered: "
            + ("; ".join(report.errors) or f"dispatch: {report}"))
    say(f"written to {result.index_path} ({len(result.chart_paths)} charts as PNG, "
        f"text version {result.text_path})")
    return result


def _where(config: Config, out: Path, digest: DigestResult) -> str:
    store = Store(open_db(config.database))
    try:
        counts = store.query(
            """SELECT source_id, COUNT(DISTINCT page_id) AS reports, COUNT(*) AS versions
               FROM snapshots WHERE page_id IN (SELECT id FROM pages WHERE kind = 'report')
               GROUP BY source_id ORDER BY source_id""")
    finally:
        store.close()
    warcs = sorted(Path(config.archive_dir).glob("*.warc.gz"))
    size = sum(p.stat().st_size for p in warcs)
    cfg = config.path
    # After `make demo` the command is in .venv/bin, not on PATH: print one that works.
    here = Path(sys.executable).parent / "rightswatch"
    rw = "rightswatch" if shutil.which("rightswatch") == str(here) or not here.exists() \
        else os.path.relpath(here)
    mails = sorted((out / "mail").glob("*.eml"))
    digest_mails = len(digest.deliveries)
    lines = [
        "",
        click.style("== results ==", bold=True),
        table([[c["source_id"], c["reports"], c["versions"]] for c in counts],
              ["source", "reports", "versions"]),
        "",
        f"database      {config.database}",
        f"archive       {config.archive_dir}/ ({len(warcs)} WARC files, {size / 1e6:.1f} MB)",
        f"configuration {cfg}",
        f"emails        {out / 'mail'}/ ({len(mails)} .eml files: "
        f"{len(mails) - digest_mails} alert emails, {digest_mails} digest)",
        f"webhooks      {out / 'webhooks.jsonl'} (one line per request received)",
        f"digest        {digest.index_path} ({len(digest.chart_paths)} PNG charts beside it; "
        f"plain text in {digest.text_path})",
        "",
        "look around (the webhook rule's secret is in demo.env, as it would be in a real",
        "deployment's environment):",
        f"  export $(cat {out / 'demo.env'})",
        f"  {rw} --config {cfg} sources",
        f"  {rw} --config {cfg} archive verify",
        f"  {rw} --config {cfg} events --since 1d",
        f"  {rw} --config {cfg} series --metric criminal_cases --region crimea",
        f"  sqlite3 {config.database} 'SELECT url, title FROM snapshots LIMIT 5'",
        "",
        "browse the database in Datasette (then open http://127.0.0.1:8001/), and follow the",
        "events in any feed reader:",
        f"  {rw} --config {cfg} serve",
        f"  {rw} --config {cfg} feed --out {out / 'events.atom'}",
        "",
        "watch the real sources as a service (the scheduler: crawls, alerts, the weekly",
        "digest; `init` writes rightswatch.toml and sources.toml to review first):",
        f"  {rw} init",
        f"  {rw} run",
    ]
    return "\n".join(lines)
