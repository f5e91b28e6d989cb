"""Canned queries for Datasette: the questions monitors ask most, one click away.

Each query is read-only SQL for SQLite (window functions, JSON1 and FTS5, all in the
SQLite Python ships with).  Datasette passes every named parameter, and an empty string
for one left blank, so optional parameters are written ``(:p = '' OR column = :p)``.

Series follow `rightswatch.changes.series`: a series is (metric, region, period key,
reporting organisation), stored as ``figures.series_id``; reports are ordered by
publication time, else fetch time (ties: URL when published, else fetch time; then the
snapshot id, so an edit is newer than the version it replaces); a report that gives
several figures for one series speaks through its *headline*, the largest value (the
first in the text among equal values).
"""

from __future__ import annotations

from typing import Any

# The series order of rightswatch.changes.series.Observation.order_key, as SQL over `s`.
_ORDER = ("COALESCE(s.published_at, s.fetched_at) {d}, "
          "CASE WHEN s.published_at IS NOT NULL THEN s.url ELSE s.fetched_at END {d}, "
          "s.id {d}")
_HEADLINE = "f.value DESC, f.start ASC, f.id ASC"

LATEST_FIGURES = f"""
WITH ranked AS (
  SELECT f.metric, f.region, f.period, f.period_key, f.organisation, f.value, f.qualifier,
         f.sentence, f.source_id, s.url, s.title, s.published_at, s.fetched_at,
         f.snapshot_id, f.series_id,
         ROW_NUMBER() OVER (PARTITION BY f.series_id
                            ORDER BY {_ORDER.format(d="DESC")}, {_HEADLINE}) AS rank
  FROM figures f JOIN snapshots s ON s.id = f.snapshot_id
  WHERE f.series_id IS NOT NULL
    AND (:metric = '' OR f.metric = :metric)
    AND (:region = '' OR COALESCE(f.region, '-') = :region)
), counts AS (
  SELECT series_id, COUNT(DISTINCT snapshot_id) AS reports FROM figures
  WHERE series_id IN (SELECT series_id FROM ranked WHERE rank = 1) GROUP BY series_id
)
SELECT r.metric, r.region, r.period, r.period_key, r.organisation, r.value, r.qualifier,
       r.sentence, COALESCE(src.name, r.source_id) AS source, r.url, r.title,
       r.published_at, r.fetched_at, c.reports, r.snapshot_id, r.series_id
FROM ranked r JOIN counts c ON c.series_id = r.series_id
LEFT JOIN sources src ON src.id = r.source_id
WHERE r.rank = 1
ORDER BY r.metric, COALESCE(r.region, ''), r.period_key, r.organisation
"""

SERIES_HISTORY = f"""
WITH headlines AS (
  SELECT f.series_id, f.metric, f.region, f.period, f.period_key, f.organisation, f.value,
         f.qualifier, f.sentence, f.source_id, f.snapshot_id, s.url, s.title,
         s.published_at, s.fetched_at,
         ROW_NUMBER() OVER (PARTITION BY f.series_id, f.snapshot_id
                            ORDER BY {_HEADLINE}) AS pick
  FROM figures f JOIN snapshots s ON s.id = f.snapshot_id
  WHERE f.series_id IS NOT NULL
    AND f.metric = :metric
    AND (:region = '' OR COALESCE(f.region, '-') = :region)
    AND (:period = '' OR f.period_key = :period
         OR f.period_key IN (SELECT period_key FROM figures
                             WHERE period = :period AND metric = :metric))
    AND (:organisation = '' OR f.organisation = :organisation)
), ordered AS (
  SELECT h.*,
         LAG(h.value) OVER (PARTITION BY h.series_id ORDER BY
             COALESCE(h.published_at, h.fetched_at),
             CASE WHEN h.published_at IS NOT NULL THEN h.url ELSE h.fetched_at END,
             h.snapshot_id) AS previous_value
  FROM headlines h WHERE h.pick = 1
)
SELECT o.series_id, COALESCE(o.published_at, o.fetched_at) AS date, o.value, o.qualifier,
       o.previous_value, o.value - o.previous_value AS delta, o.period, o.organisation,
       COALESCE(src.name, o.source_id) AS source, o.url, o.title, o.sentence,
       o.published_at, o.fetched_at, o.snapshot_id
FROM ordered o LEFT JOIN sources src ON src.id = o.source_id
ORDER BY o.series_id, COALESCE(o.published_at, o.fetched_at),
         CASE WHEN o.published_at IS NOT NULL THEN o.url ELSE o.fetched_at END, o.snapshot_id
"""

EVENTS_THIS_WEEK = """
SELECT e.created_at, e.type, e.source_id, COALESCE(src.name, e.source_id) AS source,
       json_extract(e.payload, '$.report.title') AS title,
       json_extract(e.payload, '$.figure.metric') AS metric,
       json_extract(e.payload, '$.figure.region') AS region,
       json_extract(e.payload, '$.figure.value') AS value,
       json_extract(e.payload, '$.figure.previous_value') AS previous_value,
       json_extract(e.payload, '$.figure.delta') AS delta,
       COALESCE(json_extract(e.payload, '$.figure.sentence'),
                json_extract(e.payload, '$.health.message'),
                json_extract(e.payload, '$.diff')) AS detail,
       json_extract(e.payload, '$.report.url') AS url,
       e.snapshot_id, e.id
FROM events e LEFT JOIN sources src ON src.id = e.source_id
WHERE e.backfill = 0
  AND e.created_at >= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-7 days')
ORDER BY e.created_at DESC, e.rowid DESC
"""

# The words of :q, each quoted as an FTS5 string (so "Kherson-oblast" or a stray quote is
# text to find, never query syntax), all required, in any order: what Datasette's own
# search box does for a table, in SQL because a canned query cannot run Python.
SEARCH_REPORTS = """
WITH RECURSIVE words(word, rest) AS (
  SELECT '', trim(replace(replace(replace(:q, char(9), ' '), char(10), ' '), char(13), ' '))
             || ' '
  UNION ALL
  SELECT substr(rest, 1, instr(rest, ' ') - 1), ltrim(substr(rest, instr(rest, ' ') + 1))
  FROM words WHERE rest != ''
), terms AS (
  SELECT COALESCE(group_concat('"' || replace(word, '"', '""') || '"', ' '), '""') AS expr
  FROM words WHERE word != ''
)
SELECT s.id AS snapshot_id, COALESCE(src.name, s.source_id) AS source, s.title, s.url,
       s.published_at, s.fetched_at, s.lang,
       snippet(snapshots_fts, -1, '[', ']', '…', 16) AS snippet,
       (s.id = p.latest_snapshot_id) AS latest_version, p.status AS page_status
FROM snapshots_fts
JOIN snapshots s ON s.id = snapshots_fts.rowid
JOIN pages p ON p.id = s.page_id
LEFT JOIN sources src ON src.id = s.source_id
WHERE snapshots_fts MATCH (SELECT expr FROM terms)
ORDER BY COALESCE(s.published_at, s.fetched_at) DESC, s.id DESC
"""

CANNED_QUERIES: dict[str, dict[str, Any]] = {
    "latest_figures": {
        "title": "Latest figures",
        "description": (
            "The newest value of every figure series: one row per metric and region (and "
            "per period and reporting organisation, because a 'since 2022' count and another "
            "organisation's count are different numbers). Leave metric or region blank for "
            "all; region '-' means figures without a region."),
        "sql": LATEST_FIGURES,
        "params": ["metric", "region"],
    },
    "series_history": {
        "title": "History of a series",
        "description": (
            "Every value one series took, oldest first, with the change from the previous "
            "report. Metric is required (e.g. criminal_cases); region (e.g. crimea, '-' for "
            "none), period (a period key such as cumulative:occupation, or a phrase a report "
            "used such as 'since 2015', which finds the same series in every language) and "
            "organisation narrow it down."),
        "sql": SERIES_HISTORY,
        "params": ["metric", "region", "period", "organisation"],
    },
    "events_this_week": {
        "title": "This week's events",
        "description": (
            "Events of the last 7 days, newest first: new, edited and removed reports, new "
            "and changed figures (value and previous value), source health. Backfill (a "
            "source's first crawl, old reports seen late) is left out."),
        "sql": EVENTS_THIS_WEEK,
    },
    "search_reports": {
        "title": "Search report texts",
        "description": (
            "Full-text search over the title and text of every archived version of every "
            "report, newest first. Every word must appear, in any order; words are matched "
            "as written (accents ignored). The snippet marks matches with [brackets]."),
        "sql": SEARCH_REPORTS,
        "params": ["q"],
    },
}

# Sample parameters for each query, used by the tests to run every query once.
SAMPLE_PARAMS: dict[str, dict[str, str]] = {
    "latest_figures": {"metric": "", "region": ""},
    "series_history": {"metric": "criminal_cases", "region": "crimea", "period": "",
                       "organisation": ""},
    "events_this_week": {},
    "search_reports": {"q": "criminal cases"},
}
