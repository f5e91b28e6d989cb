"""Who a casualty count counts: residents, members of units, civilians.

Pure and table-driven (``populations.toml``): the series key of a deaths, injured or
captured figure carries its population, so that "703 residents of Crimea killed" and
"1,873 members of Crimea-based units killed" stay two series instead of one false jump.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_PATH = Path(__file__).with_name("populations.toml")

__all__ = ["Populations", "load_populations", "population_label", "population_of"]


@dataclass(frozen=True)
class Populations:
    metrics: frozenset[str]
    order: tuple[tuple[str, str, re.Pattern[str]], ...]  # (id, label, cue pattern)

    def classify(self, metric: str | None, subject: str | None,
                 sentence: str | None = None) -> str:
        """The population id of a figure, or "" (none, or a metric not split by it)."""
        if metric not in self.metrics:
            return ""
        if subject:
            for pid, _, cues in self.order:
                if cues.search(subject):
                    return pid
        if sentence:
            named = [pid for pid, _, cues in self.order if cues.search(sentence)]
            if len(named) == 1:
                return named[0]
        return ""

    def label(self, population: str) -> str:
        return next((label for pid, label, _ in self.order if pid == population), population)


def _compile(cues: list[Any], where: str) -> re.Pattern[str]:
    if not cues or not all(isinstance(c, str) and c for c in cues):
        raise ValueError(f"{where}: cues must be a non-empty list of regular expressions")
    return re.compile(r"(?<!\w)(?:" + "|".join(cues) + ")", re.IGNORECASE)


def load_populations(path: str | Path | None = None) -> Populations:
    """Read a populations file (default: the shipped ``populations.toml``)."""
    with Path(path or DEFAULT_PATH).open("rb") as fh:
        raw: Mapping[str, Any] = tomllib.load(fh)
    order = []
    for i, table in enumerate(raw.get("population", [])):
        where = f"{path or DEFAULT_PATH}: [[population]] #{i + 1}"
        pid = table.get("id")
        if not isinstance(pid, str) or not re.fullmatch(r"[a-z][a-z_]*", pid):
            raise ValueError(f"{where}: id must be lowercase letters")
        order.append((pid, str(table.get("label") or pid), _compile(table.get("cues"), where)))
    return Populations(frozenset(raw.get("metrics", [])), tuple(order))


@functools.lru_cache(maxsize=1)
def _default() -> Populations:
    return load_populations()


def population_of(metric: str | None, subject: str | None, sentence: str | None = None) -> str:
    """The population of a figure by the shipped rules ("" when none applies)."""
    return _default().classify(metric, subject, sentence)


def population_label(population: str | None) -> str:
    """How readers name a population ("members of units"); "" for none."""
    return _default().label(population) if population else ""
