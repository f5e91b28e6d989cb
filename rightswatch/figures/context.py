"""What a figure counts, where, when, and according to whom.

* Metric: decided by the noun the number counts. The first metric cue after the number in
  its clause wins (up to the next figure, at most 12 tokens: "583 criminal cases for
  evading mobilisation" is criminal_cases, "1,873 members … died" is deaths); failing that,
  the nearest cue before it ("Criminal cases: 574"). "of them" / "з них" / "из них" with no
  cue of its own takes the metric of the previous figure. A conscription figure in a
  sentence about a decree, plan or quota is a conscription_quota.
* Subject: the counted noun phrase as written right after the number.
* Region: the nearest region name in the sentence (names inside organisation names,
  period phrases and law references do not count); two different occupied regions joined
  by "and" make occupied_territories; with none in the sentence, the last region named
  earlier in the same paragraph.
* Period: the nearest time phrase of the sentence ("since 2015", "з початку
  повномасштабного вторгнення", "as of October 2024").
* Source: an organisation the sentence attributes the figure to ("according to …", "…
  reported", "за даними …", "по данным …"), mapped to its canonical name; an unknown source
  after "according to" is kept as written. A sentence without attribution inherits the
  source of the previous attributed sentence of the same paragraph, and a sentence such as
  "This was reported by ZMINA" / "Про це повідомляє КПГ" attributes the sentences before it.
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
    has_quota: bool
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
        has_quota=bool(m.start.get("quota_ctx")),
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


def metric_of(
    sv: SentenceView, c: Cand, lo: int, hi: int, has_quota: bool, consumed: set[int]
) -> tuple[str | None, tuple[int, int] | None, bool]:
    """(metric, cue token span, cue is after the number) for candidate *c*.

    *lo*/*hi* bound the clause: the previous and next figure of the sentence. A cue that
    an earlier figure took from its own words (*consumed*) is not borrowed again: in
    "two activists were detained …, and some 40 others were questioned" the 40 are not
    detainees. A counted noun that is no metric ("20 conscription campaigns", "9 villages")
    ends the search with no metric.
    """
    t, m = sv.toks, sv.m
    starts = m.start.get("metric", {})
    ends = m.end.get("metric", {})
    other = m.start.get("other", {})
    hit = None
    stop = min(hi, c.qj + 12, len(t))
    for x in range(c.qj, stop):
        if t.kinds[x] == PUNCT and t.raws[x] in _CLAUSE_END:
            break
        if x in other and x <= c.qj + 1:
            consumed.add(x)
            return None, None, False
        if x in starts:
            e, (metric, _kind) = starts[x]
            if e in other and _kind == "noun":
                consumed.add(x)
                return None, None, False
            hit = (metric, (x, e), True)
            consumed.add(x)
            break
    if hit is None:
        for x in range(c.qi - 1, max(lo, c.qi - 10) - 1, -1):
            if t.kinds[x] == PUNCT and t.raws[x] in "!?":
                break
            if x in ends:
                s, (metric, _kind) = ends[x]
                if s in consumed:
                    break
                hit = (metric, (s, x + 1), False)
                break
    if hit is None:
        return None, None, False
    metric, span, after = hit
    if metric == "conscripted" and has_quota:
        metric = "conscription_quota"
    return metric, span, after


def partitive(sv: SentenceView, c: Cand) -> bool:
    """ "з них 244", "244 of them": the figure is a part of the previous one."""
    m = sv.m
    if c.qi >= 1 and m.ending("partitive", c.qi - 1):
        return True
    if c.qi >= 2 and m.ending("partitive", c.qi - 2):
        return True  # "Of these, 244", "Among them are 16", "Серед них — 16"
    return bool(m.at("partitive", c.qj))


def subject_of(sv: SentenceView, c: Cand, cue: tuple[int, int] | None, after: bool) -> str | None:
    """The counted noun phrase written right after the number ("criminal proceedings")."""
    t, m = sv.toks, sv.m
    n = len(t)
    metric_starts = m.start.get("metric", {})
    stops = m.start.get("stop", {})
    x = c.qj
    first = x
    last = -1
    words = 0
    while x < n and words < 5:
        if t.kinds[x] == PUNCT:
            if t.raws[x] in "-‐" and t.glued(x) and x + 1 < n and t.glued(x + 1) and last == x - 1:
                x += 1
                continue
            break
        if t.kinds[x] != WORD or x in stops:
            break
        hit = metric_starts.get(x)
        if hit:
            if hit[1][1] == "verb" and words > 0:
                break
            last = hit[0] - 1
            break
        last = x
        words += 1
        x += 1
    if last >= first:
        while last > first and t.lows[last] in ("of", "the", "a", "an"):
            last -= 1
        return sv.slice(first, last + 1)
    if cue and not after:
        return sv.slice(cue[0], cue[1])
    return None


def region_of(
    ctx: SentenceContext, c: Cand, lo: int, hi: int, para_strong: str | None, weak: frozenset[str]
) -> str | None:
    """The region of candidate *c*: the nearest strong region named in its clause
    (between the neighbouring figures *lo*..*hi*), else one named earlier in the sentence,
    else the paragraph's (*para_strong*), else a weak one (a country) of the sentence."""
    strong = [k for k, r in enumerate(ctx.regions) if r[2] not in weak]
    inside = [k for k in strong if lo <= ctx.regions[k][0] < hi]
    if inside:
        best = _nearest(ctx, c, inside)
    else:
        earlier = [k for k in strong if ctx.regions[k][1] <= lo]
        if earlier:
            return _grouped(ctx, earlier[-1])
        if para_strong:
            return para_strong
        if strong:
            best = _nearest(ctx, c, strong)
        elif ctx.regions:
            best = _nearest(ctx, c, list(range(len(ctx.regions))))
        else:
            return None
    return _grouped(ctx, best)


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


def period_of(sv: SentenceView, ctx: SentenceContext, c: Cand) -> str | None:
    best = None
    best_d = 10**9
    for i, j in ctx.periods:
        if i < c.qj and c.qi < j:
            continue
        d = c.qi - j if j <= c.qi else i - c.qj
        if d < best_d:
            best, best_d = (i, j), d
    if best is None:
        return None
    return sv.slice(*best)


def source_of(ctx: SentenceContext, c: Cand) -> str | None:
    if not ctx.sources:
        return None
    return min(ctx.sources, key=lambda s: abs(s[0] - c.qi))[1]


def last_strong(ctx: SentenceContext, weak: frozenset[str]) -> str | None:
    """The last strong region named in the sentence (for the paragraph fallback)."""
    for k in range(len(ctx.regions) - 1, -1, -1):
        if ctx.regions[k][2] not in weak:
            return _grouped(ctx, k)
    return None
