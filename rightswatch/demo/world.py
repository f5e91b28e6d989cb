"""The demo world's content model: articles as data, and what each simulated day shows.

Article texts live in TOML files under ``data/`` (one per site) so that writers can edit the
reports without touching code, and so that ``expected.toml`` can be derived from the same
source a test checks it against. Everything here is pure: given a day, it answers which
articles are visible, under which URL, and in which version.

Simulated calendar: day 1 is 2026-11-02, day N is day 1 + (N-1) days. A crawl of day N is
assumed to happen in the evening (``crawl_time``), after that day's publications.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).parent / "data"
FILES_DIR = Path(__file__).parent / "files"

FIRST_DAY = date(2026, 11, 2)
MAX_DAY = 4
#: Kyiv time in November (EET): the sites stamp their pages in local time.
KYIV = timezone(timedelta(hours=2), "EET")

#: Sites whose articles come from data files, in the order the demo presents them.
CONTENT_SITES = ("chrg", "ctrc", "zmina", "ppu", "verstka", "hostile")


def day_date(day: int) -> date:
    """The calendar date of a simulated day (day 1 = 2026-11-02)."""
    return FIRST_DAY + timedelta(days=day - 1)


def day_start(day: int) -> datetime:
    """Midnight UTC at the start of a simulated day: the floor for a page changed that day."""
    return datetime.combine(day_date(day), time(0, 0), UTC)


def crawl_time(day: int) -> datetime:
    """When a crawl of ``day`` happens: 18:00 UTC, after every publication of that day."""
    return datetime.combine(day_date(day), time(18, 0), UTC)


def check_day(day: int) -> int:
    """Validate a day number, because a typo'd day would silently serve an empty world."""
    if not isinstance(day, int) or not 1 <= day <= MAX_DAY:
        raise ValueError(f"day must be an integer in 1..{MAX_DAY}, got {day!r}")
    return day


@dataclass(frozen=True)
class Edit:
    """A silent edit: on ``day`` the listed replacements are applied to title and text."""

    day: int
    modified: datetime
    replace: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Version:
    """What an article looks like on one day."""

    title: str
    paragraphs: tuple[str, ...]
    modified: datetime
    edited: bool


@dataclass(frozen=True)
class Article:
    """One report on one site, with its whole life over the simulated days."""

    site: str
    key: str
    lang: str
    slug: str
    title: str
    published: datetime
    day: int
    paragraphs: tuple[str, ...]
    path_template: str
    edits: tuple[Edit, ...] = ()
    removed_day: int | None = None
    removed_status: int = 410
    moved_day: int | None = None
    moved_to: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def visible(self, day: int) -> bool:
        """Whether the article is online (listed and served) on ``day``."""
        return day >= self.day and (self.removed_day is None or day < self.removed_day)

    def slug_on(self, day: int) -> str:
        """The slug in force on ``day``: a moved article changes slug from ``moved_day``."""
        if self.moved_day is not None and self.moved_to and day >= self.moved_day:
            return self.moved_to
        return self.slug

    def path_on(self, day: int) -> str:
        """The URL path (no host) of the article on ``day``."""
        return self.path_template.format(slug=self.slug_on(day), **self.extra)

    @property
    def original_path(self) -> str:
        """The path under which the article was first published."""
        return self.path_template.format(slug=self.slug, **self.extra)

    def version(self, day: int) -> Version:
        """Title and text as of ``day``, with every edit up to that day applied."""
        title, paragraphs, modified, edited = (
            self.title,
            list(self.paragraphs),
            self.published,
            False,
        )
        for edit in self.edits:
            if edit.day > day:
                continue
            for old, new in edit.replace:
                title = title.replace(old, new)
                paragraphs = [p.replace(old, new) for p in paragraphs]
            modified, edited = max(modified, edit.modified), True
        return Version(title, tuple(paragraphs), modified, edited)

    def get(self, name: str, default: Any = None) -> Any:
        """A site-specific extra field from the data file (category, author, pdf, ...)."""
        return self.extra.get(name, default)


@dataclass(frozen=True)
class Report:
    """A PDF report (PPU): its file name, the day it goes online and its pages of text."""

    file: str
    day: int
    published: datetime
    title: str
    pages: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Site:
    """A site's data file: its settings table and its articles."""

    id: str
    name: str
    settings: dict[str, Any]
    articles: tuple[Article, ...]
    reports: tuple[Report, ...] = ()

    def visible(self, day: int, lang: str | None = None) -> list[Article]:
        """Articles online on ``day`` (optionally in one language), newest first."""
        found = [a for a in self.articles if a.visible(day) and (lang is None or a.lang == lang)]
        return sorted(found, key=lambda a: (a.published, a.key), reverse=True)

    def by_key(self, key: str) -> Article:
        """Look an article up by its stable key."""
        for article in self.articles:
            if article.key == key:
                return article
        raise KeyError(key)


_ARTICLE_FIELDS = {
    "key",
    "lang",
    "slug",
    "title",
    "published",
    "day",
    "paragraphs",
    "edits",
    "removed_day",
    "removed_status",
    "moved_day",
    "moved_to",
}


def _aware(value: Any) -> datetime:
    """TOML offset datetimes arrive aware; local ones are read as Kyiv time."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=KYIV)
    if isinstance(value, date):
        return datetime.combine(value, time(10, 0), KYIV)
    raise TypeError(f"not a date: {value!r}")


def _article(site_id: str, templates: dict[str, str], raw: dict[str, Any]) -> Article:
    edits = tuple(
        Edit(
            day=int(e["day"]),
            modified=_aware(e["modified"]),
            replace=tuple((str(old), str(new)) for old, new in e["replace"]),
        )
        for e in raw.get("edits", [])
    )
    extra = {k: v for k, v in raw.items() if k not in _ARTICLE_FIELDS}
    return Article(
        site=site_id,
        key=raw["key"],
        lang=raw["lang"],
        slug=raw["slug"],
        title=raw["title"],
        published=_aware(raw["published"]),
        day=int(raw.get("day", 1)),
        paragraphs=tuple(p.strip() for p in raw["paragraphs"]),
        path_template=templates[raw["lang"]],
        edits=edits,
        removed_day=raw.get("removed_day"),
        removed_status=int(raw.get("removed_status", 410)),
        moved_day=raw.get("moved_day"),
        moved_to=raw.get("moved_to"),
        extra=extra,
    )


@cache
def load_site(site_id: str) -> Site:
    """Read and cache one site's data file."""
    raw = tomllib.loads((DATA_DIR / f"{site_id}.toml").read_text("utf-8"))
    settings = raw["site"]
    templates = settings["paths"]
    articles = tuple(_article(site_id, templates, a) for a in raw.get("article", []))
    reports = tuple(
        Report(
            file=r["file"],
            day=int(r["day"]),
            published=_aware(r["published"]),
            title=r["title"],
            pages=tuple(r["page"]),
        )
        for r in raw.get("report", [])
    )
    return Site(settings["id"], settings["name"], settings, articles, reports)


def load_world() -> dict[str, Site]:
    """All content sites, keyed by id."""
    return {site_id: load_site(site_id) for site_id in CONTENT_SITES}


def validate(sites: Iterable[Site]) -> list[str]:
    """Consistency problems in the data, as readable messages (empty when all is well).

    Tests run this so that a writer who adds an article on day 3 dated day 1, or an edit
    that replaces text that is not there, learns it at once instead of through a
    confusing crawler test failure.
    """
    problems: list[str] = []
    for site in sites:
        keys: set[str] = set()
        for a in site.articles:
            where = f"{site.id}:{a.key}"
            if a.key in keys:
                problems.append(f"{where}: duplicate key")
            keys.add(a.key)
            if not 1 <= a.day <= MAX_DAY:
                problems.append(f"{where}: day {a.day} out of range")
            local = a.published.astimezone(KYIV).date()
            if a.day > 1 and local != day_date(a.day):
                problems.append(f"{where}: appears on day {a.day} but is dated {local}")
            if a.day == 1 and local > day_date(1):
                problems.append(f"{where}: backfill article dated after day 1")
            if a.published.astimezone(UTC) > crawl_time(a.day):
                problems.append(f"{where}: published after the crawl of its day")
            text = a.title + "\n".join(a.paragraphs)
            for edit in a.edits:
                if edit.day <= a.day:
                    problems.append(f"{where}: edit on day {edit.day} before publication")
                for old, _new in edit.replace:
                    if old not in text:
                        problems.append(f"{where}: edit text {old!r} not found")
            if a.removed_day is not None and a.removed_day <= a.day:
                problems.append(f"{where}: removed before it appears")
            if (a.moved_day is None) != (a.moved_to is None):
                problems.append(f"{where}: moved_day and moved_to go together")
            if site.id != "hostile" and (len(a.paragraphs) < 2 or len(text) < 300):
                # crawler tests treat a report with under ~200 characters of text as broken
                problems.append(f"{where}: a report needs two paragraphs and 300 characters")
        for day in range(1, MAX_DAY + 1):
            paths = [a.path_on(day) for a in site.articles if a.visible(day)]
            if len(paths) != len(set(paths)):
                problems.append(f"{site.id}: two articles share a URL on day {day}")
        for report in site.reports:
            if not (FILES_DIR / report.file).is_file():
                problems.append(f"{site.id}: missing PDF {report.file}")
    return problems


def expected_changes(sites: dict[str, Site] | None = None) -> dict[str, Any]:
    """Per day and per site, what a perfect crawler should notice (the ``expected.toml``).

    ``new``: article paths first online that day that the demo config can discover (day 1:
    everything online). ``hidden_by_layout``: articles first online that day that exist but
    that the configured article selector cannot see, because the listing layout changed.
    ``edited``: paths whose text changed silently that day (same URL).
    ``removed``: paths that stopped answering that day (404/410).
    ``moved``: ``[old, new]`` pairs; the old path answers 301 to the new one from that day.
    ``new_files``: PDF paths first linked that day. ``layout_changed``: listing markup changed.
    """
    sites = sites if sites is not None else load_world()
    days: dict[str, Any] = {}
    for day in range(1, MAX_DAY + 1):
        per_site: dict[str, Any] = {}
        for site in sites.values():
            appeared = sorted(a.path_on(day) for a in site.articles if a.day == day)
            hidden = day >= site.settings.get("layout_change_day", MAX_DAY + 1)
            entry: dict[str, Any] = {
                "new": [] if hidden else appeared,
                "hidden_by_layout": appeared if hidden else [],
                "edited": sorted(
                    a.path_on(day)
                    for a in site.articles
                    if a.visible(day) and any(e.day == day for e in a.edits)
                ),
                "removed": sorted(
                    a.path_on(day - 1) for a in site.articles if a.removed_day == day
                ),
                "moved": [
                    [a.path_on(day - 1), a.path_on(day)]
                    for a in sorted(site.articles, key=lambda a: a.key)
                    if a.moved_day == day and a.visible(day)
                ],
                "new_files": sorted(
                    f"/{site.id}/files/{r.file}" for r in site.reports if r.day == day
                ),
                "layout_changed": day == site.settings.get("layout_change_day"),
            }
            per_site[site.id] = entry
        days[str(day)] = per_site
    return {
        "meta": {
            "first_day": FIRST_DAY,
            "days": MAX_DAY,
            "note": "Generated by `python -m rightswatch.demo.world`; do not edit by hand.",
        },
        "day": days,
    }


def render_expected_toml() -> str:
    """The text of ``expected.toml`` as generated from the data files."""
    import tomli_w

    return tomli_w.dumps(expected_changes())


def main() -> None:
    """Regenerate ``expected.toml`` next to this module (run after editing data files)."""
    problems = validate(load_world().values())
    if problems:
        raise SystemExit("\n".join(problems))
    target = Path(__file__).parent / "expected.toml"
    target.write_text(render_expected_toml(), "utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
