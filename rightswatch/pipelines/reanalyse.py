"""`rightswatch figures reanalyse`: the figures of every stored report, found again.

An upgrade of the extractor or a lexicon change (a user's new [[metric]]) should reach the
reports already stored, or series would mix figures read two ways.  This runs the figures
and diff stages' pure parts over the stored texts, oldest report first (so continuation
resolves as a crawl in publication order would), and replaces each snapshot's figures in
its own transaction.  It creates no events: what was news then was sent then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..config import Config
from ..db.series import order_key, resolve_snapshot
from ..db.store import Store
from .diff import claim_figures
from .figures import find_figures


@dataclass(frozen=True)
class Reanalysed:
    reports: int
    figures: int
    before: int
    series: int


def reanalyse(store: Store, config: Config, *, source_id: str | None = None,
              progress: Callable[[int, int], object] | None = None) -> Reanalysed:
    """Re-extract every stored report version (of *source_id*, if given); see module doc."""
    known = {s.id: s for s in config.sources}
    where, params = "s.text IS NOT NULL AND s.text != '' AND p.kind = 'report'", []
    if source_id:
        where += " AND s.source_id = ?"
        params.append(source_id)
    snapshots = store.query(
        f"""SELECT s.id, s.id AS snapshot_id, s.url, s.source_id, s.published_at, s.fetched_at,
                   s.title, s.lang, s.text, p.id AS page_id, src.organisation, src.name
            FROM snapshots s JOIN pages p ON p.id = s.page_id
            JOIN sources src ON src.id = s.source_id WHERE {where}""", params)
    snapshots.sort(key=order_key)
    before = store.query("SELECT COUNT(*) AS n FROM figures")[0]["n"]
    total = 0
    for n, snap in enumerate(snapshots, 1):
        source = known.get(snap["source_id"])
        organisation = (source.reporting_organisation if source else
                        snap["organisation"] or snap["name"] or snap["source_id"])
        figures = find_figures(snap["text"], snap["lang"], snap["title"], config.metrics)
        claim_figures(figures, organisation, published_at=snap["published_at"],
                      site_counts=source.counts_its_own if source else False)
        with store.transaction():
            store.replace_figures(snap["id"], snap["page_id"], snap["source_id"], figures)
            resolve_snapshot(store, snap, figures)
        total += len(figures)
        if progress is not None:
            progress(n, len(snapshots))
    series = store.query(
        "SELECT COUNT(DISTINCT series_id) AS n FROM figures WHERE series_id IS NOT NULL")[0]["n"]
    return Reanalysed(len(snapshots), total, before, series)


__all__ = ["Reanalysed", "reanalyse"]
