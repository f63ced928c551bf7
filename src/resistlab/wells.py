"""Well names, plate shapes and row/column ranges, shared by readers, QC and figures.

Wells are addressed by 0-based ``(row, col)`` inside the package and named
``"A1"``, ``"P24"``, ``"AF48"`` (no zero padding) at the edges. Rows run
A..Z then AA..AF (1536-well plates); BMG MARS writes rows 27-32 of a
1536-well plate as lower-case ``a``..``f``, which grid readers accept.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from resistlab.errors import InputError

__all__ = [
    "PLATE_FORMATS",
    "PLATE_SHAPES",
    "check_in_plate",
    "describe_format",
    "format_for_shape",
    "parse_columns_spec",
    "parse_rows_spec",
    "parse_well",
    "row_index",
    "row_label",
    "shape_for_format",
    "smallest_format",
    "well_name",
]

#: Plate formats understood everywhere: number of wells -> (rows, columns).
PLATE_FORMATS: dict[int, tuple[int, int]] = {
    96: (8, 12),
    384: (16, 24),
    1536: (32, 48),
}

#: Every standard microplate shape as (rows, columns), smallest first: 6- to
#: 1536-well. Readers look for the grids of `PLATE_FORMATS`; QC and figures
#: accept any of these.
PLATE_SHAPES: tuple[tuple[int, int], ...] = (
    (2, 3),
    (3, 4),
    (4, 6),
    (6, 8),
    (8, 12),
    (16, 24),
    (32, 48),
)

_WELL_RE = re.compile(r"^\s*([A-Za-z]{1,2})\s*0*(\d{1,3})\s*$")
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def row_label(index: int) -> str:
    """Return the letter label of 0-based row `index`.

    Examples
    --------
    >>> row_label(0), row_label(7), row_label(26), row_label(31)
    ('A', 'H', 'AA', 'AF')
    """
    if index < 0:
        msg = f"row index must be >= 0, got {index}"
        raise ValueError(msg)
    if index < 26:
        return _LETTERS[index]
    return _LETTERS[index // 26 - 1] + _LETTERS[index % 26]


def row_index(label: str) -> int:
    """Return the 0-based index of a row label such as ``"B"`` or ``"AF"``.

    Labels are case-insensitive.

    Raises
    ------
    ValueError
        If `label` is not one or two letters.

    Examples
    --------
    >>> row_index("b"), row_index("AF")
    (1, 31)
    """
    text = str(label).strip().upper()
    if not re.fullmatch(r"[A-Z]{1,2}", text):
        msg = f"{label!r} is not a row label (A, B, ..., Z, AA, ..., AF)"
        raise ValueError(msg)
    if len(text) == 1:
        return _LETTERS.index(text)
    return (_LETTERS.index(text[0]) + 1) * 26 + _LETTERS.index(text[1])


def well_name(row: int, col: int) -> str:
    """Return the canonical name of the well at 0-based `row`, `col`.

    Examples
    --------
    >>> well_name(0, 0), well_name(15, 23), well_name(31, 47)
    ('A1', 'P24', 'AF48')
    """
    return f"{row_label(row)}{col + 1}"


def parse_well(text: object) -> tuple[int, int]:
    """Parse a well name into 0-based ``(row, col)``.

    Accepts ``"A1"``, ``"a01"``, ``"AF48"``, ``" B 3"``.

    Raises
    ------
    InputError
        If `text` is not a well name (an `InputError` is a `ValueError`).

    Examples
    --------
    >>> parse_well("B03")
    (1, 2)
    >>> parse_well("AF48")
    (31, 47)
    """
    match = _WELL_RE.match(str(text))
    if match is None or int(match.group(2)) < 1:
        msg = f"{text!r} is not a well name such as 'A1' or 'P24'"
        raise InputError(msg)
    return row_index(match.group(1)), int(match.group(2)) - 1


def shape_for_format(wells: int) -> tuple[int, int]:
    """Return ``(rows, columns)`` of a plate with `wells` wells.

    Raises
    ------
    ValueError
        If `wells` is not 96, 384 or 1536.

    Examples
    --------
    >>> shape_for_format(384)
    (16, 24)
    """
    try:
        return PLATE_FORMATS[int(wells)]
    except (KeyError, ValueError, TypeError) as err:
        msg = (
            f"unknown plate format {wells!r}; expected one of "
            f"{', '.join(str(n) for n in PLATE_FORMATS)}"
        )
        raise ValueError(msg) from err


def format_for_shape(rows: int, cols: int) -> int:
    """Return the number of wells of a ``rows`` x ``cols`` plate.

    Examples
    --------
    >>> format_for_shape(8, 12)
    96
    """
    for wells, shape in PLATE_FORMATS.items():
        if shape == (rows, cols):
            return wells
    msg = f"{rows}x{cols} is not a standard plate (8x12, 16x24, 32x48)"
    raise ValueError(msg)


def smallest_format(max_row: int, max_col: int) -> int:
    """Return the smallest plate format holding 0-based `max_row`, `max_col`.

    Examples
    --------
    >>> smallest_format(7, 11), smallest_format(8, 0), smallest_format(0, 30)
    (96, 384, 1536)
    """
    for wells, (rows, cols) in sorted(PLATE_FORMATS.items()):
        if max_row < rows and max_col < cols:
            return wells
    msg = (
        f"well {well_name(max_row, max_col)} does not fit any plate format "
        f"({', '.join(describe_format(n) for n in PLATE_FORMATS)})"
    )
    raise ValueError(msg)


def describe_format(wells: int) -> str:
    """Describe a plate format, e.g. ``'8x12 (96-well)'``.

    Examples
    --------
    >>> describe_format(1536)
    '32x48 (1536-well)'
    """
    rows, cols = shape_for_format(wells)
    return f"{rows}x{cols} ({wells}-well)"


def _split_spec(spec: object) -> list[object]:
    if isinstance(spec, (list, tuple)):
        return list(spec)
    if isinstance(spec, str):
        return [part for part in re.split(r"\s*,\s*", spec.strip()) if part]
    return [spec]


def _expand(parts: list[object], parse_one: Callable[[str], int], what: str) -> list[int]:
    out: list[int] = []
    for part in parts:
        text = str(part).strip()
        if isinstance(part, int) or re.fullmatch(r"[A-Za-z]{1,2}|\d+", text):
            bounds = [text]
        else:
            bounds = re.split(r"\s*(?:-|\.\.|:|\bto\b)\s*", text)
        if len(bounds) not in (1, 2) or not all(bounds):
            msg = f"{part!r} is not a {what} or a range of {what}s"
            raise ValueError(msg)
        ends = [parse_one(b) for b in bounds]
        lo, hi = ends[0], ends[-1]
        step = 1 if hi >= lo else -1
        out.extend(range(lo, hi + step, step))
    if not out:
        msg = f"empty {what} specification"
        raise ValueError(msg)
    if len(set(out)) != len(out):
        msg = f"{what}s repeat in {parts!r}"
        raise ValueError(msg)
    return out


def _column_index(text: str) -> int:
    if not re.fullmatch(r"\d{1,2}", text) or int(text) < 1:
        msg = f"{text!r} is not a column number (1, 2, ...)"
        raise ValueError(msg)
    return int(text) - 1


def parse_rows_spec(spec: object) -> list[int]:
    """Expand a row specification into 0-based row indices, in the order given.

    Accepts ``"B-G"``, ``"B..G"``, ``"B,D,F"``, ``["B", "C"]``, ``"H"``; a
    descending range such as ``"G-B"`` keeps its order.

    Raises
    ------
    ValueError
        If any part is not a row label or rows repeat.

    Examples
    --------
    >>> parse_rows_spec("B-D")
    [1, 2, 3]
    >>> parse_rows_spec(["H", "A"])
    [7, 0]
    """
    return _expand(_split_spec(spec), row_index, "row")


def parse_columns_spec(spec: object) -> list[int]:
    """Expand a column specification into 0-based column indices, in the order given.

    Accepts ``"2-10"``, ``"1,3,5"``, ``[11, 12]``, ``11``.

    Raises
    ------
    ValueError
        If any part is not a column number or columns repeat.

    Examples
    --------
    >>> parse_columns_spec("2-4")
    [1, 2, 3]
    >>> parse_columns_spec(12)
    [11]
    """
    return _expand(_split_spec(spec), _column_index, "column")


def check_in_plate(row: int, col: int, wells: int) -> None:
    """Raise `ValueError` if 0-based `row`, `col` lies outside a `wells`-well plate.

    Examples
    --------
    >>> check_in_plate(7, 11, 96)
    >>> check_in_plate(16, 0, 96)
    Traceback (most recent call last):
    ...
    ValueError: well Q1 is outside the 8x12 (96-well) plate
    """
    rows, cols = shape_for_format(wells)
    if not (0 <= row < rows and 0 <= col < cols):
        msg = f"well {well_name(row, col)} is outside the {describe_format(wells)} plate"
        raise ValueError(msg)
