"""Queries and writes.  Each public write is one transaction: all of it lands, or none.

The connection runs in autocommit mode (isolation_level=None) and `transaction()` issues
BEGIN IMMEDIATE itself, so that the write lock is taken up front (no deadlock between a crawl
and the dispatcher upgrading read locks) and nothing commits half-way.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlite_utils import Database

OUTCOMES = ("new", "changed", "unchanged", "removed", "moved", "failed")
# The Figure fields of design.md, as stored ("end" is an SQL keyword; the Figure's `id` is
# `figure_key`), and how the figure's series was decided (rightswatch.changes.series.Claim).
_FIGURE_COLUMNS = ("value", "text", "start", '"end"', "qualifier", "metric", "subject", "region",
                   "period", "source", "sentence", "lang", "range_end", "series_id", "period_key",
                   "organisation", "unit", "what", "population", "basis", "confidence",
                   "region_basis", "part", "attribution", "figure_key", "topic", "claim_org",
                   "claim_series_id", "analysed_at")
_FIGURE_FIELD = {"figure_key": "id"}  # column -> Figure.to_dict() key, where they differ


def figure_values(fig: Mapping[str, Any]) -> list[Any]:
    """A figure dict's values in `_FIGURE_COLUMNS` order."""
    out = []
    for column in _FIGURE_COLUMNS:
        name = column.strip('"')
        value = fig.get(_FIGURE_FIELD.get(name, name))
        if name == "part":
            value = int(bool(value))
        elif name == "unit":
            value = value or "count"
        out.append(value)
    return out


# The query modules (outbox, digests, schedule) take either a raw connection or a Database.
Conn = sqlite3.Connection | Database
Moment = datetime | str


def utcnow() -> str:
    return iso(datetime.now(UTC))


def iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_ts(text: str) -> datetime:
    """The datetime of a stored timestamp."""
    return datetime.fromisoformat(text)


def parse_moment(value: Any) -> datetime | None:
    """A date or datetime as written by sites, feeds or people ('2026-11-02',
    '…T10:00:00Z', '…+02:00'), in UTC (a naive one is taken as UTC); None if unparseable."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    for candidate in (text, text[:10]):
        try:
            moment = datetime.fromisoformat(candidate)
        except ValueError:
            continue
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


def _ts(moment: Moment | None) -> str:
    """A stored timestamp for *moment* (a datetime or an already stored string); now if None."""
    if moment is None:
        return utcnow()
    return moment if isinstance(moment, str) else iso(moment)


def _c(conn: Conn) -> sqlite3.Connection:
    return conn.conn if isinstance(conn, Database) else conn


def _rows(cur: sqlite3.Cursor) -> list[dict[str, Any]]:
    """Every row of *cur* as a dict keyed by column name."""
    names = [d[0] for d in cur.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _marks(n: int) -> str:
    return ", ".join("?" * n)


@contextmanager
def transaction(conn: Conn) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE … COMMIT, or join the caller's transaction if one is open."""
    c = _c(conn)
    if c.in_transaction:
        yield c
        return
    c.execute("BEGIN IMMEDIATE")
    try:
        yield c
    except BaseException:
        c.execute("ROLLBACK")
        raise
    else:
        c.execute("COMMIT")


@dataclass(frozen=True)
class PageState:
    """What a crawl needs to know about a page it has seen before."""

    url: str
    kind: str
    status: str
    first_seen_at: str
    last_fetched_at: str | None
    published_at: str | None
    etag: str | None
    last_modified: str | None
    latest_sha256: str | None
    moved_to: str | None
    # Where the last payload of a discovery document is archived, so that a 304 can be
    # answered from the archive (reports do not need it: a 304 report is simply unchanged).
    archived_file: str | None = None
    archived_offset: int | None = None


@dataclass(frozen=True)
class Fetch:
    """A fetched page as the store needs it (built by the store pipeline from a PageItem)."""

    source_id: str
    url: str
    kind: str
    status: int
    fetched_at: str
    sha256: str | None = None
    size: int = 0
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    warc_file: str | None = None
    warc_offset: int | None = None
    warc_length: int | None = None
    warc_record_id: str | None = None
    warc_record_type: str | None = None
    doc_kind: str | None = None
    title: str | None = None
    published_at: str | None = None
    lang: str | None = None
    encoding: str | None = None
    text: str | None = None
    extraction_error: str | None = None
    redirected_from: tuple[str, ...] = ()
    crawl_id: int | None = None
    figures: tuple[dict[str, Any], ...] = ()
    removed_after: int = 3        # failed fetches in a row after which a report is removed


@dataclass(frozen=True)
class Saved:
    outcome: str
    page_id: int | None
    snapshot_id: int | None
    # For a new page: another report of the source with the very same payload (a move seen
    # before its redirect, a short link), so the "new" page is not a new report.
    duplicate_of: str | None = None


class Store:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.conn = db.conn

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction; nested uses join the outer one (all or nothing)."""
        with transaction(self.conn):
            yield

    def _one(self, sql: str, params: Iterable[Any] = ()) -> dict[str, Any] | None:
        cur = self.conn.execute(sql, list(params))
        row = cur.fetchone()
        if row is None:
            return None
        return dict(zip([d[0] for d in cur.description], row, strict=True))

    def query(self, sql: str, params: Iterable[Any] | Mapping[str, Any] = ()) -> list[dict]:
        return _rows(self.conn.execute(
            sql, params if isinstance(params, Mapping) else list(params)))

    # -- sources -----------------------------------------------------------------------------

    def sync_sources(self, sources: Iterable[Any]) -> None:
        """Insert or update configured sources (rows are never deleted: history refers to them)."""
        now = utcnow()
        with self.transaction():
            for s in sources:
                self.conn.execute(
                    """INSERT INTO sources (id, name, homepage, organisation, kind, enabled,
                                            created_at, updated_at)
                       VALUES (?, ?, ?, ?, 'configured', ?, ?, ?)
                       ON CONFLICT(id) DO UPDATE SET name = excluded.name,
                         homepage = excluded.homepage, organisation = excluded.organisation,
                         kind = 'configured', enabled = excluded.enabled,
                         updated_at = excluded.updated_at""",
                    [s.id, s.name, s.homepage, s.reporting_organisation, int(s.enabled), now, now],
                )

    def ensure_manual_source(self, source_id: str, name: str | None = None) -> None:
        now = utcnow()
        with self.transaction():
            self.conn.execute(
                """INSERT INTO sources (id, name, kind, created_at, updated_at)
                   VALUES (?, ?, 'manual', ?, ?) ON CONFLICT(id) DO NOTHING""",
                [source_id, name or source_id, now, now],
            )

    # -- crawls ------------------------------------------------------------------------------

    def start_crawl(self, source_id: str, pid: int | None = None) -> int:
        now = utcnow()
        with self.transaction():
            self.conn.execute(
                """INSERT INTO sources (id, name, kind, created_at, updated_at)
                   VALUES (?, ?, 'configured', ?, ?) ON CONFLICT(id) DO NOTHING""",
                [source_id, source_id, now, now],
            )
            # A crawl that was still 'running' for this source died without closing.
            self.conn.execute(
                """UPDATE crawls SET status = 'interrupted', finished_at = COALESCE(finished_at, ?)
                   WHERE source_id = ? AND status = 'running'""",
                [now, source_id],
            )
            cur = self.conn.execute(
                "INSERT INTO crawls (source_id, started_at, pid) VALUES (?, ?, ?)",
                [source_id, now, pid],
            )
        return int(cur.lastrowid or 0)

    def finish_crawl(self, crawl_id: int, *, status: str, counts: Mapping[str, int],
                     finish_reason: str | None, error: str | None,
                     stats: Mapping[str, Any] | None = None) -> None:
        columns = {f"pages_{k}": int(counts.get(k, 0)) for k in OUTCOMES}
        columns["articles_found"] = int(counts.get("articles_found", 0))
        columns["requests"] = int(counts.get("requests", 0))
        assignments = ", ".join(f"{c} = :{c}" for c in columns)
        with self.transaction():
            self.conn.execute(
                f"""UPDATE crawls SET finished_at = :finished_at, status = :status,
                       finish_reason = :finish_reason, error = :error, stats = :stats,
                       {assignments} WHERE id = :id""",
                {**columns, "finished_at": utcnow(), "status": status,
                 "finish_reason": finish_reason, "error": error, "id": crawl_id,
                 "stats": json.dumps(stats or {}, default=str, sort_keys=True)},
            )

    def add_crawl_error(self, crawl_id: int | None, source_id: str, url: str | None,
                        kind: str, message: str) -> None:
        with self.transaction():
            self.conn.execute(
                """INSERT INTO crawl_errors (crawl_id, source_id, url, at, kind, message)
                   VALUES (?, ?, ?, ?, ?, ?)""",
                [crawl_id, source_id, url, utcnow(), kind, message[:2000]],
            )

    def crawl_errors(self, crawl_id: int) -> list[dict]:
        return self.query("SELECT * FROM crawl_errors WHERE crawl_id = ? ORDER BY id", [crawl_id])

    def has_completed_crawl(self, source_id: str) -> bool:
        """Whether the source was crawled successfully before: if not, everything is backfill."""
        row = self._one("SELECT 1 FROM crawls WHERE source_id = ? AND status = 'ok' LIMIT 1",
                        [source_id])
        return row is not None

    def last_crawl_id(self) -> int:
        """The id of the newest crawl record (0 if none): what a caller starting crawls
        notes, to read back exactly the records those crawls write (`crawls_after`)."""
        return int(self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM crawls").fetchone()[0])

    def crawls_after(self, crawl_id: int, source_ids: Iterable[str] | None = None, *,
                     finished: bool = False) -> list[dict]:
        """Crawl records newer than *crawl_id*, oldest first (of *source_ids* only, and only
        finished ones if asked)."""
        sql = "SELECT * FROM crawls WHERE id > ?"
        params: list[Any] = [crawl_id]
        if source_ids is not None:
            ids = list(source_ids)
            sql += f" AND source_id IN ({', '.join('?' * len(ids))})"
            params += ids
        if finished:
            sql += " AND finished_at IS NOT NULL"
        return self.query(sql + " ORDER BY id", params)

    def last_crawls(self) -> dict[str, dict]:
        """The newest crawl of every source, keyed by source id."""
        rows = self.query(
            """SELECT c.* FROM crawls c JOIN (SELECT source_id, MAX(id) AS id FROM crawls
               GROUP BY source_id) last ON last.id = c.id"""
        )
        return {r["source_id"]: r for r in rows}

    # -- pages -------------------------------------------------------------------------------

    def page_states(self, source_id: str, url: str | None = None) -> dict[str, PageState]:
        """What the crawl knows of a source's pages (or of the one page at *url*)."""
        rows = self.query(
            """SELECT p.url, p.kind, p.status, p.first_seen_at, p.last_fetched_at,
                      p.published_at, p.etag, p.last_modified, p.latest_sha256, p.moved_to,
                      s.warc_file AS archived_file, s.warc_offset AS archived_offset
               FROM pages p LEFT JOIN snapshots s ON s.id = (
                   SELECT id FROM snapshots WHERE sha256 = p.latest_sha256
                   AND warc_record_type = 'response' AND p.kind != 'report'
                   ORDER BY id LIMIT 1)
               WHERE p.source_id = ? AND (? IS NULL OR p.url = ?)""",
            [source_id, url, url],
        )
        return {r["url"]: PageState(**r) for r in rows}

    def save_fetch(self, f: Fetch) -> Saved:
        """Record one fetch: a new page, a new snapshot, or just "seen again, unchanged"."""
        with self.transaction():
            for old_url in f.redirected_from:
                self._mark_moved(f, old_url)
            page = self._one("SELECT * FROM pages WHERE url = ?", [f.url])
            if f.status == 0:
                return self._fetch_failed(f, page)
            if f.status in (404, 410):
                return self._mark_removed(f, page)
            if f.status == 304:
                if page is None:
                    return Saved("failed", None, None)
                self.conn.execute(
                    """UPDATE pages SET last_fetched_at = ?, http_status = 304, status = 'active',
                           missing_crawls = 0 WHERE id = ?""",
                    [f.fetched_at, page["id"]],
                )
                return Saved("unchanged", page["id"], page["latest_snapshot_id"])
            duplicate_of = None
            if page is None:
                if f.kind == "report" and f.sha256:
                    same = self._one(
                        """SELECT url FROM pages WHERE source_id = ? AND latest_sha256 = ?
                           AND kind = 'report' AND url != ? LIMIT 1""",
                        [f.source_id, f.sha256, f.url])
                    duplicate_of = same["url"] if same else None
                page_id = self._insert_page(f)
                outcome = "new"
            else:
                page_id = page["id"]
                outcome = "changed"
                if page["latest_snapshot_id"] is not None and self._same_content(page, f):
                    outcome = "unchanged"
            snapshot_id = page["latest_snapshot_id"] if page else None
            if outcome != "unchanged":
                snapshot_id = self._insert_snapshot(f, page_id)
                self._insert_figures(f, page_id, snapshot_id)
            self.conn.execute(
                """UPDATE pages SET last_fetched_at = :at, http_status = :status,
                       status = 'active', removed_at = NULL, missing_crawls = 0, etag = :etag,
                       last_modified = :lm, latest_sha256 = :sha,
                       latest_snapshot_id = :snap,
                       last_changed_at = CASE WHEN :changed THEN :at ELSE last_changed_at END,
                       title = COALESCE(:title, title),
                       published_at = COALESCE(published_at, :published),
                       lang = COALESCE(:lang, lang)
                   WHERE id = :id""",
                {"at": f.fetched_at, "status": f.status, "etag": f.etag, "lm": f.last_modified,
                 "sha": f.sha256, "snap": snapshot_id, "changed": outcome != "unchanged",
                 "title": f.title, "published": f.published_at, "lang": f.lang, "id": page_id},
            )
            return Saved(outcome, page_id, snapshot_id, duplicate_of)

    def _same_content(self, page: Mapping[str, Any], f: Fetch) -> bool:
        """Unchanged when the bytes are identical, or (for reports) when the extracted text is.

        Page chrome (view counters, "popular posts") changes the bytes of many sites on every
        visit; the new bytes are still archived, but they are not a new version of the report.
        """
        if f.sha256 is not None and f.sha256 == page["latest_sha256"]:
            return True
        if f.text is None:
            return False
        latest = self._one("SELECT title, text FROM snapshots WHERE id = ?",
                           [page["latest_snapshot_id"]])
        return latest is not None and latest["text"] == f.text and latest["title"] == f.title

    def _insert_page(self, f: Fetch) -> int:
        cur = self.conn.execute(
            """INSERT INTO pages (source_id, url, kind, first_seen_at, published_at)
               VALUES (?, ?, ?, ?, ?)""",
            [f.source_id, f.url, f.kind, f.fetched_at, f.published_at],
        )
        return int(cur.lastrowid or 0)

    def _insert_snapshot(self, f: Fetch, page_id: int) -> int:
        cur = self.conn.execute(
            """INSERT INTO snapshots (page_id, source_id, crawl_id, url, fetched_at, http_status,
                   content_type, size, sha256, warc_file, warc_offset, warc_length,
                   warc_record_id, warc_record_type, kind, title, published_at, lang,
                   encoding, text, extraction_error)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [page_id, f.source_id, f.crawl_id, f.url, f.fetched_at, f.status, f.content_type,
             f.size, f.sha256 or "", f.warc_file, f.warc_offset, f.warc_length,
             f.warc_record_id, f.warc_record_type, f.doc_kind, f.title, f.published_at, f.lang,
             f.encoding, f.text, f.extraction_error],
        )
        return int(cur.lastrowid or 0)

    def replace_figures(self, snapshot_id: int, page_id: int, source_id: str,
                        figures: Iterable[Mapping[str, Any]]) -> None:
        """A snapshot's figures, found again (`figures reanalyse`): the old rows go."""
        with self.transaction():
            self.conn.execute("DELETE FROM figures WHERE snapshot_id = ?", [snapshot_id])
            self.conn.executemany(
                f"""INSERT INTO figures (snapshot_id, page_id, source_id,
                        {", ".join(_FIGURE_COLUMNS)})
                    VALUES (?, ?, ?, {", ".join("?" * len(_FIGURE_COLUMNS))})""",
                [[snapshot_id, page_id, source_id, *figure_values(fig)] for fig in figures])

    def _insert_figures(self, f: Fetch, page_id: int, snapshot_id: int) -> None:
        self.conn.executemany(
            f"""INSERT INTO figures (snapshot_id, page_id, source_id, {", ".join(_FIGURE_COLUMNS)})
                VALUES (?, ?, ?, {", ".join("?" * len(_FIGURE_COLUMNS))})""",
            [[snapshot_id, page_id, f.source_id, *figure_values(fig)] for fig in f.figures],
        )

    # -- events ------------------------------------------------------------------------------

    def page_row(self, page_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM pages WHERE id = ?", [page_id])

    def snapshot_row(self, snapshot_id: int | None) -> dict[str, Any] | None:
        if snapshot_id is None:
            return None
        return self._one("SELECT * FROM snapshots WHERE id = ?", [snapshot_id])

    def previous_snapshot(self, page_id: int, before: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM snapshots WHERE page_id = ? AND id < ? ORDER BY id DESC "
                         "LIMIT 1", [page_id, before])

    def latest_text(self, url: str) -> str | None:
        row = self._one("""SELECT s.text FROM pages p JOIN snapshots s
                           ON s.id = p.latest_snapshot_id WHERE p.url = ?""", [url])
        return row["text"] if row else None

    def series_rows(self, series_ids: Iterable[str], *, exclude_snapshot: int | None = None,
                    newest: int | None = None) -> dict[str, list[dict[str, Any]]]:
        """Stored figures of these series, with the snapshot facts that order them.

        With *newest*, only the figures of each series' newest snapshots: deciding whether a
        report changes a series needs its latest word, not the whole history, and a long
        series must not make every new report slower to store.
        """
        ids = list(dict.fromkeys(series_ids))
        found: dict[str, list[dict[str, Any]]] = {sid: [] for sid in ids}
        exclude = -1 if exclude_snapshot is None else exclude_snapshot
        columns = f"""{", ".join("f." + c for c in _FIGURE_COLUMNS)}, f.snapshot_id,
                      s.url, s.source_id, s.published_at, s.fetched_at, s.title"""
        for sid in ids:
            limit = ""
            if newest is not None:
                limit = f"""AND f.snapshot_id IN (
                    SELECT s2.id FROM figures f2 JOIN snapshots s2 ON s2.id = f2.snapshot_id
                    WHERE f2.series_id = :sid AND f2.snapshot_id != :exclude
                    ORDER BY COALESCE(s2.published_at, s2.fetched_at) DESC, s2.url DESC,
                             s2.id DESC LIMIT {int(newest)})"""
            found[sid] = self.query(
                f"""SELECT {columns} FROM figures f JOIN snapshots s ON s.id = f.snapshot_id
                    WHERE f.series_id = :sid AND f.snapshot_id != :exclude {limit}""",
                {"sid": sid, "exclude": exclude},
            )
        return found

    def also_reported(self, topics: Iterable[tuple[str, str | None, str]]
                      ) -> dict[tuple[str, str, str], list[str]]:
        """(measure id, region or '-', period key) -> organisations that keep a series of it.

        One indexed lookup per topic (figures_topic_claims), whatever the size of the
        database.
        """
        found: dict[tuple[str, str, str], list[str]] = {}
        for measure, region, period_key in dict.fromkeys(topics):
            rows = self.query(
                """SELECT DISTINCT organisation FROM figures
                   WHERE topic = ? AND period_key = ? AND organisation IS NOT NULL
                   ORDER BY organisation""",
                [f"{measure}|{region or '-'}", period_key])
            if rows:
                found[(measure, region or "-", period_key)] = [r["organisation"] for r in rows]
        return found

    def report_versions(self, source_id: str, exclude_page: int, *, since: str,
                        until: str) -> list[dict[str, Any]]:
        """The latest version of every other report of a source published (else fetched)
        on a day from *since* to *until* (ISO dates), with its figure values: the
        candidates for being translations of one another.  The date indexes keep this from
        reading a whole archive for every new report."""
        end = (date.fromisoformat(until) + timedelta(days=1)).isoformat()
        rows = self.query(
            """SELECT p.id AS page_id, p.url, s.id AS snapshot_id, s.title, s.lang,
                      s.published_at, s.fetched_at,
                      group_concat(CASE WHEN f.metric IS NOT NULL
                                          OR (f.what IS NOT NULL AND f.unit IN ('count', 'percent'))
                                        THEN f.value END) AS vals
               FROM snapshots s CROSS JOIN pages p  -- snapshots first: the date indexes lead
               LEFT JOIN figures f ON f.snapshot_id = s.id
               WHERE p.id = s.page_id AND p.latest_snapshot_id = s.id
                 AND s.source_id = :source
                 AND ((s.published_at >= :since AND s.published_at < :end)
                      OR (s.published_at IS NULL AND s.fetched_at >= :since
                          AND s.fetched_at < :end))
                 AND p.kind = 'report' AND p.id != :page AND p.status = 'active'
               GROUP BY p.id""",
            {"source": source_id, "page": exclude_page, "since": since, "end": end})
        for r in rows:
            r["values"] = [float(v) for v in (r.pop("vals") or "").split(",") if v]
        return rows

    def source_name(self, source_id: str) -> str:
        row = self._one("SELECT name FROM sources WHERE id = ?", [source_id])
        return row["name"] if row else source_id

    def insert_event(self, event: Mapping[str, Any], page_id: int | None = None) -> bool:
        """Store an event once: a replay (same dedup key) is ignored.  True if it is new."""
        cur = self.conn.execute(
            """INSERT OR IGNORE INTO events (id, type, created_at, source_id, page_id,
                   snapshot_id, dedup_key, backfill, payload)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [event["id"], event["type"], event["created_at"], event["source"]["id"],
             page_id, event["report"].get("snapshot_id"), event["dedup_key"],
             int(bool(event.get("backfill"))),
             json.dumps(event, ensure_ascii=False, sort_keys=True, default=str)],
        )
        return cur.rowcount == 1

    def events(self, *, since: str | None = None, types: Iterable[str] = (),
               include_backfill: bool = True) -> list[dict]:
        """Stored event payloads, oldest first.

        ``include_backfill=False`` leaves out backfill events (a source's first crawl, old
        reports seen late): history, not news, so the Atom feed does not carry them.
        """
        clauses, params = [], []
        if not include_backfill:
            clauses.append("backfill = 0")
        if since:
            clauses.append("created_at >= ?")
            params.append(since)
        types = list(types)
        if types:
            clauses.append(f"type IN ({','.join('?' * len(types))})")
            params += types
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self.query(f"SELECT payload FROM events {where} ORDER BY created_at, rowid",
                          params)
        return [json.loads(r["payload"]) for r in rows]

    def figure_observations(self, *, metric: str | None = None, region: str | None = None,
                            source: str | None = None) -> list[dict[str, Any]]:
        """Series figures (with snapshot facts) for `rightswatch series`; filters optional."""
        clauses, params = ["f.series_id IS NOT NULL"], []
        for column, value in (("f.metric", metric), ("f.region", region)):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        if source:
            clauses.append("(s.source_id = ? OR f.organisation = ?)")
            params += [source, source]
        return self.query(
            f"""SELECT {", ".join("f." + c for c in _FIGURE_COLUMNS)}, f.snapshot_id,
                       s.url, s.source_id, s.published_at, s.fetched_at, s.title
                FROM figures f JOIN snapshots s ON s.id = f.snapshot_id
                WHERE {" AND ".join(clauses)}""",
            params,
        )

    def _fetch_failed(self, f: Fetch, page: Mapping[str, Any] | None) -> Saved:
        """A known report could not be fetched: one more crawl in a row it is missing."""
        if page is None or page["status"] != "active":
            return Saved("failed", page["id"] if page else None, None)
        missing = page["missing_crawls"] + 1
        if missing < f.removed_after:
            self.conn.execute("UPDATE pages SET missing_crawls = ? WHERE id = ?",
                              [missing, page["id"]])
            return Saved("failed", page["id"], page["latest_snapshot_id"])
        self.conn.execute(
            """UPDATE pages SET status = 'removed', removed_at = ?, missing_crawls = ?
               WHERE id = ?""",
            [f.fetched_at, missing, page["id"]],
        )
        return Saved("removed", page["id"], page["latest_snapshot_id"])

    def _mark_removed(self, f: Fetch, page: Mapping[str, Any] | None) -> Saved:
        if page is None:
            return Saved("failed", None, None)
        if page["status"] == "removed":
            self.conn.execute("UPDATE pages SET last_fetched_at = ? WHERE id = ?",
                              [f.fetched_at, page["id"]])
            return Saved("unchanged", page["id"], page["latest_snapshot_id"])
        self.conn.execute(
            """UPDATE pages SET status = 'removed', removed_at = ?, http_status = ?,
                   last_fetched_at = ? WHERE id = ?""",
            [f.fetched_at, f.status, f.fetched_at, page["id"]],
        )
        return Saved("removed", page["id"], page["latest_snapshot_id"])

    def _mark_moved(self, f: Fetch, old_url: str) -> None:
        """The page at *old_url* now redirects to f.url; keep it, pointing at its new home."""
        if old_url == f.url:
            return
        old = self._one("SELECT id, status, moved_to FROM pages WHERE url = ?", [old_url])
        if old is None:
            return
        if old["status"] != "moved" or old["moved_to"] != f.url:
            self.conn.execute(
                """UPDATE pages SET status = 'moved', moved_to = ?, last_fetched_at = ?,
                       http_status = 301 WHERE id = ?""",
                [f.url, f.fetched_at, old["id"]],
            )

    # -- archive -----------------------------------------------------------------------------

    def archived_payload(self, sha256: str) -> dict[str, Any] | None:
        """The first archived full copy of a payload, for writing revisit records."""
        return self._one(
            """SELECT url, fetched_at, warc_record_id FROM snapshots
               WHERE sha256 = ? AND warc_record_type = 'response' ORDER BY id LIMIT 1""",
            [sha256],
        )

    def archive_records(self) -> list[dict[str, Any]]:
        return self.query(
            """SELECT id, url, warc_file, warc_offset, sha256 FROM snapshots
               WHERE warc_file IS NOT NULL ORDER BY id"""
        )
