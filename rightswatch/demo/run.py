"""`rightswatch demo`: the whole pipeline on the demo world, day by day.

Starts the demo world on a free loopback port, writes the configuration it uses next to the
results, and crawls every simulated day in turn, so that a newcomer sees in a minute what the
tool does with new reports, silent edits, removals, moves, a layout change and a hostile site.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import tomli_w

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


def _fresh(out: Path) -> None:
    """The story starts on day 1: results of an earlier run are replaced, not extended."""
    for name in ("rightswatch.db", "rightswatch.db-wal", "rightswatch.db-shm",
                 "webhooks.jsonl"):
        (out / name).unlink(missing_ok=True)
    for folder in ("archive", "mail"):
        shutil.rmtree(out / folder, ignore_errors=True)


def alert_rules(smtp_url: str, webhook_url: str) -> str:
    """Two teams, as an NGO would set them up: one follows Crimea by email, a newsroom gets
    every figure change and source problem by signed webhook (its secret from the
    environment, never in the file)."""
    return tomli_w.dumps({"alert": [
        {"name": "crimea-team", "channel": "email", "to": ["crimea-team@example.org"],
         "from": "rightswatch demo <rightswatch@example.org>", "smtp_url": smtp_url,
         "events": ["report.*", "figure.*", "source.*"], "regions": ["crimea"]},
        {"name": "newsroom", "channel": "webhook", "url": webhook_url,
         "secret": "${" + SECRET_VARIABLE + "}",
         "events": ["figure.changed", "report.edited", "report.removed", "source.*"]},
    ]})


def _dispatch(config: Config) -> DispatchReport:
    """Send what is due.  The demo's days are simulated, so its clock jumps past the email
    batching window as it jumps from day to day."""
    later = datetime.now(UTC) + timedelta(seconds=max(
        (r.batch_window for r in config.alerts if r.channel == "email"), default=0) + 1)
    return Dispatcher(config.database, config.alerts, clock=lambda: later).run_once()


def run_demo(out_dir: str | Path, days: int = MAX_DAY, *, quiet: bool = False) -> Path:
    """Crawl the demo world day by day; alerts go to real loopback receivers."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _fresh(out)
    say = (lambda *a, **k: None) if quiet else click.echo
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
                                   + alert_rules(smtp.url, hooks.url), encoding="utf-8")
            config = load_config(config_path)
            _story(config, server, days, say, smtp, hooks)
    finally:
        smtp.stop()
        hooks.stop()
    say(_where(config, out))
    return out


def _story(config: Config, server: DemoServer, days: int, say: Any, smtp: SmtpServer,
           hooks: Receiver) -> None:
    say(f"demo world serving at {server.base_url} (sources: "
        f"{', '.join(s.id for s in config.sources)})")
    for day in range(1, days + 1):
        server.set_day(day)
        say(click.style(f"\n== day {day}: {day_date(day)} ==", bold=True))
        run = run_crawl(config, quiet=not sys.stderr.isatty(), timeout=300)
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


def _where(config: Config, out: Path) -> str:
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
    lines = [
        "",
        click.style("== results ==", bold=True),
        table([[c["source_id"], c["reports"], c["versions"]] for c in counts],
              ["source", "reports", "versions"]),
        "",
        f"database      {config.database}",
        f"archive       {config.archive_dir}/ ({len(warcs)} WARC files, {size / 1e6:.1f} MB)",
        f"configuration {cfg}",
        f"emails        {out / 'mail'}/ ({len(list((out / 'mail').glob('*.eml')))} .eml files)",
        f"webhooks      {out / 'webhooks.jsonl'} (one line per request received)",
        "",
        "look around (the webhook rule's secret is in demo.env, as it would be in a real",
        "deployment's environment):",
        f"  export $(cat {out / 'demo.env'})",
        f"  {rw} --config {cfg} sources",
        f"  {rw} --config {cfg} archive verify",
        f"  {rw} --config {cfg} events --since 1d",
        f"  {rw} --config {cfg} series --metric criminal_cases --region crimea",
        f"  sqlite3 {config.database} 'SELECT url, title FROM snapshots LIMIT 5'",
    ]
    return "\n".join(lines)
