"""The generic spider: one `[[source]]` entry of rightswatch.toml drives it.

Discovery (feeds, sitemaps, listing pages) finds report URLs; each report URL is fetched only
when `incremental.fetch_decision` says it is new or may have changed, with conditional
headers when the server gave us validators.  Every response, discovery documents included, is
yielded as a PageItem so that the archive keeps it.

Run it as `scrapy crawl source -a source=ID` (configuration from RIGHTSWATCH_CONFIG or
./rightswatch.toml) or through `rightswatch crawl`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from time import mktime
from typing import Any, ClassVar

import feedparser
import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Headers, Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.responsetypes import responsetypes
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots
from twisted.internet.error import (
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure

from ..archive import ArchiveError, read_record
from ..config import Config, ConfigError, Source, load_config
from ..db import PageState, Store, open_db
from ..items import FEED, LISTING, REPORT, SITEMAP, PageItem
from ..signals import page_failed
from .incremental import MODIFIED, NEW, RECHECK, SKIP, conditional_headers, fetch_decision

# Discovery documents first, so that the report queue fills early; re-checks last.
PRIORITY = {FEED: 30, SITEMAP: 30, LISTING: 20, NEW: 10, MODIFIED: 5, RECHECK: 0}


class SourceSpider(scrapy.Spider):
    name = "source"
    # 304 feeds the incremental logic, 404/410 mark removals: the spider sees them all.
    handle_httpstatus_list: ClassVar[list[int]] = [304, 404, 410]

    config: Config
    source: Source
    allowed_domains: list[str]

    def __init__(self, source: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not source:
            raise ConfigError("which source? run as: scrapy crawl source -a source=ID")
        self.source_id = source
        self.known: dict[str, PageState] = {}
        self.scheduled: set[str] = set()
        self.requests_made = 0
        self.articles_found: set[str] = set()
        self.discovery_ok = 0
        self.discovery_failed = 0
        self.budget_exhausted = False
        self.first_crawl = False
        self.crawl_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SourceSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        config_path = settings.get("RIGHTSWATCH_CONFIG") or os.environ.get("RIGHTSWATCH_CONFIG")
        config = load_config(config_path).with_database(
            settings.get("RIGHTSWATCH_DB") or os.environ.get("RIGHTSWATCH_DB")
        )
        spider.config = config
        spider.source = config.source(spider.source_id)
        spider.allowed_domains = list(spider.source.domains)
        # Settings are not frozen until after the spider exists: apply this source's limits.
        c = spider.source.crawl
        for key, value in {
            "RIGHTSWATCH_DB_PATH": str(config.database),
            "RIGHTSWATCH_ARCHIVE_DIR": str(config.archive_dir),
            "USER_AGENT": config.user_agent,
            "DOWNLOAD_TIMEOUT": c.timeout,
            "DOWNLOAD_MAXSIZE": c.max_page_bytes,
            "DOWNLOAD_WARNSIZE": max(1, c.max_page_bytes // 2),
            "RETRY_TIMES": c.retries,
            "RETRY_BACKOFF_BASE": c.retry_backoff,
            "CONCURRENT_REQUESTS_PER_DOMAIN": max(1, c.concurrency_per_domain),
            "DOWNLOAD_DELAY": c.download_delay,
            "AUTOTHROTTLE_ENABLED": c.autothrottle,
            "ROBOTSTXT_OBEY": c.obey_robots,
            "CLOSESPIDER_TIMEOUT": c.crawl_timeout,
        }.items():
            settings.set(key, value, priority="spider")
        if config.extraction_workers is not None:
            settings.set("RIGHTSWATCH_EXTRACTION_WORKERS", config.extraction_workers,
                         priority="spider")
        return spider

    # -- start -------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        store = Store(open_db(self.config.database))
        try:
            self.known = store.page_states(self.source.id)
            self.first_crawl = not store.has_completed_crawl(self.source.id)
        finally:
            store.close()
        for urls, kind, callback in ((self.source.feed_urls, FEED, self.parse_feed),
                                     (self.source.sitemap_urls, SITEMAP, self.parse_sitemap),
                                     (self.source.listing_urls, LISTING, self.parse_listing)):
            for url in urls:
                yield self._discovery_request(url, kind, callback)
        # Reports inside their re-check window are fetched even when no listing shows them
        # any more: that is how a silent edit or a removal far down an archive is noticed.
        now = datetime.now(UTC)
        for url, state in self.known.items():
            if state.kind != REPORT:
                continue
            decision = fetch_decision(state, now=now, recheck_days=self.source.crawl.recheck_days)
            if decision != SKIP:
                request = self._report_request(url, decision, state.published_at)
                if request is not None:
                    yield request

    def _count(self) -> bool:
        """Spend one request of the crawl's budget; False once it is exhausted."""
        if self.requests_made >= self.source.crawl.max_pages:
            if not self.budget_exhausted:
                self.budget_exhausted = True
                self.crawler.stats.set_value("rightswatch/budget_exhausted", 1)
                self.logger.warning("%s: page budget of %d requests exhausted",
                                    self.source.id, self.source.crawl.max_pages)
            return False
        self.requests_made += 1
        return True

    def _discovery_request(self, url: str, kind: str, callback: Any,
                           depth: int = 0) -> scrapy.Request | None:
        """A feed, sitemap or listing request; beyond the start URLs it spends the budget,
        so neither a sitemap index nor a pagination trap can outrun it."""
        if not self._count() and depth > 0:
            return None
        return scrapy.Request(
            url, callback=callback, errback=self.on_error, priority=PRIORITY[kind],
            headers=conditional_headers(self.known.get(url)), dont_filter=depth == 0,
            meta={"kind": kind, "discovery": True, "listing_depth": depth},
        )

    def _report_request(self, url: str, decision: str,
                        published: str | None) -> scrapy.Request | None:
        if url in self.scheduled or not self._count():
            return None
        self.scheduled.add(url)
        return scrapy.Request(
            url, callback=self.parse_report, errback=self.on_error,
            priority=PRIORITY[decision], dont_filter=True,
            headers=conditional_headers(self.known.get(url)),
            meta={"kind": REPORT, "decision": decision, "published": published},
        )

    def _consider(self, url: str, published: str | None = None,
                  lastmod: str | None = None) -> Iterator[scrapy.Request]:
        """A report URL was found by discovery: fetch it if it is new or may have changed."""
        if not self.source.in_scope(url):
            self.crawler.stats.inc_value("rightswatch/offsite_filtered")
            return
        self.articles_found.add(url)
        decision = fetch_decision(self.known.get(url), now=datetime.now(UTC),
                                  recheck_days=self.source.crawl.recheck_days,
                                  lastmod=lastmod, rediscovered=True)
        if decision == SKIP:
            self.crawler.stats.inc_value("rightswatch/reports_skipped_known")
            return
        request = self._report_request(url, decision, published)
        if request is not None:
            yield request

    # -- discovery ---------------------------------------------------------------------------

    def _page_item(self, response: Response, kind: str) -> PageItem:
        state = self.known.get(response.url)
        request = response.request
        return PageItem(
            url=response.url,
            source_id=self.source.id,
            status=response.status,
            headers=_header_pairs(response.headers),
            body=response.body,
            fetched_at=datetime.now(UTC),
            kind=kind,
            request_headers=_header_pairs(request.headers) if request is not None else [],
            method=request.method if request is not None else "GET",
            redirected_from=tuple(response.meta.get("redirect_urls", ())),
            published_hint=response.meta.get("published"),
            previous_sha256=state.latest_sha256 if state else None,
            first_crawl=self.first_crawl,
            organisation=self.source.reporting_organisation,
            site_counts=self.source.counts_its_own,
        )

    def _discovered(self, response: Response) -> Response | None:
        """The document to read links from: the response, or on a 304 its archived copy.

        A 304 means "same as last time", not "no links": reading the archived copy keeps
        pagination going and keeps the count of articles found honest on a quiet day.
        """
        self.discovery_ok += 1
        if response.status == 200:
            return response
        state = self.known.get(response.url)
        if response.status != 304 or state is None or state.archived_file is None:
            return None
        try:
            record = read_record(self.config.archive_dir, state.archived_file,
                                 state.archived_offset or 0)
        except (ArchiveError, OSError) as exc:
            self._fail(response.url, "archive", f"archived copy unreadable after 304: {exc}")
            return None
        if record.record_type != "response" or record.payload_sha256 != state.latest_sha256:
            self._fail(response.url, "archive", "archived copy does not match after 304")
            return None
        self.crawler.stats.inc_value("rightswatch/discovery_from_archive")
        headers = Headers(record.http_headers)
        cls = responsetypes.from_args(headers=headers, url=response.url, body=record.payload)
        return cls(url=response.url, status=200, headers=headers, body=record.payload,
                   request=response.request)

    def parse_feed(self, response: Response) -> Iterator[Any]:
        yield self._page_item(response, FEED)
        response = self._discovered(response)  # type: ignore[assignment]
        if response is None:
            return
        parsed = feedparser.parse(response.body, response_headers={
            "content-location": response.url,
            "content-type": (response.headers.get(b"Content-Type") or b"").decode("latin-1"),
        })
        if parsed.bozo and not parsed.entries:
            self._fail(response.url, "parse", f"unreadable feed: {parsed.bozo_exception}")
            return
        for entry in parsed.entries:
            link = entry.get("link")
            if not link:
                continue
            url = response.urljoin(link)
            if self.source.article_url_pattern and not self.source.is_article(url):
                continue
            when = entry.get("published_parsed") or entry.get("updated_parsed")
            published = (datetime.fromtimestamp(mktime(when), UTC).date().isoformat()
                         if when else None)
            yield from self._consider(url, published=published)

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        yield self._page_item(response, SITEMAP)
        response = self._discovered(response)  # type: ignore[assignment]
        if response is None:
            return
        depth = response.meta.get("listing_depth", 0)
        if response.url.endswith("/robots.txt"):
            for url in sitemap_urls_from_robots(response.text, base_url=response.url):
                if self.source.in_scope(url):
                    yield from self._follow(url, SITEMAP, self.parse_sitemap, depth + 1)
            return
        body = response.body
        if body[:2] == b"\x1f\x8b":
            body = gunzip(body, max_size=self.source.crawl.max_page_bytes)
        try:
            sitemap = Sitemap(body)
        except Exception as exc:  # lxml raises several types on garbage
            self._fail(response.url, "parse", f"unreadable sitemap: {exc}")
            return
        for entry in sitemap:
            loc = entry.get("loc")
            if not loc:
                continue
            url = response.urljoin(loc)
            if sitemap.type == "sitemapindex":
                if depth < self.source.crawl.max_listing_pages and self.source.in_scope(url):
                    yield from self._follow(url, SITEMAP, self.parse_sitemap, depth + 1)
            elif not self.source.article_url_pattern or self.source.is_article(url):
                lastmod = entry.get("lastmod")
                yield from self._consider(url, published=None, lastmod=lastmod)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        yield self._page_item(response, LISTING)
        response = self._discovered(response)  # type: ignore[assignment]
        if not isinstance(response, TextResponse):  # None, or a listing that is not text
            return
        restrict = (self.source.article_selector,) if self.source.article_selector else ()
        extractor = LinkExtractor(allow=(self.source.article_url_pattern,), restrict_css=restrict)
        for link in extractor.extract_links(response):
            yield from self._consider(link.url)
        depth = response.meta.get("listing_depth", 0)
        if depth + 1 >= self.source.crawl.max_listing_pages:
            return
        for url in self._pagination_links(response):
            if self.source.in_scope(url):
                yield from self._follow(url, LISTING, self.parse_listing, depth + 1)

    def _follow(self, url: str, kind: str, callback: Any, depth: int) -> Iterator[Any]:
        request = self._discovery_request(url, kind, callback, depth)
        if request is not None:
            yield request

    def _pagination_links(self, response: TextResponse) -> list[str]:
        urls: list[str] = []
        if self.source.pagination_pattern:
            extractor = LinkExtractor(allow=(self.source.pagination_pattern,))
            urls += [link.url for link in extractor.extract_links(response)]
        if self.source.next_page_selector:
            urls += [response.urljoin(href) for href in
                     response.css(self.source.next_page_selector).css("::attr(href)").getall()]
        return list(dict.fromkeys(urls))

    # -- reports -----------------------------------------------------------------------------

    def parse_report(self, response: Response) -> Iterator[Any]:
        if response.status == 304 and response.meta.get("redirect_urls"):
            # Validators of the old URL answered for the new one: fetch the new one in full.
            if self._count():
                # replace() keeps the meta, redirect_urls included.
                yield response.request.replace(  # type: ignore[union-attr]
                    url=response.url, headers={}, dont_filter=True)
            return
        yield self._page_item(response, REPORT)
        if response.status != 200 or not self.source.pdf_url_pattern:
            return
        if not isinstance(response, TextResponse) or not (
                response.headers.get(b"Content-Type") or b"").startswith(b"text/html"):
            return
        extractor = LinkExtractor(allow=(self.source.pdf_url_pattern,), deny_extensions=[])
        for link in extractor.extract_links(response):
            yield from self._consider(link.url, published=response.meta.get("published"))

    # -- failures ----------------------------------------------------------------------------

    def on_error(self, failure: Failure) -> Iterator[PageItem]:
        request = failure.request  # type: ignore[attr-defined]
        kind, message = describe_failure(failure)
        if request.meta.get("discovery"):
            self.discovery_failed += 1
        if kind == "robots":
            self.crawler.stats.inc_value("rightswatch/robots_forbidden")
            return
        if kind == "offsite":
            return
        self._fail(request.url, kind, message)
        if request.meta.get("kind") == REPORT and request.url in self.known:
            # A report we had that cannot be fetched any more: the store counts the crawls
            # in a row this happens, and after enough of them the report is gone.
            yield PageItem(url=request.url, source_id=self.source.id, status=0, headers=[],
                           body=b"", fetched_at=datetime.now(UTC), kind=REPORT,
                           first_crawl=self.first_crawl,
                           organisation=self.source.reporting_organisation)

    def _fail(self, url: str, kind: str, message: str) -> None:
        self.crawler.stats.inc_value(f"rightswatch/errors/{kind}")
        self.logger.warning("%s: %s", url, message)
        self.crawler.signals.send_catch_log(page_failed, url=url, kind=kind, message=message)


def _header_pairs(headers: Headers) -> list[tuple[str, str]]:
    """Scrapy's headers as (name, value) strings, one pair per value, bytes kept as latin-1."""
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, values in headers.items()
            for v in values]


def describe_failure(failure: Failure) -> tuple[str, str]:
    """A short error kind and a message a monitor can act on."""
    exc = failure.value
    url = failure.request.url  # type: ignore[attr-defined]
    if isinstance(exc, HttpError):
        status = exc.response.status
        retries = failure.request.meta.get("retry_times", 0)  # type: ignore[attr-defined]
        after = f" after {retries} retries" if retries else ""
        return "http", f"HTTP {status} from {url}{after}"
    if isinstance(exc, IgnoreRequest):
        text = str(exc)
        if "robots.txt" in text.lower():
            return "robots", f"forbidden by robots.txt: {url}"
        if "outside the source's scope" in text or "offsite" in text.lower():
            return "offsite", text
        if "redirections" in text:
            return "redirect", f"too many redirects (loop?) starting at {url}"
        if "DOWNLOAD_MAXSIZE" in text or "max size" in text.lower():
            return "size", f"response too large (size limit) at {url}: {text}"
        return "ignored", f"{url}: {text}"
    if isinstance(exc, DownloadTimeoutError | TimeoutError | TCPTimedOutError):
        return "timeout", f"timed out fetching {url}: {exc}"
    if isinstance(exc, CannotResolveHostError | DNSLookupError):
        return "dns", f"DNS lookup failed for {url}"
    if isinstance(exc, DownloadConnectionRefusedError | ConnectionRefusedError):
        return "connection", f"connection refused by {url}"
    if isinstance(exc, ResponseDataLossError):
        return "network", f"connection lost before the whole response arrived from {url}"
    text = str(exc) or type(exc).__name__
    if isinstance(exc, DownloadCancelledError) or "max size" in text.lower():
        # Scrapy cancels a download once it passes DOWNLOAD_MAXSIZE.
        return "size", f"response too large (over the size limit) at {url}"
    return "network", f"{type(exc).__name__} fetching {url}: {text}"
