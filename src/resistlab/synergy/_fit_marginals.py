"""Single-agent (marginal) curve fits of many dose matrices in one batch.

Every block contributes two curves: drug 1 alone (column 0 of the matrix,
with the control well) and drug 2 alone (row 0, with the control well). All
``2 B`` curves go to :func:`resistlab.dose_response.fit_curves` in a single
call, so the compiled kernel fits a screen as fast as one matrix.

Two fitting choices are available (the ``mode`` of the public models):

``"resistlab"``
    LL.4 on percent inhibition with the kernel's defaults: every replicate is
    a point, the control well sits at dose 0 (the zero-dose asymptote, as drc
    treats a true zero), the slope is capped where the curve would become a
    step between two tested doses and the ec50 is kept within a decade of
    the tested range (both flagged when reached).
``"synergyfinder"``
    SynergyFinder 3's choices: replicate means, the control well moved to a
    tiny positive dose (SynergyFinder replaces 0 by ``1e-10`` in the input
    unit; here ``1e-19`` M, i.e. ``1e-10`` nM), and no slope or ec50 limits
    (drc's LL.4 is unconstrained). SynergyFinder's refit with drc's ``L.4``
    on log dose after an ``LL.4`` warning fits the same curve, so the kernel's
    least-squares optimum stands for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from resistlab.dose_response import FLAG_REASONS, CurveFits, fit_curves, log_logistic

__all__ = [
    "SF_ZERO_DOSE",
    "Marginals",
    "Mode",
    "curve_values",
    "fit_marginals",
    "fit_reasons",
    "slope_cap",
]

Mode = Literal["resistlab", "synergyfinder"]

#: Where SynergyFinder puts the control well on the dose axis: ``1e-10`` of the
#: input unit, which is nM in its examples (``1e-10`` nM = ``1e-19`` M).
SF_ZERO_DOSE = 1e-19
#: drc's LL.4 has no limits; these only keep the kernel's arithmetic finite.
SF_BOUNDS: dict[str, tuple[ArrayLike, ArrayLike]] = {
    "hill_slope": (-1e3, 1e3),
    "ec50": (1e-60, 1e20),
}
#: The kernel's default slope cap: logit change across the smallest dose step.
_STEP_LOGIT = 30.0


@dataclass(frozen=True, eq=False)
class Marginals:
    """Fitted single-agent curves of every block.

    Attributes
    ----------
    drug1, drug2 : CurveFits
        One curve per block (B), drc's parametrisation on percent inhibition.
    pred1 : ndarray of shape (B, R)
        Fitted response of drug 1 alone at each ``conc1`` (NaN where padded
        or the fit failed); ``pred1[:, 0]`` is the fitted control response.
    pred2 : ndarray of shape (B, C)
        The same for drug 2 at each ``conc2``.
    mode : str
        The fitting choices used.
    """

    drug1: CurveFits
    drug2: CurveFits
    pred1: np.ndarray
    pred2: np.ndarray
    mode: str

    def notes(self) -> list[str]:
        """Per block, what a reader should know about the two fits ("" if nothing)."""
        out = []
        for a, b in zip(fit_reasons(self.drug1), fit_reasons(self.drug2), strict=True):
            parts = []
            if a:
                parts.append(f"drug1 fit: {a}")
            if b:
                parts.append(f"drug2 fit: {b}")
            out.append("; ".join(parts))
        return out


def fit_reasons(fits: CurveFits) -> list[str]:
    """Quality flags of each fit, without the viability-scale IC50 censoring marks.

    The kernel's absolute-IC50 marks (``ic50 > top dose``...) assume viability
    with a control at 100; on percent inhibition they carry no meaning.
    """
    patterns, inverse = np.unique(fits.flag_bits, return_inverse=True)
    texts = ["; ".join(r for k, r in enumerate(FLAG_REASONS) if int(p) >> k & 1) for p in patterns]
    return [texts[i] for i in inverse.ravel()]


def slope_cap(doses: np.ndarray) -> np.ndarray:
    """Kernel default slope cap per curve: 30 logit units over the smallest log-dose step.

    Parameters
    ----------
    doses : ndarray of shape (N, M)
        Doses of each curve (0 and NaN ignored).

    Examples
    --------
    >>> float(slope_cap(np.array([[0.0, 1.0, np.e, np.nan]]))[0])
    30.0
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(doses > 0, np.log(doses), np.nan)
    logs = np.sort(logs, axis=1)  # NaN last
    gaps = np.diff(logs, axis=1)
    gaps = np.where(gaps > 0, gaps, np.nan)
    smallest = np.full(doses.shape[0], np.nan)
    has = np.isfinite(gaps).any(axis=1)
    smallest[has] = np.nanmin(gaps[has], axis=1)
    return np.where(np.isfinite(smallest), _STEP_LOGIT / smallest, _STEP_LOGIT)


def curve_values(
    fits: CurveFits, doses: np.ndarray, offset: np.ndarray | None = None
) -> np.ndarray:
    """Fitted values of curve ``n`` at ``doses[n]`` (NaN where the fit has no parameters)."""
    values = log_logistic(
        doses,
        hill_slope=fits.hill_slope[:, None],
        bottom=fits.bottom[:, None],
        top=fits.top[:, None],
        ec50=fits.ec50[:, None],
    )
    if offset is not None:
        values = values + offset[:, None]
    return np.where(np.isnan(doses), np.nan, values)


def fit_marginals(
    conc1: np.ndarray,
    conc2: np.ndarray,
    response: np.ndarray,
    *,
    mode: Mode = "resistlab",
) -> Marginals:
    """Fit the two single-agent curves of every block in one kernel call.

    Parameters
    ----------
    conc1 : ndarray of shape (B, R)
        Molar doses of drug 1, ``conc1[:, 0] == 0``, NaN padded.
    conc2 : ndarray of shape (B, C)
        Molar doses of drug 2.
    response : ndarray of shape (B, K, R, C)
        Percent inhibition of each replicate.
    mode : {"resistlab", "synergyfinder"}
        Fitting choices (see the module docstring).

    Returns
    -------
    Marginals

    Examples
    --------
    >>> c = np.array([[0.0, 1e-8, 1e-7, 1e-6, 1e-5]])
    >>> y = 90 * c / (c + 1e-7)
    >>> r = (y[:, :, None] + y[:, None, :] - y[:, :, None] * y[:, None, :] / 100)[:, None]
    >>> m = fit_marginals(c, c, r)
    >>> np.round(m.pred1[0], 3).tolist()
    [0.0, 8.182, 45.0, 81.818, 89.109]
    """
    b_count, k_count, r_count, c_count = response.shape
    if mode == "synergyfinder":
        with np.errstate(invalid="ignore", divide="ignore"):
            counts = np.sum(~np.isnan(response), axis=1)
            mean = np.where(counts > 0, np.nansum(response, axis=1) / np.maximum(counts, 1), np.nan)
        y1 = mean[:, :, 0]
        y2 = mean[:, 0, :]
        d1 = np.where(conc1 == 0, SF_ZERO_DOSE, conc1)
        d2 = np.where(conc2 == 0, SF_ZERO_DOSE, conc2)
        width = max(r_count, c_count)
        x = np.concatenate([_widen(d1, width), _widen(d2, width)])
        y = np.concatenate([_widen(y1, width), _widen(y2, width)])
        fits = fit_curves(x, y, bounds=SF_BOUNDS)
    else:
        # every replicate is a point: (B, K, R) -> (B, K * R)
        y1 = response[:, :, :, 0].reshape(b_count, k_count * r_count)
        y2 = response[:, :, 0, :].reshape(b_count, k_count * c_count)
        x1 = np.broadcast_to(conc1[:, None, :], (b_count, k_count, r_count)).reshape(b_count, -1)
        x2 = np.broadcast_to(conc2[:, None, :], (b_count, k_count, c_count)).reshape(b_count, -1)
        width = k_count * max(r_count, c_count)
        x = np.concatenate([_widen(x1, width), _widen(x2, width)])
        y = np.concatenate([_widen(y1, width), _widen(y2, width)])
        fits = fit_curves(x, y)
    drug1 = fits.take(np.arange(b_count))
    drug2 = fits.take(np.arange(b_count, 2 * b_count))
    pred1 = curve_values(drug1, conc1)
    pred2 = curve_values(drug2, conc2)
    return Marginals(drug1=drug1, drug2=drug2, pred1=pred1, pred2=pred2, mode=mode)


def _widen(a: np.ndarray, width: int) -> np.ndarray:
    """Pad the last axis of a 2-D array with NaN up to `width`."""
    if a.shape[1] == width:
        return np.ascontiguousarray(a, dtype=float)
    out = np.full((a.shape[0], width), np.nan)
    out[:, : a.shape[1]] = a
    return out
