"""Numbers that are not figures: years, dates, ages, article and decree numbers, ordinals,
times, phone numbers, page numbers, view counters, durations, measurements and stray digits
of broken text.  (Percentages are figures with unit "percent": the "percent" reason of
these rules is turned into that unit by the candidate finder.)

Each rule returns a short reason ("year", "article", …) so a rejected number can be
explained (the tests assert the reasons, and a debugging session can print them). Rules
look only at the few tokens around the number, never at the whole text.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .analysis import SentenceView
from .lexicon import Lexicon
from .text import DASHES, NUM, PUNCT, WORD

_CONNECTORS = frozenset(
    [",", "and", "or", "і", "й", "та", "або", "чи", "и", "или", "либо", "-", "–", "—", "&", "to"]
)
_NOW = frozenset(["now", "today", "нині", "тепер", "зараз", "сейчас", "ныне", "теперь"])
_SIGNS = frozenset(["№", "#", "no", "nos", "nr", "n", "n°", "nо"])


@dataclass(slots=True)
class Cand:
    """A number found in a sentence, before it becomes a Figure."""

    i: int  # first token of the number
    j: int  # token after the number (including a scale word)
    after: int  # first token after the number and its glued case ending ("2-х")
    start: int
    end: int
    value: Fraction
    digits: bool
    plain: bool = False
    decimal: bool = False
    scaled: bool = False
    bare_scale: bool = False
    fraction: bool = False
    reason: str | None = None
    money: bool = False
    percent: bool = False
    qual: str = "exact"
    qi: int = -1  # first token including the qualifier
    qj: int = -1  # token after the number including a postfix qualifier


def classify(sv: SentenceView, c: Cand, lex: Lexicon, prior: dict[int, str]) -> str | None:
    """Why candidate *c* is not a figure, or None when it is one.

    *prior* maps token indices of earlier numbers in the sentence to their reasons, so
    lists continue a classification ("ст. 328, 330 та 331", "2014–15").
    """
    if c.digits:
        piece = sv.pieces[c.i]
        if piece.reason:
            return piece.reason
        why = sv.mask_reason(c.start, c.end)
        if why:
            return why
        why = _glued(sv, c, lex, prior)
        if why:
            return why
    why = _before(sv, c, prior)
    if why:
        return why
    why = _after(sv, c)
    if why:
        return why
    if c.digits:
        return _shape(sv, c, prior)
    return None


def _glued(sv: SentenceView, c: Cand, lex: Lexicon, prior: dict[int, str]) -> str | None:
    t, m = sv.toks, sv.m
    kinds, raws, lows = t.kinds, t.raws, t.lows
    n = len(t)
    i, k = c.i, c.i + 1
    p = i - 1
    if p >= 0 and t.glued(i):
        pk, pr = kinds[p], raws[p]
        if pk in (WORD, NUM):
            return "stray"
        if pr in DASHES and p >= 1 and t.glued(p):
            if kinds[p - 1] == WORD:
                return "identifier"  # Су-27, COVID-19, ИК-2
            if kinds[p - 1] == NUM and prior.get(p - 1) in ("identifier", "phone", "date", "year"):
                return prior[p - 1]
        if pr == "/":
            return "identifier"
        if pr in "№#":
            return "identifier"
        if pr == ":" and p >= 1 and t.glued(p) and kinds[p - 1] == NUM:
            return "time"
        if pr in ".," and p >= 1 and t.glued(p) and kinds[p - 1] in (WORD, NUM):
            return "stray"  # footnote mark "cases.12" or the tail of a broken number
        if pr == "+":
            return "phone"
        if pr == "§":
            return "article"
        if pr == "[" and k < n and raws[k] == "]":
            return "footnote"
        if (
            pr == "("
            and k < n
            and raws[k] == ")"
            and t.glued(k)
            and (
                (p >= 1 and raws[p - 1] == ")" and t.glued(p))
                or (k + 1 < n and raws[k + 1] == "(" and t.glued(k + 1))
            )
        ):
            return "article"  # "(1)(d)"
    if k < n and t.glued(k) and c.after == k:
        nk, nr, nl = kinds[k], raws[k], lows[k]
        if nk == WORD:
            if nl in lex.ordinal_suffixes:
                return "ordinal"
            if m.at("currency_after", k):
                return None
            if m.at("unit", k) or m.at("percent", k):
                return "unit"
            if m.at("duration", k) or m.at("age_glued", k):
                return "duration"
            return "stray"
        if nk == PUNCT:
            if nr in DASHES and k + 1 < n and t.glued(k + 1) and kinds[k + 1] == WORD:
                nl2 = lows[k + 1]
                if nl2 in lex.ordinal_suffixes:
                    return "ordinal"
                if m.at("age_glued", k + 1):
                    return "age"
                if m.at("currency_after", k + 1):
                    return None
                return "compound"  # "15-member", "5-storey"
            if nr == "/" and k + 1 < n and t.glued(k + 1):
                return "identifier"
            if nr == ":" and k + 1 < n and t.glued(k + 1) and kinds[k + 1] == NUM:
                return "time"
            if (
                nr in DASHES
                and k + 2 < n
                and kinds[k + 1] == NUM
                and t.glued(k + 1)
                and raws[k + 2] in DASHES
                and t.glued(k + 2)
            ):
                return "phone"  # 123-45-67
    return None


def _before(sv: SentenceView, c: Cand, prior: dict[int, str]) -> str | None:
    t, m = sv.toks, sv.m
    kinds, raws, lows = t.kinds, t.raws, t.lows
    i = c.i
    j = i - 1
    sign = colon = paren = False
    steps = 0
    while j >= 0 and steps < 4:
        r = raws[j]
        if (kinds[j] == PUNCT and r in "№#") or (
            kinds[j] == WORD
            and lows[j] in _SIGNS
            and (raws[j][0].isupper() or (j + 1 < len(t) and raws[j + 1] in ".№"))
        ):
            sign = True
        elif kinds[j] == PUNCT and r == ".":
            pass
        elif kinds[j] == PUNCT and r == ":":
            colon = True
        elif kinds[j] == PUNCT and r == "(":
            paren = True
        else:
            break
        j -= 1
        steps += 1
    if sign:
        return "identifier"
    if j >= 0:
        if not colon and not paren:
            for cat, why in (
                ("article", "article"),
                ("identifier", "identifier"),
                ("page", "page"),
                ("age_before", "age"),
                ("address", "address"),
            ):
                if m.ending(cat, j):
                    return why
        if m.ending("counter", j):
            return "counter"
        if paren and kinds[j] == NUM and prior.get(j) == "article":
            return "article"  # Article 7 (1)
        if not paren and lows[j] in _CONNECTORS and j >= 1:
            q = j - 1
            if raws[q] in ")":
                q -= 1
            if kinds[q] == NUM and prior.get(q) in ("article", "identifier", "page", "age"):
                return prior[q]  # "ст. 328, 330 та 331"
    lo = max(0, c.qi - 6 if c.qi >= 0 else i - 6)
    for q in range(lo, i):
        if m.at("phone", q):
            return "phone"
    if _age_context(sv, c):
        return "age"
    return None


_AGE_LIMIT_WORDS = frozenset(["under", "over", "above", "below", "до", "старше", "молодше",
                              "младше", "старших", "younger", "older"])


def _age_context(sv: SentenceView, c: Cand) -> bool:
    """A small number that is an age by what stands a few words before it: an age word
    ("the upper draft age was raised to 30", "віку — 18") or a person noun with "under"
    ("persons under 18", "дітей до 14"), and no counted noun after it."""
    t, m = sv.toks, sv.m
    v = _plain(c.value)
    if v is None or v > 120 or c.scaled or m.at("count", c.after):
        return False
    start = c.qi if c.qi >= 0 else c.i
    for q in range(start - 1, max(-1, start - 6), -1):
        if t.kinds[q] == PUNCT and t.raws[q] not in DASHES:
            break
        if m.ending("age_before", q):
            return True
    # "persons under 18": the limit word is the candidate's own qualifier, or just before it
    limit = start if t.lows[start] in _AGE_LIMIT_WORDS else start - 1
    if 12 <= v <= 21 and limit >= 1 and t.lows[limit] in _AGE_LIMIT_WORDS:
        return bool(m.ending("count", limit - 1))
    return False


def _after(sv: SentenceView, c: Cand) -> str | None:
    t, m = sv.toks, sv.m
    a = c.after
    n = len(t)
    if a >= n:
        return None
    if m.at("percent", a):
        return "percent"
    if m.at("code", a):
        return "article"
    if m.at("age_after", a):
        return "age"
    if m.at("year_word", a) and not m.at("count", a):
        return "year"
    if m.at("duration", a):
        return "duration"
    if m.at("time_word", a):
        return "time"
    if m.at("unit", a) and not m.at("count", a):
        return "unit"
    v = _plain(c.value)
    if v is not None and v <= 31 and not c.scaled:
        if m.at("month", a) or (a + 1 < n and t.raws[a] == "." and m.at("month", a + 1)):
            return "date"
        if t.raws[a] in DASHES and a + 2 < n and t.kinds[a + 1] == NUM and m.at("month", a + 2):
            return "date"  # 5–7 March
    return None


def _plain(value: Fraction) -> int | None:
    """The value as an int when it is whole (comparing Fractions is slow), else None."""
    return value.numerator if value.denominator == 1 else None


def _shape(sv: SentenceView, c: Cand, prior: dict[int, str]) -> str | None:
    t, m = sv.toks, sv.m
    kinds, raws = t.kinds, t.raws
    i = c.i
    n = len(t)
    # Comparisons below are on a plain number: Fraction comparisons cost microseconds each
    v: float = c.value.numerator if c.value.denominator == 1 else float(c.value)
    integral = c.value.denominator == 1
    piece = sv.pieces[i]
    # a day or a year next to a month name: "February 24", "24 лютого 2022"
    p = i - 1
    if p >= 0 and raws[p] in ".," and kinds[p] == PUNCT:
        p -= 1
    year_shaped = piece.plain and 1000 <= v <= 2100
    near_month = p >= 0 and m.ending("month", p) and not c.scaled and integral
    if near_month and (v <= 31 or year_shaped):
        return "date"
    if p >= 0 and kinds[p] == NUM and prior.get(p) == "date" and year_shaped:
        return "date"
    # years: a bare four-digit number, unless it is followed by what it counts
    if piece.plain and not c.scaled and 1000 <= v <= 2100 and len(raws[i]) == 4:
        after_anchor = i >= 1 and (m.ending("p_anchor", i - 1) or m.ending("month", i - 1))
        if after_anchor or not m.at("count", c.after):
            return "year"  # "in 2022", "the autumn 2025 draft" (not "2000 people")
    # "2014–15": the second half of a year range
    q = i - 1
    if (
        q >= 1
        and raws[q] in DASHES
        and kinds[q - 1] == NUM
        and prior.get(q - 1) in ("year", "date")
        and piece.plain
        and (v < 100 or year_shaped)
        and not c.scaled
    ):
        return prior[q - 1]
    # a time of day written with a dot: "о 14.30", "в 9.00"
    if (
        piece.decimal
        and not c.scaled
        and "." in raws[i]
        and i >= 1
        and m.ending("time_before", i - 1)
    ):
        whole, _, frac = raws[i].partition(".")
        if len(frac) == 2 and int(whole) <= 23 and int(frac) < 60:
            return "time"
    small = piece.plain and v <= 120
    # ages: "Ivan (19)", "Іван Петренко, 19,"
    if small and i >= 2 and i + 1 < n:
        before, after, name = raws[i - 1], raws[i + 1], i - 2
        if (
            (before, after) in (("(", ")"), (",", ","))
            and kinds[name] == WORD
            and raws[name][0].isupper()
            and not m.ending("region", name)
            and not m.ending("org", name)
            and (before == "(" or 14 <= v <= 99)
        ):
            return "age"
    # "Server, now 41," / "Сервер, нині 41"
    if (
        small
        and i >= 3
        and t.lows[i - 1] in _NOW
        and raws[i - 2] == ","
        and kinds[i - 3] == WORD
        and raws[i - 3][0].isupper()
    ):
        return "age"
    # list markers: "1." or "2)" opening a sentence
    if (
        i == 0
        and i + 1 < n
        and raws[i + 1] in ".)"
        and t.glued(i + 1)
        and v < 100
        and (i + 2 >= n or kinds[i + 2] != NUM or raws[i + 1] == ")")
    ):
        return "list"
    return None
