"""The `rightswatch` command: a thin click layer over the package's API.

Every command opens what it needs, calls one or two functions and prints; library errors
become one-line messages (click.ClickException), never tracebacks.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import click

from . import __version__
from .config import DEFAULT_CONFIG_NAME, PACKAGED_SOURCES, Config, ConfigError, load_config
from .tables import crawl_summary, table
from .vocabulary import EVENT_TYPES


class Context:
    def __init__(self, config_path: str | None, db: str | None) -> None:
        self.config_path = config_path
        self.db = db
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            try:
                self._config = load_config(self.config_path).with_database(self.db)
            except ConfigError as exc:
                raise click.ClickException(str(exc)) from exc
        return self._config


pass_ctx = click.make_pass_decorator(Context)


class LazyGroup(click.Group):
    """A group whose heavier command groups are imported only when they are used (or listed
    by --help): `rightswatch demo` pulls in the demo world and its web server, which no other
    command needs, so they must not slow every command's start-up."""

    lazy: ClassVar[Mapping[str, tuple[str, str]]] = {"demo": ("rightswatch.demo.cli", "demo")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            import importlib

            module, attr = self.lazy[cmd_name]
            self.add_command(getattr(importlib.import_module(module), attr), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rightswatch")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help=f"Configuration file (default ./{DEFAULT_CONFIG_NAME}, else built-in defaults).")
@click.option("--db", type=click.Path(dir_okay=False), help="Database file (overrides the config).")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, db: str | None) -> None:
    """Watch human-rights sources: archive reports, extract figures, alert on changes."""
    ctx.obj = Context(config_path, db)


def json_lines(objects: Iterable[dict[str, Any]]) -> None:
    for obj in objects:
        click.echo(json.dumps(obj, ensure_ascii=False, default=str))


# -- init ------------------------------------------------------------------------------------

STARTER = """\
# rightswatch configuration.  Reference: README.md ("Configuration").

[rightswatch]
database = "rightswatch.db"
archive_dir = "archive"
# Sites see this address in the User-Agent, so they can reach you instead of blocking you.
contact = "{contact}"
# The watched sources live in their own file; add [[source]] tables here or there.
sources_file = "sources.toml"

[crawl]
# Defaults for every source; a [[source]] table may override any of them.
timeout = 30                # seconds per request
retries = 2                 # with exponential backoff
max_page_bytes = 25000000   # larger responses are abandoned
max_pages = 2000            # requests per crawl of one source
max_listing_pages = 10      # pagination depth
recheck_days = 30           # re-check reports for silent edits this long
concurrency_per_domain = 2
download_delay = 1.0        # seconds between requests to one site (AutoThrottle adapts it)

[scheduler]
# When `rightswatch run` crawls each source (a [[source]] may set its own interval or cron).
interval = "6h"             # or cron = "15 6,18 * * *"
jitter = "10m"              # each run starts up to this much later
timezone = "UTC"            # for cron lines, e.g. "Europe/Kyiv"

# The weekly digest (Monday 08:00 by default); secrets only as ${{ENV}} references.
# [digest]
# to = ["team@example.org"]
# from = "rightswatch <rightswatch@example.org>"
# smtp_url = "smtp://rightswatch:${{SMTP_PASSWORD}}@mail.example.org:587"
# day_of_week = "mon"
# time = "08:00"
# timezone = "Europe/Kyiv"

# Alerts as they happen: see README.md ("Alerts").
# [[alert]]
# name = "crimea-team"
# channel = "email"
# to = ["analyst@example.org"]
# from = "rightswatch <rightswatch@example.org>"
# smtp_url = "smtp://rightswatch:${{SMTP_PASSWORD}}@mail.example.org:587"
# events = ["figure.new", "figure.changed", "report.removed", "source.*"]
# regions = ["crimea"]
"""


@cli.command()
@click.option("--contact", default="monitor@example.org", show_default=True,
              help="Contact address sent in the User-Agent.")
@click.option("--force", is_flag=True, help="Overwrite existing files.")
@click.argument("directory", default=".", type=click.Path(file_okay=False))
def init(contact: str, force: bool, directory: str) -> None:
    """Write a starter rightswatch.toml and sources.toml into DIRECTORY."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    config, sources = target / DEFAULT_CONFIG_NAME, target / "sources.toml"
    for path in (config, sources):
        if path.exists() and not force:
            raise click.ClickException(f"{path} exists (use --force to overwrite)")
    config.write_text(STARTER.format(contact=contact), encoding="utf-8")
    shutil.copyfile(PACKAGED_SOURCES, sources)
    click.echo(f"wrote {config} and {sources}; review the sources, then: rightswatch crawl")


# -- crawl -----------------------------------------------------------------------------------

@cli.command()
@click.argument("sources", nargs=-1)
@click.option("--timeout", type=float, default=None,
              help="Stop the crawl after this many seconds (default: per-source limits).")
@click.option("--quiet", "-q", is_flag=True, help="No progress lines, only the summary.")
@pass_ctx
def crawl(ctx: Context, sources: tuple[str, ...], timeout: float | None, quiet: bool) -> None:
    """Run one crawl cycle now (every enabled source, or the SOURCES named)."""
    from .crawler import run_crawl

    try:
        result = run_crawl(ctx.config, sources, timeout=timeout, quiet=quiet)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(crawl_summary(result.crawls))
    for sid in result.busy:
        click.echo(f"{sid}: skipped, another process (the scheduler?) is crawling it now")
    if result.timed_out:
        raise click.ClickException(f"crawl stopped after --timeout {timeout:g}s")
    if result.returncode != 0:
        raise click.ClickException(f"crawl process exited with status {result.returncode}")


# -- sources ---------------------------------------------------------------------------------

@cli.command("sources")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_ctx
def sources_cmd(ctx: Context, as_json: bool) -> None:
    """Configured sources, their last crawl and their next one.

    The next crawl is the one `rightswatch run` has planned while it runs; otherwise the
    time the source is due by its schedule (marked `*`).
    """
    from .db import Store, open_db
    from .db import schedule as state
    from .scheduler import planned_next_crawls

    config = ctx.config
    last: dict[str, dict] = {}
    jobs: dict[str, dict] = {}
    starts: dict[str, str] = {}
    if config.database.exists():
        store = Store(open_db(config.database))
        try:
            last = store.last_crawls()
            jobs = state.jobs(store.db)
            starts = state.last_crawl_starts(store.db)
        finally:
            store.close()
    upcoming = planned_next_crawls(config, starts, jobs)
    records: list[dict[str, Any]] = []
    for s in config.sources:
        c = last.get(s.id, {})
        records.append({
            "id": s.id, "name": s.name, "enabled": s.enabled, "unverified": s.unverified,
            "discovery": {"feeds": len(s.feed_urls), "sitemaps": len(s.sitemap_urls),
                          "listings": len(s.listing_urls)},
            "schedule": s.schedule.describe(),
            "last_crawl": {k: c.get(k) for k in (
                "started_at", "finished_at", "status", "pages_new", "pages_changed",
                "pages_unchanged", "pages_removed", "pages_failed", "articles_found",
                "error")} if c else None,
            "next_crawl": upcoming.get(s.id),
        })
    if as_json:
        json_lines(records)
        return
    rows = []
    for r in records:
        c = r["last_crawl"] or {}
        flags = ("" if r["enabled"] else "disabled ") + ("unverified" if r["unverified"] else "")
        nxt = r["next_crawl"]
        when = "" if nxt is None else (nxt["at"] or "now") + ("" if nxt["scheduled"] else "*")
        rows.append([r["id"], flags.strip(), c.get("started_at", "never"), c.get("status"),
                     c.get("pages_new"), c.get("pages_changed"), c.get("pages_failed"), when,
                     (c.get("error") or "")[:60]])
    click.echo(table(rows, ["source", "flags", "last crawl", "status", "new", "changed",
                            "failed", "next crawl", "error"]))
    if any(r["next_crawl"] and not r["next_crawl"]["scheduled"] for r in records):
        click.echo("* due by its schedule; nothing is planned until `rightswatch run` runs")


# -- run -------------------------------------------------------------------------------------

@cli.command("run")
@click.option("--log-format", type=click.Choice(["logfmt", "json"]), default="logfmt",
              show_default=True, help="One line per job event, as key=value pairs or JSON.")
@pass_ctx
def run_cmd(ctx: Context, log_format: str) -> None:
    """Run the scheduler (crawls, alerts, weekly digest) until SIGTERM or Ctrl-C."""
    from .scheduler import run

    sys.exit(run(ctx.config, log_format=log_format))


# -- archive ---------------------------------------------------------------------------------

@cli.group()
def archive() -> None:
    """The WARC archive of every fetched response."""


@archive.command("verify")
@pass_ctx
def archive_verify(ctx: Context) -> None:
    """Re-read every archived record and compare its SHA-256 with the database."""
    from .archive import verify
    from .db import Store, open_db

    config = ctx.config
    if not config.database.exists():
        raise click.ClickException(f"no database at {config.database}")
    store = Store(open_db(config.database))
    try:
        records = store.archive_records()
    finally:
        store.close()
    mismatches = verify(config.archive_dir, ((r["id"], r["warc_file"], r["warc_offset"],
                                              r["sha256"]) for r in records))
    for m in mismatches:
        click.echo(f"MISMATCH snapshot {m.key}: {m.filename}@{m.offset}: {m.reason}", err=True)
    click.echo(f"{len(records)} records checked, {len(mismatches)} mismatches")
    if mismatches:
        sys.exit(1)


# -- figures ---------------------------------------------------------------------------------

@cli.group()
def figures() -> None:
    """Figures (counts with their metric, region, period and source) in reports."""


@figures.command("extract")
@click.option("--lang", type=click.Choice(["en", "uk", "ru"]),
              help="Language of the texts (default: the document's, else detected).")
@click.option("--json", "as_json", is_flag=True,
              help="One JSON object per figure per line: path plus every Figure field.")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_ctx
def figures_extract(obj: Context, lang: str | None, as_json: bool, paths: tuple[Path, ...]
                    ) -> None:
    """Figures in .txt, .html and .pdf files (offsets index the text each was read as)."""
    from .extraction import ExtractionError, document_from_file
    from .figures import extract_figures

    metrics = obj.config.metrics
    rows = []
    failed = False
    for path in paths:
        try:
            doc = document_from_file(path)
        except (ExtractionError, OSError) as exc:
            click.echo(f"error: {exc}", err=True)
            failed = True
            continue
        for fig in extract_figures(doc.text, lang or doc.lang, title=doc.title,
                                   metrics=metrics):
            record = {"path": str(path), **fig.to_dict()}
            if as_json:
                click.echo(json.dumps(record, ensure_ascii=False))
            else:
                value = f"{fig.value}%" if fig.unit == "percent" else (
                    f"{fig.value} {fig.unit}" if fig.unit != "count" else fig.value)
                rows.append([path.name, value, fig.qualifier,
                             fig.metric or (f"({fig.what})" if fig.what else ""),
                             fig.region, fig.period, fig.source,
                             "part" if fig.part else "", fig.text])
    if not as_json:
        click.echo(table(rows, ["file", "value", "qualifier", "metric (what)", "region",
                                "period", "source", "part", "text"]))
    if failed:
        sys.exit(1)


@figures.command("reanalyse")
@click.option("--source", "source_id", help="Only the reports of this source.")
@pass_ctx
def figures_reanalyse(obj: Context, source_id: str | None) -> None:
    """Re-run the figure extractor over every stored report text.

    Figures and their series are rebuilt from the texts, oldest report first, with the
    extractor and lexicons of today (and your [[metric]] tables); no event is created, so
    nothing old is sent again as news.  Run it after an upgrade or a lexicon change.
    """
    from .db import Store, open_db
    from .pipelines.reanalyse import reanalyse

    config = obj.config
    store = Store(open_db(config.database))
    try:
        done = reanalyse(store, config, source_id=source_id,
                         progress=lambda n, total: click.echo(f"  {n}/{total} reports", err=True)
                         if n % 200 == 0 else None)
    finally:
        store.close()
    click.echo(f"reanalysed {done.reports} report versions: {done.figures} figures "
               f"({done.before} before), {done.series} series; no events created")


# -- ingest, series, events -------------------------------------------------------------------



def parse_since(value: str) -> str:
    """'7d', '12h', '30m' or an ISO date/datetime -> the ISO UTC moment it means."""
    from datetime import UTC, datetime, timedelta

    from .db.store import iso, parse_moment

    units = {"d": "days", "h": "hours", "m": "minutes", "w": "weeks"}
    if value[:-1].isdigit() and value[-1:] in units:
        return iso(datetime.now(UTC) - timedelta(**{units[value[-1]]: int(value[:-1])}))
    when = parse_moment(value)
    if when is None:
        raise click.BadParameter(f"{value!r}: use 7d, 12h, 30m or a date like 2026-11-01")
    return iso(when)


@cli.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", "source_id", required=True,
              help="Source id (an unknown id becomes a manual source).")
@click.option("--url", help="Where the report was published (default: the file's URI).")
@click.option("--published", help="Publication date, e.g. 2026-11-04.")
@pass_ctx
def ingest(ctx: Context, path: Path, source_id: str, url: str | None,
           published: str | None) -> None:
    """A report received outside a crawl, through the same archive → store pipeline."""
    from .config import _ID_RE
    from .extraction import ExtractionError
    from .ingest import ingest_file

    if not _ID_RE.match(source_id):
        raise click.BadParameter("lowercase letters, digits, '-' or '_'", param_hint="--source")
    try:
        result = ingest_file(ctx.config, path, source_id, url=url, published=published)
    except (ExtractionError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{result.url}: {result.outcome}, {result.figures} figures, "
               f"{len(result.events)} new events")
    for event in result.events:
        click.echo(f"  {describe_event(event)}")


def describe_event(event: dict[str, Any]) -> str:
    """One line a monitor can read: what happened, where, and by how much."""
    fig = event.get("figure")
    flag = " (backfill)" if event.get("backfill") else ""
    if fig:
        from .alerts.render import figure_label, value_text

        where = ", ".join(p for p in (figure_label(fig), fig.get("region"), fig.get("period"))
                          if p)
        change = (f"{value_text(fig, fig['previous_value'])} → {value_text(fig, fig['value'])}"
                  f" ({fig['delta']:+g})" if fig.get("previous_value") is not None
                  else value_text(fig, fig["value"]))
        return f"{event['type']}{flag} {event['source']['id']}: {where}: {change}"
    report = event.get("report") or {}
    return f"{event['type']}{flag} {event['source']['id']}: {report.get('title') or ''} " \
           f"<{report.get('url')}>"


@cli.command()
@click.option("--metric", help="Only this metric (e.g. criminal_cases).")
@click.option("--region", help="Only this region (e.g. crimea).")
@click.option("--source", help="Only this source id or organisation.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_ctx
def series(ctx: Context, metric: str | None, region: str | None, source: str | None,
           as_json: bool) -> None:
    """Figure series, oldest first: value, qualifier, date, report, source."""
    from .changes import Observation, SeriesKey, series_history_rows
    from .db import Store, open_db

    store = Store(open_db(ctx.config.database))
    try:
        rows = store.figure_observations(metric=metric, region=region, source=source)
    finally:
        store.close()
    observations = [Observation(figure=r, series=SeriesKey.from_id(r["series_id"]),
                                snapshot_id=r["snapshot_id"], page_url=r["url"],
                                source_id=r["source_id"], published_at=r["published_at"],
                                fetched_at=r["fetched_at"], title=r["title"]) for r in rows]
    history = series_history_rows(observations)
    if as_json:
        json_lines(history)
        return
    current = None
    for row in history:
        if row["series"] != current:
            current = row["series"]
            click.echo(click.style(f"\n{row['source']} · {row['metric']}, "
                                   f"{row['region'] or 'no region'}, {row['period_key']}",
                                   bold=True))
        delta = "" if row["delta"] is None else f" ({row['delta']:+g})"
        click.echo(f"  {(row['published_at'] or row['fetched_at'])[:10]}  "
                   f"{row['value']:>10g}{delta:10} {row['qualifier']:9} {row['url']}")


@cli.command()
@click.option("--since", default="7d", show_default=True, help="7d, 12h, 30m or a date.")
@click.option("--type", "types", multiple=True, type=click.Choice(EVENT_TYPES),
              help="Only these event types (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="One event (design.md's JSON) per line.")
@pass_ctx
def events(ctx: Context, since: str, types: tuple[str, ...], as_json: bool) -> None:
    """Events (new and edited reports, figure changes, source health), oldest first."""
    from .db import Store, open_db

    store = Store(open_db(ctx.config.database))
    try:
        found = store.events(since=parse_since(since), types=types)
    finally:
        store.close()
    if as_json:
        json_lines(found)
        return
    for event in found:
        click.echo(f"{event['created_at']}  {describe_event(event)}")


# -- alerts ----------------------------------------------------------------------------------

@cli.group()
def alerts() -> None:
    """Alert rules, the outbox of deliveries, and sending."""


@alerts.command("test")
@click.argument("rule")
@pass_ctx
def alerts_test(ctx: Context, rule: str) -> None:
    """Send a test message through RULE and report what really happened."""
    from .alerts import AlertError, test

    try:
        outcome = test(rule, ctx.config.alerts)
    except AlertError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(str(outcome))
    if not outcome.ok:
        sys.exit(1)


@alerts.command("status")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_ctx
def alerts_status(ctx: Context, as_json: bool) -> None:
    """Deliveries not yet sent: pending, sending, failed, disabled."""
    from .alerts import status

    rows = status(ctx.config.database)
    if as_json:
        json_lines(rows)
        return
    click.echo(table([[r.get("id"), r.get("state") or r.get("status"), r.get("rule"), r.get("channel"),
                       r.get("event_type") or "", r.get("attempts"), r.get("next_attempt_at"),
                       (r.get("last_error") or "")[:60]] for r in rows],
                     ["delivery", "status", "rule", "channel", "about", "attempts",
                      "next attempt", "last error"]))


@alerts.command("retry")
@click.argument("ids", nargs=-1)
@pass_ctx
def alerts_retry(ctx: Context, ids: tuple[str, ...]) -> None:
    """Re-queue the deliveries IDS (default: every failed one)."""
    from .alerts import AlertError, retry

    try:
        count = retry(ctx.config.database, ids)
    except AlertError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{count} deliveries re-queued")


@alerts.command("dispatch")
@pass_ctx
def alerts_dispatch(ctx: Context) -> None:
    """Send what is due now (the scheduler does this every minute)."""
    from .alerts.dispatch import Dispatcher

    config = ctx.config
    report = Dispatcher(config.database, config.alerts,
                        archive_base_url=config.archive_base_url,
                        digest=config.digest).run_once()
    click.echo(f"{report.sent} delivered ({report.messages} messages), {report.retried} to "
               f"retry, {report.failed} failed, {report.disabled} disabled")
    for error in report.errors:
        click.echo(f"  {error}", err=True)


# -- feed, serve ------------------------------------------------------------------------------

@cli.command()
@click.option("--since", default="30d", show_default=True, help="30d, 12h, 30m or a date.")
@click.option("--type", "types", multiple=True, type=click.Choice(EVENT_TYPES),
              help="Only these event types (repeatable).")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The Atom file to write (replaced atomically).")
@click.option("--self-url", help="The URL the feed is published at (its rel=self link).")
@click.option("--include-backfill", is_flag=True,
              help="Also include backfill events (a source's first crawl, old reports).")
@pass_ctx
def feed(ctx: Context, since: str, types: tuple[str, ...], out: Path, self_url: str | None,
         include_backfill: bool) -> None:
    """Write an Atom feed of events (newest first) that any feed reader can follow."""
    from .alerts.render import safe_url
    from .feed import export_feed

    if self_url is not None and safe_url(self_url) is None:
        raise click.BadParameter("an http(s) URL", param_hint="--self-url")
    config = ctx.config
    if not config.database.exists():
        raise click.ClickException(f"no database at {config.database}: run `rightswatch "
                                   "crawl` or `rightswatch demo` first")
    try:
        count = export_feed(config.database, out, since=parse_since(since), types=types,
                            self_url=self_url, archive_base_url=config.archive_base_url,
                            include_backfill=include_backfill)
    except OSError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"wrote {count} entries to {out}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (keep it loopback: the database is unpublished "
                   "research).")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(1, 65535),
              help="Port to listen on.")
@click.option("--open", "open_browser", is_flag=True, help="Open the browser on it.")
@click.option("--metadata-out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also keep the generated Datasette metadata in this file.")
@pass_ctx
def serve(ctx: Context, host: str, port: int, open_browser: bool,
          metadata_out: Path | None) -> None:
    """Browse the database in Datasette (tables explained, canned queries, search)."""
    import signal

    from .browse import BrowseError
    from .browse import serve as run_datasette

    try:
        status = run_datasette(ctx.config.database, host=host, port=port,
                               open_browser=open_browser, metadata_out=metadata_out,
                               echo=click.echo)
    except (BrowseError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    if status not in (0, -signal.SIGTERM, -signal.SIGINT):
        raise click.ClickException(f"datasette exited with status {status}")


# -- digest ----------------------------------------------------------------------------------

@cli.command()
@click.option("--since", default="7d", show_default=True,
              help="Start of the period: 7d, 12h, 30m or a date (the period ends now).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Write index.html, digest.txt and the chart PNGs into this directory.")
@click.option("--send", is_flag=True,
              help="Queue the digest for the [digest] recipients (the dispatcher sends it).")
@pass_ctx
def digest(ctx: Context, since: str, out: Path | None, send: bool) -> None:
    """The digest of a period: new reports, figure changes with charts, new series, health.

    Without --out or --send it prints the plain-text digest.
    """
    from datetime import UTC, datetime, timedelta

    from .alerts.digest import DigestError, make_digest, summary_line
    from .alerts.errors import AlertError
    from .db.store import parse_ts

    config = ctx.config
    if not config.database.exists():
        raise click.ClickException(f"no database at {config.database}: run `rightswatch "
                                   "crawl` or `rightswatch demo` first")
    if send and not config.digest.recipients:
        raise click.ClickException(
            "--send: the digest has no recipients; add `to = [\"you@example.org\"]` and "
            f"smtp_url to the [digest] table of {config.path or DEFAULT_CONFIG_NAME}")
    start = parse_ts(parse_since(since))
    # Stored times have whole seconds and the period excludes its end: round up, so that an
    # event stored in this very second is in the digest.
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    try:
        result = make_digest(config, since=start, until=until, out=out, send=send)
    except (DigestError, AlertError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    if out is None and not send:
        click.echo(result.text, nl=False)
        return
    counts = result.counts
    click.echo(f"digest {result.id}: {result.period_start} → {result.period_end}")
    click.echo(f"  {summary_line(counts)}; {counts['crawls']} crawls ran in the period")
    if result.index_path is not None:
        click.echo(f"  wrote {result.index_path}, {result.text_path} and "
                   f"{len(result.chart_paths)} charts")
    if send:
        if result.delivery_ids:
            click.echo(f"  queued {len(result.delivery_ids)} deliveries (sent by "
                       "`rightswatch alerts dispatch` or the scheduler):")
            for delivery in result.delivery_ids:
                click.echo(f"    {delivery}")
        if result.existing_delivery_ids:
            click.echo(f"  already queued for this period, not queued again: "
                       f"{', '.join(result.existing_delivery_ids)}")


def main() -> None:
    cli(prog_name="rightswatch")


if __name__ == "__main__":
    main()
