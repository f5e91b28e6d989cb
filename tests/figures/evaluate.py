"""Scoring the figure extractor on the blind gold set (tests/figures/blind, ANNOTATION.md).

    python -m tests.figures.evaluate                 # table for both halves
    python -m tests.figures.evaluate --errors tune   # every miss of the tune half

Matching is by span overlap, each gold figure matched at most once.  Every field accuracy
is over *all gold figures*: a missed figure counts as wrong for every field (so a field
score can never beat recall).  ``metric`` is scored on figures whose metric no analyst
would dispute; ``metric_what`` on all of them, judging `what` where no metric fits.
The ``test`` half is printed as numbers only: its errors are not shown unless asked for
with ``--errors test`` (which ends its blindness; see ANNOTATION.md).
"""

from __future__ import annotations

import argparse
import inspect
import sys
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rightswatch.changes.periods import normalize_period
from rightswatch.figures import extract_figures

from .blind.validate import spans  # one reading of a gold span for the writers and the scorer

BLIND_DIR = Path(__file__).parent / "blind"
# The extractor before this set existed took no title: it is scored on the text alone.
_TAKES_TITLE = "title" in inspect.signature(extract_figures).parameters
LANGS = ("en", "uk", "ru")
NONE = "none"
FIELDS = ("value", "unit", "qualifier", "metric", "metric_what", "region", "period", "source",
          "population", "part")


def load_items(lang: str, directory: Path = BLIND_DIR) -> list[dict[str, Any]]:
    doc = tomllib.loads((directory / f"{lang}.toml").read_text(encoding="utf-8"))
    return list(doc.get("item", []))


def split_of(items: list[dict[str, Any]]) -> dict[str, str]:
    """item id → "tune" or "test": alternating within each style, in id order, so both
    halves hold every style.  Fixed by the ids alone: the split cannot be tuned."""
    by_style: dict[str, list[str]] = defaultdict(list)
    for item in items:
        by_style[item.get("style", "other")].append(item["id"])
    out = {}
    for ids in by_style.values():
        for k, pid in enumerate(sorted(ids)):
            out[pid] = "tune" if k % 2 == 0 else "test"
    return out


@dataclass
class Score:
    name: str
    items: int = 0
    gold: int = 0
    predicted: int = 0
    tp: int = 0
    fp: int = 0
    undisputed: int = 0
    ok: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    nonfig: int = 0
    nonfig_ok: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / self.gold if self.gold else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def row(self) -> dict[str, float]:
        out = {"P": self.precision, "R": self.recall, "F1": self.f1}
        for f in FIELDS:
            n = self.undisputed if f == "metric" else self.gold
            out[f] = self.ok[f] / n if n else 1.0
        out["nonfig"] = self.nonfig_ok / self.nonfig if self.nonfig else 1.0
        return out

    def add(self, other: Score) -> None:
        for attr in ("items", "gold", "predicted", "tp", "fp", "undisputed", "nonfig",
                     "nonfig_ok"):
            setattr(self, attr, getattr(self, attr) + getattr(other, attr))
        for k, v in other.ok.items():
            self.ok[k] += v
        self.errors += other.errors


def _none(v: Any) -> Any:
    return None if v in (NONE, None, "") else v


def _singular(word: str) -> str:
    w = word.lower().strip(".,'’ ")
    for suffix, repl in (("ies", "y"), ("ses", "s"), ("xes", "x"), ("ches", "ch"),
                         ("shes", "sh"), ("s", "")):
        if w.endswith(suffix) and len(w) > len(suffix) + 2 and not w.endswith("ss"):
            return w[: -len(suffix)] + repl
    return {"people": "person", "children": "child", "men": "man", "women": "woman"}.get(w, w)


def what_matches(pred: str | None, gold: str, alts: list[str]) -> bool:
    """The same counted thing: equal keys, or the same head noun (last word, singular)."""
    if not pred:
        return False
    for want in (gold, *alts):
        a, b = pred.lower().split(), want.lower().split()
        if a == b or (a and b and _singular(a[-1]) == _singular(b[-1])):
            return True
    return False


def _period_key(text: str | None, published: str | None) -> str | None:
    if not text:
        return None
    try:
        return normalize_period(text, published)
    except Exception:
        return text.strip().lower()


def period_matches(pred: str | None, gold: str | None) -> bool:
    if gold is None or pred is None:
        return gold is None and pred is None
    if pred.strip().lower() == gold.strip().lower():
        return True
    kp, kg = _period_key(pred, None), _period_key(gold, None)
    return kp is not None and kp == kg and not kp.startswith("none")


def source_matches(pred: str | None, gold: str | None) -> bool:
    if gold is None or pred is None:
        return gold is None and pred is None
    a, b = pred.lower().strip(), gold.lower().strip()
    return a == b or (len(a) > 3 and (a in b or b in a))


def score_item(item: dict[str, Any], lang: str, s: Score) -> None:
    text = item["text"]
    s.items += 1
    if item.get("title") and _TAKES_TITLE:
        preds = extract_figures(text, lang, title=item["title"])
    else:
        preds = extract_figures(text, lang)
    gold = [(spans(text, g["text"])[g.get("occurrence", 0)], g) for g in item.get("figures", [])]
    optional = [sp for o in item.get("optional", []) for sp in spans(text, o)]
    s.gold += len(gold)
    s.predicted += len(preds)
    s.undisputed += sum(1 for _, g in gold if not g.get("disputed"))
    used: set[int] = set()
    pid = item["id"]
    for f in preds:
        span = (f.start, f.end)
        hit = next((k for k, (gs, _) in enumerate(gold)
                    if k not in used and gs[0] < span[1] and span[0] < gs[1]), None)
        if hit is None:
            if any(o[0] < span[1] and span[0] < o[1] for o in optional):
                continue
            s.fp += 1
            s.errors.append(f"{pid}: FP {f.text!r} ({f.value}, {f.metric})")
            continue
        used.add(hit)
        s.tp += 1
        _check(s, pid, f, gold[hit][1])
    for k, (_gs, g) in enumerate(gold):
        if k not in used:
            s.errors.append(f"{pid}: FN {g['text']!r} ({g['metric']}/{g['what']})")
    for needle in item.get("nonfigures", []):
        where = spans(text, needle)
        s.nonfig += 1
        if any(f.start < b and a < f.end for f in preds for a, b in where):
            s.errors.append(f"{pid}: non-figure reported {needle!r}")
        else:
            s.nonfig_ok += 1


def _check(s: Score, pid: str, f: Any, g: dict[str, Any]) -> None:
    got = {
        "value": abs(float(f.value) - float(g["value"])) <= 1e-6 * max(1.0, abs(g["value"])),
        "unit": getattr(f, "unit", "count") == g["unit"],
        "qualifier": f.qualifier == g["qualifier"],
        "region": f.region == _none(g["region"]),
        "period": period_matches(f.period, _none(g["period"])),
        "source": source_matches(f.source, _none(g["source"])),
        "population": getattr(f, "population", None) == _none(g["population"]),
        "part": bool(getattr(f, "part", False)) == bool(g.get("part", False)),
    }
    want_metric = _none(g["metric"])
    got["metric_what"] = (f.metric == want_metric if want_metric else
                          f.metric is None and what_matches(getattr(f, "what", None), g["what"],
                                                            g.get("what_alt", [])))
    if not g.get("disputed"):
        got["metric"] = f.metric == want_metric
    for key, ok in got.items():
        if ok:
            s.ok[key] += 1
        else:
            want = {"metric_what": f"{g['metric']}/{g['what']}", "metric": g["metric"]}.get(
                key, g.get(key))
            have = {"metric_what": f"{f.metric}/{getattr(f, 'what', None)}"}.get(
                key, getattr(f, key, None))
            s.errors.append(f"{pid}: {key} {f.text!r}: {have!r} != {want!r}")


def evaluate(langs: tuple[str, ...] = LANGS, directory: Path = BLIND_DIR
             ) -> dict[tuple[str, str], Score]:
    """(lang, half) → Score, half being "tune", "test" or "all"."""
    out: dict[tuple[str, str], Score] = {}
    for lang in langs:
        items = load_items(lang, directory)
        split = split_of(items)
        halves = {h: Score(f"{lang} {h}") for h in ("tune", "test")}
        for item in items:
            score_item(item, lang, halves[split[item["id"]]])
        total = Score(f"{lang} all")
        for h in ("tune", "test"):
            total.add(halves[h])
            out[(lang, h)] = halves[h]
        out[(lang, "all")] = total
    return out


COLUMNS = ("P", "R", "F1", *FIELDS, "nonfig")


def table(scores: list[Score]) -> str:
    head = f"{'set':<10}{'items':>6}{'gold':>6}{'pred':>6}" + "".join(
        f"{c[:8]:>9}" for c in COLUMNS)
    lines = [head]
    for s in scores:
        r = s.row()
        lines.append(f"{s.name:<10}{s.items:>6}{s.gold:>6}{s.predicted:>6}"
                     + "".join(f"{r[c]:>9.3f}" for c in COLUMNS))
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lang", action="append", choices=LANGS)
    ap.add_argument("--errors", choices=("tune", "test", "all"),
                    help="print every error of that half (test: ends its blindness)")
    ap.add_argument("--all", action="store_true",
                    help="also score the test half and the whole set (numbers only)")
    ap.add_argument("--dir", type=Path, default=BLIND_DIR)
    args = ap.parse_args(argv)
    langs = tuple(args.lang or LANGS)
    scores = evaluate(langs, args.dir)
    if args.errors:
        for lang in langs:
            print("\n".join(scores[(lang, args.errors)].errors))
    halves = ("tune", "test", "all") if args.all or args.errors in ("test", "all") else ("tune",)
    print(table([scores[(lang, h)] for lang in langs for h in halves]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
