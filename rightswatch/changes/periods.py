"""Period phrases → period keys, so that only counts over the same window form a series.

A "since 2022" count of criminal cases must never be compared with a "since 2015" count: the
first is a subset of the second, and an alert "574 → 120 (−454)" would be nonsense.  The
figure extractor gives the period *as written*; this module maps it to a key:

- ``cumulative:occupation``  running total over the whole occupation ("since 2014/2015",
  "throughout the occupation", "за роки окупації", "с момента аннексии")
- ``cumulative:2022``        since the full-scale invasion ("since 24 February 2022",
  "з початку повномасштабного вторгнення", "since 2022")
- ``cumulative:YYYY[-MM]``   running total from a date ("since September 2023" → 2023-09)
- ``cumulative:unspecified`` no period, or only a reporting date ("as of October 2024")
- ``interval:A/B``           a closed window, A and B either YYYY or YYYY-MM
  ("from July to September 2024" → 2024-07/2024-09, "in 2024" → 2024/2024)
- ``interval:occupation/2022-02`` the occupation years before the full-scale invasion
- ``campaign:YYYY-autumn``   a conscription campaign (spring/autumn)
- ``season:YYYY-summer``     a season that is not a campaign
- ``text:<phrase>``          a phrase no rule knows: it only matches the same wording

The phrase rules, month names (all cases, en/uk/ru) and settings live in ``periods.toml``
so that analysts can extend them without touching code.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "CUMULATIVE_UNSPECIFIED",
    "PeriodRule",
    "PeriodRules",
    "describe_period_key",
    "explain_period",
    "load_period_rules",
    "normalize_period",
    "normalize_phrase",
    "running_total_key",
]

CUMULATIVE_UNSPECIFIED = "cumulative:unspecified"
DEFAULT_PATH = Path(__file__).with_name("periods.toml")

_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"})
_QUOTES = str.maketrans({c: "'" for c in "\u2019\u2018\u02bc\u0060\u00b4"})
_SPACE_RE = re.compile(r"\s+")
_PLACEHOLDER_RE = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")
_PUB_RE = re.compile(r"(\d{4})(?:-(\d{1,2}))?")

_KINDS = frozenset(
    {"reporting", "fixed", "since", "range", "quarter", "half", "campaign", "season",
     "month", "year", "ytd", "this_year", "last_year"}
)


def normalize_phrase(text: str) -> str:
    """Case-fold and unify typography so that rules need one spelling of each thing."""
    t = text.casefold().replace("ё", "е").translate(_DASHES).translate(_QUOTES)
    return _SPACE_RE.sub(" ", t).strip(" ,.;:")


@dataclass(frozen=True, slots=True)
class PeriodRule:
    """One compiled rule of periods.toml (see the file's header for the kinds)."""

    name: str
    kind: str
    regex: re.Pattern[str]
    key: str | None = None
    season: str | None = None
    lang: str = "all"


@dataclass(frozen=True)
class PeriodRules:
    """The compiled rule set: reporting-date strippers, ordered rules and lexicons."""

    reporting: tuple[PeriodRule, ...]
    rules: tuple[PeriodRule, ...]
    occupation_years: frozenset[int]
    cumulative_alias: Mapping[str, str]
    season_kind: Mapping[str, str]
    lexicon: Mapping[str, tuple[tuple[str, re.Pattern[str]], ...]]
    running_totals: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def lookup(self, cls: str, text: str) -> str | None:
        """The lexicon value ("9", "autumn") whose forms match ``text`` whole."""
        for value, rx in self.lexicon.get(cls, ()):
            if rx.fullmatch(text):
                return value
        return None


def _alternation(forms: list[str]) -> str:
    # Longest first, so "september" is tried before "sep"; the boundary after the group
    # forces whole words anyway.
    return "(?:" + "|".join(sorted(forms, key=len, reverse=True)) + r")(?!\w)"


def _compile(pattern: str, fragments: Mapping[str, str]) -> re.Pattern[str]:
    """Expand placeholders; a placeholder used again gets a ``__N`` suffixed group name."""
    used: dict[str, int] = {}

    def expand(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in ("B", "E", "CAMPAIGN"):
            return fragments[name]
        base = name.lower()
        if base not in fragments:
            raise ValueError(f"unknown placeholder {{{name}}} in period rule: {pattern!r}")
        n = used.get(base, 0)
        used[base] = n + 1
        group = base if n == 0 else f"{base}__{n}"
        tail = fragments.get(base + "_tail", "")
        return f"(?:(?P<{group}>{fragments[base]}){tail})"

    return re.compile(_PLACEHOLDER_RE.sub(expand, pattern))


@functools.cache
def load_period_rules(path: str | Path | None = None) -> PeriodRules:
    """Load and compile periods.toml (the packaged one by default); cached per path."""
    with open(path or DEFAULT_PATH, "rb") as fh:
        doc: dict[str, Any] = tomllib.load(fh)
    lex = doc.get("lexicon", {})
    settings = doc.get("settings", {})
    lexicon: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] = {}
    for cls in ("month", "season", "ord"):
        entries = lex.get(cls, {})
        lexicon[cls] = tuple(
            (str(value), re.compile(_alternation(list(forms)))) for value, forms in entries.items()
        )
    all_forms = {cls: [f for _, forms in lex.get(cls, {}).items() for f in forms]
                 for cls in ("month", "season", "ord")}
    fragments = {
        "B": r"(?<!\w)",
        "E": r"(?!\w)",
        "CAMPAIGN": _alternation(list(lex.get("campaign", ["campaign"]))),
        "year": r"(?<!\d)(?:19|20)\d\d(?!\d)",
        "year_tail": r"(?:\s*" + _alternation(list(lex.get("year_word", []))) + ")?"
        if lex.get("year_word") else "",
        "year2": r"(?<!\d)(?:19|20)\d\d(?!\d)",
        "day": r"(?<!\d)\d{1,2}(?:st|nd|rd|th)?(?!\d)",
        "day2": r"(?<!\d)\d{1,2}(?:st|nd|rd|th)?(?!\d)",
        "month": _alternation(all_forms["month"]),
        "month2": _alternation(all_forms["month"]),
        "season": _alternation(all_forms["season"]),
        "ord": _alternation(all_forms["ord"]),
    }
    fragments["year2_tail"] = fragments["year_tail"]
    reporting: list[PeriodRule] = []
    rules: list[PeriodRule] = []
    for raw in doc.get("rules", []):
        kind = raw["kind"]
        if kind not in _KINDS:
            raise ValueError(f"period rule {raw.get('name')!r}: unknown kind {kind!r}")
        if kind == "fixed" and not raw.get("key"):
            raise ValueError(f"period rule {raw.get('name')!r}: kind 'fixed' needs a key")
        rule = PeriodRule(
            name=raw["name"],
            kind=kind,
            regex=_compile(raw["pattern"], fragments),
            key=raw.get("key"),
            season=raw.get("season"),
            lang=raw.get("lang", "all"),
        )
        (reporting if kind == "reporting" else rules).append(rule)
    return PeriodRules(
        reporting=tuple(reporting),
        rules=tuple(rules),
        occupation_years=frozenset(int(y) for y in settings.get("occupation_years", [])),
        cumulative_alias=dict(settings.get("cumulative_alias", {})),
        running_totals=dict(settings.get("running_totals", {})),
        season_kind=dict(settings.get("seasons", {})),
        lexicon=lexicon,
    )


# ----------------------------------------------------------------------------------------
# Building keys from captures


class _Unresolved(Exception):
    """A rule matched but its captures are incomplete (e.g. a month with no known year)."""


def _captures(m: re.Match[str]) -> dict[str, str]:
    """Group values by base name ("month__1" counts as "month"), first non-empty wins."""
    out: dict[str, str] = {}
    for name, value in m.groupdict().items():
        if value:
            out.setdefault(name.split("__", 1)[0], value)
    return out


def _year(text: str | None) -> int | None:
    if not text:
        return None
    m = re.search(r"(?:19|20)\d\d", text)
    return int(m.group()) if m else None


@functools.lru_cache(maxsize=4096)
def _pub(published_at: str | None) -> tuple[int, int] | None:
    if not published_at:
        return None
    m = _PUB_RE.match(published_at.strip())
    if not m:
        return None
    return int(m.group(1)), int(m.group(2) or 12)


def _infer_year(month: int | None, pub: tuple[int, int] | None) -> int:
    """The year of a month written without one: the latest not after publication."""
    if pub is None:
        raise _Unresolved
    year, pub_month = pub
    if month is not None and month > pub_month:
        return year - 1
    return year


def _ym(year: int, month: int | None) -> str:
    return f"{year}" if month is None else f"{year}-{month:02d}"


def _interval(y1: int, m1: int | None, y2: int, m2: int | None) -> str:
    """Canonical interval: whole years when the months span January–December."""
    if (m1 is None) != (m2 is None):
        m1 = 1 if m1 is None else m1
        m2 = 12 if m2 is None else m2
    if m1 == 1 and m2 == 12:
        m1 = m2 = None
    return f"interval:{_ym(y1, m1)}/{_ym(y2, m2)}"


def _key_for(rule: PeriodRule, cap: dict[str, str], rules: PeriodRules,
             pub: tuple[int, int] | None) -> str:
    month = int(v) if (v := rules.lookup("month", cap.get("month", ""))) else None
    month2 = int(v) if (v := rules.lookup("month", cap.get("month2", ""))) else None
    year, year2 = _year(cap.get("year")), _year(cap.get("year2"))
    kind = rule.kind
    if kind == "fixed":
        assert rule.key is not None
        return rule.key
    if kind == "since":
        if year is None and month is None:
            raise _Unresolved
        if year is None:
            year = _infer_year(month, pub)
        if year in rules.occupation_years:
            return "cumulative:occupation"
        start = _ym(year, None if month in (None, 1) else month)
        return "cumulative:" + rules.cumulative_alias.get(start, start)
    if kind == "range":
        if (year is None and month is None) or (year2 is None and month2 is None):
            raise _Unresolved
        if year is None and year2 is None:
            year2 = _infer_year(month2, pub)
        if year is None:
            assert year2 is not None
            year = year2 - 1 if (month and month2 and month > month2) else year2
        if year2 is None:
            year2 = year + 1 if (month and month2 and month2 < month) else year
        return _interval(year, month, year2, month2)
    if kind in ("quarter", "half"):
        n = rules.lookup("ord", cap.get("ord", ""))
        if n is None:
            raise _Unresolved
        span = 3 if kind == "quarter" else 6
        first = (int(n) - 1) * span + 1
        if year is None:
            year = _infer_year(first + span - 1, pub)
        return _interval(year, first, year, first + span - 1)
    if kind in ("campaign", "season"):
        season = rule.season or rules.lookup("season", cap.get("season", ""))
        if season is None:
            raise _Unresolved
        if year is None:
            if pub is None:
                raise _Unresolved
            # An autumn campaign is reported on until early the next year.
            year = pub[0] - 1 if season == "autumn" and pub[1] <= 3 else pub[0]
        prefix = "campaign" if kind == "campaign" else rules.season_kind.get(season, "season")
        return f"{prefix}:{year}-{season}"
    if kind == "month":
        if month is None:
            raise _Unresolved
        if year is None:
            year = _infer_year(month, pub)
        return _interval(year, month, year, month)
    if kind == "year":
        if year is None:
            raise _Unresolved
        return _interval(year, None, year, None)
    if pub is None:
        raise _Unresolved
    if kind == "ytd":
        return f"cumulative:{pub[0]}"
    if kind == "this_year":
        return _interval(pub[0], None, pub[0], None)
    if kind == "last_year":
        return _interval(pub[0] - 1, None, pub[0] - 1, None)
    raise _Unresolved  # pragma: no cover - kinds are validated at load time


def _strip_reporting(text: str, rules: PeriodRules) -> str:
    for rule in rules.reporting:
        text = rule.regex.sub(" ", text)
    return _SPACE_RE.sub(" ", text).strip(" ,.;:-")


def _resolve(period: str, pub: tuple[int, int] | None, rules_path: str | None
             ) -> tuple[str, str | None]:
    """(key, name of the deciding rule: "reporting", a rule's name, or None for text:)."""
    rules = load_period_rules(rules_path)
    rest = _strip_reporting(normalize_phrase(period), rules)
    if not any(ch.isalnum() for ch in rest):
        return CUMULATIVE_UNSPECIFIED, "reporting"
    for rule in rules.rules:
        for m in rule.regex.finditer(rest):
            try:
                return _key_for(rule, _captures(m), rules, pub), rule.name
            except _Unresolved:
                continue
    return "text:" + rest, None


@functools.lru_cache(maxsize=8192)
def _normalize_cached(period: str | None, pub_ym: tuple[int, int] | None,
                      rules_path: str | None) -> str:
    if period is None:
        return CUMULATIVE_UNSPECIFIED
    return _resolve(period, pub_ym, rules_path)[0]


def normalize_period(period: str | None, published_at: str | None = None,
                     *, rules_path: str | None = None) -> str:
    """The period key of a period phrase as written (see the module doc for the keys).

    ``published_at`` (ISO date) resolves phrases that leave out the year ("in November",
    "this year"); without it such phrases get a ``text:`` key rather than a guessed year.
    ``rules_path`` selects another periods.toml (tests, site-specific overrides).
    """
    return _normalize_cached(period, _pub(published_at), rules_path)


def running_total_key(metric: str | None, *, rules_path: str | None = None) -> str:
    """The period key of a running total of *metric* stated with no period (periods.toml,
    [settings.running_totals]); ``cumulative:unspecified`` for metrics with no usual span."""
    rules = load_period_rules(rules_path)
    return rules.running_totals.get(metric or "", CUMULATIVE_UNSPECIFIED)


def explain_period(period: str, published_at: str | None = None,
                   *, rules_path: str | None = None) -> tuple[str, str | None]:
    """(key, name of the rule that decided it): for analysts checking a new rule."""
    return _resolve(period, _pub(published_at), rules_path)


_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")


def _human_ym(text: str) -> str:
    year, _, month = text.partition("-")
    if month.isdigit() and 1 <= int(month) <= 12:
        return f"{_MONTHS_EN[int(month) - 1]} {year}"
    return year


@functools.cache
def _alias_origin() -> dict[str, str]:
    """[settings.cumulative_alias] read backwards: the start each alias stands for."""
    origin: dict[str, str] = {}
    for start, alias in load_period_rules().cumulative_alias.items():
        origin.setdefault(alias, start)
    return origin


def describe_period_key(key: str | None) -> str:
    """A period key as a reader of a digest or chart title reads it ("since September
    2023", "July 2024 – September 2024"); "" when the count states no period."""
    if not key or key == CUMULATIVE_UNSPECIFIED:
        return ""
    kind, _, rest = key.partition(":")
    if kind == "cumulative":
        if rest == "occupation":
            return "since the occupation began"
        # An aliased start reads as the start it stands for ("2022" is since February 2022).
        return f"since {_human_ym(_alias_origin().get(rest, rest))}"
    if kind == "interval":
        start, _, end = rest.partition("/")
        if start == "occupation":
            return f"occupation years before {_human_ym(end)}"
        return f"in {_human_ym(start)}" if start == end else \
            f"{_human_ym(start)} – {_human_ym(end)}"
    if kind in ("campaign", "season"):
        year, _, name = rest.partition("-")
        return f"{name} {year}" + (" conscription campaign" if kind == "campaign" else "")
    return rest or key
