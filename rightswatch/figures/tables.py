"""Tables flattened to text (PDF reports): each cell is a figure whose meaning comes from
its column header, its row label and the table's caption.

PDF text extraction turns a table into lines such as::

    Table 3. Criminal cases under Art. 328 … in Crimea, 2017–2024
    Year        Cases sent to court   Verdicts   Still being heard
    2021        41                    40         1
    Total       522                   481        41

Read as prose, "2021 41 40 1" is a line without a word and "Total 522 481 41" three numbers
with nothing to count; read as a table, 40 is the verdicts of 2021 in Crimea.  Columns are
split by runs of spaces, tabs or "|"; when a PDF kept single spaces only, the numbers at
the end of each row are the cells (as many as every row has) and the header is split
before its capitalised words.  A row label that names a place gives the region, one that
names a year or span the period; "Total" rows are the whole, the other rows its parts.

Only the table *shape* is decided here; what a header means is decided by the same
lexicons and grammar as prose (:func:`describe`, supplied by the extractor).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .numbers import split_digit_token

MAX_LINE = 300
# Rows read per table: report tables have tens of rows; a longer run of numeric lines is a
# data dump (or an attack), and reading it cell by cell would make extraction unbounded.
MAX_ROWS = 400
_NUM = r"[~≈<>]?\s?\d{1,3}(?:[ \u00a0\u202f.,]\d{3})*(?:[.,]\d+)?%?[¹²³⁴⁵⁶⁷⁸⁹⁰*]*"
_CELL_RE = re.compile(rf"^(?:{_NUM})(?:\s*/\s*(?:{_NUM}))?$")
_SPLIT_RE = re.compile(r"\s*\|\s*|\t+|\s{2,}|\s[—–]\s|:\s+(?=[~≈<>]?\d)")
_TAIL_RE = re.compile(rf"((?:\s+(?:{_NUM})(?:\s*/\s*(?:{_NUM}))?)+)\s*$")
_NUM_RE = re.compile(r"\d+(?:[ \u00a0\u202f.,]\d+)*")
_SUPERSCRIPT = str.maketrans("", "", "¹²³⁴⁵⁶⁷⁸⁹⁰*")
_TOTAL_RE = re.compile(r"^\s*(?:total|in total|overall|all|усього|разом|загалом|всього|"
                       r"итого|всего|в целом)\b[\s,:.—–-]*", re.IGNORECASE)
_YEAR_RE = re.compile(r"(?:19|20)\d\d")
_ENDS_IN_NUMBER_RE = re.compile(r"\d[%¹²³⁴⁵⁶⁷⁸⁹⁰*]*\s*$")
_LABEL_HEADER_RE = re.compile(
    r"^(?:region|oblast|province|territory|area|year|period|month|category|type|"
    r"регіон|область|територія|рік|період|місяць|категорія|"
    r"регион|территория|год|период|месяц|категория)\b", re.IGNORECASE)
_INCLUDING_RE = re.compile(r"(?:в|у)\s*т\.\s*ч\.|з них|из них|including|of which",
                           re.IGNORECASE)
_CAPTION_RE = re.compile(r"^\s*(?:table|таблиця|таблица|табл\.)", re.IGNORECASE)
_UPPER_START_RE = re.compile(r"(?:(?<=\s)|^)(?=[A-ZА-ЯІЇЄҐЁ])")


@dataclass(slots=True)
class Cell:
    """One numeric cell: its place in the text and what the table says around it."""

    start: int
    end: int
    row: int  # row index within the table
    column: str  # the column header ("" when the header cannot be split)
    label: str  # the row label, footnote marks removed
    total: bool  # the row is a "Total" row
    sub: int = 0  # 0, or 1 for the second number of "15 / 71"


@dataclass(slots=True)
class Table:
    start: int  # the header's first character (or the first row's)
    end: int
    caption: str
    header: str
    notes: str  # footnotes and "Source:" lines after the table
    cells: list[Cell] = field(default_factory=list)


@dataclass(slots=True)
class _Row:
    start: int
    end: int
    label: str
    cells: list[tuple[int, int, str]]  # offsets and text of the numeric cells, in order
    sep: str  # "wide" (spaces, tabs, pipes) or "single"


def _lines(text: str) -> list[tuple[int, int]]:
    out = []
    pos = 0
    for line in text.split("\n"):
        out.append((pos, pos + len(line)))
        pos += len(line) + 1
    return out


def _row(text: str, a: int, b: int) -> _Row | None:
    """A line read as a table row: a label, then numeric cells."""
    line = text[a:b]
    if len(line) > MAX_LINE or not _ENDS_IN_NUMBER_RE.search(line):
        return None  # a row ends in a number (cheap to test, and most lines do not)
    parts = _SPLIT_RE.split(line.strip())
    if len(parts) >= 2 and all(_CELL_RE.match(c) for c in parts[1:]):
        found: list[tuple[int, int, str]] = []
        pos = a + line.index(parts[0]) + len(parts[0])
        for cell in parts[1:]:
            at = text.index(cell, pos, b)
            found.append((at, at + len(cell), cell))
            pos = at + len(cell)
        return _Row(a, b, parts[0], found, "wide")
    m = _TAIL_RE.search(line)
    if m is None:
        return None
    tail_start = a + m.start(1)
    cells: list[tuple[int, int, str]] = []
    for nm in re.finditer(rf"(?:{_NUM})(?:\s*/\s*(?:{_NUM}))?", text[tail_start:a + m.end(1)]):
        s, e = tail_start + nm.start(), tail_start + nm.end()
        if "/" in nm.group():
            cells.append((s, e, nm.group()))
        else:
            cells.extend(_pieces(text, s, e))
    if not cells:
        return None
    return _Row(a, b, line[: m.start(1)].strip(), cells, "single")


def _pieces(text: str, s: int, e: int) -> list[tuple[int, int, str]]:
    """"412 1 316" → 412 and 1 316: a run of digit groups read as the numbers it holds."""
    chunk = text[s:e]
    out: list[tuple[int, int, str]] = []
    for m in _NUM_RE.finditer(chunk):
        for p in split_digit_token(m.group(), s + m.start(), False):
            if p.value is not None:
                a, b = p.start, p.end
                while a > s and text[a - 1] in "~≈<>":
                    a -= 1
                out.append((a, b, text[a:b]))
    return out


def find_tables(text: str) -> list[Table]:
    """Every table of *text*: at least two rows with the same number of numeric cells."""
    lines = _lines(text)
    rows: list[_Row | None] = [_row(text, a, b) for a, b in lines]
    tables: list[Table] = []
    k = 0
    n = len(lines)
    while k < n:
        if rows[k] is None:
            k += 1
            continue
        group = [k]
        j = k + 1
        while j < n and (rows[j] is not None or _gap(text, lines, rows, j)):
            if rows[j] is not None:
                group.append(j)
            j += 1
        table = _table(text, lines, rows, group[:MAX_ROWS]) if len(group) >= 2 else None
        if table is not None:
            table.end = lines[group[-1]][1]  # rows past MAX_ROWS are skipped, not prose
            tables.append(table)
        k = j
    return tables


def _gap(text: str, lines: list[tuple[int, int]], rows: list[_Row | None], j: int) -> bool:
    """A blank line between two rows of a wide-spaced table (some PDFs double-space rows)."""
    before, after = rows[j - 1], rows[j + 1] if j + 1 < len(rows) else None
    return (not text[lines[j][0]:lines[j][1]].strip() and before is not None
            and after is not None and before.sep == "wide")


def _table(text: str, lines: list[tuple[int, int]], rows: list[_Row | None],
           group: list[int]) -> Table | None:
    members = [r for r in (rows[g] for g in group) if r is not None]
    counts = sorted(len(r.cells) for r in members)
    width = counts[len(counts) // 2]  # the median row; "522 451" may be one cell or two
    members = [r for r in members if _widen(text, r, width)]
    if width == 0 or len(members) < 2:
        return None
    # single-spaced rows: the trailing `width` cells are the data, the rest is label
    for r in members:
        if len(r.cells) > width:
            extra = r.cells[: len(r.cells) - width]
            r.label = (r.label + " " + " ".join(c[2] for c in extra)).strip()
            r.cells = r.cells[len(r.cells) - width:]
    if sum(1 for r in members if re.search(r"[^\W\d_]", r.label) or _YEAR_RE.search(r.label)
           ) < len(members) // 2:
        return None  # no row labels: a list of numbers, not a table
    first = group[0]
    if width < 2 and all(r.sep == "single" for r in members):
        prev = [text[lines[i][0]:lines[i][1]] for i in range(max(0, first - 3), first)]
        if not any(_CAPTION_RE.match(p) for p in prev):
            return None  # prose lines that happen to end in a number
    above = [i for i in range(max(0, first - 4), first) if text[lines[i][0]:lines[i][1]].strip()]
    header = ""
    caption_lines: list[str] = []
    h = first
    if above:
        h = above[-1]
        candidate = text[lines[h][0]:lines[h][1]]
        if not _CAPTION_RE.match(candidate):
            header = candidate
            above = above[:-1]
        caption_lines = [text[lines[i][0]:lines[i][1]] for i in above[-2:]]
    notes = []
    last = group[-1]
    for i in range(last + 1, min(len(lines), last + 5)):
        line = text[lines[i][0]:lines[i][1]].strip()
        if line:
            notes.append(line)
    start = lines[h][0] if header else lines[first][0]
    table = Table(start, lines[last][1], " ".join(caption_lines).strip(), header.strip(),
                  " ".join(notes))
    columns = _columns(header, width, members[0].sep)
    for index, r in enumerate(members):
        label = r.label.translate(_SUPERSCRIPT).strip(" :—–-")
        total = is_total(label)
        for c, (a, b, cell) in enumerate(r.cells):
            column = columns[c] if c < len(columns) else ""
            if "/" in cell:
                for sub, (pa, pb, _t) in enumerate(_pieces(text, a, b)[:2]):
                    table.cells.append(Cell(pa, pb, index, column, label, total, sub))
                continue
            end = b
            while end > a and text[end - 1] in "¹²³⁴⁵⁶⁷⁸⁹⁰*":
                end -= 1
            table.cells.append(Cell(a, end, index, column, label, total))
    return table


def _widen(text: str, r: _Row, width: int) -> bool:
    """Split space-grouped numbers of a single-spaced row until it has *width* cells
    ("Итого 522 451": 522 and 451, not 522,451); False when it cannot have that many."""
    if r.sep != "single":
        return len(r.cells) >= width
    while len(r.cells) < width:
        k = next((k for k, c in enumerate(r.cells) if " " in c[2].strip() and "/" not in c[2]),
                 None)
        if k is None:
            return False
        a, _b, cell = r.cells[k]
        pieces = []
        for m in re.finditer(r"\S+", cell):
            pieces.append((a + m.start(), a + m.end(), m.group()))
        r.cells[k:k + 1] = pieces
    return True


def _columns(header: str, width: int, sep: str) -> list[str]:
    """The data columns' headers (the label column's header left out)."""
    if not header:
        return []
    parts = [p for p in _SPLIT_RE.split(header.strip()) if p]
    if len(parts) < width:
        parts = [p.strip() for p in _UPPER_START_RE.split(header.strip()) if p.strip()]
    if parts and _LABEL_HEADER_RE.match(parts[0]):
        parts = parts[1:]  # "Region", "Область", "Рік": the row labels' column
        if len(parts) == width - 1:
            parts = _split_including(parts)
    elif len(parts) == width + 1:
        parts = parts[1:]
    if len(parts) == width:
        return [p.translate(_SUPERSCRIPT) for p in parts]
    return []


def _split_including(parts: list[str]) -> list[str]:
    """"Раненые в т. ч. дети" heads two columns: the total and the part it includes."""
    for k, part in enumerate(parts):
        m = _INCLUDING_RE.search(part)
        if m and m.start() > 0:
            return [*parts[:k], part[: m.start()].strip(), part[m.start():].strip(),
                    *parts[k + 1:]]
    return parts


def sub_column(column: str, sub: int) -> str:
    """The header of one number of a "15 / 71" cell: "дети (погибшие / раненые)" → "дети
    погибшие" for the first, "дети раненые" for the second."""
    m = re.search(r"\(([^()]*/[^()]*)\)", column)
    if not m:
        return column
    options = [o.strip() for o in m.group(1).split("/")]
    chosen = options[sub] if sub < len(options) else options[-1]
    return f"{column[: m.start()].strip()} {chosen}".strip()


def period_text(label: str) -> str | None:
    """The period a row label or column header gives ("2021", "Jan–Sep 2024", "Total,
    2022–2024" → "2022–2024", "Усього з 24.02.2022" → "з 24.02.2022"), or None."""
    rest = _TOTAL_RE.sub("", label).strip(" ,:")
    return rest if rest and _YEAR_RE.search(rest) else None


def is_total(text: str) -> bool:
    """A "Total"/"Усього"/"Итого" label or column header."""
    return bool(_TOTAL_RE.match(text))


__all__ = ["Cell", "Table", "find_tables", "is_total", "period_text", "sub_column"]
