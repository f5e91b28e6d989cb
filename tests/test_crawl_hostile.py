"""End-to-end: the hostile demo site, crawled alongside a well-behaved one.

Every trap must end within the crawl's budget, leave the database consistent, be recorded
against the source with a clear message, and leave the other source's crawl untouched.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass

import pytest
import tomli_w

from rightswatch.config import Config, load_config
from rightswatch.crawler import run_crawl
from rightswatch.db import Store, open_db
from rightswatch.demo.config import demo_config_toml
from rightswatch.demo.server import DemoServer

pytestmark = pytest.mark.slow


@dataclass
class Day:
    crawls: dict[str, dict]
    errors: list[dict]
    requests: list
    pages: dict[str, dict]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("hostile")
    with DemoServer(day=1) as server:
        path = workdir / "rightswatch.toml"
        path.write_text(demo_config_toml(server.base_url), encoding="utf-8")
        config = load_config(path)
        days = {}
        for day in (1, 2, 3):
            server.set_day(day)
            server.clear_requests()
            run = run_crawl(config, ["hostile", "chrg"], quiet=True, timeout=240)
            assert run.returncode == 0 and not run.timed_out
            store = Store(open_db(config.database))
            try:
                crawls = {c["source_id"]: c for c in run.crawls}
                errors = store.crawl_errors(crawls["hostile"]["id"])
                pages = {p["url"].removeprefix(server.base_url): p
                         for p in store.query("SELECT * FROM pages")}
            finally:
                store.close()
            days[day] = Day(crawls, errors, server.requests, pages)
        yield config, days


def test_every_trap_is_recorded_with_a_clear_message(hostile):
    _, days = hostile
    kinds = {e["kind"]: e["message"] for e in days[1].errors}
    assert "timed out" in kinds["timeout"] and "/hostile/slow" in kinds["timeout"]
    assert "too many redirects" in kinds["redirect"]
    sizes = [e["url"] for e in days[1].errors if e["kind"] == "size"]
    assert any(u.endswith("/hostile/huge") for u in sizes)
    assert any(u.endswith("/hostile/bomb") for u in sizes)
    crawl = days[1].crawls["hostile"]
    assert crawl["status"] == "ok"  # discovery worked: the source is not blind
    assert crawl["pages_failed"] == len(days[1].errors)
    assert "timed out" in crawl["error"] or "redirect" in crawl["error"]


def test_flaky_and_broken_pages_are_stored(hostile):
    _, days = hostile
    pages = days[1].pages
    assert pages["/hostile/flaky"]["status"] == "active"  # 500, 500, then 200 within the crawl
    assert pages["/hostile/broken"]["latest_snapshot_id"] is not None
    flaky_requests = [r for r in days[1].requests if r.path == "/hostile/flaky"]
    assert [r.status for r in flaky_requests] == [500, 500, 200]


def test_robots_scope_and_traps_bound_the_crawl(hostile):
    config, days = hostile
    source = config.source("hostile")
    paths = [r.path for r in days[1].requests]
    assert not any(p.startswith("/hostile/private/") for p in paths)
    # Only hostile's and chrg's own paths (and robots.txt) were ever requested.
    assert all(p.startswith(("/hostile/", "/chrg/", "/robots.txt")) for p in paths), paths
    calendar = [p for p in paths if p.startswith("/hostile/calendar/")]
    assert 0 < len(calendar) <= 2 * source.crawl.max_listing_pages
    crawl = days[1].crawls["hostile"]
    assert crawl["requests"] <= source.crawl.max_pages
    stats = json.loads(crawl["stats"])
    assert stats.get("rightswatch/robots_forbidden", 0) >= 1


def test_a_permissive_pattern_still_never_leaves_the_source(tmp_path):
    """Even when every link looks like an article, the scope guard keeps the crawl home."""
    with DemoServer(day=1) as server:
        path = tmp_path / "rightswatch.toml"
        raw = tomllib.loads(demo_config_toml(server.base_url, max_pages=80))
        for source in raw["source"]:
            if source["id"] == "hostile":
                source["article_url_pattern"] = ".*"
        path.write_text(tomli_w.dumps(raw), encoding="utf-8")
        run = run_crawl(load_config(path), ["hostile"], quiet=True, timeout=120)
        paths = [r.path for r in server.requests]
    crawl = run.crawls[0]
    assert all(p.startswith(("/hostile/", "/robots.txt")) for p in paths), paths
    assert not any(p.startswith("/hostile/private/") for p in paths)
    assert json.loads(crawl["stats"])["rightswatch/offsite_filtered"] > 0
    # Nothing was even attempted elsewhere: no connection or DNS errors.
    assert "connection refused" not in (crawl["error"] or "")
    assert "DNS" not in (crawl["error"] or "")


def test_a_failing_day_then_recovery(hostile):
    _, days = hostile
    failing = days[2].crawls["hostile"]
    assert failing["status"] == "failed"
    assert "HTTP 500" in failing["error"]
    assert days[3].crawls["hostile"]["status"] == "ok"


def test_the_other_source_is_unaffected(hostile):
    _, days = hostile
    assert all(days[d].crawls["chrg"]["status"] == "ok" for d in (1, 2, 3))
    assert days[1].crawls["chrg"]["pages_new"] > 0
    assert all(days[d].crawls["chrg"]["pages_failed"] == 0 for d in (1, 2, 3))


def test_the_database_stays_consistent(hostile):
    config, _ = hostile
    store = Store(open_db(config.database))
    try:
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert store.conn.execute("PRAGMA foreign_key_check").fetchall() == []
        running = store.query("SELECT id FROM crawls WHERE status = 'running'")
        assert running == []
    finally:
        store.close()


def test_a_page_budget_stops_a_crawl_cleanly(tmp_path):
    with DemoServer(day=1) as server:
        path = tmp_path / "rightswatch.toml"
        path.write_text(demo_config_toml(server.base_url, max_pages=6), encoding="utf-8")
        config: Config = load_config(path)
        run = run_crawl(config, ["hostile"], quiet=True, timeout=120)
        fetched = {r.path for r in server.requests} - {"/robots.txt"}
    crawl = run.crawls[0]
    # The budget counts distinct fetches; retries and redirects have their own bounds.
    assert len(fetched) <= 6
    assert "budget" in crawl["error"]
    assert crawl["finished_at"] is not None


def test_a_sitemap_index_cannot_outrun_the_budget(tmp_path):
    """Child sitemaps spend the page budget like every other request after the start URLs."""
    with DemoServer(day=1) as server:
        path = tmp_path / "rightswatch.toml"
        path.write_text(demo_config_toml(server.base_url, max_pages=2), encoding="utf-8")
        run = run_crawl(load_config(path), ["zmina"], quiet=True, timeout=120)
        fetched = {r.path for r in server.requests} - {"/robots.txt"}
    assert len(fetched) <= 2, fetched
    assert "budget" in run.crawls[0]["error"]
