"""Loading and validating rightswatch.toml and sources.toml.

Configuration is plain TOML so that an analyst can add a source without touching code.  All
validation happens here, at load time, so that a typo in a source definition is a clear
`ConfigError` when the command starts, not a crash half-way through a crawl.

Layout of rightswatch.toml::

    [rightswatch]          database, archive_dir, contact, sources_file
    [crawl]                defaults for every source (timeouts, budgets, politeness)
    [scheduler]            when `rightswatch run` crawls, dispatches and stops (see
                           `SchedulerSettings`)
    [[source]]             one table per watched site (see `Source`)
    [digest]               the weekly digest: recipients and SMTP like an email [[alert]],
                           and when it is sent (see `rightswatch.alerts.digest`)

A `[[source]]` table may override any `[crawl]` key.  `sources_file` names another TOML file
whose `[[source]]` tables are added (the project ships one: sources.toml).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from . import __version__
from .vocabulary import METRICS

if TYPE_CHECKING:
    from .alerts.digest import DigestSettings

DEFAULT_CONFIG_NAME = "rightswatch.toml"
# The real sources the project ships with (also at the repository root as sources.toml).
PACKAGED_SOURCES = Path(__file__).with_name("sources.toml")


class ConfigError(Exception):
    """The configuration cannot be used; the message says which file and which key."""


class LexiconError(ConfigError):
    """A lexicon (shipped, or a user's [[metric]]) that cannot be used; the message names the
    file, the table and the key."""


@dataclass(frozen=True, slots=True)
class MetricDef:
    """A metric a user adds in rightswatch.toml (``[[metric]]``): the nouns that name what it
    counts and the predicates that say it happened, per language.  Hashable, so the extractor
    compiles a configuration's metrics once."""

    id: str
    what: str
    nouns: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (lang, entries)
    predicates: tuple[tuple[str, tuple[str, ...]], ...] = ()
    kind: str = "thing"
    where: str = "configuration"


_UK_ONLY = frozenset("іїєґ")
_RU_ONLY = frozenset("ыэъё")
_METRIC_KINDS = ("thing", "person", "container")
_LEXICON_LANGS = ("en", "uk", "ru")


def script_problem(phrase: str, lang: str) -> str | None:
    """Why *phrase* cannot be a word list entry of *lang* by its letters alone (Latin for
    English, Cyrillic without Russian letters for Ukrainian, and the reverse), or None."""
    letters = [ch for ch in phrase.lower() if ch.isalpha()]
    latin = sum(1 for ch in letters if "a" <= ch <= "z")
    cyrillic = sum(1 for ch in letters if "\u0400" <= ch <= "\u04ff")
    want = "latin" if lang == "en" else "cyrillic"
    if not letters or (want == "latin" and (cyrillic or not latin)) or (
            want == "cyrillic" and (latin or not cyrillic)):
        return f"is not written in the {want} alphabet"
    low = phrase.lower()
    if lang == "uk" and not _RU_ONLY.isdisjoint(low):
        return "has Russian letters (ы э ъ ё)"
    if lang == "ru" and not _UK_ONLY.isdisjoint(low):
        return "has Ukrainian letters (і ї є ґ)"
    return None


def parse_metrics(tables: Any, where: str, known: Sequence[str]) -> tuple[MetricDef, ...]:
    """The ``[[metric]]`` tables of rightswatch.toml, validated: an ``id`` (lowercase, new),
    an optional ``what`` (the English key of what it counts), ``kind``, and ``nouns`` /
    ``predicates`` tables of word lists per language (en, uk, ru)."""
    if tables is None:
        return ()
    if not isinstance(tables, list):
        raise LexiconError(f"{where}: 'metric' must be an array of tables ([[metric]])")
    out: list[MetricDef] = []
    seen = set(known)
    for n, t in enumerate(tables, 1):
        here = f"{where}: [[metric]] #{n}"
        if not isinstance(t, dict):
            raise LexiconError(f"{here}: must be a table")
        unknown = sorted(set(t) - {"id", "what", "label", "nouns", "predicates", "kind"})
        if unknown:
            raise LexiconError(f"{here}: unknown key {unknown[0]!r}")
        mid = t.get("id")
        if not isinstance(mid, str) or not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", mid):
            raise LexiconError(f"{here}: key 'id' must be a lowercase id (letters, digits, _)")
        if mid in seen:
            raise LexiconError(f"{here}: key 'id': {mid!r} is already a metric")
        seen.add(mid)
        here = f"{here} (id = {mid!r})"
        what = t.get("what", t.get("label", mid.replace("_", " ")))
        if not isinstance(what, str) or not what.strip():
            raise LexiconError(f"{here}: key 'what' must be text")
        kind = t.get("kind", "thing")
        if kind not in _METRIC_KINDS:
            raise LexiconError(f"{here}: key 'kind' must be one of {list(_METRIC_KINDS)}")
        lists: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {}
        for key in ("nouns", "predicates"):
            table = t.get(key, {})
            if not isinstance(table, dict):
                raise LexiconError(f"{here}: key '{key}' must be a table of word lists per "
                                   "language (en, uk, ru)")
            for lang, items in table.items():
                if lang not in _LEXICON_LANGS:
                    raise LexiconError(f"{here}: key '{key}.{lang}': languages are en, uk, ru")
                if not isinstance(items, list) or not all(isinstance(x, str) and x.strip()
                                                          for x in items):
                    raise LexiconError(f"{here}: key '{key}.{lang}' must be a list of words")
                for item in items:
                    why = script_problem(item, lang)
                    if why:
                        raise LexiconError(f"{here}: key '{key}.{lang}': {item!r} {why}")
            lists[key] = tuple((lang, tuple(table[lang])) for lang in _LEXICON_LANGS
                               if table.get(lang))
        if not lists["nouns"] and not lists["predicates"]:
            raise LexiconError(f"{here}: give 'nouns' or 'predicates' in at least one language")
        out.append(MetricDef(mid, what.strip(), lists["nouns"], lists["predicates"], kind,
                             where))
    return tuple(out)


@dataclass(frozen=True)
class CrawlSettings:
    """Politeness and budget limits.  Defaults suit real NGO sites on shared hosting."""

    timeout: float = 30.0
    retries: int = 2
    retry_backoff: float = 2.0
    max_page_bytes: int = 25_000_000
    max_pages: int = 2_000
    max_listing_pages: int = 10
    recheck_days: float = 30.0
    # Reports older than this when first seen, and everything on a source's first crawl, are
    # history (backfill): stored, never alerted.
    backfill_days: float = 30.0
    # A known report that cannot be fetched (errors other than 404/410) this many crawls in
    # a row is taken as removed from the site.
    removed_after_failures: int = 3
    concurrency_per_domain: int = 2
    download_delay: float = 1.0
    autothrottle: bool = True
    obey_robots: bool = True
    crawl_timeout: float = 3_600.0


_CRAWL_KEYS = {f.name for f in fields(CrawlSettings)}

_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)?\s*$")
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800}


def parse_duration(value: Any, where: str) -> float:
    """Seconds of a duration written as a number of seconds or as "90s", "10m", "6h", "1d"."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    match = _DURATION_RE.match(value) if isinstance(value, str) else None
    if match is None:
        raise ConfigError(f"{where} must be a duration such as 90, \"90s\", \"10m\", \"6h\" "
                          f"or \"1d\", not {value!r}")
    return float(match[1]) * _DURATION_UNITS[match[2] or "s"]


def check_cron(expression: str, timezone: str, where: str) -> str:
    """A crontab line ("minute hour day month weekday") that APScheduler accepts."""
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(expression, timezone=timezone)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{where}: invalid cron expression {expression!r}: {exc}") from exc
    return expression


def check_timezone(name: Any, where: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        if not isinstance(name, str) or not name:
            raise ValueError(name)
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"{where}: unknown time zone {name!r} "
                          "(use an IANA name such as \"Europe/Kyiv\" or \"UTC\")") from exc
    return str(name)


@dataclass(frozen=True)
class Schedule:
    """When one source is crawled: every `interval` seconds, or on a `cron` line, each run
    delayed by up to `jitter` seconds so that many installations do not hit a site at once."""

    interval: float | None = 6 * 3_600.0
    cron: str = ""
    jitter: float = 600.0

    def describe(self) -> str:
        base = f"cron {self.cron}" if self.cron else f"every {_human(self.interval or 0)}"
        return base + (f" (+ up to {_human(self.jitter)} jitter)" if self.jitter else "")


def _human(seconds: float) -> str:
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


@dataclass(frozen=True)
class SchedulerSettings:
    """`[scheduler]`: defaults of every source's schedule, and how `rightswatch run` behaves.

    `startup_stagger` spaces out the crawls that are overdue when the scheduler starts (after
    a restart or a long stop), so that a restart never crawls every site at the same moment.
    `stop_grace` is how long a crawl may take to finish cleanly on SIGTERM before it is
    killed (the database stays consistent either way).
    """

    schedule: Schedule = field(default_factory=Schedule)
    timezone: str = "UTC"
    max_parallel_crawls: int = 2
    dispatch_interval: float = 60.0
    misfire_grace: float = 3_600.0
    startup_stagger: float = 60.0
    stop_grace: float = 30.0


def _schedule(raw: Mapping[str, Any], base: Schedule, timezone: str, where: str) -> Schedule:
    """Apply `interval` / `cron` / `jitter` keys of a table over *base*.  A table that sets
    `interval` replaces an inherited `cron` and the other way round."""
    if "interval" in raw and "cron" in raw:
        raise ConfigError(f"{where}: set either interval or cron, not both")
    values: dict[str, Any] = {}
    if "interval" in raw:
        interval = parse_duration(raw["interval"], f"{where}: interval")
        if interval < 1:
            raise ConfigError(f"{where}: interval must be at least 1 second")
        values.update(interval=interval, cron="")
    if "cron" in raw:
        if not isinstance(raw["cron"], str):
            raise ConfigError(f"{where}: cron must be a string such as \"30 6 * * *\"")
        values.update(cron=check_cron(raw["cron"], timezone, where), interval=None)
    if "jitter" in raw:
        values["jitter"] = parse_duration(raw["jitter"], f"{where}: jitter")
    return replace(base, **values)


def parse_scheduler(raw: Mapping[str, Any], where: str) -> SchedulerSettings:
    """Validate the `[scheduler]` table."""
    known = {"interval", "cron", "jitter", "timezone", "max_parallel_crawls",
             "dispatch_interval", "misfire_grace", "startup_stagger", "stop_grace"}
    unknown = set(raw) - known
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    timezone = check_timezone(raw.get("timezone", "UTC"), f"{where}: timezone")
    values: dict[str, Any] = {"timezone": timezone,
                              "schedule": _schedule(raw, Schedule(), timezone, where)}
    for key in ("dispatch_interval", "misfire_grace", "startup_stagger", "stop_grace"):
        if key in raw:
            values[key] = parse_duration(raw[key], f"{where}: {key}")
    if "max_parallel_crawls" in raw:
        n = raw["max_parallel_crawls"]
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ConfigError(f"{where}: max_parallel_crawls must be a positive integer")
        values["max_parallel_crawls"] = n
    if values.get("dispatch_interval", 1) < 1:
        raise ConfigError(f"{where}: dispatch_interval must be at least 1 second")
    return SchedulerSettings(**values)


@dataclass(frozen=True)
class Source:
    """One watched website and how to discover its reports.

    Discovery paths combine freely: RSS/Atom feeds, sitemaps (a sitemap index, a child sitemap
    or a robots.txt naming them) and listing pages whose article links match
    `article_url_pattern` (optionally only inside `article_selector`).
    """

    id: str
    name: str
    homepage: str = ""
    languages: tuple[str, ...] = ()
    feed_urls: tuple[str, ...] = ()
    sitemap_urls: tuple[str, ...] = ()
    listing_urls: tuple[str, ...] = ()
    article_url_pattern: str = ""
    article_selector: str = ""
    pagination_pattern: str = ""
    next_page_selector: str = ""
    pdf_url_pattern: str = ""
    allowed_domains: tuple[str, ...] = ()
    scope: tuple[str, ...] = ()
    organisation: str = ""
    kind: str = "organisation"   # organisation | media: see `counts_its_own`
    unverified: bool = False
    unverified_urls: tuple[str, ...] = ()
    enabled: bool = True
    notes: str = ""
    crawl: CrawlSettings = field(default_factory=CrawlSettings)
    schedule: Schedule = field(default_factory=Schedule)

    @property
    def reporting_organisation(self) -> str:
        """Who a figure is attributed to when its text names nobody: the organisation
        behind the site, else the site's name."""
        return self.organisation or self.name

    @property
    def counts_its_own(self) -> bool:
        """An organisation's own site: a figure it states without attribution is its own
        count.  On a media site (kind = "media") such a figure continues the count of the
        organisation that last reported it (README, "What counts as news")."""
        return self.kind != "media"

    @property
    def start_urls(self) -> tuple[str, ...]:
        return self.feed_urls + self.sitemap_urls + self.listing_urls

    @property
    def domains(self) -> tuple[str, ...]:
        """Hosts the crawl may visit: configured, else those of its start URLs."""
        if self.allowed_domains:
            return self.allowed_domains
        hosts = {urlsplit(u).hostname for u in (self.homepage, *self.start_urls) if u}
        return tuple(sorted(h for h in hosts if h))

    def in_scope(self, url: str) -> bool:
        """True when *url* stays on the source's domains and inside its URL prefixes."""
        host = urlsplit(url).hostname or ""
        if not any(host == d or host.endswith("." + d) for d in self.domains):
            return False
        return not self.scope or any(url.startswith(p) for p in self.scope)

    def is_article(self, url: str) -> bool:
        return bool(self.article_url_pattern) and re.search(self.article_url_pattern, url) is not None


def _default_digest() -> DigestSettings:
    """`[digest]` left out: no recipients, Monday 08:00 UTC (imported late: alerts imports
    ConfigError from this module)."""
    from .alerts.digest import DigestSettings

    return DigestSettings()


@dataclass(frozen=True)
class Config:
    path: Path | None
    database: Path
    archive_dir: Path
    contact: str
    crawl: CrawlSettings
    sources: tuple[Source, ...]
    extraction_workers: int | None = None
    alerts: tuple[Any, ...] = ()          # rightswatch.alerts.Rule, one per [[alert]] table
    archive_base_url: str | None = None   # where alerts link the archived copy of a report
    scheduler: SchedulerSettings = field(default_factory=SchedulerSettings)
    digest: DigestSettings = field(default_factory=_default_digest)
    metrics: tuple[MetricDef, ...] = ()   # the [[metric]] tables: metrics of the user's own

    @property
    def user_agent(self) -> str:
        contact = f"; contact: {self.contact}" if self.contact else ""
        return f"rightswatch/{__version__} (+https://github.com/rightswatch/rightswatch{contact})"

    def source(self, source_id: str) -> Source:
        for s in self.sources:
            if s.id == source_id:
                return s
        known = ", ".join(s.id for s in self.sources) or "none configured"
        raise ConfigError(f"unknown source {source_id!r} (known: {known})")

    def with_database(self, database: str | Path | None) -> Config:
        return self if database is None else replace(self, database=Path(database))


_SOURCE_STR = {"id", "name", "homepage", "article_url_pattern", "article_selector",
               "pagination_pattern", "next_page_selector", "pdf_url_pattern", "organisation",
               "notes", "kind"}
SOURCE_KINDS = ("organisation", "media")
_SOURCE_LIST = {"languages", "feed_urls", "sitemap_urls", "listing_urls", "allowed_domains",
                "scope", "unverified_urls"}
_SOURCE_BOOL = {"unverified", "enabled"}
_SCHEDULE_KEYS = {"interval", "cron", "jitter"}
# Research notes in sources.toml carry extra keys; they are documentation, not configuration.
_SOURCE_IGNORED = {"cms", "evidence", "confidence", "pdf_reports", "status"}
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def _crawl_settings(raw: Mapping[str, Any], base: CrawlSettings, where: str) -> CrawlSettings:
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in _CRAWL_KEYS:
            continue
        default = getattr(base, key)
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: {key} must be true or false, not {value!r}")
        elif isinstance(default, int | float):
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ConfigError(f"{where}: {key} must be a non-negative number, not {value!r}")
            value = type(default)(value)
        values[key] = value
    return replace(base, **values)


def _check_regex(pattern: str, where: str) -> None:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ConfigError(f"{where}: invalid regular expression {pattern!r}: {exc}") from exc


def parse_source(raw: Mapping[str, Any], defaults: CrawlSettings, where: str,
                 scheduler: SchedulerSettings | None = None) -> Source:
    """Validate one `[[source]]` table."""
    scheduler = scheduler or SchedulerSettings()
    sid = raw.get("id")
    if not isinstance(sid, str) or not _ID_RE.match(sid):
        raise ConfigError(f"{where}: id must be lowercase letters, digits, '-' or '_', got {sid!r}")
    where = f"{where} (source {sid!r})"
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _SOURCE_STR:
            if not isinstance(value, str):
                raise ConfigError(f"{where}: {key} must be a string")
            values[key] = value
        elif key in _SOURCE_LIST:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where}: {key} must be a list of strings")
            values[key] = tuple(v for v in value if v)
        elif key in _SOURCE_BOOL:
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: {key} must be true or false")
            values[key] = value
        elif key not in _CRAWL_KEYS and key not in _SOURCE_IGNORED \
                and key not in _SCHEDULE_KEYS:
            raise ConfigError(f"{where}: unknown key {key!r}")
    values.setdefault("name", sid)
    if values.get("kind", "organisation") not in SOURCE_KINDS:
        raise ConfigError(f"{where}: kind must be one of {', '.join(SOURCE_KINDS)}")
    for key in ("article_url_pattern", "pagination_pattern", "pdf_url_pattern"):
        if values.get(key):
            _check_regex(values[key], f"{where}: {key}")
    for url in (*values.get("feed_urls", ()), *values.get("sitemap_urls", ()),
                *values.get("listing_urls", ())):
        if urlsplit(url).scheme not in ("http", "https"):
            raise ConfigError(f"{where}: {url!r} is not an http(s) URL")
    source = Source(**values, crawl=_crawl_settings(raw, defaults, where),
                    schedule=_schedule(raw, scheduler.schedule, scheduler.timezone, where))
    if source.enabled and source.start_urls and not source.article_url_pattern \
            and source.listing_urls:
        raise ConfigError(f"{where}: listing_urls need an article_url_pattern")
    return source


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc


def load_config(path: str | Path | None = None) -> Config:
    """Load *path*, else ./rightswatch.toml if present, else built-in defaults.

    The built-in defaults watch the shipped real sources and keep the database and archive
    in the current directory.
    """
    if path is None:
        candidate = Path(DEFAULT_CONFIG_NAME)
        if not candidate.exists():
            return config_from_dict({"rightswatch": {"sources_file": str(PACKAGED_SOURCES)}})
        path = candidate
    return config_from_dict(_read_toml(Path(path)), Path(path))


def config_from_dict(raw: Mapping[str, Any], path: Path | None = None) -> Config:
    where = str(path) if path else "configuration"
    base = path.parent if path else Path.cwd()
    top = raw.get("rightswatch", {})
    unknown = set(raw) - {"rightswatch", "crawl", "source", "alert", "digest", "scheduler",
                          "metric"}
    if unknown:
        raise ConfigError(f"{where}: unknown table(s) {', '.join(sorted(unknown))}")
    crawl = _crawl_settings(raw.get("crawl", {}), CrawlSettings(), f"{where} [crawl]")
    scheduler = parse_scheduler(raw.get("scheduler", {}), f"{where} [scheduler]")

    source_tables = list(raw.get("source", []))
    if top.get("sources_file"):
        extra_path = base / top["sources_file"]
        source_tables += _read_toml(extra_path).get("source", [])
    sources: list[Source] = []
    seen: set[str] = set()
    for i, table in enumerate(source_tables):
        src = parse_source(table, crawl, f"{where} [[source]] #{i + 1}", scheduler)
        if src.id in seen:
            raise ConfigError(f"{where}: source id {src.id!r} is defined twice")
        seen.add(src.id)
        sources.append(src)

    workers = top.get("extraction_workers")
    if workers is not None and (not isinstance(workers, int) or workers < 0):
        raise ConfigError(f"{where}: extraction_workers must be a non-negative integer "
                          "(0 = extract inline; leave it out for the default)")
    metrics = parse_metrics(raw.get("metric"), where, METRICS)
    from .alerts.rules import parse_rules  # alerts imports ConfigError from here

    alerts = tuple(parse_rules(list(raw.get("alert", [])), source=where,
                               metrics=(*METRICS, *(m.id for m in metrics))))
    from .alerts.digest import parse_digest

    digest = parse_digest(raw.get("digest", {}), source=where, base=base)
    archive_base_url = top.get("archive_base_url")
    if archive_base_url is not None and not isinstance(archive_base_url, str):
        raise ConfigError(f"{where}: archive_base_url must be a string")
    return Config(
        path=path,
        database=base / top.get("database", "rightswatch.db"),
        archive_dir=base / top.get("archive_dir", "archive"),
        contact=str(top.get("contact", "")),
        crawl=crawl,
        sources=tuple(sources),
        extraction_workers=workers,
        alerts=alerts,
        archive_base_url=archive_base_url,
        scheduler=scheduler,
        digest=digest,
        metrics=metrics,
    )
