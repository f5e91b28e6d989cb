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
