"""Downloader middlewares and throttling: staying inside the source, and being polite."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import Response


class ScopeMiddleware:
    """Drop any request (redirects included) that would leave the source's domains or prefixes.

    Scrapy's offsite check knows domains only; several sources can share a host (and the demo
    world serves every site from one), so the per-source URL prefixes are checked here.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ScopeMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        source = getattr(self.crawler.spider, "source", None)
        if source is None or request.url.split("?", 1)[0].endswith("/robots.txt"):
            return None
        if not source.in_scope(request.url):
            self.crawler.stats.inc_value("rightswatch/offsite_filtered")
            raise IgnoreRequest(f"outside the source's scope: {request.url}")
        return None


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry, with exponential backoff and jitter, honouring Retry-After.

    Retrying a struggling server at once is what makes it struggle more; the wait is spent
    asynchronously, so other requests go on meanwhile.
    """

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)

    def _delay(self, request: Request, response: Response | None = None) -> float:
        attempt = request.meta.get("retry_times", 0)
        delay = min(self.backoff_max, self.backoff_base * (2 ** max(attempt - 1, 0)))
        if response is not None:
            delay = max(delay, min(self.backoff_max, _retry_after(response) or 0.0))
        return delay * random.uniform(0.5, 1.0) if delay else 0.0

    async def process_response(self, request: Request, response: Response) -> Any:  # type: ignore[override]
        result = super().process_response(request, response)
        if isinstance(result, Request) and self.backoff_base > 0:
            await asyncio.sleep(self._delay(result, response))
        return result

    async def process_exception(self, request: Request, exception: Exception) -> Any:  # type: ignore[override]
        result = super().process_exception(request, exception)
        if isinstance(result, Request) and self.backoff_base > 0:
            await asyncio.sleep(self._delay(result))
        return result


def _retry_after(response: Response) -> float | None:
    value = response.headers.get(b"Retry-After")
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class ConditionalAwareAutoThrottle(AutoThrottle):
    """AutoThrottle that lets 304 Not Modified answers speed the crawl up again.

    Scrapy's AutoThrottle never lowers its delay on a non-200 answer, because error pages are
    small and fast and would mislead it.  A 304 is the healthy answer of a re-crawl, though:
    without this, a no-change re-crawl stays at the start delay for every request.
    """

    def _adjust_delay(self, slot: Any, latency: float, response: Response) -> None:
        if response.status == 304:
            response = response.replace(status=200)
        super()._adjust_delay(slot, latency, response)
