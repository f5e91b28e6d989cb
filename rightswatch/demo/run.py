"""`rightswatch demo`: the whole pipeline on the demo world, day by day.

Starts the demo world on a free loopback port, writes the configuration it uses next to the
results, and crawls every simulated day in turn, so that a newcomer sees in a minute what the
tool does with new reports, silent edits, removals, moves, a layout change and a hostile site.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from ..config import load_config
from ..crawler import run_crawl
from ..db import Store, open_db
from ..tables import crawl_summary, table
from .config import demo_config_toml
from .server import DemoServer
from .world import MAX_DAY, day_date


def _fresh(out: Path) -> None:
    """The story starts on day 1: results of an earlier run are replaced, not extended."""
    for name in ("rightswatch.db", "rightswatch.db-wal", "rightswatch.db-shm"):
        (out / name).unlink(missing_ok=True)
    shutil.rmtree(out / "archive", ignore_errors=True)


def run_demo(out_dir: str | Path, days: int = MAX_DAY, *, quiet: bool = False) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _fresh(out)
    say = (lambda *a, **k: None) if quiet else click.echo
    with DemoServer(day=1) as server:
        config_path = out / "rightswatch.toml"
        config_path.write_text(demo_config_toml(server.base_url), encoding="utf-8")
        config = load_config(config_path)
        say(f"demo world serving at {server.base_url} (sources: "
            f"{', '.join(s.id for s in config.sources)})")
        for day in range(1, days + 1):
            server.set_day(day)
            say(click.style(f"\n== day {day}: {day_date(day)} ==", bold=True))
            run = run_crawl(config, quiet=quiet or not sys.stderr.isatty(), timeout=300)
            say(crawl_summary(run.crawls))
            if run.returncode != 0:
                raise click.ClickException(f"the crawl of day {day} failed")
    say(_where(config))
    return out


def _where(config) -> str:
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
    lines = [
        "",
        click.style("== results ==", bold=True),
        table([[c["source_id"], c["reports"], c["versions"]] for c in counts],
              ["source", "reports", "versions"]),
        "",
        f"database      {config.database}",
        f"archive       {config.archive_dir}/ ({len(warcs)} WARC files, {size / 1e6:.1f} MB)",
        f"configuration {cfg}",
        "",
        "look around:",
        f"  rightswatch --config {cfg} sources",
        f"  rightswatch --config {cfg} archive verify",
        f"  sqlite3 {config.database} 'SELECT url, title FROM snapshots LIMIT 5'",
    ]
    return "\n".join(lines)
