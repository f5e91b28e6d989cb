"""Figure series: which figures count the same thing, and which new figure is news.

A series holds the figures that count the same thing: the same *measure* (the metric, or
for figures no metric fits the counted thing's ``what`` key: "obituaries"), the same
*population* (residents of a region and members of the units stationed there are different
counts), the same *unit* (a percentage is never compared with a count), the same *part* (a
breakdown such as "of them, 202 are serving sentences" is a sub-series of its own, never
the total's), the same region, the same period key
(:func:`~rightswatch.changes.periods.normalize_period`) and the same counting organisation.

Who counts it (README, "What counts as news"):

- a figure the text attributes to a named organisation is that organisation's: another
  organisation counting the same thing keeps its own series, listed as ``also_reported_by``;
- a figure an organisation publishes on its own site without attribution is its own;
- a figure with a generic attribution ("according to human rights defenders"), anywhere, or
  with none on a site that is not its counter's (a news site, a document ingested by hand),
  *continues* the series of that measure, region, period and population most recently reported (in
  publication order, at or before it) by a named organisation; failing that, the site's;
- a running total stated with no period ("574 cases have been opened", "as of October")
  counts over the usual span of its metric (periods.toml, ``running_totals``: court cases
  since the occupation, war losses since the full-scale invasion).

Continuation is resolved over publication order, never arrival order
(:func:`resolve_claim`), so the series come out the same whatever order the reports are
crawled in; a named report that arrives late re-resolves the continuing figures after it.

News is decided against the series' *newest* report, ordered by
``(published_at or fetched_at, fetched_at, snapshot_id)``:

- the first value of a series is ``figure.new``;
- a report that becomes the newest with a different value is ``figure.changed``;
- a report repeating the newest value, and an older report arriving late, are silent (the
  late one still fills in the history, so ``build_series`` is the same whatever the order
  in which reports were crawled).

One figure per series per report (its *headline*, see :func:`headline`), so a report never
yields two ``figure.changed`` for one series.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from operator import attrgetter
from typing import Any

from .events import delta, figure_event, num
from .periods import CUMULATIVE_UNSPECIFIED, normalize_period, running_total_key
from .populations import population_of

__all__ = [
    "Claim",
    "Observation",
    "SeriesKey",
    "build_series",
    "claim_of",
    "headline",
    "observations_for_snapshot",
    "plan_figure_events",
    "resolve_claim",
    "series_history_rows",
    "series_key",
]

_WS_RE = re.compile(r"\s+")
NO_REGION = "-"
WHAT_PREFIX = "what:"
_ORDER = attrgetter("order_key")
# Counted things too vague to be a series on their own ("12 people", "9 children" with
# nothing said of them): they still get `what`, but only a metric makes them a series.
VAGUE_WHAT = frozenset(["people", "children", "residents", "civilians", "soldiers",
                        "instances", "cases", "money", "Crimean Tatars", "victims",
                        "employees", "missing persons", "settlements", "reports"])


@dataclass(frozen=True, slots=True)
class SeriesKey:
    """What a series counts: measure (metric, else ``what``), population, unit, part,
    region, period key and counting organisation.

    ``id`` is stable and readable ("criminal_cases|crimea|cumulative:occupation|Crimean
    Human Rights Group", "deaths/units|crimea|cumulative:2022|…", "what:obituaries|crimea|…",
    "political_prisoners~serving sentences|crimea|…"), so it can be stored, used in dedup
    keys and typed on the command line; region None is written "-".
    """

    metric: str
    region: str | None
    period_key: str
    organisation: str
    population: str = ""
    what: str = ""
    unit: str = ""
    part: str = ""
    id: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts = (self.measure_id, self.region or NO_REGION, self.period_key, self.organisation)
        object.__setattr__(self, "id", "|".join(p.replace("|", "/") for p in parts))

    @property
    def measure_id(self) -> str:
        """The first field of the id: measure, /population, @unit, ~part."""
        out = self.metric or f"{WHAT_PREFIX}{self.what}"
        if self.population:
            out += f"/{self.population}"
        if self.unit:
            out += f"@{self.unit}"
        if self.part:
            out += f"~{self.part}"
        return out

    @property
    def topic(self) -> tuple[str, str, str]:
        """(measure id, region or "-", period_key): the same count whoever reports it."""
        return (self.measure_id, self.region or NO_REGION, self.period_key)

    @property
    def label(self) -> str:
        """What is counted, for people: the metric id or the counted thing."""
        return self.metric or self.what

    @classmethod
    def from_id(cls, series_id: str) -> SeriesKey:
        """Parse an ``id`` back (the organisation may not contain "|")."""
        measure, region, period_key, organisation = series_id.split("|", 3)
        measure, _, part = measure.partition("~")
        measure, _, unit = measure.partition("@")
        measure, _, population = measure.partition("/")
        metric, what = ("", measure[len(WHAT_PREFIX):]) if measure.startswith(
            WHAT_PREFIX) else (measure, "")
        return cls(metric, None if region == NO_REGION else region, period_key, organisation,
                   population, what, unit, part)


def _organisation(name: str | None) -> str:
    return _WS_RE.sub(" ", name or "").strip()


@cache
def _series_whats() -> frozenset[str]:
    from ..figures.vocab import lexicon_whats

    return frozenset(lexicon_whats()) - VAGUE_WHAT


def _part_key(figure: Mapping[str, Any]) -> str:
    if not figure.get("part"):
        return ""
    what = _organisation(figure.get("what") or figure.get("subject") or "part").lower()
    return what.replace("|", "/").replace("~", "-")[:60] or "part"


@dataclass(frozen=True, slots=True)
class Claim:
    """What one figure says about its series before continuation is resolved.

    ``organisation`` is None when the figure continues another's series (a generic or no
    attribution, off its counter's site); ``base`` is the series key it has if nothing
    continues: the site's organisation.
    """

    base: SeriesKey
    organisation: str | None
    topic: str  # measure id and region: what continuation matches on

    @property
    def resolved(self) -> bool:
        return self.organisation is not None


def claim_of(figure: Mapping[str, Any], site_organisation: str, *,
             published_at: str | None = None, site_counts: bool = True) -> Claim | None:
    """The claim of a figure dict (Figure.to_dict() keys), or None when it is no series.

    ``site_counts``: the site is an organisation publishing its own counts (a figure it
    states without attribution is its own); False for news sites and manual documents.
    """
    metric = figure.get("metric") or ""
    what = "" if metric else (figure.get("what") or "")
    if not metric and what not in _series_whats():
        return None
    named = _organisation(figure.get("source"))
    site = _organisation(site_organisation) or "unknown"
    generic = figure.get("attribution") == "generic"
    organisation = named or (site if site_counts and not generic else None)
    if "population" in figure:
        population = figure.get("population") or ""
        if population == "residents" and metric not in _RESIDENT_METRICS:
            population = ""
    else:
        population = population_of(metric, figure.get("subject"), figure.get("sentence"))
    unit = figure.get("unit") or "count"
    period_key = normalize_period(figure.get("period"), published_at)
    if period_key == CUMULATIVE_UNSPECIFIED:
        period_key = running_total_key(metric)  # "574 cases have been opened": the usual span
    base = SeriesKey(
        metric=metric,
        region=figure.get("region") or None,
        period_key=period_key,
        organisation=organisation or site,
        population=population,
        what=what,
        unit="" if unit == "count" else unit,
        part=_part_key(figure),
    )
    return Claim(base, organisation, f"{base.measure_id}|{base.region or NO_REGION}")


# Residents of a place and the units stationed there are different casualty counts; for
# other metrics "Crimeans" and "people" are one count.
_RESIDENT_METRICS = frozenset(["deaths", "injured", "captured"])


def resolve_claim(claim: Claim, named: Iterable[tuple[tuple[str, str, int], str, str]],
                  order_key: tuple[str, str, int]) -> SeriesKey:
    """The series a claim continues.  *named*: (order key, organisation, period key) of the
    figures of the claim's topic that name their organisation, in any order; only those at
    or before *order_key*, with the claim's period, count: the latest of them decides."""
    if claim.resolved:
        return claim.base
    best: tuple[tuple[str, str, int], str, str] | None = None
    for key, org, period in named:
        if key > order_key or period != claim.base.period_key:
            continue
        if best is None or key > best[0]:
            best = (key, org, period)
    if best is None:
        return claim.base
    b = claim.base
    return SeriesKey(b.metric, b.region, b.period_key, best[1], b.population, b.what, b.unit,
                     b.part)


def series_key(figure: Mapping[str, Any], site_organisation: str, *,
               published_at: str | None = None) -> SeriesKey | None:
    """The series of a figure dict with nothing to continue: its own organisation (else the
    site's) and its own period key; None when it is no series."""
    claim = claim_of(figure, site_organisation, published_at=published_at)
    return claim.base if claim else None


@dataclass(frozen=True, slots=True)
class Observation:
    """One figure of one stored snapshot, placed in its series.

    Ordered by ``order_key`` = (published_at or fetched_at, tie, snapshot_id): the
    publication date says which report is the latest word.  Reports published at the same
    moment are ordered by URL, not by fetch time: a crawl fetches concurrently, and the
    series must come out the same on every crawl.  Without a publication date, fetch time
    decides.  The snapshot id orders the versions of one page (an edit is newer).
    """

    figure: Mapping[str, Any] = field(hash=False)
    series: SeriesKey
    snapshot_id: int
    page_url: str
    source_id: str
    published_at: str | None
    fetched_at: str
    title: str | None = None
    order_key: tuple[str, str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        tie = self.page_url if self.published_at else self.fetched_at
        key = (self.published_at or self.fetched_at, tie, self.snapshot_id)
        object.__setattr__(self, "order_key", key)

    @property
    def value(self) -> int | float:
        """The figure's value (int when integral)."""
        return num(self.figure["value"])


def observations_for_snapshot(figures: Iterable[Mapping[str, Any]],
                              snapshot: Mapping[str, Any], *, site_organisation: str,
                              source_id: str | None = None) -> list[Observation]:
    """Observations of a snapshot's figures that belong to a series.

    ``snapshot`` needs ``id``, ``url``, ``fetched_at`` and may have ``published_at``,
    ``title``, ``source_id`` (a ``snapshots`` row will do).
    """
    published = snapshot.get("published_at")
    out: list[Observation] = []
    for fig in figures:
        sid = fig.get("series_id")
        key = (SeriesKey.from_id(sid) if sid
               else series_key(fig, site_organisation, published_at=published))
        if key is None:
            continue
        out.append(Observation(
            figure=fig,
            series=key,
            snapshot_id=int(snapshot["id"]),
            page_url=str(snapshot["url"]),
            source_id=str(source_id or snapshot.get("source_id") or ""),
            published_at=published,
            fetched_at=str(snapshot["fetched_at"]),
            title=snapshot.get("title"),
        ))
    return out


def headline(observations: Iterable[Observation]) -> Observation:
    """The figure a report gives for a series when it gives several.

    Rule: the largest value, and among equal values the first in the text (smallest
    ``start``).  Series are mostly running totals, where a report repeats its total and
    adds sub-counts ("583 cases … 120 of them in Sevastopol" mis-attributed to the same
    series); the total is the largest.  A report quoting the previous total ("from 574 to
    583") also resolves to the new total.  Known limit: a falling count written
    "fell from 220 to 210" resolves to 220.
    """
    return min(observations,
               key=lambda o: (-float(o.figure["value"]), o.figure.get("start") or 0))


def _newest(observations: Sequence[Observation], exclude: Container[int] = ()
            ) -> Observation | None:
    """The headline of the newest report among ``observations``, skipping ``exclude``d
    snapshots.  ``max`` and a comprehension keep this at C speed over long histories."""
    obs = observations
    if not obs:
        return None
    top = max(obs, key=_ORDER)
    if top.snapshot_id in exclude:
        obs = [o for o in obs if o.snapshot_id not in exclude]
        if not obs:
            return None
        top = max(obs, key=_ORDER)
    sid = top.snapshot_id
    return headline([o for o in obs if o.snapshot_id == sid])


def _headlines(observations: Iterable[Observation]) -> list[Observation]:
    """One observation per snapshot (its headline), oldest first."""
    per_snapshot: dict[int, list[Observation]] = defaultdict(list)
    for o in observations:
        per_snapshot[o.snapshot_id].append(o)
    return sorted((headline(v) for v in per_snapshot.values()), key=lambda o: o.order_key)


def build_series(observations: Iterable[Observation]) -> dict[str, list[Observation]]:
    """Series id → its reports' headline observations, oldest first (keys sorted)."""
    grouped: dict[str, list[Observation]] = defaultdict(list)
    for o in observations:
        grouped[o.series.id].append(o)
    return {sid: _headlines(grouped[sid]) for sid in sorted(grouped)}


def series_history_rows(observations: Iterable[Observation] | Mapping[str, Sequence[Observation]]
                        ) -> list[dict[str, Any]]:
    """Rows for ``rightswatch series``: one per report and series, oldest first, with deltas.

    Accepts observations or an already built series mapping.  Each row has ``series``,
    ``metric``, ``region``, ``period`` (as written), ``period_key``, ``source``
    (organisation), ``source_id``, ``value``, ``qualifier``, ``published_at``,
    ``fetched_at``, ``url``, ``title``, ``snapshot_id``, ``previous_value`` and ``delta``.
    """
    series = (observations if isinstance(observations, Mapping)
              else build_series(observations))
    rows: list[dict[str, Any]] = []
    for sid in sorted(series):
        prev: Observation | None = None
        for o in series[sid]:
            s = o.series
            rows.append({
                "series": sid,
                "metric": s.metric,
                "region": s.region,
                "period": o.figure.get("period"),
                "period_key": s.period_key,
                "source": s.organisation,
                "source_id": o.source_id,
                "value": o.value,
                "qualifier": o.figure.get("qualifier"),
                "published_at": o.published_at,
                "fetched_at": o.fetched_at,
                "url": o.page_url,
                "title": o.title,
                "snapshot_id": o.snapshot_id,
                "previous_value": prev.value if prev else None,
                "delta": delta(o.value, prev.value) if prev else None,
            })
            prev = o
    return rows


def plan_figure_events(new: Sequence[Observation], history: Mapping[str, Sequence[Observation]],
                       *, backfill: bool,
                       also_reported: Mapping[tuple[str, str, str], Sequence[str]] | None = None,
                       ) -> list[dict[str, Any]]:
    """The figure events that ``new`` observations cause, given each series' stored history.

    ``history[series.id]``: stored observations of that series, any order, without the new
    ones.  Observations of a snapshot that is also in ``new`` are ignored, so planning the
    same report again gives the same events (same dedup keys).  Only the newest stored
    reports matter: history may be trimmed to the observations of the newest k+1 stored
    snapshots of each series, k being the number of new snapshots in it (usually 2).

    Several new reports of one series are taken oldest first, each against the series as
    it stands after the previous ones.  ``also_reported`` maps (metric, region or "-",
    period_key) to the organisations that have a series for it; with the organisations of
    the other series in ``new``, they are listed in ``also_reported_by``.

    Returns events ordered by report (order key), then series id.
    """
    by_series: dict[str, dict[int, list[Observation]]] = defaultdict(lambda: defaultdict(list))
    for o in new:
        by_series[o.series.id][o.snapshot_id].append(o)
    batch_orgs: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for snaps in by_series.values():
        key = next(iter(snaps.values()))[0].series
        batch_orgs[key.topic].add(key.organisation)

    planned: list[tuple[tuple[str, str, int], str, dict[str, Any]]] = []
    for sid, snaps in by_series.items():
        heads = sorted((headline(v) for v in snaps.values()), key=lambda o: o.order_key)
        key = heads[0].series
        stored_orgs = also_reported.get(key.topic, ()) if also_reported else ()
        others = (batch_orgs[key.topic] | set(stored_orgs)) - {key.organisation}
        newest = _newest(history.get(sid, ()), snaps)
        for obs in heads:
            event = None
            if newest is None:
                event = figure_event("figure.new", obs, None, backfill=backfill,
                                     also_reported_by=sorted(others))
            elif obs.order_key > newest.order_key:
                if float(obs.figure["value"]) != float(newest.figure["value"]):
                    event = figure_event("figure.changed", obs, newest, backfill=backfill,
                                         also_reported_by=sorted(others))
            else:
                continue  # an older report arriving late: history only
            newest = obs
            if event is not None:
                planned.append((obs.order_key, sid, event))
    planned.sort(key=lambda t: (t[0], t[1]))
    return [event for _, _, event in planned]
