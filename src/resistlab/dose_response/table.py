"""Fit every curve of a tidy long table: one row per well, curves named by key columns."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from resistlab.dose_response.fit import CurveFits, Model, fit_curves
from resistlab.errors import InputError

__all__ = ["CurveTable", "curves_from_frame", "fit_frame"]

#: Curves per call of the kernel when a progress callback is given.
CHUNK = 50_000


@dataclass(frozen=True)
class CurveTable:
    """Curves gathered from a long table.

    Attributes
    ----------
    keys : DataFrame
        One row per curve: the values of the grouping columns.
    doses, responses : ndarray of shape (N, M)
        NaN-padded points of each curve, in table order.
    control_response : ndarray of shape (N,)
        The 100 % level of each curve: the mean response of its dose-0 rows,
        else the default given.
    control_source : ndarray of shape (N,), str
        "vehicle rows" or "default", saying where the level came from.
    """

    keys: pd.DataFrame
    doses: np.ndarray
    responses: np.ndarray
    control_response: np.ndarray
    control_source: np.ndarray


def curves_from_frame(
    frame: pd.DataFrame,
    *,
    dose: str,
    response: str,
    by: Sequence[str] = (),
    default_control: float = 100.0,
    source: str = "table",
) -> CurveTable:
    """Gather the curves of a long table into padded arrays.

    Parameters
    ----------
    frame : DataFrame
        One row per measurement.
    dose, response : str
        Column names; doses must be non-negative numbers (0 = vehicle).
    by : sequence of str
        Columns whose combinations name the curves (none: one curve).
    default_control : float
        100 % level for curves without dose-0 rows.
    source : str
        Name of the table for error messages (a file name).

    Raises
    ------
    InputError
        Naming the column and the (1-based, after the header) row of a
        missing column, a non-numeric or negative dose, or a non-numeric response.

    Examples
    --------
    >>> t = pd.DataFrame({"line": ["a", "a", "b"], "dose": [0, 1, 1], "y": [98, 50, 40]})
    >>> c = curves_from_frame(t, dose="dose", response="y", by=["line"])
    >>> c.doses.tolist(), c.control_response.tolist()
    ([[0.0, 1.0], [1.0, nan]], [98.0, 100.0])
    """
    missing = [c for c in (dose, response, *by) if c not in frame.columns]
    if missing:
        msg = (
            f"{source}: column(s) {', '.join(map(repr, missing))} not found; "
            f"the table has {', '.join(map(str, frame.columns))}"
        )
        raise InputError(msg)
    x = _numeric(frame[dose], dose, source)
    y = _numeric(frame[response], response, source)
    negative = np.flatnonzero(x < 0)
    if negative.size:
        i = negative[0]
        msg = f"{source}, row {i + 2}: dose {x[i]} in column {dose!r} is negative"
        raise InputError(msg)
    if by:
        grouped = frame.groupby(list(by), sort=False, dropna=False)
        codes = grouped.ngroup().to_numpy()
        keys = grouped.size().reset_index()[list(by)]
    else:
        codes = np.zeros(len(frame), dtype=np.int64)
        keys = pd.DataFrame(index=[0])
    n_curves = len(keys)
    position = pd.Series(codes).groupby(codes).cumcount().to_numpy()
    width = int(position.max()) + 1 if len(position) else 0
    doses = np.full((n_curves, width), np.nan)
    responses = np.full((n_curves, width), np.nan)
    doses[codes, position] = x
    responses[codes, position] = y
    vehicle = (doses == 0) & ~np.isnan(responses)
    n_vehicle = vehicle.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        vehicle_mean = np.where(vehicle, responses, 0.0).sum(axis=1) / n_vehicle
    has_vehicle = n_vehicle > 0
    return CurveTable(
        keys=keys,
        doses=doses,
        responses=responses,
        control_response=np.where(has_vehicle, vehicle_mean, default_control),
        control_source=np.where(has_vehicle, "vehicle rows", "default"),
    )


def fit_frame(
    frame: pd.DataFrame,
    *,
    dose: str,
    response: str,
    by: Sequence[str] = (),
    model: Model = "ll4",
    top: float | None = None,
    default_control: float = 100.0,
    source: str = "table",
    progress: Callable[[int, int], None] | None = None,
) -> tuple[CurveTable, CurveFits]:
    """Fit one log-logistic curve per group of a long table.

    Doses stay in the table's unit. Rows with dose 0 belong to the fit at the
    top asymptote (as drc fits them) and set the curve's 100 % level for
    absolute ICx.

    Parameters
    ----------
    progress : callable, optional
        Called as ``progress(done, total)`` after each chunk of curves, so
        an interface can show a progress bar.

    Returns
    -------
    CurveTable, CurveFits
    """
    curves = curves_from_frame(
        frame, dose=dose, response=response, by=by, default_control=default_control, source=source
    )
    n = len(curves.keys)
    if progress is None or n <= CHUNK:
        fits = fit_curves(
            curves.doses,
            curves.responses,
            model=model,
            top=top,
            control_response=curves.control_response,
        )
        if progress is not None:
            progress(n, n)
        return curves, fits
    parts = []
    for start in range(0, n, CHUNK):
        stop = min(start + CHUNK, n)
        parts.append(
            fit_curves(
                curves.doses[start:stop],
                curves.responses[start:stop],
                model=model,
                top=top,
                control_response=curves.control_response[start:stop],
            )
        )
        progress(stop, n)
    return curves, CurveFits.concat(parts)


def _numeric(column: pd.Series, name: str, source: str) -> np.ndarray:
    values = pd.to_numeric(column, errors="coerce")
    bad = np.flatnonzero(values.isna().to_numpy() & column.notna().to_numpy())
    if bad.size:
        i = bad[0]
        msg = f"{source}, row {i + 2}: {column.iloc[i]!r} in column {name!r} is not a number"
        raise InputError(msg)
    return values.to_numpy(dtype=float)
