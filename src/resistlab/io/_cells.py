"""Read CSV, TSV, text and XLSX files into plain rows of cells.

Every reader in `resistlab.io` works on the same picture of a file: a list
of sheets, each a list of rows (row ``i`` is spreadsheet row ``i + 1``), each
row a list of cells that are ``None`` (empty), ``float`` or a stripped
``str``. Numbers stay text in CSV files until a reader asks for them, so a
reader can tell ``"OVRFLW"`` from a number and name the row it came from.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from resistlab.errors import FileFormatError, where

__all__ = [
    "READ_MARKERS",
    "Cell",
    "Sheet",
    "cell_text",
    "is_blank_row",
    "parse_reading",
    "read_sheets",
]

Cell = float | str | None

#: Non-numeric cells that plate readers write instead of a number, mapped to the
#: ``read_flag`` they get (upper-cased for lookup). Anything else non-numeric
#: in a data cell is an error.
READ_MARKERS: dict[str, str] = {
    "OVRFLW": "overflow",  # BioTek Gen5: signal above the detector range
    "OVER": "overflow",  # Tecan i-control / Magellan / SparkControl
    "OVERFLOW": "overflow",  # BMG MARS and hand-made tables
    "SAT": "overflow",
    "SATURATED": "overflow",
    "*": "unreadable",  # Gen5: value could not be read or computed
    "?????": "unreadable",  # Gen5: out of range
    "MISSED": "unreadable",  # Gen5: reading missed
    "INVALID": "unreadable",
    "ERROR": "unreadable",
    "ERR": "unreadable",
    "#N/A": "unreadable",
    "N/A": "unreadable",
    "NA": "unreadable",
    "NAN": "unreadable",
}

_EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+(?:[eE][+-]?\d+)?$")


@dataclass(frozen=True)
class Sheet:
    """One sheet (or the whole of a text file) as rows of cells."""

    file: str
    name: str | None
    rows: list[list[Cell]] = field(repr=False)
    decimal_comma: bool = False

    def where(self, row: int | None = None, well: str | None = None) -> str:
        """Location prefix for messages; `row` is 0-based here, printed 1-based."""
        file = self.file if self.name is None else f"{self.file}, sheet {self.name!r}"
        return where(file, row=None if row is None else row + 1, well=well)

    def source(self, row: int) -> str:
        """Where a value came from, e.g. ``'plate.csv, row 12'`` (`row` 0-based)."""
        return self.where(row).removesuffix(": ")


def cell_text(cell: Cell) -> str:
    """Return a cell as text: ``''`` for empty, ``'570'`` for the number 570.0."""
    if cell is None:
        return ""
    if isinstance(cell, float):
        if math.isfinite(cell) and cell == int(cell):
            return str(int(cell))
        return repr(cell)
    return cell


def is_blank_row(row: list[Cell]) -> bool:
    """Return True when every cell of `row` is empty."""
    return all(cell is None for cell in row)


def parse_reading(cell: Cell, *, decimal_comma: bool = False) -> tuple[float, str] | None:
    """Interpret a data cell as ``(value, read_flag)``.

    Returns ``(nan, "missing")`` for an empty cell, ``(nan, flag)`` for a
    known marker such as ``"OVRFLW"``, ``(value, "")`` for a number and
    ``None`` for anything else (the caller raises with the location).
    """
    if cell is None:
        return math.nan, "missing"
    if isinstance(cell, float):
        if math.isnan(cell):
            return math.nan, "unreadable"
        if math.isinf(cell):
            return math.nan, "overflow"
        return cell, ""
    text = cell.strip()
    if not text:
        return math.nan, "missing"
    marker = READ_MARKERS.get(text.upper())
    if marker is not None:
        return math.nan, marker
    if decimal_comma and _DECIMAL_COMMA.match(text):
        text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None
    if not math.isfinite(value):
        return None
    return value, ""


def read_sheets(path: str | Path, *, sheet: str | int | None = None) -> list[Sheet]:
    """Read `path` into sheets of cells.

    Parameters
    ----------
    path : str or Path
        A ``.xlsx``/``.xlsm`` workbook or a delimited text file (``.csv``,
        ``.tsv``, ``.txt``, ...); the delimiter (comma, tab or semicolon) is
        detected.
    sheet : str or int, optional
        Workbook sheet name or 0-based index; all sheets when omitted.

    Raises
    ------
    FileFormatError
        If the file is missing, empty, an old ``.xls`` workbook, or `sheet`
        does not exist.
    """
    path = Path(path)
    if not path.is_file():
        msg = f"{where(path.name)}no such file: {path}"
        raise FileFormatError(msg)
    suffix = path.suffix.lower()
    if suffix == ".xls":
        msg = f"{where(path.name)}old binary .xls workbooks are not read; save it as .xlsx or CSV"
        raise FileFormatError(msg)
    sheets = _read_excel(path, sheet) if suffix in _EXCEL_SUFFIXES else [_read_text(path)]
    if all(not any(not is_blank_row(r) for r in s.rows) for s in sheets):
        msg = f"{where(path.name)}the file is empty"
        raise FileFormatError(msg)
    return sheets


def _excel_cell(value: object) -> Cell:
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def _read_excel(path: Path, sheet: str | int | None) -> list[Sheet]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, data_only=True)
    except Exception as err:  # openpyxl raises many kinds on a corrupt file
        msg = f"{where(path.name)}cannot open workbook: {err}"
        raise FileFormatError(msg) from err
    try:
        names = workbook.sheetnames
        if sheet is None:
            chosen = names
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                msg = f"{where(path.name)}no sheet number {sheet}; the workbook has {names}"
                raise FileFormatError(msg)
            chosen = [names[sheet]]
        else:
            if sheet not in names:
                msg = f"{where(path.name)}no sheet {sheet!r}; the workbook has {names}"
                raise FileFormatError(msg)
            chosen = [sheet]
        out = []
        for name in chosen:
            ws = workbook[name]
            rows = [
                _trim([_excel_cell(v) for v in row])
                for row in ws.iter_rows(min_row=1, max_row=ws.max_row, values_only=True)
            ]
            out.append(Sheet(file=path.name, name=name, rows=rows))
        return out
    finally:
        workbook.close()


def _decode(raw: bytes) -> str:
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _sniff_delimiter(lines: list[str]) -> str:
    sample = [line for line in lines if line.strip()][:200]
    if not sample:
        return ","
    with_tab = sum("\t" in line for line in sample)
    if with_tab >= 0.3 * len(sample):
        return "\t"
    semicolons = sum(line.count(";") for line in sample)
    commas = sum(line.count(",") for line in sample)
    return ";" if semicolons > commas else ","


def _trim(row: list[Cell]) -> list[Cell]:
    end = len(row)
    while end and row[end - 1] is None:
        end -= 1
    return row[:end]


def _read_text(path: Path) -> Sheet:
    text = _decode(path.read_bytes())
    lines = text.splitlines()
    delimiter = _sniff_delimiter(lines)
    rows: list[list[Cell]] = []
    for line in lines:
        try:
            cells = next(csv.reader([line], delimiter=delimiter), [])
        except csv.Error:
            cells = line.split(delimiter)
        rows.append(_trim([c.strip() or None for c in cells]))
    return Sheet(file=path.name, name=None, rows=rows, decimal_comma=delimiter != ",")
