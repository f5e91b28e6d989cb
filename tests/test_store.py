import sqlite3
from dataclasses import replace

import pytest

from rightswatch.config import Source
from rightswatch.db import Store, open_db
from rightswatch.db.migrations import MIGRATIONS
from rightswatch.db.store import Fetch

URL = "https://crimeahrg.org/en/criminal-cases-report/"


@pytest.fixture
def store(tmp_path):
    s = Store(open_db(tmp_path / "rw.db"))
    s.sync_sources([Source(id="chrg", name="CHRG")])
    yield s
    s.close()


def fetch(**kw):
    base = Fetch(source_id="chrg", url=URL, kind="report", status=200,
                 fetched_at="2026-11-02T10:00:00Z", sha256="a" * 64, size=10,
                 etag='"v1"', title="Criminal cases", text="At least 522 criminal cases.",
                 warc_file="x.warc.gz", warc_offset=0, warc_record_type="response")
    return replace(base, **kw)


def count(store, table):
    return store.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_new_unchanged_changed(store):
    assert store.save_fetch(fetch()).outcome == "new"
    assert store.save_fetch(fetch(fetched_at="2026-11-03T10:00:00Z")).outcome == "unchanged"
    # Different bytes (a view counter) but the same text: not a new version of the report.
    assert store.save_fetch(fetch(sha256="b" * 64)).outcome == "unchanged"
    saved = store.save_fetch(fetch(sha256="c" * 64, text="At least 574 criminal cases."))
    assert saved.outcome == "changed"
    assert count(store, "snapshots") == 2
    page = store.query("SELECT * FROM pages")[0]
    assert page["latest_snapshot_id"] == saved.snapshot_id
    assert page["latest_sha256"] == "c" * 64


def test_not_modified_and_removed(store):
    store.save_fetch(fetch())
    assert store.save_fetch(fetch(status=304, sha256=None, text=None)).outcome == "unchanged"
    assert store.save_fetch(fetch(status=410, sha256=None, text=None)).outcome == "removed"
    assert store.query("SELECT status FROM pages")[0]["status"] == "removed"
    # Seeing the 410 again is not a second removal.
    assert store.save_fetch(fetch(status=410, sha256=None, text=None)).outcome == "unchanged"
    # A 404 for a page we never had is a failure, not a removal.
    assert store.save_fetch(fetch(url=URL + "x", status=404)).outcome == "failed"


def test_redirect_marks_the_old_page_moved(store):
    store.save_fetch(fetch())
    new_url = URL.replace("report", "report-2026")
    assert store.save_fetch(fetch(url=new_url, redirected_from=(URL,))).outcome == "new"
    old = store.query("SELECT status, moved_to FROM pages WHERE url = ?", [URL])[0]
    assert old == {"status": "moved", "moved_to": new_url}


def test_a_failed_write_leaves_nothing_behind(store):
    store.save_fetch(fetch())
    bad = fetch(url=URL + "other", source_id="no-such-source", redirected_from=(URL,))
    with pytest.raises(sqlite3.IntegrityError):
        store.save_fetch(bad)
    # The redirect bookkeeping of the failed transaction was rolled back too.
    assert store.query("SELECT status FROM pages WHERE url = ?", [URL])[0]["status"] == "active"
    assert count(store, "pages") == 1
    assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_full_text_search(store):
    store.save_fetch(fetch())
    store.save_fetch(fetch(url=URL + "uk", sha256="d" * 64, title="Кримінальні справи",
                           text="Щонайменше 583 кримінальні провадження."))
    hits = store.query("SELECT url FROM snapshots_fts JOIN snapshots ON snapshots.id = "
                       "snapshots_fts.rowid WHERE snapshots_fts MATCH ?", ["провадження"])
    assert [h["url"] for h in hits] == [URL + "uk"]


def test_migrations_are_idempotent(tmp_path):
    path = tmp_path / "rw.db"
    open_db(path).conn.close()
    db = open_db(path)
    names = [r[0] for r in db.conn.execute("SELECT name FROM _migrations")]
    assert names == [name for name, _ in MIGRATIONS]
    assert {"sources", "pages", "snapshots", "figures", "events", "deliveries"} <= set(
        db.table_names())


def test_crawl_records(store):
    crawl_id = store.start_crawl("chrg", pid=123)
    store.add_crawl_error(crawl_id, "chrg", URL, "http", "HTTP 500 from " + URL)
    # A second start marks the unfinished first crawl as interrupted.
    second = store.start_crawl("chrg")
    first = store.query("SELECT status FROM crawls WHERE id = ?", [crawl_id])[0]
    assert first["status"] == "interrupted"
    store.finish_crawl(second, status="ok", counts={"new": 3, "articles_found": 5},
                       finish_reason="finished", error=None)
    last = store.last_crawls()["chrg"]
    assert (last["status"], last["pages_new"], last["articles_found"]) == ("ok", 3, 5)
    assert store.crawl_errors(crawl_id)[0]["kind"] == "http"


def test_crawls_after_reads_back_only_the_crawls_started_since(store):
    store.sync_sources([Source(id="zmina", name="ZMINA")])
    before = store.start_crawl("chrg")
    mark = store.last_crawl_id()
    assert mark == before
    chrg, zmina = store.start_crawl("chrg"), store.start_crawl("zmina")
    store.finish_crawl(zmina, status="ok", counts={}, finish_reason="finished", error=None)
    assert [c["id"] for c in store.crawls_after(mark)] == [chrg, zmina]
    assert [c["id"] for c in store.crawls_after(mark, ["chrg"])] == [chrg]
    assert [c["id"] for c in store.crawls_after(mark, finished=True)] == [zmina]


def test_a_report_failing_crawl_after_crawl_is_removed(store):
    store.save_fetch(fetch())
    failed = fetch(status=0, sha256=None, text=None, removed_after=3)
    assert store.save_fetch(failed).outcome == "failed"
    assert store.save_fetch(failed).outcome == "failed"
    # A successful fetch in between starts the count again.
    assert store.save_fetch(fetch(fetched_at="2026-11-04T10:00:00Z")).outcome == "unchanged"
    outcomes = [store.save_fetch(failed).outcome for _ in range(3)]
    assert outcomes == ["failed", "failed", "removed"]
    page = store.query("SELECT status, missing_crawls, removed_at FROM pages")[0]
    assert page["status"] == "removed" and page["missing_crawls"] == 3 and page["removed_at"]
    # Once removed, further failures change nothing.
    assert store.save_fetch(failed).outcome == "failed"
    assert store.save_fetch(fetch(status=0, url=URL + "never-seen")).outcome == "failed"


def test_the_same_payload_at_a_new_address_is_not_a_new_report(store):
    store.save_fetch(fetch())
    # The new URL of a moved page, fetched before the old one's redirect was followed.
    moved = store.save_fetch(fetch(url=URL.replace("report", "report-moved")))
    assert moved.outcome == "new" and moved.duplicate_of == URL
    other = store.save_fetch(fetch(url=URL + "other", sha256="e" * 64, text="Other."))
    assert other.duplicate_of is None


def test_migration_0004_gives_stored_casualty_figures_their_population(tmp_path):
    """A database written before populations existed: its deaths figures move to the
    population series new reports will use; other figures keep their ids."""
    path = tmp_path / "rw.db"
    store = Store(open_db(path))
    store.sync_sources([Source(id="chrg", name="CHRG")])
    org = "Crimean Human Rights Group"
    figures = (
        {"value": 703, "text": "703", "start": 0, "end": 3, "qualifier": "exact",
         "metric": "deaths", "subject": "residents of Crimea", "region": "crimea",
         "sentence": "703 residents of Crimea died.", "lang": "en",
         "series_id": f"deaths|crimea|cumulative:2022|{org}"},
        {"value": 583, "text": "583", "start": 10, "end": 13, "qualifier": "at_least",
         "metric": "criminal_cases", "subject": "residents", "region": "crimea",
         "sentence": "583 cases against residents.", "lang": "en",
         "series_id": f"criminal_cases|crimea|cumulative:occupation|{org}"},
    )
    store.save_fetch(Fetch(source_id="chrg", url=URL, kind="report", status=200,
                           fetched_at="2026-11-02T10:00:00Z", sha256="a" * 64, size=10,
                           text="703 … 583", figures=figures))
    # As it was stored before 0004: undo the new ids and forget the migration.
    store.conn.execute("UPDATE figures SET series_id = ? WHERE metric = 'deaths'",
                       [f"deaths|crimea|cumulative:2022|{org}"])
    store.conn.execute("DELETE FROM _migrations WHERE name = '0004_series_populations'")
    store.close()
    db = open_db(path)
    ids = dict(db.conn.execute("SELECT metric, series_id FROM figures").fetchall())
    assert ids == {"deaths": f"deaths/residents|crimea|cumulative:2022|{org}",
                   "criminal_cases": f"criminal_cases|crimea|cumulative:occupation|{org}"}


def test_scheduler_job_rows_are_read_back_by_id(store):
    from datetime import UTC, datetime

    from rightswatch.db import schedule

    at = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    schedule.record_job(store.db, "crawl:chrg", kind="crawl", source_id="chrg",
                        schedule="every 6h", next_run_at=at, last_status="ok")
    schedule.record_job(store.db, "digest", kind="digest")
    assert set(schedule.jobs(store.db)) == {"crawl:chrg", "digest"}
    job = schedule.job(store.db, "crawl:chrg")
    assert job is not None and job["id"] == "crawl:chrg" and job["source_id"] == "chrg"
    assert job["next_run_at"] == "2026-11-02T10:00:00Z" and job["last_status"] == "ok"
    assert schedule.job(store.db, "digest")["kind"] == "digest"
    assert schedule.job(store.db, "crawl:nope") is None


def test_parse_moment_reads_dates_and_datetimes_as_utc():
    from datetime import UTC, datetime

    from rightswatch.db.store import parse_moment

    assert parse_moment("2026-11-02") == datetime(2026, 11, 2, tzinfo=UTC)
    assert parse_moment(" 2026-11-02T12:00:00+02:00 ") == datetime(2026, 11, 2, 10, tzinfo=UTC)
    assert parse_moment("2026-11-02T10:00:00Z") == datetime(2026, 11, 2, 10, tzinfo=UTC)
    assert parse_moment("2026-11-02 and more") == datetime(2026, 11, 2, tzinfo=UTC)
    assert parse_moment("not a date") is None
    assert parse_moment("") is None and parse_moment(None) is None and parse_moment(7) is None
