"""Plate geometry and the per-panel data of the plate heat maps (private)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from resistlab.errors import InputError
from resistlab.wells import PLATE_SHAPES, parse_well

#: Roles outlined on the heat map (sample and empty wells are not).
MARKED_ROLES: tuple[str, ...] = ("vehicle", "positive_control", "blank")


def plate_format(max_row: int, max_col: int, *, plate: object = "") -> tuple[int, int]:
    """Return the smallest standard (rows, columns) holding a 0-based well position.

    Raises
    ------
    InputError
        If the position lies outside a 1536-well plate.

    Examples
    --------
    >>> plate_format(7, 11), plate_format(8, 3), plate_format(31, 47)
    ((8, 12), (16, 24), (32, 48))
    """
    for rows, cols in PLATE_SHAPES:
        if max_row < rows and max_col < cols:
            return rows, cols
    msg = (
        f"plate {plate}: a well at row {max_row + 1}, column {max_col + 1} fits no standard "
        "plate format (largest 32 x 48); give plate_shape"
    )
    raise InputError(msg)


@dataclass
class PlatePanel:
    """What one heat-map panel shows: one plate and read."""

    plate: str
    read: str
    shape: tuple[int, int]
    values: np.ndarray  # (rows, cols), NaN where no well or no value
    wells: dict[tuple[int, int], str] = field(default_factory=dict)
    roles: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    flagged: list[tuple[int, int]] = field(default_factory=list)
    issues: list[tuple[int, int, str, str]] = field(default_factory=list)  # row, col, well, text


def _text(series: pd.Series) -> pd.Series:
    """Strings with missing values as ``""``."""
    return series.astype(object).where(series.notna(), "").astype(str).str.strip()


def plate_panels(
    table: object, *, value: str, plate_shape: tuple[int, int] | None = None
) -> list[PlatePanel]:
    """Split a tidy assay table into heat-map panels, one per plate and read.

    Raises
    ------
    TypeError
        If `table` is not a DataFrame.
    InputError
        If columns are missing, a value is not numeric, a well repeats within
        a plate and read, or a well lies outside the plate.
    """
    if not isinstance(table, pd.DataFrame):
        msg = f"table must be a pandas DataFrame (the tidy assay table), got {type(table).__name__}"
        raise TypeError(msg)
    missing = [name for name in ("plate", "well", value) if name not in table.columns]
    if missing:
        msg = (
            f"table lacks column(s) {', '.join(missing)}; a plate heat map needs plate, "
            f"well and {value!r} (and read, row, col, role, read_flag when present)"
        )
        raise InputError(msg)
    if table.empty:
        msg = "table has no wells to draw"
        raise InputError(msg)
    work = pd.DataFrame(
        {
            "plate": _text(table["plate"]),
            "read": _text(table["read"]) if "read" in table.columns else "",
            "well": _text(table["well"]),
            "role": _text(table["role"]) if "role" in table.columns else "",
            "flag": _text(table["read_flag"]) if "read_flag" in table.columns else "",
        },
        index=table.index,
    )
    numbers = pd.to_numeric(table[value], errors="coerce")
    not_numeric = numbers.isna() & table[value].notna()
    if not_numeric.any():
        first = int(np.flatnonzero(not_numeric.to_numpy())[0])
        msg = (
            f"plate {work['plate'].iloc[first]}, well {work['well'].iloc[first]}: "
            f"{value} {table[value].iloc[first]!r} is not a number"
        )
        raise InputError(msg)
    work["value"] = numbers.astype(float)
    if "row" in table.columns and "col" in table.columns:
        work["row"] = pd.to_numeric(table["row"]).astype(int)
        work["col"] = pd.to_numeric(table["col"]).astype(int)
    else:
        positions = [parse_well(well) for well in work["well"]]
        work["row"] = [row for row, _ in positions]
        work["col"] = [col for _, col in positions]
    repeated = work.duplicated(["plate", "read", "row", "col"])
    if repeated.any():
        first = int(np.flatnonzero(repeated.to_numpy())[0])
        msg = (
            f"plate {work['plate'].iloc[first]}, read {work['read'].iloc[first]}: well "
            f"{work['well'].iloc[first]} appears more than once"
        )
        raise InputError(msg)
    if (work[["row", "col"]] < 0).any(axis=None):
        msg = "row and col must be 0-based positions (non-negative)"
        raise InputError(msg)
    panels = []
    for (plate, read), group in work.groupby(["plate", "read"], sort=False):
        extent = work.loc[work["plate"] == plate, ["row", "col"]].max()
        max_row, max_col = int(extent["row"]), int(extent["col"])
        if plate_shape is None:
            shape = plate_format(max_row, max_col, plate=plate)
        elif max_row >= plate_shape[0] or max_col >= plate_shape[1]:
            msg = (
                f"plate {plate}: a well at row {max_row + 1}, column {max_col + 1} lies "
                f"outside plate_shape {plate_shape}"
            )
            raise InputError(msg)
        else:
            shape = (int(plate_shape[0]), int(plate_shape[1]))
        rows = group["row"].to_numpy()
        cols = group["col"].to_numpy()
        values = np.full(shape, np.nan)
        values[rows, cols] = group["value"].to_numpy()
        positions = list(zip(rows.tolist(), cols.tolist(), strict=True))
        panel = PlatePanel(
            plate=str(plate),
            read=str(read),
            shape=shape,
            values=values,
            wells=dict(zip(positions, group["well"], strict=True)),
        )
        for role in MARKED_ROLES:
            mask = (group["role"] == role).to_numpy()
            if mask.any():
                panel.roles[role] = [p for p, m in zip(positions, mask, strict=True) if m]
        flagged = (group["flag"] != "").to_numpy()
        panel.flagged = [p for p, m in zip(positions, flagged, strict=True) if m]
        panels.append(panel)
    return panels


def _issue_rows(issue: Any) -> list[tuple[str, str | None, str, str]]:
    """Normalise one QC finding to (plate, read or None, well, text) rows.

    Accepts a ``(plate, well, text)`` tuple or an object with ``plate`` and
    ``wells`` (and optionally ``read`` and ``message``) attributes, such as a
    `resistlab.plates.QCIssue`.
    """
    if hasattr(issue, "plate") and hasattr(issue, "wells"):
        read = getattr(issue, "read", None)
        text = str(getattr(issue, "message", "") or "")
        return [
            (str(issue.plate), None if read is None else str(read), str(well), text)
            for well in issue.wells
        ]
    try:
        plate, well, text = issue
    except (TypeError, ValueError) as err:
        msg = f"each QC issue must be a (plate, well, text) tuple, got {issue!r}"
        raise TypeError(msg) from err
    return [(str(plate), None, str(well), "" if text is None else str(text))]


def attach_issues(panels: list[PlatePanel], qc_issues: Iterable[Any]) -> None:
    """Add the wells named in `qc_issues` to the panels of their plate (and read).

    Findings about plates not in `panels` are ignored.

    Raises
    ------
    InputError
        If a well name cannot be parsed or lies outside its plate.
    """
    for issue in qc_issues:
        for plate, read, well, text in _issue_rows(issue):
            for panel in panels:
                if panel.plate != plate or (read is not None and panel.read != read):
                    continue
                row, col = parse_well(well)
                if row >= panel.shape[0] or col >= panel.shape[1]:
                    msg = (
                        f"QC issue on plate {plate}: well {well} lies outside the "
                        f"{panel.shape[0]} x {panel.shape[1]} plate"
                    )
                    raise InputError(msg)
                if all((row, col) != (r, c) or text != t for r, c, _, t in panel.issues):
                    panel.issues.append((row, col, well, text))
