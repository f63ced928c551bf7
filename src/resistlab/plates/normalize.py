"""Blank subtraction and normalisation of viability plates to their vehicle wells."""

from __future__ import annotations

import numpy as np
import pandas as pd

from resistlab.errors import InputError
from resistlab.plates._table import (
    CELL_ROLES,
    check_assay_table,
    group_index,
    list_names,
    location,
    working_frame,
)

__all__ = ["NORMALIZED_COLUMNS", "normalize_plate"]

#: Columns `normalize_plate` adds to the assay table (recomputed if present).
NORMALIZED_COLUMNS: tuple[str, ...] = (
    "usable",
    "blank_mean",
    "n_blank",
    "blank_subtracted",
    "signal",
    "vehicle_mean",
    "n_vehicle",
    "viability",
    "viability_note",
)


def normalize_plate(table: pd.DataFrame) -> pd.DataFrame:
    """Subtract blanks and express every cell well as % of its vehicle wells.

    For each plate and read, the blank level is the mean of the readable blank
    wells; it is subtracted from every well (``signal``).  For each plate,
    read and cell line, ``viability`` is ``100 * signal / vehicle_mean``,
    where ``vehicle_mean`` is the mean signal of that cell line's readable
    vehicle wells, so the vehicle wells average exactly 100.  Replicate wells
    stay separate rows; nothing is averaged or dropped.

    Parameters
    ----------
    table : DataFrame
        The assay table, one row per well and read, with at least ``plate``,
        ``read``, ``well``, ``value``, ``role`` and ``cell_line``; ``read_flag``,
        ``time_zero`` and every other column are used when present and passed
        through.

    Returns
    -------
    DataFrame
        A new frame: the table's columns and rows, in order, plus

        ``usable`` (bool)
            The well has a finite value and no read flag.
        ``blank_mean`` (float)
            Mean raw value of the readable blank wells of the plate and read;
            NaN when there are none.
        ``n_blank`` (int)
            Number of readable blank wells behind ``blank_mean``.
        ``blank_subtracted`` (bool)
            False when the plate and read have no readable blank, in which case
            nothing was subtracted and ``signal`` equals the raw value.
        ``signal`` (float)
            Raw value minus ``blank_mean``; NaN for unusable wells.
        ``vehicle_mean`` (float)
            Mean ``signal`` of the cell line's readable vehicle wells on the
            same plate and read; NaN for blank and empty wells.
        ``n_vehicle`` (int)
            Number of readable vehicle wells behind ``vehicle_mean``.
        ``viability`` (float)
            Percent of vehicle (100 = vehicle); NaN for unusable wells, blank
            and empty wells, and when no usable vehicle signal exists.
        ``viability_note`` (str)
            Why ``viability`` is NaN (``"read flag: overflow"``, ``"no value"``,
            ``"no usable vehicle wells"``, ``"vehicle signal <= 0"``, …); ``""``
            when it is not.

    Raises
    ------
    InputError
        If a cell line has sample wells but no vehicle wells on a plate and
        read (time-zero plates, ``time_zero`` true, are exempt: they keep
        ``signal`` and get NaN viability), or if the table is malformed
        (missing columns, unknown role, repeated well).
    TypeError
        If `table` is not a DataFrame.

    See Also
    --------
    resistlab.plates.plate_qc : reports the quality of the same plates.

    Notes
    -----
    Flagged wells (``read_flag`` not empty, e.g. ``"overflow"`` or
    ``"unreadable"``) and wells without a finite value never enter a mean;
    they are kept with NaN ``signal`` and ``viability`` and their flag.
    Vehicle wells whose blank-subtracted mean is not positive give NaN
    viability for the whole cell line rather than sign-flipped percentages.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({
    ...     "plate": "P1", "read": "A570",
    ...     "well": ["A1", "A2", "B1", "B2", "C1", "C2"],
    ...     "value": [0.10, 0.10, 1.00, 1.20, 0.55, float("nan")],
    ...     "read_flag": ["", "", "", "", "", "unreadable"],
    ...     "role": ["blank", "blank", "vehicle", "vehicle", "sample", "sample"],
    ...     "cell_line": [None, None, "PC-9", "PC-9", "PC-9", "PC-9"],
    ... })
    >>> out = normalize_plate(table)
    >>> out["viability"].round(1).tolist()
    [nan, nan, 90.0, 110.0, 45.0, nan]
    >>> out.loc[5, "viability_note"]
    'read flag: unreadable'
    """
    check_assay_table(table)
    work = normalized_work(working_frame(table))
    missing = missing_vehicle(work)
    if not missing.empty:
        problems = [
            f"{location(row.plate, row.read, row.cell_line)} has {row.n_sample} sample "
            f"well(s) ({row.wells}) but no vehicle wells"
            for row in missing.itertuples()
        ]
        msg = (
            "; ".join(problems[:5])
            + ("" if len(problems) <= 5 else f"; … ({len(problems)} in all)")
            + ". Viability is normalised to the vehicle wells of the same plate, read and "
            "cell line; add them to the plate map (or mark a time-zero plate time_zero=True)"
        )
        raise InputError(msg)
    out = table.copy()
    for column in NORMALIZED_COLUMNS:
        out[column] = work[column]
    return out


def normalized_work(work: pd.DataFrame) -> pd.DataFrame:
    """Add the normalisation columns to a working frame (a new frame)."""
    work = work.copy()
    usable = work["usable"]
    role = work["role"]
    plate_read = group_index(work, ("plate", "read"))
    blank_values = work["value"].where(usable & role.eq("blank"))
    blank_groups = blank_values.groupby(plate_read, sort=False)
    work["blank_mean"] = blank_groups.transform("mean")
    work["n_blank"] = blank_groups.transform("count").astype(int)
    work["blank_subtracted"] = work["n_blank"] > 0
    work["signal"] = (work["value"] - work["blank_mean"].fillna(0.0)).where(usable)

    vehicle_signal = work["signal"].where(role.eq("vehicle"))
    vehicle_groups = vehicle_signal.groupby(group_index(work), sort=False, dropna=False)
    cell = role.isin(CELL_ROLES)
    work["vehicle_mean"] = vehicle_groups.transform("mean").where(cell)
    work["n_vehicle"] = vehicle_groups.transform("count").where(cell, 0).astype(int)
    n_vehicle_wells = (
        role.eq("vehicle").groupby(group_index(work), sort=False, dropna=False).transform("sum")
    )
    positive = work["vehicle_mean"] > 0
    work["viability"] = (100.0 * work["signal"] / work["vehicle_mean"]).where(
        cell & usable & positive
    )
    has_value = np.isfinite(work["value"].to_numpy())
    conditions = [
        ~cell.to_numpy(),
        work["flag"].ne("").to_numpy(),
        ~has_value,
        (n_vehicle_wells == 0).to_numpy(),
        (work["n_vehicle"] == 0).to_numpy(),
        ~positive.to_numpy(),
    ]
    choices = [
        role + " well",
        "read flag: " + work["flag"],
        pd.Series("no value", index=work.index),
        pd.Series("no vehicle wells", index=work.index),
        pd.Series("no usable vehicle wells", index=work.index),
        pd.Series("vehicle signal <= 0", index=work.index),
    ]
    notes = np.select(conditions, [choice.to_numpy(dtype=object) for choice in choices], "")
    work["viability_note"] = pd.Series(notes, index=work.index, dtype=str)
    return work


def missing_vehicle(work: pd.DataFrame) -> pd.DataFrame:
    """List (plate, read, cell_line) groups with sample wells and no vehicle wells.

    Time-zero plates are exempt.  Columns: ``plate``, ``read``,
    ``cell_line``, ``n_sample``, ``wells`` (a short list for messages).
    """
    cell = work[work["role"].isin(CELL_ROLES) & ~work["time_zero"]]
    columns = ["plate", "read", "cell_line", "n_sample", "wells"]
    if cell.empty:
        return pd.DataFrame(columns=columns)
    grouped = cell.groupby(list(("plate", "read", "cell_line")), sort=False)
    n_vehicle = grouped["role"].agg(lambda roles: int((roles == "vehicle").sum()))
    lacking = n_vehicle[n_vehicle == 0].index
    rows = []
    for key in lacking:
        plate, read, cell_line = key
        members = cell[
            cell["plate"].eq(plate)
            & cell["read"].eq(read)
            & cell["cell_line"].eq(cell_line)
            & cell["role"].eq("sample")
        ]
        if members.empty:
            continue
        rows.append((plate, read, cell_line, len(members), list_names(members["well"], limit=3)))
    return pd.DataFrame(rows, columns=columns)
