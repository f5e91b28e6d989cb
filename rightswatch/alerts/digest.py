"""The weekly digest: a period's news in one email, with a small chart per changed series.

Alerts say "this just happened"; the digest answers "what changed this week, and is the
monitor still seeing?".  It has four sections, always present so that a quiet week reads as
quiet and not as broken:

* **New reports**, per source: title, date, link, archived copy (edits and removals below);
* **Figure changes**, grouped by metric and region, then by series: previous → new, the
  sentence it came from, and a chart of the series (value over time, the new points marked);
* **New series**: the first value ever seen of a series;
* **Source health**: failing/recovered transitions, sources still failing, and how many
  crawls ran (none at all means the scheduler is not running).

The pieces, from data to mailbox::

    build_digest(db, since, until)   -> DigestContent   (queries through db.digests)
    render_digest(content)           -> RenderedDigest  (Jinja2 HTML + text, PNG charts)
    make_digest(config, ...)         -> DigestResult    (files with --out; stored + queued
                                                         deliveries with --send)
    digest_message(stored, ...)      -> EmailMessage    (what the dispatcher sends)

A digest to be sent is stored once (HTML, text, PNGs) with its deliveries in one
transaction; the dispatcher sends it through the outbox like any alert, so the same
guarantees hold (claims, backoff, nothing lost) and a retry sends the very same message.

`[digest]` in rightswatch.toml takes the keys of an email `[[alert]]` rule (to, from,
smtp_url or smtp_host/…, timeout, archive_base_url; secrets as `${ENV}` references) plus the
schedule the scheduler reads: `day_of_week`, `time`, `timezone`, `period_days`, and
`out_dir` (where scheduled digests are also written as files).
"""

from __future__ import annotations

import hashlib
import io
import math
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..changes.periods import describe_period_key
from ..config import ConfigError, check_timezone
from ..db import Database, digests, open_db
from ..db.store import iso, parse_moment
from .errors import AlertError, RuleError
from .render import (
    _HTML,
    _TEXT,
    QUALIFIER_LABELS,
    REGION_LABELS,
    SUBJECT_MAX,
    event_view,
    figure_label,
    fold_translations,
    metric_label,
    number,
    oneline,
)
from .rules import METRICS, Rule, SmtpSettings, Target, parse_rules

if TYPE_CHECKING:
    import sqlite3

    from ..config import Config

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_NAMES = {name: name[:3] for name in ("monday", "tuesday", "wednesday", "thursday",
                                              "friday", "saturday", "sunday")}
_RULE_KEYS = {"to", "from", "smtp_url", "smtp_host", "smtp_port", "smtp_security", "smtp_user",
              "smtp_password", "timeout", "archive_base_url"}
_SERVER_KEYS = _RULE_KEYS - {"to", "archive_base_url"}
_SCHEDULE_KEYS = {"day_of_week", "time", "timezone", "period_days", "out_dir"}
_TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_SLUG_RE = re.compile(r"[^a-z0-9_]+")
DIGEST_RULE = "digest"
CHART_SIZE = (480, 200)  # pixels


class DigestError(AlertError):
    """A digest cannot be made or sent as asked (e.g. `--send` without recipients)."""


# -- settings ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestSettings:
    """The `[digest]` table: who receives the digest, through which server, and when.

    `rule` is an email `Rule` named "digest" built by the alert rule parser (same
    validation, same `${ENV}` secrets), or None when the table names no recipients: digests
    can then still be written to files with `--out`.  `out_dir`: where the scheduler also
    writes each digest (a sub-directory per period end date), relative to the config file.
    """

    rule: Rule | None = None
    day_of_week: str = "mon"
    time: str = "08:00"
    timezone: str = "UTC"
    period_days: float = 7.0
    out_dir: Path | None = None

    @property
    def recipients(self) -> tuple[Target, ...]:
        return self.rule.targets if self.rule is not None else ()

    @property
    def smtp(self) -> SmtpSettings | None:
        return self.rule.smtp if self.rule is not None else None

    @property
    def archive_base_url(self) -> str | None:
        return self.rule.archive_base_url if self.rule is not None else None

    @property
    def hour(self) -> int:
        return int(self.time.partition(":")[0])

    @property
    def minute(self) -> int:
        return int(self.time.partition(":")[2])

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def period(self) -> timedelta:
        return timedelta(days=self.period_days)


def parse_digest(raw: Mapping[str, Any] | None, env: Mapping[str, str] | None = None, *,
                 source: str | None = None, base: Path | None = None) -> DigestSettings:
    """Validate the `[digest]` table; raise `ConfigError` naming the file and the key.

    *base* is the directory relative paths (`out_dir`) are taken from: the config file's.
    """
    where = f"{source}: [digest]" if source else "[digest]"
    if raw is None:
        return DigestSettings()
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: must be a table")
    unknown = set(raw) - _RULE_KEYS - _SCHEDULE_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} (known: "
                          f"{', '.join(sorted(_RULE_KEYS | _SCHEDULE_KEYS))})")
    recipients = raw.get("to")
    has_recipients = bool(recipients) if isinstance(recipients, list | str) else \
        recipients is not None
    rule = None
    if has_recipients or set(raw) & _SERVER_KEYS:
        table = {k: v for k, v in raw.items() if k in _RULE_KEYS}
        if not has_recipients:
            # Nobody receives it yet; still check the server settings now, so a typo shows
            # at load time rather than on the day someone adds an address.
            table["to"] = ["nobody@rightswatch.invalid"]
        table.update(name=DIGEST_RULE, channel="email")
        prefix = f"{source}: " if source else ""
        try:
            (parsed,) = parse_rules([table], env)
        except RuleError as exc:
            message = str(exc).replace(f"[[alert]] {DIGEST_RULE!r}", where.removeprefix(prefix),
                                       1).replace("an email rule needs", "the digest needs")
            raise RuleError(prefix + message) from None
        rule = parsed if has_recipients else None

    day = raw.get("day_of_week", "mon")
    if not isinstance(day, str) or not day.strip():
        raise ConfigError(f"{where}: day_of_week must be a day such as \"mon\"")
    days = []
    for part in day.lower().replace(" ", "").split(","):
        part = _WEEKDAY_NAMES.get(part, part)
        if part not in WEEKDAYS:
            raise ConfigError(f"{where}: day_of_week: {part!r} is not one of "
                              f"{', '.join(WEEKDAYS)}")
        days.append(part)
    time = raw.get("time", "08:00")
    match = _TIME_RE.match(time) if isinstance(time, str) else None
    if match is None:
        raise ConfigError(f"{where}: time must be HH:MM (24-hour), not {time!r}")
    timezone = check_timezone(raw.get("timezone", "UTC"), f"{where}: timezone")
    period = raw.get("period_days", 7)
    if isinstance(period, bool) or not isinstance(period, int | float) or \
            not math.isfinite(period) or period <= 0:
        raise ConfigError(f"{where}: period_days must be a positive number, not {period!r}")
    out_dir = raw.get("out_dir")
    if out_dir is not None and (not isinstance(out_dir, str) or not out_dir.strip()):
        raise ConfigError(f"{where}: out_dir must be a directory name")
    return DigestSettings(rule=rule, day_of_week=",".join(dict.fromkeys(days)),
                          time=f"{int(match.group(1)):02d}:{match.group(2)}",
                          timezone=timezone, period_days=float(period),
                          out_dir=(base or Path.cwd()) / out_dir if out_dir else None)


# -- content -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartSpec:
    """One series to draw: its points (oldest first) and which of them are new."""

    name: str
    title: str
    points: tuple[tuple[datetime, float], ...]
    highlight: frozenset[int] = frozenset()


@dataclass
class DigestContent:
    """A digest as plain data: what the templates render and the charts draw."""

    id: str
    period_start: datetime
    period_end: datetime
    timezone: str
    reports: list[dict[str, Any]] = field(default_factory=list)         # per source
    report_updates: list[dict[str, Any]] = field(default_factory=list)  # edited / removed
    changes: list[dict[str, Any]] = field(default_factory=list)         # per metric+region
    new_series: list[dict[str, Any]] = field(default_factory=list)
    health: list[dict[str, Any]] = field(default_factory=list)
    crawls: dict[str, int] = field(default_factory=dict)
    charts: list[ChartSpec] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """How many items each section holds (stored as the digest's summary)."""
        series = [s for g in self.changes for s in g["series"]]
        return {
            "reports": sum(len(g["entries"]) for g in self.reports),
            "report_updates": len(self.report_updates),
            "figure_changes": sum(len(s["changes"]) for s in series),
            "changed_series": len(series),
            "new_series": len(self.new_series),
            "health": len(self.health),
            "charts": len(self.charts),
            "crawls": self.crawls.get("crawls", 0),
            "failed_crawls": self.crawls.get("failed", 0),
        }

    @property
    def empty(self) -> bool:
        """Nothing new: no reports, no changes, no new series, no health news."""
        return _nothing_new(self.counts)


def _nothing_new(counts: Mapping[str, int]) -> bool:
    """Whether a digest's section counts hold no news (crawl counts are not news)."""
    return not any(counts.get(k) for k in ("reports", "report_updates", "figure_changes",
                                           "new_series", "health"))


def _slug(text: Any) -> str:
    return _SLUG_RE.sub("-", str(text or "none").lower()).strip("-")[:40] or "none"


def _region_label(region: Any) -> str:
    return REGION_LABELS.get(str(region), str(region)) if region else "no region"


def _date(text: Any) -> str:
    moment = parse_moment(text)
    if moment is None:
        return oneline(text)
    return moment.strftime("%Y-%m-%d")


def _series_facts(figure: Mapping[str, Any]) -> tuple[str, str, str]:
    """(series id, organisation, period) of an event's figure, tolerating older payloads."""
    sid = figure.get("series")
    parts = str(sid).split("|", 3) if isinstance(sid, str) else []
    organisation = figure.get("organisation") or (parts[3] if len(parts) == 4 else "")
    period = figure.get("period") or describe_period_key(parts[2] if len(parts) == 4 else "")
    if not isinstance(sid, str) or not sid:
        sid = "|".join(str(figure.get(k) or "-") for k in ("metric", "region", "period"))
        sid += "|" + str(organisation)
    return sid, oneline(organisation), oneline(period)


def _item(event: Mapping[str, Any], base: str | None,
          locations: Mapping[int, tuple[str, int | None]]) -> dict[str, Any]:
    """event_view plus what the digest shows besides: dates, previous → new."""
    view = event_view(event, archive_base_url=base,
                      archive_lookup=lambda sid: locations.get(int(sid)))
    figure = event.get("figure") if isinstance(event.get("figure"), Mapping) else {}
    view["published_date"] = _date(view["published_at"]) if view["published_at"] else ""
    view["created_date"] = _date(view["created_at"])
    if figure:
        previous = figure.get("previous_value")
        value = figure.get("value")
        view["change"] = (f"{number(previous)} → {number(value)}" if previous is not None
                          else number(value))
        view["qualifier"] = QUALIFIER_LABELS.get(str(figure.get("qualifier") or ""), "").strip()
        view["previous_date"] = _date(figure.get("previous_published_at")) \
            if figure.get("previous_published_at") else ""
    return view


def build_digest(db: Database | sqlite3.Connection, *, since: datetime, until: datetime,
                 archive_base_url: str | None = None, timezone: str = "UTC") -> DigestContent:
    """Collect the digest of [since, until) from the database into plain data.

    Only reads; charts are described (`ChartSpec`), not drawn, so building stays cheap and
    testable without matplotlib.
    """
    start, end = iso(since), iso(until)
    events = digests.period_events(db, start, end)
    names = digests.source_names(db)
    failing = digests.failing_sources(db, end)
    snapshot_ids = [e["report"]["snapshot_id"] for e in events
                    if isinstance(e.get("report"), Mapping)
                    and isinstance(e["report"].get("snapshot_id"), int)]
    locations = digests.archive_locations(db, snapshot_ids)
    for event in (*events, *failing):
        raw_source = event.get("source")
        source: Mapping[str, Any] = raw_source if isinstance(raw_source, Mapping) else {}
        sid = source.get("id")
        if sid in names and (not source.get("name") or source.get("name") == sid):
            event["source"] = {**source, "name": names[sid]}
    content = DigestContent(id=digests.digest_id(start, end), period_start=parse_moment(start)
                            or since, period_end=parse_moment(end) or until,
                            timezone=timezone)

    def item(event: Mapping[str, Any]) -> dict[str, Any]:
        return _item(event, archive_base_url, locations)

    # New reports per source; edits and removals listed after them.
    per_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        if event["type"] == "report.new":
            view = item(event)
            per_source[view["source_name"] or "unknown source"].append(view)
        elif event["type"] in ("report.edited", "report.removed"):
            content.report_updates.append(item(event))
    for source_name in sorted(per_source, key=str.casefold):
        items = sorted(fold_translations(per_source[source_name]),
                       key=lambda v: (v["published_at"] or v["created_at"]), reverse=True)
        content.reports.append({"source": source_name, "entries": items})

    # Figure changes: metric + region, then series, then the changes in order.
    groups: dict[tuple[str, str], dict[str, list[tuple[Mapping[str, Any], dict[str, Any]]]]] = \
        defaultdict(lambda: defaultdict(list))
    for event in events:
        figure = event.get("figure")
        if event["type"] != "figure.changed" or not isinstance(figure, Mapping):
            continue
        key = (figure_label(figure, "other figures"), str(figure.get("region") or ""))
        groups[key][_series_facts(figure)[0]].append((event, item(event)))
    order = {metric_label(m): i for i, m in enumerate(METRICS)}
    series_ids = [sid for g in groups.values() for sid in g]
    history = digests.series_observations(db, [s for s in series_ids if s.count("|") >= 3], end)
    for metric, region in sorted(groups, key=lambda k: (order.get(k[0], len(order)), k)):
        group: dict[str, Any] = {"metric": metric,
                                 "region": _region_label(region) if region else "",
                                 "label": metric[:1].upper() + metric[1:]
                                 + (f" · {_region_label(region)}" if region else ""),
                                 "series": []}
        by_series = groups[(metric, region)]
        for sid in sorted(by_series, key=lambda s: _series_facts(by_series[s][0][0]["figure"])):
            pairs = by_series[sid]
            _, organisation, period = _series_facts(pairs[-1][0]["figure"])
            name = f"chart-{len(content.charts) + 1}-{_slug(metric)}-{_slug(region)}.png"
            spec = _chart_spec(name, [e for e, _ in pairs], history.get(sid, []),
                               title=" · ".join(p for p in (
                                   metric, _region_label(region) if region else "",
                                   period) if p))
            if spec is not None:
                content.charts.append(spec)
            group["series"].append({
                "id": sid,
                "organisation": organisation,
                "period": period,
                "chart": spec.name if spec else None,
                "chart_alt": _chart_alt(spec) if spec else "",
                "history": _history_text(spec) if spec else "",
                "changes": [v for _, v in pairs],
            })
        content.changes.append(group)

    firsts = [e for e in events if e["type"] == "figure.new" and isinstance(e.get("figure"),
                                                                             Mapping)]
    firsts.sort(key=lambda e: (order.get(figure_label(e["figure"]), len(order)),
                               str(e["figure"].get("region") or ""), str(e["created_at"])))
    content.new_series = [item(e) for e in firsts]

    in_period = set()
    for event in events:
        if event["type"] in digests.HEALTH_TYPES:
            view = item(event)
            view["state"] = "failing" if event["type"] == "source.failing" else "recovered"
            content.health.append(view)
            in_period.add(event["id"])
    for event in failing:
        if event["id"] not in in_period:
            view = item(event)
            view["state"] = "still failing"
            content.health.append(view)

    per_source_crawls = digests.crawl_counts(db, start, end)
    content.crawls = {
        "sources": len(per_source_crawls),
        "crawls": sum(c["crawls"] for c in per_source_crawls.values()),
        "failed": sum(c["failed"] for c in per_source_crawls.values()),
    }
    return content


def _chart_spec(name: str, events: Sequence[Mapping[str, Any]],
                rows: Sequence[Mapping[str, Any]], *, title: str) -> ChartSpec | None:
    """The points of a changed series: its stored history (one headline value per report),
    or, when the history is gone, the previous → new values the events carry."""
    new_snapshots = {(e.get("report") or {}).get("snapshot_id") for e in events}
    points: list[tuple[datetime, float, bool]] = []
    if rows:
        from ..changes import Observation, SeriesKey, build_series

        observations = [Observation(figure=r, series=SeriesKey.from_id(r["series_id"]),
                                    snapshot_id=r["snapshot_id"], page_url=r["url"],
                                    source_id=r["source_id"], published_at=r["published_at"],
                                    fetched_at=r["fetched_at"], title=r["title"])
                        for r in rows]
        for series in build_series(observations).values():
            for o in series:
                moment = parse_moment(o.published_at) or parse_moment(o.fetched_at)
                if moment is not None:
                    points.append((moment, float(o.value), o.snapshot_id in new_snapshots))
    if len(points) < 2:
        points = []
        for event in events:
            figure = event.get("figure") or {}
            when = parse_moment((event.get("report") or {}).get("published_at")) or \
                parse_moment(event.get("created_at"))
            before = parse_moment(figure.get("previous_published_at"))
            if figure.get("previous_value") is not None and before is not None:
                points.append((before, float(figure["previous_value"]), False))
            if when is not None and figure.get("value") is not None:
                points.append((when, float(figure["value"]), True))
        points = sorted(dict(((p[0], p[1]), p) for p in points).values(), key=lambda p: p[0])
    if not points:
        return None
    return ChartSpec(name=name, title=oneline(title, 70),
                     points=tuple((when, value) for when, value, _ in points),
                     highlight=frozenset(i for i, p in enumerate(points) if p[2]))


def _history_text(spec: ChartSpec) -> str:
    return " → ".join(f"{number(v)} ({w:%Y-%m-%d})" for w, v in spec.points[-8:])


def _chart_alt(spec: ChartSpec) -> str:
    values = " → ".join(number(v) for _, v in spec.points[-8:])
    return oneline(f"Chart: {spec.title}: {values}", 200)


# -- charts ------------------------------------------------------------------------------------


def draw_chart(spec: ChartSpec) -> bytes:
    """A small PNG (480×200) of a series: value over time, the new points in red.

    matplotlib is imported here, not at module level, so `rightswatch --help` stays fast;
    the object-oriented API with an explicit Agg canvas touches no global pyplot state, so
    charts may be drawn from the scheduler's worker threads.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    width, height = CHART_SIZE
    fig = Figure(figsize=(width / 100, height / 100), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    xs = [float(date2num(when.replace(tzinfo=None))) for when, _ in spec.points]
    ys = [value for _, value in spec.points]
    ax.plot(xs, ys, drawstyle="steps-post", color="#4a6fa5", linewidth=1.2)
    ax.plot(xs, ys, linestyle="none", marker="o", markersize=3, color="#4a6fa5")
    new = sorted(spec.highlight)
    if new:
        ax.plot([xs[i] for i in new], [ys[i] for i in new], linestyle="none", marker="o",
                markersize=6, color="#c0392b", zorder=3)
        last = new[-1]
        ax.annotate(number(ys[last]), (xs[last], ys[last]), textcoords="offset points",
                    xytext=(-4, 6), ha="right", fontsize=7, color="#c0392b")
    # A '$' in a period phrase must not switch matplotlib into mathtext.
    ax.set_title(spec.title.replace("$", r"\$"), fontsize=8, loc="left")
    locator = AutoDateLocator(minticks=2, maxticks=6)
    ax.xaxis_date()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: number(v)))
    ax.tick_params(labelsize=7)
    ax.xaxis.get_offset_text().set_fontsize(7)
    ax.margins(x=0.08, y=0.25)
    ax.grid(True, axis="y", color="#dddddd", linewidth=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.subplots_adjust(left=0.13, right=0.97, top=0.86, bottom=0.17)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return buffer.getvalue()


# -- rendering ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedDigest:
    """A digest ready to write or send.

    `html` is the email's HTML (charts as `cid:` references to inline parts), `html_file`
    the same page for disk (charts as PNG files beside it).
    """

    id: str
    subject: str
    html: str
    html_file: str
    text: str
    charts: dict[str, bytes]
    counts: dict[str, int]
    period_start: str
    period_end: str


def chart_cid(digest_id: str, name: str) -> str:
    """The Content-ID (without brackets) of a chart inside a digest's email.

    A short hash rather than the file name: a long Content-ID gets folded over two header
    lines, which not every mail client unfolds before matching `cid:` references.
    """
    return hashlib.sha256(f"{digest_id}/{name}".encode()).hexdigest()[:20] + "@rightswatch"


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def summary_line(counts: Mapping[str, int]) -> str:
    """'3 new reports · 2 figure changes in 1 series · …' or 'nothing new'."""
    parts = []
    if counts.get("reports"):
        parts.append(_plural(counts["reports"], "new report"))
    if counts.get("report_updates"):
        parts.append(_plural(counts["report_updates"], "edited or removed report",
                             "edited or removed reports"))
    if counts.get("figure_changes"):
        parts.append(_plural(counts["figure_changes"], "figure change")
                     + f" in {_plural(counts['changed_series'], 'series', 'series')}")
    if counts.get("new_series"):
        parts.append(_plural(counts["new_series"], "new series", "new series"))
    if counts.get("health"):
        parts.append(_plural(counts["health"], "source health notice"))
    return " · ".join(parts) or "nothing new"


def _local_period(content: DigestContent) -> tuple[datetime, datetime]:
    """The period in the digest's time zone (the readers'), falling back to UTC."""
    try:
        tz: Any = ZoneInfo(content.timezone)
    except (ValueError, ZoneInfoNotFoundError):
        tz = UTC
    return content.period_start.astimezone(tz), content.period_end.astimezone(tz)


def _period_label(content: DigestContent) -> str:
    start, end = _local_period(content)
    return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} ({content.timezone})"


def render_digest(content: DigestContent, *, charts: Mapping[str, bytes] | None = None
                  ) -> RenderedDigest:
    """Subject, email HTML, file HTML, text alternative and PNG charts of a digest.

    *charts* (name → PNG) skips drawing, e.g. when re-rendering a digest already drawn.
    """
    pngs = dict(charts) if charts is not None else {s.name: draw_chart(s)
                                                    for s in content.charts}
    counts = content.counts
    summary = summary_line(counts)
    local_start, local_end = _local_period(content)
    start_day = local_start.strftime("%Y-%m-%d")
    end_day = (local_end - timedelta(seconds=1)).strftime("%Y-%m-%d")
    days = start_day if start_day == end_day else f"{start_day} – {end_day}"
    subject = oneline(f"rightswatch digest {days}: {summary}", SUBJECT_MAX)
    context = {
        "id": content.id,
        "subject": subject,
        "summary": summary,
        "period": _period_label(content),
        "empty": content.empty,
        "counts": counts,
        "reports": content.reports,
        "report_updates": content.report_updates,
        "changes": content.changes,
        "new_series": content.new_series,
        "health": content.health,
        "crawls": content.crawls,
    }
    html_template = _HTML.get_template("digest.html.j2")
    html = html_template.render(context, chart_src={
        name: f"cid:{chart_cid(content.id, name)}" for name in pngs})
    html_file = html_template.render(context, chart_src={name: name for name in pngs})
    text = _TEXT.get_template("digest.txt.j2").render(context)
    return RenderedDigest(id=content.id, subject=subject, html=html, html_file=html_file,
                          text=text, charts=pngs, counts=counts,
                          period_start=iso(content.period_start),
                          period_end=iso(content.period_end))


def digest_message(stored: digests.StoredDigest | RenderedDigest, *, sender: str,
                   recipient: str, delivery_id: str) -> EmailMessage:
    """The email of a digest: text, and HTML with its charts as inline images.

    multipart/alternative [text/plain, multipart/related [text/html, image/png…]].  The
    Message-ID derives from the delivery id, so a re-send after a crash is recognisably the
    same message.
    """
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = oneline(stored.subject, SUBJECT_MAX)
    msg["From"] = sender
    msg["To"] = recipient
    msg["Date"] = formatdate(usegmt=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "rightswatch.invalid"
    msg["Message-ID"] = f"<{hashlib.sha256(delivery_id.encode()).hexdigest()[:32]}@{domain}>"
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Rightswatch-Rule"] = DIGEST_RULE
    msg["X-Rightswatch-Delivery"] = delivery_id
    msg["X-Rightswatch-Digest"] = stored.id
    msg.set_content(stored.text, cte="quoted-printable")
    msg.add_alternative(stored.html, subtype="html")
    html_part = msg.get_body(("html",))
    assert html_part is not None
    for name, png in sorted(stored.charts.items()):
        html_part.add_related(png, maintype="image", subtype="png",
                              cid=f"<{chart_cid(stored.id, name)}>", filename=name,
                              disposition="inline")
    return msg


def write_digest(rendered: RenderedDigest, out: str | Path) -> tuple[Path, Path, list[Path]]:
    """Write index.html, digest.txt and the chart PNGs into *out*; return their paths.

    Charts of an earlier digest written to the same directory (`chart-*.png` not in this
    one) are removed, so the directory always shows one consistent digest.
    """
    directory = Path(out)
    directory.mkdir(parents=True, exist_ok=True)
    charts = []
    for name, png in rendered.charts.items():
        path = directory / name
        path.write_bytes(png)
        charts.append(path)
    for stale in directory.glob("chart-*.png"):
        if stale.name not in rendered.charts:
            stale.unlink()
    index = directory / "index.html"
    index.write_text(rendered.html_file, encoding="utf-8")
    text = directory / "digest.txt"
    text.write_text(rendered.text, encoding="utf-8")
    return index, text, charts


# -- the whole job -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestResult:
    """What `make_digest` did: the digest's id and subject, where its files are, how many
    items each section has, and which deliveries it queued."""

    id: str
    subject: str
    period_start: str
    period_end: str
    counts: dict[str, int]
    text: str
    index_path: Path | None = None
    text_path: Path | None = None
    chart_paths: tuple[Path, ...] = ()
    delivery_ids: tuple[str, ...] = ()           # queued by this call
    existing_delivery_ids: tuple[str, ...] = ()  # queued earlier for the same period
    stored: bool = False                         # the digest row was written by this call

    @property
    def path(self) -> Path | None:
        """The index.html written, if any (short for `index_path`)."""
        return self.index_path

    @property
    def deliveries(self) -> tuple[str, ...]:
        """Every delivery of this digest to the current recipients, new or not."""
        return self.delivery_ids + self.existing_delivery_ids

    @property
    def empty(self) -> bool:
        return _nothing_new(self.counts)


def make_digest(config: Config, *, since: datetime, until: datetime, out: Path | None = None,
                send: bool = False) -> DigestResult:
    """Build the digest of [since, until), write it to *out*, and with *send* store it and
    queue one email delivery per `[digest]` recipient (one transaction, idempotent per
    period: the scheduler calls this with until = its fire time, and a second call for the
    same period queues nothing).  The dispatcher sends the deliveries.
    """
    settings: DigestSettings = getattr(config, "digest", None) or DigestSettings()
    if send and not settings.recipients:
        raise DigestError("the digest has no recipients: add `to = [\"…\"]` and an SMTP "
                          "server (smtp_url) to the [digest] table of "
                          f"{config.path or 'the configuration'}, or leave out --send")
    if until <= since:
        raise DigestError(f"the period is empty: {iso(since)} is not before {iso(until)}")
    db = open_db(config.database)
    try:
        content = build_digest(db, since=since, until=until,
                               archive_base_url=settings.archive_base_url
                               or config.archive_base_url, timezone=settings.timezone)
        rendered = render_digest(content)
        index = text_path = None
        chart_paths: list[Path] = []
        if out is not None:
            index, text_path, chart_paths = write_digest(rendered, out)
        saved = None
        if send:
            saved = digests.save_digest(
                db, digest=rendered.id, period_start=rendered.period_start,
                period_end=rendered.period_end, subject=rendered.subject, html=rendered.html,
                text=rendered.text, summary=rendered.counts, charts=rendered.charts,
                recipients=[digests.DigestRecipient(DIGEST_RULE, "email", t.key)
                            for t in settings.recipients])
    finally:
        db.conn.close()
    return DigestResult(id=rendered.id, subject=rendered.subject,
                        period_start=rendered.period_start, period_end=rendered.period_end,
                        counts=rendered.counts, text=rendered.text, index_path=index,
                        text_path=text_path, chart_paths=tuple(chart_paths),
                        delivery_ids=saved.queued if saved else (),
                        existing_delivery_ids=saved.existing if saved else (),
                        stored=bool(saved and saved.created))


def previous_period(settings: DigestSettings, until: datetime) -> tuple[datetime, datetime]:
    """(since, until) of the digest that ends at *until* (the scheduler's fire time)."""
    return until - settings.period, until


__all__ = ["CHART_SIZE", "DIGEST_RULE", "ChartSpec", "DigestContent", "DigestError",
           "DigestResult", "DigestSettings", "RenderedDigest", "build_digest", "chart_cid",
           "digest_message", "draw_chart", "make_digest", "parse_digest", "previous_period",
           "render_digest", "summary_line", "write_digest"]
