"""`rightswatch serve`: browse the database in Datasette, with titles, descriptions and queries.

Datasette already gives researchers what they need to explore SQLite (faceting, filtering,
full-text search, CSV/JSON export); what it cannot know is what our tables mean.  That lives
in `metadata.json` next to this module (titles, descriptions, column notes, facets, the
search table of `snapshots`) and `queries.py` (the canned queries).  Datasette keys
per-database metadata by the database's name, which is the file's stem, so the shipped file
holds the database part under a neutral ``"database"`` key and `build_metadata` places it
under the real name at serve time.

Datasette runs as a child process through its command line (`python -m datasette serve`),
the interface Datasette keeps stable, rather than through its Python internals.  It opens a
mutable database read-only (``mode=ro``) on every request, so it sees what crawls write in
the meantime (WAL mode lets both work at once); immutable mode would cache counts and stop
noticing changes, so it is never used.  The default address is loopback: the database
holds unpublished research.
"""

from __future__ import annotations

import copy
import importlib.util
import ipaddress
import json
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from types import FrameType
from typing import Any

from .queries import CANNED_QUERIES, SAMPLE_PARAMS

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8001
# Canned queries over a large figures table can take a few seconds; Datasette's default
# limit (1 s) is meant for public instances.
SQL_TIME_LIMIT_MS = 5000


class BrowseError(Exception):
    """The database cannot be served (missing, Datasette not installed, bad address)."""


def database_name(db_path: str | Path) -> str:
    """The name Datasette gives the database file: its stem (URL /<name>)."""
    return Path(db_path).stem


def static_metadata() -> dict[str, Any]:
    """The shipped metadata.json, as a fresh dict the caller may change."""
    text = files(__package__).joinpath("metadata.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def build_metadata(db_name: str) -> dict[str, Any]:
    """Datasette metadata for a database named *db_name*: tables and canned queries."""
    metadata = static_metadata()
    database = metadata.pop("database")
    database["queries"] = copy.deepcopy(CANNED_QUERIES)
    metadata["databases"] = {db_name: database}
    return metadata


def write_metadata(db_path: str | Path, out: str | Path) -> Path:
    """Write the metadata for the database at *db_path* to *out* (JSON); return *out*."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(build_metadata(database_name(db_path)), ensure_ascii=False,
                              indent=2) + "\n", encoding="utf-8")
    return out


def is_loopback(host: str) -> bool:
    """Whether *host* only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def datasette_command(db_path: str | Path, metadata_path: str | Path, *,
                      host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
                      open_browser: bool = False) -> list[str]:
    """The `datasette serve` command line for the database (never immutable: it changes)."""
    command = [sys.executable, "-m", "datasette", "serve", str(db_path),
               "--metadata", str(metadata_path), "--host", host, "--port", str(port),
               "--setting", "sql_time_limit_ms", str(SQL_TIME_LIMIT_MS)]
    if open_browser:
        command.append("--open")
    return command


def prepare_database(db_path: str | Path) -> Path:
    """Check the database exists and bring its schema up to date (canned queries need it)."""
    from ..db import open_db

    path = Path(db_path)
    if not path.is_file():
        raise BrowseError(f"no database at {path}: run `rightswatch crawl` or "
                          "`rightswatch demo` first")
    db = open_db(path)
    db.conn.close()
    return path


def serve(db_path: str | Path, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          open_browser: bool = False, metadata_out: str | Path | None = None,
          echo: Callable[[str], Any] = print) -> int:
    """Run Datasette on the database until it stops; return its exit status.

    SIGTERM and SIGHUP sent to this process are passed on to Datasette, and Datasette is
    stopped when this function leaves for any reason, so no server outlives the command.
    """
    path = prepare_database(db_path)
    if importlib.util.find_spec("datasette") is None:
        raise BrowseError("Datasette is not installed (pip install datasette)")
    if not is_loopback(host):
        echo(f"warning: listening on {host}: anyone who can reach this machine can read "
             "the database, which holds unpublished research")
    with tempfile.TemporaryDirectory(prefix="rightswatch-serve-") as tmp:
        metadata_path = write_metadata(path, metadata_out or Path(tmp) / "metadata.json")
        command = datasette_command(path, metadata_path, host=host, port=port,
                                    open_browser=open_browser)
        shown = f"[{host}]" if ":" in host else host
        echo(f"serving {path} at http://{shown}:{port}/{database_name(path)} "
             "(Ctrl-C to stop)")
        return _run(command)


def _run(command: list[str]) -> int:
    proc = subprocess.Popen(command)
    previous: dict[signal.Signals, Any] = {}

    def forward(signum: int, _frame: FrameType | None) -> None:
        if proc.poll() is None:
            proc.send_signal(signum)

    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGHUP):
            previous[sig] = signal.signal(sig, forward)
    try:
        while True:
            try:
                return proc.wait()
            except KeyboardInterrupt:
                # The terminal sent SIGINT to Datasette too; make sure it stops gracefully.
                if proc.poll() is None:
                    proc.terminate()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


__all__ = ["CANNED_QUERIES", "DEFAULT_HOST", "DEFAULT_PORT", "SAMPLE_PARAMS", "BrowseError",
           "build_metadata", "database_name", "datasette_command", "is_loopback",
           "prepare_database", "serve", "static_metadata", "write_metadata"]
