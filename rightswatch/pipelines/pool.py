"""One process pool per crawl, shared by the CPU-bound stages (extraction, figures).

The Twisted reactor must keep fetching while text is extracted and figures are found; the
crawl process itself needs about a core (fetching, archiving, storing), so by default the
pool takes the remaining cores.  With no spare core (or workers = 0) work runs inline.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any, Self, TypeVar

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)
T = TypeVar("T")

_ATTRIBUTE = "_rightswatch_worker_pool"


def _warm_up() -> None:
    """Import the heavy modules once per worker, not on the first page; keep chatter down.

    Trafilatura warns about every page without a main text; the pipeline already records
    that as an empty text.
    """
    import trafilatura  # noqa: F401

    import rightswatch.figures  # noqa: F401

    logging.getLogger("trafilatura").setLevel(logging.ERROR)


def default_workers() -> int:
    return max(0, (os.cpu_count() or 1) - 1)


class WorkerPool:
    def __init__(self, workers: int | None = None) -> None:
        self.workers = default_workers() if workers is None else workers
        self._executor: ProcessPoolExecutor | None = None

    @classmethod
    def for_crawler(cls, crawler: Any) -> WorkerPool:
        """The crawl's pool, created by whichever stage asks first."""
        pool = getattr(crawler, _ATTRIBUTE, None)
        if pool is None:
            workers = crawler.settings.get("RIGHTSWATCH_EXTRACTION_WORKERS")
            pool = cls(None if workers is None else int(workers))
            setattr(crawler, _ATTRIBUTE, pool)
        return pool

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """fn(*args) in a worker process (started on first use), or inline without workers.

        Exceptions raised by fn come back as they are; a worker that dies (out of memory on
        a hostile document?) restarts the pool and the call is retried inline once.
        """
        if self.workers == 0:
            return fn(*args)
        if self._executor is None:
            self._executor = ProcessPoolExecutor(self.workers, initializer=_warm_up)
        try:
            return await asyncio.wrap_future(self._executor.submit(fn, *args))
        except BrokenProcessPool:
            logger.error("a worker process died; restarting the pool")
            self.close()
            return fn(*args)

    def close(self) -> None:
        """Idempotent: every stage using the pool may call it from close_spider."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


class PoolStage:
    """A stage whose CPU-bound work runs in the crawl's shared pool (inline by default)."""

    def __init__(self, pool: WorkerPool | None = None, crawler: Crawler | None = None) -> None:
        self.pool = pool or WorkerPool(0)
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(WorkerPool.for_crawler(crawler), crawler)

    def close_spider(self) -> None:
        self.pool.close()
