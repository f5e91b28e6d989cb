"""Quality gate for the figure extractor, on the blind gold set (tests/figures/blind).

The set was written by people who never read the extractor, and committed before the
tuning it judges (ANNOTATION.md).  Every field is scored over all gold figures, so a missed
figure counts as wrong for every field.  Floors are what the extractor reached when they
were pinned, minus a small margin: a change that makes it worse fails here.

``python -m tests.figures.evaluate --errors tune`` shows every miss of the tune half; the
test half only ever prints numbers.
"""

from __future__ import annotations

import pytest

try:
    from tests.figures import evaluate
except ImportError:  # pragma: no cover - when tests/ is not importable as a package
    from figures import evaluate  # type: ignore[no-redef]

# Pinned on the tune half while it is the only half read (see SCORES.md for the history).
FLOORS = {
    "en": {"F1": 0.95, "value": 0.98, "unit": 0.98, "qualifier": 0.97, "metric": 0.78,
           "metric_what": 0.66, "region": 0.76, "period": 0.78, "source": 0.64,
           "population": 0.6, "part": 0.85, "nonfig": 0.91},
    "uk": {"F1": 0.97, "value": 0.98, "unit": 0.97, "qualifier": 0.97, "metric": 0.75,
           "metric_what": 0.64, "region": 0.82, "period": 0.68, "source": 0.64,
           "population": 0.82, "part": 0.8, "nonfig": 0.94},
    "ru": {"F1": 0.96, "value": 0.96, "unit": 0.96, "qualifier": 0.95, "metric": 0.63,
           "metric_what": 0.59, "region": 0.71, "period": 0.62, "source": 0.64,
           "population": 0.79, "part": 0.84, "nonfig": 0.95},
}


@pytest.fixture(scope="module")
def results() -> dict[tuple[str, str], evaluate.Score]:
    scores = evaluate.evaluate()
    print("\n" + evaluate.table([scores[(lang, "tune")] for lang in evaluate.LANGS]))
    return scores


def test_gold_set_is_big_enough(results: dict[tuple[str, str], evaluate.Score]) -> None:
    for lang in evaluate.LANGS:
        whole = results[(lang, "all")]
        assert whole.items >= 60
        assert whole.gold >= 200
        assert whole.nonfig >= 100
        assert results[(lang, "test")].items >= 30


@pytest.mark.parametrize("lang", evaluate.LANGS)
def test_scores_meet_floors(results: dict[tuple[str, str], evaluate.Score], lang: str) -> None:
    s = results[(lang, "tune")]
    row = s.row()
    low = {k: round(row[k], 3) for k, floor in FLOORS[lang].items() if row[k] < floor}
    assert not low, f"{lang} tune half below floor: {low}\n" + "\n".join(s.errors)
