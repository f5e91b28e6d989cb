"""The lemma lexicons (things, predicates, populations, parts, attributions), loaded,
validated and compiled into matchers — plus the metrics users add in rightswatch.toml.

Entries are written as words (any form); each word is analysed at load with the language's
own analyser and kept as the *set* of its possible lemmas, and a text word matches when its
lemmas meet that set (or its spelling is the entry's).  Keeping sets on both sides makes the
lexicon indifferent to which reading an analyser prefers for an isolated word ("дані":
"даний" or "дані"), which is the commonest way lemma lexicons silently miss.

Bad lexicons are refused at load with the file, the table and the key named: an unknown
metric id, a malformed table, an entry in the wrong language (Cyrillic in an English list,
Russian letters or words in a Ukrainian list, or the other way round).
"""

from __future__ import annotations

import tomllib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from ..config import LexiconError, MetricDef, script_problem
from ..vocabulary import METRICS, POPULATIONS
from .morph import ADJ, NOUN, PART, VERB, WordInfo, analyser, fold
from .text import WORD, tokenize

LANGS = ("en", "uk", "ru")
KINDS = ("thing", "person", "container")


@dataclass(frozen=True, slots=True)
class Thing:
    """A counted noun: its English key, metric, kind, population."""

    what: str
    metric: str | None = None
    kind: str = "thing"
    population: str | None = None
    weak: bool = False
    legal: bool = False  # a case whose kind (criminal, administrative) the law it falls under decides


Entry = tuple[frozenset[str], ...]
# "*" in an entry stands for up to four words of any kind ("force into * army" matches
# "forced into the Russian army"); English articles are left out of entries and skipped in
# texts, so "sign a contract" matches "signed contracts".
WILDCARD: frozenset[str] = frozenset(["*"])
_WILD_SPAN = 4
_EN_ARTICLES = frozenset(["a", "an", "the"])


@dataclass
class LemmaMatcher:
    """Finds every lexicon entry of every category in a sentence's analysed words, in one
    pass: one dict probe per word form (cached), then the few entries starting there.

    Categories in ``nominal`` need a last word that can be a noun or an adjective (counted
    things: so "recruited" is no "recruit" and "charged" no "charge").
    """

    index: dict[str, list[tuple[Entry, str, Any]]] = field(
        default_factory=lambda: defaultdict(list))
    nominal: frozenset[str] = frozenset()
    _first: dict[str, Any] = field(default_factory=dict, repr=False)

    def add(self, entry: Entry, category: str, payload: Any) -> None:
        if entry:
            self._first.clear()
            for lemma in entry[0]:
                self.index[lemma].append((entry, category, payload))

    def _starting(self, w: WordInfo, low: str
                  ) -> tuple[tuple[tuple[str, Any], ...], tuple[tuple[Entry, str, Any], ...]]:
        """The entries that may start at word *low*: one-word ones already matched (and, for
        nominal categories, already checked against the word), then the longer ones."""
        found = self._first.get(low)
        if found is None:
            items: list[tuple[Entry, str, Any]] = []
            for key in dict.fromkeys((*w.lemmas, low)):
                for item in self.index.get(key, ()):
                    if item not in items:
                        items.append(item)
            nominal_ok = not w.known or not w.pos.isdisjoint(_NOMINAL)
            singles = tuple((cat, payload) for entry, cat, payload in items
                            if len(entry) == 1 and (nominal_ok or cat not in self.nominal))
            multis = tuple(item for item in items if len(item[0]) > 1)
            found = (singles, multis)
            if len(self._first) > 200_000:
                self._first.clear()
            self._first[low] = found
        return found

    def scan(self, words: Sequence[WordInfo | None], lows: Sequence[str],
             skip: Sequence[bool]) -> dict[str, list[tuple[int, int, Any]]]:
        """category → every match as (first token, token after, payload), by start, the
        longest first.  ``words[i]`` is None for tokens that are not words; ``skip[i]``
        marks tokens a phrase may run over (a hyphen inside "call-up", an English article).
        """
        out: dict[str, list[tuple[int, int, Any]]] = {}
        n = len(words)
        nominal = self.nominal
        starting = self._starting
        for i in range(n):
            w = words[i]
            if w is None:
                continue
            singles, multis = starting(w, lows[i])
            if multis:
                k = i + 1
                while k < n and skip[k]:
                    k += 1
                nxt = words[k] if k < n else None
                for entry, category, payload in multis:
                    second = entry[1]
                    if second is not WILDCARD and (nxt is None or (
                            second.isdisjoint(nxt.lemmas) and lows[k] not in second)):
                        continue  # the cheap test first: most entries fail on word two
                    j = _match(entry, words, lows, skip, i, n)
                    if j < 0:
                        continue
                    if category in nominal:
                        last = words[j - 1]
                        if last is not None and last.known and last.pos.isdisjoint(_NOMINAL):
                            continue
                    out.setdefault(category, []).append((i, j, payload))
            for category, payload in singles:
                out.setdefault(category, []).append((i, i + 1, payload))
        for found in out.values():
            found.sort(key=lambda m: (m[0], -m[1]))
        return out


_NOMINAL = frozenset([NOUN, ADJ, PART])


def _match(entry: Entry, words: Sequence[WordInfo | None], lows: Sequence[str],
           skip: Sequence[bool], i: int, n: int, k: int = 0) -> int:
    """The token after *entry*[k:] matched from token *i*, or -1."""
    j = i
    while k < len(entry):
        want = entry[k]
        if k:
            while j < n and skip[j]:
                j += 1
        if want is WILDCARD:
            for extra in range(_WILD_SPAN + 1):
                end = _match(entry, words, lows, skip, j + extra, n, k + 1)
                if end > 0:
                    return end
                if j + extra >= n or words[j + extra] is None:
                    return -1
            return -1
        if j >= n:
            return -1
        w = words[j]
        if w is None or (want.isdisjoint(w.lemmas) and lows[j] not in want):
            return -1
        j += 1
        k += 1
    return j


@dataclass
class Vocab:
    """The compiled lemma lexicons of one language (or of "uk+ru"): one matcher over the
    categories thing, predicate, population, quota, generic, anaphora, partitive_before,
    partitive_after, earlier, states and case_kind."""

    langs: tuple[str, ...]
    matcher: LemmaMatcher
    metrics: tuple[str, ...]
    closed: frozenset[str] = frozenset()
    relative: frozenset[str] = frozenset()  # words opening a relative clause
    anaphoric: frozenset[str] = frozenset()  # lemmas pointing back: "such", "таких"
    case_words: dict[str, str] = field(default_factory=dict)  # lemma -> kind of case
    currencies: dict[str, str] = field(default_factory=dict)  # sign, word or lemma -> ISO code
    _seen: dict[str, WordInfo] = field(default_factory=dict, repr=False)

    def currency(self, raw: str, info: WordInfo | None) -> str | None:
        """The ISO code a token names ("$", "рублів", "hryvnias"), or None."""
        found = self.currencies.get(raw) or self.currencies.get(fold(raw))
        if found is None and info is not None:
            found = next((self.currencies[x] for x in info.lemmas if x in self.currencies), None)
        return found

    def case_kinds_of(self, words: Iterable[str]) -> set[str]:
        """The kinds of case ([[case_kind]], one-word entries) these word forms name."""
        found: set[str] = set()
        case_words = self.case_words
        for word in words:
            for lemma in self.analyse(word).lemmas:
                kind = case_words.get(lemma)
                if kind is not None:
                    found.add(kind)
        return found

    def analyse(self, word: str) -> WordInfo:
        """The word's readings in this vocabulary's language(s)."""
        found = self._seen.get(word)
        if found is None:
            found = self._analyse(word)
            if len(self._seen) > 200_000:
                self._seen.clear()
            self._seen[word] = found
        return found

    def _analyse(self, word: str) -> WordInfo:
        if len(self.langs) == 1:
            return analyser(self.langs[0])(word)
        infos = [analyser(code)(word) for code in self.langs]
        lemmas: list[str] = []
        for info in infos:
            lemmas.extend(x for x in info.lemmas if x not in lemmas)
        return WordInfo(tuple(lemmas), frozenset().union(*(i.pos for i in infos)),
                        frozenset().union(*(i.cases for i in infos)),
                        any(i.plural for i in infos), any(i.passive for i in infos),
                        any(i.known for i in infos), any(i.animate for i in infos))


@cache
def _read(name: str) -> dict[str, Any]:
    data = resources.files(__package__).joinpath("lexicons", name).read_bytes()
    return tomllib.loads(data.decode("utf-8"))


def entry_of(phrase: str, lang: str) -> Entry:
    """A lexicon phrase as the lemma sets of its words."""
    toks = tokenize(phrase)
    a = analyser(lang)
    out: list[frozenset[str]] = []
    for k in range(len(toks)):
        if toks.raws[k] == "*" and out:
            out.append(WILDCARD)
            continue
        if toks.kinds[k] != WORD or (lang == "en" and toks.lows[k] in _EN_ARTICLES):
            continue
        low = toks.lows[k]
        info = a(low)
        out.append(frozenset((*info.lemmas, fold(low))))
    return tuple(out)


def check_language(phrase: str, lang: str) -> str | None:
    """Why *phrase* cannot be a *lang* entry, or None when it can: the wrong alphabet or
    letters (config.script_problem), or words only the other Cyrillic language knows."""
    why = script_problem(phrase, lang)
    if why or lang not in ("uk", "ru"):
        return why
    other = "ru" if lang == "uk" else "uk"
    words = [w for w in fold(phrase).replace("-", " ").split() if len(w) > 3]
    own = [analyser(lang)(w).known for w in words]
    theirs = [analyser(other)(w).known for w in words]
    if words and not any(own) and all(theirs):
        return f"reads as {'Russian' if lang == 'uk' else 'Ukrainian'}, not as {lang}"
    return None


def _entries(table: Mapping[str, Any], where: str, langs: Iterable[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for code in langs:
        items = table.get(code, [])
        if not isinstance(items, list | tuple) or not all(isinstance(x, str) and x.strip()
                                                          for x in items):
            raise LexiconError(f"{where}: key '{code}' must be a list of words or phrases")
        for item in items:
            why = check_language(item, code)
            if why:
                raise LexiconError(f"{where}: key '{code}': {item!r} {why}")
        out[code] = list(items)
    return out


def _keys(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise LexiconError(f"{where}: unknown key {unknown[0]!r} (allowed: {sorted(allowed)})")


def parse_things(doc: Mapping[str, Any], file: str, metrics: Sequence[str]
                 ) -> list[tuple[Thing, dict[str, list[str]]]]:
    """Validate the ``[[thing]]`` tables of a lexicon document."""
    out = []
    tables = doc.get("thing", [])
    if not isinstance(tables, list):
        raise LexiconError(f"{file}: 'thing' must be an array of tables ([[thing]])")
    for n, t in enumerate(tables, 1):
        where = f"{file}: [[thing]] #{n}"
        if not isinstance(t, dict):
            raise LexiconError(f"{where}: must be a table")
        _keys(t, {"what", "metric", "kind", "population", "weak", "legal", *LANGS}, where)
        what = t.get("what")
        if not isinstance(what, str) or not what.strip():
            raise LexiconError(f"{where}: key 'what' must be an English key for the thing")
        where = f"{where} (what = {what!r})"
        metric = t.get("metric")
        if metric is not None and metric not in metrics:
            raise LexiconError(f"{where}: key 'metric': unknown metric id {metric!r}")
        kind = t.get("kind", "thing")
        if kind not in KINDS:
            raise LexiconError(f"{where}: key 'kind' must be one of {list(KINDS)}")
        pop = t.get("population")
        if pop is not None and pop not in POPULATIONS:
            raise LexiconError(f"{where}: key 'population' must be one of {list(POPULATIONS)}")
        flags = {key: t.get(key, False) for key in ("weak", "legal")}
        for key, value in flags.items():
            if not isinstance(value, bool):
                raise LexiconError(f"{where}: key {key!r} must be true or false")
        out.append((Thing(what, metric, kind, pop, flags["weak"], flags["legal"]),
                    _entries(t, where, LANGS)))
    return out


def parse_case_kinds(doc: Mapping[str, Any], file: str, metrics: Sequence[str]
                     ) -> list[tuple[str, dict[str, list[str]]]]:
    """Validate the ``[[case_kind]]`` tables: words naming the law a case falls under."""
    out = []
    for n, t in enumerate(doc.get("case_kind", []), 1):
        where = f"{file}: [[case_kind]] #{n}"
        if not isinstance(t, dict):
            raise LexiconError(f"{where}: must be a table")
        _keys(t, {"metric", *LANGS}, where)
        metric = t.get("metric")
        if not isinstance(metric, str) or metric not in metrics:
            raise LexiconError(f"{where}: key 'metric': unknown metric id {metric!r}")
        out.append((metric, _entries(t, f"{where} ({metric})", LANGS)))
    return out


@dataclass(frozen=True, slots=True)
class Predicate:
    """What happened: a metric, or (for states no metric counts, "went missing") a key."""

    metric: str | None
    what: str | None = None


def parse_predicates(doc: Mapping[str, Any], file: str, metrics: Sequence[str]
                     ) -> list[tuple[Predicate, dict[str, list[str]]]]:
    """Validate the ``[[predicate]]`` tables of a lexicon document."""
    out = []
    for n, t in enumerate(doc.get("predicate", []), 1):
        where = f"{file}: [[predicate]] #{n}"
        if not isinstance(t, dict):
            raise LexiconError(f"{where}: must be a table")
        _keys(t, {"metric", "what", *LANGS}, where)
        metric, what = t.get("metric"), t.get("what")
        if metric is None and not (isinstance(what, str) and what.strip()):
            raise LexiconError(f"{where}: give a 'metric' or, for no metric, a 'what'")
        if metric is not None and metric not in metrics:
            raise LexiconError(f"{where}: key 'metric': unknown metric id {metric!r}")
        pred = Predicate(metric, what)
        out.append((pred, _entries(t, f"{where} ({metric or what!r})", LANGS)))
    return out


@cache
def load_vocab(lang: str, extra: tuple[MetricDef, ...] = ()) -> Vocab:
    """The compiled lemma lexicons for *lang* ("en", "uk", "ru" or "uk+ru"), with the
    user's metrics (*extra*) added; compiled once per process and argument."""
    langs = tuple(lang.split("+"))
    metrics = (*METRICS, *(m.id for m in extra))
    things_doc = _read("things.toml")
    pred_doc = _read("predicates.toml")
    attr_doc = _read("attribution.toml")
    m = LemmaMatcher(nominal=frozenset(["thing"]))
    v = Vocab(langs, m, metrics=metrics)
    for thing, entries in parse_things(things_doc, "things.toml", metrics):
        _add_all(m, "thing", entries, langs, thing)
    for metric, entries in parse_case_kinds(things_doc, "things.toml", metrics):
        for code in langs:
            for item in entries.get(code, ()):
                entry = entry_of(item, code)
                if len(entry) == 1:  # read in every sentence by lemma (case_kinds_of)
                    v.case_words.update(dict.fromkeys(entry[0], metric))
                else:
                    m.add(entry, "case_kind", metric)
    for pred, entries in parse_predicates(pred_doc, "predicates.toml", metrics):
        _add_all(m, "predicate", entries, langs, pred)
    for n, t in enumerate(pred_doc.get("population", []), 1):
        where = f"predicates.toml: [[population]] #{n}"
        _keys(t, {"id", *LANGS}, where)
        if t.get("id") not in POPULATIONS:
            raise LexiconError(f"{where}: key 'id' must be one of {list(POPULATIONS)}")
        _add_all(m, "population", _entries(t, where, LANGS), langs, t["id"])
    _add_all(m, "quota", _entries(pred_doc.get("quota", {}), "predicates.toml: [quota]", LANGS),
             langs, True)
    parts = pred_doc.get("parts", {})
    for key in ("partitive_before", "partitive_after", "earlier", "states"):
        where = f"predicates.toml: [parts.{key}]"
        _add_all(m, key, _entries(parts.get(key, {}), where, LANGS), langs, True)
    for key in ("generic", "anaphora"):
        where = f"attribution.toml: [{key}]"
        _add_all(m, key, _entries(attr_doc.get(key, {}), where, LANGS), langs, True)
    grammar = [_read(f"{code}.toml").get("grammar", {}) for code in langs]
    v.closed = frozenset(w for g in grammar for w in g.get("closed_class", []))
    v.relative = frozenset(w for g in grammar for w in g.get("relative", []))
    v.anaphoric = frozenset(w for g in grammar for w in g.get("anaphoric", []))
    for code, forms in _read("currencies.toml").items():
        for form in forms:
            v.currencies[fold(form)] = code
    for user in extra:
        thing = Thing(user.what, user.id, user.kind)
        where = f"{user.where}: [[metric]] (id = {user.id!r})"
        nouns, preds = dict(user.nouns), dict(user.predicates)
        _entries(nouns, f"{where}: key 'nouns'", LANGS)
        _entries(preds, f"{where}: key 'predicates'", LANGS)
        _add_all(m, "thing", nouns, langs, thing)
        _add_all(m, "predicate", preds, langs, Predicate(user.id))
    return v


def _add_all(matcher: LemmaMatcher, category: str, entries: Mapping[str, Sequence[str]],
             langs: Sequence[str], payload: Any) -> None:
    for code in langs:
        for item in entries.get(code, ()):
            entry = entry_of(item, code)
            matcher.add(entry, category, payload)
            if category == "predicate" and code in ("uk", "ru"):
                inverted = _verb_last(item, entry, code)
                if inverted:
                    matcher.add(inverted, category, payload)


def _verb_last(item: str, entry: Entry, lang: str) -> Entry | None:
    """Ukrainian and Russian put the verb last as often as first ("в армию забрали 300
    человек", "к административной ответственности привлекли"): a verb-first phrase also
    matches with its verb at the end, a word or two after the rest."""
    if len(entry) < 2 or entry[0] is WILDCARD:
        return None
    first = analyser(lang)(item.split()[0])
    if VERB not in first.pos:
        return None
    return (*entry[1:], WILDCARD, entry[0])


def lexicon_whats() -> list[str]:
    """Every ``what`` key the shipped lexicons give (things and predicates)."""
    things = [t.what for t, _ in parse_things(_read("things.toml"), "things.toml", METRICS)]
    preds = [p.what for p, _ in parse_predicates(_read("predicates.toml"), "predicates.toml",
                                                 METRICS) if p.what]
    return things + preds
