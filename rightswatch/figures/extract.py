"""extract_figures(): sentences → candidates → non-figures filtered → context → Figure."""

from __future__ import annotations

import re
from collections.abc import Iterator

from rightswatch.lang import detect_language, normalize_lang

from .analysis import SentenceView, analyse
from .candidates import find_candidates
from .context import (
    last_strong,
    metric_of,
    partitive,
    period_of,
    region_of,
    sentence_context,
    source_of,
    subject_of,
)
from .lexicon import LANGS, Lexicon, load
from .model import Figure
from .nonfigures import Cand
from .numbers import to_number
from .text import LETTER_RE, PUNCT, WORD_RE, Sentence, normalise, split_sentences

_DIGIT_RE = re.compile(r"[0-9]")
_CYRILLIC_RE = re.compile(r"[\u0400-\u04FF]")
_DIGIT_RUN_RE = re.compile(r"[0-9]+")
# More numbers than this in one (capped) sentence is a table or noise, not prose.
MAX_NUMBERS_PER_SENTENCE = 80


def choose_language(text: str, lang: str | None) -> str:
    """The lexicon to use: the caller's language, else the detected one; text whose
    Cyrillic cannot be told apart gets the merged Ukrainian+Russian lexicon."""
    code = normalize_lang(lang)
    if code in LANGS:
        return code
    detected = detect_language(text)
    if detected in LANGS:
        return detected
    return "uk+ru" if _CYRILLIC_RE.search(text, 0, 20_000) else "en"


def extract_figures(text: str, lang: str | None = None) -> list[Figure]:
    """The figures of *text*, sorted by position, non-overlapping.

    *lang* ("en", "uk", "ru") picks the lexicon; without it the language is detected.
    """
    if not text:
        return []
    code = choose_language(text, lang)
    lex = load(code)
    out_lang = None if "+" in code else code
    figures: list[Figure] = []
    for para in _paragraphs(split_sentences(text, lex.never_final)):
        if not any(_may_hold_number(text, s, lex) for s in para):
            continue
        figures.extend(_paragraph_figures(text, para, lex, out_lang))
    return figures


def _paragraphs(sentences: list[Sentence]) -> Iterator[list[Sentence]]:
    cur: list[Sentence] = []
    for s in sentences:
        if cur and s.paragraph != cur[-1].paragraph:
            yield cur
            cur = []
        cur.append(s)
    if cur:
        yield cur


def _may_hold_number(text: str, s: Sentence, lex: Lexicon) -> bool:
    """Cheap pre-check (C-speed regexes) so only paragraphs with numbers are analysed.

    A sentence without a single letter has no context for a figure: it is a table row or
    broken text, and skipping it keeps hostile input ("1,1,1,…", "1 1 1 …") linear and fast.
    """
    if not LETTER_RE.search(text, s.start, s.end):
        return False
    if _DIGIT_RE.search(text, s.start, s.end):
        return True
    found = WORD_RE.findall(text, s.start, s.end)
    return not lex.trigger_words.isdisjoint(map(normalise, found))


def _paragraph_figures(
    text: str, para: list[Sentence], lex: Lexicon, out_lang: str | None
) -> list[Figure]:
    rows: list[dict] = []
    para_source: str | None = None
    para_strong: str | None = None  # last oblast / Crimea / occupied territory named
    para_weak: str | None = None  # last country named
    prev_metric: str | None = None
    pending: list[dict] = []  # figures whose source may still be given by a later sentence
    for s in para:
        if not LETTER_RE.search(text, s.start, s.end):
            continue  # no words, no context: a table row or noise
        if len(_DIGIT_RUN_RE.findall(text, s.start, s.end)) > MAX_NUMBERS_PER_SENTENCE:
            continue
        sv = analyse(text, s.start, s.end, s.paragraph, lex)
        ctx = sentence_context(sv, lex)
        if ctx.backref and ctx.sources:
            for row in pending:
                row["source"] = ctx.sources[0][1]
            pending = []
        sentence_text = text[s.start : s.end]
        kept = [c for c in find_candidates(sv, lex) if c.reason is None]
        new_rows: list[dict] = []
        n = len(sv.toks)
        consumed: set[int] = set()
        sentence_metric: str | None = None
        for idx, c in enumerate(kept):
            lo = kept[idx - 1].qj if idx else 0
            hi = kept[idx + 1].qi if idx + 1 < len(kept) else n
            metric, cue, after = metric_of(sv, c, lo, hi, ctx.has_quota, consumed)
            subject = subject_of(sv, c, cue, after)
            if (metric is None or not after) and prev_metric and partitive(sv, c):
                metric = prev_metric  # "з них 244", "up from 180": same as the figure before
            elif metric is None and sentence_metric and _elliptical(sv, c, subject):
                metric = sentence_metric  # ellipsis: "200 from Zaporizhzhia and 100 from Luhansk"
            elif metric is None and sentence_metric and _conjoined_people(sv, c):
                metric = sentence_metric  # "Among them are 16 women and 4 minors"
            if c.money:
                metric = None
            if not _worth_reporting(sv, c, metric, lex):
                continue
            region = region_of(ctx, c, lo, hi, para_strong, lex.weak_regions) or para_weak
            start, end = sv.toks.starts[c.qi], sv.toks.ends[c.qj - 1]
            last_end = new_rows[-1]["end"] if new_rows else rows[-1]["end"] if rows else -1
            if start < last_end:
                start = c.start
            row = {
                "value": to_number(c.value),
                "text": text[start:end],
                "start": start,
                "end": end,
                "qualifier": c.qual,
                "metric": metric,
                "subject": subject,
                "region": region,
                "period": period_of(sv, ctx, c),
                "source": source_of(ctx, c) or para_source,
                "sentence": sentence_text,
                "lang": out_lang,
            }
            new_rows.append(row)
            if metric:
                prev_metric = sentence_metric = metric
        rows.extend(new_rows)
        strong = last_strong(ctx, lex.weak_regions)
        if strong:
            para_strong = strong
        elif ctx.regions:
            para_weak = ctx.regions[-1][2]
        if ctx.sources:
            para_source = ctx.sources[-1][1]
            pending = []
        else:
            pending.extend(new_rows)
    return [Figure(**row) for row in rows]


_ELLIPSIS_NEXT = frozenset(
    ["from", "in", "at", "з", "із", "зі", "у", "в", "на", "из", "с", "со", "во", "по"]
)


def _elliptical(sv: SentenceView, c: Cand, subject: str | None) -> bool:
    """A number with no noun and no verb of its own ("…, and 100 from Luhansk.")."""
    if subject is not None or c.money:
        return False
    t = sv.toks
    k = c.qj
    return k >= len(t) or t.kinds[k] == PUNCT or t.lows[k] in _ELLIPSIS_NEXT


_AND = frozenset(["and", "і", "й", "та", "и"])


def _conjoined_people(sv: SentenceView, c: Cand) -> bool:
    """A count of people joined to the previous figure by "and" ("16 women and 4 minors")."""
    t = sv.toks
    return c.qi >= 1 and t.lows[c.qi - 1] in _AND and bool(sv.m.at("count", c.qj))


def _worth_reporting(sv: SentenceView, c: Cand, metric: str | None, lex: Lexicon) -> bool:
    """Spelled-out small numbers and fractions only count when they count something known
    ("two men were detained", "не менее четверти осужденных"); "one" never does."""
    t = sv.toks
    if not c.digits:
        if c.fraction:
            return metric is not None
        if c.value == 1 and not c.scaled:
            return False
        if c.bare_scale and c.qual == "exact" and t.lows[c.i] not in lex.standalone:
            return False
        return c.scaled or c.value >= 100 or metric is not None
    if metric is None and c.value < 10 and c.qual == "exact" and not c.money:
        nxt = c.qj
        if nxt >= len(t) or (t.kinds[nxt] == PUNCT and t.raws[nxt] not in "%"):
            return False  # a stray digit: "… section 3." or broken text
    return c.value != 0
