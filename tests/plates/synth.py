"""Synthetic assay tables with known truth, for the plate tests.

`make_plates` draws viability plates from a seeded ``numpy.random.Generator``:

* cell signal ``vehicle_signal * f(x) / top`` with the log-logistic curve
  ``f(x) = bottom + (top - bottom) / (1 + exp(hill (log x - log ec50)))``
  (x = 0 for vehicle wells, so f = top), times a log-normal factor of CV
  ``cell_cv``, times ``edge_factor`` on the outer ring;
* plus the blank level ``blank`` and Gaussian reader noise ``blank_sd`` in
  every well (blank wells are medium only);
* positive controls kill everything (cell signal 0);
* optional clipping at ``saturate_at`` (a detector plateau, no flag) and
  ``overflow_wells`` wells per plate read as NaN with read_flag "overflow".

Wells are placed at random (seeded) on the plate, so most replicate groups
straddle edge and interior.  The truth frame holds, per row of the table,
``true_viability`` (%), ``true_cell_signal`` and ``edge``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from resistlab.io import ASSAY_COLUMNS

DEFAULT_DOSES = tuple(1e-9 * 3.0**k for k in range(8))  # 1 nM … 2.2 uM


@dataclass(frozen=True)
class Synthetic:
    table: pd.DataFrame
    truth: pd.DataFrame  # same index: true_viability, true_cell_signal, edge


def log_logistic(dose, *, bottom, top, hill, ec50):
    dose = np.asarray(dose, dtype=float)
    with np.errstate(divide="ignore"):
        log_ratio = np.where(
            dose > 0, np.log(np.where(dose > 0, dose, 1.0)) - np.log(ec50), -np.inf
        )
    return bottom + (top - bottom) / (1.0 + np.exp(hill * log_ratio))


def well_name(row: int, col: int) -> str:
    letters = ""
    n = row + 1
    while n:
        n, remainder = divmod(n - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return f"{letters}{col + 1}"


def make_plates(
    rng: np.random.Generator,
    *,
    plates: Sequence[str] = ("P1",),
    reads: Sequence[str] = ("A570",),
    cell_lines: Sequence[str] = ("PC-9",),
    drug: str = "defactinib",
    doses: Sequence[float] = DEFAULT_DOSES,
    n_replicates: int = 3,
    n_vehicle: int = 6,
    n_positive: int = 4,
    n_blank: int = 6,
    shape: tuple[int, int] = (8, 12),
    ec50: float = 1e-7,
    hill: float = 1.0,
    top: float = 1.0,
    bottom: float = 0.05,
    vehicle_signal: float = 1.0,
    blank: float = 0.08,
    blank_sd: float = 0.005,
    cell_cv: float = 0.05,
    edge_factor: float = 1.0,
    saturate_at: float | None = None,
    overflow_wells: int = 0,
    decimals: int | None = None,
    readout: str = "MTT",
    culture: str = "2D",
    matrigel_lot: str | None = None,
) -> Synthetic:
    """Draw assay tables with known truth (see the module docstring)."""
    rows, cols = shape
    tables, truths = [], []
    for plate in plates:
        layout = []
        for cell_line in cell_lines:
            layout += [("vehicle", cell_line, drug, 0.0, k + 1) for k in range(n_vehicle)]
            layout += [
                ("sample", cell_line, drug, dose, k + 1)
                for dose in doses
                for k in range(n_replicates)
            ]
            layout += [
                ("positive_control", cell_line, "staurosporine", 1e-6, k + 1)
                for k in range(n_positive)
            ]
        layout += [("blank", None, None, np.nan, None)] * n_blank
        if len(layout) > rows * cols:
            raise ValueError(f"{len(layout)} wells do not fit a {rows} x {cols} plate")
        layout += [("empty", None, None, np.nan, None)] * (rows * cols - len(layout))
        positions = rng.permutation(rows * cols)
        frame = pd.DataFrame(layout, columns=["role", "cell_line", "drug", "concentration", "rep"])
        frame["row"] = positions // cols
        frame["col"] = positions % cols
        frame = frame.sort_values(["row", "col"]).reset_index(drop=True)
        edge = (
            (frame["row"] == 0)
            | (frame["row"] == rows - 1)
            | (frame["col"] == 0)
            | (frame["col"] == cols - 1)
        ).to_numpy()
        role = frame["role"].to_numpy()
        fraction = np.zeros(len(frame))
        cells = np.isin(role, ["sample", "vehicle"])
        fraction[cells] = (
            log_logistic(
                frame["concentration"].to_numpy()[cells],
                bottom=bottom,
                top=top,
                hill=hill,
                ec50=ec50,
            )
            / top
        )
        true_cell = vehicle_signal * fraction * np.where(edge, edge_factor, 1.0)
        for read in reads:
            sigma = np.sqrt(np.log1p(cell_cv**2))
            cell_noise = rng.lognormal(-0.5 * sigma**2, sigma, len(frame))
            value = blank + true_cell * cell_noise + rng.normal(0.0, blank_sd, len(frame))
            flag = np.full(len(frame), "", dtype=object)
            if saturate_at is not None:
                value = np.minimum(value, saturate_at)
            if overflow_wells:
                chosen = rng.choice(np.flatnonzero(cells), overflow_wells, replace=False)
                value[chosen] = np.nan
                flag[chosen] = "overflow"
            if decimals is not None:
                value = np.round(value, decimals)
            table = pd.DataFrame(
                {
                    "plate": plate,
                    "read": read,
                    "well": [
                        well_name(r, c) for r, c in zip(frame["row"], frame["col"], strict=True)
                    ],
                    "row": frame["row"].astype(int),
                    "col": frame["col"].astype(int),
                    "value": value,
                    "read_flag": flag.astype(str),
                    "role": frame["role"],
                    "cell_line": frame["cell_line"],
                    "drug": frame["drug"],
                    "concentration": frame["concentration"].astype(float),
                    "replicate": pd.array(frame["rep"], dtype="Int64"),
                    "source": [f"{plate}_{read}.csv, row {k + 2}" for k in range(len(frame))],
                    "readout": readout,
                    "culture": culture,
                    "matrigel_lot": matrigel_lot,
                    "matrigel_percent": np.nan if matrigel_lot is None else 2.0,
                    "seeding_density": 3000,
                    "incubation_hours": 72.0,
                    "time_zero": False,
                }
            )
            tables.append(table)
            truths.append(
                pd.DataFrame(
                    {
                        "true_viability": np.where(cells, 100.0 * fraction, np.nan),
                        "true_cell_signal": true_cell,
                        "edge": edge,
                    }
                )
            )
    table = pd.concat(tables, ignore_index=True)[ASSAY_COLUMNS]
    truth = pd.concat(truths, ignore_index=True)
    return Synthetic(table=table, truth=truth)
