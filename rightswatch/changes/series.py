"""Figure series: which figures count the same thing, and which new figure is news.

A series holds the figures that count the same thing — same metric, same region, same
period key (:func:`~rightswatch.changes.periods.normalize_period`), same reporting
organisation (the figure's ``source``, else the site's organisation) and, for casualty
metrics, the same population (:mod:`~rightswatch.changes.populations`: residents of a
region and members of the units stationed there are different counts).  Two organisations
counting the same thing stay two series: their methods differ, and "CHRG 583 → UN 420"
would be a false fall.  Figures without a metric are not in any series.

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
from operator import attrgetter
from typing import Any

from .events import delta, figure_event, num
from .periods import normalize_period
from .populations import population_of

__all__ = [
    "Observation",
    "SeriesKey",
    "build_series",
    "headline",
    "observations_for_snapshot",
    "plan_figure_events",
    "series_history_rows",
    "series_key",
]

_WS_RE = re.compile(r"\s+")
NO_REGION = "-"
_ORDER = attrgetter("order_key")


@dataclass(frozen=True, slots=True)
class SeriesKey:
    """What a series counts: metric, region, period key, reporting organisation and (for
    casualty metrics) population.

    ``id`` is stable and readable ("criminal_cases|crimea|cumulative:occupation|Crimean
    Human Rights Group", "deaths/units|crimea|cumulative:2022|…"), so it can be stored,
    used in dedup keys and typed on the command line; region None is written "-".
    """

    metric: str
    region: str | None
    period_key: str
    organisation: str
    population: str = ""
    id: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        what = self.metric + (f"/{self.population}" if self.population else "")
        parts = (what, self.region or NO_REGION, self.period_key, self.organisation)
        object.__setattr__(self, "id", "|".join(p.replace("|", "/") for p in parts))

    @property
    def topic(self) -> tuple[str, str, str]:
        """(metric, region or "-", period_key): the same count whoever reports it."""
        return (self.metric, self.region or NO_REGION, self.period_key)

    @classmethod
    def from_id(cls, series_id: str) -> SeriesKey:
        """Parse an ``id`` back (the organisation may not contain "|")."""
        what, region, period_key, organisation = series_id.split("|", 3)
        metric, _, population = what.partition("/")
        return cls(metric, None if region == NO_REGION else region, period_key, organisation,
                   population)


def _organisation(name: str | None) -> str:
    return _WS_RE.sub(" ", name or "").strip()


def series_key(figure: Mapping[str, Any], site_organisation: str, *,
               published_at: str | None = None) -> SeriesKey | None:
    """The series of a figure dict (Figure.to_dict() keys), or None when it has no metric.

    ``published_at`` lets period phrases without a year ("in November") resolve; pass the
    report's publication date when known.
    """
    metric = figure.get("metric")
    if not metric:
        return None
    org = _organisation(figure.get("source")) or _organisation(site_organisation)
    return SeriesKey(
        metric=str(metric),
        region=figure.get("region") or None,
        period_key=normalize_period(figure.get("period"), published_at),
        organisation=org or "unknown",
        population=population_of(str(metric), figure.get("subject"), figure.get("sentence")),
    )


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
        key = series_key(fig, site_organisation, published_at=published)
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
