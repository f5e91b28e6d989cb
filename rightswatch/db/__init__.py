"""All database access: schema, migrations and queries over one SQLite file.

The database is opened in WAL mode so that the scheduler, `rightswatch sources` or Datasette
can read while a crawl writes; every write goes through `Store`, one explicit transaction per
item, so a crawl killed at any moment leaves the database consistent.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from .migrations import migrate
from .store import PageState, Store, utcnow


def open_db(path: str | Path, *, readonly: bool = False) -> Database:
    """Open (creating and migrating if needed) the database at *path*."""
    path = Path(path)
    if readonly:
        if not path.exists():
            raise FileNotFoundError(f"no database at {path}")
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None,
                               timeout=30, check_same_thread=False)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 30000")
    db = Database(conn)
    if not readonly:
        migrate(db)
    return db


__all__ = ["Database", "PageState", "Store", "migrate", "open_db", "utcnow"]
