"""MuSyC: synergy of potency, efficacy and cooperativity from a fitted 2D Hill surface.

MuSyC (Meyer et al. 2019, *Cell Systems* 8:97-108; Wooten et al. 2021, *Nat
Commun* 12:4607) fits one mass-action surface to the whole dose matrix and
reads synergy off its parameters instead of scoring wells against a null:

* ``E0`` untreated effect, ``E1``/``E2`` the maximal effects of each drug alone,
  ``E3`` the maximal effect of the combination;
* ``h1``/``h2`` Hill slopes, ``C1``/``C2`` half-maximal concentrations (molar);
* ``alpha12`` (drug 1 multiplies the potency of drug 2), ``alpha21`` (drug 2
  on drug 1): synergistic potency, > 1 synergy, < 1 antagonism;
* ``gamma12``/``gamma21``: synergistic cooperativity (Hill slope multipliers);
* ``beta = (E3 - Estrong) / (Estrong - E0)`` with ``Estrong`` the stronger
  single-drug maximum: synergistic efficacy, > 0 means the combination goes
  beyond the better drug. On the viability-like scale of the ``synergy``
  package (effects fall with dose) this is its
  ``(min(E1, E2) - E3) / (E0 - min(E1, E2))``; the value does not depend on
  the scale.

The surface and its Jacobian are in `resistlab.synergy._musyc_model`: the
steady state of MuSyC's four-state mass-action chain with both reverse rates 1
(the ``synergy`` package's default ``r1r = r2r = 1``), evaluated in log space.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats
from scipy.optimize import least_squares

from resistlab.dose_response import fit_curves
from resistlab.synergy._musyc_model import PARAMETER_NAMES, musyc_jacobian, musyc_values
from resistlab.synergy.data import DoseMatrices

__all__ = ["PARAMETER_NAMES", "MuSyCFit", "fit_musyc", "musyc_surface"]

_N_PARAMS = len(PARAMETER_NAMES)
_LOG_PARAMS = PARAMETER_NAMES[4:]
#: Default box for the positive parameters: Hill slopes, synergy multipliers; C is
#: bounded relative to the tested doses (`_C_FACTOR` beyond either end).
_DEFAULT_BOUNDS = {
    "h1": (1e-2, 1e2),
    "h2": (1e-2, 1e2),
    "alpha12": (1e-4, 1e4),
    "alpha21": (1e-4, 1e4),
    "gamma12": (1e-2, 1e2),
    "gamma21": (1e-2, 1e2),
}
_C_FACTOR = 1e3
#: Starting points of log(alpha12), log(alpha21) beyond the additive (0, 0).
_ALPHA_STARTS = ((0.0, 0.0), (1.5, 1.5), (-1.5, -1.5), (1.5, -1.5), (-1.5, 1.5))


def _theta(values: Mapping[str, float]) -> np.ndarray:
    """Fit vector (E's, then natural logs) from natural parameter values."""
    theta = np.empty(_N_PARAMS)
    defaults = {"alpha12": 1.0, "alpha21": 1.0, "gamma12": 1.0, "gamma21": 1.0}
    for j, name in enumerate(PARAMETER_NAMES):
        if name not in values and name not in defaults:
            msg = f"parameter {name!r} is missing; MuSyC needs {', '.join(PARAMETER_NAMES[:8])}"
            raise ValueError(msg)
        value = float(values.get(name, defaults.get(name, np.nan)))
        if j >= 4:
            if not value > 0:
                msg = f"parameter {name!r} must be positive, got {value}"
                raise ValueError(msg)
            value = np.log(value)
        theta[j] = value
    return theta


def _log_dose(values: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(values)


def musyc_surface(conc1: ArrayLike, conc2: ArrayLike, params: Mapping[str, float]) -> np.ndarray:
    """Evaluate the MuSyC surface on a grid of doses.

    Parameters
    ----------
    conc1 : array_like of shape (R,)
        Concentrations of drug 1 (rows), in the units of ``C1``; 0 allowed.
    conc2 : array_like of shape (C,)
        Concentrations of drug 2 (columns), in the units of ``C2``.
    params : mapping
        ``E0, E1, E2, E3, h1, h2, C1, C2`` and optionally ``alpha12, alpha21,
        gamma12, gamma21`` (default 1, no synergy of potency or cooperativity).

    Returns
    -------
    ndarray of shape (R, C)
        The effect, on the scale of the E parameters.

    Examples
    --------
    >>> p = {"E0": 0, "E1": 60, "E2": 80, "E3": 100, "h1": 1, "h2": 1, "C1": 1e-6, "C2": 1e-7}
    >>> np.round(musyc_surface([0, 1e-6], [0, 1e-7], p), 3).tolist()
    [[0.0, 40.0], [30.0, 60.0]]
    """
    d1 = np.asarray(conc1, dtype=float).ravel()
    d2 = np.asarray(conc2, dtype=float).ravel()
    if np.any(d1 < 0) or np.any(d2 < 0):
        msg = "concentrations must be non-negative"
        raise ValueError(msg)
    theta = _theta(params)
    g1, g2 = np.meshgrid(_log_dose(d1), _log_dose(d2), indexing="ij")
    values = musyc_values(g1.ravel(), g2.ravel(), theta)
    return values.reshape(d1.size, d2.size)


def _reference_theta(theta: np.ndarray) -> np.ndarray:
    """MuSyC's null: no synergy of potency or cooperativity, E3 = the stronger drug."""
    ref = theta.copy()
    ref[3] = max(theta[1], theta[2])
    ref[8:] = 0.0
    return ref


@dataclass(frozen=True)
class MuSyCFit:
    """MuSyC fits, one per block.

    Effects are in percent inhibition (the scale of `DoseMatrices`); ``C1`` and
    ``C2`` in molar. Arrays have one row per block (B).

    Attributes
    ----------
    block_ids, drug1, drug2 : tuple of str
        As in the input.
    conc1 : ndarray of shape (B, R)
        Concentrations of drug 1 of the input grid (molar, NaN padded).
    conc2 : ndarray of shape (B, C)
        Concentrations of drug 2.
    estimates : ndarray of shape (B, 12)
        ``E0, E1, E2, E3, h1, h2, C1, C2, alpha12, alpha21, gamma12, gamma21``
        (`PARAMETER_NAMES`); gammas are 1 when not fitted. NaN where a block
        could not be fitted.
    covariance : ndarray of shape (B, 12, 12)
        ``s^2 (J^T J)^-1`` on the fit scale: effects linear, the other eight
        parameters as natural logs. Rows and columns of fixed parameters are 0;
        NaN where undefined.
    rss : ndarray of shape (B,)
        Residual sum of squares (percent squared) over all replicate points.
    n_obs, df_resid : ndarray of int, shape (B,)
        Points used and residual degrees of freedom.
    r_squared, aic, bic : ndarray of shape (B,)
        Goodness of fit (AIC/BIC from the Gaussian likelihood, ``n log(rss/n)``).
    converged : ndarray of bool, shape (B,)
        The optimiser met its tolerance.
    flags : tuple of str
        Reasons not to read a block's parameters as precise ("" when none):
        parameters at their bounds, singular covariance, too few points.
    fit_gamma : bool
        Whether the cooperativity parameters were fitted.
    surface : ndarray of shape (B, R, C)
        The fitted surface on the input grid.
    reference : ndarray of shape (B, R, C)
        MuSyC's non-interaction surface (alphas and gammas 1, ``E3`` equal to
        the stronger single-drug effect) with the fitted single-drug parameters.
    """

    block_ids: tuple[str, ...]
    drug1: tuple[str, ...]
    drug2: tuple[str, ...]
    conc1: np.ndarray
    conc2: np.ndarray
    estimates: np.ndarray
    covariance: np.ndarray
    rss: np.ndarray
    n_obs: np.ndarray
    df_resid: np.ndarray
    r_squared: np.ndarray
    aic: np.ndarray
    bic: np.ndarray
    converged: np.ndarray
    flags: tuple[str, ...]
    fit_gamma: bool
    surface: np.ndarray
    reference: np.ndarray

    def __len__(self) -> int:
        return len(self.block_ids)

    @property
    def free(self) -> tuple[bool, ...]:
        """Which of the 12 parameters were fitted."""
        return (True,) * 10 + (self.fit_gamma,) * 2

    @property
    def se_fit(self) -> np.ndarray:
        """Standard errors on the fit scale (E linear, the rest natural logs), (B, 12)."""
        diag = np.diagonal(self.covariance, axis1=1, axis2=2)
        with np.errstate(invalid="ignore"):
            se = np.sqrt(np.where(diag >= 0, diag, np.nan))
        return np.where(np.asarray(self.free)[None, :], se, np.nan)

    @property
    def standard_errors(self) -> np.ndarray:
        """Delta-method standard errors in natural units, shape (B, 12)."""
        se = self.se_fit.copy()
        se[:, 4:] = se[:, 4:] * self.estimates[:, 4:]
        return se

    def parameter(self, name: str) -> np.ndarray:
        """Estimates of one parameter (any of `PARAMETER_NAMES` or ``"beta"``), shape (B,)."""
        if name == "beta":
            return self.beta
        if name not in PARAMETER_NAMES:
            msg = f"unknown parameter {name!r}; should be one of {', '.join(PARAMETER_NAMES)}, beta"
            raise ValueError(msg)
        return self.estimates[:, PARAMETER_NAMES.index(name)].copy()

    def params(self, block: int = 0) -> dict[str, float]:
        """Parameters of one block as a dict (for `musyc_surface`)."""
        return {
            name: float(v) for name, v in zip(PARAMETER_NAMES, self.estimates[block], strict=True)
        }

    @property
    def beta(self) -> np.ndarray:
        """Synergistic efficacy ``(E3 - Estrong) / (Estrong - E0)``, shape (B,)."""
        e0, e1, e2, e3 = self.estimates[:, :4].T
        strong = np.maximum(e1, e2)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray((e3 - strong) / (strong - e0))

    @property
    def beta_se(self) -> np.ndarray:
        """Delta-method standard error of `beta`, shape (B,)."""
        e0, e1, e2, e3 = self.estimates[:, :4].T
        first = e1 >= e2
        strong = np.where(first, e1, e2)
        with np.errstate(divide="ignore", invalid="ignore"):
            span = strong - e0
            grad = np.zeros((len(self), 4))
            grad[:, 0] = (e3 - strong) / span**2
            d_strong = -1.0 / span - (e3 - strong) / span**2
            grad[:, 1] = np.where(first, d_strong, 0.0)
            grad[:, 2] = np.where(first, 0.0, d_strong)
            grad[:, 3] = 1.0 / span
            cov = self.covariance[:, :4, :4]
            var = np.einsum("bi,bij,bj->b", grad, cov, grad)
            return np.sqrt(np.where(var >= 0, var, np.nan))

    def predict(self, conc1: ArrayLike, conc2: ArrayLike, *, reference: bool = False) -> np.ndarray:
        """Fitted (or, with `reference`, non-interaction) effect on a dose grid.

        Parameters
        ----------
        conc1 : array_like of shape (R,) or (B, R)
            Molar concentrations of drug 1; one grid for all blocks or one per block.
        conc2 : array_like of shape (C,) or (B, C)
            Molar concentrations of drug 2.
        reference : bool
            Evaluate MuSyC's null (alphas and gammas 1, ``E3`` = stronger drug).

        Returns
        -------
        ndarray of shape (B, R, C)
            Percent inhibition.
        """
        c1 = np.asarray(conc1, dtype=float)
        c2 = np.asarray(conc2, dtype=float)
        c1 = np.broadcast_to(c1 if c1.ndim == 2 else c1[None, :], (len(self), c1.shape[-1]))
        c2 = np.broadcast_to(c2 if c2.ndim == 2 else c2[None, :], (len(self), c2.shape[-1]))
        out = np.full((len(self), c1.shape[1], c2.shape[1]), np.nan)
        for b in range(len(self)):
            theta = self._theta_molar(b)
            if not np.all(np.isfinite(theta)):
                continue
            if reference:
                theta = _reference_theta(theta)
            g1, g2 = np.meshgrid(_log_dose(c1[b]), _log_dose(c2[b]), indexing="ij")
            out[b] = musyc_values(g1.ravel(), g2.ravel(), theta).reshape(g1.shape)
        return out

    def _theta_molar(self, block: int) -> np.ndarray:
        theta = self.estimates[block].copy()
        with np.errstate(divide="ignore", invalid="ignore"):
            theta[4:] = np.log(theta[4:])
        return theta

    def intervals(self, confidence: float = 0.95) -> pd.DataFrame:
        """Confidence intervals, one row per block and parameter (beta included).

        Wald intervals with the t distribution on the residual degrees of freedom:
        on the log scale for the positive parameters (so limits stay positive),
        linear for the effects and ``beta``.
        """
        if not 0.0 < confidence < 1.0:
            msg = f"confidence must be in (0, 1), got {confidence}"
            raise ValueError(msg)
        t = stats.t.ppf(0.5 + confidence / 2.0, np.maximum(self.df_resid, 1))
        t = np.where(self.df_resid > 0, t, np.nan)
        se_fit = self.se_fit
        rows = []
        beta, beta_se = self.beta, self.beta_se
        for b, block in enumerate(self.block_ids):
            for j, name in enumerate(PARAMETER_NAMES):
                est = self.estimates[b, j]
                if j < 4:
                    lower, upper = est - t[b] * se_fit[b, j], est + t[b] * se_fit[b, j]
                else:
                    lower = est * np.exp(-t[b] * se_fit[b, j])
                    upper = est * np.exp(t[b] * se_fit[b, j])
                rows.append((block, name, est, self.standard_errors[b, j], lower, upper))
            rows.append(
                (
                    block,
                    "beta",
                    beta[b],
                    beta_se[b],
                    beta[b] - t[b] * beta_se[b],
                    beta[b] + t[b] * beta_se[b],
                )
            )
        return pd.DataFrame(
            rows, columns=["block_id", "parameter", "estimate", "se", "lower", "upper"]
        )

    def to_frame(self, *, scale: Literal["inhibition", "viability"] = "inhibition") -> pd.DataFrame:
        """One row per block: every parameter with its standard error, beta, fit statistics.

        Parameters
        ----------
        scale : {"inhibition", "viability"}
            Scale of ``E0..E3``: percent inhibition (as fitted) or percent
            viability (``100 - inhibition``, the orientation of the ``synergy``
            package, whose fixtures use ``E0 = 1``: divide by 100). Standard
            errors, ``beta`` and the other parameters do not depend on it.
        """
        if scale not in ("inhibition", "viability"):
            msg = f"scale must be 'inhibition' or 'viability', got {scale!r}"
            raise ValueError(msg)
        estimates = self.estimates.copy()
        if scale == "viability":
            estimates[:, :4] = 100.0 - estimates[:, :4]
        se = self.standard_errors
        data: dict[str, object] = {
            "block_id": list(self.block_ids),
            "drug1": list(self.drug1),
            "drug2": list(self.drug2),
        }
        for j, name in enumerate(PARAMETER_NAMES):
            data[name] = estimates[:, j]
            data[f"{name}_se"] = se[:, j]
        data["beta"] = self.beta
        data["beta_se"] = self.beta_se
        data["scale"] = scale
        data.update(
            {
                "rss": self.rss,
                "n_obs": self.n_obs,
                "r_squared": self.r_squared,
                "aic": self.aic,
                "bic": self.bic,
                "converged": self.converged,
                "fit_gamma": self.fit_gamma,
                "flags": list(self.flags),
            }
        )
        return pd.DataFrame(data)


def _single_agent_starts(m: DoseMatrices) -> tuple[np.ndarray, ...]:
    """E0, Emax, h, C (molar) of each drug alone, from batch LL.4 fits of the monotherapies."""
    n_blocks = len(m)
    out = []
    for axis_conc, curve in (
        (m.conc1, m.response[:, :, :, 0]),  # drug 1: column 0 (drug 2 absent)
        (m.conc2, m.response[:, :, 0, :]),
    ):
        doses = np.broadcast_to(axis_conc[:, None, :], curve.shape).reshape(n_blocks, -1)
        responses = np.where(np.isnan(doses), np.nan, curve.reshape(n_blocks, -1))
        doses = np.where(np.isnan(doses), 0.0, doses)
        fits = fit_curves(doses, responses, model="ll4")
        b, c, d = fits.hill_slope, fits.bottom, fits.top
        # LL.4: the zero-dose end is `top` for a positive slope, `bottom` for a negative one
        e0 = np.where(b >= 0, d, c)
        emax = np.where(b >= 0, c, d)
        out.append((e0, emax, np.abs(b), fits.ec50))
    (e01, e1, h1, c1), (e02, e2, h2, c2) = out
    return e01, e1, h1, c1, e02, e2, h2, c2


def _resolve_bounds(
    bounds: Mapping[str, tuple[float, float]] | None,
    dose_range: tuple[tuple[float, float], tuple[float, float]],
    scales: tuple[float, float],
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of the fit vector (doses scaled by `scales`)."""
    lower = np.full(_N_PARAMS, -np.inf)
    upper = np.full(_N_PARAMS, np.inf)
    natural: dict[str, tuple[float, float]] = dict(_DEFAULT_BOUNDS)
    for i, name in enumerate(("C1", "C2")):
        lo, hi = dose_range[i]
        natural[name] = (lo / _C_FACTOR, hi * _C_FACTOR)
    for name, (lo, hi) in (bounds or {}).items():
        if name not in PARAMETER_NAMES:
            known = ", ".join(PARAMETER_NAMES)
            msg = f"unknown parameter {name!r} in bounds; should be one of {known}"
            raise ValueError(msg)
        if not lo < hi:
            msg = f"bounds for {name} must satisfy low < high, got ({lo!r}, {hi!r})"
            raise ValueError(msg)
        if name in _LOG_PARAMS and lo < 0:
            msg = f"bounds for {name} must be non-negative, got ({lo!r}, {hi!r})"
            raise ValueError(msg)
        natural[name] = (float(lo), float(hi))
    with np.errstate(divide="ignore"):
        for j, name in enumerate(PARAMETER_NAMES):
            if name not in natural:
                continue
            lo, hi = natural[name]
            if j >= 4:
                shift = np.log(scales[j - 6]) if name in ("C1", "C2") else 0.0
                lo, hi = np.log(lo) - shift, np.log(hi) - shift
            lower[j], upper[j] = lo, hi
    return lower, upper


def _fit_block(
    log_d1: np.ndarray,
    log_d2: np.ndarray,
    y: np.ndarray,
    start: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    free: np.ndarray,
    n_starts: int,
    max_nfev: int,
) -> tuple[np.ndarray, np.ndarray, float, bool, list[str]]:
    """Multi-start bounded least squares of one block; returns theta, covariance, rss, ok, flags."""
    idx = np.flatnonzero(free)
    fixed = start.copy()

    def full(x: np.ndarray) -> np.ndarray:
        theta = fixed.copy()
        theta[idx] = x
        return theta

    def residuals(x: np.ndarray) -> np.ndarray:
        return musyc_values(log_d1, log_d2, full(x)) - y

    def jacobian(x: np.ndarray) -> np.ndarray:
        return musyc_jacobian(log_d1, log_d2, full(x))[:, idx]

    lo, hi = lower[idx], upper[idx]
    span = np.where(np.isfinite(hi - lo), hi - lo, 1.0)
    results = []
    for la12, la21 in _ALPHA_STARTS[:n_starts]:
        x0 = start.copy()
        x0[8], x0[9] = la12, la21
        x0 = x0[idx]
        # strictly inside the box, as least_squares requires
        x0 = np.clip(x0, lo + 1e-6 * span, hi - 1e-6 * span)
        results.append(
            least_squares(
                residuals,
                x0,
                jac=jacobian,
                bounds=(lo, hi),
                method="trf",
                x_scale="jac",
                ftol=1e-10,
                xtol=1e-10,
                gtol=1e-10,
                max_nfev=max_nfev,
            )
        )
    best = min(results, key=lambda r: r.cost)
    theta = full(best.x)
    rss = float(2.0 * best.cost)
    n, p = y.size, idx.size
    flags: list[str] = []
    cov = np.zeros((_N_PARAMS, _N_PARAMS))
    jac = jacobian(best.x)
    jtj = jac.T @ jac
    sigma2 = rss / (n - p)
    eigen = np.linalg.eigvalsh(jtj)
    if eigen[0] <= eigen[-1] * 1e-13:
        flags.append("standard errors undefined (singular Jacobian)")
        cov[np.ix_(idx, idx)] = np.nan
    else:
        cov[np.ix_(idx, idx)] = sigma2 * np.linalg.inv(jtj)
    tol = 1e-6 * span
    at_bound = (best.x <= lo + tol) | (best.x >= hi - tol)
    for j in idx[at_bound]:
        flags.append(f"{PARAMETER_NAMES[j]} at its bound")
    ok = bool(best.status > 0)
    if not ok:
        flags.append("not converged within the evaluation budget")
    return theta, cov, rss, ok, flags


def fit_musyc(
    m: DoseMatrices,
    *,
    fit_gamma: bool = False,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    n_starts: int = 5,
    max_nfev: int = 2000,
) -> MuSyCFit:
    """Fit the two-drug MuSyC model to every block by nonlinear least squares.

    Every replicate point is an observation. Hill slopes, ``C``, ``alpha`` and
    ``gamma`` are fitted as natural logs, so they stay positive and their
    confidence intervals are multiplicative; the Jacobian is analytic
    (`scipy.optimize.least_squares`, trust-region reflective, bounded).
    Starting points come from LL.4 fits of the single agents (``E0``,
    ``E1``/``E2``, ``h``, ``C``), ``E3`` from the highest-dose combination
    well, alphas from a small grid (`n_starts` of (1, 1), (e^1.5, e^1.5),
    (e^-1.5, e^-1.5), (e^1.5, e^-1.5), (e^-1.5, e^1.5)); the best fit wins.

    Parameters
    ----------
    m : DoseMatrices
        Responses in percent inhibition; ``conc1``/``conc2`` molar.
    fit_gamma : bool
        Also fit the cooperativity parameters ``gamma12``/``gamma21`` (12
        parameters instead of 10); needs dense, low-noise matrices.
    bounds : mapping, optional
        ``{name: (low, high)}`` in natural units (``C`` molar, effects percent)
        replacing the defaults: h in [0.01, 100], alpha in [1e-4, 1e4], gamma in
        [0.01, 100], C within 1000-fold of the tested range, effects free.
    n_starts : int
        Starting points of the multi-start (1 to 5).
    max_nfev : int
        Evaluation budget of each start.

    Returns
    -------
    MuSyCFit

    Examples
    --------
    >>> c1 = np.array([0, 1e-8, 1e-7, 1e-6, 1e-5])
    >>> c2 = np.array([0, 3e-8, 3e-7, 3e-6, 3e-5])
    >>> p = {"E0": 0, "E1": 60, "E2": 50, "E3": 95, "h1": 1.2, "h2": 0.9,
    ...      "C1": 1e-7, "C2": 3e-7, "alpha12": 3.0, "alpha21": 0.5}
    >>> y = musyc_surface(c1, c2, p)
    >>> m = DoseMatrices(("b",), ("A",), ("B",), c1[None], c2[None], y[None, None])
    >>> fit = fit_musyc(m)
    >>> np.round(fit.estimates[0, [3, 8, 9]], 3).tolist(), round(float(fit.beta[0]), 3)
    ([95.0, 3.0, 0.5], 0.583)
    """
    if not isinstance(m, DoseMatrices):
        msg = f"m must be a DoseMatrices, got {type(m).__name__}"
        raise TypeError(msg)
    if not 1 <= n_starts <= len(_ALPHA_STARTS):
        msg = f"n_starts must be between 1 and {len(_ALPHA_STARTS)}, got {n_starts}"
        raise ValueError(msg)
    n_blocks = len(m)
    free = np.ones(_N_PARAMS, dtype=bool)
    free[10:] = fit_gamma
    n_free = int(free.sum())
    e01, e1s, h1s, c1s, e02, e2s, h2s, c2s = _single_agent_starts(m)

    estimates = np.full((n_blocks, _N_PARAMS), np.nan)
    covariance = np.full((n_blocks, _N_PARAMS, _N_PARAMS), np.nan)
    rss = np.full(n_blocks, np.nan)
    n_obs = np.zeros(n_blocks, dtype=int)
    tss = np.full(n_blocks, np.nan)
    converged = np.zeros(n_blocks, dtype=bool)
    flags: list[str] = []
    for b in range(n_blocks):
        c1 = m.conc1[b]
        c2 = m.conc2[b]
        y_grid = m.response[b]  # (K, R, C)
        d1 = np.broadcast_to(c1[None, :, None], y_grid.shape)
        d2 = np.broadcast_to(c2[None, None, :], y_grid.shape)
        keep = np.isfinite(y_grid) & np.isfinite(d1) & np.isfinite(d2)
        y = y_grid[keep]
        n_obs[b] = y.size
        pos1, pos2 = c1[np.isfinite(c1) & (c1 > 0)], c2[np.isfinite(c2) & (c2 > 0)]
        n_wells = int(np.any(keep, axis=0).sum())
        # each drug alone needs three doses; the surface needs more wells than parameters
        if n_wells <= n_free or pos1.size < 3 or pos2.size < 3:
            flags.append("too few wells or dose levels to fit")
            continue
        # doses relative to the geometric mean of the tested ones: C near 1 on the fit scale
        scales = (float(np.exp(np.mean(np.log(pos1)))), float(np.exp(np.mean(np.log(pos2)))))
        log_d1 = _log_dose(d1[keep] / scales[0])
        log_d2 = _log_dose(d2[keep] / scales[1])
        dose_range = ((pos1.min(), pos1.max()), (pos2.min(), pos2.max()))
        lower, upper = _resolve_bounds(bounds, dose_range, scales)

        control = y_grid[:, 0, 0]
        fallback_e0 = float(np.nanmean(control)) if np.isfinite(control).any() else float(y.min())
        last = y_grid[:, np.flatnonzero(np.isfinite(c1))[-1], np.flatnonzero(np.isfinite(c2))[-1]]
        e3 = float(np.nanmedian(last)) if np.isfinite(last).any() else float(y.max())
        single_e0 = np.array([e01[b], e02[b]])
        e0 = single_e0[np.isfinite(single_e0)].mean() if np.isfinite(single_e0).any() else np.nan
        singles = (e1s[b], e2s[b], h1s[b], h2s[b], c1s[b], c2s[b])
        if not np.all(np.isfinite(singles)) or not np.isfinite(e0):
            e0 = fallback_e0
            singles = (e3, e3, 1.0, 1.0, scales[0], scales[1])
        e1, e2, h1, h2, cc1, cc2 = singles
        with np.errstate(divide="ignore"):
            start = np.array(
                [
                    e0,
                    e1,
                    e2,
                    e3,
                    np.log(max(h1, 1e-2)),
                    np.log(max(h2, 1e-2)),
                    np.log(cc1 / scales[0]),
                    np.log(cc2 / scales[1]),
                    0.0,
                    0.0,
                    0.0,
                    0.0,
                ]
            )
        theta, cov, rss_b, ok, block_flags = _fit_block(
            log_d1, log_d2, y, start, lower, upper, free, n_starts, max_nfev
        )
        # back to molar: C on the fit scale is relative to the dose scale
        theta[6] += np.log(scales[0])
        theta[7] += np.log(scales[1])
        natural = theta.copy()
        natural[4:] = np.exp(theta[4:])
        estimates[b] = natural
        covariance[b] = cov
        rss[b] = rss_b
        tss[b] = float(np.sum((y - y.mean()) ** 2))
        converged[b] = ok
        flags.append("; ".join(block_flags))

    df_resid = np.maximum(n_obs - n_free, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r_squared = 1.0 - rss / tss
        loglik_term = n_obs * np.log(rss / n_obs)
    aic = loglik_term + 2 * n_free
    bic = loglik_term + n_free * np.log(np.maximum(n_obs, 1))
    fit = MuSyCFit(
        block_ids=m.block_ids,
        drug1=m.drug1,
        drug2=m.drug2,
        conc1=m.conc1.copy(),
        conc2=m.conc2.copy(),
        estimates=estimates,
        covariance=covariance,
        rss=rss,
        n_obs=n_obs,
        df_resid=df_resid,
        r_squared=r_squared,
        aic=aic,
        bic=bic,
        converged=converged,
        flags=tuple(flags),
        fit_gamma=fit_gamma,
        surface=np.empty((0, 0, 0)),
        reference=np.empty((0, 0, 0)),
    )
    grid1 = np.where(np.isnan(m.conc1), 0.0, m.conc1)
    grid2 = np.where(np.isnan(m.conc2), 0.0, m.conc2)
    pad = np.isnan(m.conc1)[:, :, None] | np.isnan(m.conc2)[:, None, :]
    surface = np.where(pad, np.nan, fit.predict(grid1, grid2))
    reference = np.where(pad, np.nan, fit.predict(grid1, grid2, reference=True))
    return MuSyCFit(**{**fit.__dict__, "surface": surface, "reference": reference})
