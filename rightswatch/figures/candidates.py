"""Finding the numbers of a sentence and what is written around them: scale words,
qualifiers before and after, and ranges.

Choices (documented in the package docstring too):
* "до" / "up to" is read as ``up_to`` only when nothing makes it the "to" of a change
  ("зросла з 574 до 583") or a range; dates and durations after it are not figures anyway.
* A range ("200–300", "від 200 до 300", "between 200 and 300") becomes ONE figure: value =
  the lower end, qualifier ``at_least`` (or the written qualifier); ``Figure.range_end``
  reads the upper end back from the figure's text.
  "from 574 to 583" after a verb of change ("rose", "зросла") is two figures.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import pairwise

from .analysis import SentenceView
from .lexicon import Lexicon
from .nonfigures import Cand, classify
from .numbers import parse_words, scale_at
from .text import DASHES, NUM, PUNCT, WORD, Tokens


def find_candidates(sv: SentenceView, lex: Lexicon) -> list[Cand]:
    """All numbers of the sentence, each with its reason for not being a figure (or None)."""
    t = sv.toks
    kinds, lows, raws = t.kinds, t.lows, t.raws
    n = len(t)
    words = lex.numwords
    cands: list[Cand] = []
    i = 0
    while i < n:
        kind = kinds[i]
        if kind == NUM:
            piece = sv.pieces[i]
            a = i + 1
            # glued case endings that keep a numeral cardinal: "2-х", "5-ти", "3х"
            if a < n and t.glued(a):
                if kinds[a] == WORD and lows[a] in lex.cardinal_suffixes:
                    a += 1
                elif (
                    raws[a] in DASHES
                    and a + 1 < n
                    and t.glued(a + 1)
                    and kinds[a + 1] == WORD
                    and lows[a + 1] in lex.cardinal_suffixes
                ):
                    a += 2
            value = piece.value if piece.value is not None else Fraction(0)
            sc = scale_at(t, a, lex) if piece.value is not None else None
            j = i + 1
            if sc:
                value *= sc[1]
                j = a = _after_abbreviation(t, sc[0], lex)
            c = Cand(
                i=i,
                j=j,
                after=a,
                start=t.starts[i],
                end=t.ends[j - 1],
                value=value,
                digits=True,
                plain=piece.plain,
                decimal=piece.decimal,
                scaled=sc is not None,
            )
            cands.append(c)
            i = a
            continue
        if kind == WORD and lows[i] in words:
            w = parse_words(t, i, lex)
            if w is not None:
                c = Cand(
                    i=i,
                    j=w.j,
                    after=w.j,
                    start=t.starts[i],
                    end=t.ends[w.j - 1],
                    value=w.value,
                    digits=False,
                    scaled=w.scaled,
                    bare_scale=w.bare_scale,
                    fraction=w.fraction,
                )
                cands.append(c)
                i = w.j
                continue
        i += 1
    prior: dict[int, str] = {}
    for c in cands:
        _qualify(sv, c, lex)
        c.reason = classify(sv, c, lex, prior)
        if c.reason == "percent":
            c.reason, c.percent = None, True
        if c.reason:
            prior[c.i] = c.reason
        elif c.digits:
            c.money = _money(sv, c)
    _share_range_reasons(sv, cands)
    return _merge_ranges(sv, cands)


_SHARED = frozenset(["duration", "age", "date", "year", "unit", "time"])


def _share_range_reasons(sv: SentenceView, cands: list[Cand]) -> None:
    """The first end of a range is what the second is: "6 to 19 years", "5–7 березня",
    "10–15%"."""
    for a, b in pairwise(cands):
        if a.reason is None and _range_shape(sv, a, b, loose=True) is not None:
            if b.reason in _SHARED:
                a.reason = b.reason
            elif b.percent:
                a.percent = True


def _after_abbreviation(t: Tokens, j: int, lex: Lexicon) -> int:
    """Include the full stop of an abbreviated scale word ("60 тис.") in the number."""
    if j < len(t) and t.raws[j] == "." and t.glued(j) and t.lows[j - 1] in lex.abbreviated_scales:
        return j + 1
    return j


def _qualify(sv: SentenceView, c: Cand, lex: Lexicon) -> None:
    """Attach the qualifier written before ("at least", "понад") or after ("і більше")."""
    m, t = sv.m, sv.toks
    c.qi, c.qj = c.i, c.after
    best = m.ending("qual", c.i - 1)
    amb = m.ending("qual_ambiguous", c.i - 1)
    if amb and (best is None or best[0] >= amb[0]):
        qs = amb[0]
        if not _blocked(sv, qs):
            c.qual, c.qi = "up_to", qs
    elif best:
        c.qual, c.qi = best[1], best[0]
    post = m.at("qual_post", c.after)
    if post and (t.raws[c.after] != "+" or t.glued(c.after)):
        if c.qual == "exact":
            c.qual = post[1]
        c.qj = post[0]


def _blocked(sv: SentenceView, qs: int) -> bool:
    """True when the ambiguous "до" at token *qs* is the "to" of a change or of a range."""
    m, t = sv.m, sv.toks
    if qs >= 1 and (m.ending("change", qs - 1) or t.kinds[qs - 1] == NUM):
        return True
    for q in range(max(0, qs - 5), qs):
        if m.at("range_open", q) and any(t.kinds[x] == NUM for x in range(q + 1, qs)):
            return True
    # "до 2022 року", "до трьох років": the thing after it is a date or a duration; the
    # number is rejected anyway, and for the remaining cases "up to" is the reading.
    return False


def _money(sv: SentenceView, c: Cand) -> bool:
    m, t = sv.m, sv.toks
    if c.i >= 1 and m.ending("currency_before", c.i - 1):
        return True
    return bool(m.at("currency_after", c.after)) if c.after < len(t) else False


def _merge_ranges(sv: SentenceView, cands: list[Cand]) -> list[Cand]:
    """Fuse "A–B" and "від A до B" into one range figure (see module docstring)."""
    if len(cands) < 2:
        return cands
    out: list[Cand] = []
    k = 0
    while k < len(cands):
        a = cands[k]
        b = cands[k + 1] if k + 1 < len(cands) else None
        if b is not None and a.reason is None and b.reason is None and not a.fraction:
            opener = _range_shape(sv, a, b)
            if opener is not None:
                lo, hi = a.value, b.value
                if b.scaled and not a.scaled and lo < hi:
                    factor = _scale_of(sv, b)
                    if factor and lo * factor <= hi:
                        lo = lo * factor
                if lo < hi:
                    a.value = lo
                    a.j, a.after, a.end = b.j, b.after, b.end
                    a.qj = b.qj
                    if a.qual == "exact":
                        a.qual = b.qual if b.qual not in ("exact", "up_to") else "at_least"
                    if opener >= 0:
                        a.qi = min(a.qi, opener)
                    a.scaled = a.scaled or b.scaled
                    a.percent = a.percent or b.percent
                    a.money = a.money or b.money
                    out.append(a)
                    k += 2
                    continue
        out.append(a)
        k += 1
    return out


def _scale_of(sv: SentenceView, b: Cand) -> Fraction | None:
    """The multiplier a scale word gave *b* ("3 тисячі" → 1000)."""
    if not b.digits:
        return None
    piece = sv.pieces[b.i]
    if piece.value:
        return b.value / piece.value
    return None


def _range_shape(sv: SentenceView, a: Cand, b: Cand, loose: bool = False) -> int | None:
    """-1 for "A–B", the opener's token index for "від A до B", None when not a range.

    *loose* also accepts "A to B" without an opener (used to share a non-figure reason).
    """
    t, m = sv.toks, sv.m
    gap = b.qi - a.qj if b.qi >= 0 else b.i - a.after
    if b.qual not in ("exact", "up_to"):
        return None
    if b.i == a.after + 1 and t.raws[a.after] in DASHES and t.kinds[a.after] == PUNCT:
        return -1
    if gap < 0:
        return None
    join = m.at("range_join", a.qj)
    if join is None or join[0] != b.qi:
        return None
    if loose:
        return -1
    opener = a.qi - 1
    opened = m.at("range_open", opener) if opener >= 0 else None
    if opened is not None and opened[0] == a.qi:
        if opener >= 1 and m.ending("change", opener - 1):
            return None
        if opener >= 2 and m.ending("change", opener - 2):
            return None
        return opener
    return None
