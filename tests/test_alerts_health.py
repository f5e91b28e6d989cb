"""Source health: failing after N failed crawls or a collapse in articles; recovery; once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_alerts_support import deliveries, make_db, rules_from, webhook_rule

from rightswatch.alerts import plan_health_events, record_health_events
from rightswatch.db import open_db

SOURCE = {"id": "chrg", "name": "Crimean Human Rights Group"}


def crawls(*spec: Any) -> list[dict[str, Any]]:
    """`12` = an ok crawl finding 12 articles, `"x"` = a failed crawl, `"i"` = interrupted."""
    out = []
    for i, item in enumerate(spec, start=1):
        row = {"id": i, "started_at": f"2026-10-{i:02d}T06:00:00Z",
               "finished_at": f"2026-10-{i:02d}T06:05:00Z", "articles_found": 0,
               "status": "ok", "error": None}
        if item == "x":
            row.update(status="failed", error=f"HTTP 503 on listing (crawl {i})")
        elif item == "i":
            row.update(status="interrupted")
        else:
            row["articles_found"] = item
        out.append(row)
    return out


def kinds(events: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return [(e["type"], e["health"]["crawl_id"]) for e in events]


def test_failing_after_n_failures_in_a_row_then_recovered() -> None:
    events = plan_health_events(SOURCE, crawls(10, 12, "x", "x", "x", "x", 11), failures=3)
    assert kinds(events) == [("source.failing", 5), ("source.recovered", 7)]
    failing = events[0]
    assert failing["health"]["reason"] == "crawl_errors"
    assert failing["health"]["last_error"] == "HTTP 503 on listing (crawl 5)"
    assert failing["health"]["since"] == "2026-10-03T06:00:00Z"
    assert failing["source"] == SOURCE and failing["id"].startswith("evt_")
    assert failing["dedup_key"] == "source.failing:chrg:3"  # the crawl that began it


def test_fewer_failures_than_n_or_interrupted_crawls_say_nothing() -> None:
    assert plan_health_events(SOURCE, crawls(10, "x", "x", 10, "x", "x", 9)) == []
    assert plan_health_events(SOURCE, crawls(10, "x", "i", "x", 10)) == []
    assert kinds(plan_health_events(SOURCE, crawls(10, "x", "i", "x", "x"))) == [
        ("source.failing", 5)]


def test_zero_articles_where_there_used_to_be_many_is_a_layout_change() -> None:
    events = plan_health_events(SOURCE, crawls(40, 42, 38, 0, 0, 0, 41))
    assert kinds(events) == [("source.failing", 4), ("source.recovered", 7)]
    health = events[0]["health"]
    assert health["reason"] == "articles_dropped" and health["median_articles"] == 40
    assert "layout" in health["message"]


def test_a_drop_below_the_ratio_counts_but_ordinary_variation_does_not() -> None:
    assert kinds(plan_health_events(SOURCE, crawls(40, 42, 38, 5))) == [("source.failing", 4)]
    assert plan_health_events(SOURCE, crawls(40, 42, 38, 9, 20, 41)) == []
    # Not enough history to know what is normal.
    assert plan_health_events(SOURCE, crawls(40, 42, 0)) == []
    # A source that never finds anything is not "failing".
    assert plan_health_events(SOURCE, crawls(0, 0, 0, 0)) == []


def test_a_broken_layout_does_not_become_the_new_normal() -> None:
    events = plan_health_events(SOURCE, crawls(40, 42, 38, *[0] * 15))
    assert kinds(events) == [("source.failing", 4)]


def test_failures_then_zero_articles_stay_one_episode() -> None:
    events = plan_health_events(SOURCE, crawls(40, 42, 38, "x", "x", "x", 0, 0, 39))
    assert kinds(events) == [("source.failing", 6), ("source.recovered", 9)]


def test_replanning_the_same_history_yields_the_same_keys() -> None:
    history = crawls(10, 12, "x", "x", "x")
    first = plan_health_events(SOURCE, history)
    again = plan_health_events(SOURCE, list(reversed(history + crawls(10, 12, "x", "x", "x",
                                                                         "x", "x")[5:])))
    assert [e["dedup_key"] for e in first] == [e["dedup_key"] for e in again]
    assert [e["id"] for e in first] == [e["id"] for e in again]


def test_a_failing_source_alerts_once_through_an_ordinary_rule(tmp_path: Path) -> None:
    db_path = make_db(tmp_path)
    rules = rules_from(webhook_rule("https://hooks.example.org/ops", events=["source.*"]))
    db = open_db(db_path)

    def crawl(status: str, articles: int = 0) -> list[str]:
        n = db.conn.execute("SELECT count(*) FROM crawls").fetchone()[0] + 1
        db.conn.execute(
            """INSERT INTO crawls (source_id, started_at, finished_at, status, articles_found,
                                   error) VALUES ('chrg', ?, ?, ?, ?, ?)""",
            [f"2026-10-{n:02d}T06:00:00Z", f"2026-10-{n:02d}T06:05:00Z", status, articles,
             "timeout" if status == "failed" else None])
        return record_health_events(db, "chrg", rules)

    assert crawl("ok", 20) == []
    assert crawl("failed") == [] and crawl("failed") == []
    (failing,) = crawl("failed")
    assert crawl("failed") == []  # still failing: no second alert
    assert record_health_events(db, "chrg", rules) == []  # recomputing changes nothing
    (recovered,) = crawl("ok", 19)
    rows = db.conn.execute("SELECT type, backfill FROM events ORDER BY created_at").fetchall()
    assert rows == [("source.failing", 0), ("source.recovered", 0)]
    assert {r["event_id"] for r in deliveries(db_path).values()} == {failing, recovered}
    db.conn.close()


def test_old_episodes_found_later_are_stored_as_backfill(tmp_path: Path) -> None:
    db_path = make_db(tmp_path)
    rules = rules_from(webhook_rule("https://hooks.example.org/ops"))
    db = open_db(db_path)
    for row in crawls(10, "x", "x", "x", 10, "x", "x", "x"):
        db.conn.execute(
            """INSERT INTO crawls (id, source_id, started_at, finished_at, status,
                                   articles_found, error)
               VALUES (:id, 'chrg', :started_at, :finished_at, :status, :articles_found,
                       :error)""", row)
    alerting = record_health_events(db, "chrg", rules)
    assert len(alerting) == 1  # only the present state alerts
    assert db.conn.execute("SELECT count(*) FROM events WHERE backfill = 1").fetchone()[0] == 2
    assert len(deliveries(db_path)) == 1
    db.conn.close()
