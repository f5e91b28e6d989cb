"""Throughput of rightswatch.figures, against quantulum3 on the same English texts.

``run()`` returns a flat dict for bench-results.json:
* figures_chars_per_s      – extract_figures over the English blind gold items (~60 KB),
                             one call per item (title included)
* quantulum3_chars_per_s   – quantulum3.parser.parse over the very same paragraphs, same run
* figures_vs_quantulum3    – the ratio of the two (interleaved slices, best of 3 each)
* figures_document_chars_per_s – extract_figures on one ~200 KB en+uk+ru document
* figures_adversarial_1mb_s – seconds for 1 MB of hostile text (digit runs, "1,1,1,…",
  "1 1 1 …", nested parentheses, separators everywhere, no sentence ends)

quantulum3 is a dev-only dependency, imported inside run(). Run as a script for a table:
    python benchmarks/bench_figures.py
"""

from __future__ import annotations

import sys
import time
import tomllib
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "figures" / "blind"
CHUNKS, REPEATS = 10, 3


def _paragraphs(langs: tuple[str, ...], size: int) -> list[str]:
    """Blind gold texts of *langs*, repeated until they hold *size* characters."""
    paras = []
    for lang in langs:
        doc = tomllib.loads((GOLD / f"{lang}.toml").read_text(encoding="utf-8"))
        paras += [p["text"] for p in doc["item"]]
    out: list[str] = []
    total = 0
    while total < size:
        for p in paras:
            out.append(p)
            total += len(p)
    return out


def adversarial(size: int = 1_000_000) -> str:
    """1 MB of text built to make a careless extractor backtrack or loop."""
    part = size // 8
    pieces = [
        "1" * part,
        "1," * (part // 2),
        "1 " * (part // 2),
        "(" * (part // 2) + ")" * (part // 2),
        "(1 (2, (3. " * (part // 11),
        "1.1.1.1,1,1 1\u00a01\u202f1 " * (part // 24),
        "понад 1 000 тис. ст. 328 (19) 24.02.2022 at least 2,415 " * (part // 56),
        "1-2-3/4:5 +6 №7 " * (part // 16),
    ]
    text = "".join(pieces)
    return (text + "9" * size)[:size]


def _time(fn: Callable[[Any], object], arg: Any, repeat: int = 1) -> float:
    """Best CPU time of *repeat* runs: process time, so that whatever else the machine is
    doing (2 cores, a test suite next door) does not decide a ratio."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        fn(arg)
        best = min(best, time.process_time() - t0)
    return best


def run(size: int = 60_000, doc_size: int = 200_000) -> dict[str, float]:
    """Measure both extractors paragraph by paragraph on the same English texts (quantulum3
    slows down badly on long documents, so whole-document timing would flatter us), plus
    our own throughput on ~200 KB documents in all three languages."""
    sys.path.insert(0, str(ROOT))
    from rightswatch.figures import extract_figures

    english = _paragraphs(("en",), size)
    chars = sum(map(len, english))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from quantulum3 import parser as q3

        for p in english:
            extract_figures(p, "en")  # load the lexicons, warm the word caches
        q3.parse(english[0])  # load quantulum3's unit tables
        # The texts in CHUNKS slices, each timed for both extractors in turn, REPEATS times;
        # each slice keeps its best time.  A busy or throttled moment (this machine's speed
        # drifts by a third) then spoils one slice of one repeat, not a whole measurement.
        chunks = [english[k::CHUNKS] for k in range(CHUNKS)]
        ours = [float("inf")] * CHUNKS
        theirs = [float("inf")] * CHUNKS
        for _ in range(REPEATS):
            for k, chunk in enumerate(chunks):
                ours[k] = min(ours[k], _time(
                    lambda ps: [extract_figures(p, "en") for p in ps], chunk))
                theirs[k] = min(theirs[k], _time(lambda ps: [q3.parse(p) for p in ps], chunk))
        fig_s, q3_s = sum(ours), sum(theirs)
    document = "\n\n".join(_paragraphs(("en", "uk", "ru"), doc_size))
    doc_s = _time(extract_figures, document, repeat=3)
    adv_s = _time(extract_figures, adversarial())
    return {
        "figures_chars_per_s": round(chars / fig_s),
        "quantulum3_chars_per_s": round(chars / q3_s),
        "figures_vs_quantulum3": round(q3_s / fig_s, 1),
        "figures_document_chars_per_s": round(len(document) / doc_s),
        "figures_adversarial_1mb_s": round(adv_s, 3),
    }


def main() -> None:
    results = run()
    width = max(map(len, results))
    for name, value in results.items():
        print(f"{name:<{width}}  {value:>12,}")


if __name__ == "__main__":
    main()
