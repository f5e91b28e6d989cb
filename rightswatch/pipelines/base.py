"""What the stages that use the database share: one connection per crawl."""

from __future__ import annotations

from pathlib import Path

from ..db import Store, open_db


class DatabaseStage:
    """Opens its own connection in open_spider and closes it in close_spider.

    Each stage has its own connection (SQLite in WAL mode serves them all); writes are
    short transactions, so the scheduler or Datasette can read during a crawl.
    """

    db_path: Path
    store: Store | None = None

    def open_spider(self) -> None:
        self.store = Store(open_db(self.db_path))

    def close_spider(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None
