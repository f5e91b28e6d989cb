"""Where a figure is, when, and according to whom (what it counts: :mod:`.meaning`).

* Region: the nearest region name in the sentence (names inside organisation names,
  period phrases and law references do not count); two different occupied regions joined
  by "and" make occupied_territories; with none in the sentence, the last region named
  earlier in the same paragraph, then the place the whole text is about (extract.py).
* Period: the nearest time phrase of the sentence ("since 2015", "з початку
  повномасштабного вторгнення", "as of October 2024").
* Source: organisations the sentence attributes figures to ("according to …", "…
  reported", "за даними …", "по данным …"), mapped to their canonical names; an unknown
  source after "according to" is kept as written (generic ones are dropped by the
  extractor).  A sentence without attribution inherits the source of the previous
  attributed sentence of the same paragraph, and a sentence such as "This was reported by
  ZMINA" / "Про це повідомляє КПГ" attributes the sentences before it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .analysis import SentenceView
from .lexicon import Lexicon
from .nonfigures import Cand
from .text import NUM, PUNCT, WORD

_CLAUSE_END = frozenset(";!?")
_OCCUPIED = frozenset(["crimea", "sevastopol", "donetsk", "luhansk", "zaporizhzhia", "kherson"])
_JOIN = frozenset(["and", "і", "та", "й", "и", ",", "&", "+", "/", "or", "або", "или"])
_EVENT_REGIONS = frozenset(["russia", "ukraine"])


@dataclass(slots=True)
class SentenceContext:
    """Per-sentence facts computed once: regions, periods, attributed sources."""

    regions: list[tuple[int, int, str]]  # (first token, token after, region id)
    periods: list[tuple[int, int]]  # token spans
    sources: list[tuple[int, str]]  # (token position, source name)
    backref: bool
    lows: list[str]


def sentence_context(sv: SentenceView, lex: Lexicon) -> SentenceContext:
    t, m = sv.toks, sv.m
    orgs = sorted((i, j, name) for i, (j, name) in m.start.get("org", {}).items())
    orgs = _non_overlapping(orgs)
    periods = _periods(sv)
    masked = [(i, j) for i, j, _ in orgs] + periods
    for i, (j, _) in m.start.get("code", {}).items():
        masked.append((i, j))
    regions = []
    for i, (j, region) in sorted(m.start.get("region", {}).items()):
        if any(a <= i < b for a, b in masked):
            continue
        if t.lows[i].startswith(lex.region_exclude):
            continue
        regions.append((i, j, region))
    regions = _non_overlapping(regions)
    # "the occupied part of Kherson region": the named oblast is the more precise answer
    regions = [
        r
        for k, r in enumerate(regions)
        if not (
            r[2] == "occupied_territories"
            and k + 1 < len(regions)
            and regions[k + 1][0] - r[1] <= 2
            and regions[k + 1][2] in _OCCUPIED
        )
    ]
    return SentenceContext(
        regions=regions,
        periods=periods,
        sources=_sources(sv, orgs),
        backref=bool(m.start.get("backref")),
        lows=t.lows,
    )


def _non_overlapping(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    for s in spans:
        if out and s[0] < out[-1][1]:
            continue
        out.append(s)
    return out


def _is_year(sv: SentenceView, i: int) -> bool:
    p = sv.pieces.get(i)
    return bool(p and p.plain and p.value is not None and 1000 <= p.value <= 2100)


def _periods(sv: SentenceView) -> list[tuple[int, int]]:
    """Time phrases: a trigger ("since", "з", "станом на") then fillers and anchors."""
    t, m = sv.toks, sv.m
    n = len(t)
    out: list[tuple[int, int]] = []
    trig = m.start.get("p_trigger", {})
    anchors = m.start.get("p_anchor", {})
    months = m.start.get("month", {})
    filler = m.start.get("p_filler", {})
    regions = m.start.get("region", {})
    i = 0
    while i < n:
        hit = trig.get(i)
        if hit:
            k, need_year = hit[0], False
        elif i in months or i in anchors:
            k, need_year = i, True
        else:
            i += 1
            continue
        last = -1
        event = year = False
        x = k
        steps = 0
        while x < n and steps < 14:
            steps += 1
            if x in anchors or x in months:
                e = (anchors.get(x) or months.get(x))[0]  # type: ignore[index]
                event = event or x in anchors
                last = x = e
                continue
            if t.kinds[x] == NUM:
                piece = sv.pieces.get(x)
                if _is_year(sv, x):
                    year = True
                    last = x = x + 1
                    continue
                if piece and piece.value is not None and piece.value <= 31 and x + 1 in months:
                    x += 1
                    continue
                break
            if event and x in regions and regions[x][1] in _EVENT_REGIONS:
                last = x = regions[x][0]
                continue
            if x in filler:
                x = filler[x][0]
                continue
            if x in trig and x > k:
                x = trig[x][0]
                continue
            break
        if last > k and (year or not need_year):
            out.append((i, last))
            i = last
        else:
            i += 1
    return out


def _sources(sv: SentenceView, orgs: list[tuple[int, int, str]]) -> list[tuple[int, str]]:
    t, m = sv.toks, sv.m
    out: list[tuple[int, str]] = []
    cues = [(i, j, True) for i, (j, _) in m.start.get("attr_before", {}).items()]
    cues += [(i, j, False) for i, (j, _) in m.start.get("attr_org", {}).items()]
    for _i, j, raw_ok in sorted(cues):
        org = next((o for o in orgs if j <= o[0] <= j + 3), None)
        if org:
            if not any(p == org[0] for p, _ in out):
                out.append((org[0], org[2]))
            continue
        phrase = _raw_source(sv, j) if raw_ok else None
        if phrase:
            out.append((j, phrase))
    verbs = m.start.get("attr_verb", {})
    if verbs and orgs:
        for o in orgs:
            if not any(p == o[0] for p, _ in out):
                out.append((o[0], o[2]))
    if not out and orgs and orgs[0][0] <= 2 and t.kinds[0] != NUM:
        out.append((orgs[0][0], orgs[0][2]))
    return sorted(out)


def _raw_source(sv: SentenceView, j: int) -> str | None:
    """The words after "according to" when they name no known organisation."""
    t = sv.toks
    n = len(t)
    k = j
    while k < n and k < j + 8:
        if t.kinds[k] == NUM or (t.kinds[k] == PUNCT and t.raws[k] in ",.;:()—–!?"):
            break
        k += 1
    if k == j or t.kinds[j] != WORD:
        return None
    return sv.slice(j, k)


def region_of(
    ctx: SentenceContext, c: Cand, lo: int, hi: int, para_strong: str | None, weak: frozenset[str]
) -> tuple[str | None, str | None]:
    """(region, basis) of candidate *c*: the nearest strong region named in its clause
    (between the neighbouring figures *lo*..*hi*), else one named earlier in the sentence,
    else the paragraph's (*para_strong*, basis "paragraph"), else a weak one (a country) of
    the sentence."""
    strong = [k for k, r in enumerate(ctx.regions) if r[2] not in weak]
    inside = [k for k in strong if lo <= ctx.regions[k][0] < hi]
    if inside:
        best = _nearest(ctx, c, inside)
    else:
        earlier = [k for k in strong if ctx.regions[k][1] <= lo]
        if earlier:
            return _grouped(ctx, earlier[-1]), "sentence"
        if para_strong:
            return para_strong, "paragraph"
        if strong:
            best = _nearest(ctx, c, strong)
        elif ctx.regions:
            best = _nearest(ctx, c, list(range(len(ctx.regions))))
        else:
            return None, None
    return _grouped(ctx, best), "sentence"


def _nearest(ctx: SentenceContext, c: Cand, idxs: list[int]) -> int:
    best, best_d = idxs[0], float("inf")
    for idx in idxs:
        i, j, _ = ctx.regions[idx]
        if j <= c.qi:
            d = c.qi - j + 1.5  # a region written after the number is preferred
        elif i >= c.qj:
            d = i - c.qj
        else:
            d = 0
        if d < best_d:
            best, best_d = idx, d
    return best


def _grouped(ctx: SentenceContext, best: int) -> str:
    i, j, region = ctx.regions[best]
    group = {region}
    lows = ctx.lows
    for other in (best - 1, best + 1):
        if 0 <= other < len(ctx.regions):
            oi, oj, oreg = ctx.regions[other]
            gap = lows[oj:i] if oj <= i else lows[j:oi]
            if len(gap) == 1 and gap[0] in _JOIN:
                group.add(oreg)
    return merge_regions(group, region)


def merge_regions(group: set[str], nearest: str) -> str:
    if len(group) > 1 and group <= _OCCUPIED:
        if group <= {"crimea", "sevastopol"}:
            return "crimea"
        return "occupied_territories"
    return nearest


def period_of(sv: SentenceView, ctx: SentenceContext, c: Cand, lo: int = 0,
              hi: int | None = None, *, before_only: bool = False) -> str | None:
    """The period of candidate *c*: the nearest time phrase of its clause (between the
    neighbouring figures *lo*..*hi*), else the last one written before its clause ("In
    2023, 120 people were detained and 40 sentenced"); one after the next figure is that
    figure's.  *before_only*: only phrases before the number (the whole of "244 of the 574
    cases opened after 2022" is not "after 2022")."""
    hi = len(sv.toks) if hi is None else hi
    best = None
    best_d = 10**9
    earlier = None
    for i, j in ctx.periods:
        if i < c.qj and c.qi < j:
            continue
        if j <= lo:
            earlier = (i, j)
            continue
        if i >= hi or (before_only and i >= c.qj):
            continue
        d = c.qi - j if j <= c.qi else i - c.qj
        if d < best_d:
            best, best_d = (i, j), d
    best = best or earlier
    if best is None:
        return None
    return sv.slice(*best)


def last_strong(ctx: SentenceContext, weak: frozenset[str]) -> str | None:
    """The last strong region named in the sentence (for the paragraph fallback)."""
    for k in range(len(ctx.regions) - 1, -1, -1):
        if ctx.regions[k][2] not in weak:
            return _grouped(ctx, k)
    return None
