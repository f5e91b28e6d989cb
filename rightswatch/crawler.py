"""Running crawls.

Scrapy's Twisted reactor cannot be restarted within a process, so every crawl cycle runs in a
child process (`python -m rightswatch.crawler`), which may crawl several sources at once in
one reactor.  The parent waits with a timeout and reads the outcome from the crawl records in
the database, which the child writes as it goes: a child that dies leaves them consistent
(its unfinished crawl is marked 'interrupted' by the next one).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .alerts.health import record_health_events
from .config import Config, ConfigError, load_config
from .db import Store, open_db, utcnow


@dataclass(frozen=True)
class CrawlRun:
    returncode: int
    crawls: list[dict]
    timed_out: bool = False


def select_sources(config: Config, source_ids: Sequence[str]) -> list[str]:
    if source_ids:
        return [config.source(sid).id for sid in source_ids]
    return [s.id for s in config.sources if s.enabled]


def run_in_process(config: Config, source_ids: Sequence[str], *, quiet: bool = False) -> None:
    """Crawl the sources now, in this process (which can then never crawl again)."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from .spiders import SourceSpider

    settings = Settings()
    settings.setmodule("rightswatch.settings", priority="project")
    settings.set("RIGHTSWATCH_CONFIG", str(config.path) if config.path else None)
    settings.set("RIGHTSWATCH_DB", str(config.database))
    settings.set("LOG_LEVEL", "WARNING")
    settings.set("LOG_INSTALL_ROOT_HANDLER", False)
    if quiet:
        settings.set("RIGHTSWATCH_PROGRESS_INTERVAL", 0)
    process = CrawlerProcess(settings)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s",
                                           "%H:%M:%S"))
    handler.addFilter(_ConsoleFilter(quiet))
    # Scrapy logs every response and item at DEBUG: not even creating those records is a
    # measurable saving on large crawls.
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    for sid in source_ids:
        process.crawl(SourceSpider, source=sid)
    process.start()


class _ConsoleFilter(logging.Filter):
    """Progress lines from rightswatch, only warnings from Scrapy and Twisted.

    Scrapy resets the root logger's level when a crawler starts, so the decision is made per
    record here rather than with logger levels.
    """

    def __init__(self, quiet: bool) -> None:
        super().__init__()
        self.own_level = logging.WARNING if quiet else logging.INFO
        self.other_level = logging.ERROR if quiet else logging.WARNING

    def filter(self, record: logging.LogRecord) -> bool:
        ours = record.name == "rightswatch" or record.name.startswith("rightswatch.")
        return record.levelno >= (self.own_level if ours else self.other_level)


def run_crawl(config: Config, source_ids: Sequence[str] = (), *, timeout: float | None = None,
              quiet: bool = False) -> CrawlRun:
    """One crawl cycle of *source_ids* (default: every enabled source) in a child process."""
    ids = select_sources(config, source_ids)
    store = Store(open_db(config.database))
    try:
        store.sync_sources(config.sources)
        started = utcnow()
    finally:
        store.close()
    if not ids:
        return CrawlRun(0, [])
    cmd = [sys.executable, "-m", "rightswatch.crawler", "--db", str(config.database)]
    if config.path:
        cmd += ["--config", str(config.path)]
    if quiet:
        cmd.append("--quiet")
    cmd += ids
    proc = subprocess.Popen(cmd, start_new_session=True)
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _stop(proc)
    except BaseException:
        _stop(proc)
        raise
    store = Store(open_db(config.database))
    try:
        for sid in ids:
            # A source that keeps failing, or suddenly finds nothing, means monitors are blind.
            record_health_events(store.db, sid, config.alerts)
        crawls = store.query(
            f"""SELECT * FROM crawls WHERE started_at >= ? AND source_id IN
                ({",".join("?" * len(ids))}) ORDER BY id""",
            [started, *ids],
        )
    finally:
        store.close()
    return CrawlRun(proc.returncode, crawls, timed_out)


def _stop(proc: subprocess.Popen) -> None:
    """Ask the crawl to finish (Scrapy closes spiders cleanly on SIGTERM), then insist."""
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rightswatch.crawler")
    parser.add_argument("--config")
    parser.add_argument("--db")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("sources", nargs="+")
    args = parser.parse_args(argv)
    try:
        config = load_config(Path(args.config) if args.config else None).with_database(args.db)
        ids = select_sources(config, args.sources)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    run_in_process(config, ids, quiet=args.quiet)
    return 0


if __name__ == "__main__":
    sys.exit(main())
