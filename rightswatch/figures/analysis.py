"""One sentence, analysed once: tokens (with digit groups read into numbers), every lexicon
phrase match, and the character spans masked as URLs, phones, times and dates.

Everything the later stages ask about a candidate is a lookup into these structures, so no
stage rescans the text per figure (the extractor stays linear in the input).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .lexicon import Lexicon, Matches
from .numbers import Piece, scale_at, split_digit_token
from .text import NUM, Tokens, tokenize

_MASKS = (
    ("url", re.compile(r"(?:https?://|www\.)[^\s<>\"]{1,2000}"), ("://", "www.")),
    ("email", re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,4}"), ("@",)),
    ("phone", re.compile(r"\+\s?\d{1,3}(?:[ \-.]?\(?\d{1,5}\)?){2,6}"), ("+",)),
    ("phone", re.compile(r"\(\d{2,5}\)[ \u00a0]?\d{2,4}(?:[ \-]\d{2,4}){1,3}"), ("(",)),
    ("phone", re.compile(r"(?<!\d)\d{2,4}-\d{2,3}-\d{2,4}(?:-\d{2,4})?(?!\d)"), ("-",)),
    ("time", re.compile(r"(?<!\d)(?:[01]?\d|2[0-3]):[0-5]\d(?!\d)"), (":",)),
    ("date", re.compile(r"(?<!\d)(?:19|20)\d\d-[01]\d-[0-3]\d(?!\d)"), ("-",)),
    ("date", re.compile(r"(?<!\d)\d{1,2}/\d{1,2}/\d{2,4}(?!\d)"), ("/",)),
)


@dataclass(slots=True)
class SentenceView:
    """Tokens, numbers, phrase matches and masks of one sentence."""

    doc: str  # the whole text; offsets are absolute
    start: int
    end: int
    paragraph: int
    toks: Tokens
    pieces: dict[int, Piece]  # token index -> number read from a digit token
    m: Matches
    masks: list[tuple[int, int, str]]

    def mask_reason(self, start: int, end: int) -> str | None:
        for a, b, why in self.masks:
            if a < end and start < b:
                return why
        return None

    def slice(self, i: int, j: int) -> str:
        """The text of tokens [i, j) as written."""
        return self.doc[self.toks.starts[i] : self.toks.ends[j - 1]]


def analyse(text: str, start: int, end: int, paragraph: int, lex: Lexicon) -> SentenceView:
    """Tokenize text[start:end], split digit tokens into numbers and scan the lexicon."""
    toks, pieces = _split_numbers(tokenize(text, start, end), lex)
    masks: list[tuple[int, int, str]] = []
    if pieces:
        chunk = text[start:end]
        for why, rx, needs in _MASKS:
            if any(ch in chunk for ch in needs):
                for mm in rx.finditer(text, start, end):
                    masks.append((mm.start(), mm.end(), why))
    return SentenceView(text, start, end, paragraph, toks, pieces, lex.matcher.scan(toks), masks)


def analyse_context(text: str, start: int, end: int, paragraph: int, lex: Lexicon
                    ) -> SentenceView:
    """A sentence without numbers, read only for what its neighbours' figures take from it
    (places, organisations, attributions): a smaller lexicon, no numbers, no masks."""
    toks = tokenize(text, start, end)
    return SentenceView(text, start, end, paragraph, toks, {}, lex.context_matcher.scan(toks),
                        [])


def _split_numbers(toks: Tokens, lex: Lexicon) -> tuple[Tokens, dict[int, Piece]]:
    """Replace each digit-group token by the numbers it holds ("2022 3" → 2022, 3)."""
    if NUM not in toks.kinds:
        return toks, {}
    # The common case: every digit token is one number; the token lists stay as they are.
    simple: dict[int, Piece] = {}
    for i, kind in enumerate(toks.kinds):
        if kind != NUM:
            continue
        raw = toks.raws[i]
        if i and toks.kinds[i - 1] == NUM and toks.glued(i):
            break
        parts = split_digit_token(raw, toks.starts[i], scale_at(toks, i + 1, lex) is not None)
        if len(parts) != 1 or parts[0].reason == "stray" or parts[0].end != toks.ends[i]:
            break
        simple[i] = parts[0]
    else:
        return toks, simple
    out = Tokens([], [], [], [], [])
    pieces: dict[int, Piece] = {}
    n = len(toks)
    prev_stray_end = -2
    for i in range(n):
        kind = toks.kinds[i]
        if kind != NUM:
            out.starts.append(toks.starts[i])
            out.ends.append(toks.ends[i])
            out.kinds.append(kind)
            out.raws.append(toks.raws[i])
            out.lows.append(toks.lows[i])
            continue
        raw = toks.raws[i]
        s = toks.starts[i]
        follows = scale_at(toks, i + 1, lex) is not None
        parts = split_digit_token(raw, s, follows)
        if s - prev_stray_end <= 1 and parts:
            # a continuation of a run cut at the token cap ("1,1,1,…", "1 1 1 …")
            parts = [Piece(s, s + len(raw), None, False, False, "stray")]
        for p in parts:
            pieces[len(out.starts)] = p
            out.starts.append(p.start)
            out.ends.append(p.end)
            out.kinds.append(NUM)
            r = raw[p.start - s : p.end - s]
            out.raws.append(r)
            out.lows.append(r)
        if parts and parts[-1].reason == "stray":
            prev_stray_end = parts[-1].end
    return out, pieces
