"""Where a number came from: ``file, row N`` citations, compact and machine-readable.

Every table ResistLab writes cites its inputs the same way, so a reader (or the HTML
report, which turns them into links) can follow any number back to a file and row:

- ``blot1.csv, row 5``: one row;
- ``blot1.csv, rows 2-4, 7``: several rows of one file, runs collapsed;
- ``book.xlsx, sheet 'Bands', row 9``: a row of one sheet;
- citations of several files are joined with ``"; "``, and free text may follow in
  parentheses.

Row numbers are spreadsheet rows, as a spreadsheet program shows them: the header is
row 1, so the first data row of a CSV written with a header is row 2 (`data_row`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Citation", "citations", "cite", "cite_many", "data_row"]

# a file token: a path ending in a data-file extension (optionally .gz), then a sheet
_EXTENSIONS = "csv|tsv|txt|tab|xlsx|xlsm|xls|json|yaml|yml|xml|sf|gmt|db|png"
_FILE = rf"(?P<file>[\w.\-+/\\]*\w\.(?:{_EXTENSIONS})(?:\.gz)?)(?!\w)"
_SHEET = r"(?:, sheet '(?P<sheet>[^']*)')?"
_ROWS = r"(?:,? rows? (?P<rows>\d+(?:-\d+)?(?:, \d+(?:-\d+)?)*))?"
_PATTERN = re.compile(_FILE + _SHEET + _ROWS)


@dataclass(frozen=True)
class Citation:
    """One file cited in a source string, with where it appears in the text.

    ``rows`` are the spreadsheet rows named (empty when the whole file is cited);
    ``start`` and ``end`` delimit the citation in the text it was found in.
    """

    file: str
    sheet: str | None
    rows: tuple[int, ...]
    start: int
    end: int


def data_row(position: int) -> int:
    """Spreadsheet row of the 0-based data `position` in a CSV written with a header.

    >>> data_row(0)
    2
    """
    return int(position) + 2


def _runs(rows: Iterable[int]) -> str:
    values = sorted(set(rows))
    parts: list[str] = []
    start = prev = values[0]
    for value in values[1:]:
        if value == prev + 1:
            prev = value
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = value
    parts.append(str(start) if start == prev else f"{start}-{prev}")
    return ", ".join(parts)


def cite(file: str, rows: Iterable[int] | int | None = None) -> str:
    """Cite `file`, and its spreadsheet `rows` if given.

    >>> cite("blot1.csv", [4, 2, 3, 7])
    'blot1.csv, rows 2-4, 7'
    >>> cite("de.csv", 12)
    'de.csv, row 12'
    """
    if rows is None:
        return file
    values = [rows] if isinstance(rows, int) else [int(r) for r in rows]
    if not values:
        return file
    word = "row" if len(set(values)) == 1 else "rows"
    return f"{file}, {word} {_runs(values)}"


def cite_many(places: Iterable[tuple[str, int | None]]) -> str:
    """Cite (file, row) pairs, grouped by file in first-seen order.

    >>> cite_many([("a.csv", 3), ("b.csv", 2), ("a.csv", 2)])
    'a.csv, rows 2-3; b.csv, row 2'
    """
    by_file: dict[str, list[int]] = {}
    for file, row in places:
        rows = by_file.setdefault(file, [])
        if row is not None:
            rows.append(int(row))
    return "; ".join(cite(file, rows or None) for file, rows in by_file.items())


def _expand(text: str | None) -> tuple[int, ...]:
    if not text:
        return ()
    rows: list[int] = []
    for part in text.split(", "):
        low, _, high = part.partition("-")
        rows += range(int(low), int(high or low) + 1)
    return tuple(rows)


def citations(text: str) -> list[Citation]:
    """Find the file citations in a source string.

    >>> [(c.file, c.rows) for c in citations("blot1.csv, rows 2-3 / FAK.csv, row 5 (t-test)")]
    [('blot1.csv', (2, 3)), ('FAK.csv', (5,))]
    """
    return [
        Citation(m["file"], m["sheet"], _expand(m["rows"]), m.start(), m.end())
        for m in _PATTERN.finditer(text)
    ]
