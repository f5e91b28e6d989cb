"""The Figure: one number in a report, with what it counts, where, when and says who."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .lexicon import load
from .numbers import values_in

QUALIFIERS = ("exact", "at_least", "more_than", "approx", "up_to", "less_than")


@dataclass(frozen=True, slots=True)
class Figure:
    """A figure as design.md fixes it; ``text == body[start:end]`` and contains the number.

    ``text`` includes the qualifier words written around the number ("at least 583"), so
    an alert can quote exactly what the source said. For a range ("200–300") ``value`` is
    the lower end, ``qualifier`` is ``at_least`` (unless the text says otherwise) and the
    upper end is :attr:`range_end`, read back from ``text``.

    ``what`` is the stable English key of the counted thing, set whenever the figure counts
    something (also when ``metric`` is None); ``basis`` says how the metric was decided
    (noun | predicate | context) and ``confidence`` how sure that is; ``region_basis``
    where the region came from (sentence | paragraph | document).  ``part`` marks a figure
    that breaks a total down ("of them 202"): it never continues the total's series.
    ``attribution`` says how the text attributes it: "named" (an organisation, ``source``),
    "generic" ("human rights defenders say": no organisation) or None (not at all); a
    generic figure continues the series of the organisation that last counted it.
    ``id`` depends only on the sentence and the figure's words, so it survives edits
    elsewhere in the report and re-analysis.
    """

    value: int | float
    text: str
    start: int
    end: int
    qualifier: str
    metric: str | None
    subject: str | None
    region: str | None
    period: str | None
    source: str | None
    sentence: str
    lang: str | None
    unit: str = "count"
    what: str | None = None
    population: str | None = None
    basis: str | None = None
    confidence: float = 0.0
    region_basis: str | None = None
    part: bool = False
    attribution: str | None = None
    id: str = ""

    @property
    def range_end(self) -> int | float | None:
        """The upper end of a range figure ("200–300" → 300), else None."""
        vals = values_in(self.text, load(self.lang or "uk+ru"))
        if len(vals) >= 2 and vals[-1] > self.value:
            return vals[-1]
        return None

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready dict of design.md; ranges add ``range_end``."""
        d = asdict(self)
        end = self.range_end
        if end is not None:
            d["range_end"] = end
        return d
