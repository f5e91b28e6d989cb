"""Change detection: what is news in a re-crawled report, as design.md's Events.

Pure functions over plain data (figure dicts with Figure.to_dict() keys, snapshot and page
rows as dicts); no Scrapy, no database.  The pipeline's diff stage calls them and stores the
events they return.

- :mod:`.textdiff`  word diffs of clean texts, noise rules (``noise.toml``), summaries
- :mod:`.periods`   period phrases → period keys (``periods.toml``)
- :mod:`.populations` who a casualty count counts (``populations.toml``), for figures stored
  before the extractor said it itself
- :mod:`.series`    series keys, observations, headline choice, figure event planning
- :mod:`.events`    every event shape and dedup key
- :mod:`.bench`     ``run()`` for ``make bench`` (``series_figures_per_s``)
"""

from .events import PAYLOAD_VERSION, figure_event, page_event, text_sha256
from .periods import explain_period, load_period_rules, normalize_period
from .series import (
    Claim,
    Observation,
    SeriesKey,
    build_series,
    claim_of,
    headline,
    observations_for_snapshot,
    plan_figure_events,
    series_history_rows,
    series_key,
)
from .textdiff import (
    DiffOp,
    NoiseRules,
    load_noise_rules,
    substantive_change,
    summarise_diff,
    word_diff,
)

__all__ = [
    "PAYLOAD_VERSION",
    "Claim",
    "DiffOp",
    "NoiseRules",
    "Observation",
    "SeriesKey",
    "build_series",
    "claim_of",
    "explain_period",
    "figure_event",
    "headline",
    "load_noise_rules",
    "load_period_rules",
    "normalize_period",
    "observations_for_snapshot",
    "page_event",
    "plan_figure_events",
    "series_history_rows",
    "series_key",
    "substantive_change",
    "summarise_diff",
    "text_sha256",
    "word_diff",
]
