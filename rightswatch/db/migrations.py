"""Forward-only schema migrations.

Each migration is a function registered in order; the names of applied migrations are kept
in `_migrations`, so opening any older database brings it up to date and a migration never
runs twice.  Never edit a released migration: add a new one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime

from sqlite_utils import Database

Migration = Callable[[Database], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(name: str) -> Callable[[Migration], Migration]:
    def register(fn: Migration) -> Migration:
        MIGRATIONS.append((name, fn))
        return fn

    return register


@migration("0001_initial")
def _initial(db: Database) -> None:
    _execute_script(
        db,
        """
        CREATE TABLE sources (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            homepage TEXT,
            organisation TEXT,
            kind TEXT NOT NULL DEFAULT 'configured',   -- configured | manual
            enabled INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE pages (
            id INTEGER PRIMARY KEY,
            source_id TEXT NOT NULL REFERENCES sources(id),
            url TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL DEFAULT 'report',       -- report | listing | feed | sitemap
            status TEXT NOT NULL DEFAULT 'active',     -- active | removed | moved
            http_status INTEGER,
            first_seen_at TEXT NOT NULL,
            last_fetched_at TEXT,
            last_changed_at TEXT,
            published_at TEXT,
            title TEXT,
            lang TEXT,
            etag TEXT,
            last_modified TEXT,
            latest_snapshot_id INTEGER,
            latest_sha256 TEXT,
            moved_to TEXT,
            removed_at TEXT,
            missing_crawls INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX pages_source ON pages(source_id, kind);
        CREATE INDEX pages_payload ON pages(source_id, latest_sha256);
        CREATE TABLE crawls (
            id INTEGER PRIMARY KEY,
            source_id TEXT NOT NULL REFERENCES sources(id),
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL DEFAULT 'running',    -- running | ok | failed | interrupted
            pid INTEGER,
            pages_new INTEGER NOT NULL DEFAULT 0,
            pages_changed INTEGER NOT NULL DEFAULT 0,
            pages_unchanged INTEGER NOT NULL DEFAULT 0,
            pages_failed INTEGER NOT NULL DEFAULT 0,
            pages_removed INTEGER NOT NULL DEFAULT 0,
            pages_moved INTEGER NOT NULL DEFAULT 0,
            articles_found INTEGER NOT NULL DEFAULT 0,
            requests INTEGER NOT NULL DEFAULT 0,
            finish_reason TEXT,
            error TEXT,
            stats TEXT
        );
        CREATE INDEX crawls_source ON crawls(source_id, started_at);
        CREATE TABLE crawl_errors (
            id INTEGER PRIMARY KEY,
            crawl_id INTEGER REFERENCES crawls(id),
            source_id TEXT NOT NULL,
            url TEXT,
            at TEXT NOT NULL,
            kind TEXT NOT NULL,
            message TEXT NOT NULL
        );
        CREATE INDEX crawl_errors_crawl ON crawl_errors(crawl_id);
        CREATE TABLE snapshots (
            id INTEGER PRIMARY KEY,
            page_id INTEGER NOT NULL REFERENCES pages(id),
            source_id TEXT NOT NULL REFERENCES sources(id),
            crawl_id INTEGER REFERENCES crawls(id),
            url TEXT NOT NULL,
            fetched_at TEXT NOT NULL,
            http_status INTEGER NOT NULL,
            content_type TEXT,
            size INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            warc_file TEXT,
            warc_offset INTEGER,
            warc_length INTEGER,
            warc_record_id TEXT,
            warc_record_type TEXT,
            kind TEXT,                                  -- html | pdf | text | feed | sitemap
            title TEXT,
            published_at TEXT,
            lang TEXT,
            encoding TEXT,
            text TEXT,
            extraction_error TEXT
        );
        CREATE INDEX snapshots_page ON snapshots(page_id, id);
        CREATE INDEX snapshots_sha ON snapshots(sha256);
        CREATE TABLE figures (
            id INTEGER PRIMARY KEY,
            snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),
            page_id INTEGER NOT NULL REFERENCES pages(id),
            source_id TEXT NOT NULL REFERENCES sources(id),
            value REAL NOT NULL,
            text TEXT NOT NULL,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            qualifier TEXT NOT NULL,
            metric TEXT,
            subject TEXT,
            region TEXT,
            period TEXT,
            source TEXT,                                -- who the text attributes it to
            sentence TEXT,
            lang TEXT,
            range_end REAL,
            -- Which series the figure belongs to (rightswatch.changes.series): period keys
            -- are computed in Python, so SQL could not group figures into series without them.
            series_id TEXT,
            period_key TEXT,
            organisation TEXT
        );
        CREATE INDEX figures_snapshot ON figures(snapshot_id);
        CREATE INDEX figures_series_id ON figures(series_id);
        CREATE INDEX figures_topic ON figures(metric, region, period_key, organisation);
        CREATE INDEX figures_series ON figures(metric, region);
        CREATE TABLE events (
            id TEXT PRIMARY KEY,
            type TEXT NOT NULL,
            created_at TEXT NOT NULL,
            source_id TEXT REFERENCES sources(id),
            page_id INTEGER REFERENCES pages(id),
            snapshot_id INTEGER REFERENCES snapshots(id),
            dedup_key TEXT NOT NULL UNIQUE,
            backfill INTEGER NOT NULL DEFAULT 0,
            payload TEXT NOT NULL
        );
        CREATE INDEX events_created ON events(created_at);
        CREATE TABLE deliveries (
            id TEXT PRIMARY KEY,
            event_id TEXT REFERENCES events(id),
            digest_id TEXT,
            rule TEXT NOT NULL,
            channel TEXT NOT NULL,
            target TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',    -- pending | sent | failed | disabled
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,
            last_error TEXT,
            created_at TEXT NOT NULL,
            delivered_at TEXT
        );
        CREATE INDEX deliveries_due ON deliveries(status, next_attempt_at);

        -- Full-text search over report texts, named as sqlite-utils and Datasette expect;
        -- triggers keep it in step with snapshots.
        CREATE VIRTUAL TABLE snapshots_fts USING fts5(
            title, text, content='snapshots', content_rowid='id',
            tokenize='unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER snapshots_ai AFTER INSERT ON snapshots BEGIN
            INSERT INTO snapshots_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
        END;
        CREATE TRIGGER snapshots_ad AFTER DELETE ON snapshots BEGIN
            INSERT INTO snapshots_fts(snapshots_fts, rowid, title, text)
            VALUES ('delete', old.id, old.title, old.text);
        END;
        CREATE TRIGGER snapshots_au AFTER UPDATE OF title, text ON snapshots BEGIN
            INSERT INTO snapshots_fts(snapshots_fts, rowid, title, text)
            VALUES ('delete', old.id, old.title, old.text);
            INSERT INTO snapshots_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
        END;
        """,
    )


def _execute_script(db: Database, script: str) -> None:
    """Run *script* statement by statement.

    sqlite3's executescript() commits any open transaction first, which would break the
    one-transaction-per-migration guarantee.
    """
    statement = ""
    for line in script.splitlines(keepends=True):
        if not statement and (not line.strip() or line.strip().startswith("--")):
            continue
        statement += line
        if sqlite3.complete_statement(statement):
            db.conn.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement in migration: {statement[:80]!r}")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def migrate(db: Database) -> list[str]:
    """Apply every migration not yet applied, each in its own transaction; return their names."""
    db.conn.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    done = {row[0] for row in db.conn.execute("SELECT name FROM _migrations")}
    applied = []
    for name, fn in MIGRATIONS:
        if name in done:
            continue
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            # Someone else may have migrated between our read and the lock.
            if db.conn.execute("SELECT 1 FROM _migrations WHERE name = ?", [name]).fetchone():
                db.conn.execute("ROLLBACK")
                continue
            fn(db)
            db.conn.execute("INSERT INTO _migrations VALUES (?, ?)", [name, _now()])
            db.conn.execute("COMMIT")
        except BaseException:
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            raise
        applied.append(name)
    return applied


__all__ = ["MIGRATIONS", "migrate"]


@migration("0002_alerts")
def _alerts(db: Database) -> None:
    """Outbox leases and disabled targets for the alert dispatcher.

    A dispatcher claims a pending delivery (`claimed_by`, `claimed_until`) before sending it,
    so two dispatchers never send the same delivery at once and the claims of one that was
    killed simply expire.  A webhook that answers 410 Gone is remembered in
    `disabled_targets`, so later events are not sent to it either.
    """
    _execute_script(
        db,
        """
        ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
        ALTER TABLE deliveries ADD COLUMN claimed_until TEXT;
        CREATE INDEX deliveries_event ON deliveries(event_id);
        CREATE INDEX deliveries_target ON deliveries(channel, target, status);
        CREATE TABLE disabled_targets (
            channel TEXT NOT NULL,
            target TEXT NOT NULL,
            rule TEXT NOT NULL,
            disabled_at TEXT NOT NULL,
            reason TEXT,
            PRIMARY KEY (channel, target)
        );
        """,
    )


@migration("0003_digests_scheduler")
def _digests_scheduler(db: Database) -> None:
    """Weekly digests kept as sent, and what the scheduler last did and will do next.

    A digest is rendered once and stored (HTML, text and its chart PNGs), so its deliveries
    go through the same outbox as alerts and a retry days later sends the very same message.
    `scheduler_jobs` is a display of the scheduler's plan (`rightswatch sources` reads it);
    the scheduler itself recomputes its plan from the crawl records on every start.
    """
    _execute_script(
        db,
        """
        CREATE TABLE digests (
            id TEXT PRIMARY KEY,                       -- dig_ + hash of the period
            period_start TEXT NOT NULL,
            period_end TEXT NOT NULL,
            created_at TEXT NOT NULL,
            subject TEXT NOT NULL,
            html TEXT NOT NULL,
            text TEXT NOT NULL,
            summary TEXT NOT NULL DEFAULT '{}'         -- JSON: how many items per section
        );
        CREATE INDEX digests_period ON digests(period_end);
        CREATE TABLE digest_charts (
            digest_id TEXT NOT NULL REFERENCES digests(id),
            name TEXT NOT NULL,                        -- file name, also the Content-ID
            png BLOB NOT NULL,
            PRIMARY KEY (digest_id, name)
        );
        CREATE INDEX deliveries_digest ON deliveries(digest_id);
        CREATE TABLE scheduler_jobs (
            id TEXT PRIMARY KEY,                       -- crawl:<source> | dispatch | digest
            kind TEXT NOT NULL,                        -- crawl | dispatch | digest
            source_id TEXT,
            schedule TEXT,                             -- the trigger, as people read it
            next_run_at TEXT,
            last_started_at TEXT,
            last_finished_at TEXT,
            last_status TEXT,                          -- ok | failed | timed_out | skipped …
            last_message TEXT,
            scheduler_pid INTEGER,
            updated_at TEXT NOT NULL
        );
        """,
    )


@migration("0004_series_populations")
def _series_populations(db: Database) -> None:
    """Casualty series are keyed by population too (rightswatch.changes.populations):
    "703 residents of Crimea killed" and "1,873 members of Crimea-based units killed" were
    one series with a false jump between them.  Stored figures get their new series ids, so
    history and new reports line up; events already sent keep the ids they were sent with.
    """
    from ..changes.populations import load_populations

    populations = load_populations()
    metrics = sorted(populations.metrics)
    if not metrics:
        return
    rows = db.conn.execute(
        f"""SELECT id, metric, subject, sentence, series_id FROM figures
            WHERE series_id IS NOT NULL AND metric IN ({", ".join("?" * len(metrics))})""",
        metrics).fetchall()
    for figure_id, metric, subject, sentence, series_id in rows:
        what, _, rest = series_id.partition("|")
        population = populations.classify(metric, subject, sentence)
        if population and "/" not in what:
            db.conn.execute("UPDATE figures SET series_id = ? WHERE id = ?",
                            [f"{what}/{population}|{rest}", figure_id])


@migration("0005_figure_meaning")
def _figure_meaning(db: Database) -> None:
    """What the figure extractor now says of each figure (design.md's Figure: unit, what,
    population, basis, confidence, region_basis, part, attribution, id) and how its series
    was decided:
    ``topic`` (measure and region: what continuation matches on), ``claim_org`` (the
    organisation it names or whose site it is on; NULL when it continues another's series)
    and ``claim_series_id`` (its series if nothing continues).  Stored figures keep their
    rows; `rightswatch figures reanalyse` fills these in from the stored texts.
    """
    _execute_script(
        db,
        """
        ALTER TABLE figures ADD COLUMN unit TEXT NOT NULL DEFAULT 'count';
        ALTER TABLE figures ADD COLUMN what TEXT;
        ALTER TABLE figures ADD COLUMN population TEXT;
        ALTER TABLE figures ADD COLUMN basis TEXT;
        ALTER TABLE figures ADD COLUMN confidence REAL;
        ALTER TABLE figures ADD COLUMN region_basis TEXT;
        ALTER TABLE figures ADD COLUMN part INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE figures ADD COLUMN attribution TEXT;
        ALTER TABLE figures ADD COLUMN figure_key TEXT;
        ALTER TABLE figures ADD COLUMN topic TEXT;
        ALTER TABLE figures ADD COLUMN claim_org TEXT;
        ALTER TABLE figures ADD COLUMN claim_series_id TEXT;
        ALTER TABLE figures ADD COLUMN analysed_at TEXT;
        CREATE INDEX figures_topic_claims ON figures(topic, claim_org);
        CREATE INDEX figures_key ON figures(figure_key);
        """,
    )


@migration("0006_indexed_lookups")
def _indexed_lookups(db: Database) -> None:
    """What storing a report asks of the database, answered by indexes: each figure keeps
    its snapshot's publication order (rightswatch.db.series.order_text) so continuing a
    series is an index lookup; who else reports a topic is read from a covering index; the
    reports a new one may translate are found by date.  Without them a crawl of 2,000
    reports slowed down with every report stored."""
    from .series import ORDER_SQL

    _execute_script(
        db,
        f"""
        ALTER TABLE figures ADD COLUMN order_key TEXT;
        UPDATE figures SET order_key = (SELECT {ORDER_SQL} FROM snapshots s
                                        WHERE s.id = figures.snapshot_id)
            WHERE topic IS NOT NULL;
        CREATE INDEX figures_named_order ON figures(topic, period_key, order_key)
            WHERE claim_org IS NOT NULL;
        CREATE INDEX figures_continuing_order ON figures(topic, period_key, order_key)
            WHERE claim_org IS NULL;
        CREATE INDEX figures_topic_organisations ON figures(topic, period_key, organisation);
        CREATE INDEX snapshots_source_published ON snapshots(source_id, published_at);
        CREATE INDEX snapshots_source_fetched ON snapshots(source_id, fetched_at);
        """,
    )
