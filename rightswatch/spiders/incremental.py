"""Deciding what a re-crawl must fetch.  Pure functions over plain data, no Scrapy.

A re-crawl fetches what is new or may have changed: unknown URLs, pages still inside their
re-check window (silent edits happen in the first weeks after publication), and pages a
sitemap says were modified since we last fetched them.  Everything else is skipped, which is
what makes a no-change re-crawl cheap.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ..db import PageState
from ..db.store import parse_moment

NEW, RECHECK, MODIFIED, SKIP = "new", "recheck", "modified", "skip"


def fetch_decision(state: PageState | None, *, now: datetime, recheck_days: float,
                   lastmod: str | None = None, rediscovered: bool = False) -> str:
    """Why (or whether) to fetch a report URL on this crawl.

    *rediscovered* means the URL was linked again from a feed, sitemap or listing: a removed
    page that comes back is fetched again.
    """
    if state is None:
        return NEW
    if state.status == "moved":
        return SKIP
    if state.status == "removed":
        return RECHECK if rediscovered else SKIP
    # Silent edits happen in the weeks after publication; when the date is unknown, the
    # first time we saw the page stands in for it.
    anchor = parse_moment(state.published_at) or parse_moment(state.first_seen_at)
    if anchor is not None and now - anchor <= timedelta(days=recheck_days):
        return RECHECK
    modified = parse_moment(lastmod)
    fetched = parse_moment(state.last_fetched_at)
    if modified is not None and (fetched is None or modified > fetched):
        return MODIFIED
    return SKIP


def conditional_headers(state: PageState | None) -> dict[str, str]:
    """Validators for a conditional GET; empty when we never fetched the page."""
    if state is None or state.latest_sha256 is None:
        return {}
    headers = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers
