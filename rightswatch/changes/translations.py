"""One report in several languages is one piece of news.

Organisations publish the same report in English, Ukrainian and Russian, at close times,
with the same figures.  A report that is such a translation of one published before it
carries ``translation_of`` in its ``report.new`` event; alerts, the digest and the feed show
the versions as one item.  Recognising it needs no translation model: same source, another
language, published within `WINDOW` of each other, and the same figures (values of the
figures that count something).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

WINDOW = timedelta(hours=72)
# Share of figure values two versions must have in common (a translator may drop or add a
# figure, a date may be read as a figure in one language only).
MIN_OVERLAP = 0.6


@dataclass(frozen=True)
class Version:
    """What is compared of one report version."""

    key: Any  # whatever identifies it for the caller (a page id)
    lang: str | None
    moment: datetime | None  # published, else fetched
    values: frozenset[float]


def figure_values(figures: Iterable[Mapping[str, Any]]) -> frozenset[float]:
    """The values a report states about something (money and bare numbers left out)."""
    return frozenset(round(float(f["value"]), 3) for f in figures
                     if f.get("metric") or (f.get("what") and (f.get("unit") or "count")
                                            in ("count", "percent")))


def is_translation(a: Version, b: Version) -> bool:
    """True when *a* and *b* are one report in two languages."""
    if not a.lang or not b.lang or a.lang == b.lang:
        return False
    if a.moment is None or b.moment is None or abs(a.moment - b.moment) > WINDOW:
        return False
    if not a.values or not b.values:
        return False
    shared = a.values & b.values
    return len(shared) / len(a.values | b.values) >= MIN_OVERLAP


def original_of(version: Version, others: Iterable[Version]) -> Version | None:
    """The version *version* translates: the earliest matching one published no later."""
    matches = [o for o in others if o.moment is not None and version.moment is not None
               and o.moment <= version.moment and is_translation(version, o)]
    return min(matches, key=lambda o: (o.moment, str(o.key))) if matches else None


__all__ = ["MIN_OVERLAP", "WINDOW", "Version", "figure_values", "is_translation", "original_of"]
