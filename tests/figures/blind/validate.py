"""Checks the form of a blind gold file (ANNOTATION.md) without running the extractor.

    python tests/figures/blind/validate.py tests/figures/blind/en.toml

Prints every problem and a one-line summary; exits 1 when there is a problem. It needs
nothing but the standard library, so the people writing the set never import rightswatch.
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

STYLES = {"press_release", "monitoring_report", "news", "pdf_table", "court", "other"}
UNITS = {"count", "percent", "RUB", "UAH", "USD", "EUR"}
QUALIFIERS = {"exact", "at_least", "more_than", "approx", "up_to", "less_than"}
METRICS = {"conscripted", "conscription_quota", "summonses", "criminal_cases",
           "administrative_cases", "convictions", "searches", "deaths", "captured", "detained",
           "political_prisoners", "deported", "returned", "injured", "none"}
REGIONS = {"crimea", "sevastopol", "donetsk", "luhansk", "zaporizhzhia", "kherson",
           "occupied_territories", "russia", "ukraine", "none"}
POPULATIONS = {"children", "civilians", "units", "residents", "none"}
ITEM_KEYS = {"id", "style", "title", "text", "nonfigures", "optional", "figures"}
FIGURE_KEYS = {"text", "occurrence", "value", "unit", "qualifier", "metric", "what", "what_alt",
               "region", "period", "source", "population", "part", "disputed"}
REQUIRED = FIGURE_KEYS - {"occurrence", "what_alt"}


def spans(text: str, needle: str) -> list[tuple[int, int]]:
    """Where *needle* occurs in *text*, not inside a longer number ("74" is not in "574")."""
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


def check_item(item: dict[str, Any], lang: str) -> list[str]:
    pid = item.get("id", "?")
    bad = [f"{pid}: unknown key {k!r}" for k in item if k not in ITEM_KEYS]
    if not re.fullmatch(rf"{lang}-\d{{3}}", str(pid)):
        bad.append(f"{pid}: id must look like {lang}-001")
    if item.get("style") not in STYLES:
        bad.append(f"{pid}: style {item.get('style')!r} not in {sorted(STYLES)}")
    text = item.get("text")
    if not isinstance(text, str) or not text.strip():
        return [*bad, f"{pid}: no text"]
    title = item.get("title", "")
    for key in ("nonfigures", "optional"):
        for needle in item.get(key, []):
            if not spans(text, needle):
                bad.append(f"{pid}: {key} {needle!r} not in text")
    for k, fig in enumerate(item.get("figures", [])):
        where = f"{pid} figure {k} ({fig.get('text')!r})"
        bad += [f"{where}: unknown key {key!r}" for key in fig if key not in FIGURE_KEYS]
        bad += [f"{where}: missing {key!r}" for key in sorted(REQUIRED) if key not in fig]
        hits = spans(text, str(fig.get("text", "")))
        if len(hits) <= fig.get("occurrence", 0):
            bad.append(f"{where}: span not in text (occurrence {fig.get('occurrence', 0)})")
        elif len(hits) > 1 and "occurrence" not in fig:
            bad.append(f"{where}: span occurs {len(hits)} times: give occurrence")
        if not re.search(r"\d", str(fig.get("text", ""))) and not fig.get("text", "").strip():
            bad.append(f"{where}: empty span")
        if not isinstance(fig.get("value"), int | float) or isinstance(fig.get("value"), bool):
            bad.append(f"{where}: value must be a number")
        for key, allowed in (("unit", UNITS), ("qualifier", QUALIFIERS), ("metric", METRICS),
                             ("region", REGIONS), ("population", POPULATIONS)):
            if key in fig and fig[key] not in allowed:
                bad.append(f"{where}: {key} {fig[key]!r} not in {sorted(allowed)}")
        what = fig.get("what")
        if not isinstance(what, str) or not what.strip() or what != what.strip():
            bad.append(f"{where}: what must be a non-empty English key")
        elif re.search(r"\d", what) or re.search(r"[\u0400-\u04FF]", what):
            bad.append(f"{where}: what {what!r} must be English words, no numbers")
        for key in ("part", "disputed"):
            if key in fig and not isinstance(fig[key], bool):
                bad.append(f"{where}: {key} must be true or false")
        period = fig.get("period")
        if isinstance(period, str) and period != "none" and (
                period.lower() not in text.lower() and period.lower() not in title.lower()):
            bad.append(f"{where}: period {period!r} not written in text or title")
        if not isinstance(fig.get("source"), str) or not fig["source"].strip():
            bad.append(f"{where}: source must be a name or 'none'")
    return bad


def main(argv: list[str]) -> int:
    problems = 0
    for name in argv:
        path = Path(name)
        lang = path.stem
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            print(f"{path}: {exc}")
            problems += 1
            continue
        items = doc.get("item", [])
        bad = [p for item in items for p in check_item(item, lang)]
        ids = Counter(i.get("id") for i in items)
        bad += [f"{i}: id used {n} times" for i, n in ids.items() if n > 1]
        figs = [f for i in items for f in i.get("figures", [])]
        empty = sum(1 for i in items if not i.get("figures"))
        styles = Counter(i.get("style") for i in items)
        for line in bad:
            print(line)
        problems += len(bad)
        print(f"{path}: {len(items)} items ({empty} without figures, "
              f"{sum(1 for i in items if i.get('title'))} with a title), {len(figs)} figures, "
              f"{sum(len(i.get('nonfigures', [])) for i in items)} non-figures; "
              f"styles {dict(styles)}; {len(bad)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
