"""What a number counts: the counted thing, what happened to it, whose part it is.

For every figure, in this order of trust (each figure says which decided: ``basis``):

1. **noun** — the noun phrase the number heads ("583 criminal proceedings", "574 випадки
   кримінального переслідування": a counting word such as "cases"/"випадки" hands over
   to its "of"/genitive complement), the noun that governs it ("obituaries of 45
   Crimeans", "the deaths of 703 residents"), participles inside the phrase ("detained
   activists", "депортованих дітей"), or the phrase a counting word names before the
   number ("the number of killed soldiers … at 1,732", "кількість політв'язнів — 277");
2. **context** — a part of a total ("of them 202", "з них 16", "3 proceedings were
   suspended" after a total) takes the metric of the whole and is marked ``part``; an
   earlier value ("up from 180", "the figure was 574") the metric of the figure before;
   a bare number in a list ("…, and 100 from Luhansk") the metric of the sentence;
3. **predicate** — what happened to people counted by a noun that says nothing of it
   ("63 Crimeans were mobilised", "1,732 soldiers … who have been killed", "засуджено 12
   кримчан"), in the number's clause and its relative clause.

The lexicons are by lemma (:mod:`.vocab`); the grammar is shallow on purpose (a noun
phrase, its complement, the clause up to the next figure), so the cost per figure is
bounded and the extractor stays linear.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .analysis import SentenceView
from .morph import ADJ, ADV, CONJ, NOUN, NUMR, PART, PREP, PRON, VERB, WordInfo
from .nonfigures import Cand
from .text import NUM, PUNCT, WORD
from .vocab import Predicate, Thing, Vocab

_CLAUSE_END = frozenset(";!?:")
_HYPHENS = frozenset("-‐‑")
_ARTICLES = frozenset(["the", "a", "an"])
_CASE_METRICS = frozenset(["criminal_cases", "administrative_cases"])
_CLOSED = frozenset([PREP, CONJ, PRON])
_AND = frozenset(["and", "but", "і", "й", "та", "а", "але", "и", "а", "но", ","])
_SCALES = frozenset(["thousand", "million", "тис", "тисяч", "тисячі", "тыс", "тысяч", "тысячи",
                     "млн"])
_OF = frozenset(["of", "out", "із", "з", "зі", "из", "с"])
_ALONE = frozenset(["alone", "only", "лише", "тільки", "лишь", "только"])
# After a number with nothing of its own, these make it one more item of a list
# ("200 from Zaporizhzhia and 100 from Luhansk", "41 in Sevastopol and 17 in Yevpatoria").
# "з них 451 …, ще 58 …": the next item of a breakdown
_FURTHER = frozenset(["ещё", "еще", "ще", "another", "further", "і", "и", "and",
                      "а", "та", ","])
_LIST_NEXT = frozenset(["from", "in", "at", "з", "із", "зі", "у", "в", "на", "из", "с", "со",
                        "во", "по"])
# How far before a number a counting word may stand and still name what it counts ("Число
# уголовных дел, которые силовики возбудили в Крыму …, достигло 583").
LABEL_REACH = 30
_AUX = frozenset(["is", "are", "was", "were", "be", "been", "being", "have", "has", "had",
                  "get", "got", "було", "були", "був", "була", "буде", "будуть", "є", "был",
                  "была", "были", "было", "будет", "будут"])
_BE = frozenset(["be", "бути", "быть", "стати", "стать", "become", "reach", "сягнути",
                 "составить", "становити", "составлять", "достигнуть", "досягти"])


@dataclass(slots=True)
class Sense:
    """The lemma-level view of one sentence: analysed words and every lexicon match."""

    words: list[WordInfo | None]
    thing_at: dict[int, tuple[int, int, Thing]]  # token -> the longest match covering it
    preds: list[tuple[int, int, Predicate]]
    pops: list[tuple[int, int, str]]
    quota: list[tuple[int, int]]  # decrees, plans, targets
    part_before_end: dict[int, int]  # last token of a "of them" phrase -> its first token
    part_after: set[int]  # first tokens of "of them" phrases
    earlier_end: set[int]  # last tokens of "up from", "the figure was" phrases
    states: list[tuple[int, int]]
    generic: list[tuple[int, int]]
    anaphora: list[tuple[int, int]]
    closed: frozenset[str]  # closed-class words that end an English noun phrase
    relative: frozenset[str]  # words opening a relative clause
    anaphoric: frozenset[str]  # lemmas pointing back to the thing counted before ("such")
    case_kinds: frozenset[str]  # the kinds of case ([[case_kind]]) the sentence names
    consumed: set[int] = field(default_factory=set)  # tokens a figure took as its phrase


def sense_of(sv: SentenceView, vocab: Vocab) -> Sense:
    t = sv.toks
    n = len(t)
    analyse = vocab.analyse
    kinds, raws, lows = t.kinds, t.raws, t.lows
    words: list[WordInfo | None] = [analyse(raws[i]) if kinds[i] == WORD else None
                                    for i in range(n)]
    english = "en" in vocab.langs
    skip = [False] * n
    for i in range(n):
        if kinds[i] == PUNCT:
            skip[i] = raws[i] in _HYPHENS and t.glued(i) and i + 1 < n and t.glued(i + 1)
        elif english and lows[i] in _ARTICLES:
            skip[i] = True

    found = vocab.matcher.scan(words, lows, skip)
    thing_at: dict[int, tuple[int, int, Thing]] = {}
    for i, j, thing in found.get("thing", ()):
        for x in range(i, j):
            old = thing_at.get(x)
            if old is None or old[1] - old[0] < j - i:
                thing_at[x] = (i, j, thing)
    part_before_end: dict[int, int] = {}
    for i, j, _ in found.get("partitive_before", ()):
        part_before_end.setdefault(j - 1, i)
    return Sense(
        words=words,
        thing_at=thing_at,
        preds=found.get("predicate", []),
        pops=found.get("population", []),
        quota=[(i, j) for i, j, _ in found.get("quota", ())],
        part_before_end=part_before_end,
        part_after={i for i, _j, _ in found.get("partitive_after", ())},
        earlier_end={j - 1 for _i, j, _ in found.get("earlier", ())},
        states=[(i, j) for i, j, _ in found.get("states", ())],
        generic=[(i, j) for i, j, _ in found.get("generic", ())],
        anaphora=[(i, j) for i, j, _ in found.get("anaphora", ())],
        closed=vocab.closed,
        relative=vocab.relative,
        anaphoric=vocab.anaphoric,
        case_kinds=frozenset(str(m) for _i, _j, m in found.get("case_kind", ())),
    )


@dataclass(slots=True)
class Meaning:
    """What the extractor decided a figure counts."""

    metric: str | None = None
    what: str | None = None
    population: str | None = None
    basis: str | None = None
    confidence: float = 0.0
    part: bool = False
    subject: str | None = None
    known: bool = False  # `what` comes from the lexicons (not the raw words of the text)
    legal: bool = False  # counted by a case noun whose kind the law decides ("642 дела")

    def decide(self, metric: str | None, basis: str, confidence: float) -> None:
        if metric and self.metric is None:
            self.metric, self.basis, self.confidence = metric, basis, confidence


@dataclass(slots=True)
class _NP:
    start: int
    end: int  # token after the phrase proper
    head: int  # -1: no head noun
    comp_head: int = -1  # head of the "of"/genitive complement
    comp_end: int = -1

    @property
    def last(self) -> int:
        return max(self.end, self.comp_end)


def _noun_phrase(sv: SentenceView, s: Sense, k: int, hi: int, english: bool) -> _NP:
    """The noun phrase starting at token *k*, with its complement.

    English: modifiers and nouns up to a closed-class word; the head is the last noun.
    Ukrainian/Russian: adjectives and participles up to the first noun, which heads it;
    a phrase of substantivised participles ("45 загиблих") is headed by its last word.
    """
    t = sv.toks
    n = min(hi, len(t))
    words = s.words
    x = k
    taken: list[int] = []
    while x < n and len(taken) < 6:
        if t.kinds[x] == PUNCT:
            if t.raws[x] in _HYPHENS and taken and t.glued(x) and x + 1 < n and t.glued(x + 1):
                x += 1
                continue
            break
        w = words[x]
        if t.kinds[x] != WORD or w is None:
            break
        if english:
            if t.lows[x] in s.closed:
                break
            compound = x >= 1 and t.raws[x - 1] in _HYPHENS and t.glued(x)  # "Crimea-based"
            if VERB in w.pos and NOUN not in w.pos and not compound and any(
                    _nounish(words[y]) for y in taken):
                break  # "14 men received summonses": the verb ends the phrase
            modifier = bool(w.pos & {VERB, ADV}) and _modifies(s, t.lows, x + 1, n, english)
            if not (NOUN in w.pos or ADJ in w.pos or not w.known or modifier):
                break
            taken.append(x)
            x += 1
            continue
        if PRON in w.pos and _agrees_with_noun(s, x, n):
            taken.append(x)  # a pronoun agreeing with the noun after it determines it
            x += 1  # ("таких вироків", "цих справ")
            continue
        if w.pos & _CLOSED:
            break  # "до", "та", "их": a preposition's or pronoun's reading wins
        if NOUN in w.pos and not _agrees_with_next(s, x, n):
            taken.append(x)
            x += 1
            break  # the first noun heads a Ukrainian or Russian noun phrase
        modifier = ADV in w.pos and _modifies(s, t.lows, x + 1, n, english)
        if not (w.pos & {ADJ, PART, NUMR} or modifier):
            break
        taken.append(x)
        x += 1
    if not taken:
        return _NP(k, k, -1)
    if english:
        nouns = [y for y in taken if _nounish(words[y])]
        head = nouns[-1] if nouns else taken[-1]
        np = _NP(k, head + 1, head)
    else:
        np = _NP(k, taken[-1] + 1, taken[-1])
    _complement(sv, s, np, n, english)
    return np


def _agrees_with_next(s: Sense, x: int, n: int) -> bool:
    """A word that may be an adjective and agrees with the noun after it is its modifier
    ("кримських політв'язнів", "нову повістку"), whatever other reading it has."""
    w = s.words[x]
    nxt = s.words[x + 1] if x + 1 < n else None
    return (w is not None and nxt is not None and bool(w.pos & {ADJ, PART})
            and NOUN in nxt.pos and not w.cases.isdisjoint(nxt.cases))


def _agrees_with_noun(s: Sense, x: int, n: int) -> bool:
    w = s.words[x]
    nxt = s.words[x + 1] if x + 1 < n else None
    return (w is not None and nxt is not None and NOUN in nxt.pos
            and not w.cases.isdisjoint(nxt.cases) and w.plural == nxt.plural)


def _nounish(w: WordInfo | None) -> bool:
    return w is not None and (NOUN in w.pos or not w.known)


def _modifies(s: Sense, lows: list[str], y: int, n: int, english: bool) -> bool:
    """An adverb or participle before a noun phrase word ("forcibly mobilised men",
    "примусово мобілізованих")."""
    if y >= n:
        return False
    w = s.words[y]
    if w is None or (english and lows[y] in s.closed):
        return False
    if english:
        return NOUN in w.pos or ADJ in w.pos or (VERB in w.pos and _modifies(s, lows, y + 1,
                                                                              n, english))
    return bool(w.pos & {NOUN, ADJ, PART})


def _complement(sv: SentenceView, s: Sense, np: _NP, n: int, english: bool) -> None:
    """The "of" complement (en) or the genitive complement (uk/ru) after the head."""
    t = sv.toks
    x = np.end
    if english:
        if x < n and t.lows[x] == "of":
            x += 1
            while x < n and t.lows[x] in ("the", "a", "an", "its", "their"):
                x += 1
            if x < n and t.kinds[x] == WORD:
                sub = _noun_phrase(sv, s, x, n, english)
                if sub.head >= 0:
                    np.comp_head, np.comp_end = sub.head, sub.end
        return
    y = x
    while y < n and y < x + 4 and t.kinds[y] == WORD:
        w = s.words[y]
        if w is None or "gent" not in w.cases or not w.pos & {NOUN, ADJ, PART}:
            break
        if NOUN in w.pos and not _agrees_with_next(s, y, n):
            np.comp_head, np.comp_end = y, y + 1
            break
        y += 1


def _phrase_thing(s: Sense, np: _NP) -> tuple[Thing | None, float]:
    """The counted thing a phrase names: its head, or for a counting word ("cases of",
    "випадки") its complement; else a known noun inside it ("criminal-case files")."""
    if np.head < 0:
        return None, 0.0
    hit = s.thing_at.get(np.head)
    comp = s.thing_at.get(np.comp_head) if np.comp_head >= 0 else None
    if hit is not None and hit[2].kind == "container" and comp is not None:
        return comp[2], 0.85
    if hit is not None:
        return hit[2], 0.9
    for x in range(np.start, np.end):
        found = s.thing_at.get(x)
        if found is not None and found[2].kind != "container":
            return found[2], 0.75
    return None, 0.0


def understand(sv: SentenceView, s: Sense, c: Cand, lo: int, hi: int, english: bool,
               previous: list[dict], case_kind: str | None = None) -> Meaning:
    """What candidate *c* counts.  *lo*/*hi* bound its clause (the neighbouring figures);
    *previous* holds the figures found before it in the paragraph (dicts, newest last);
    *case_kind* is the one kind of case ([[case_kind]]) the context names, if any."""
    t = sv.toks
    n = len(t)
    out = Meaning()
    k = c.qj
    while k < n and k < c.qj + 3 and (t.raws[k] == "%" or t.lows[k] in ("per", "cent",
                                                                       "percent")):
        k += 1  # "36.1%", "85 per cent": the phrase starts after the sign
    whole_at = _of_number(sv, k)
    if whole_at is None and english and k + 2 < n and t.lows[k] == "of" and t.lows[
            k + 1] in ("the", "these", "those", "all") and t.kinds[k + 2] == WORD:
        whole_at = k + 2  # "497 of the cases have ended in convictions"
    if whole_at is not None:  # "244 of the 574 cases": the phrase after the whole counts both
        np = _noun_phrase(sv, s, whole_at, len(t), english)
        out.part = np.head >= 0
    else:
        np = _noun_phrase(sv, s, k, hi, english)
    label = np.head < 0
    if label:  # "the number of killed soldiers … at 1,732", "кількість політв'язнів — 277"
        np = _label(sv, s, c, lo, english) or np
    thing, conf = _phrase_thing(s, np)
    gov = _governor(sv, s, c, lo, english) if not label else None
    if gov is not None and (thing is None or (thing.kind == "person" and not thing.metric)):
        if thing is not None:
            out.population = thing.population
        thing, conf = gov, 0.85
    if np.head >= 0:
        s.consumed.update(range(np.start, np.last))
    weak: str | None = None
    if thing is not None:
        out.what, out.known, out.legal = thing.what, True, thing.legal
        out.population = out.population or thing.population
        if thing.weak:
            weak = thing.metric
        elif thing.kind != "container":
            out.decide(thing.metric, "noun", conf - (0.1 if label else 0.0))
    if np.head >= 0:  # participles in the phrase: "detained activists", "депортованих дітей"
        inner = [p[2] for p in s.preds if np.start <= p[0] < np.last and p[2].metric]
        if inner:
            out.decide(inner[0].metric, "noun", 0.85 if not label else 0.75)
    if (thing is None or thing.kind == "container") and np.head >= 0 and previous and any(
            not s.anaphoric.isdisjoint(w.lemmas)
            for w in s.words[np.start:np.head] if w is not None):
        # "512 таких вироків" has its noun; "38 таких випадків", "such cases": the thing
        # counted before
        before = next((f for f in reversed(previous) if f.get("metric") and not f.get("part")),
                      None)
        if before is not None:
            out.decide(before["metric"], "context", 0.7)
            out.what = before.get("what") or out.what
            out.population = out.population or before.get("population")
    whole = _partitive(sv, s, c, previous)
    if whole is not None:
        out.part = True
        own = out.what
        if whole.get("metric"):
            out.metric, out.basis, out.confidence = whole["metric"], "context", 0.7
        out.what = own or whole.get("what")
        out.known = out.known or bool(whole.get("what"))
        out.population = out.population or whole.get("population")
    if whole is None and out.metric is None and previous and c.qi >= 1 and (
            t.lows[c.qi - 1] in _FURTHER) and (thing is None or thing.kind != "thing"):
        last = previous[-1]
        if last.get("_sentence") == sv.start and last.get("part") and last.get("metric"):
            # "из них 451 …, еще 58 находятся на рассмотрении": a breakdown goes on
            out.part = True
            out.decide(last["metric"], "context", 0.65)
            out.what = out.what or last.get("what")
            out.population = out.population or last.get("population")
    earlier = _earlier(sv, s, c, previous) if whole is None else None
    if earlier is not None and out.metric is None:
        out.decide(earlier.get("metric"), "context", 0.7)
        out.what = out.what or earlier.get("what")
        out.population = out.population or earlier.get("population")
    if out.metric is None and (thing is None or thing.kind == "person" or (
            thing.kind == "container" and not thing.weak)):
        pred = _predicate(sv, s, c, np, lo, hi, inner=label and np.head >= 0,
                          objects=thing is not None and thing.kind == "person",
                          weak_own=weak is not None and not label)
        if pred is not None:
            out.decide(pred.metric, "predicate", 0.75)
            if pred.metric is None:
                out.what = pred.what  # "410 went missing": no metric, and none borrowed
                thing = thing or Thing(pred.what or "")
    if out.metric is None and previous and c.qi >= 1 and t.lows[c.qi - 1] in _AND and (
            thing is None or thing.kind == "person"):
        last = previous[-1]
        if last.get("_sentence") == sv.start and last.get("basis") == "predicate" and (
                last.get("end", -1) <= t.starts[c.qi]):
            # "returned 802 children and 413 parents": one verb, two objects
            out.decide(last.get("metric"), "context", 0.6)
    if out.metric is None and thing is None and np.head < 0 and previous:
        last = previous[-1]
        if last.get("_sentence") == sv.start and (
                c.qj >= n or t.kinds[c.qj] == PUNCT or t.lows[c.qj] in _LIST_NEXT
                or (c.qi >= 1 and t.lows[c.qi - 1] in _AND)):  # "…, and 244 were opened"
            out.decide(last.get("metric"), "context", 0.6)  # "…, and 100 from Luhansk"
            out.what = out.what or last.get("what")
            out.population = out.population or last.get("population")
    if weak is not None and out.metric is None and not label:
        # "У 497 справах ухвалено вироки": cases in a state of their own are a part
        other = _predicate(sv, s, c, np, lo, hi)
        if other is not None and other.metric and other.metric != weak:
            out.part = True
    out.decide(weak, "noun", 0.6)
    if out.legal and case_kind and out.metric in _CASE_METRICS and out.metric != case_kind:
        # "642 дела" under "ст. 20.3.3 КоАП" are administrative: the law decides the kind
        if out.what in ("criminal cases", "cases", "proceedings"):
            out.what = case_kind.replace("_", " ")
        out.metric = case_kind
    if out.metric == "conscripted" and any(c.qi - 10 <= i < c.qj + 10 for i, _j in s.quota):
        out.metric = "conscription_quota"  # "the decree sets the target at 133,000 men"
    if not out.part and out.metric and _state_part(sv, s, c, hi, out.metric, previous):
        out.part = True
    if out.population is None and (thing is None or thing.kind == "person"):
        out.population = _population(s, np, c, hi)
    if out.population is None and np.head < 0 and previous and (
            previous[-1].get("_sentence") == sv.start):
        out.population = previous[-1].get("population")  # "1,873 members of units … and
        # 116 were captured": the same people
    if out.what is None and np.head >= 0 and english:
        out.what = sv.slice(np.start, np.head + 1).lower()
    if not out.known and np.head >= 0 and not label:
        head = s.words[np.head]
        out.known = head is not None and head.animate  # "чотирьох вуличних музикантів":
        # people, whatever they are called
    if out.metric and out.what is None:
        out.what = out.metric.replace("_", " ")
    if np.head >= 0 and not label:
        out.subject = sv.slice(np.start, np.last)
    return out


def _of_number(sv: SentenceView, k: int) -> int | None:
    """The token after the whole in "244 of the 574 cases" / "244 із 574 справ", or None."""
    t = sv.toks
    n = len(t)
    if k + 1 >= n or t.lows[k] not in _OF:
        return None
    y = k + 1
    if t.lows[y] in ("the", "all", "a", "total"):
        y += 1
    if y >= n or t.kinds[y] != NUM:
        return None
    y += 1
    while y < n and t.kinds[y] == WORD and t.lows[y] in _SCALES:
        y += 1
    return y


def _governor(sv: SentenceView, s: Sense, c: Cand, lo: int, english: bool) -> Thing | None:
    """The noun that governs the number: "obituaries of 45 Crimeans", "некрологи 45
    кримчан" (a counted thing, not a counting word)."""
    t = sv.toks
    x = c.qi - 1
    if english:
        while x > lo and t.lows[x] in ("the", "a", "an", "some"):
            x -= 1
        if x <= lo or t.lows[x] != "of":
            return None
        x -= 1
    else:
        w = s.words[x] if x >= 0 else None
        if w is None or NOUN not in w.pos or "gent" in w.cases:
            return None
    if x < max(lo, 0) or x in s.consumed:
        return None
    hit = s.thing_at.get(x)
    if hit is not None and hit[1] == x + 1 and hit[2].kind == "thing":
        return hit[2]
    # a noun of action: "mobilisation of 63 Crimeans", "мобілізацію 63 мешканців"
    action = next((p.metric for i, j, p in s.preds if j == x + 1 and p.metric), None)
    if action is not None:
        return Thing(action.replace("_", " "), action, "thing")
    return None


def _label(sv: SentenceView, s: Sense, c: Cand, lo: int, english: bool) -> _NP | None:
    """The phrase a number with no noun of its own is the count of, named before it in
    its clause: a counting word's complement ("the number of killed soldiers … at 1,732",
    "кількість засуджених сягнула 160"), else the nearest counted noun ("Criminal cases:
    574")."""
    t = sv.toks
    stop = max(lo, c.qi - LABEL_REACH, 0)
    nearest: int | None = None
    comma = False
    for x in range(c.qi - 1, stop - 1, -1):
        if (t.kinds[x] == PUNCT and t.raws[x] in "!?;") or x in s.consumed:
            break
        comma = comma or t.raws[x] == ","
        hit = s.thing_at.get(x)
        if hit is None:
            continue
        i, j, thing = hit
        if thing.kind == "container" and not thing.weak:
            y = j + 1 if english and j < len(t) and t.lows[j] == "of" else j
            sub = _noun_phrase(sv, s, y, c.qi, english)
            if sub.head >= 0:
                return sub
            # "the count rose from 574 to 583", "цифра сягнула 277": what the sentence
            # counts, named before the counting word
            earlier = _earlier_thing(s, i)
            if earlier is not None:
                return earlier
        elif nearest is None and not comma and c.qi - x <= 10:
            nearest = i  # a plain noun labels a number only nearby, in the same clause
    if nearest is None:
        return None
    hit = s.thing_at[nearest]
    return _NP(hit[0], hit[1], hit[1] - 1)


def _earlier_thing(s: Sense, before: int) -> _NP | None:
    """The last counted thing with a metric named before token *before* in the sentence."""
    for x in range(before - 1, -1, -1):
        hit = s.thing_at.get(x)
        if hit is not None and hit[2].metric and hit[2].kind != "container":
            return _NP(hit[0], hit[1], hit[1] - 1)
    return None


def _partitive(sv: SentenceView, s: Sense, c: Cand, previous: list[dict]) -> dict | None:
    """The whole this figure is a part of, when the text says so ("of them", "з них")."""
    if not previous:
        return None
    t = sv.toks
    marked = False
    # "з них 16", "Of these, 497", "Of those sent, 96": a marker a few words back, with no
    # number and no clause end between it and this one
    for x in range(c.qi - 1, max(-1, c.qi - 6), -1):
        if x in s.part_before_end:
            marked = True
            break
        if t.kinds[x] == NUM or (t.kinds[x] == PUNCT and t.raws[x] in ".;!?"):
            break
    if not marked:
        y = c.qj
        while y < len(t) and y < c.qj + 2 and t.raws[y] == "%":
            y += 1
        marked = y in s.part_after
    joined = None
    if not marked:
        last = previous[-1]  # "16 women and 4 minors": joined to a figure that is a part
        if (last.get("part") and last.get("_sentence") == sv.start and c.qi >= 1
                and t.lows[c.qi - 1] in _AND):
            marked, joined = True, last
    if not marked:
        return None
    wholes = [f for f in previous if not f.get("part")]
    # the whole is a count of something that happened (a metric), else any counted thing
    return next((f for f in reversed(wholes) if f.get("metric")),
                next((f for f in reversed(wholes) if f.get("what")), joined))


def _earlier(sv: SentenceView, s: Sense, c: Cand, previous: list[dict]) -> dict | None:
    """The figure whose earlier value this is ("up from 180", "the figure was 574")."""
    if not previous:
        return None
    t = sv.toks
    x = c.qi - 1
    while x >= 0 and t.kinds[x] == PUNCT:
        x -= 1
    if x < 0 or x not in s.earlier_end:
        return None
    return next((f for f in reversed(previous) if f.get("metric") or f.get("what")), None)


def _predicate(sv: SentenceView, s: Sense, c: Cand, np: _NP, lo: int, hi: int,
               inner: bool = False, objects: bool = False, weak_own: bool = False
               ) -> Predicate | None:
    """The metric of what the number's clause says happened: the nearest predicate after
    the noun phrase (its verb, a relative clause) or before the number ("засуджено 12"),
    or a counted thing the clause gives them ("14 men received summonses", "сорок стали
    фігурантами кримінальних проваджень")."""
    t = sv.toks
    n = len(t)
    if inner:  # a label's own clause: "Число военнослужащих, которые погибли, … превысило"
        found = [p for i, _j, p in s.preds if np.last <= i < c.qi and p.metric]
        if found:
            return found[0]
    start = max(np.last, c.qj) if not inner else c.qj
    end = min(hi, n, start + 16)
    for x in range(start, end):
        if t.kinds[x] == PUNCT and t.raws[x] in _CLAUSE_END:
            end = x
            break
    before = max(lo, c.qi - 8)
    candidates = [(i, j, pred, 0.0) for i, j, pred in s.preds]
    rel = _relative_clause(sv, s, start, end)
    if rel is not None:
        # "brought home 17 children who had been deported", "17 children who had been
        # deported were brought home": the relative clause's verb says what happened to
        # them before; the other verb says what is counted
        first = next((k for k, cand in enumerate(candidates) if cand[0] > rel), None)
        if first is not None and len(candidates) > 1:
            i, j, pred, penalty = candidates[first]
            candidates[first] = (i, j, pred, penalty + 8.0)
    for x, (i, j, thing) in s.thing_at.items() if objects else ():
        # people are given things: "14 men received summonses", "сорок стали фігурантами
        # кримінальних проваджень" (only people: "two open sources … a death" is no death)
        if x == i and thing.metric and x not in s.consumed and (
                thing.kind != "container" or thing.weak):
            candidates.append((i, j, Predicate(thing.metric), 2.0))
    best: tuple[float, Predicate] | None = None
    for i, j, pred, penalty in candidates:
        if start <= i < end:
            d = i - start + penalty
            if i > 0 and t.lows[i - 1] in _AUX:
                d -= 3  # the finite verb ("have been returned"), not a participle that
                # modifies the noun ("children deported by Russia have been returned")
        elif before <= i and j <= c.qi and not weak_own:
            if any(t.kinds[y] == PUNCT and t.raws[y] in _CLAUSE_END for y in range(j, c.qi)):
                continue
            if any(t.raws[y] == "," and t.lows[y + 1] in _AND for y in range(j, c.qi - 1)):
                continue  # "… ухвалено вироки, а 244 справи порушили …": another clause
            # a verb after the number is its own ("116 had been captured"); one before it
            # may belong to the figure before ("… died and 116 …")
            d = (c.qi - j) * 1.3 + 3.0 + penalty
        else:
            continue
        if best is None or d < best[0]:
            best = (d, pred)
    return best[1] if best else None


def _relative_clause(sv: SentenceView, s: Sense, start: int, end: int) -> int | None:
    """The relative word right after the noun phrase (a comma may come first), or None."""
    t = sv.toks
    x = start
    if x < end and t.raws[x] == ",":
        x += 1
    return x if x < end and t.lows[x] in s.relative else None


def _state_part(sv: SentenceView, s: Sense, c: Cand, hi: int, metric: str,
                previous: list[dict]) -> bool:
    """A figure in a state only part of a total can be in ("suspended", "in Sevastopol
    alone"), after a larger figure of the same metric."""
    t = sv.toks
    lo = max(0, c.qi - 6)
    end = min(hi, len(t), c.qj + 10)
    stated = any(lo <= i < end for i, _ in s.states) or any(
        t.lows[x] in _ALONE for x in range(lo, end))
    if not stated:
        return False
    value = float(c.value)
    return any(f.get("metric") == metric and not f.get("part") and float(f["value"]) > value
               for f in previous)


def _population(s: Sense, np: _NP, c: Cand, hi: int) -> str | None:
    """Who the phrase counts: a cue in it or in the prepositional phrase right after it
    ("members of units stationed in Crimea", "soldiers from Crimea-based units")."""
    if np.head < 0:
        return None
    start, end = np.start, min(hi, np.last + 4)
    for i, _j, pop in s.pops:
        if start <= i < end:
            return str(pop)
    return None


def money_what(s: Sense, c: Cand, lo: int, hi: int) -> str | None:
    """What a sum of money is ("fines of 15,000 roubles", "26.4 million roubles in fines",
    "штрафів на 3,5 тис. рублів"): the nearest counted thing of the clause that is no
    person."""
    best: tuple[int, str] | None = None
    for x, (i, j, thing) in s.thing_at.items():
        if x != i or thing.kind == "person" or not (lo <= i < hi):
            continue
        d = c.qi - j if j <= c.qi else i - c.qj
        if d >= 0 and (best is None or d < best[0]):
            best = (d, thing.what)
    return best[1] if best else None


__all__ = ["Meaning", "Sense", "money_what", "sense_of", "understand"]
