from datetime import UTC, datetime

from rightswatch.db import PageState
from rightswatch.spiders.incremental import (
    MODIFIED,
    NEW,
    RECHECK,
    SKIP,
    conditional_headers,
    fetch_decision,
)

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


def state(**kw):
    base = dict(
        url="https://x.org/a",
        kind="report",
        status="active",
        first_seen_at="2026-01-01T00:00:00Z",
        last_fetched_at="2026-01-02T00:00:00Z",
        published_at="2025-12-31",
        etag='"abc"',
        last_modified=None,
        latest_sha256="f" * 64,
        moved_to=None,
    )
    base.update(kw)
    return PageState(**base)


def test_unknown_url_is_new():
    assert fetch_decision(None, now=NOW, recheck_days=30) == NEW


def test_recently_published_pages_are_rechecked_old_ones_skipped():
    assert fetch_decision(state(published_at="2026-11-20"), now=NOW, recheck_days=30) == RECHECK
    assert fetch_decision(state(), now=NOW, recheck_days=30) == SKIP
    # An old report seen for the first time yesterday is still old: no re-check.
    assert (
        fetch_decision(state(first_seen_at="2026-11-21T00:00:00Z"), now=NOW, recheck_days=30)
        == SKIP
    )
    # Without a publication date, the first sighting stands in for it.
    assert (
        fetch_decision(
            state(published_at=None, first_seen_at="2026-11-10T00:00:00Z"), now=NOW, recheck_days=30
        )
        == RECHECK
    )


def test_sitemap_lastmod_after_last_fetch_means_modified():
    assert (
        fetch_decision(state(), now=NOW, recheck_days=30, lastmod="2026-06-01T00:00:00+00:00")
        == MODIFIED
    )
    assert fetch_decision(state(), now=NOW, recheck_days=30, lastmod="2025-06-01") == SKIP
    assert fetch_decision(state(), now=NOW, recheck_days=30, lastmod="not a date") == SKIP


def test_removed_pages_come_back_only_when_linked_again():
    removed = state(status="removed", first_seen_at="2026-11-20T00:00:00Z")
    assert fetch_decision(removed, now=NOW, recheck_days=30) == SKIP
    assert fetch_decision(removed, now=NOW, recheck_days=30, rediscovered=True) == RECHECK
    assert fetch_decision(state(status="moved"), now=NOW, recheck_days=30) == SKIP


def test_conditional_headers_only_with_validators():
    assert conditional_headers(None) == {}
    assert conditional_headers(state()) == {"If-None-Match": '"abc"'}
    lm = "Mon, 02 Nov 2026 10:00:00 GMT"
    assert conditional_headers(state(etag=None, last_modified=lm)) == {"If-Modified-Since": lm}
    assert conditional_headers(state(latest_sha256=None)) == {}
