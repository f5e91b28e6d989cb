"""Loading the TOML lexicons into lookup structures, once per language.

The words live in ``lexicons/*.toml`` so an analyst can add a metric cue, a qualifier or an
organisation alias without touching code (trafilatura's habit: rules as data). This module
only compiles them: number words into a dictionary, every phrase list into one
:class:`PhraseMatcher` that finds all categories in a single pass over a sentence.
"""

from __future__ import annotations

import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from importlib import resources
from typing import Any

from .text import FOLD, WORD, Tokens, normalise, tokenize

LANGS = ("en", "uk", "ru")

# Pattern tokens: (text, is_stem, case) where case is 0 = lowercase compare, 1 = first letter
# must match case (proper names), 2 = exact (acronyms).
Pat = tuple[str, bool, int]


def _compile_phrase(phrase: str, case_rule: str) -> tuple[Pat, ...]:
    toks = tokenize(phrase)
    pats: list[Pat] = []
    n = len(toks)
    for i in range(n):
        raw = toks.raws[i]
        if raw == "*" and pats:
            continue
        stem = i + 1 < n and toks.raws[i + 1] == "*" and toks.starts[i + 1] == toks.ends[i]
        case = 0
        if toks.kinds[i] == WORD:
            if case_rule == "acronym" and len(raw) > 1 and raw.isupper():
                case = 2
            elif case_rule == "initial" and raw[:1].isupper():
                case = 2 if (len(raw) > 1 and raw.isupper()) else 1
        text = raw.translate(FOLD) if case else toks.lows[i]
        pats.append((text, stem, case))
    return tuple(pats)


@dataclass
class PhraseMatcher:
    """Finds every lexicon phrase in a token list; one dictionary probe per token and stem length.

    Payloads are (category, value) pairs. ``scan`` returns, for each category, the longest
    match starting at each token and the longest match ending at each token.
    """

    exact: dict[str, list[tuple[tuple[Pat, ...], tuple[str, Any]]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    stems: dict[int, dict[str, list[tuple[tuple[Pat, ...], tuple[str, Any]]]]] = field(
        default_factory=dict
    )
    _cache: dict[str, list[tuple[tuple[Pat, ...], tuple[str, Any]]]] = field(
        default_factory=dict, repr=False
    )
    _stem_items: list[tuple[int, dict[str, list]]] | None = field(default=None, repr=False)
    _singles: dict[str, tuple[tuple[tuple[str, Any], ...], tuple[Any, ...]]] = field(
        default_factory=dict, repr=False)

    def add(self, phrase: str, payload: tuple[str, Any], case_rule: str = "acronym") -> None:
        self._cache.clear()
        self._singles.clear()
        self._stem_items = None
        pats = _compile_phrase(phrase, case_rule)
        if not pats:
            return
        first, stem, case = pats[0]
        key = normalise(first) if case else first
        if stem:
            self.stems.setdefault(len(key), defaultdict(list))[key].append((pats, payload))
        else:
            self.exact[key].append((pats, payload))

    def _first(self, low: str) -> list[tuple[tuple[Pat, ...], tuple[str, Any]]]:
        """Phrases whose first word may match token *low* (cached: words repeat a lot)."""
        found = self._cache.get(low)
        if found is None:
            cands = self.exact.get(low)
            found = list(cands) if cands else []
            if self._stem_items is None:
                self._stem_items = sorted(self.stems.items())
            for length, table in self._stem_items:
                if length > len(low):
                    break
                more = table.get(low[:length])
                if more:
                    found.extend(more)
            if len(self._cache) < 500_000:
                self._cache[low] = found
        return found

    def _split(self, low: str) -> tuple[tuple[tuple[str, Any], ...], tuple[Any, ...]]:
        """The phrases that may start at a token *low*: one-word ones in any case (matched by
        the lookup itself) apart from the rest (cached per word form)."""
        found = self._singles.get(low)
        if found is None:
            singles, multis = [], []
            for pats, payload in self._first(low):
                if len(pats) == 1 and pats[0][2] == 0:
                    singles.append(payload)
                else:
                    multis.append((pats, payload))
            found = (tuple(singles), tuple(multis))
            if len(self._singles) < 500_000:
                self._singles[low] = found
        return found

    def scan(self, toks: Tokens) -> Matches:
        by_start: dict[str, dict[int, tuple[int, Any]]] = {}
        by_end: dict[str, dict[int, tuple[int, Any]]] = {}
        lows, raws = toks.lows, toks.raws
        n = len(lows)
        split = self._split
        for i in range(n):
            singles, multis = split(lows[i])
            if multis:
                nxt = lows[i + 1] if i + 1 < n else None
                for pats, (cat, value) in multis:
                    second = pats[1] if len(pats) > 1 else None
                    if second is not None and second[2] == 0 and not second[1] and (
                            nxt != second[0]):
                        continue  # the cheap test first: most phrases fail on word two
                    j = _match(pats, lows, raws, i, n)
                    if j < 0:
                        continue
                    starts = by_start.setdefault(cat, {})
                    old = starts.get(i)
                    if old is None or old[0] < j:
                        starts[i] = (j, value)
                    ends = by_end.setdefault(cat, {})
                    old = ends.get(j - 1)
                    if old is None or old[0] > i:
                        ends[j - 1] = (i, value)
            # one-word phrases last: a longer phrase starting here wins, and one ending here
            # that started earlier was recorded before
            for cat, value in singles:
                starts = by_start.setdefault(cat, {})
                if i not in starts:
                    starts[i] = (i + 1, value)
                ends = by_end.setdefault(cat, {})
                if i not in ends:
                    ends[i] = (i, value)
        return Matches(by_start, by_end)


def _match(pats: tuple[Pat, ...], lows: list[str], raws: list[str], i: int, n: int) -> int:
    """Return the index after the phrase when *pats* match at token *i*, else -1."""
    j = i
    for text, stem, case in pats:
        if j >= n:
            return -1
        if case == 0:
            tok = lows[j]
        else:
            tok = raws[j].translate(FOLD)
            if case == 1:
                if tok[:1] != text[:1]:
                    return -1
                tok, text = normalise(tok), normalise(text)
        if stem:
            if not tok.startswith(text):
                return -1
        elif tok != text:
            return -1
        j += 1
    return j


@dataclass(slots=True)
class Matches:
    """Phrase matches of one sentence: ``start[cat][i] = (end, value)``, ``end[cat][j] = (start, value)``."""

    start: dict[str, dict[int, tuple[int, Any]]]
    end: dict[str, dict[int, tuple[int, Any]]]

    def at(self, cat: str, i: int) -> tuple[int, Any] | None:
        return self.start.get(cat, _NONE).get(i)

    def ending(self, cat: str, j: int) -> tuple[int, Any] | None:
        return self.end.get(cat, _NONE).get(j)


_NONE: dict[int, tuple[int, Any]] = {}


# Number-word kinds.
UNIT, TEEN, TEN, HUNDRED, HMULT, SCALE, FRACTION, INDEFINITE, CONNECTOR = range(9)


@dataclass
class Lexicon:
    """Everything the extractor needs to know about one language, compiled."""

    lang: str
    decimal_mark: str
    numwords: dict[str, tuple[int, Fraction]]
    standalone: frozenset[str]
    fractions_need_count: frozenset[str]
    never_final: frozenset[str]
    matcher: PhraseMatcher
    context_matcher: PhraseMatcher  # regions, organisations, attributions, law references
    region_exclude: tuple[str, ...]
    ordinal_suffixes: frozenset[str]
    cardinal_suffixes: frozenset[str]
    trigger_words: frozenset[str]  # number words that can start a figure
    weak_regions: frozenset[str]  # country names, used only when nothing closer is named
    abbreviated_scales: frozenset[str]  # "тис", "млн": a glued full stop belongs to them


_ORDINAL_SUFFIXES = {
    "en": ["th", "st", "nd", "rd", "s"],
    "uk": [
        "й",
        "го",
        "ий",
        "ій",
        "ого",
        "ому",
        "им",
        "ім",
        "а",
        "я",
        "е",
        "є",
        "ї",
        "ої",
        "та",
        "те",
        "ту",
        "ше",
        "ге",
        "тя",
        "ти",
        "ю",
        "у",
        "ої",
        "ею",
        "ми",
        "х",
        "ти",
        "ть",
    ],
    "ru": [
        "й",
        "го",
        "ий",
        "ой",
        "ого",
        "ому",
        "им",
        "ым",
        "ом",
        "а",
        "я",
        "е",
        "ая",
        "ое",
        "ые",
        "ых",
        "ую",
        "ю",
        "у",
        "ей",
        "ой",
        "ти",
        "х",
        "м",
        "ми",
        "ть",
    ],
}
# Glued case endings that keep a numeral cardinal ("2-х тысяч", "5-ти человек").
_CARDINAL_SUFFIXES = {
    "en": [],
    "uk": ["х", "ох", "ьох", "ти", "ми", "ма", "ом"],
    "ru": ["х", "ух", "ех", "ти", "ми", "м", "мя", "ью"],
}


@cache
def _read(name: str) -> dict[str, Any]:
    """One lexicon file, parsed once per process (every language's load reads all of
    them: the abbreviations of all three languages apply everywhere).  Read-only."""
    data = resources.files(__package__).joinpath("lexicons", name).read_bytes()
    return tomllib.loads(data.decode("utf-8"))


@cache
def load(lang: str) -> Lexicon:
    """Compile the lexicon for *lang* ("en", "uk", "ru"); "uk+ru" merges both Cyrillic ones."""
    langs = lang.split("+")
    docs = [_read(f"{code}.toml") for code in langs]
    regions = _read("regions.toml")
    orgs = _read("organisations.toml")
    matcher = PhraseMatcher()
    context = PhraseMatcher()  # only what a sentence without numbers is read for
    numwords: dict[str, tuple[int, Fraction]] = {}
    standalone: set[str] = set()
    need_count: set[str] = set()
    never_final: set[str] = set()
    ordinals: set[str] = set()
    cardinals: set[str] = set()
    for code, doc in zip(langs, docs, strict=True):
        _add_numbers(doc["numbers"], numwords)
        standalone.update(normalise(w) for w in doc["numbers"].get("standalone", []))
        need_count.update(normalise(w) for w in doc["numbers"].get("fractions_need_count", []))

        ordinals.update(_ORDINAL_SUFFIXES[code])
        cardinals.update(_CARDINAL_SUFFIXES[code])
        _add_phrases(doc, matcher)
        _add_phrases(doc, context, only=CONTEXT_CATEGORIES)
    # Abbreviations are script-specific, so all languages' lists are safe to use together
    # (an English report quoting "ст. 328" must not be cut after "ст.").
    for code in LANGS:
        never_final.update(normalise(w) for w in _read(f"{code}.toml")["sentences"]["never_final"])
    for region, entry in regions.items():
        if not isinstance(entry, dict):
            continue
        for name in entry["names"]:
            matcher.add(name, ("region", region), case_rule="initial")
            context.add(name, ("region", region), case_rule="initial")
    for org in orgs["organisation"]:
        for alias in org["aliases"]:
            matcher.add(alias, ("org", org["name"]))
            context.add(alias, ("org", org["name"]))
    return Lexicon(
        lang=lang,
        decimal_mark=docs[0]["decimal_mark"],
        numwords=numwords,
        standalone=frozenset(standalone),
        fractions_need_count=frozenset(need_count),
        never_final=frozenset(never_final),
        matcher=matcher,
        context_matcher=context,
        region_exclude=tuple(e.rstrip("*").lower() for e in regions.get("exclude", [])),
        ordinal_suffixes=frozenset(ordinals),
        cardinal_suffixes=frozenset(cardinals),
        weak_regions=frozenset(regions.get("weak", [])),
        abbreviated_scales=frozenset(
            normalise(f).rstrip(".")
            for doc in docs
            for forms in doc["numbers"].get("scales", {}).values()
            for f in forms
            if f.endswith(".")
        ),
        trigger_words=frozenset(
            w for w, (kind, _) in numwords.items() if kind not in (INDEFINITE, CONNECTOR)
        ),
    )


def _add_numbers(nums: dict[str, Any], out: dict[str, tuple[int, Fraction]]) -> None:
    for kind, key in ((UNIT, "units"), (TEEN, "teens"), (TEN, "tens"), (HUNDRED, "hundreds")):
        for value, forms in nums.get(key, {}).items():
            for form in forms:
                out[normalise(form)] = (kind, Fraction(value))
    for form in nums.get("hundred_multipliers", []):
        out[normalise(form)] = (HMULT, Fraction(100))
    for value, forms in nums.get("scales", {}).items():
        for form in forms:
            out[normalise(form).rstrip(".")] = (SCALE, Fraction(value))
    for value, forms in nums.get("fractions", {}).items():
        for form in forms:
            out[normalise(form)] = (FRACTION, Fraction(value))
    for form in nums.get("indefinite", []):
        out[normalise(form)] = (INDEFINITE, Fraction(1))
    for form in nums.get("connectors", []):
        out[normalise(form)] = (CONNECTOR, Fraction(0))


# A sentence without a number is read only for the context of its neighbours' figures.
CONTEXT_CATEGORIES = frozenset(["code", "attr_before", "attr_org", "attr_verb", "backref"])


class _Only:
    """A matcher view that keeps the phrases of some categories only."""

    def __init__(self, matcher: PhraseMatcher, categories: frozenset[str]) -> None:
        self.matcher, self.categories = matcher, categories

    def add(self, phrase: str, payload: tuple[str, Any], case_rule: str = "acronym") -> None:
        if payload[0] in self.categories:
            self.matcher.add(phrase, payload, case_rule)


def _add_phrases(doc: dict[str, Any], matcher: PhraseMatcher,
                 only: frozenset[str] | None = None) -> None:
    m: Any = matcher if only is None else _Only(matcher, only)
    q = doc["qualifiers"]
    for qual in ("at_least", "more_than", "approx", "up_to", "less_than"):
        for p in q.get(qual, []):
            m.add(p, ("qual", qual))
        for p in q.get("postfix", {}).get(qual, []):
            m.add(p, ("qual_post", qual))
    for p in q.get("ambiguous", []):
        m.add(p, ("qual_ambiguous", "up_to"))
    r = doc["ranges"]
    for p in r["open"]:
        m.add(p, ("range_open", None))
    for p in r["join"]:
        m.add(p, ("range_join", None))
    for p in r["change"]:
        m.add(p, ("change", None))
    per = doc["period"]
    for p in per["triggers"]:
        m.add(p, ("p_trigger", None))
    for p in per["anchors"]:
        m.add(p, ("p_anchor", None))
    for p in per["filler"]:
        m.add(p, ("p_filler", None))
    dates = doc["dates"]
    for month, forms in dates["months"].items():
        for p in forms:
            m.add(p, ("month", int(month)), case_rule="initial")
    for p in dates["year_words"]:
        m.add(p, ("year_word", None))
    for p in dates["time_words"]:
        m.add(p, ("time_word", None))
    for p in dates.get("time_before", []):
        m.add(p, ("time_before", None))
    nf = doc["nonfigures"]
    for p in nf.get("counted", []):
        m.add(p, ("count", None))
    for cat in (
        "article",
        "code",
        "identifier",
        "page",
        "counter",
        "age_before",
        "age_glued",
        "age_after",
        "duration",
        "percent",
        "currency_before",
        "currency_after",
        "unit",
        "phone",
        "address",
    ):
        for p in nf.get(cat, []):
            m.add(p, (cat, None))
    att = doc["attribution"]
    for p in att["before_source"]:
        m.add(p, ("attr_before", None))
    for p in att.get("before_source_org", []):
        m.add(p, ("attr_org", None))
    for p in att["verbs"]:
        m.add(p, ("attr_verb", None))
    for p in att["backref"]:
        m.add(p, ("backref", None))
