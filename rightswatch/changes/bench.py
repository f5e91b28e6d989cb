"""Benchmark of series matching and figure-event planning, for ``make bench``.

``run(n)`` builds ``n`` synthetic stored figures (five per report, one of them a repetition
of another series in the same report, period phrases in en/uk/ru, some reports arriving
late), then times what the pipeline's diff stage does per report: figures → observations
(series keys, period normalisation), history lookup, event planning, history update.  The
history passed is the series' full stored history (the worst case the API allows).

Result keys (flat, for bench-results.json; names keep their meaning):

- ``series_figures_per_s``  figures matched and planned per second
- ``series_figures``        figures processed (``n``)
- ``series_reports``        reports processed
- ``series_count``          series formed
- ``series_events``         figure events planned
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from typing import Any

from .periods import load_period_rules
from .series import Observation, observations_for_snapshot, plan_figure_events

_METRICS = ("conscripted", "criminal_cases", "summonses", "convictions", "deaths",
            "detained", "political_prisoners", "deported")
_REGIONS = ("crimea", "sevastopol", "donetsk", "luhansk", "zaporizhzhia", "kherson", None)
_PERIODS = ("since 2015", "з 2015 року", "since the full-scale invasion",
            "с начала полномасштабного вторжения", "since September 2022",
            "from July to September 2024", "за III квартал 2024 року", "in October 2024",
            "autumn 2024 conscription campaign", "осенью 2024 года", None,
            "as of October 2024", "у 2024 році", "between 2014 and 2022")
_ORGS = (None, "Crimean Human Rights Group", "ZMINA", "Memorial")


def synthetic_reports(n: int, seed: int = 20240) -> list[tuple[dict[str, Any], list[dict]]]:
    """(snapshot, figures) pairs totalling ``n`` figures, in crawl order (a few late)."""
    rng = random.Random(seed)
    topics = [(m, r, p, o) for m in _METRICS for r in _REGIONS for p in _PERIODS for o in _ORGS]
    rng.shuffle(topics)
    topics = topics[:1000]
    values = {t: rng.randint(10, 500) for t in topics}
    reports: list[tuple[dict[str, Any], list[dict]]] = []
    made = 0
    i = 0
    while made < n:
        i += 1
        day = 1 + i // 40
        published = f"{2023 + day // 365}-{1 + (day % 365) // 31:02d}-{1 + day % 28:02d}"
        if rng.random() < 0.05:  # a late report: published well before it is fetched
            published = f"{2023 + max(day - 60, 0) // 365}-01-15"
        snap = {"id": i, "url": f"https://example.org/report/{i}", "source_id": "chrg",
                "published_at": published, "fetched_at": f"2026-01-01T00:00:{i:09d}Z",
                "title": f"Report {i}"}
        figures: list[dict] = []
        for k in range(min(5, n - made)):
            m, r, p, o = rng.choice(topics) if k < 4 or not figures else figures[0]["_t"]
            if rng.random() < 0.6:
                values[(m, r, p, o)] += rng.randint(0, 12)
            v = values[(m, r, p, o)] if k < 4 else max(values[(m, r, p, o)] - 7, 1)
            figures.append({"value": v, "text": f"at least {v}", "start": 100 * k,
                            "end": 100 * k + 12, "qualifier": "at_least", "metric": m,
                            "subject": None, "region": r, "period": p, "source": o,
                            "sentence": f"At least {v} … {p or ''}.", "lang": "en",
                            "_t": (m, r, p, o)})
        made += len(figures)
        reports.append((snap, figures))
    return reports


def run(n: int = 100_000) -> dict[str, Any]:
    """Time matching + planning over ``n`` synthetic figures; see the module doc."""
    reports = synthetic_reports(n)
    load_period_rules()  # compiled once per process: start-up, not throughput
    history: dict[str, list[Observation]] = defaultdict(list)
    events = 0
    t0 = time.perf_counter()
    for snap, figures in reports:
        obs = observations_for_snapshot(figures, snap, site_organisation="Test Source")
        touched = {o.series.id for o in obs}
        planned = plan_figure_events(obs, {sid: history[sid] for sid in touched},
                                     backfill=False)
        events += len(planned)
        for o in obs:
            history[o.series.id].append(o)
    elapsed = time.perf_counter() - t0
    return {
        "series_figures_per_s": round(n / elapsed, 1),
        "series_figures": n,
        "series_reports": len(reports),
        "series_count": len(history),
        "series_events": events,
    }


if __name__ == "__main__":  # pragma: no cover - manual run
    import json

    print(json.dumps(run()))
