"""Tokens and sentences: the linear-time groundwork every other module stands on.

Everything here is one left-to-right pass with regular expressions that cannot backtrack
catastrophically (no nested unbounded quantifiers; numbers are capped in length), so a
megabyte of hostile input costs about as much as a megabyte of prose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A number token is a run of digit groups joined by single separators that may be
# thousands separators or decimal marks ("1,873", "2 415", "1.5", "24.02.2022"). Groups and
# their count are bounded, so a hostile run of "1,1,1,…" is cut into capped pieces.
MAX_GROUP_DIGITS = 40
MAX_GROUPS = 13
SEPARATORS = " .,\u00a0\u202f\u2009"
_NUM = rf"[0-9]{{1,{MAX_GROUP_DIGITS}}}(?:[{SEPARATORS}][0-9]{{1,{MAX_GROUP_DIGITS}}}){{0,{MAX_GROUPS - 1}}}"
# Apostrophes inside Ukrainian words ("п'ять", "в'язні") and English possessives.
# Superscript and subscript digits are footnote marks, never part of a word ("Crimea¹").
_NOT_LETTER = r"\W\d_¹²³⁴⁵⁶⁷⁸⁹⁰₀₁₂₃₄₅₆₇₈₉"
_WORD = rf"[^{_NOT_LETTER}]+(?:['’ʼ`][^{_NOT_LETTER}]+)*"
TOKEN_RE = re.compile(rf"({_NUM})|({_WORD})|(\S)")
WORD_RE = re.compile(_WORD)  # a word token as TOKEN_RE reads it
LETTER_RE = re.compile(r"[^\W\d_]")

NUM, WORD, PUNCT = 1, 2, 3

DASHES = frozenset("-‐‑–—")
# Apostrophe and ё variants read as the plain forms (before lowercasing: "Ё" too).
FOLD = str.maketrans({"’": "'", "ʼ": "'", "`": "'", "ё": "е", "Ё": "Е"})


_NORMAL_CACHE: dict[str, str] = {}


def normalise(word: str) -> str:
    """Lowercase a token and fold the spelling variants the lexicons do not list twice
    (typographic apostrophes, "ё", the English possessive "'s")."""
    low = _NORMAL_CACHE.get(word)
    if low is None:
        low = word.translate(FOLD).lower()
        if low.endswith("'s") and len(low) > 3:
            low = low[:-2]
        if len(_NORMAL_CACHE) < 500_000:
            _NORMAL_CACHE[word] = low
    return low


@dataclass(slots=True)
class Tokens:
    """The tokens of one sentence as parallel lists (cheaper than one object per token)."""

    starts: list[int]
    ends: list[int]
    kinds: list[int]
    raws: list[str]
    lows: list[str]

    def __len__(self) -> int:
        return len(self.starts)

    def glued(self, i: int) -> bool:
        """True when token *i* touches the token before it (no space between them)."""
        return i > 0 and self.starts[i] == self.ends[i - 1]


def tokenize(text: str, start: int = 0, end: int | None = None) -> Tokens:
    """Split text[start:end] into number, word and punctuation tokens with absolute offsets."""
    starts: list[int] = []
    ends: list[int] = []
    kinds: list[int] = []
    raws: list[str] = []
    lows: list[str] = []
    end = len(text) if end is None else end
    cache = _NORMAL_CACHE
    add_start, add_end, add_kind = starts.append, ends.append, kinds.append
    add_raw, add_low = raws.append, lows.append
    for m in TOKEN_RE.finditer(text, start, end):
        raw = m.group()
        a, b = m.span()
        add_start(a)
        add_end(b)
        add_raw(raw)
        kind = m.lastindex or PUNCT
        add_kind(kind)
        if kind == WORD:
            low = cache.get(raw)
            add_low(low if low is not None else normalise(raw))
        else:
            add_low(raw)
    return Tokens(starts, ends, kinds, raws, lows)


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence's span in the text and the paragraph it belongs to."""

    start: int
    end: int
    paragraph: int


# Candidate boundaries: a blank line, a single newline, or terminal punctuation (with any
# closing quotes/brackets) followed by whitespace.
_BOUNDARY_RE = re.compile(r"\n[ \t\r\f\v]*\n\s*|\n|[.!?…]+[\"'»”’)\]]*[ \t\r\f\v\u00a0]+")
_TERMINAL = frozenset(".!?…:;")
MAX_SENTENCE = 1500
_LAST_WORD_RE = re.compile(r"([^\W\d_]+(?:[./][^\W\d_]+)*)\.?$")


def _heading_like(line: str) -> bool:
    line = line.strip()
    return 0 < len(line) < 100 and line[-1] not in ",-–—(" and not line[-1].islower()


def split_sentences(text: str, never_final: frozenset[str]) -> list[Sentence]:
    """Cut *text* into sentences and paragraphs in one pass.

    A paragraph ends at a blank line, or at a newline after terminal punctuation or after a
    heading-like line; other single newlines are soft wraps (PDF text). A full stop after a
    known abbreviation ("ст.", "No.", "ч.") or an initial ("В. Путін") does not end a
    sentence, nor does one followed by a lowercase letter. Sentences longer than
    MAX_SENTENCE characters are cut, so per-sentence work stays bounded.
    """
    out: list[Sentence] = []
    para = 0
    sent_start = 0
    line_start = 0
    n = len(text)

    def emit(a: int, b: int) -> None:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        while b - a > MAX_SENTENCE:
            cut = text.rfind(" ", a + MAX_SENTENCE - 200, a + MAX_SENTENCE)
            cut = cut if cut > a else a + MAX_SENTENCE
            out.append(Sentence(a, cut, para))
            a = cut
            while a < b and text[a].isspace():
                a += 1
        if b > a:
            out.append(Sentence(a, b, para))

    # A full stop only ends a sentence that has letters in it, so "1. 1. 1. …" or a
    # table of numbers stays one (capped) chunk instead of a million tiny sentences.
    letter_at = -1  # position of a letter in the current sentence, or -1
    scanned = 0
    for m in _BOUNDARY_RE.finditer(text):
        s, e = m.start(), m.end()
        ch = text[s]
        if ch == "\n":
            if "\n" in text[s + 1 : e]:  # blank line
                emit(sent_start, s)
                sent_start = scanned = e
                letter_at = -1
                line_start = e
                para += 1
                continue
            prev_line = text[line_start:s].rstrip()
            line_start = e
            if prev_line and (prev_line[-1] in _TERMINAL or _heading_like(prev_line)):
                emit(sent_start, s)
                sent_start = scanned = e
                letter_at = -1
                para += 1
            continue
        # terminal punctuation + spaces
        if e >= n:
            continue
        nxt = text[e]
        if nxt.islower() or nxt in ",;:)":
            continue
        if letter_at < 0:
            lm = LETTER_RE.search(text, max(scanned, sent_start), s)
            scanned = s
            if lm is None:
                continue
            letter_at = lm.start()
        if text[s] == ".":
            wm = _LAST_WORD_RE.search(text, max(sent_start, s - 12), s)
            if wm:
                word = wm.group(1)
                low = normalise(word)
                if low in never_final or (len(word) == 1 and word.isupper()):
                    continue
        emit(sent_start, m.end())
        sent_start = scanned = m.end()
        letter_at = -1
    emit(sent_start, n)
    return out
