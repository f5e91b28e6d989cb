"""Running crawls.

Scrapy's Twisted reactor cannot be restarted within a process, so every crawl cycle runs in a
child process (`python -m rightswatch.crawler`), which may crawl several sources at once in
one reactor.  The parent waits with a timeout and reads the outcome from the crawl records in
the database, which the child writes as it goes: a child that dies leaves them consistent
(its unfinished crawl is marked 'interrupted' by the next one).

At most one process crawls a source at a time, whoever started it (the scheduler or a manual
`rightswatch crawl`): the child holds an exclusive lock file per source for as long as it
lives.  (`scrapy crawl`, a tool for debugging one spider, does not take the lock.)  The kernel drops the lock when the process dies, however it dies, so a
crashed crawl never leaves a stale lock behind.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .alerts.health import record_health_events
from .config import Config, ConfigError, load_config
from .db import Store, open_db

# The child's exit status when every source it was asked to crawl is being crawled already
# (EX_TEMPFAIL: try again later).
BUSY_EXIT = 75


@dataclass(frozen=True)
class CrawlRun:
    """What a crawl cycle did.  `busy`: sources skipped because another process was crawling
    them; `interrupted`: the cycle was asked to stop (scheduler shutting down)."""

    returncode: int
    crawls: list[dict]
    timed_out: bool = False
    interrupted: bool = False
    busy: tuple[str, ...] = ()


def lock_path(database: Path, source_id: str) -> Path:
    """The lock file of one source's crawls, beside the database it writes to."""
    return database.with_name(database.name + ".locks") / f"{source_id}.lock"


def lock_sources(database: Path, source_ids: Sequence[str]) -> tuple[list[str], list[int]]:
    """Take the crawl lock of each source that is free; return those ids and the open file
    descriptors holding the locks (closing one, or exiting, releases it)."""
    taken: list[str] = []
    fds: list[int] = []
    for sid in source_ids:
        path = lock_path(database, sid)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        taken.append(sid)
        fds.append(fd)
    return taken, fds


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
              quiet: bool = False, stop: threading.Event | None = None,
              stop_grace: float = 30.0) -> CrawlRun:
    """One crawl cycle of *source_ids* (default: every enabled source) in a child process.

    Setting *stop* asks the crawl to finish: the child gets SIGTERM (Scrapy closes its
    spiders and records the crawl as interrupted) and, after *stop_grace* seconds, SIGKILL.
    """
    ids = select_sources(config, source_ids)
    store = Store(open_db(config.database))
    try:
        store.sync_sources(config.sources)
        last_id = store.last_crawl_id()
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
    # Its own session: a Ctrl-C in the terminal reaches the parent, which decides.
    proc = subprocess.Popen(cmd, start_new_session=True)
    timed_out = interrupted = False
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while proc.poll() is None:
            if stop is not None and stop.is_set():
                interrupted = True
                _stop(proc, stop_grace)
            elif deadline is not None and time.monotonic() >= deadline:
                timed_out = True
                _stop(proc, stop_grace)
            else:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=0.2)
    except BaseException:
        _stop(proc, stop_grace)
        raise
    store = Store(open_db(config.database))
    try:
        for sid in ids:
            # A source that keeps failing, or suddenly finds nothing, means monitors are blind.
            record_health_events(store.db, sid, config.alerts)
        crawls = store.crawls_after(last_id, ids)
    finally:
        store.close()
    crawled = {c["source_id"] for c in crawls}
    busy = tuple(sid for sid in ids if sid not in crawled) \
        if proc.returncode in (0, BUSY_EXIT) else ()
    return CrawlRun(proc.returncode, crawls, timed_out, interrupted, busy)


def _stop(proc: subprocess.Popen, grace: float = 30.0) -> None:
    """Ask the crawl to finish (Scrapy closes spiders cleanly on SIGTERM), then insist."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
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
    free, locks = lock_sources(config.database, ids)
    for sid in ids:
        if sid not in free:
            print(f"{sid}: skipped, another process is crawling it "
                  f"(lock {lock_path(config.database, sid)})", file=sys.stderr)
    if not free:
        return BUSY_EXIT
    try:
        run_in_process(config, free, quiet=args.quiet)
    finally:
        for fd in locks:
            os.close(fd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
