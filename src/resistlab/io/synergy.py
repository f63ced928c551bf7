r"""Drug-combination dose matrices from files: matrix layouts and long tables.

Two readers return the same `~resistlab.synergy.DoseMatrices` (molar
concentrations, percent inhibition, every replicate kept):

* `read_matrix_layout` -- grids as labs type or export them (CSV, TSV or
  XLSX).
* `read_combination_table` -- SynergyFinder's long table, one row per well
  and replicate.

Whether responses are % viability or % inhibition is never guessed: `kind`
is required, and a file that says otherwise (a ``viability`` column read
with ``kind="inhibition"``, a ``response_type`` of ``viability_percent``)
is an error.

Matrix layout
-------------
Each block is a grid: the first row holds the concentrations of drug 2
(columns), the first column those of drug 1 (rows), both including 0; the
corner cell is empty or holds the unit (``uM``), optionally with the drug
names (``ruxolitinib \ defactinib (uM)``).  Lines above a grid describe it,
as ``key: value`` in one cell or ``key:`` and the value in the next cell::

    block: 1
    drug1: ruxolitinib (uM)
    drug2: defactinib (uM)
    ,0,0.1,0.3,1
    0,0.0,8.1,19.5,38.2
    0.25,11.0,21.3,35.9,55.4
    1,27.4,40.2,52.8,71.0

    ,0,0.1,0.3,1
    0,-1.2,7.4,21.0,36.6
    ...

Keys (case, spaces and underscores ignored): ``block`` (``block_id``,
``PairIndex``), ``drug1`` (``drug_row``) and ``drug2`` (``drug_col``), each
with an optional unit in parentheses; ``unit`` (``ConcUnit``, ``conc_unit``)
for both drugs, ``unit1``/``unit2`` (``conc_unit1``, ``conc_r_unit``, ...)
for one; ``replicate``; ``cell line`` (``cell_line_name``), the block's
cell line.  Other keys (``date: ...``) are ignored.  SynergyFinder's matrix
format (``Drug1:``, ``Drug2:``, ``ConcUnit:`` above each matrix) is read as
is.

Which block a grid belongs to:

1. its ``block`` line, when it has one -- grids with the same block id
   anywhere in the file (any sheet) are replicates of one block;
2. otherwise, when lines above it name the drugs (``drug1``/``drug2``) and
   do not say ``replicate: 2`` (or higher), a new block, numbered 1, 2, ...
   (SynergyFinder: every matrix with its own ``Drug1``/``Drug2`` lines is
   one block);
3. otherwise it repeats the grid before it (on the same sheet; to its left
   or above): a replicate of the same block.

Grids may stand side by side, each with its own corner column; a ``key:
value`` cell above them belongs to the grid at or left of its column.
Drug-1 concentrations may be written in any order (a plate's top row often
holds the highest dose); they are sorted.  A concentration may carry its own
unit (``100 nM``).  An empty response cell, or a reader marker such as
``NA`` or ``OVRFLW``, is a missing well (NaN); grids of one block may test
different doses (the block holds their union, NaN where a grid has no well).

Long table
----------
SynergyFinder's columns ``block_id, drug1, drug2, conc1, conc2, response,
conc_unit`` (or ``conc_unit1``/``conc_unit2``), also in the older spelling
``PairIndex, Drug1, Drug2, Conc1, Conc2, Response, ConcUnit`` and the
``drug_row``/``drug_col``/``conc_r``/``conc_c`` variants; an optional
``cell_line`` (``cell_line_name``) column gives each block's cell line.
Replicates are rows that repeat a block and dose pair.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from resistlab.errors import FileFormatError, InputError, UnitError, where
from resistlab.io._cells import Cell, Sheet, cell_text, is_blank_row, parse_reading, read_sheets
from resistlab.io._units import molar
from resistlab.synergy.data import DoseMatrices, matrices_from_frame
from resistlab.units import unit_factor

__all__ = ["read_combination_table", "read_matrix_layout"]

Kind = Literal["inhibition", "viability"]

#: ``key: value`` lines of a matrix layout: normalised key -> meaning.
_LAYOUT_KEYS: dict[str, str] = {
    "block": "block",
    "blockid": "block",
    "pairindex": "block",
    "drug1": "drug1",
    "drugrow": "drug1",
    "drug2": "drug2",
    "drugcol": "drug2",
    "drugcolumn": "drug2",
    "unit": "unit",
    "units": "unit",
    "concunit": "unit",
    "concentrationunit": "unit",
    "unit1": "unit1",
    "concunit1": "unit1",
    "concrunit": "unit1",
    "concrowunit": "unit1",
    "unit2": "unit2",
    "concunit2": "unit2",
    "conccunit": "unit2",
    "conccolunit": "unit2",
    "replicate": "replicate",
    "rep": "replicate",
    "cellline": "cell_line",
    "celllinename": "cell_line",
}

#: Long-table columns: canonical name -> accepted normalised spellings.
_TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "block_id": ("blockid", "block", "pairindex", "blockindex"),
    "drug1": ("drug1", "drugrow", "drugr"),
    "drug2": ("drug2", "drugcol", "drugc", "drugcolumn"),
    "conc1": ("conc1", "concrow", "concr", "concentration1"),
    "conc2": ("conc2", "conccol", "concc", "conccolumn", "concentration2"),
    "response": (
        "response",
        "inhibition",
        "viability",
        "responsepercent",
        "percentinhibition",
        "inhibitionpercent",
        "percentviability",
        "viabilitypercent",
    ),
    "conc_unit": ("concunit", "unit", "concentrationunit", "concunits"),
    "conc_unit1": ("concunit1", "concrunit", "concrowunit", "unit1"),
    "conc_unit2": ("concunit2", "conccunit", "conccolunit", "unit2"),
    "response_type": ("responsetype",),
    "cell_line": ("cellline", "celllinename"),
}
_REQUIRED = ("block_id", "drug1", "drug2", "conc1", "conc2", "response")

_KEY_VALUE = re.compile(r"^\s*([^:=]+?)\s*[:=]\s*(.*?)\s*$")
_NUMBER_UNIT = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-zµμ/]+)\s*$")
_NAME_UNIT = re.compile(r"^(.*?)\s*[(\[]\s*([^()\[\]]+?)\s*[)\]]\s*$")
_UNIT_TOKEN = re.compile(r"[A-Za-zµμ]+(?:/[A-Za-z]+)?")
_CORNER_SPLIT = re.compile(r"\s*[\\|]\s*")


def _normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _column_letter(index: int) -> str:
    """Spreadsheet letter of a 0-based column: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _at(sheet: Sheet, row: int, col: int | None = None, name: str | None = None) -> str:
    """Location prefix ``'file, row 4, column C: '`` (row and col 0-based)."""
    text = sheet.where(row).removesuffix(": ")
    if col is not None:
        text += f", column {_column_letter(col)}"
        if name is not None:
            text += f" ({name!r})"
    return text + ": "


def _cell(row: list[Cell], col: int) -> Cell:
    return row[col] if 0 <= col < len(row) else None


def _as_unit(text: str) -> str | None:
    """Return `text` when it is a concentration unit, else None."""
    try:
        unit_factor(text)
    except UnitError:
        return None
    return text.strip()


def _kind_checked(kind: str) -> Kind:
    if kind == "inhibition":
        return "inhibition"
    if kind == "viability":
        return "viability"
    msg = f"kind must be 'inhibition' or 'viability' (what the responses are, in %), got {kind!r}"
    raise ValueError(msg)


# --------------------------------------------------------------------------- matrix layout


@dataclass(frozen=True)
class _Meta:
    """One ``key: value`` cell of a layout."""

    key: str
    value: str
    row: int
    col: int


@dataclass(frozen=True)
class _Dose:
    """A concentration as written: number, its own unit (if any) and where."""

    value: float
    unit: str | None
    row: int
    col: int


@dataclass
class _Grid:
    """One grid of a layout, as read, before units and blocks are resolved."""

    sheet: Sheet
    header_row: int
    corner: int
    corner_text: str
    doses2: list[_Dose]
    doses1: list[_Dose] = field(default_factory=list)
    values: list[list[float]] = field(default_factory=list)
    meta: list[_Meta] = field(default_factory=list)
    units: tuple[str | None, str | None] = (None, None)

    def where(self) -> str:
        return _at(self.sheet, self.header_row, self.corner)


@dataclass
class _Block:
    """Grids that make one block, with its drug names and the place that set them."""

    block_id: str | None
    grids: list[_Grid] = field(default_factory=list)
    drug1: str | None = None
    drug2: str | None = None
    named_at: str = ""
    cell_line: str | None = None
    cell_line_at: str = ""


def _metadata(row: list[Cell]) -> list[tuple[str, str, int]]:
    """Return the ``(key, value, column)`` cells of a metadata line, or [] if it is not one.

    A line is metadata when its first non-empty cell is a known key, written
    ``'drug1: name'``, ``'drug1:'`` with the value in the next cell, or
    ``'drug1'`` followed by a value.  Later cells may hold more keys (grids
    side by side); other text is ignored.
    """
    first = next((j for j, c in enumerate(row) if c is not None), None)
    if first is None or _key_of(row[first]) is None:
        return []
    found: list[tuple[str, str, int]] = []
    j = first
    while j < len(row):
        parsed = _key_of(row[j])
        if parsed is None:
            j += 1
            continue
        key, value = parsed
        if not value and _cell(row, j + 1) is not None:
            found.append((key, cell_text(_cell(row, j + 1)).strip(), j))
            j += 2
            continue
        found.append((key, value, j))
        j += 1
    return found


def _key_of(cell: Cell) -> tuple[str, str] | None:
    """``(key, inline value)`` of a cell such as ``'Drug1: ispinesib'`` or ``'Drug1'``."""
    if not isinstance(cell, str):
        return None
    match = _KEY_VALUE.match(cell)
    key_text, value = (match.group(1), match.group(2)) if match else (cell, "")
    key = _LAYOUT_KEYS.get(_normalise(key_text))
    return None if key is None else (key, value.strip())


def _dose(cell: Cell, sheet: Sheet) -> tuple[float, str | None] | None:
    """Read a concentration cell as ``(value, unit or None)``; None when it is not one."""
    if cell is None:
        return None
    if isinstance(cell, str):
        text = cell
        if sheet.decimal_comma:
            text = re.sub(r"^(\s*[-+]?\d+),(\d)", r"\1.\2", text)
        match = _NUMBER_UNIT.match(text)
        if match is not None and _as_unit(match.group(2)) is not None:
            return float(match.group(1)), match.group(2)
    reading = parse_reading(cell, decimal_comma=sheet.decimal_comma)
    if reading is None or reading[1]:
        return None
    return reading[0], None


def _header_runs(row: list[Cell], sheet: Sheet) -> list[tuple[int, int]]:
    """Return ``(corner, end)`` of each run of >= 2 doses that has a corner cell left of it."""
    runs = []
    j = 0
    while j < len(row):
        if _dose(row[j], sheet) is None:
            j += 1
            continue
        start = j
        while j < len(row) and _dose(row[j], sheet) is not None:
            j += 1
        corner = start - 1
        if j - start >= 2 and corner >= 0 and _dose(row[corner], sheet) is None:
            runs.append((corner, j))
    return runs


def _looks_like_header(row: list[Cell], corner: int, sheet: Sheet) -> bool:
    return any(c == corner for c, _ in _header_runs(row, sheet))


def _read_grid(sheet: Sheet, top: int, corner: int, end: int, limit: int) -> _Grid:
    """Read the grid whose header row is `top`, corner column `corner`, doses to `end`.

    `limit` is the first column that belongs to the next grid on the same
    rows (-1: none, the row's end); cells between `end` and `limit` must be
    empty.
    """
    rows = sheet.rows
    grid = _Grid(
        sheet=sheet,
        header_row=top,
        corner=corner,
        corner_text=cell_text(_cell(rows[top], corner)),
        doses2=[],
    )
    for j in range(corner + 1, end):
        dose = _dose(rows[top][j], sheet)
        assert dose is not None  # the run was found by _header_runs
        grid.doses2.append(_Dose(dose[0], dose[1], top, j))
    r = top + 1
    while r < len(rows):
        row = rows[r]
        head = _cell(row, corner)
        span = [_cell(row, j) for j in range(corner + 1, end)]
        dose = _dose(head, sheet)
        if dose is None:
            if all(c is None for c in span):
                break
            if isinstance(head, str) and (
                _metadata(row[corner:])
                or (
                    _looks_like_header(row, corner, sheet)
                    and r + 1 < len(rows)
                    and _dose(_cell(rows[r + 1], corner), sheet) is not None
                )
            ):
                break  # key: value lines or the header of the next grid
            if head is None:
                msg = (
                    f"{_at(sheet, r, corner)}this grid row has responses but no drug-1 "
                    "concentration (a grid ends at an empty row; a grid right below another "
                    "needs the unit in its corner cell)"
                )
                raise FileFormatError(msg)
            msg = f"{_at(sheet, r, corner)}{cell_text(head)!r} is not a drug-1 concentration"
            raise FileFormatError(msg)
        values = []
        for j, cell in zip(range(corner + 1, end), span, strict=True):
            reading = parse_reading(cell, decimal_comma=sheet.decimal_comma)
            if reading is None:
                msg = f"{_at(sheet, r, j)}response {cell_text(cell)!r} is not a number"
                raise FileFormatError(msg)
            values.append(reading[0])
        stop = len(row) if limit < 0 else min(limit, len(row))
        extra = next((j for j in range(end, stop) if row[j] is not None), None)
        if extra is not None:
            msg = (
                f"{_at(sheet, r, extra)}{cell_text(row[extra])!r} lies right of the grid's "
                f"last drug-2 concentration (column {_column_letter(end - 1)}); every "
                "response column needs a concentration in the grid's header row "
                f"(row {top + 1})"
            )
            raise FileFormatError(msg)
        grid.doses1.append(_Dose(dose[0], dose[1], r, corner))
        grid.values.append(values)
        r += 1
    return grid


def _scan_layout(sheet: Sheet) -> list[_Grid]:
    """Find the grids of one sheet, each with the ``key: value`` cells above it."""
    rows = sheet.rows
    grids: list[_Grid] = []
    pending: list[_Meta] = []
    i = 0
    while i < len(rows):
        row = rows[i]
        if is_blank_row(row):
            i += 1
            continue
        runs = [
            (corner, end)
            for corner, end in _header_runs(row, sheet)
            if i + 1 < len(rows) and _dose(_cell(rows[i + 1], corner), sheet) is not None
        ]
        meta = [] if runs else _metadata(row)
        if meta:
            pending.extend(_Meta(key, value, i, col) for key, value, col in meta)
            i += 1
            continue
        if not runs:
            first = next(j for j, c in enumerate(row) if c is not None)
            if first == 0 and _dose(row[0], sheet) is not None:
                numbers = sum(_dose(c, sheet) is not None for c in row)
                if numbers >= 2:
                    msg = (
                        f"{_at(sheet, i, 0)}a row of numbers outside any grid: a grid starts "
                        "with a header row whose first cell (the corner: empty or the unit) "
                        "is left of the drug-2 concentrations, and has no empty rows inside"
                    )
                    raise FileFormatError(msg)
            i += 1  # a title or note line
            continue
        band = []
        for k, (corner, end) in enumerate(runs):
            limit = runs[k + 1][0] if k + 1 < len(runs) else -1
            band.append(_read_grid(sheet, i, corner, end, limit))
        for m in pending:
            owner = max((k for k, g in enumerate(band) if g.corner <= m.col), default=0)
            band[owner].meta.append(m)
        pending = []
        grids.extend(band)
        i = max(i + 1 + len(g.doses1) for g in band)
    return grids


def _one(grid: _Grid, key: str) -> _Meta | None:
    """Return the grid's one value for `key` (an error when two lines disagree)."""
    found = [m for m in grid.meta if m.key == key]
    for other in found[1:]:
        if other.value != found[0].value:
            msg = (
                f"{_at(grid.sheet, other.row, other.col)}{key} {other.value!r} contradicts "
                f"{found[0].value!r} in row {found[0].row + 1} for the grid at row "
                f"{grid.header_row + 1}"
            )
            raise FileFormatError(msg)
    return found[0] if found else None


def _name_and_unit(text: str) -> tuple[str | None, str | None]:
    """Split ``'ruxolitinib (uM)'`` into name and unit; a bare unit has no name."""
    text = text.strip()
    if not text:
        return None, None
    if _as_unit(text) is not None:
        return None, text
    match = _NAME_UNIT.match(text)
    if match is not None and _as_unit(match.group(2)) is not None:
        return (match.group(1).strip() or None), match.group(2)
    return text, None


def _corner_parts(grid: _Grid) -> tuple[list[str | None], list[str | None]]:
    """Drug names and units written in the corner cell: ``([name1, name2], [unit1, unit2])``."""
    text = grid.corner_text.strip()
    names: list[str | None] = [None, None]
    units: list[str | None] = [None, None]
    if not text:
        return names, units
    parts = _CORNER_SPLIT.split(text)
    if len(parts) == 2:
        (names[0], units[0]), (names[1], units[1]) = (_name_and_unit(p) for p in parts)
        if (units[0] is None) != (units[1] is None):  # 'rux \ def (uM)': one unit for both
            units = [units[0] or units[1]] * 2
        return names, units
    found = [t for t in _UNIT_TOKEN.findall(text) if _as_unit(t) is not None]
    if len(found) > 2:
        msg = (
            f"{grid.where()}the corner cell {text!r} names {len(found)} units; give one "
            "(both drugs) or two (drug 1, drug 2)"
        )
        raise UnitError(msg)
    if len(found) == 1:
        units = [found[0], found[0]]
    elif len(found) == 2:
        units = [found[0], found[1]]
    return names, units


def _grid_units(grid: _Grid) -> tuple[str | None, str | None]:
    """Units of drug 1 and 2 from the lines above and the corner (None if not given)."""
    units: list[str | None] = [None, None]
    sources = ["", ""]

    def put(index: int, unit: str | None, source: str) -> None:
        if unit is None:
            return
        current = units[index]
        if current is not None and unit_factor(current) != unit_factor(unit):
            msg = (
                f"{source}unit {unit!r} for drug {index + 1} contradicts {current!r} "
                f"given at {sources[index].removesuffix(': ')}"
            )
            raise UnitError(msg)
        if current is None:
            units[index], sources[index] = unit, source

    for key, index in (("unit", 0), ("unit", 1), ("unit1", 0), ("unit2", 1)):
        m = _one(grid, key)
        if m is not None:
            unit_factor(m.value, context=_at(grid.sheet, m.row, m.col))
            put(index, m.value, _at(grid.sheet, m.row, m.col))
    for index, key in enumerate(("drug1", "drug2")):
        m = _one(grid, key)
        if m is not None:
            put(index, _name_and_unit(m.value)[1], _at(grid.sheet, m.row, m.col))
    _, corner_units = _corner_parts(grid)
    for index in (0, 1):
        put(index, corner_units[index], grid.where())
    return units[0], units[1]


def _resolve_units(grids: list[_Grid]) -> None:
    """Set each grid's units; a grid that states none takes the previous grid's on its sheet."""
    previous: tuple[Sheet | None, tuple[str | None, str | None]] = (None, (None, None))
    for grid in grids:
        unit1, unit2 = _grid_units(grid)
        if previous[0] is grid.sheet:
            unit1, unit2 = unit1 or previous[1][0], unit2 or previous[1][1]
        grid.units = (unit1, unit2)
        previous = (grid.sheet, grid.units)


def _grid_names(grid: _Grid) -> tuple[str | None, str | None, bool]:
    """Drug names of a grid and whether lines above it named them."""
    names: list[str | None] = [None, None]
    from_lines = False
    for index, key in enumerate(("drug1", "drug2")):
        m = _one(grid, key)
        if m is not None:
            names[index] = _name_and_unit(m.value)[0]
            from_lines = from_lines or names[index] is not None
    corner_names, _ = _corner_parts(grid)
    for index in (0, 1):
        names[index] = names[index] or corner_names[index]
    return names[0], names[1], from_lines


def _assign_blocks(grids: list[_Grid]) -> list[_Block]:
    """Group grids into blocks (see the module docstring for the rules)."""
    blocks: list[_Block] = []
    by_id: dict[str, _Block] = {}
    previous: tuple[Sheet, _Block] | None = None
    for grid in grids:
        name1, name2, named = _grid_names(grid)
        block_meta = _one(grid, "block")
        replicate = _one(grid, "replicate")
        repeat = replicate is not None and _normalise(replicate.value) not in ("", "1", "01")
        inherits = previous is not None and previous[0] is grid.sheet
        if block_meta is not None and block_meta.value:
            block = by_id.get(block_meta.value)
            if block is None:
                block = by_id[block_meta.value] = _Block(block_meta.value)
                blocks.append(block)
        elif inherits and previous is not None and (not named or repeat):
            block = previous[1]
        else:
            block = _Block(None)
            blocks.append(block)
        for index, name in ((1, name1), (2, name2)):
            if name is None:
                continue
            current = block.drug1 if index == 1 else block.drug2
            if current is None:
                if index == 1:
                    block.drug1 = name
                else:
                    block.drug2 = name
                block.named_at = block.named_at or grid.where()
            elif current != name:
                label = f" ({block.block_id})" if block.block_id else ""
                msg = (
                    f"{grid.where()}drug {index} is {name!r} here but {current!r} in the grid "
                    f"at {block.named_at.removesuffix(': ')}, the same block{label}; "
                    "start each block with a 'block: <id>' line"
                )
                raise FileFormatError(msg)
        line = _one(grid, "cell_line")
        if line is not None and line.value:
            here = _at(grid.sheet, line.row, line.col)
            if block.cell_line is None:
                block.cell_line, block.cell_line_at = line.value, here
            elif block.cell_line != line.value:
                label = f" ({block.block_id})" if block.block_id else ""
                msg = (
                    f"{here}cell line {line.value!r} contradicts {block.cell_line!r} at "
                    f"{block.cell_line_at.removesuffix(': ')}, the same block{label}; "
                    "start each block with a 'block: <id>' line"
                )
                raise FileFormatError(msg)
        block.grids.append(grid)
        previous = (grid.sheet, block)
    used = {b.block_id for b in blocks if b.block_id is not None}
    number = 0
    for block in blocks:
        if block.block_id is None:
            number += 1
            while str(number) in used:
                number += 1
            block.block_id = str(number)
    return blocks


def _molar_doses(
    doses: Sequence[_Dose], unit: str | None, grid: _Grid, axis: int, default_unit: str | None
) -> np.ndarray:
    values = np.empty(len(doses))
    for k, dose in enumerate(doses):
        where_ = _at(grid.sheet, dose.row, dose.col)
        if dose.value < 0 or not math.isfinite(dose.value):
            msg = f"{where_}concentration {dose.value:g} of drug {axis} is negative"
            raise FileFormatError(msg)
        chosen = dose.unit or unit or default_unit
        if chosen is None:
            msg = (
                f"{grid.where()}no concentration unit for drug {axis}: write it in the corner "
                "cell (e.g. 'uM'), in a line above the grid ('drug1: ruxolitinib (uM)', "
                "'ConcUnit: nM') or pass default_unit"
            )
            raise UnitError(msg)
        values[k] = float(molar(dose.value, chosen, context=where_)[()])
    seen: dict[float, _Dose] = {}
    for value, dose in zip(values.tolist(), doses, strict=True):
        if value in seen:
            first = seen[value]
            place = f"column {_column_letter(first.col)}" if axis == 2 else f"row {first.row + 1}"
            msg = (
                f"{_at(grid.sheet, dose.row, dose.col)}drug-{axis} concentration "
                f"{dose.value:g} repeats ({place}); put replicates in grids of their own"
            )
            raise FileFormatError(msg)
        seen[value] = dose
    if 0.0 not in seen:
        what = "header row" if axis == 2 else "first column"
        msg = (
            f"{grid.where()}the grid's {what} has no drug-{axis} concentration 0 "
            "(the other drug alone); a matrix needs the monotherapies and the control"
        )
        raise FileFormatError(msg)
    return values


def _layout_frame(blocks: list[_Block], default_unit: str | None) -> pd.DataFrame:
    """One row per block, grid (replicate) and well of the block's dose union."""
    parts = []
    for block in blocks:
        converted = []
        for grid in block.grids:
            c1 = _molar_doses(grid.doses1, grid.units[0], grid, 1, default_unit)
            c2 = _molar_doses(grid.doses2, grid.units[1], grid, 2, default_unit)
            converted.append((c1, c2, np.array(grid.values, dtype=float)))
        all1 = np.unique(np.concatenate([c[0] for c in converted]))
        all2 = np.unique(np.concatenate([c[1] for c in converted]))
        for c1, c2, values in converted:
            full = np.full((all1.size, all2.size), np.nan)
            full[np.ix_(np.searchsorted(all1, c1), np.searchsorted(all2, c2))] = values
            parts.append(
                pd.DataFrame(
                    {
                        "block_id": block.block_id,
                        "drug1": block.drug1 or "drug1",
                        "drug2": block.drug2 or "drug2",
                        "cell_line": block.cell_line or "",
                        "conc1": np.repeat(all1, all2.size),
                        "conc2": np.tile(all2, all1.size),
                        "response": full.ravel(),
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)


def read_matrix_layout(
    path: str | Path,
    *,
    kind: Kind,
    sheet: str | int | None = None,
    default_unit: str | None = None,
) -> DoseMatrices:
    r"""Read combination dose matrices written as grids (CSV, TSV or XLSX).

    The layout (grids, ``key: value`` lines, how grids become blocks and
    replicates) is described in the module docstring, `resistlab.io.synergy`.

    Parameters
    ----------
    path : str or Path
        A ``.csv``, ``.tsv``, ``.txt`` or ``.xlsx`` file.
    kind : {"inhibition", "viability"}
        What the responses are, in percent (viability is converted to
        inhibition, ``100 - viability``).  Required: never guessed.
    sheet : str or int, optional
        Workbook sheet (name or 0-based index); every sheet when omitted.
    default_unit : str, optional
        Concentration unit of grids that state none (in their corner cell,
        the lines above or the cells themselves).  Without it such a grid
        is an error.

    Returns
    -------
    DoseMatrices
        Blocks in the order they first appear; molar concentrations, drug 1
        on the rows; responses as percent inhibition, one replicate per grid.

    Raises
    ------
    FileFormatError
        If no grid is found, a cell is not a number, a grid has no 0
        concentration, a dose repeats, a value lies outside the grid or
        grids of one block name different drugs; the message names the
        file, row and column.
    UnitError
        If a grid's unit is missing, unknown or contradicts another line.
    ValueError
        If `kind` is not "inhibition" or "viability".

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "rux_def.csv"
    >>> _ = path.write_text(
    ...     "drug1: ruxolitinib (uM)\ndrug2: defactinib (uM)\n"
    ...     ",0,0.1,1\n0,0,10,30\n1,20,45,70\n"
    ... )
    >>> m = read_matrix_layout(path, kind="inhibition")
    >>> m.drug1, m.drug2, m.conc2.tolist()
    (('ruxolitinib',), ('defactinib',), [[0.0, 1e-07, 1e-06]])
    >>> m.mean_response[0].tolist()
    [[0.0, 10.0, 30.0], [20.0, 45.0, 70.0]]
    """
    kind = _kind_checked(kind)
    path = Path(path)
    sheets = read_sheets(path, sheet=sheet)
    grids = [g for s in sheets for g in _scan_layout(s)]
    if not grids:
        msg = (
            f"{where(path.name)}no dose matrix found: expected a header row of drug-2 "
            "concentrations (with an empty or unit corner cell left of them) above rows that "
            "start with a drug-1 concentration"
        )
        raise FileFormatError(msg)
    if default_unit is not None:
        unit_factor(default_unit, context="default_unit: ")
    _resolve_units(grids)
    frame = _layout_frame(_assign_blocks(grids), default_unit)
    return matrices_from_frame(frame, kind=kind, conc_unit=None, default_unit="M", source=path.name)


# --------------------------------------------------------------------------- long table


def _find_table_header(sheet: Sheet) -> tuple[int, dict[str, int]] | None:
    """Header row and the column of each known field, or None."""
    for i, row in enumerate(sheet.rows):
        found: dict[str, list[int]] = {}
        for j, cell in enumerate(row):
            if not isinstance(cell, str):
                continue
            key = _normalise(cell)
            for canonical, spellings in _TABLE_COLUMNS.items():
                if key in spellings:
                    found.setdefault(canonical, []).append(j)
        if all(name in found for name in _REQUIRED):
            for canonical, columns in found.items():
                if len(columns) > 1:
                    names = ", ".join(
                        f"{cell_text(row[j])!r} (column {_column_letter(j)})" for j in columns
                    )
                    msg = f"{_at(sheet, i)}columns {names} all mean {canonical!r}; keep one"
                    raise FileFormatError(msg)
            return i, {name: columns[0] for name, columns in found.items()}
    return None


def _check_kind_against_table(
    sheet: Sheet, header: int, columns: dict[str, int], body: list[int], kind: Kind
) -> None:
    """Refuse a table that says its responses are the other kind."""
    other = "viab" if kind == "inhibition" else "inhib"
    name = cell_text(sheet.rows[header][columns["response"]])
    if other in name.lower():
        msg = (
            f"{_at(sheet, header, columns['response'])}the response column is named "
            f"{name!r} but kind={kind!r}; pass the kind the values are"
        )
        raise InputError(msg)
    if "response_type" not in columns:
        return
    j = columns["response_type"]
    for r in body:
        text = cell_text(_cell(sheet.rows[r], j))
        if other in text.lower():
            msg = f"{_at(sheet, r, j, 'response_type')}{text!r} contradicts kind={kind!r}"
            raise InputError(msg)


def _table_units(
    sheet: Sheet,
    header: int,
    columns: dict[str, int],
    body: list[int],
    *,
    axis: int,
    default_unit: str | None,
) -> list[str]:
    for name in (f"conc_unit{axis}", "conc_unit"):
        if name in columns:
            j = columns[name]
            units = [cell_text(_cell(sheet.rows[r], j)) for r in body]
            checked: set[str] = set()
            for r, text in zip(body, units, strict=True):
                if text not in checked:
                    label = cell_text(_cell(sheet.rows[header], j))
                    unit_factor(text, context=_at(sheet, r, j, label))
                    checked.add(text)
            return units
    if default_unit is None:
        msg = (
            f"{sheet.where()}no concentration unit column (conc_unit, ConcUnit, conc_unit1/2) "
            "and no default_unit"
        )
        raise UnitError(msg)
    return [default_unit] * len(body)


def _table_frame(
    sheet: Sheet, header: int, columns: dict[str, int], kind: Kind, default_unit: str | None
) -> pd.DataFrame:
    rows = sheet.rows
    body = [r for r in range(header + 1, len(rows)) if not is_blank_row(rows[r])]
    if not body:
        msg = f"{_at(sheet, header)}the table has a header but no rows"
        raise FileFormatError(msg)
    _check_kind_against_table(sheet, header, columns, body, kind)
    header_row = rows[header]

    def label(name: str) -> str:
        return cell_text(_cell(header_row, columns[name]))

    data: dict[str, Sequence[object]] = {}
    if "cell_line" in columns:
        j = columns["cell_line"]
        data["cell_line"] = [cell_text(_cell(rows[r], j)).strip() for r in body]
    for name in ("block_id", "drug1", "drug2"):
        j = columns[name]
        texts = []
        for r in body:
            text = cell_text(_cell(rows[r], j))
            if not text:
                msg = f"{_at(sheet, r, j, label(name))}the {name} is missing"
                raise FileFormatError(msg)
            texts.append(text)
        data[name] = texts
    for name in ("conc1", "conc2", "response"):
        j = columns[name]
        numbers = []
        for r in body:
            cell = _cell(rows[r], j)
            reading = parse_reading(cell, decimal_comma=sheet.decimal_comma)
            if reading is None:
                msg = f"{_at(sheet, r, j, label(name))}{cell_text(cell)!r} is not a number"
                raise FileFormatError(msg)
            if name != "response":
                if reading[1]:
                    msg = f"{_at(sheet, r, j, label(name))}the concentration is missing"
                    raise FileFormatError(msg)
                if reading[0] < 0:
                    msg = f"{_at(sheet, r, j, label(name))}concentration {reading[0]:g} is negative"
                    raise FileFormatError(msg)
            numbers.append(reading[0])
        data[name] = numbers
    for axis in (1, 2):
        units = _table_units(sheet, header, columns, body, axis=axis, default_unit=default_unit)
        values = np.asarray(data[f"conc{axis}"], dtype=float)
        converted = np.empty_like(values)
        unit_array = np.asarray(units)
        for unit in dict.fromkeys(units):
            at = unit_array == unit
            converted[at] = molar(values[at], unit)
        data[f"conc{axis}"] = converted.tolist()
    frame = pd.DataFrame(data)
    # one drug pair (and cell line) per block
    for name in ("drug1", "drug2", "cell_line"):
        if name not in columns:
            continue
        first = frame.groupby("block_id", sort=False)[name].transform("first")
        differs = np.flatnonzero((frame[name] != first).to_numpy())
        if differs.size:
            k = int(differs[0])
            msg = (
                f"{_at(sheet, body[k], columns[name], label(name))}block "
                f"{frame['block_id'].iloc[k]} has {name} {frame[name].iloc[k]!r} here but "
                f"{first.iloc[k]!r} in its first row"
            )
            raise FileFormatError(msg)
    return frame


def read_combination_table(
    path: str | Path,
    *,
    kind: Kind,
    sheet: str | int | None = None,
    default_unit: str | None = None,
) -> DoseMatrices:
    r"""Read a SynergyFinder-style long table of combination responses (CSV, TSV or XLSX).

    Columns are found by name, ignoring case, spaces and underscores:
    ``block_id`` (``PairIndex``), ``drug1``/``drug2`` (``drug_row``/
    ``drug_col``), ``conc1``/``conc2`` (``conc_r``/``conc_c``), ``response``
    (``inhibition``, ``viability``), and the unit ``conc_unit``
    (``ConcUnit``) or ``conc_unit1``/``conc_unit2`` (``conc_r_unit``/
    ``conc_c_unit``).  Lines above the header row and other columns are
    ignored.  Rows that repeat a block and dose pair are replicates; an empty
    response (or ``NA``) is a missing well.

    Parameters
    ----------
    path : str or Path
        The table.
    kind : {"inhibition", "viability"}
        What the responses are, in percent; required.  A response column
        named for the other kind, or a ``response_type`` column saying
        otherwise, is an error.
    sheet : str or int, optional
        Workbook sheet; by default the first sheet that has the columns.
    default_unit : str, optional
        Concentration unit when the table has no unit column.

    Returns
    -------
    DoseMatrices

    Raises
    ------
    FileFormatError
        If the columns are not found, a value is not a number, a
        concentration is negative or missing, or a block names two drug
        pairs (naming file, row and column).
    UnitError
        If a unit is missing or unknown.
    InputError
        If the table contradicts `kind`, or a block lacks its control or
        monotherapy wells.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "combo.csv"
    >>> _ = path.write_text(
    ...     "PairIndex,Drug1,Drug2,Conc1,Conc2,Response,ConcUnit\n"
    ...     "1,A,B,0,0,100,nM\n1,A,B,0,10,80,nM\n1,A,B,5,0,70,nM\n1,A,B,5,10,40,nM\n"
    ... )
    >>> m = read_combination_table(path, kind="viability")
    >>> m.block_ids, m.conc1.tolist(), m.mean_response[0].tolist()
    (('1',), [[0.0, 5e-09]], [[0.0, 20.0], [30.0, 60.0]])
    """
    kind = _kind_checked(kind)
    path = Path(path)
    sheets = read_sheets(path, sheet=sheet)
    if default_unit is not None:
        unit_factor(default_unit, context="default_unit: ")
    for s in sheets:
        found = _find_table_header(s)
        if found is None:
            continue
        header, columns = found
        frame = _table_frame(s, header, columns, kind, default_unit)
        return matrices_from_frame(
            frame, kind=kind, conc_unit=None, default_unit="M", source=path.name
        )
    wanted = ", ".join(f"{name} ({'/'.join(_TABLE_COLUMNS[name])})" for name in _REQUIRED)
    msg = f"{where(path.name)}no header row with the columns {wanted} (any case, _ ignored)"
    raise FileFormatError(msg)
