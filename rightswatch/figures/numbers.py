"""Reading numbers: digit groups with language- and shape-dependent separators, and
spelled-out numbers with their inflections.

Why shape before language: reports mix conventions ("1,873" in a Ukrainian article that
quotes an English one), so a separator followed by exactly three digits is read as a
thousands separator in every language, unless a scale word follows ("1.5 million",
"1,2 млн"), which only makes sense with a decimal fraction.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .lexicon import (
    CONNECTOR,
    FRACTION,
    HMULT,
    HUNDRED,
    INDEFINITE,
    SCALE,
    TEEN,
    TEN,
    UNIT,
    Lexicon,
)
from .text import MAX_GROUPS, NUM, PUNCT, WORD, Tokens, tokenize

_SPACES = frozenset(" \u00a0\u202f\u2009")
MAX_DIGITS = 15  # a longer run of digits is an identifier or noise, never a count


@dataclass(slots=True)
class Piece:
    """One number read from a digit-group token (a token may hold several: "2022 3")."""

    start: int
    end: int
    value: Fraction | None
    plain: bool  # a single group of digits, no separators (year-shaped when 4 digits)
    decimal: bool  # read with a decimal mark ("1,5", "14.30")
    reason: str | None = None  # why it is not a figure ("date", "stray")


def split_digit_token(raw: str, base: int, scale_follows: bool) -> list[Piece]:
    """Read the digit-group token *raw* (at offset *base*) into one or more numbers."""
    if raw.isdigit():  # the common case: one plain group
        if len(raw) > MAX_DIGITS:
            return [Piece(base, base + len(raw), None, False, False, "stray")]
        if len(raw) > 1 and raw[0] == "0":
            return [Piece(base, base + len(raw), None, False, False, "stray")]
        return [Piece(base, base + len(raw), Fraction(int(raw)), True, False)]
    groups: list[tuple[int, int]] = []
    seps: list[str] = []
    gstart = 0
    for pos, ch in enumerate(raw):
        if not ch.isdigit():
            groups.append((gstart, pos))
            seps.append(ch)
            gstart = pos + 1
    groups.append((gstart, len(raw)))
    k = len(groups)
    if k >= MAX_GROUPS or any(b - a > MAX_DIGITS for a, b in groups):
        return [Piece(base, base + len(raw), None, False, False, "stray")]
    g = [raw[a:b] for a, b in groups]
    if g[0] == "0" and seps[0] in _SPACES:  # "0 800 123 456": a phone number, not 800,123,456
        return [Piece(base, base + len(raw), None, False, False, "phone")]
    if _is_date(g, seps):
        return [Piece(base, base + len(raw), None, False, False, "date")]
    out: list[Piece] = []
    i = 0
    while i < k:
        a = groups[i][0]
        after_mark = i > 0 and seps[i - 1] in ".,"
        if len(g[i]) > 1 and g[i][0] == "0" and not (i + 1 < k and seps[i] in ".,"):
            out.append(Piece(base + a, base + groups[i][1], None, False, False, "stray"))
            i += 1
            continue
        if len(g[i]) <= 3 and i + 1 < k and len(g[i + 1]) == 3:
            sep = seps[i]
            t = i + 1
            while t + 1 < k and seps[t] == sep and len(g[t + 1]) == 3:
                t += 1
            if sep in ".," and t == i + 1 and t == k - 1 and scale_follows:
                value = Fraction(int(g[i])) + Fraction(int(g[t]), 1000)
                out.append(Piece(base + a, base + groups[t][1], value, False, True))
                i = t + 1
                continue
            value = Fraction(int("".join(g[i : t + 1])))
            decimal = False
            if t + 1 < k and seps[t] in ".," and seps[t] != sep and (sep in _SPACES or sep in ".,"):
                frac = g[t + 1]
                value += Fraction(int(frac), 10 ** len(frac))
                decimal = True
                t += 1
            reason = "stray" if after_mark else None
            out.append(Piece(base + a, base + groups[t][1], value, False, decimal, reason))
            i = t + 1
            if i < k and seps[i - 1] in ".,":
                out.append(Piece(base + groups[i][0], base + len(raw), None, False, False, "stray"))
                break
            continue
        if i + 1 < k and seps[i] in ".,":
            frac = g[i + 1]
            value = Fraction(int(g[i])) + Fraction(int(frac), 10 ** len(frac))
            reason = "stray" if after_mark else None
            out.append(Piece(base + a, base + groups[i + 1][1], value, False, True, reason))
            i += 2
            if i < k and seps[i - 1] in ".,":
                out.append(Piece(base + groups[i][0], base + len(raw), None, False, False, "stray"))
                break
            continue
        reason = "stray" if after_mark else None
        out.append(Piece(base + a, base + groups[i][1], Fraction(int(g[i])), True, False, reason))
        i += 1
    return out


def _is_date(g: list[str], seps: list[str]) -> bool:
    """24.02.2022, 2022.02.24, 02.2022: dotted groups shaped like a date."""
    if not seps or any(s != "." for s in seps):
        return False
    lens = [len(x) for x in g]
    if len(g) == 3:
        if lens[0] <= 2 and lens[1] <= 2 and lens[2] in (2, 4):
            return 1 <= int(g[0]) <= 31 and 1 <= int(g[1]) <= 12
        if lens[0] == 4 and lens[1] <= 2 and lens[2] <= 2:
            return 1 <= int(g[1]) <= 12 and 1 <= int(g[2]) <= 31
    if len(g) == 2 and lens[0] <= 2 and lens[1] == 4:
        return 1 <= int(g[0]) <= 12 and 1800 <= int(g[1]) <= 2100
    return False


@dataclass(slots=True)
class WordNumber:
    """A spelled-out number over tokens [i, j)."""

    j: int
    value: Fraction
    scaled: bool  # contains a scale word ("тисяч", "million")
    bare_scale: bool  # only a scale word, nothing counting it ("тисячу", "тысячи")
    fraction: bool


def parse_words(toks: Tokens, i: int, lex: Lexicon) -> WordNumber | None:
    """Read a spelled-out number starting at token *i* ("two hundred and fifty",
    "шість тисяч", "двухсот", "a quarter"), greedy but grammatical: a unit cannot follow a
    unit, a scale must be smaller than the one before it."""
    words = lex.numwords
    lows, kinds = toks.lows, toks.kinds
    n = len(toks)
    total = Fraction(0)
    group = Fraction(0)
    rank = 9  # 3 = hundreds placed, 2 = tens, 1 = units; 9 = nothing in this group
    last_scale: Fraction | None = None
    scaled = False
    bare = False
    indefinite = False
    end = -1
    j = i
    while j < n:
        kind_tok = kinds[j]
        if kind_tok == PUNCT:
            # "twenty-five": a glued hyphen between a tens word and a unit word
            if (
                toks.raws[j] == "-"
                and rank == 2
                and j + 1 < n
                and toks.glued(j)
                and toks.glued(j + 1)
                and words.get(lows[j + 1], (None,))[0] == UNIT
            ):
                j += 1
                continue
            break
        if kind_tok != WORD:
            break
        entry = words.get(lows[j])
        if entry is None:
            break
        kind, v = entry
        if kind == INDEFINITE:
            if (
                j != i
                or j + 1 >= n
                or words.get(lows[j + 1], (None,))[0]
                not in (
                    SCALE,
                    HMULT,
                    FRACTION,
                )
            ):
                break
            indefinite = True
            j += 1
            continue
        if kind == CONNECTOR:
            if end < 0 or j + 1 >= n or lows[j + 1] not in words:
                break
            nxt = words[lows[j + 1]][0]
            if nxt not in (UNIT, TEEN, TEN) or (rank != 3 and not scaled):
                break
            j += 1
            continue
        if kind in (UNIT, TEEN):
            if rank <= 1 or (kind == TEEN and rank == 2) or indefinite:
                break
            group += v
            rank = 1
        elif kind == TEN:
            if rank <= 2 or indefinite:
                break
            group += v
            rank = 2
        elif kind == HUNDRED:
            if rank != 9 or indefinite:
                break
            group += v
            rank = 3
        elif kind == HMULT:
            if rank == 9 and group == 0:
                if not indefinite:
                    bare = True
                group = Fraction(100)
            elif rank == 1:
                group *= 100
            else:
                break
            rank = 3
            indefinite = False
        elif kind == SCALE:
            if last_scale is not None and v >= last_scale:
                break
            if group == 0:
                if not indefinite and end < 0:
                    bare = True
                group = Fraction(1)
            total += group * v
            group = Fraction(0)
            rank = 9
            last_scale = v
            scaled = True
            indefinite = False
        elif kind == FRACTION:
            if end >= 0 and (scaled or rank != 1):
                break
            if lows[j] in lex.fractions_need_count and not (indefinite or rank == 1):
                break
            count = group if rank == 1 else Fraction(1)
            return WordNumber(j + 1, count * v, False, False, True)
        end = j + 1
        j += 1
    if end < 0:
        return None
    value = total + group
    if value == 0:
        return None
    return WordNumber(end, value, scaled, bare and end == i + 1, False)


def scale_at(toks: Tokens, j: int, lex: Lexicon) -> tuple[int, Fraction] | None:
    """A scale word right after a number ("60 тис.", "1.5 million", "3 сотні")."""
    if j < len(toks) and toks.kinds[j] == WORD:
        entry = lex.numwords.get(toks.lows[j])
        if entry and entry[0] in (SCALE, HMULT):
            return j + 1, entry[1]
    return None


def to_number(value: Fraction) -> int | float:
    """A Fraction as the JSON-friendly int, or float when a fraction is unavoidable."""
    if value.denominator == 1:
        return int(value)
    return float(value)


def values_in(text: str, lex: Lexicon) -> list[int | float]:
    """Every number written in *text*, in order (digits with scale words, or words).

    Used to read a figure's ``text`` back (``Figure.range_end``) and by the tests to check
    that a span's digits give its value, independently of the extractor's bookkeeping.
    """
    toks = tokenize(text)
    out: list[int | float] = []
    i = 0
    n = len(toks)
    while i < n:
        if toks.kinds[i] == NUM:
            nxt = i + 1
            pieces = split_digit_token(
                toks.raws[i], toks.starts[i], scale_at(toks, nxt, lex) is not None
            )
            for p in pieces:
                if p.value is None:
                    continue
                v = p.value
                if p is pieces[-1]:
                    sc = scale_at(toks, nxt, lex)
                    if sc:
                        v *= sc[1]
                        nxt = sc[0]
                out.append(to_number(v))
            i = nxt if nxt > i + 1 else i + 1
            continue
        if toks.kinds[i] == WORD and toks.lows[i] in lex.numwords:
            w = parse_words(toks, i, lex)
            if w:
                out.append(to_number(w.value))
                i = w.j
                continue
        i += 1
    return out
