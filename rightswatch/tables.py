"""Plain aligned text tables for terminal output (too small a need for a dependency)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def crawl_summary(crawls: Sequence[dict[str, Any]]) -> str:
    """One line per crawl record: what it found and what went wrong."""
    rows = [[c["source_id"], c["status"], c["pages_new"], c["pages_changed"],
             c["pages_unchanged"], c["pages_removed"], c["pages_failed"], c["articles_found"],
             c["requests"], (c["error"] or "")[:70]] for c in crawls]
    return table(rows, ["source", "status", "new", "changed", "unchanged", "removed", "failed",
                        "found", "requests", "error"])
