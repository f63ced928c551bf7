"""ZIP's row and column refits of the observed surface, all blocks in one batch.

Yadav et al. (2015) describe the combination effect along each row (drug 1
held at dose ``x1``) as a log-logistic curve in drug 2 that starts at drug
1's effect, ``y = (y1 + Emax (x2 / m)^l) / (1 + (x2 / m)^l)``, i.e. drc's LL.4
with its zero-dose asymptote fixed; likewise along each column. The kernel
fixes one value for a whole batch, so each curve is shifted by its own fixed
level and fitted as LL.3 with bottom 0: least squares are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from resistlab.dose_response import CurveFits, fit_curves
from resistlab.synergy._fit_marginals import SF_BOUNDS, SF_ZERO_DOSE, Mode, curve_values, slope_cap

__all__ = ["Refits", "refit_surface"]

_NUMERICAL = 3  # kernel status of a numerical failure


@dataclass(frozen=True, eq=False)
class Refits:
    """Refitted rows and columns of every block.

    Attributes
    ----------
    rows, cols : CurveFits
        Shifted fits (zero-dose level subtracted), ``B * (R - 1)`` rows then
        ``B * (C - 1)`` columns in block-major order.
    row_values : ndarray of shape (B, R, C)
        Row ``i`` (``i >= 1``) evaluated at every ``conc2``; NaN on row 0.
    col_values : ndarray of shape (B, R, C)
        Column ``j`` (``j >= 1``) evaluated at every ``conc1``; NaN on column 0.
    row_failed : ndarray of shape (B, R), bool
        Rows whose fit was impossible; their observed values are used.
    col_failed : ndarray of shape (B, C), bool
        The same for columns.
    """

    rows: CurveFits
    cols: CurveFits
    row_values: np.ndarray
    col_values: np.ndarray
    row_failed: np.ndarray
    col_failed: np.ndarray


def _replicate_mean(response: np.ndarray) -> np.ndarray:
    counts = np.sum(~np.isnan(response), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, np.nansum(response, axis=1) / np.maximum(counts, 1), np.nan)


def _with_zero(x: np.ndarray, y: np.ndarray, level: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Prepend a dose-0 point on the (shifted) fixed level, NaN where the level is unknown."""
    zero_x = np.where(np.isnan(level), np.nan, 0.0)[:, None]
    zero_y = np.where(np.isnan(level), np.nan, 0.0)[:, None]
    return np.hstack([zero_x, x]), np.hstack([zero_y, y])


def _failed(fits: CurveFits) -> np.ndarray:
    """Curves without usable parameters: too few points or a numerical failure."""
    finite = np.isfinite(fits.hill_slope) & np.isfinite(fits.top) & np.isfinite(fits.ec50)
    return ~finite | (fits.status == _NUMERICAL)


def refit_surface(
    conc1: np.ndarray,
    conc2: np.ndarray,
    response: np.ndarray,
    zero_rows: np.ndarray,
    zero_cols: np.ndarray,
    *,
    mode: Mode = "resistlab",
) -> Refits:
    """Refit every row and column of every block with its zero-dose level fixed.

    Parameters
    ----------
    conc1 : ndarray of shape (B, R)
        Molar doses of drug 1 (rows), ``conc1[:, 0] == 0``.
    conc2 : ndarray of shape (B, C)
        Molar doses of drug 2 (columns).
    response : ndarray of shape (B, K, R, C)
        Percent inhibition of each replicate.
    zero_rows : ndarray of shape (B, R)
        Level of row ``i`` at zero dose of drug 2 (drug 1's response at
        ``conc1[:, i]``).
    zero_cols : ndarray of shape (B, C)
        Level of column ``j`` at zero dose of drug 1.
    mode : {"resistlab", "synergyfinder"}
        "resistlab": replicates as points of the combination wells plus the
        fixed level at dose 0; the curve leaves the fixed level upwards or
        downwards (drc slope <= 0) with the kernel's slope cap and ec50
        window. "synergyfinder": replicate means, the monotherapy well
        included at SynergyFinder's tiny dose, no limits (drc's
        ``LL.4(fixed = c(NA, Emin, NA, NA))``).

    Returns
    -------
    Refits

    Examples
    --------
    >>> c = np.array([[0.0, 1e-8, 1e-7, 1e-6]])
    >>> y = 80 * c / (c + 1e-7)
    >>> r = (y[:, :, None] + y[:, None, :] - y[:, :, None] * y[:, None, :] / 100)[:, None]
    >>> fit = refit_surface(c, c, r, y, y)
    >>> bool(np.allclose(fit.row_values[0, 1:, 1:], r[0, 0, 1:, 1:], atol=1e-6))
    True
    """
    b_count, k_count, r_count, c_count = response.shape
    nr, nc = r_count - 1, c_count - 1
    if mode == "synergyfinder":
        mean = _replicate_mean(response)
        d1 = np.where(conc1 == 0, SF_ZERO_DOSE, conc1)
        d2 = np.where(conc2 == 0, SF_ZERO_DOSE, conc2)
        x_rows = np.broadcast_to(d2[:, None, :], (b_count, nr, c_count)).reshape(b_count * nr, -1)
        y_rows = (mean[:, 1:, :] - zero_rows[:, 1:, None]).reshape(b_count * nr, -1)
        x_cols = np.broadcast_to(d1[:, None, :], (b_count, nc, r_count)).reshape(b_count * nc, -1)
        y_cols = (mean[:, :, 1:].transpose(0, 2, 1) - zero_cols[:, 1:, None]).reshape(
            b_count * nc, -1
        )
    else:
        combo = response[:, :, 1:, 1:]  # (B, K, nr, nc)
        counts = np.sum(~np.isnan(combo), axis=1)
        if k_count > 1 and counts.min() == counts.max():
            # equal replicate numbers: least squares on the well means has the same
            # optimum as on every replicate (the within-well sum of squares is a
            # constant), with K times fewer points to fit
            combo = _replicate_mean(combo)[:, None]
            k_count = 1
        x_rows = np.broadcast_to(conc2[:, None, None, 1:], (b_count, nr, k_count, nc))
        x_rows = x_rows.reshape(b_count * nr, -1)
        y_rows = combo.transpose(0, 2, 1, 3) - zero_rows[:, 1:, None, None]
        y_rows = y_rows.reshape(b_count * nr, -1)
        x_cols = np.broadcast_to(conc1[:, None, None, 1:], (b_count, nc, k_count, nr))
        x_cols = x_cols.reshape(b_count * nc, -1)
        y_cols = combo.transpose(0, 3, 1, 2) - zero_cols[:, 1:, None, None]
        y_cols = y_cols.reshape(b_count * nc, -1)
        # the fixed level itself, once, at dose 0: no information, but it lets
        # a 4 x 4 matrix (three doses per curve) be fitted with three parameters
        x_rows, y_rows = _with_zero(x_rows, y_rows, zero_rows[:, 1:].ravel())
        x_cols, y_cols = _with_zero(x_cols, y_cols, zero_cols[:, 1:].ravel())
    width = max(x_rows.shape[1], x_cols.shape[1])
    x = np.full((x_rows.shape[0] + x_cols.shape[0], width), np.nan)
    y = np.full_like(x, np.nan)
    x[: x_rows.shape[0], : x_rows.shape[1]] = x_rows
    x[x_rows.shape[0] :, : x_cols.shape[1]] = x_cols
    y[: y_rows.shape[0], : y_rows.shape[1]] = y_rows
    y[y_rows.shape[0] :, : y_cols.shape[1]] = y_cols
    bounds: dict[str, tuple[ArrayLike, ArrayLike]]
    if mode == "synergyfinder":
        bounds = dict(SF_BOUNDS)
    else:
        cap = slope_cap(x)
        bounds = {"hill_slope": (-cap, np.zeros_like(cap))}
    fits = fit_curves(x, y, model="ll3", bottom=0.0, bounds=bounds)
    n_rows = b_count * nr
    rows = fits.take(np.arange(n_rows))
    cols = fits.take(np.arange(n_rows, n_rows + b_count * nc))

    mean_obs = _replicate_mean(response)
    row_curve = curve_values(rows, np.repeat(conc2[:, 1:], nr, axis=0), zero_rows[:, 1:].ravel())
    col_curve = curve_values(cols, np.repeat(conc1[:, 1:], nc, axis=0), zero_cols[:, 1:].ravel())
    row_curve = row_curve.reshape(b_count, nr, nc)
    col_curve = col_curve.reshape(b_count, nc, nr).transpose(0, 2, 1)
    row_failed = np.zeros((b_count, r_count), dtype=bool)
    col_failed = np.zeros((b_count, c_count), dtype=bool)
    row_failed[:, 1:] = _failed(rows).reshape(b_count, nr) & ~np.isnan(conc1[:, 1:])
    col_failed[:, 1:] = _failed(cols).reshape(b_count, nc) & ~np.isnan(conc2[:, 1:])
    combo_obs = mean_obs[:, 1:, 1:]
    # SynergyFinder's fallback for a curve it cannot fit: the observed responses
    row_curve = np.where(row_failed[:, 1:, None], combo_obs, row_curve)
    col_curve = np.where(col_failed[:, None, 1:], combo_obs, col_curve)
    row_values = np.full((b_count, r_count, c_count), np.nan)
    col_values = np.full_like(row_values, np.nan)
    row_values[:, 1:, 1:] = row_curve
    col_values[:, 1:, 1:] = col_curve
    row_values[:, 1:, 0] = zero_rows[:, 1:]
    col_values[:, 0, 1:] = zero_cols[:, 1:]
    return Refits(
        rows=rows,
        cols=cols,
        row_values=row_values,
        col_values=col_values,
        row_failed=row_failed,
        col_failed=col_failed,
    )
