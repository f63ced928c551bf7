"""Numbers behind the curve plots: one curve's data and its confidence band (private)."""

from __future__ import annotations

import operator

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats
from scipy.special import expit

from resistlab.dose_response import CurveFits, log_logistic
from resistlab.dose_response.fit import PARAMETERS


def named(params: ArrayLike) -> dict[str, float]:
    """Map (hill_slope, bottom, top, ec50) values to `log_logistic`'s keyword names."""
    return dict(zip(PARAMETERS, np.asarray(params, dtype=float).tolist(), strict=True))


def curve_index(fits: CurveFits, index: int) -> int:
    """Return `index` as a non-negative position in `fits`.

    Raises
    ------
    IndexError
        If `index` is outside ``range(-len(fits), len(fits))``.
    """
    position = operator.index(index)
    n = len(fits)
    if not -n <= position < n:
        msg = f"index {position} is out of range for {n} fitted curve(s)"
        raise IndexError(msg)
    return position % n


def curve_data(doses: ArrayLike, responses: ArrayLike, index: int) -> tuple[np.ndarray, np.ndarray]:
    """Return curve `index`'s (doses, responses), finite points only.

    1-D inputs are that curve's data; 2-D inputs are the batch given to
    `fit_curves`, of which row `index` is taken (1-D doses are shared by
    every curve, as `fit_curves` allows).

    Raises
    ------
    ValueError
        If the shapes do not match or a dose is negative.
    """
    x = np.asarray(doses, dtype=float)
    y = np.asarray(responses, dtype=float)
    if x.ndim == 2:
        x = x[index]
    if y.ndim == 2:
        y = y[index]
    if x.ndim != 1 or y.ndim != 1 or x.shape != y.shape:
        msg = (
            "doses and responses must be one curve's points (1-D, same length) or the "
            f"batch given to fit_curves (2-D); got shapes {np.shape(doses)} and "
            f"{np.shape(responses)}"
        )
        raise ValueError(msg)
    keep = np.isfinite(x) & np.isfinite(y)
    if np.any(x[keep] < 0):
        msg = f"doses must be non-negative, got {x[keep][x[keep] < 0][0]}"
        raise ValueError(msg)
    return x[keep], y[keep]


def parameters(fits: CurveFits, index: int) -> np.ndarray:
    """Return (hill_slope, bottom, top, ec50) of curve `index`."""
    return np.array([fits.hill_slope[index], fits.bottom[index], fits.top[index], fits.ec50[index]])


def response_gradient(doses: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Gradient of the fitted response w.r.t. (hill_slope, bottom, top, ec50), shape (D, 4).

    With ``s = b (log x - log e)`` and ``g = 1 / (1 + exp(s))``, the model is
    ``f = c + (d - c) g``, so ``df/db = -(d - c) g (1 - g) (log x - log e)``,
    ``df/dc = 1 - g``, ``df/dd = g`` and ``df/de = (d - c) g (1 - g) b / e``.
    """
    b, c, d, e = params
    log_ratio = np.log(doses) - np.log(e)
    g = expit(-b * log_ratio)
    slope = g * (1.0 - g)
    return np.column_stack(
        [
            -(d - c) * slope * log_ratio,
            1.0 - g,
            g,
            (d - c) * slope * b / e,
        ]
    )


def mean_response_band(
    fits: CurveFits, index: int, doses: np.ndarray, *, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Fitted mean response at `doses` with a pointwise delta-method confidence band.

    The half-width is ``t(1/2 + confidence/2, df_resid) * sqrt(J Σ J')``, with
    ``J`` the gradient of the response w.r.t. the four parameters and ``Σ``
    their covariance (restricted to the free parameters: fixed ones add nothing).

    Returns
    -------
    (fitted, lower, upper) or None
        None when the band is undefined (no residual degrees of freedom, a
        singular covariance or parameters that are not finite).
    """
    params = parameters(fits, index)
    # fixed parameters have no variance; use only the free block (their rows and
    # columns are documented as 0, but do not rely on it)
    free = np.asarray(fits.free, dtype=bool)
    covariance = np.where(free[:, None] & free[None, :], fits.covariance[index], 0.0)
    df = int(fits.df_resid[index])
    fitted = log_logistic(doses, **named(params))
    if df <= 0 or not (np.all(np.isfinite(params)) and np.all(np.isfinite(covariance))):
        return None
    jacobian = response_gradient(doses, params)
    variance = np.einsum("ki,ij,kj->k", jacobian, covariance, jacobian)
    if not np.all(np.isfinite(variance)):
        return None
    # rounding can leave -1e-30 where the variance is 0 (e.g. at a fixed asymptote)
    tolerance = 1e-9 * max(float(np.max(np.abs(variance))), np.finfo(float).tiny)
    if np.any(variance < -tolerance):
        return None
    variance = np.maximum(variance, 0.0)
    half = stats.t.ppf(0.5 + confidence / 2.0, df) * np.sqrt(variance)
    return fitted, fitted - half, fitted + half
