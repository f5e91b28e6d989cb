"""Bad things happen mid-crawl: nothing may be corrupted, nothing recorded may be lost."""

from __future__ import annotations

import errno
import io
import os
import signal
import subprocess
import sys
import time
import tomllib
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path

import pytest
from scrapy.exceptions import DropItem

from rightswatch.archive import WarcArchive, verify
from rightswatch.crawler import run_crawl
from rightswatch.db import Store, open_db
from rightswatch.items import PageItem
from rightswatch.pipelines.archive import ArchivePipeline
from rightswatch.pipelines.store import StorePipeline

EXPECTED = tomllib.loads(files("rightswatch.demo").joinpath("expected.toml").read_text("utf-8"))


def integrity(db_path: Path) -> list[dict]:
    store = Store(open_db(db_path))
    try:
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert store.conn.execute("PRAGMA foreign_key_check").fetchall() == []
        records = store.archive_records()
    finally:
        store.close()
    return records


@pytest.mark.slow
def test_a_crawl_killed_mid_way_leaves_everything_consistent(demo_config, demo_server):
    cmd = [sys.executable, "-m", "rightswatch.crawler", "--config", str(demo_config.path),
           "--quiet", "hostile", "chrg"]
    proc = subprocess.Popen(cmd, start_new_session=True)
    try:
        # Wait until some reports are stored while the hostile site still holds the crawl
        # (its slow page takes several timeouts), then kill without warning.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if demo_config.database.exists():
                store = Store(open_db(demo_config.database))
                n = store.conn.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0]
                store.close()
                if n >= 5:
                    break
            time.sleep(0.2)
        else:
            pytest.fail("the crawl stored nothing within 60 s")
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)

    records = integrity(demo_config.database)
    # Every snapshot the database knows points at a complete, matching WARC record.
    assert records
    keyed = ((r["id"], r["warc_file"], r["warc_offset"], r["sha256"]) for r in records)
    assert verify(demo_config.archive_dir, keyed) == []

    # The next crawl notices the dead one and completes the job.
    run = run_crawl(demo_config, ["hostile", "chrg"], quiet=True, timeout=180)
    assert run.returncode == 0
    store = Store(open_db(demo_config.database))
    try:
        statuses = [r["status"] for r in store.query(
            "SELECT status FROM crawls WHERE source_id = 'chrg' ORDER BY id")]
        reports = store.query("SELECT url FROM pages WHERE source_id = 'chrg' "
                              "AND kind = 'report'")
    finally:
        store.close()
    assert statuses == ["interrupted", "ok"]
    want = EXPECTED["day"]["1"]["chrg"]["new"]
    assert sorted(r["url"].removeprefix(demo_server.base_url) for r in reports) == sorted(want)
    integrity(demo_config.database)


class QuotaFile(io.FileIO):
    """A real file on a disk that fills up after *quota* bytes (ENOSPC, like a full disk)."""

    def __init__(self, path: Path, quota: int) -> None:
        super().__init__(path, "xb")
        self.quota = quota

    def write(self, data) -> int:  # type: ignore[override]
        room = self.quota - self.tell()
        if len(data) > room:
            if room > 0:
                super().write(bytes(data)[:room])  # a partial write, then the disk is full
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return super().write(data)


def page(url: str) -> PageItem:
    return PageItem(url=url, source_id="chrg", status=200,
                    headers=[("Content-Type", "text/plain; charset=utf-8")],
                    body=b"At least 583 criminal cases.", fetched_at=datetime.now(UTC))


def test_a_full_disk_drops_the_page_and_stores_nothing(tmp_path: Path):
    db_path = tmp_path / "rw.db"
    # Room for the warcinfo record the archive writes on opening, not for the page.
    full = WarcArchive(tmp_path / "archive", opener=lambda path: QuotaFile(path, 600))
    archive = ArchivePipeline(tmp_path / "archive", db_path, archive=full)
    store = StorePipeline(db_path)
    archive.open_spider()
    store.open_spider()
    Store(open_db(db_path)).ensure_manual_source("chrg")
    item = page("https://crimeahrg.org/en/report/")
    with pytest.raises(DropItem, match=r"could not archive .*No space left on device"):
        archive.process(item)
    archive.close_spider()
    # Not archived, so not recorded: the next crawl will fetch it again, nothing is lost.
    db = Store(open_db(db_path))
    assert db.query("SELECT * FROM pages") == []
    db.close()

    working = ArchivePipeline(tmp_path / "archive", db_path)
    working.open_spider()
    saved = store.process(working.process(page("https://crimeahrg.org/en/report/")))
    working.close_spider()
    store.close_spider()
    assert saved.outcome == "new"
    records = integrity(db_path)
    keyed = [(r["id"], r["warc_file"], r["warc_offset"], r["sha256"]) for r in records]
    assert len(keyed) == 1 and verify(tmp_path / "archive", keyed) == []


def test_a_broken_page_is_stored_with_its_error(tmp_path: Path):
    """A PDF that is not one: archived and stored, the text missing with a reason."""
    from rightswatch.pipelines.extract import ExtractPipeline

    db_path = tmp_path / "rw.db"
    Store(open_db(db_path)).ensure_manual_source("chrg")
    archive, extract, store = (ArchivePipeline(tmp_path / "a", db_path), ExtractPipeline(),
                               StorePipeline(db_path))
    archive.open_spider()
    store.open_spider()
    item = PageItem(url="https://crimeahrg.org/report.pdf", source_id="chrg", status=200,
                    headers=[("Content-Type", "application/pdf")], body=b"%PDF-1.7 garbage",
                    fetched_at=datetime.now(UTC))
    saved = store.process(extract.process(archive.process(item)))
    for stage in (archive, extract, store):
        stage.close_spider()
    assert saved.outcome == "new"
    db = Store(open_db(db_path))
    row = db.query("SELECT text, extraction_error FROM snapshots")[0]
    db.close()
    assert row["text"] is None and "PDF" in row["extraction_error"]
