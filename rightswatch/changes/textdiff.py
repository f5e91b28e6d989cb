"""Word-level diffs of report texts, and the decision whether an edit is worth an alert.

A monitor wants "report.edited" when a source rewrites a sentence or corrects a number, not
when the view counter ticks or the CMS stamps "Updated: 5 Nov".  So:

- :func:`word_diff` diffs two clean texts word by word (punctuation is its own token) with a
  bounded cost: common prefix/suffix are trimmed, then lines are matched, then sentences
  inside changed lines, then words inside changed sentences.  Each level matches short
  sequences of mostly unique units, so ``difflib.SequenceMatcher(autojunk=False)`` stays
  cheap even on 200 KB texts; a changed block too large for an exact word match falls back
  to the ``autojunk`` heuristic.
- :func:`substantive_change` removes noise (rules in ``noise.toml``, kept as data so that an
  analyst can add a rule when a site produces spurious edits) and compares the remaining
  words, ignoring case, whitespace, punctuation and typography.
- :func:`summarise_diff` renders the changes as a short "−old +new" line for alerts.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

__all__ = [
    "DiffOp",
    "NoiseRule",
    "NoiseRules",
    "content_words",
    "load_noise_rules",
    "substantive_change",
    "summarise_diff",
    "tokenize",
    "word_diff",
]

DEFAULT_NOISE_PATH = Path(__file__).with_name("noise.toml")

# Numbers stay one token ("1 234", "1,234.5"), so a changed figure is one replaced token.
_TOKEN_RE = re.compile(
    r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?!\d)"
    r"|\d+(?:[.,]\d+)*"
    r"|\w+(?:['\u2019\u02bc]\w+)*"
    r"|[^\w\s]"
)
_TYPO = str.maketrans(
    {
        **{c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"},
        **{c: '"' for c in "\u00ab\u00bb\u201c\u201d\u201e\u201f\u2033"},
        **{c: "'" for c in "\u2018\u2019\u201a\u201b\u02bc\u0060\u00b4"},
        **{c: " " for c in "\u00a0\u202f\u2007\u2009\u200a\u2002\u2003"},
        "\u2026": "...",
        "\u200b": None,
        "\u00ad": None,
    }
)
_SENTENCE_END = frozenset({".", "!", "?", ";", "...", ":"})
_PLACEHOLDER_RE = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")
_WS_RE = re.compile(r"\s+")
_WORD_RE = re.compile(r"\w")

# Word-level matching cost guard: above this many token pairs in one changed block, the
# exact (autojunk=False) matcher could go quadratic on repeated words; use the heuristic.
_EXACT_LIMIT = 4_000_000


def _typography(text: str) -> str:
    """One spelling for quotes, dashes, apostrophes and spaces: CMSs re-render them freely."""
    return text.translate(_TYPO)


@dataclass(frozen=True, slots=True)
class DiffOp:
    """One run of a word diff: 'equal' | 'insert' | 'delete' | 'replace' and both sides' text.

    The texts are slices of the original strings (whitespace inside a run kept as written),
    empty on the side that has nothing (``old_text`` of an insert).
    """

    op: str
    old_text: str
    new_text: str

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {"op": self.op, "old_text": self.old_text, "new_text": self.new_text}


@dataclass(frozen=True, slots=True)
class _Tokens:
    keys: list[str]
    starts: list[int]
    ends: list[int]
    line_start: list[bool]


def tokenize(text: str) -> list[str]:
    """The diff tokens of ``text``: words, numbers and single punctuation marks."""
    return _tokenize(text).keys


def _tokenize(text: str) -> _Tokens:
    norm = _typography(text)
    keys: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    line_start: list[bool] = []
    prev_end = 0
    for m in _TOKEN_RE.finditer(norm):
        s, e = m.span()
        keys.append(m.group())
        starts.append(s)
        ends.append(e)
        line_start.append(len(keys) == 1 or "\n" in norm[prev_end:s])
        prev_end = e
    # _TYPO keeps offsets except for the few characters it deletes or expands; map back
    # only when needed.
    if len(norm) != len(text):
        starts, ends = _remap_offsets(text, starts, ends)
    return _Tokens(keys, starts, ends, line_start)


def _remap_offsets(text: str, starts: list[int], ends: list[int]) -> tuple[list[int], list[int]]:
    """Offsets in the typography-normalised text → offsets in the original text."""
    mapping: list[int] = []
    for i, ch in enumerate(text):
        mapping.extend([i] * len(ch.translate(_TYPO)))
    mapping.append(len(text))

    def back(pos: int, end: bool) -> int:
        if end:
            return mapping[pos - 1] + 1 if pos > 0 else 0
        return mapping[pos]

    return [back(s, False) for s in starts], [back(e, True) for e in ends]


# ----------------------------------------------------------------------------------------
# Hierarchical diff

_Op = tuple[str, int, int, int, int]
_LINES, _SENTENCES, _WORDS = 0, 1, 2


def _units(t: _Tokens, lo: int, hi: int, level: int) -> list[tuple[int, int]]:
    """Split tokens lo..hi into lines (level 0) or sentences (level 1)."""
    out: list[tuple[int, int]] = []
    start = lo
    keys, ls = t.keys, t.line_start
    for i in range(lo, hi):
        if i > start and ls[i]:
            out.append((start, i))
            start = i
        elif level == _SENTENCES and keys[i] in _SENTENCE_END and i + 1 > start:
            out.append((start, i + 1))
            start = i + 1
    if start < hi:
        out.append((start, hi))
    return out


def _words(a: _Tokens, b: _Tokens, alo: int, ahi: int, blo: int, bhi: int) -> list[_Op]:
    sa, sb = a.keys[alo:ahi], b.keys[blo:bhi]
    exact = len(sa) * len(sb) <= _EXACT_LIMIT
    sm = SequenceMatcher(None, sa, sb, autojunk=not exact)
    return [(tag, alo + i1, alo + i2, blo + j1, blo + j2)
            for tag, i1, i2, j1, j2 in sm.get_opcodes()]


def _diff_range(a: _Tokens, b: _Tokens, alo: int, ahi: int, blo: int, bhi: int,
                level: int) -> list[_Op]:
    if alo == ahi and blo == bhi:
        return []
    if alo == ahi:
        return [("insert", alo, alo, blo, bhi)]
    if blo == bhi:
        return [("delete", alo, ahi, blo, blo)]
    if level >= _WORDS:
        return _words(a, b, alo, ahi, blo, bhi)
    ua, ub = _units(a, alo, ahi, level), _units(b, blo, bhi, level)
    if len(ua) == 1 and len(ub) == 1:
        return _diff_range(a, b, alo, ahi, blo, bhi, level + 1)
    ka = ["\x00".join(a.keys[s:e]) for s, e in ua]
    kb = ["\x00".join(b.keys[s:e]) for s, e in ub]
    out: list[_Op] = []
    sm = SequenceMatcher(None, ka, kb, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        a1 = ua[i1][0] if i1 < len(ua) else ahi
        a2 = ua[i2 - 1][1] if i2 > i1 else a1
        b1 = ub[j1][0] if j1 < len(ub) else bhi
        b2 = ub[j2 - 1][1] if j2 > j1 else b1
        if tag == "equal":
            out.append(("equal", a1, a2, b1, b2))
        elif tag == "replace" and level == _SENTENCES and i2 - i1 == j2 - j1 and i2 - i1 > 1:
            # The same number of sentences, all changed (e.g. a number re-formatted in each):
            # pair them up rather than word-matching one huge block.
            for k in range(i2 - i1):
                (s1, e1), (s2, e2) = ua[i1 + k], ub[j1 + k]
                out.extend(_diff_range(a, b, s1, e1, s2, e2, _WORDS))
        else:
            out.extend(_diff_range(a, b, a1, a2, b1, b2, level + 1))
    return out


def _merge(ops: Iterable[_Op]) -> list[_Op]:
    """Join neighbours: equal+equal → equal; any run of changes → one insert/delete/replace."""
    out: list[list[Any]] = []
    for tag, i1, i2, j1, j2 in ops:
        if i1 == i2 and j1 == j2:
            continue
        changed = tag != "equal"
        if out and (out[-1][0] != "equal") == changed:
            out[-1][2], out[-1][4] = i2, j2
        else:
            out.append([tag, i1, i2, j1, j2])
    merged: list[_Op] = []
    for tag, i1, i2, j1, j2 in out:
        if tag != "equal":
            tag = "replace" if i2 > i1 and j2 > j1 else ("insert" if j2 > j1 else "delete")
        merged.append((tag, i1, i2, j1, j2))
    return merged


def _cut(t: _Tokens, i: int) -> bool:
    """Whether a diff may cut the token list before token ``i`` (a line start or an end)."""
    return i == 0 or i >= len(t.keys) or t.line_start[i]


def _diff_tokens(a: _Tokens, b: _Tokens) -> list[_Op]:
    n, m = len(a.keys), len(b.keys)
    p = 0
    while p < n and p < m and a.keys[p] == b.keys[p]:
        p += 1
    s = 0
    while s < n - p and s < m - p and a.keys[n - 1 - s] == b.keys[m - 1 - s]:
        s += 1
    # Snap the trimmed ends to line starts, so that a changed line is diffed whole (else a
    # shared final "." glues to the wrong line: "+.\nA new line" instead of "+A new line.").
    while p > 0 and not (_cut(a, p) and _cut(b, p)):
        p -= 1
    while s > 0 and not (_cut(a, n - s) and _cut(b, m - s)):
        s -= 1
    ops: list[_Op] = [("equal", 0, p, 0, p)]
    ops += _diff_range(a, b, p, n - s, p, m - s, _LINES)
    ops.append(("equal", n - s, n, m - s, m))
    return _merge(ops)


def word_diff(old: str, new: str) -> list[DiffOp]:
    """Word-level diff of two texts (tokens: words, numbers, punctuation marks).

    Whitespace and typography (quote style, dash kind, no-break spaces) are not changes.
    Cost is bounded for texts of a few hundred KB (see the module doc).
    """
    a, b = _tokenize(old), _tokenize(new)

    def span(t: _Tokens, text: str, i: int, j: int) -> str:
        return text[t.starts[i]:t.ends[j - 1]] if j > i else ""

    return [DiffOp(tag, span(a, old, i1, i2), span(b, new, j1, j2))
            for tag, i1, i2, j1, j2 in _diff_tokens(a, b)]


# ----------------------------------------------------------------------------------------
# Noise


@dataclass(frozen=True, slots=True)
class NoiseRule:
    """One rule of noise.toml: matches are removed before texts are compared."""

    name: str
    lang: str
    regex: re.Pattern[str]
    comment: str = ""


@dataclass(frozen=True)
class NoiseRules:
    """The rule list, applied in file order."""

    rules: tuple[NoiseRule, ...]

    def apply(self, text: str, lang: str | None = None) -> str:
        """``text`` with typography unified and every noise match removed.

        ``lang`` restricts the rules to those for that language and "all"; None applies
        every rule (the default: sites mix languages in their page chrome).
        """
        out = _typography(text)
        for rule in self.rules:
            if lang is None or rule.lang == "all" or lang in rule.lang.split(","):
                out = rule.regex.sub(" ", out)
        return out

    def explain(self, text: str) -> list[tuple[str, str]]:
        """(rule name, matched text) for every noise match: to debug a rule."""
        norm = _typography(text)
        return [(r.name, m.group()) for r in self.rules for m in r.regex.finditer(norm)]


def _expand_macros(pattern: str, macros: dict[str, str], depth: int = 0) -> str:
    if depth > 5:
        raise ValueError(f"noise macros nest too deep in {pattern!r}")

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in macros:
            raise ValueError(f"unknown noise macro {{{name}}}")
        return "(?:" + _expand_macros(macros[name], macros, depth + 1) + ")"

    return _PLACEHOLDER_RE.sub(sub, pattern)


@functools.cache
def load_noise_rules(path: str | Path | None = None) -> NoiseRules:
    """Compile noise.toml (the packaged one by default); cached per path."""
    with open(path or DEFAULT_NOISE_PATH, "rb") as fh:
        doc = tomllib.load(fh)
    macros = {str(k): str(v) for k, v in doc.get("macros", {}).items()}
    rules = []
    for raw in doc.get("rule", []):
        try:
            rx = re.compile(_expand_macros(raw["pattern"], macros), re.IGNORECASE | re.MULTILINE)
        except re.error as exc:
            raise ValueError(f"noise rule {raw.get('name')!r}: {exc}") from exc
        rules.append(NoiseRule(raw["name"], raw.get("lang", "all"), rx, raw.get("comment", "")))
    return NoiseRules(tuple(rules))


def content_words(text: str) -> list[str]:
    """Case-folded word and number tokens: what a substantive edit must change."""
    return [k.casefold() for k in _TOKEN_RE.findall(_typography(text)) if _WORD_RE.match(k)]


def substantive_change(old: str, new: str, rules: NoiseRules | None = None) -> bool:
    """True when ``new`` says something ``old`` did not, once noise is removed.

    Only words and numbers count: punctuation, case, whitespace and typography changes are
    re-renders, not edits a researcher needs to hear about.
    """
    if old == new:
        return False
    rules = rules if rules is not None else load_noise_rules()
    return content_words(rules.apply(old)) != content_words(rules.apply(new))


# ----------------------------------------------------------------------------------------
# Summary


def _squash(text: str, limit: int) -> str:
    text = _WS_RE.sub(" ", text).strip()
    return text if len(text) <= limit else text[: max(limit - 1, 0)].rstrip() + "…"


def _context(text: str, words: int = 5) -> str:
    parts = _WS_RE.sub(" ", text).strip().split(" ")
    if not parts or parts == [""]:
        return ""
    tail = " ".join(parts[-words:])
    return ("…" if len(parts) > words else "") + tail


def summarise_diff(ops: Sequence[DiffOp], max_chars: int = 600) -> str:
    """A short rendering of the changes: "…cases in Crimea: −574 +583 …".

    Each change is preceded by up to five words of context; pieces that do not fit in
    ``max_chars`` are counted in a final "(+N more changes)".
    """
    pieces: list[str] = []
    side = max(max_chars // 3, 20)
    for k, op in enumerate(ops):
        if op.op == "equal":
            continue
        prev = ops[k - 1].new_text if k > 0 and ops[k - 1].op == "equal" else ""
        ctx = _context(prev)
        change = []
        if op.old_text:
            change.append("−" + _squash(op.old_text, side))
        if op.new_text:
            change.append("+" + _squash(op.new_text, side))
        pieces.append((ctx + " " if ctx else "") + " ".join(change))
    out = ""
    for n, piece in enumerate(pieces):
        after = len(pieces) - n - 1
        reserve = len(f" … (+{after} more changes)") if after else 0
        candidate = f"{out} … {piece}" if out else piece
        if len(candidate) + reserve <= max_chars:
            out = candidate
            continue
        if not out:
            suffix = f" … (+{after} more changes)" if after else ""
            return _squash(piece, max_chars - len(suffix)) + suffix
        return f"{out} … (+{len(pieces) - n} more changes)"
    return out
