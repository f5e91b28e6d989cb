"""What the scheduler did and plans to do: the `scheduler_jobs` table, and the crawl records
it plans from.

The scheduler's plan is never read back to decide anything: on every start it is recomputed
from the crawl records (`last_crawl_starts`), which the crawls themselves write.  The table is
for people: `rightswatch sources` shows the next crawl from it while a scheduler runs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .store import Conn, _c, _rows, iso, utcnow


def last_crawl_starts(conn: Conn) -> dict[str, str]:
    """When each source's newest finished crawl started, ok or failed.  An interrupted crawl
    (stopped, killed, timed out) did not do its job, so the source is still due."""
    return dict(_c(conn).execute(
        """SELECT source_id, MAX(started_at) FROM crawls WHERE status IN ('ok', 'failed')
           GROUP BY source_id""").fetchall())


def stale_running_crawls(conn: Conn) -> list[dict[str, Any]]:
    """Crawl records still marked running (their process may be alive or long gone)."""
    cur = _c(conn).execute("SELECT id, source_id, pid FROM crawls WHERE status = 'running'")
    return [{"id": r[0], "source_id": r[1], "pid": r[2]} for r in cur.fetchall()]


def mark_interrupted(conn: Conn, crawl_id: int) -> None:
    """Close the record of a crawl whose process is known to be gone."""
    _c(conn).execute(
        """UPDATE crawls SET status = 'interrupted', finished_at = COALESCE(finished_at, ?),
                  error = COALESCE(error, 'the crawl process ended without closing its record')
           WHERE id = ? AND status = 'running'""",
        [utcnow(), crawl_id],
    )


def record_job(conn: Conn, job_id: str, *, kind: str, source_id: str | None = None,
               schedule: str | None = None, next_run_at: datetime | None = None,
               **last: Any) -> None:
    """Upsert the plan of one job and, when given, its last run (`last_started_at`,
    `last_finished_at`, `last_status`, `last_message`)."""
    allowed = {"last_started_at", "last_finished_at", "last_status", "last_message"}
    unknown = set(last) - allowed
    if unknown:
        raise ValueError(f"unknown job field(s): {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {
        "id": job_id, "kind": kind, "source_id": source_id, "schedule": schedule,
        "next_run_at": iso(next_run_at) if next_run_at else None,
        "scheduler_pid": os.getpid(), "updated_at": utcnow(),
        **{k: (iso(v) if isinstance(v, datetime) else v) for k, v in last.items()},
    }
    columns = list(values)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "id")
    _c(conn).execute(
        f"""INSERT INTO scheduler_jobs ({", ".join(columns)})
            VALUES ({", ".join("?" * len(columns))})
            ON CONFLICT(id) DO UPDATE SET {updates}""",
        [values[c] for c in columns],
    )


def set_next_run(conn: Conn, job_id: str, next_run_at: datetime | None) -> None:
    _c(conn).execute(
        "UPDATE scheduler_jobs SET next_run_at = ?, updated_at = ? WHERE id = ?",
        [iso(next_run_at) if next_run_at else None, utcnow(), job_id],
    )


def scheduler_stopped(conn: Conn, pid: int) -> None:
    """A scheduler that stops cleanly withdraws its plan: nothing is scheduled any more."""
    _c(conn).execute(
        """UPDATE scheduler_jobs SET next_run_at = NULL, scheduler_pid = NULL, updated_at = ?
           WHERE scheduler_pid = ?""",
        [utcnow(), pid],
    )


def jobs(conn: Conn) -> dict[str, dict[str, Any]]:
    """Every job row, keyed by job id."""
    return {row["id"]: row for row in _rows(_c(conn).execute("SELECT * FROM scheduler_jobs"))}


def job(conn: Conn, job_id: str) -> Mapping[str, Any] | None:
    found = _rows(_c(conn).execute("SELECT * FROM scheduler_jobs WHERE id = ?", [job_id]))
    return found[0] if found else None


def has_digest_ending(conn: Conn, period_end: datetime) -> bool:
    """Whether the digest of the period ending at *period_end* was already made."""
    row = _c(conn).execute("SELECT 1 FROM digests WHERE period_end = ? LIMIT 1",
                           [iso(period_end)]).fetchone()
    return row is not None


__all__ = ["has_digest_ending", "job", "jobs", "last_crawl_starts", "mark_interrupted",
           "record_job", "scheduler_stopped", "set_next_run", "stale_running_crawls"]
