"""Scoring the extractor against a gold file: span-overlap matching, per-field accuracy.

Kept apart from the test so it can be run by hand:
    python -m tests.figures.scoring tests/figures/gold/en.toml --verbose
"""

from __future__ import annotations

import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from rightswatch.figures import Figure, extract_figures

GOLD_DIR = Path(__file__).parent / "gold"
NONE = "none"


def load_gold(path: Path) -> list[dict]:
    return tomllib.loads(path.read_text(encoding="utf-8"))["paragraph"]


def find_span(text: str, needle: str, occurrence: int = 0) -> tuple[int, int]:
    """The *occurrence*-th place of *needle* in *text* that is not inside a longer number."""
    hits = all_spans(text, needle)
    if len(hits) <= occurrence:
        raise ValueError(f"gold span {needle!r} (#{occurrence}) not in paragraph: {text[:60]!r}")
    return hits[occurrence]


def all_spans(text: str, needle: str) -> list[tuple[int, int]]:
    out = []
    for m in re.finditer(re.escape(needle), text):
        a, b = m.span()
        if a > 0 and needle[0].isdigit():
            if text[a - 1].isdigit():
                continue
            if text[a - 1] in ",." and a > 1 and text[a - 2].isdigit():
                continue
        if b < len(text) and needle[-1].isdigit() and text[b].isdigit():
            continue
        if b + 1 < len(text) and needle[-1].isdigit() and text[b] in ",." and text[b + 1].isdigit():
            continue
        out.append((a, b))
    return out


@dataclass
class Scores:
    lang: str
    paragraphs: int = 0
    gold: int = 0
    predicted: int = 0
    tp: int = 0  # predictions matched to a gold figure (each gold figure at most once)
    fp: int = 0
    value_ok: int = 0
    qual_ok: int = 0
    metric_ok: int = 0
    region_ok: int = 0
    source_n: int = 0
    source_ok: int = 0
    period_n: int = 0
    period_ok: int = 0
    nonfig: int = 0
    nonfig_ok: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / self.gold if self.gold else 1.0

    def acc(self, ok: int, n: int | None = None) -> float:
        n = self.tp if n is None else n
        return ok / n if n else 1.0

    def row(self) -> dict[str, float]:
        return {
            "P": self.precision,
            "R": self.recall,
            "value": self.acc(self.value_ok),
            "qualifier": self.acc(self.qual_ok),
            "metric": self.acc(self.metric_ok),
            "region": self.acc(self.region_ok),
            "source": self.acc(self.source_ok, self.source_n),
            "period": self.acc(self.period_ok, self.period_n),
            "nonfig": self.acc(self.nonfig_ok, self.nonfig),
        }


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _same_value(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(b))


def score(path: Path, lang: str | None = None) -> Scores:
    paragraphs = load_gold(path)
    s = Scores(lang or path.stem)
    for para in paragraphs:
        text = para["text"]
        s.paragraphs += 1
        preds: list[Figure] = extract_figures(text, lang)
        gold = []
        for g in para.get("figures", []):
            gold.append((find_span(text, g["text"], g.get("occurrence", 0)), g))
        optional = [sp for o in para.get("optional", []) for sp in all_spans(text, o)]
        nonfig = [(n, all_spans(text, n)) for n in para.get("nonfigures", [])]
        s.gold += len(gold)
        s.predicted += len(preds)
        used: set[int] = set()
        for f in preds:
            span = (f.start, f.end)
            hit = next(
                (k for k, (gs, _) in enumerate(gold) if k not in used and _overlap(span, gs)), None
            )
            if hit is None:
                if any(_overlap(span, o) for o in optional):
                    continue
                s.fp += 1
                s.errors.append(f"{para['id']}: FP {f.text!r} ({f.value}, {f.metric})")
                continue
            used.add(hit)
            s.tp += 1
            g = gold[hit][1]
            _check(s, para["id"], f, g)
        for k, (_gs, g) in enumerate(gold):
            if k not in used:
                s.errors.append(f"{para['id']}: FN {g['text']!r}")
        for needle, spans in nonfig:
            if not spans:
                raise ValueError(f"{para['id']}: non-figure {needle!r} not in text")
            s.nonfig += 1
            if any(_overlap((f.start, f.end), sp) for f in preds for sp in spans):
                s.errors.append(f"{para['id']}: non-figure reported {needle!r}")
            else:
                s.nonfig_ok += 1
    return s


def _check(s: Scores, pid: str, f: Figure, g: dict) -> None:
    def want(key: str) -> str | None:
        v = g.get(key)
        return None if v == NONE else v

    if _same_value(f.value, g["value"]):
        s.value_ok += 1
    else:
        s.errors.append(f"{pid}: value {f.text!r} {f.value} != {g['value']}")
    if f.qualifier == g["qualifier"]:
        s.qual_ok += 1
    else:
        s.errors.append(f"{pid}: qualifier {f.text!r} {f.qualifier} != {g['qualifier']}")
    if f.metric == want("metric"):
        s.metric_ok += 1
    else:
        s.errors.append(f"{pid}: metric {f.text!r} {f.metric} != {want('metric')}")
    if f.region == want("region"):
        s.region_ok += 1
    else:
        s.errors.append(f"{pid}: region {f.text!r} {f.region} != {want('region')}")
    if "source" in g:
        s.source_n += 1
        if f.source == want("source"):
            s.source_ok += 1
        else:
            s.errors.append(f"{pid}: source {f.text!r} {f.source!r} != {want('source')!r}")
    if "period" in g:
        s.period_n += 1
        if f.period == want("period"):
            s.period_ok += 1
        else:
            s.errors.append(f"{pid}: period {f.text!r} {f.period!r} != {want('period')!r}")


def table(rows: list[Scores]) -> str:
    cols = ["P", "R", "value", "qualifier", "metric", "region", "source", "period", "nonfig"]
    head = f"{'set':<12}{'paras':>6}{'gold':>6}{'pred':>6}" + "".join(f"{c:>10}" for c in cols)
    lines = [head]
    for s in rows:
        r = s.row()
        lines.append(
            f"{s.lang:<12}{s.paragraphs:>6}{s.gold:>6}{s.predicted:>6}"
            + "".join(f"{r[c]:>10.3f}" for c in cols)
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    verbose = "--verbose" in argv
    paths = [Path(a) for a in argv if not a.startswith("--")] or sorted(GOLD_DIR.glob("*.toml"))
    rows = []
    for p in paths:
        lang = p.stem.split("_")[-1]
        s = score(p, lang)
        s.lang = p.stem
        rows.append(s)
        if verbose:
            print("\n".join(s.errors))
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
