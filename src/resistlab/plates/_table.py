"""Checks and helpers shared by the plate functions (private).

The assay table is the tidy frame that `resistlab.io` readers produce: one
row per well and read.  This module validates it once at entry and builds a
working frame with canonical helper columns, so the public functions can be
written with vectorised pandas group operations.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from resistlab.errors import InputError
from resistlab.wells import PLATE_SHAPES, parse_well

#: Columns every function in `resistlab.plates` needs.
REQUIRED_COLUMNS: tuple[str, ...] = ("plate", "read", "well", "value", "role", "cell_line")

#: The well roles a plate map may assign.
ROLES: tuple[str, ...] = ("sample", "vehicle", "blank", "positive_control", "empty")

#: Roles of wells that contain cells of a cell line.
CELL_ROLES: tuple[str, ...] = ("sample", "vehicle", "positive_control")


#: Group keys of one normalisation unit.
GROUP_KEYS: tuple[str, str, str] = ("plate", "read", "cell_line")

_MAX_LISTED = 8


def list_names(names: Iterable[object], *, limit: int = _MAX_LISTED) -> str:
    """Join names with commas, ending in ``… (N in all)`` when there are many.

    Examples
    --------
    >>> list_names(["A1", "B2"])
    'A1, B2'
    >>> list_names([f"A{i}" for i in range(1, 11)], limit=3)
    'A1, A2, A3, … (10 in all)'
    """
    items = [str(name) for name in names]
    if len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[:limit]) + f", … ({len(items)} in all)"


def location(plate: Any, read: Any, cell_line: Any = None) -> str:
    """Format ``plate P1, read A570, cell line PC-9`` for messages."""
    text = f"plate {plate}, read {read}"
    if cell_line is not None and not pd.isna(cell_line):
        text += f", cell line {cell_line}"
    return text


def _first(mask: pd.Series) -> int:
    """Return the position of the first True in a boolean Series."""
    return int(np.flatnonzero(mask.to_numpy(dtype=bool))[0])


def _where(frame: pd.DataFrame, position: int) -> str:
    """Describe one row of the assay table: plate, well and source."""
    row = frame.iloc[position]
    text = f"plate {row['plate']}, well {row['well']}"
    if "source" in frame.columns and isinstance(row["source"], str) and row["source"]:
        text += f" ({row['source']})"
    return text


def check_assay_table(table: object, *, name: str = "table") -> pd.DataFrame:
    """Check an assay table and return it (as a DataFrame) for further work.

    Raises
    ------
    TypeError
        If `table` is not a DataFrame.
    InputError
        If required columns are missing, a role is unknown, a cell well has no
        cell line, a value is not numeric, or a (plate, read, well) repeats.
    """
    if not isinstance(table, pd.DataFrame):
        msg = f"{name} must be a pandas DataFrame (the assay table), not {type(table).__name__}"
        raise TypeError(msg)
    missing = [column for column in REQUIRED_COLUMNS if column not in table.columns]
    if missing:
        msg = (
            f"{name} lacks the column(s) {', '.join(missing)}; an assay table has "
            f"{', '.join(REQUIRED_COLUMNS)} (and read_flag, row, col, drug, concentration, …)"
        )
        raise InputError(msg)
    if table.index.has_duplicates:
        msg = f"{name} has a repeated index; call .reset_index(drop=True) first"
        raise InputError(msg)

    for column in ("plate", "read", "well"):
        absent = table[column].isna()
        if absent.any():
            first = _first(absent)
            msg = f"{name}, row {first + 1}: {column} is missing"
            raise InputError(msg)

    role = table["role"]
    bad_role = ~role.isin(ROLES)
    if bad_role.any():
        first = _first(bad_role)
        msg = (
            f"{_where(table, first)}: unknown role {role.iloc[first]!r}; "
            f"expected one of {', '.join(ROLES)}"
        )
        raise InputError(msg)

    no_line = role.isin(CELL_ROLES) & _blank_text(table["cell_line"])
    if no_line.any():
        first = _first(no_line)
        msg = f"{_where(table, first)}: a {role.iloc[first]} well has no cell_line"
        raise InputError(msg)

    if not pd.api.types.is_numeric_dtype(table["value"]) or pd.api.types.is_bool_dtype(
        table["value"]
    ):
        numeric = pd.to_numeric(table["value"], errors="coerce")
        bad = numeric.isna() & table["value"].notna()
        if bad.any():
            first = _first(bad)
            msg = (
                f"{_where(table, first)}: value {table['value'].iloc[first]!r} is not a number "
                "(unreadable wells have NaN and a read_flag)"
            )
            raise InputError(msg)

    duplicated = table.duplicated(["plate", "read", "well"], keep=False)
    if duplicated.any():
        first = _first(duplicated)
        msg = (
            f"{_where(table, first)}: read {table['read'].iloc[first]!r} appears more than "
            "once; an assay table has one row per plate, read and well"
        )
        raise InputError(msg)
    return table


def _blank_text(series: pd.Series) -> pd.Series:
    """Return True where a text column is missing or empty."""
    return series.isna() | series.astype(str).str.strip().eq("").fillna(True)


def working_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Return the helper columns the plate functions compute on.

    Columns: ``plate``, ``read``, ``well``, ``cell_line``, ``role`` (as in the
    table), ``value`` (float), ``flag`` (str, ``""`` when none), ``row``,
    ``col`` (parsed from ``well`` when absent or incomplete), ``drug`` (str, ``""`` when
    none), ``concentration`` (float), ``time_zero`` (bool) and ``usable``
    (a finite value and no read flag).
    """
    work = pd.DataFrame(index=table.index)
    for column in ("plate", "read", "well", "role"):
        work[column] = table[column].astype(str)
    cell_line = table["cell_line"].astype(str).str.strip()
    work["cell_line"] = cell_line.where(~_blank_text(table["cell_line"]))
    work["value"] = pd.to_numeric(table["value"], errors="coerce").astype(float)
    if "read_flag" in table.columns:
        work["flag"] = table["read_flag"].astype(str).fillna("").str.strip()
    else:
        work["flag"] = ""
    given = [pd.to_numeric(table[c], errors="coerce") for c in ("row", "col") if c in table]
    if len(given) == 2 and not (given[0].isna().any() or given[1].isna().any()):
        work["row"] = given[0].astype(int)
        work["col"] = given[1].astype(int)
    else:
        positions = [parse_well(well) for well in work["well"]]
        work["row"] = [position[0] for position in positions]
        work["col"] = [position[1] for position in positions]
    if "drug" in table.columns:
        work["drug"] = table["drug"].astype(str).fillna("").str.strip()
    else:
        work["drug"] = ""
    if "concentration" in table.columns:
        work["concentration"] = pd.to_numeric(table["concentration"]).astype(float)
    else:
        work["concentration"] = np.nan
    if "time_zero" in table.columns:
        work["time_zero"] = table["time_zero"].fillna(False).astype(bool)
    else:
        work["time_zero"] = False
    work["usable"] = np.isfinite(work["value"].to_numpy()) & work["flag"].eq("").to_numpy()
    return work


def plate_shapes(
    work: pd.DataFrame, *, plate_shape: tuple[int, int] | None = None
) -> dict[str, tuple[int, int]]:
    """Return (rows, columns) of each plate: given, or the smallest standard format.

    Raises
    ------
    InputError
        If a well lies outside `plate_shape` or outside every standard format.
    """
    extent = work.groupby("plate", sort=False)[["row", "col"]].max()
    shapes: dict[str, tuple[int, int]] = {}
    for plate, (max_row, max_col) in zip(extent.index, extent.to_numpy(dtype=int), strict=True):
        if plate_shape is not None:
            if max_row >= plate_shape[0] or max_col >= plate_shape[1]:
                msg = (
                    f"plate {plate}: a well at row {max_row + 1}, column {max_col + 1} lies "
                    f"outside plate_shape {plate_shape}"
                )
                raise InputError(msg)
            shapes[str(plate)] = (int(plate_shape[0]), int(plate_shape[1]))
            continue
        fitting = [shape for shape in PLATE_SHAPES if max_row < shape[0] and max_col < shape[1]]
        if not fitting:
            msg = (
                f"plate {plate}: wells up to row {max_row + 1}, column {max_col + 1} fit no "
                "standard plate format (largest 32 x 48); give plate_shape"
            )
            raise InputError(msg)
        shapes[str(plate)] = fitting[0]
    return shapes


def group_index(work: pd.DataFrame, keys: Sequence[str] = GROUP_KEYS) -> list[pd.Series]:
    """Return the key Series for ``groupby`` over `keys` (missing keys kept)."""
    return [work[key] for key in keys]
