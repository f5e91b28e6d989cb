"""extract_figures(): sentences → candidates → non-figures filtered → meaning and context → Figure."""

from __future__ import annotations

import bisect
import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from rightswatch.lang import detect_language, normalize_lang

from .analysis import SentenceView, analyse, analyse_context
from .candidates import find_candidates
from .context import (
    SentenceContext,
    last_strong,
    merge_regions,
    period_of,
    region_of,
    sentence_context,
)
from .lexicon import LANGS, Lexicon, load
from .meaning import Meaning, Sense, money_what, sense_of, understand
from .model import Figure
from .nonfigures import Cand
from .numbers import to_number, values_in
from .tables import Table, find_tables, is_total, period_text, sub_column
from .text import LETTER_RE, WORD, WORD_RE, Sentence, normalise, split_sentences
from .vocab import MetricDef, Vocab, load_vocab

_DIGIT_RE = re.compile(r"[0-9]")
_CYRILLIC_RE = re.compile(r"[\u0400-\u04FF]")
_DIGIT_RUN_RE = re.compile(r"[0-9]+")
_SPACE_RE = re.compile(r"\s+")
# More numbers than this in one (capped) sentence is a table or noise, not prose.
MAX_NUMBERS_PER_SENTENCE = 80
_OCCUPIED = frozenset(["crimea", "sevastopol", "donetsk", "luhansk", "zaporizhzhia", "kherson",
                       "occupied_territories"])
# The lead a text's place is read from: its first paragraph, within these bounds.
LEAD_SENTENCES = 5
LEAD_CHARS = 1500
# Words before an organisation that make it the medium, not the source ("… told DW").
_MEDIUM_BEFORE = frozenset(["told", "tells", "telling", "розповів", "розповіла", "розповіли",
                            "рассказал", "рассказала", "рассказали", "сказали", "сказав"])
_DEFINITE = frozenset(["the", "this", "that", "its"])


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


@dataclass
class _Document:
    """What the title and lead say about the whole text, and what carries across paragraphs."""

    region: str | None = None
    period: str | None = None
    last_org: str | None = None
    last_source: str | None = None  # the last organisation a figure was attributed to
    views: dict[int, tuple[SentenceView, SentenceContext]] = field(default_factory=dict)
    numbers: dict[int, bool] = field(default_factory=dict)  # sentence start -> may hold one
    case_kinds: set[str] = field(default_factory=set)  # kinds of case named so far
    list_lead: dict | None = None  # the total a list after "…by status:" breaks down


def extract_figures(text: str, lang: str | None = None, *, title: str | None = None,
                    metrics: Sequence[MetricDef] = ()) -> list[Figure]:
    """The figures of *text*, sorted by position, non-overlapping.

    *lang* ("en", "uk", "ru") picks the lexicon; without it the language is detected.
    *title* is context only (a region, period or organisation the whole text is about);
    no figure is taken from it.  *metrics* are the user's ``[[metric]]`` definitions.
    """
    if not text:
        return []
    code = choose_language(text, lang)
    lex = load(code)
    vocab = load_vocab(code, tuple(metrics))
    out_lang = None if "+" in code else code
    sentences = split_sentences(text, lex.never_final)
    numbers = {s.start: _may_hold_number(text, s, lex) for s in sentences}
    paragraphs = [p for p in _paragraphs(sentences) if any(numbers[s.start] for s in p)]
    doc = _document(text, title, sentences, paragraphs, lex)
    doc.numbers = numbers
    if title and paragraphs:
        doc.case_kinds |= vocab.case_kinds_of(WORD_RE.findall(title))
    tables = find_tables(text) if "\n" in text else []
    rows: list[dict] = []
    for para in paragraphs:
        rows.extend(_paragraph_figures(text, para, lex, vocab, out_lang, doc, tables))
    if tables:
        rows.extend(_table_figures(text, tables, lex, vocab, out_lang, doc))
        rows.sort(key=lambda r: r["start"])
    return _with_ids(rows)


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
    return _number_check(text, s, lex)


def _number_check(text: str, s: Sentence, lex: Lexicon) -> bool:
    if not LETTER_RE.search(text, s.start, s.end):
        return False
    if _DIGIT_RE.search(text, s.start, s.end):
        return True
    found = WORD_RE.findall(text, s.start, s.end)
    return not lex.trigger_words.isdisjoint(map(normalise, found))


def _analysable(text: str, s: Sentence) -> bool:
    """A sentence with words and not too many numbers: one without words has no context for
    a figure (a table row or noise), one with hundreds of numbers is a table or an attack."""
    return bool(LETTER_RE.search(text, s.start, s.end)) and len(
        _DIGIT_RUN_RE.findall(text, s.start, s.end)) <= MAX_NUMBERS_PER_SENTENCE


def _view(text: str, s: Sentence, lex: Lexicon, doc: _Document
          ) -> tuple[SentenceView, SentenceContext]:
    found = doc.views.get(s.start)
    if found is None:
        holds = doc.numbers.get(s.start)
        if holds is None:
            holds = _may_hold_number(text, s, lex)
        read = analyse if holds else analyse_context
        sv = read(text, s.start, s.end, s.paragraph, lex)
        found = (sv, sentence_context(sv, lex))
        doc.views[s.start] = found
    return found


def _document(text: str, title: str | None, sentences: list[Sentence],
              paragraphs: list[list[Sentence]], lex: Lexicon) -> _Document:
    """The region a text is about (one place named in its title and lead, or the only place
    it names), the period its title gives, and the organisation its title names."""
    doc = _Document()
    if not paragraphs:
        return doc  # no figure will need it
    weak = lex.weak_regions
    head: list[str] = []
    if title:
        for s in split_sentences(title, lex.never_final):
            sv = analyse(title, s.start, s.end, 0, lex)
            ctx = sentence_context(sv, lex)
            head += [r for _, _, r in ctx.regions if r not in weak]
            if ctx.periods and doc.period is None:
                doc.period = sv.slice(*ctx.periods[0])
            orgs = sv.m.start.get("org", {})
            if orgs:
                doc.last_org = orgs[min(orgs)][1]
    first = sentences[0].paragraph if sentences else 0
    for s in sentences[:LEAD_SENTENCES]:
        if s.paragraph != first or s.start > LEAD_CHARS:
            break
        if _analysable(text, s):
            _sv, ctx = _view(text, s, lex, doc)
            head += [r for _, _, r in ctx.regions if r not in weak]
    places = set(head)
    if not places:
        counts: Counter[str] = Counter()
        for para in paragraphs:
            for s in para:
                if not _analysable(text, s):
                    continue
                _sv, ctx = _view(text, s, lex, doc)
                # Sevastopol is named beside Crimea in texts about the peninsula
                counts.update("crimea" if r == "sevastopol" else r
                              for _, _, r in ctx.regions if r not in weak)
        total = sum(counts.values())
        if total:
            top, n = counts.most_common(1)[0]
            if n / total >= 0.75:
                places = {top}
    if places and places <= {"crimea", "sevastopol"}:
        doc.region = "crimea" if len(places) > 1 else next(iter(places))
    elif len(places) == 1:
        doc.region = next(iter(places))
    elif places and places <= _OCCUPIED:
        doc.region = "occupied_territories"  # a text about several occupied regions
    return doc


_BULLETS = frozenset("-–—•·*▪◦")


def _one_kind(*scopes: Iterable[str]) -> str | None:
    """The one kind of case the sentence, else its paragraph, else the text so far names;
    None when the nearest scope naming any names both."""
    for scope in scopes:
        kinds = set(scope)
        if kinds:
            return kinds.pop() if len(kinds) == 1 else None
    return None


def _paragraph_figures(text: str, para: list[Sentence], lex: Lexicon, vocab: Vocab,
                       out_lang: str | None, doc: _Document, tables: Sequence[Table] = ()
                       ) -> list[dict]:
    rows: list[dict] = []
    para_source: str | None = None
    para_generic = False  # the paragraph's last attribution named nobody ("правозахисники")
    para_strong: str | None = None  # last oblast / Crimea / occupied territory named
    para_weak: str | None = None  # last country named
    pending: list[dict] = []  # figures whose source may still be given by a later sentence
    para_kinds: set[str] = set()  # kinds of case the paragraph names (criminal, administrative)
    english = out_lang == "en" or (out_lang is None and vocab.langs == ("en",))
    spans = _Spans(tables)
    for s in para:
        item = text[s.start : s.start + 1] in _BULLETS
        if not item:
            doc.list_lead = None
        if not _analysable(text, s) or spans.covers(s.start, s.end):
            continue
        sv, ctx = _view(text, s, lex, doc)
        kept = [c for c in find_candidates(sv, lex) if c.reason is None
                and not spans.covers(c.start, c.start + 1)] if sv.pieces or doc.numbers.get(
                    s.start) else []
        sense = sense_of(sv, vocab) if kept or _attribution_unclear(sv, ctx) else None
        kinds = vocab.case_kinds_of(
            raw for raw, kind in zip(sv.toks.raws, sv.toks.kinds, strict=True) if kind == WORD)
        if sense is not None:
            kinds |= sense.case_kinds
        para_kinds |= kinds
        doc.case_kinds |= kinds
        case_kind = _one_kind(kinds, para_kinds, doc.case_kinds)
        sources, generic = _attribution(sv, ctx, sense, doc)
        if ctx.backref and sources:
            for row in pending:
                row["source"] = sources[0][1]
            pending = []
        sentence_text = text[s.start : s.end]
        new_rows: list[dict] = []
        n = len(sv.toks)
        for idx, c in enumerate(kept):
            assert sense is not None
            lo = kept[idx - 1].qj if idx else 0
            hi = kept[idx + 1].qi if idx + 1 < len(kept) else n
            meaning = understand(sv, sense, c, lo, hi, english, rows + new_rows, case_kind)
            unit = _unit(sv, sense, c, vocab)
            if unit not in ("count", "percent"):
                meaning.metric = meaning.basis = None
                meaning.confidence = 0.0
                meaning.part = False
                meaning.what = money_what(sense, c, lo, hi) or "money"
                meaning.known = True
            list_lead = doc.list_lead
            if item and list_lead is not None and meaning.metric is None and not (
                    meaning.known and meaning.what != "people"):
                # "370 political prisoners … by status:\n– in colonies: 176 people"
                meaning.metric, meaning.basis, meaning.confidence = (
                    list_lead["metric"], "context", 0.65)
                meaning.part = True
                meaning.what = meaning.what or list_lead.get("what")
            if not _worth_reporting(c, meaning, lex, sv):
                continue
            region, basis = region_of(ctx, c, lo, hi, para_strong, lex.weak_regions)
            if region is None and para_weak:
                region, basis = para_weak, "paragraph"
            if region is None and doc.region:
                region, basis = doc.region, "document"
            start, end = sv.toks.starts[c.qi], sv.toks.ends[c.qj - 1]
            last_end = new_rows[-1]["end"] if new_rows else rows[-1]["end"] if rows else -1
            if start < last_end:
                start = c.start
            own = min(sources, key=lambda x: abs(x[0] - c.qi))[1] if sources else None
            row = {
                "value": to_number(c.value),
                "text": text[start:end],
                "start": start,
                "end": end,
                "qualifier": c.qual,
                "metric": meaning.metric,
                "subject": meaning.subject,
                "region": region,
                # the whole of "244 of the 574 cases opened after 2022" is the known total
                "period": None if _is_whole_of(sv, c) else (
                    period_of(sv, ctx, c, lo, hi) or doc.period),
                "source": own if (own or generic) else (
                    para_source or (None if para_generic else doc.last_source)),
                "attribution": _attribution_kind(own, generic, para_source or (
                    None if para_generic else doc.last_source), para_generic),
                "sentence": sentence_text,
                "lang": out_lang,
                "unit": unit,
                "what": meaning.what,
                "population": meaning.population,
                "basis": meaning.basis,
                "confidence": round(meaning.confidence, 2) if meaning.metric else 0.0,
                "region_basis": basis if region else None,
                "part": meaning.part,
                "_sentence": s.start,
            }
            new_rows.append(row)
        rows.extend(new_rows)
        if text[s.start : s.end].rstrip().endswith(":"):
            doc.list_lead = next(
                (r for r in reversed(rows) if r.get("metric") and not r.get("part")), None)
        strong = last_strong(ctx, lex.weak_regions)
        if strong:
            para_strong = strong
        elif ctx.regions:
            para_weak = ctx.regions[-1][2]
        if sources or generic:
            para_source = sources[-1][1] if sources else None
            para_generic = generic and not sources
            if para_source:
                doc.last_source = para_source  # a later paragraph's figures continue it
            pending = []
        else:
            pending.extend(new_rows)
    return rows


class _Spans:
    """Table spans, sorted: is a stretch of text inside one (bisect, not a scan)."""

    def __init__(self, tables: Sequence[Table]) -> None:
        self.spans = sorted((t.start, t.end) for t in tables)
        self.starts = [a for a, _ in self.spans]

    def covers(self, start: int, end: int) -> bool:
        k = bisect.bisect_right(self.starts, start) - 1
        return k >= 0 and self.spans[k][1] >= end


def _attribution_kind(own: str | None, generic: bool, para_source: str | None,
                      para_generic: bool) -> str | None:
    """"named", "generic" or None: how a figure is attributed, by its sentence or, when the
    sentence says nothing, by the paragraph's last attribution."""
    if own:
        return "named"
    if generic:
        return "generic"
    if para_source:
        return "named"
    return "generic" if para_generic else None


def _is_whole_of(sv: SentenceView, c: Cand) -> bool:
    """The 574 of "244 of the 574 cases" / "244 із 574 справ"."""
    t = sv.toks
    k = c.qi - 1
    if k >= 0 and t.lows[k] in ("the", "all"):
        k -= 1
    return k >= 1 and t.lows[k] in ("of", "із", "з", "из") and t.kinds[k - 1] == 1


def _attribution_unclear(sv: SentenceView, ctx: SentenceContext) -> bool:
    """Whether a sentence without figures needs its words read to know who it attributes
    to: a source that is no known organisation ("according to human rights defenders"),
    or a reporting verb with no organisation ("the group said")."""
    orgs = sv.m.start.get("org", {})
    if ctx.sources:
        return any(p not in orgs for p, _ in ctx.sources)
    return bool(sv.m.start.get("attr_verb") or sv.m.start.get("attr_before"))


def _attribution(sv: SentenceView, ctx: SentenceContext, sense: Sense | None, doc: _Document
                 ) -> tuple[list[tuple[int, str]], bool]:
    """(sources, generic) of a sentence: named organisations it attributes figures to, and
    whether it attributes them to somebody who is no organisation ("human rights
    defenders", "за даними ЗМІ").  "The group said" names the organisation named last."""
    t = sv.toks
    orgs = {i: name for i, (_j, name) in sv.m.start.get("org", {}).items()}
    named = [(p, name) for p, name in ctx.sources
             if p in orgs and not (p >= 1 and t.lows[p - 1] in _MEDIUM_BEFORE)]
    raw = [(p, name) for p, name in ctx.sources if p not in orgs]
    generic = False
    if sense is not None and raw and sense.anaphora:
        # "за даними слідства", "according to the group": the organisation named last
        starts = {a for a, _b in sense.anaphora}
        raw = [(p, doc.last_org) if p in starts and doc.last_org else (p, name)
               for p, name in raw if p not in starts or doc.last_org]
    if sense is not None and sense.generic:
        spans = sense.generic
        kept_raw = []
        for p, name in raw:
            if any(a <= p < b for a, b in spans):
                generic = True
            else:
                kept_raw.append((p, name))
        raw = kept_raw
        if not named and not generic:
            verbs = sv.m.start.get("attr_verb", {})
            cues = {j for _i, (j, _v) in sv.m.start.get("attr_before", {}).items()}
            for a, b in spans:
                if a in cues or any(b <= v <= b + 3 for v in verbs) or any(
                        a - 3 <= v < a for v in verbs):
                    generic = True
                    break
    sources = sorted(named + raw)
    if orgs:
        doc.last_org = orgs[max(orgs)]
    if not sources and not generic and sense is not None and doc.last_org:
        verbs = sv.m.start.get("attr_verb", {})
        cue = bool(verbs or sv.m.start.get("attr_before") or sv.m.start.get("attr_org"))
        english = _english(sv)
        for a, _b in sense.anaphora:
            definite = a >= 1 and t.lows[a - 1] in _DEFINITE
            if cue and (definite or not english):
                sources = [(a, doc.last_org)]
                break
    if generic and not named:
        return [], True
    return sources, False


@dataclass(slots=True)
class _Phrase:
    """What a short phrase (a table's header, row label or caption) says."""

    metric: str | None = None
    weak: str | None = None
    what: str | None = None
    population: str | None = None
    partitive: bool = False
    region: str | None = None
    period: str | None = None
    org: str | None = None
    unit: str | None = None


# Table headers and captions repeat from report to report: what they say is kept.
_PHRASES: dict[tuple[str, str, int], _Phrase] = {}
_YEARS_RE = re.compile(r"(?:19|20)\d\d(?:\s*[–—-]\s*(?:19|20)\d\d)?")


def _describe(phrase: str, lex: Lexicon, vocab: Vocab) -> _Phrase:
    out = _Phrase()
    if not phrase.strip():
        return out
    sv = analyse(phrase, 0, len(phrase), 0, lex)
    ctx = sentence_context(sv, lex)
    sense = sense_of(sv, vocab)
    for i in range(len(sv.toks)):
        hit = sense.thing_at.get(i)
        if hit is None or hit[0] != i:
            continue
        thing = hit[2]
        if thing.kind == "container" and not thing.weak:
            continue
        if thing.weak:
            out.weak = out.weak or thing.metric
        elif thing.metric and out.metric is None:
            out.metric = thing.metric
            out.what = thing.what
        out.what = out.what or (thing.what if not thing.weak else None)
        out.population = out.population or thing.population
    pred = next((p for _i, _j, p in sense.preds if p.metric), None)
    if out.metric is None and pred is not None:
        out.metric = pred.metric
    out.metric = out.metric or out.weak
    if out.metric == "conscripted" and sense.quota:
        out.metric = "conscription_quota"
    out.population = out.population or next((str(p) for _i, _j, p in sense.pops), None)
    out.partitive = bool(sense.part_before_end)
    out.region = last_strong(ctx, lex.weak_regions) or (ctx.regions[0][2] if ctx.regions
                                                        else None)
    if ctx.periods:
        out.period = sv.slice(*ctx.periods[0])
    orgs = sv.m.start.get("org", {})
    if orgs:
        out.org = orgs[min(orgs)][1]
    if "%" in phrase or sv.m.start.get("percent"):
        out.unit = "percent"
    else:
        for k in range(len(sv.toks)):
            code = vocab.currency(sv.toks.raws[k], sense.words[k])
            if code:
                out.unit = code
                break
    return out


def _table_figures(text: str, tables: Sequence[Table], lex: Lexicon, vocab: Vocab,
                   out_lang: str | None, doc: _Document) -> list[dict]:
    """The cells of flattened tables: column header, then row label, then caption say what
    each counts; the row label gives place and period; a "Total" row or column is the
    whole and the others its parts."""
    rows: list[dict] = []

    def describe(phrase: str) -> _Phrase:
        key = (phrase, lex.lang, id(vocab))
        found = _PHRASES.get(key)
        if found is None:
            if len(_PHRASES) > 20_000:
                _PHRASES.clear()
            found = _PHRASES[key] = _describe(phrase, lex, vocab)
        return found

    for table in tables:
        caption = describe(table.caption)
        notes = describe(table.notes)
        has_total_row = any(c.total for c in table.cells)
        has_total_col = any(is_total(c.column) for c in table.cells)
        caption_years = _YEARS_RE.findall(table.caption)
        for cell in table.cells:
            column = sub_column(cell.column, cell.sub) if "/" in cell.column else cell.column
            col, row = describe(column), describe(cell.label)
            order = (col, row, caption)
            metric = next((p.metric for p in order if p.metric), None)
            what = next((p.what for p in order if p.what), None)
            if metric is None and col.partitive:
                metric = row.metric or caption.metric
            unit = col.unit or caption.unit or "count"
            if unit not in ("count", "percent"):
                metric = None
                what = what or "money"
            part = (col.partitive or (has_total_row and not cell.total)
                    or (has_total_col and not is_total(cell.column)))
            region = row.region or col.region or caption.region or doc.region
            period = (period_text(cell.label) or period_text(cell.column) or caption.period
                      or (caption_years[-1] if caption_years else None) or notes.period
                      or doc.period)
            values = values_in(text[cell.start:cell.end], lex)
            if not values:
                continue
            raw = text[cell.start:cell.end]
            qualifier = ("approx" if raw[:1] in "~≈" else "more_than" if raw[:1] == ">"
                         else "less_than" if raw[:1] == "<" else "exact")
            line_start = text.rfind("\n", 0, cell.start) + 1
            line_end = text.find("\n", cell.end)
            rows.append({
                "value": values[0],
                "text": raw,
                "start": cell.start,
                "end": cell.end,
                "qualifier": qualifier,
                "metric": metric,
                "subject": cell.column or None,
                "region": region,
                "period": period,
                "source": caption.org or notes.org or doc.last_org,
                "attribution": "named" if (caption.org or notes.org or doc.last_org) else None,
                "sentence": text[line_start: line_end if line_end >= 0 else len(text)],
                "lang": out_lang,
                "unit": unit,
                "what": what or (metric.replace("_", " ") if metric else None),
                "population": col.population or row.population or caption.population,
                "basis": "noun" if metric else None,
                "confidence": 0.7 if metric else 0.0,
                "region_basis": ("sentence" if row.region or col.region else
                                 "paragraph" if caption.region else
                                 "document" if region else None),
                "part": part,
            })
    return rows


def _english(sv: SentenceView) -> bool:
    return not _CYRILLIC_RE.search(sv.doc, sv.start, sv.end)


def _unit(sv: SentenceView, sense: Sense, c: Cand, vocab: Vocab) -> str:
    if c.percent:
        return "percent"
    if not c.money:
        return "count"
    t = sv.toks
    for x in (c.i - 1, c.i - 2, c.after, c.after + 1):
        if 0 <= x < len(t):
            code = vocab.currency(t.raws[x], sense.words[x])
            if code:
                return code
    return "count"


def _worth_reporting(c: Cand, meaning: Meaning, lex: Lexicon, sv: SentenceView) -> bool:
    """Spelled-out small numbers and fractions only count when they count something a
    monitor counts ("three children", "двох нових вироків", "не менее четверти
    осужденных", not "three sons"); "one" never does."""
    t = sv.toks
    counts = meaning.metric is not None or meaning.known
    if not c.digits:
        if c.fraction:
            return meaning.metric is not None
        if c.value == 1 and not c.scaled:
            return False
        if c.bare_scale and c.qual == "exact" and t.lows[c.i] not in lex.standalone:
            return False
        return c.scaled or c.value >= 100 or counts
    if not counts and c.value < 10 and c.qual == "exact" and not c.money and not c.percent:
        nxt = c.qj
        if nxt >= len(t) or (t.kinds[nxt] == 3 and t.raws[nxt] not in "%"):
            return False  # a stray digit: "… section 3." or broken text
    return c.value != 0


def _with_ids(rows: list[dict]) -> list[Figure]:
    """Figures with their stable ids: a hash of the sentence (spaces squeezed) and the
    figure's text, with a counter for repeats, so an edit elsewhere keeps every id."""
    seen: dict[tuple[str, str], int] = {}
    squeezed: dict[str, str] = {}
    out = []
    for row in rows:
        row.pop("_sentence", None)
        sentence = row["sentence"]
        flat = squeezed.get(sentence)
        if flat is None:
            flat = squeezed[sentence] = " ".join(sentence.split())
        key = (flat, row["text"])
        k = seen.get(key, 0)
        seen[key] = k + 1
        digest = hashlib.blake2b(f"{flat}\x1f{row['text']}\x1f{k}".encode(), digest_size=8)
        row["id"] = "fig_" + digest.hexdigest()
        out.append(Figure(**row))
    return out


__all__ = ["choose_language", "extract_figures", "merge_regions"]
