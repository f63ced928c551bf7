"""Growth-rate inhibition (GR) values and metrics (Hafner, Niepel, Chung & Sorger 2016).

GR values compare the growth rate of treated cells with that of untreated
controls over the same assay, so that a slowly dividing (often resistant)
line is not mistaken for a sensitive one:

    GR(c) = 2 ** (log2(x(c) / x0) / log2(x_ctrl / x0)) - 1

where ``x(c)`` is the cell count after treatment at concentration ``c``,
``x_ctrl`` the count of untreated controls and ``x0`` the count at the time of
treatment. GR = 1 is no effect, 0 complete cytostasis, -1 all cells killed.

`gr_metrics` fits, per experiment, the GR sigmoid

    GR(c) = GRinf + (1 - GRinf) / (1 + (c / GEC50) ** h_GR)

with the project's batch kernel (`fit_curves`, top fixed at 1) and reports
the metrics with the conventions of the reference R implementation
(GRmetrics, the companion code of the paper, ``datarail/gr_metrics`` and
Bioconductor ``GRmetrics``):

* bounds ``h_GR`` in [0.1, 5], ``GRinf`` in [-1, 1], ``GEC50`` in
  [min(c) / 100, max(c) * 100];
* an F test of the sigmoid against a flat line at the mean GR, with
  ``df1 = 2`` and ``df2 = n - 2``; the sigmoid is kept when ``p < 0.05``;
* flat fits report ``GEC50 = 0``, ``h_GR = 0.01``, ``GRinf`` = mean GR and
  ``GR50 = +inf`` (mean GR > 0.5) or ``-inf``;
* ``GR50 = GEC50 * ((1 - GRinf) / (0.5 - GRinf) - 1) ** (1 / h_GR)``, set to
  ``+inf`` / ``-inf`` (by the mean GR, as for flat fits) where the curve
  never crosses 0.5;
* ``GRmax`` is observed, not fitted: the lowest of the mean GR values at the
  two highest tested concentrations;
* ``GR_AOC`` is the trapezoid area between 1 and the mean GR values over
  log10 concentration, divided by the log10 range tested.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from resistlab.dose_response._model import log_logistic
from resistlab.dose_response.fit import CurveFits, fit_curves
from resistlab.errors import InputError

__all__ = ["GRMetrics", "gr_metrics", "gr_values"]

#: Box constraints of the GR sigmoid, as in GRmetrics.
HILL_BOUNDS = (0.1, 5.0)
GRINF_BOUNDS = (-1.0, 1.0)
#: GEC50 may lie this factor beyond the lowest and highest tested concentration.
GEC50_MARGIN = 100.0
#: What GRmetrics reports for the hill slope of a flat fit.
FLAT_HILL = 0.01


def gr_values(counts: ArrayLike, control_counts: ArrayLike, time0_counts: ArrayLike) -> np.ndarray:
    """Compute GR values from treated, control and time-zero cell counts.

    ``GR = 2 ** (log2(counts / time0_counts) / log2(control_counts / time0_counts)) - 1``

    Parameters
    ----------
    counts : array_like
        Cell counts (or a proportional signal such as CellTiter-Glo) of
        treated wells at the end of the assay.
    control_counts : array_like
        Counts of untreated (vehicle) controls at the same time, broadcast
        against `counts`.
    time0_counts : array_like
        Counts at the time of treatment, broadcast against `counts`.

    Returns
    -------
    ndarray
        GR values, the broadcast shape of the inputs. NaN counts give NaN.

    Raises
    ------
    InputError
        A ``ValueError``: if a count is zero, negative or infinite, or the
        controls did not change from time zero (GR is undefined), naming the
        array and the index.

    Examples
    --------
    >>> gr_values([400.0, 100.0, 50.0], 400.0, 100.0)  # controls doubled twice
    array([ 1.        ,  0.        , -0.29289322])
    """
    arrays = np.broadcast_arrays(
        np.asarray(counts, dtype=float),
        np.asarray(control_counts, dtype=float),
        np.asarray(time0_counts, dtype=float),
    )
    for name, values in zip(("counts", "control_counts", "time0_counts"), arrays, strict=True):
        bad = (values <= 0) | np.isinf(values)
        if bad.any():
            index = _index_text(np.argwhere(bad)[0])
            msg = (
                f"{name} must be positive and finite to take logarithms; "
                f"index {index} has {values[tuple(np.argwhere(bad)[0])]}"
            )
            raise InputError(msg)
    x, x_ctrl, x0 = arrays
    log_ctrl = np.log2(x_ctrl / x0)
    if np.any(log_ctrl == 0):
        index = _index_text(np.argwhere(log_ctrl == 0)[0])
        msg = (
            f"control_counts equal time0_counts at index {index}: the controls did not "
            "grow, so the GR value is undefined"
        )
        raise InputError(msg)
    return np.asarray(2.0 ** (np.log2(x / x0) / log_ctrl) - 1.0)


@dataclass(frozen=True, eq=False)
class GRMetrics:
    """GR metrics of each experiment, with the per-well GR values behind them.

    All arrays have shape (N,), one entry per experiment, in the row order of
    `experiments`. Concentrations are in the unit of the input table.

    Attributes
    ----------
    keys : tuple of str
        The columns that identify an experiment.
    experiments : DataFrame
        The key values of each experiment, one row per experiment.
    gr50 : ndarray
        Concentration at which GR = 0.5; ``inf`` / ``-inf`` when the fitted
        curve never crosses 0.5 (by the mean GR being above or below 0.5).
    gr_max : ndarray
        Observed effect at the highest doses: the lowest of the mean GR
        values at the two highest concentrations.
    gr_inf : ndarray
        Fitted GR at infinite concentration (the mean GR for flat fits).
    gec50 : ndarray
        Concentration at half the fitted effect (0 for flat fits).
    h_gr : ndarray
        Hill slope of the fit (0.01 for flat fits).
    gr_aoc : ndarray
        Area over the GR curve (trapezoids of ``1 - mean GR`` over log10
        concentration), divided by the log10 range tested.
    r2 : ndarray
        ``1 - RSS_sigmoid / RSS_flat`` of the sigmoid fit (kept for flat calls).
    p_value : ndarray
        F test of the sigmoid against a flat line (df 2 and n - 2).
    fit : ndarray of str
        ``"sigmoid"`` when ``p_value < p_cutoff``, else ``"flat"`` (also when
        the p-value is undefined: too few points or no variation).
    gr_mean : ndarray
        Mean GR over all wells of the experiment (the flat fit's level).
    n_obs : ndarray of int
        Wells with a GR value.
    concentration_min, concentration_max : ndarray
        Lowest and highest concentration tested.
    p_cutoff : float
        Significance level of the flat/sigmoid call.
    values : DataFrame
        One row per treated well: the keys, concentration, the three counts,
        ``log10_concentration``, ``GR`` and ``experiment`` (row number in
        `experiments`).
    fits : CurveFits
        The sigmoid fits as the kernel returned them, before the flat
        convention is applied (``bottom`` is GRinf, ``ec50`` is GEC50; its
        ``f_pvalue`` and flags use the kernel's own F test, not GRmetrics').
    """

    keys: tuple[str, ...]
    experiments: pd.DataFrame
    gr50: np.ndarray
    gr_max: np.ndarray
    gr_inf: np.ndarray
    gec50: np.ndarray
    h_gr: np.ndarray
    gr_aoc: np.ndarray
    r2: np.ndarray
    p_value: np.ndarray
    fit: np.ndarray
    gr_mean: np.ndarray
    n_obs: np.ndarray
    concentration_min: np.ndarray
    concentration_max: np.ndarray
    p_cutoff: float
    values: pd.DataFrame
    fits: CurveFits

    def __len__(self) -> int:
        return int(self.gr50.shape[0])

    @property
    def sigmoid(self) -> np.ndarray:
        """True where the sigmoid fit was kept (bool array of shape (N,))."""
        return np.asarray(self.fit == "sigmoid")

    def predict(self, concentrations: ArrayLike) -> np.ndarray:
        """GR curve of each experiment at `concentrations`, shape (N, D).

        Flat calls give their constant level, the mean GR.
        """
        c = np.asarray(concentrations, dtype=float)
        if c.ndim == 1:
            c = c[None, :]
        curve = log_logistic(
            c,
            hill_slope=self.h_gr[:, None],
            bottom=self.gr_inf[:, None],
            top=1.0,
            ec50=self.gec50[:, None],
        )
        return np.where(self.sigmoid[:, None], curve, self.gr_mean[:, None])

    def flags(self) -> tuple[str, ...]:
        """Per experiment, why its sigmoid metrics should not be read as precise."""
        reasons: list[list[str]] = [[] for _ in range(len(self))]

        def add(mask: np.ndarray, text: str) -> None:
            for i in np.flatnonzero(mask & self.sigmoid):
                reasons[i].append(text)

        add(~self.fits.converged, "fit not converged")
        add(
            (self.h_gr <= HILL_BOUNDS[0]) | (self.h_gr >= HILL_BOUNDS[1]),
            "h_GR at its bound",
        )
        with np.errstate(invalid="ignore"):
            add(
                (self.gec50 <= self.concentration_min / GEC50_MARGIN * (1 + 1e-9))
                | (self.gec50 >= self.concentration_max * GEC50_MARGIN * (1 - 1e-9)),
                "GEC50 at its bound",
            )
            add(
                np.isfinite(self.gr50)
                & ((self.gr50 < self.concentration_min) | (self.gr50 > self.concentration_max)),
                "GR50 outside the tested range (extrapolated)",
            )
        return tuple("; ".join(r) for r in reasons)

    def to_frame(self) -> pd.DataFrame:
        """One row per experiment: the keys, then GRmetrics' columns.

        Columns: the keys, ``GR50``, ``GRmax``, ``GR_AOC``, ``GEC50``,
        ``GRinf``, ``h_GR``, ``r2``, ``pval``, ``fit``, ``GR_mean``, ``n``,
        ``concentration_min``, ``concentration_max``, ``flag``.

        """
        frame = self.experiments.reset_index(drop=True).copy()
        columns = {
            "GR50": self.gr50,
            "GRmax": self.gr_max,
            "GR_AOC": self.gr_aoc,
            "GEC50": self.gec50,
            "GRinf": self.gr_inf,
            "h_GR": self.h_gr,
            "r2": self.r2,
            "pval": self.p_value,
            "fit": self.fit,
            "GR_mean": self.gr_mean,
            "n": self.n_obs,
            "concentration_min": self.concentration_min,
            "concentration_max": self.concentration_max,
            "flag": np.asarray(self.flags(), dtype=object),
        }
        for name, column in columns.items():
            frame[name] = column
        return frame


def gr_metrics(
    table: pd.DataFrame,
    *,
    keys: Sequence[str] | None = None,
    concentration: str = "concentration",
    cell_count: str = "cell_count",
    control_count: str = "cell_count__ctrl",
    time0_count: str = "cell_count__time0",
    time: str = "time",
    treatment_keys: Sequence[str] = ("agent",),
    cap: bool = False,
    p_cutoff: float = 0.05,
) -> GRMetrics:
    """Fit GR curves and compute GR metrics for every experiment of a table.

    Two layouts are accepted (GRmetrics' cases A and C):

    * **A**: one row per treated well, with its own control and time-zero
      counts in the `control_count` and `time0_count` columns;
    * **C** (when those two columns are absent): controls and time-zero
      counts are rows of their own. Rows with ``time == 0`` are time-zero
      counts; rows with ``concentration == 0`` (and time > 0) are untreated
      controls. Each treated well is matched with the controls that share
      its keys except the `treatment_keys`, and with the time-zero counts
      that share them except also `time`; replicate counts are averaged by
      a 50 % trimmed mean, as GRmetrics does.

    All experiments are fitted in one batch call of `fit_curves` per
    distinct tested range (the GEC50 bounds depend on the range).

    Parameters
    ----------
    table : DataFrame
        The counts and the columns that identify experiments.
    keys : sequence of str, optional
        Columns identifying an experiment (e.g. cell line, agent, time,
        replicate); wells sharing them form one dose-response curve. By
        default every column except `concentration` and the count columns.
        In case C, `time` is always a key.
    concentration : str
        Column of concentrations (any single unit; the results use it).
    cell_count, control_count, time0_count : str
        Columns of treated, control and time-zero counts.
    time : str
        Column of the assay time (case C only).
    treatment_keys : sequence of str
        Keys that describe the treatment and are not used to match controls
        and time-zero counts to treated wells (case C only).
    cap : bool
        Clip GR values to [-1, 1] before fitting, as GRmetrics' ``cap`` (GR
        is always above -1, so only values above 1 change).
    p_cutoff : float
        Keep the sigmoid when the F test p-value is below this; 1 forces
        sigmoid fits (GRmetrics' ``force``).

    Returns
    -------
    GRMetrics
        NaN counts give NaN GR values, which are left out of the fits and
        means (GRmetrics' ``na.rm``).

    Raises
    ------
    InputError
        A ``ValueError``: for missing columns, a non-positive concentration
        of a treated well, a non-positive count, or (case C) a treated well
        without matching control or time-zero counts; the message names the
        column and row.

    Examples
    --------
    Two agents on one cell line, the controls doubling once during the assay:

    >>> c = np.tile(10.0 ** np.arange(-3, 1.5, 0.5), 2)
    >>> gr = np.concatenate(
    ...     [-0.2 + 1.2 / (1 + (c[:9] / 0.05) ** 1.2), 0.9 + 0.03 * np.cos(np.arange(9))]
    ... )
    >>> table = pd.DataFrame(
    ...     {"cell_line": "MCF7", "agent": np.repeat(["drugA", "drugB"], 9),
    ...      "concentration": c, "cell_count": 100 * (1 + gr),
    ...      "cell_count__ctrl": 200.0, "cell_count__time0": 100.0}
    ... )
    >>> result = gr_metrics(table)
    >>> result.to_frame()[["agent", "GR50", "GEC50", "GRinf", "h_GR", "GRmax", "fit"]].round(4)
       agent    GR50  GEC50   GRinf  h_GR   GRmax      fit
    0  drugA  0.0378   0.05 -0.2000  1.20 -0.1979  sigmoid
    1  drugB     inf   0.00  0.9044  0.01  0.8956     flat
    """
    if not isinstance(table, pd.DataFrame):
        msg = f"table must be a pandas DataFrame, got {type(table).__name__}"
        raise TypeError(msg)
    if not 0.0 < p_cutoff <= 1.0:
        msg = f"p_cutoff must be in (0, 1], got {p_cutoff}"
        raise ValueError(msg)
    _require_columns(table, [concentration, cell_count], "table")
    has_ctrl = control_count in table.columns
    has_time0 = time0_count in table.columns
    if has_ctrl != has_time0:
        present, absent = (control_count, time0_count) if has_ctrl else (time0_count, control_count)
        msg = (
            f"table has a {present!r} column but no {absent!r} column: give both (case A) "
            "or neither, with controls and time-zero counts as rows (case C)"
        )
        raise InputError(msg)
    measured = {concentration, cell_count, control_count, time0_count}
    key_list = [c for c in table.columns if c not in measured] if keys is None else list(keys)
    overlap = measured.intersection(key_list)
    if overlap:
        msg = f"keys must not include the concentration or count columns: {sorted(overlap)}"
        raise InputError(msg)
    if not has_ctrl:
        _require_columns(table, [time], "table (case C needs a time column)")
        if time not in key_list:
            key_list.append(time)
        data = _case_c_to_a(
            table,
            keys=key_list,
            concentration=concentration,
            cell_count=cell_count,
            control_count=control_count,
            time0_count=time0_count,
            time=time,
            treatment_keys=tuple(treatment_keys),
        )
    else:
        data = table
    _require_columns(data, key_list, "table (keys)")
    if data.shape[0] == 0:
        msg = "table has no treated wells to analyse"
        raise InputError(msg)
    conc, gr = _checked_gr(data, concentration, cell_count, control_count, time0_count)
    if cap:
        gr = np.clip(gr, -1.0, 1.0)

    values = data[[*key_list, concentration, cell_count, control_count, time0_count]].copy()
    values["log10_concentration"] = np.log10(conc)
    values["GR"] = gr
    if key_list:
        grouped = values.groupby(key_list, sort=True, dropna=False)
        code = grouped.ngroup().to_numpy()
        experiments = grouped.size().reset_index()[key_list]
    else:  # no key columns: the whole table is one experiment
        code = np.zeros(len(values), dtype=np.int64)
        experiments = pd.DataFrame(index=pd.RangeIndex(1))
    values["experiment"] = code
    n = len(experiments)

    doses, responses = _padded_batch(code, conc, gr, n)
    conc_min = np.fmin.reduce(doses, axis=1)
    conc_max = np.fmax.reduce(doses, axis=1)
    fits = _fit_gr_curves(doses, responses, conc_min, conc_max)
    gr_mean, n_obs, p_value, r2 = _flat_test(responses, fits.rss)
    # an undefined p-value (too few points, no variation) counts as flat
    sigmoid = ~np.isnan(fits.ec50) & (p_value < p_cutoff)
    fit = np.where(sigmoid, "sigmoid", "flat").astype(object)

    gec50 = np.where(sigmoid, fits.ec50, 0.0)
    h_gr = np.where(sigmoid, fits.hill_slope, FLAT_HILL)
    gr_inf = np.where(sigmoid, fits.bottom, gr_mean)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        gr50 = gec50 * ((1.0 - gr_inf) / (0.5 - gr_inf) - 1.0) ** (1.0 / h_gr)
    not_reached = np.where(gr_mean > 0.5, np.inf, -np.inf)
    gr50 = np.where(sigmoid & ~np.isnan(gr50), gr50, not_reached)

    gr_max, gr_aoc = _observed_metrics(code, conc, gr, n)
    return GRMetrics(
        keys=tuple(key_list),
        experiments=experiments,
        gr50=gr50,
        gr_max=gr_max,
        gr_inf=gr_inf,
        gec50=gec50,
        h_gr=h_gr,
        gr_aoc=gr_aoc,
        r2=r2,
        p_value=p_value,
        fit=fit,
        gr_mean=gr_mean,
        n_obs=n_obs,
        concentration_min=conc_min,
        concentration_max=conc_max,
        p_cutoff=float(p_cutoff),
        values=values,
        fits=fits,
    )


def _index_text(index: np.ndarray) -> str:
    """Format an array index as ``3`` or ``(1, 2)``."""
    items = tuple(int(i) for i in index)
    if len(items) == 0:
        return "()"
    return str(items[0]) if len(items) == 1 else str(items)


def _require_columns(table: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        msg = (
            f"{what}: missing column(s) {missing}; the table has {[str(c) for c in table.columns]}"
        )
        raise InputError(msg)


def _numeric(table: pd.DataFrame, column: str) -> np.ndarray:
    """Return a column as floats, naming it when it is not numeric."""
    try:
        return table[column].to_numpy(dtype=float)
    except (TypeError, ValueError) as err:
        msg = f"column {column!r} must be numeric"
        raise InputError(msg) from err


def _checked_gr(
    data: pd.DataFrame, concentration: str, cell_count: str, control_count: str, time0_count: str
) -> tuple[np.ndarray, np.ndarray]:
    """Validate concentrations and counts of the treated wells; return them with GR values."""
    conc = _numeric(data, concentration)
    bad = ~(conc > 0) | np.isinf(conc)
    if bad.any():
        label = data.index[np.flatnonzero(bad)[0]]
        msg = (
            f"row {label!r}, column {concentration!r}: treated wells need a positive, finite "
            f"concentration, got {conc[bad][0]} (untreated controls belong in "
            f"{control_count!r}, or in rows of their own in case C)"
        )
        raise InputError(msg)
    counts = {}
    for column in (cell_count, control_count, time0_count):
        column_values = _numeric(data, column)
        bad = (column_values <= 0) | np.isinf(column_values)
        if bad.any():
            label = data.index[np.flatnonzero(bad)[0]]
            msg = (
                f"row {label!r}, column {column!r}: counts must be positive and finite, "
                f"got {column_values[bad][0]}"
            )
            raise InputError(msg)
        counts[column] = column_values
    same = counts[control_count] == counts[time0_count]
    if same.any():
        label = data.index[np.flatnonzero(same)[0]]
        msg = (
            f"row {label!r}: {control_count!r} equals {time0_count!r}, so the controls did "
            "not grow and the GR value is undefined"
        )
        raise InputError(msg)
    return conc, gr_values(counts[cell_count], counts[control_count], counts[time0_count])


def _padded_batch(
    code: np.ndarray, conc: np.ndarray, gr: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Doses and GR values as (experiments x wells) arrays, sorted by dose, NaN-padded."""
    order = np.lexsort((conc, code))
    code_sorted = code[order]
    starts = np.searchsorted(code_sorted, np.arange(n))
    position = np.arange(order.size) - starts[code_sorted]
    width = int(position.max()) + 1
    doses = np.full((n, width), np.nan)
    responses = np.full((n, width), np.nan)
    doses[code_sorted, position] = conc[order]
    responses[code_sorted, position] = gr[order]
    return doses, responses


def _flat_test(
    responses: np.ndarray, rss: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean GR, points, F-test p-value and r2 of each sigmoid fit against a flat line.

    GRmetrics' degrees of freedom: ``df1 = 3 - 1`` and ``df2 = n - 3 + 1``.
    """
    valid = ~np.isnan(responses)
    n_obs = valid.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        gr_mean = np.where(n_obs > 0, np.nansum(responses, axis=1) / n_obs, np.nan)
        rss_flat = np.nansum((responses - gr_mean[:, None]) ** 2, axis=1)
        df_resid = n_obs - 2
        f_value = ((rss_flat - rss) / 2.0) / (rss / df_resid)
        ok = (df_resid > 0) & ~np.isnan(f_value)
        p_value = np.full(responses.shape[0], np.nan)
        p_value[ok] = stats.f.sf(f_value[ok], 2, df_resid[ok])
        r2 = 1.0 - rss / rss_flat
    return gr_mean, n_obs, p_value, r2


def _fit_gr_curves(
    doses: np.ndarray, responses: np.ndarray, conc_min: np.ndarray, conc_max: np.ndarray
) -> CurveFits:
    """Fit the GR sigmoid to every row, one `fit_curves` call per distinct tested range.

    `fit_curves` takes one scalar bound per parameter, while GRmetrics bounds
    GEC50 by each experiment's own range; experiments sharing a range (the
    usual case: one dilution series) share a call.
    """
    ranges = np.column_stack([conc_min, conc_max])
    distinct, inverse = np.unique(ranges, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    parts = []
    for j, (low, high) in enumerate(distinct):
        rows = np.flatnonzero(inverse == j)
        part = fit_curves(
            doses[rows],
            responses[rows],
            top=1.0,
            control_response=1.0,
            bounds={
                "hill_slope": HILL_BOUNDS,
                "bottom": GRINF_BOUNDS,
                "ec50": (float(low) / GEC50_MARGIN, float(high) * GEC50_MARGIN),
            },
        )
        parts.append((rows, part))
    if len(parts) == 1:
        return parts[0][1]
    return _stack_fits(parts, doses.shape[0])


def _stack_fits(parts: list[tuple[np.ndarray, CurveFits]], n: int) -> CurveFits:
    """Reassemble per-range `CurveFits` into one, in the original row order."""
    first = parts[0][1]
    merged: dict[str, object] = {}
    for f in dataclasses.fields(CurveFits):
        value = getattr(first, f.name)
        if isinstance(value, np.ndarray):
            out = np.empty((n, *value.shape[1:]), dtype=value.dtype)
            for rows, part in parts:
                out[rows] = getattr(part, f.name)
            merged[f.name] = out
        elif f.name == "flags":
            flags = [""] * n
            for rows, part in parts:
                for i, text in zip(rows, part.flags, strict=True):
                    flags[i] = text
            merged[f.name] = tuple(flags)
        else:
            merged[f.name] = value
    return CurveFits(**merged)  # type: ignore[arg-type]


def _observed_metrics(
    code: np.ndarray, conc: np.ndarray, gr: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """GRmax and GR_AOC from the mean GR at each concentration of each experiment."""
    levels = (
        pd.DataFrame({"experiment": code, "concentration": conc, "GR": gr})
        .groupby(["experiment", "concentration"], sort=True)["GR"]
        .mean()
        .reset_index()
    )
    exp = levels["experiment"].to_numpy()
    log_c = np.log10(levels["concentration"].to_numpy())
    mean = levels["GR"].to_numpy()
    # GRmax: lowest mean GR among the two highest concentrations
    rank_from_top = levels.groupby("experiment").cumcount(ascending=False).to_numpy()
    top_two = pd.Series(np.where(rank_from_top < 2, mean, np.nan))
    gr_max = top_two.groupby(exp).min().reindex(range(n)).to_numpy()
    # GR_AOC: trapezoids of 1 - mean GR between neighbouring concentrations
    same = exp[1:] == exp[:-1]
    area = (1.0 - (mean[1:] + mean[:-1]) / 2.0) * np.diff(log_c)
    area = np.where(same & ~np.isnan(area), area, 0.0)
    total = np.bincount(exp[1:], weights=area, minlength=n)
    low = pd.Series(log_c).groupby(exp).min().reindex(range(n)).to_numpy()
    high = pd.Series(log_c).groupby(exp).max().reindex(range(n)).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        gr_aoc = total / (high - low)
    return gr_max, gr_aoc


def _trim_mean(values: np.ndarray, percent: float = 50.0) -> float:
    """Mean of the central values after trimming `percent` % in total, as GRmetrics.

    GRmetrics' ``.trim_mean`` drops ``k = n * percent / 200`` values from
    each end, rounding k down when it is a half-integer and to the nearest
    integer otherwise (so three values give their median).
    """
    x = np.sort(np.asarray(values, dtype=float)[~np.isnan(values)])
    n = x.size
    if n == 0:
        return float("nan")
    k = n * percent / 200.0
    drop = int(np.floor(k)) if (2 * k).is_integer() and not k.is_integer() else round(k)
    return float(x[drop : n - drop].mean())


def _case_c_to_a(
    table: pd.DataFrame,
    *,
    keys: list[str],
    concentration: str,
    cell_count: str,
    control_count: str,
    time0_count: str,
    time: str,
    treatment_keys: tuple[str, ...],
) -> pd.DataFrame:
    """Attach control and time-zero counts (trimmed means) to the treated rows."""
    _require_columns(table, keys, "table (keys)")
    unknown = [k for k in treatment_keys if k not in keys]
    if unknown:
        msg = f"treatment_keys {unknown} are not among the keys {keys}"
        raise InputError(msg)
    t = _numeric(table, time)
    c = _numeric(table, concentration)
    if np.isnan(t).any() or (t < 0).any():
        label = table.index[np.flatnonzero(np.isnan(t) | (t < 0))[0]]
        msg = f"row {label!r}, column {time!r}: time must be 0 (time zero) or positive"
        raise InputError(msg)
    time0_rows = t == 0
    ctrl_rows = (t > 0) & (c == 0)
    treated = table.loc[(t > 0) & ~(c == 0)]
    ctrl_keys = [k for k in keys if k not in treatment_keys]
    time0_keys = [k for k in ctrl_keys if k != time]

    def average(rows: np.ndarray, by: list[str], name: str) -> pd.DataFrame:
        part = table.loc[rows, [*by, cell_count]]
        if not by:
            return pd.DataFrame({name: [_trim_mean(part[cell_count].to_numpy(dtype=float))]})
        return (
            part.groupby(by, sort=False, dropna=False)[cell_count]
            .agg(lambda s: _trim_mean(s.to_numpy(dtype=float)))
            .rename(name)
            .reset_index()
        )

    out = treated.drop(columns=[control_count, time0_count], errors="ignore")
    for rows, by, name, what in (
        (ctrl_rows, ctrl_keys, control_count, f"control (concentration 0, {time} > 0)"),
        (time0_rows, time0_keys, time0_count, f"time-zero ({time} == 0)"),
    ):
        means = average(rows, by, name)
        joined = out.merge(means, on=by, how="left") if by else out.assign(**{name: means[name][0]})
        joined.index = out.index
        missing = joined[name].isna().to_numpy()
        if missing.any():
            label = out.index[np.flatnonzero(missing)[0]]
            where = ", ".join(f"{k}={out.loc[label, k]!r}" for k in by)
            msg = f"row {label!r}: no {what} counts match {where or 'this row'}"
            raise InputError(msg)
        out = joined
    return out
