"""Figure series and figure events (rightswatch.changes.series/events)."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rightswatch.changes import (
    Observation,
    SeriesKey,
    build_series,
    headline,
    observations_for_snapshot,
    plan_figure_events,
    series_history_rows,
    series_key,
)
from rightswatch.changes import bench as changes_bench

CHRG = "Crimean Human Rights Group"
SERIES = f"criminal_cases|crimea|cumulative:occupation|{CHRG}"


def fig(value: float, *, period: str | None = "since 2015", source: str | None = CHRG,
        metric: str | None = "criminal_cases", region: str | None = "crimea",
        qualifier: str = "at_least", start: int = 10) -> dict[str, Any]:
    text = f"at least {value}"
    return {
        "value": value, "text": text, "start": start, "end": start + len(text),
        "qualifier": qualifier, "metric": metric, "subject": "criminal proceedings",
        "region": region, "period": period, "source": source,
        "sentence": f"According to the {CHRG}, {text} criminal cases for evading service "
                    f"have been opened in Crimea {period or ''}.",
        "lang": "en",
    }


def snap(sid: int, published: str | None, *, fetched: str | None = None,
         url: str | None = None) -> dict[str, Any]:
    return {"id": sid, "url": url or f"https://crimeahrg.org/en/report-{sid}/",
            "published_at": published, "fetched_at": fetched or f"2024-12-01T00:00:{sid:02d}Z",
            "title": f"Review {sid}", "source_id": "chrg"}


def obs(value: float, sid: int, published: str | None, **kw: Any) -> list[Observation]:
    url = kw.pop("url", None)
    fetched = kw.pop("fetched", None)
    return observations_for_snapshot([fig(value, **kw)], snap(sid, published, fetched=fetched,
                                                                  url=url),
                                     site_organisation="CHRG site")


def process(reports: list[list[Observation]], *, backfill: bool = False,
            also: dict | None = None) -> tuple[list[dict], dict[str, list[Observation]]]:
    """Feed reports one by one, as the pipeline does, storing each into the history."""
    history: dict[str, list[Observation]] = defaultdict(list)
    events: list[dict] = []
    for new in reports:
        events += plan_figure_events(new, history, backfill=backfill, also_reported=also)
        for o in new:
            history[o.series.id].append(o)
    return events, history


# --------------------------------------------------------------------------------------
# Series keys


def test_series_key_id_and_fields() -> None:
    key = series_key(fig(583), "CHRG site")
    assert key == SeriesKey("criminal_cases", "crimea", "cumulative:occupation", CHRG)
    assert key is not None and key.id == SERIES
    assert SeriesKey.from_id(key.id) == key
    assert key.topic == ("criminal_cases", "crimea", "cumulative:occupation")


def test_series_key_separates_organisations_and_falls_back_to_site() -> None:
    a = series_key(fig(583), "Site")
    b = series_key(fig(420, source="UN HRMMU"), "Site")
    c = series_key(fig(583, source=None), "Crimean Human Rights Group")
    d = series_key(fig(583, source=None), "ZMINA")
    assert a != b and a == c and c != d
    assert d is not None and d.organisation == "ZMINA"


def test_series_key_needs_a_metric_and_separates_periods_and_regions() -> None:
    assert series_key(fig(5, metric=None), "Site") is None
    k2015 = series_key(fig(583, period="since 2015"), "Site")
    k2022 = series_key(fig(120, period="since 2022"), "Site")
    kq = series_key(fig(9, period="from July to September 2024"), "Site")
    knone = series_key(fig(583, period=None), "Site")
    kasof = series_key(fig(583, period="as of October 2024"), "Site")
    assert len({k2015, k2022, kq}) == 3
    # A running total stated with no period (or only "as of") counts over its metric's usual
    # span: criminal cases since the occupation (issue 10; periods.toml running_totals).
    assert knone == kasof == k2015
    held = series_key(fig(277, metric="political_prisoners", period=None), "Site")
    assert held is not None and held.period_key == "cumulative:unspecified"
    assert series_key(fig(5, region=None), "Site").id.split("|")[1] == "-"  # type: ignore[union-attr]


# --------------------------------------------------------------------------------------
# The CHRG timeline


def chrg_timeline() -> list[list[Observation]]:
    return [obs(522, 1, "2024-07-02"), obs(574, 2, "2024-09-30"), obs(583, 3, "2024-11-05")]


def test_chrg_timeline_new_changed_changed() -> None:
    events, history = process(chrg_timeline())
    assert [e["type"] for e in events] == ["figure.new", "figure.changed", "figure.changed"]
    new, ch1, ch2 = events
    assert new["figure"]["value"] == 522 and new["figure"]["previous_value"] is None
    assert new["dedup_key"] == f"figure.new|{SERIES}"
    assert ch1["figure"]["delta"] == 52 and ch1["figure"]["previous_value"] == 522
    assert ch2["figure"]["delta"] == 9
    f = ch2["figure"]
    assert f["value"] == 583 and f["previous_value"] == 574
    assert f["previous_url"] == "https://crimeahrg.org/en/report-2/"
    assert f["qualifier"] == "at_least" and f["previous_qualifier"] == "at_least"
    assert f["metric"] == "criminal_cases" and f["region"] == "crimea"
    assert f["period"] == "since 2015" and f["period_key"] == "cumulative:occupation"
    assert f["series"] == SERIES and f["organisation"] == CHRG
    assert "583" in f["sentence"]
    assert ch2["dedup_key"] == (
        f"figure.changed|{SERIES}|https://crimeahrg.org/en/report-3/|583|574")
    assert ch2["report"] == {"url": "https://crimeahrg.org/en/report-3/", "title": "Review 3",
                             "published_at": "2024-11-05"}
    assert ch2["source_id"] == "chrg" and ch2["snapshot_id"] == 3
    assert ch2["payload_version"] == 1 and ch2["backfill"] is False
    assert "also_reported_by" not in f
    assert [o.value for o in build_series(itertools.chain(*history.values()))[SERIES]] == [
        522, 574, 583]


def test_other_arrival_order_gives_same_series_and_no_spurious_change() -> None:
    r1, r2, r3 = chrg_timeline()
    events, history = process([r3, r1, r2])
    # The newest came first: it is the series' first value; the late older ones are silent.
    assert [(e["type"], e["figure"]["value"]) for e in events] == [("figure.new", 583)]
    _, in_order = process([r1, r2, r3])
    assert build_series(itertools.chain(*history.values())) == build_series(
        itertools.chain(*in_order.values()))


def test_late_older_report_between_two_known_ones_is_silent() -> None:
    r1, r2, r3 = chrg_timeline()
    events, _ = process([r1, r3, r2])
    assert [(e["type"], e["figure"].get("delta")) for e in events] == [
        ("figure.new", None), ("figure.changed", 61)]


def test_replanning_the_same_report_gives_the_same_dedup_keys() -> None:
    r1, r2, r3 = chrg_timeline()
    _, history = process([r1, r2])
    first = plan_figure_events(r3, history, backfill=False)
    again = plan_figure_events(r3, history, backfill=False)
    assert first == again and len(first) == 1
    # Even when the report is already stored (a crash before the events were, a re-run).
    stored = {k: [*v, *r3] if k == SERIES else v for k, v in history.items()}
    assert plan_figure_events(r3, stored, backfill=False) == first
    # And the first report of a series keeps its figure.new key.
    assert plan_figure_events(r1, {SERIES: r1}, backfill=False)[0]["dedup_key"] == (
        f"figure.new|{SERIES}")


def test_restatement_is_silent() -> None:
    r1, r2, _ = chrg_timeline()
    again = obs(574, 4, "2024-10-15", qualifier="exact")
    events, _ = process([r1, r2, again])
    assert [e["type"] for e in events] == ["figure.new", "figure.changed"]


def test_values_read_back_as_float_compare_equal() -> None:
    r1 = obs(574.0, 1, "2024-09-30")  # as stored in SQLite (REAL)
    events = plan_figure_events(obs(574, 2, "2024-11-05"), {SERIES: r1}, backfill=False)
    assert events == []
    events = plan_figure_events(obs(583, 2, "2024-11-05"), {SERIES: r1}, backfill=False)
    assert events[0]["dedup_key"].endswith("|583|574")
    assert events[0]["figure"]["previous_value"] == 574
    assert isinstance(events[0]["figure"]["previous_value"], int)


def test_since_2022_never_changes_the_occupation_series() -> None:
    r1, r2, _ = chrg_timeline()
    invasion = obs(120, 5, "2024-11-05", period="since the full-scale invasion")
    events, history = process([r1, r2, invasion])
    assert [e["type"] for e in events] == ["figure.new", "figure.changed", "figure.new"]
    assert events[-1]["figure"]["period_key"] == "cumulative:2022"
    assert [o.value for o in history[SERIES]] == [522, 574]
    again = obs(130, 6, "2024-12-05", period="since 2022")
    (event,) = plan_figure_events(again, history, backfill=False)
    assert event["type"] == "figure.changed"
    assert event["figure"]["series"] == f"criminal_cases|crimea|cumulative:2022|{CHRG}"
    assert event["figure"]["previous_value"] == 120 and event["figure"]["delta"] == 10
    # A larger "since 2015" figure later still compares with 574, not with 130.
    (later,) = plan_figure_events(obs(590, 7, "2025-01-10"), history, backfill=False)
    assert later["figure"]["series"] == SERIES and later["figure"]["previous_value"] == 574


def test_also_reported_by_keeps_series_separate() -> None:
    r1, r2, r3 = chrg_timeline()
    topic = ("criminal_cases", "crimea", "cumulative:occupation")
    also = {topic: [CHRG, "UN HRMMU"]}
    events, _ = process([r1, r2, r3], also=also)
    assert all(e["figure"]["also_reported_by"] == ["UN HRMMU"] for e in events)
    # Two organisations in the same report: two series, each naming the other.
    both = obs(583, 9, "2024-11-05") + obs(420, 9, "2024-11-05", source="UN HRMMU")
    ev = plan_figure_events(both, {}, backfill=False)
    assert sorted((e["figure"]["organisation"], e["figure"]["also_reported_by"][0])
                  for e in ev) == [(CHRG, "UN HRMMU"), ("UN HRMMU", CHRG)]
    assert len({e["figure"]["series"] for e in ev}) == 2


def test_backfill_flag_is_carried() -> None:
    events, _ = process(chrg_timeline(), backfill=True)
    assert events and all(e["backfill"] is True for e in events)


def test_one_figure_per_series_per_report() -> None:
    """A summary and its repetition (and a mis-attributed sub-count) give one event."""
    figures = [fig(583, start=10), fig(120, start=300), fig(583, start=900, qualifier="exact")]
    new = observations_for_snapshot(figures, snap(3, "2024-11-05"), site_organisation="x")
    assert headline(new).figure["start"] == 10
    history = {SERIES: obs(574, 2, "2024-09-30")}
    events = plan_figure_events(new, history, backfill=False)
    assert len(events) == 1 and events[0]["figure"]["value"] == 583
    # History with several figures per stored report resolves the same way.
    old = observations_for_snapshot([fig(500, start=5), fig(574, start=50)],
                                    snap(2, "2024-09-30"), site_organisation="x")
    assert plan_figure_events(new, {SERIES: old}, backfill=False)[0]["figure"][
        "previous_value"] == 574
    assert [o.value for o in build_series(new + old)[SERIES]] == [574, 583]


def test_edit_of_the_same_page_is_a_change() -> None:
    url = "https://crimeahrg.org/en/review/"
    first = obs(574, 1, "2024-11-05", url=url, fetched="2024-11-05T10:00:00Z")
    edited = obs(583, 2, "2024-11-05", url=url, fetched="2024-11-06T10:00:00Z")
    events, _ = process([first, edited])
    assert events[-1]["type"] == "figure.changed"
    assert events[-1]["figure"]["previous_url"] == url
    assert events[-1]["dedup_key"] == f"figure.changed|{SERIES}|{url}|583|574"


def test_several_new_reports_in_one_batch() -> None:
    r1, r2, r3 = chrg_timeline()
    events = plan_figure_events(r3 + r1 + r2, {}, backfill=False)
    assert [(e["type"], e["figure"]["value"]) for e in events] == [
        ("figure.new", 522), ("figure.changed", 574), ("figure.changed", 583)]


def test_unpublished_reports_order_by_fetch_time() -> None:
    a = obs(10, 1, None, fetched="2024-10-01T00:00:00Z")
    b = obs(12, 2, None, fetched="2024-11-01T00:00:00Z")
    events, _ = process([b, a])
    assert [e["type"] for e in events] == ["figure.new"]
    assert a[0].order_key < b[0].order_key


def test_series_history_rows_have_deltas() -> None:
    _, history = process(chrg_timeline())
    rows = series_history_rows(itertools.chain(*history.values()))
    assert [(r["value"], r["delta"], r["previous_value"]) for r in rows] == [
        (522, None, None), (574, 52, 522), (583, 9, 574)]
    assert rows[0]["source"] == CHRG and rows[0]["period"] == "since 2015"
    assert rows[0]["url"].endswith("report-1/") and rows[0]["snapshot_id"] == 1
    assert series_history_rows(build_series(itertools.chain(*history.values()))) == rows


def test_bench_runs_small() -> None:
    result = changes_bench.run(2_000)
    assert result["series_figures"] == 2_000 and result["series_figures_per_s"] > 0
    assert result["series_events"] > 0 and result["series_count"] > 0


# --------------------------------------------------------------------------------------
# Order independence (hypothesis)

_PERIODS = ["since 2015", "since 2022", None]
_ORGS = [CHRG, "ZMINA"]


@st.composite
def reports_and_order(draw: st.DrawFn) -> tuple[list[list[Observation]], list[int]]:
    n = draw(st.integers(min_value=1, max_value=8))
    reports: list[list[Observation]] = []
    for sid in range(1, n + 1):
        day = draw(st.integers(min_value=1, max_value=5))  # equal dates happen
        published = None if draw(st.booleans()) and day == 5 else f"2024-10-{day:02d}"
        figures = [
            fig(draw(st.sampled_from([10, 12, 15])), period=draw(st.sampled_from(_PERIODS)),
                source=draw(st.sampled_from(_ORGS)), start=draw(st.integers(0, 50)))
            for _ in range(draw(st.integers(min_value=1, max_value=3)))
        ]
        reports.append(observations_for_snapshot(
            figures, snap(sid, published, fetched=f"2024-11-{sid:02d}T00:00:00Z"),
            site_organisation="x"))
    order = draw(st.permutations(list(range(n))))
    return reports, order


@settings(max_examples=200, deadline=None)
@given(reports_and_order())
def test_any_arrival_order_gives_the_same_series(data: tuple[list[list[Observation]],
                                                             list[int]]) -> None:
    reports, order = data
    events, history = process([reports[i] for i in order])
    _, sorted_history = process(reports)
    final = build_series(itertools.chain(*history.values()))
    assert final == build_series(itertools.chain(*sorted_history.values()))
    # At most one figure.changed per (series, report); at most one figure.new per series.
    changed = Counter((e["figure"]["series"], e["snapshot_id"]) for e in events
                      if e["type"] == "figure.changed")
    assert all(c == 1 for c in changed.values())
    news = Counter(e["figure"]["series"] for e in events if e["type"] == "figure.new")
    assert set(news) == set(final) and all(c == 1 for c in news.values())
    # The value last announced for a series is its newest report's value.
    last: dict[str, Any] = {}
    for e in events:
        last[e["figure"]["series"]] = e["figure"]["value"]
    assert last == {sid: series[-1].value for sid, series in final.items()}
    # Every change is against the newest report stored before it, never a late older one.
    seen: dict[str, list[Observation]] = defaultdict(list)
    for i in order:
        for e in plan_figure_events(reports[i], seen, backfill=False):
            if e["type"] == "figure.changed":
                sid = e["figure"]["series"]
                newest = max(build_series(seen[sid])[sid], key=lambda o: o.order_key)
                assert e["figure"]["previous_value"] == newest.value
                assert reports[i][0].order_key > newest.order_key
        for o in reports[i]:
            seen[o.series.id].append(o)


@settings(max_examples=100, deadline=None)
@given(reports_and_order())
def test_replanning_every_report_is_idempotent(data: tuple[list[list[Observation]],
                                                           list[int]]) -> None:
    reports, order = data
    history: dict[str, list[Observation]] = defaultdict(list)
    for i in order:
        first = plan_figure_events(reports[i], history, backfill=False)
        assert plan_figure_events(reports[i], history, backfill=False) == first
        for o in reports[i]:
            history[o.series.id].append(o)
        # Stored already (history now includes it): same events again.
        assert plan_figure_events(reports[i], history, backfill=False) == first


@pytest.mark.parametrize("value", [583, 583.0])
def test_observation_value_is_int_when_integral(value: float) -> None:
    o = obs(value, 1, "2024-11-05")[0]
    assert o.value == 583 and isinstance(o.value, int)


# --------------------------------------------------------------------------------------
# Populations: who a casualty count counts


def casualty(value: float, subject: str, sentence: str, *, lang: str = "en",
             metric: str = "deaths") -> dict[str, Any]:
    return {**fig(value, period="since February 2022", metric=metric), "subject": subject,
            "sentence": sentence, "lang": lang}


def test_residents_and_members_of_units_are_two_series_not_one_jump() -> None:
    residents = observations_for_snapshot([casualty(
        703, "residents of Crimea", "Since February 2022 the group has identified 703 "
        "residents of Crimea who died while serving in the Russian armed forces.")],
        snap(1, "2026-11-02"), site_organisation="CHRG site")
    units = observations_for_snapshot([casualty(
        1873, "members of military units stationed", "At least 1,873 members of military "
        "units stationed in Crimea have died in the war since February 2022.")],
        snap(2, "2026-11-05"), site_organisation="CHRG site")
    events, _ = process([residents, units])
    assert [(e["type"], e["figure"]["series"], e["figure"]["previous_value"]) for e in events] \
        == [("figure.new", f"deaths/residents|crimea|cumulative:2022|{CHRG}", None),
            ("figure.new", f"deaths/units|crimea|cumulative:2022|{CHRG}", None)]
    assert events[1]["figure"]["population"] == "units"
    key = units[0].series
    assert SeriesKey.from_id(key.id) == key and key.population == "units"


@pytest.mark.parametrize(("subject", "sentence", "population"), [
    ("жителів Криму", "З лютого 2022 року група встановила 703 жителів Криму.", "residents"),
    ("жителя Крыма", "С февраля 2022 года группа установила 703 жителя Крыма.", "residents"),
    ("військовослужбовці", "загинули щонайменше 1 732 військовослужбовці цих частин",
     "units"),
    # No cue in the subject: the sentence names one population.
    ("погибших", "не менее 1 732 погибших военнослужащих крымских частей", "units"),
    ("", "at least 1,732 soldiers of these units have been killed, and 1,159 of them were "
         "most likely citizens of Ukraine", "units"),
    ("civilian residents", "12 civilian residents were killed by shelling", "civilians"),
    # No cue, or cues of two populations in the sentence: no population.
    ("", "The United Nations counted 40 deaths", ""),
    ("", "703 residents died and 1,873 members of units died", ""),
])
def test_population_cues_in_three_languages(subject: str, sentence: str,
                                            population: str) -> None:
    key = series_key(casualty(703, subject, sentence), "Site")
    assert key is not None and key.population == population


def test_population_only_splits_casualty_metrics() -> None:
    key = series_key(casualty(583, "residents of Crimea", "583 cases against residents",
                              metric="criminal_cases"), "Site")
    assert key is not None and key.population == "" and "/" not in key.id
