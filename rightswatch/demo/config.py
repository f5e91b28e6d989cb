"""A ``rightswatch.toml`` whose sources point at a running demo world.

The demo sources are configured the way a researcher would configure the real sites: feeds
where they exist (CHRG), sitemaps (ZMINA), listing pages with pagination (CTRC, PPU,
Verstka) and an article selector for CTRC, which is exactly what breaks when CTRC changes
its listing markup on day 3.
"""

from __future__ import annotations

import re
from typing import Any

import tomli_w

__all__ = [
    "CRAWL_DEFAULTS",
    "DEMO_SOURCE_IDS",
    "SOURCE_KEYS",
    "demo_config_toml",
    "demo_sources",
]

#: Source ids of the demo config, in order (``bench`` is added only with ``bench=True``).
DEMO_SOURCE_IDS: tuple[str, ...] = ("chrg", "ctrc", "zmina", "ppu", "verstka", "hostile")

CRAWL_DEFAULTS: dict[str, Any] = {
    "timeout": 3,  # the hostile slow page takes 30 s
    "retries": 2,  # the hostile flaky page fails twice, then answers
    "max_page_bytes": 5_000_000,  # the huge page (30 MB) and the gzip bomb (200 MB) exceed it
    "max_pages": 300,
    "max_listing_pages": 10,
    # The demo's reports carry fixed dates while the real clock moves on: wide windows keep
    # the silent edit re-checked and days 2-4 alerting, whatever today's date is.
    "recheck_days": 36500,
    "backfill_days": 36500,
    "concurrency_per_domain": 8,
    "download_delay": 0,
}

#: The keys of every demo ``[[source]]`` table, in the order they are written: each source
#: spells out all of them (empty when unused), so the printed config shows every knob.
SOURCE_KEYS: tuple[str, ...] = (
    "id",
    "name",
    "homepage",
    "languages",
    "feed_urls",
    "sitemap_urls",
    "listing_urls",
    "article_url_pattern",
    "article_selector",
    "pagination_pattern",
    "pdf_url_pattern",
    "scope",
)

#: The CTRC listing container before its redesign; on day 3 it no longer exists.
CTRC_ARTICLE_SELECTOR = "div.news-list div.news-item"


def demo_sources(base_url: str, *, bench: bool = False) -> list[dict[str, Any]]:
    """The ``[[source]]`` tables for a demo world served at ``base_url``."""
    base = base_url.rstrip("/")
    b = re.escape(base)
    slug3 = r"[a-z0-9]+(?:-[a-z0-9]+){2,}"

    def source(**fields: Any) -> dict[str, Any]:
        defaults: dict[str, Any] = {
            "feed_urls": [],
            "sitemap_urls": [],
            "listing_urls": [],
            "article_selector": "",
            "pagination_pattern": "",
            "pdf_url_pattern": "",
        }
        merged = {**defaults, **fields}
        return {key: merged[key] for key in SOURCE_KEYS}

    sources = [
        source(
            id="chrg",
            name="Crimean Human Rights Group",
            homepage=f"{base}/chrg/",
            languages=["en", "uk", "ru"],
            feed_urls=[f"{base}/chrg/{lang}/feed/" for lang in ("en", "uk", "ru")],
            listing_urls=[f"{base}/chrg/{lang}/category/news/" for lang in ("en", "uk", "ru")],
            article_url_pattern=rf"^{b}/chrg/(?:en|uk|ru)/(?!(?:category|feed|page|tag)/){slug3}/$",
            pagination_pattern=rf"^{b}/chrg/(?:en|uk|ru)/category/news/page/\d+/$",
            scope=[f"{base}/chrg/"],
        ),
        source(
            id="ctrc",
            name="Crimean Tatar Resource Center",
            homepage=f"{base}/ctrc/",
            languages=["en", "ru"],
            listing_urls=[f"{base}/ctrc/en/activities?page=1", f"{base}/ctrc/ru/activities?page=1"],
            article_url_pattern=rf"^{b}/ctrc/(?:en|ru)/activities/\d+-{slug3}$",
            article_selector=CTRC_ARTICLE_SELECTOR,
            pagination_pattern=rf"^{b}/ctrc/(?:en|ru)/activities\?page=\d+$",
            scope=[f"{base}/ctrc/"],
        ),
        source(
            id="zmina",
            name="ZMINA Human Rights Centre",
            homepage=f"{base}/zmina/",
            languages=["uk", "en"],
            sitemap_urls=[f"{base}/zmina/sitemap.xml"],
            article_url_pattern=rf"^{b}/zmina/(?:en/news-en|news)/{slug3}/$",
            scope=[f"{base}/zmina/"],
        ),
        source(
            id="ppu",
            name="Mission of the President of Ukraine in the Autonomous Republic of Crimea",
            homepage=f"{base}/ppu/",
            languages=["uk", "en"],
            listing_urls=[f"{base}/ppu/en/news/", f"{base}/ppu/news/"],
            article_url_pattern=rf"^{b}/ppu/(?:en/)?press-center/{slug3}/$",
            pagination_pattern=rf"^{b}/ppu/(?:en/)?news/page/\d+/$",
            pdf_url_pattern=r"\.pdf$",
            scope=[f"{base}/ppu/"],
        ),
        source(
            id="verstka",
            name="Verstka",
            homepage=f"{base}/verstka/",
            languages=["ru"],
            listing_urls=[f"{base}/verstka/"],
            article_url_pattern=rf"^{b}/verstka/(?!page/){slug3}/$",
            pagination_pattern=rf"^{b}/verstka/page/\d+/$",
            scope=[f"{base}/verstka/"],
        ),
        source(
            id="hostile",
            name="Occupied Territories Monitor (hostile test site)",
            homepage=f"{base}/hostile/",
            languages=["en"],
            feed_urls=[f"{base}/hostile/feed/"],
            listing_urls=[f"{base}/hostile/"],
            article_url_pattern=(
                rf"^{b}/hostile/(?:reports/{slug3}/|flaky|slow|huge|bomb|broken|loop/[ab]"
                r"|private/[a-z]+)$"
            ),
            pagination_pattern=rf"^{b}/hostile/calendar/\d+/\d{{2}}/$",
            scope=[f"{base}/hostile/"],
        ),
    ]
    if bench:
        sources.append(
            source(
                id="bench",
                name="Crimea Monitoring Network (benchmark)",
                homepage=f"{base}/bench/",
                languages=["en"],
                sitemap_urls=[f"{base}/bench/sitemap.xml"],
                listing_urls=[f"{base}/bench/news/"],
                article_url_pattern=rf"^{b}/bench/news/\d{{6}}-[a-z0-9-]+/$",
                pagination_pattern=rf"^{b}/bench/news/\?page=\d+$",
                scope=[f"{base}/bench/"],
            )
        )
    return sources


def demo_config_toml(
    base_url: str,
    *,
    database: str = "rightswatch.db",
    archive_dir: str = "archive",
    bench: bool = False,
    contact: str = "demo-monitor@example.org",
    **crawl_overrides: Any,
) -> str:
    """A complete ``rightswatch.toml`` text for the demo world at ``base_url``.

    Keyword arguments beyond the named ones override the ``[crawl]`` defaults (for example
    ``max_pages=50`` in a quick test, or ``timeout=1``).
    """
    crawl = {**CRAWL_DEFAULTS, **crawl_overrides}
    doc = {
        "rightswatch": {"database": database, "archive_dir": archive_dir, "contact": contact},
        "crawl": crawl,
        "source": demo_sources(base_url, bench=bench),
    }
    return tomli_w.dumps(doc)
