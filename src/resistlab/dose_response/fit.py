"""Batch fitting of log-logistic dose-response curves.

`fit_curves` fits one curve or a million with the same compiled kernel and
returns a `CurveFits`: parameters, their covariance, fit statistics, flags,
and methods for the metrics a study needs (absolute and relative ICx with
confidence intervals, Emax, AUC).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from resistlab.dose_response import _kernel
from resistlab.dose_response._model import (
    log_logistic,
    log_logistic_area,
    log_logistic_inverse,
)

__all__ = ["FLAG_REASONS", "CurveFits", "EffectiveDose", "fit_curves", "fit_hill"]

Model = Literal["ll4", "ll3", "ll2"]
PARAMETERS = ("hill_slope", "bottom", "top", "ec50")

#: Largest |hill slope| allowed, as the log-dose distance over which the curve
#: may fall from 95 % to 5 % of its span: steeper is a step between two doses.
_STEP_LOGIT = 30.0
#: Batches of at least this many curves use the threaded kernel.
_PARALLEL_FROM = 64
#: How far (natural log units, one decade) the EC50 may leave the tested range.
_EC50_MARGIN = np.log(10.0)


@dataclass(frozen=True)
class EffectiveDose:
    """Doses at which the fitted curves reach a response level, one per curve.

    Attributes
    ----------
    level : float
        Percent effect, e.g. 50 for IC50.
    kind : {"absolute", "relative"}
        Absolute: the response equals ``(100 - level) %`` of the control
        response. Relative: ``level %`` of the way from top to bottom (drc's ED).
    estimate, lower, upper : ndarray of shape (N,)
        Point estimate and confidence limits. For censored curves, `estimate`
        holds the bound (top or lowest tested dose) and the limits are NaN.
    se : ndarray of shape (N,)
        Delta-method standard error of the estimate (dose units).
    censor : ndarray of shape (N,), str
        ``""`` (estimated), ``">"`` (not reached up to the top dose) or
        ``"<"`` (already passed at the lowest dose).
    """

    level: float
    kind: str
    estimate: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    se: np.ndarray
    censor: np.ndarray


@dataclass(frozen=True)
class CurveFits:
    """Fitted log-logistic curves, one entry per curve.

    All arrays have shape (N,) unless noted. Doses are in the units given.

    Attributes
    ----------
    hill_slope, bottom, top, ec50 : ndarray
        drc's b, c, d, e. A positive slope means the response falls with dose.
    covariance : ndarray of shape (N, 4, 4)
        Covariance of (hill_slope, bottom, top, ec50), ``s^2 H^-1`` with ``H``
        the full Hessian of half the residual sum of squares, as drc computes
        it. Rows and columns of fixed parameters are 0; NaN if undefined.
    rss : ndarray
        Residual sum of squares.
    n_obs, df_resid : ndarray of int
        Points used and residual degrees of freedom.
    dose_min, dose_max : ndarray
        Lowest and highest positive dose of each curve.
    status : ndarray of int
        Kernel status: 0 converged, 1 iteration budget exhausted, 2 too few
        points, 3 numerical failure.
    iterations : ndarray of int
        Levenberg-Marquardt iterations used (all starts).
    flag_bits : ndarray of uint32
        Bit k set when reason ``FLAG_REASONS[k]`` applies; `flags` spells them out.
    f_tests : ndarray of shape (N, 6)
        F statistics with their degrees of freedom (see `f_pvalue` and
        `lack_of_fit_pvalue`).
    control_response : ndarray
        The response of untreated cells (100 % viability) that absolute ICx
        refer to, per curve.
    model : str
        "ll4", "ll3" (bottom fixed) or "ll2" (bottom and top fixed).
    """

    hill_slope: np.ndarray
    bottom: np.ndarray
    top: np.ndarray
    ec50: np.ndarray
    covariance: np.ndarray
    rss: np.ndarray
    n_obs: np.ndarray
    df_resid: np.ndarray
    dose_min: np.ndarray
    dose_max: np.ndarray
    status: np.ndarray
    iterations: np.ndarray
    flag_bits: np.ndarray
    f_tests: np.ndarray
    control_response: np.ndarray
    model: str
    free: tuple[bool, bool, bool, bool] = field(default=(True, True, True, True))

    def __len__(self) -> int:
        return int(self.ec50.shape[0])

    def take(self, indices: ArrayLike) -> CurveFits:
        """Select the fits of the curves at `indices` (an int, a sequence or a boolean mask).

        Examples
        --------
        >>> x = np.array([1e-9, 1e-8, 1e-7, 1e-6, 1e-5])
        >>> fits = fit_curves(np.tile(x, (3, 1)), np.tile(100 / (1 + x / 1e-7), (3, 1)))
        >>> len(fits.take([0, 2])), len(fits.take(1))
        (2, 1)
        """
        index = np.atleast_1d(np.asarray(indices))
        return replace(
            self,
            **{
                name: value[index]
                for name, value in self.__dict__.items()
                if isinstance(value, np.ndarray)
            },
        )

    @classmethod
    def concat(cls, parts: list[CurveFits]) -> CurveFits:
        """Join fits of several batches (same model) into one, in order."""
        if not parts:
            msg = "concat needs at least one CurveFits"
            raise ValueError(msg)
        first = parts[0]
        if any(p.model != first.model or p.free != first.free for p in parts):
            msg = "cannot concatenate fits of different models"
            raise ValueError(msg)
        arrays = {
            name: np.concatenate([getattr(p, name) for p in parts])
            for name, value in first.__dict__.items()
            if isinstance(value, np.ndarray)
        }
        return cls(**{**first.__dict__, **arrays})

    @property
    def flags(self) -> tuple[str, ...]:
        """Why each curve should not be read as precise ("" when nothing to say)."""
        censor = self.effective_dose(50.0).censor
        bits = self.flag_bits.astype(np.uint32).copy()
        for mark, bit in _CENSOR_BITS.items():
            bits[censor == mark] |= np.uint32(bit)
        patterns, inverse = np.unique(bits, return_inverse=True)
        texts = [
            "; ".join(r for k, r in enumerate(FLAG_REASONS) if int(p) >> k & 1) for p in patterns
        ]
        return tuple(texts[i] for i in inverse.ravel())

    @property
    def f_pvalue(self) -> np.ndarray:
        """Extra-sum-of-squares F test of each curve against a flat line."""
        f, d1, d2 = self.f_tests[:, 0], self.f_tests[:, 1], self.f_tests[:, 2]
        with np.errstate(invalid="ignore"):
            return np.where(
                np.isfinite(f), stats.f.sf(f, np.maximum(d1, 1), np.maximum(d2, 1)), np.nan
            )

    @property
    def lack_of_fit_pvalue(self) -> np.ndarray:
        """F test of each curve against its dose-level means (pure replicate error).

        NaN without replicates. Small values mean the data are not sigmoid
        (non-monotone, hormetic, or a plateau the model misses), as drc's
        ``modelFit`` tests.
        """
        f, d1, d2 = self.f_tests[:, 3], self.f_tests[:, 4], self.f_tests[:, 5]
        with np.errstate(invalid="ignore"):
            return np.where(
                np.isfinite(f), stats.f.sf(f, np.maximum(d1, 1), np.maximum(d2, 1)), np.nan
            )

    @property
    def converged(self) -> np.ndarray:
        """True where the optimiser met its tolerance within the iteration budget."""
        return self.status == _kernel.CONVERGED

    @property
    def rse(self) -> np.ndarray:
        """Residual standard error, ``sqrt(rss / df_resid)``."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.sqrt(self.rss / np.where(self.df_resid > 0, self.df_resid, np.nan))

    @property
    def standard_errors(self) -> np.ndarray:
        """Standard errors of (hill_slope, bottom, top, ec50), shape (N, 4)."""
        diag = np.diagonal(self.covariance, axis1=1, axis2=2)
        with np.errstate(invalid="ignore"):
            return np.sqrt(np.where(diag >= 0, diag, np.nan))

    def predict(self, doses: ArrayLike) -> np.ndarray:
        """Fitted response at `doses`, shape (N, D) for doses of shape (D,) or (N, D)."""
        x = np.asarray(doses, dtype=float)
        if x.ndim == 1:
            x = x[None, :]
        return log_logistic(
            x,
            hill_slope=self.hill_slope[:, None],
            bottom=self.bottom[:, None],
            top=self.top[:, None],
            ec50=self.ec50[:, None],
        )

    def effective_dose(
        self,
        level: float = 50.0,
        *,
        kind: Literal["absolute", "relative"] = "absolute",
        confidence: float = 0.95,
        interval: Literal["log", "linear"] = "log",
    ) -> EffectiveDose:
        """Dose reaching `level` % effect, with a delta-method confidence interval.

        Parameters
        ----------
        level : float
            Percent effect in (0, 100): 50 gives IC50, 10 gives IC10.
        kind : {"absolute", "relative"}
            "absolute": the response crosses ``(100 - level) %`` of the control
            response (the bench meaning of IC50). "relative": `level` % of the
            way from top to bottom (drc's ``ED(type = "relative")``; 50 gives ec50).
        confidence : float
            Coverage of the interval, using the t distribution on the residual
            degrees of freedom.
        interval : {"log", "linear"}
            "log" (default): symmetric on log dose, so limits stay positive.
            "linear": estimate +- t * se, as drc's ``ED(interval = "delta")``.

        Returns
        -------
        EffectiveDose
            Absolute doses outside the tested range are censored at its edge,
            never extrapolated: ``">"`` when the fitted response stays above the
            level over the whole range, ``"<"`` when it is already at or below
            it at the lowest dose (also for curves that rise with dose).
            Relative ones are reported as estimated.
        """
        if not 0.0 < level < 100.0:
            msg = f"level must be a percent effect strictly between 0 and 100, got {level}"
            raise ValueError(msg)
        if kind not in ("absolute", "relative"):
            msg = f"kind must be 'absolute' or 'relative', got {kind!r}"
            raise ValueError(msg)
        b, c, d, e = self.hill_slope, self.bottom, self.top, self.ec50
        p = level / 100.0
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if kind == "relative":
                # response p of the way from the zero-dose end to the infinite-dose end
                target = np.where(b >= 0, d - p * (d - c), c + p * (d - c))
            else:
                target = self.control_response * (1.0 - p) + np.zeros_like(e)
            estimate = log_logistic_inverse(target, hill_slope=b, bottom=c, top=d, ec50=e)
            # gradient of log(estimate) with respect to (b, c, d, e)
            q = (d - target) / (target - c)
            grad = np.stack(
                [
                    -np.log(q) / b**2,
                    1.0 / (b * (target - c)),
                    1.0 / (b * (d - target)),
                    1.0 / e,
                ],
                axis=1,
            )
            if kind == "relative":
                # target moves with c and d: log q is constant, so only b and e matter
                grad[:, 1:3] = 0.0
            grad = np.where(np.asarray(self.free)[None, :], grad, 0.0)
            var_log = np.einsum("ni,nij,nj->n", grad, self.covariance, grad)
            se_log = np.sqrt(np.where(var_log >= 0, var_log, np.nan))
            t = stats.t.ppf(0.5 + confidence / 2.0, np.maximum(self.df_resid, 1))
            t = np.where(self.df_resid > 0, t, np.nan)
            se = estimate * se_log
            if interval == "log":
                lower = estimate * np.exp(-t * se_log)
                upper = estimate * np.exp(t * se_log)
            else:
                lower = estimate - t * se
                upper = estimate + t * se
        censor = np.full(len(self), "", dtype=object)
        if kind == "absolute":
            response_low = log_logistic(self.dose_min, hill_slope=b, bottom=c, top=d, ec50=e)
            response_high = log_logistic(self.dose_max, hill_slope=b, bottom=c, top=d, ec50=e)
            # the effect level is reached by falling to `target`: never reached in the
            # tested range (">"), or already reached at the lowest dose ("<"), whichever
            # way the fitted curve runs
            above = np.minimum(response_low, response_high) > target
            below = ~above & (response_low <= target)
            censor = np.where(above, ">", np.where(below, "<", "")).astype(object)
            censor = np.where(np.isnan(e), "", censor).astype(object)
            bound = np.where(censor == ">", self.dose_max, self.dose_min)
            is_censored = censor != ""
            estimate = np.where(is_censored, bound, estimate)
            lower = np.where(is_censored, np.nan, lower)
            upper = np.where(is_censored, np.nan, upper)
            se = np.where(is_censored, np.nan, se)
        return EffectiveDose(
            level=float(level),
            kind=kind,
            estimate=estimate,
            lower=lower,
            upper=upper,
            se=se,
            censor=censor,
        )

    def ec50_interval(self, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Confidence interval of the ec50 parameter, symmetric on log dose."""
        ed = self.effective_dose(50.0, kind="relative", confidence=confidence)
        return ed.lower, ed.upper

    def emax(self) -> np.ndarray:
        """Fitted response at the highest tested dose (the maximal observed effect)."""
        return log_logistic(
            self.dose_max,
            hill_slope=self.hill_slope,
            bottom=self.bottom,
            top=self.top,
            ec50=self.ec50,
        )

    def auc(self) -> np.ndarray:
        """Normalised area under the fitted curve over log dose.

        The area between the lowest and highest tested dose, divided by the
        log-dose range and the control response: 1 means no effect anywhere in
        the range, 0 complete killing throughout (the "activity area" complement).
        """
        area = log_logistic_area(
            self.dose_min,
            self.dose_max,
            hill_slope=self.hill_slope,
            bottom=self.bottom,
            top=self.top,
            ec50=self.ec50,
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            width = np.log(self.dose_max) - np.log(self.dose_min)
            return area / (width * self.control_response)

    def to_frame(self, *, levels: tuple[float, ...] = (10.0, 20.0, 90.0)) -> pd.DataFrame:
        """One row per curve: parameters, errors, ICx with CIs, Emax, AUC, flags.

        Columns: ``hill``, ``bottom``, ``top``, ``ec50`` (with ``_se``),
        ``ec50_ci_low/high``, ``ic50`` (absolute) with ``ic50_ci_low/high`` and
        ``ic50_censor``, ``ic<level>`` with censor for each of `levels`,
        ``emax``, ``auc``, ``rss``, ``rse``, ``n``, ``df``, ``converged``,
        ``f_pvalue``, ``lack_of_fit_pvalue``, ``flag``.
        """
        se = self.standard_errors
        ec_low, ec_high = self.ec50_interval()
        ic50 = self.effective_dose(50.0)
        frame = {
            "hill": self.hill_slope,
            "bottom": self.bottom,
            "top": self.top,
            "ec50": self.ec50,
            "hill_se": se[:, 0],
            "bottom_se": se[:, 1],
            "top_se": se[:, 2],
            "ec50_se": se[:, 3],
            "ec50_ci_low": ec_low,
            "ec50_ci_high": ec_high,
            "ic50": ic50.estimate,
            "ic50_ci_low": ic50.lower,
            "ic50_ci_high": ic50.upper,
            "ic50_censor": ic50.censor,
        }
        for level in levels:
            ed = self.effective_dose(level)
            name = f"ic{level:g}"
            frame[name] = ed.estimate
            frame[f"{name}_ci_low"] = ed.lower
            frame[f"{name}_ci_high"] = ed.upper
            frame[f"{name}_censor"] = ed.censor
        frame.update(
            {
                "emax": self.emax(),
                "auc": self.auc(),
                "rss": self.rss,
                "rse": self.rse,
                "n": self.n_obs,
                "df": self.df_resid,
                "converged": self.converged,
                "f_pvalue": self.f_pvalue,
                "lack_of_fit_pvalue": self.lack_of_fit_pvalue,
                "flag": np.asarray(self.flags, dtype=object),
            }
        )
        return pd.DataFrame(frame)


def _as_batch(values: ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        msg = f"{name} must be 1-D (one curve) or 2-D (curves x points), got shape {arr.shape}"
        raise ValueError(msg)
    return arr


def fit_curves(
    doses: ArrayLike,
    responses: ArrayLike,
    *,
    model: Model = "ll4",
    top: float | None = None,
    bottom: float | None = None,
    control_response: ArrayLike = 100.0,
    bounds: dict[str, tuple[ArrayLike, ArrayLike]] | None = None,
    max_iter: int = 200,
) -> CurveFits:
    """Fit log-logistic curves to many dose-response series at once.

    Parameters
    ----------
    doses : array_like of shape (N, M) or (M,)
        Concentrations (any single unit; 0 marks vehicle wells, which belong
        to the top asymptote as in drc). NaN pads ragged curves.
    responses : array_like of shape (N, M) or (M,)
        Responses, e.g. % viability; NaN marks missing points.
    model : {"ll4", "ll3", "ll2"}
        drc's LL.4 (all four parameters), LL.3 (bottom fixed, 0 unless
        `bottom` is given) or LL.2 (bottom and top fixed; top defaults to
        `control_response`).
    top, bottom : float, optional
        Fix the top or bottom asymptote, e.g. ``top=100`` for a curve forced
        through 100 % viability.
    control_response : float or array_like of shape (N,)
        Response of untreated cells; absolute ICx are fractions of it.
    bounds : dict, optional
        Box constraints ``{name: (low, high)}`` for any of ``hill_slope``,
        ``bottom``, ``top``, ``ec50`` (dose units); each limit a scalar or an
        array of shape (N,), e.g. GR fits' bounded slope and per-experiment
        GEC50 range. Without them the slope is capped where the curve would
        become a step between two doses, and ec50 kept within a decade of the
        tested range (both flagged when reached); a given bound replaces
        that default.
    max_iter : int
        Iteration budget per start; curves that exhaust it are flagged.

    Returns
    -------
    CurveFits

    Examples
    --------
    >>> x = np.array([1e-9, 1e-8, 1e-7, 1e-6, 1e-5])
    >>> y = 5 + 95 / (1 + (x / 1e-7) ** 1.2)
    >>> fits = fit_curves(x, y)
    >>> round(float(fits.ec50[0]) * 1e9, 3), round(float(fits.hill_slope[0]), 3)
    (100.0, 1.2)
    """
    x = _as_batch(doses, "doses")
    y = _as_batch(responses, "responses")
    if x.shape[0] == 1 and y.shape[0] > 1:
        x = np.broadcast_to(x, y.shape)
    if x.shape != y.shape:
        msg = f"doses and responses must have the same shape, got {x.shape} and {y.shape}"
        raise ValueError(msg)
    negative = x < 0
    if negative.any():
        row, col = np.argwhere(negative)[0]
        msg = f"doses must be non-negative; curve {row}, point {col} has dose {x[row, col]}"
        raise ValueError(msg)
    if model not in ("ll4", "ll3", "ll2"):
        msg = f"Invalid value ({model!r}) for argument 'model'; should be 'll4', 'll3' or 'll2'."
        raise ValueError(msg)
    if model in ("ll3", "ll2") and bottom is None:
        bottom = 0.0
    control = np.broadcast_to(np.asarray(control_response, dtype=float), (y.shape[0],))
    if model == "ll2" and top is None:
        if not np.all(control == control[0]):
            msg = "model 'll2' fixes top at the control response, which must then be one value"
            raise ValueError(msg)
        top = float(control[0])
    free = np.array([True, bottom is None, top is None, True])
    n = y.shape[0]
    lower = np.full((n, 4), -np.inf)
    upper = np.full((n, 4), np.inf)
    for name, (low_value, high_value) in (bounds or {}).items():
        if name not in PARAMETERS:
            msg = f"unknown parameter {name!r} in bounds; should be one of {', '.join(PARAMETERS)}"
            raise ValueError(msg)
        low = np.broadcast_to(np.asarray(low_value, dtype=float), (n,))
        high = np.broadcast_to(np.asarray(high_value, dtype=float), (n,))
        if not np.all(low < high):
            msg = f"bounds for {name} must satisfy low < high, got ({low_value!r}, {high_value!r})"
            raise ValueError(msg)
        j = PARAMETERS.index(name)
        if name == "ec50":
            if np.any(low < 0):
                msg = f"bounds for ec50 must be non-negative, got ({low_value!r}, {high_value!r})"
                raise ValueError(msg)
            with np.errstate(divide="ignore"):
                low, high = np.log(low), np.log(high)
        lower[:, j] = low
        upper[:, j] = high
    start = np.zeros((n, 4))
    start[:, 1] = bottom if bottom is not None else 0.0
    start[:, 2] = top if top is not None else 0.0
    kernel = _kernel.fit_batch if n >= _PARALLEL_FROM else _kernel.fit_batch_serial
    params, cov_eta, rss, n_obs, status, iterations, summary = kernel(
        np.ascontiguousarray(x),
        np.ascontiguousarray(y),
        start,
        free,
        lower,
        upper,
        int(max_iter),
        1e-9,
        _STEP_LOGIT,
        _EC50_MARGIN,
    )
    ok = status != _kernel.TOO_FEW_POINTS
    params = np.where(ok[:, None], params, np.nan)
    ec50 = np.exp(params[:, 3])
    # covariance over (b, c, d, e) from (b, c, d, log e): scale the last row/column by e
    scale = np.ones((n, 4))
    scale[:, 3] = ec50
    covariance = cov_eta * scale[:, :, None] * scale[:, None, :]
    n_free = int(free.sum())
    df_resid = np.maximum(n_obs - n_free, 0)
    f_tests = _fit_tests(summary, rss, n_obs, n_free)
    fits = CurveFits(
        hill_slope=params[:, 0],
        bottom=params[:, 1],
        top=params[:, 2],
        ec50=ec50,
        covariance=covariance,
        rss=rss,
        n_obs=n_obs,
        df_resid=df_resid,
        dose_min=summary[:, 6],
        dose_max=summary[:, 7],
        status=status,
        iterations=iterations,
        flag_bits=np.zeros(n, dtype=np.uint32),
        f_tests=f_tests,
        control_response=control.copy(),
        model=model,
        free=(True, bool(free[1]), bool(free[2]), True),
    )
    bits = _flag_bits(fits, summary[:, 5], lower, upper, tuple(bounds or ()))
    return CurveFits(**{**fits.__dict__, "flag_bits": bits})


def fit_hill(
    doses: ArrayLike,
    responses: ArrayLike,
    *,
    model: Model = "ll4",
    top: float | None = None,
    bottom: float | None = None,
    control_response: float = 100.0,
) -> CurveFits:
    """Fit one curve; the same kernel as `fit_curves`, for a 1-D series.

    Examples
    --------
    >>> fit = fit_hill([1e-9, 1e-8, 1e-7, 1e-6, 1e-5], [97, 81, 42, 8, 3])
    >>> bool(fit.converged[0])
    True
    """
    x = np.asarray(doses, dtype=float)
    y = np.asarray(responses, dtype=float)
    if x.ndim != 1 or y.ndim != 1:
        msg = "fit_hill takes one curve (1-D doses and responses); use fit_curves for many"
        raise ValueError(msg)
    return fit_curves(x, y, model=model, top=top, bottom=bottom, control_response=control_response)


def _fit_tests(
    summary: np.ndarray,
    rss: np.ndarray,
    n_obs: np.ndarray,
    n_free: int,
) -> np.ndarray:
    """F statistics and degrees of freedom: fit vs flat line, fit vs dose-level means.

    Returns an array of shape (N, 6): flat F, its two dfs, lack-of-fit F, its two dfs.
    """
    rss_flat = summary[:, 0]
    pure_ss = summary[:, 1]
    n_levels = summary[:, 2]
    df_resid = n_obs - n_free
    df_model = max(n_free - 1, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        f_flat = ((rss_flat - rss) / df_model) / (rss / df_resid)
        f_flat = np.where((df_resid > 0) & np.isfinite(f_flat), np.maximum(f_flat, 0.0), np.nan)
        df_pure = n_obs - n_levels
        df_lof = n_levels - n_free
        f_lof = ((rss - pure_ss) / df_lof) / (pure_ss / df_pure)
        ok = (df_lof > 0) & (df_pure > 0) & (pure_ss > 0) & np.isfinite(f_lof)
        f_lof = np.where(ok, np.maximum(f_lof, 0.0), np.nan)
    return np.column_stack(
        [f_flat, np.full(len(rss), df_model), df_resid, f_lof, df_lof, df_pure]
    ).astype(float)


def _f_exceeds(f_stat: np.ndarray, df1: np.ndarray, df2: np.ndarray, alpha: float) -> np.ndarray:
    """Whether each F statistic is significant at `alpha`, one quantile per distinct df pair."""
    out = np.zeros(f_stat.shape, dtype=bool)
    ok = np.isfinite(f_stat) & (df1 > 0) & (df2 > 0)
    if not ok.any():
        return out
    # degrees of freedom are small integers: one scalar key per pair, one quantile per key
    d1 = df1[ok].astype(np.int64)
    d2 = df2[ok].astype(np.int64)
    keys, inverse = np.unique(d1 * (1 << 32) + d2, return_inverse=True)
    critical = stats.f.isf(alpha, keys >> 32, keys & ((1 << 32) - 1))
    out[ok] = f_stat[ok] > critical[inverse.ravel()]
    return out


#: Reasons not to read a curve as precise, one bit each in `CurveFits.flag_bits`.
FLAG_REASONS = (
    "too few points or dose levels to fit",
    "not converged within the iteration budget",
    "numerical failure",
    "flat: no significant dose effect (F test p > 0.05)",
    "lack of fit: not sigmoid (non-monotone or plateau missed; F test p < 0.01)",
    "step: the response changes within one dose step, so slope and ec50 are not identifiable",
    "ec50 outside the tested dose range (extrapolated)",
    "standard errors undefined (singular Hessian)",
    *(f"{name} at its bound" for name in PARAMETERS),
    "imprecise: the ec50 95 % CI spans more than two decades",
    "ic50 > top dose (50 % not reached)",
    "ic50 < lowest dose",
)
_CENSOR_BITS = {">": 1 << 13, "<": 1 << 14}
#: se of log(ec50) beyond which the 95 % interval spans more than 100-fold.
_IMPRECISE_SE_LOG = np.log(100.0) / (2 * 1.96)


def _flag_bits(
    fits: CurveFits,
    slope_cap: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    bounded: tuple[str, ...],
) -> np.ndarray:
    """Encode, per curve, the reasons (bits of `FLAG_REASONS`) not to read it as precise."""
    status = fits.status
    fitted = status != _kernel.TOO_FEW_POINTS
    ft = fits.f_tests
    with np.errstate(invalid="ignore"):
        masks = [
            status == _kernel.TOO_FEW_POINTS,
            status == _kernel.MAX_ITER,
            status == _kernel.NUMERICAL,
            fitted & np.isfinite(ft[:, 0]) & ~_f_exceeds(ft[:, 0], ft[:, 1], ft[:, 2], 0.05),
            fitted & _f_exceeds(ft[:, 3], ft[:, 4], ft[:, 5], 0.01),
            fitted & (np.abs(fits.hill_slope) >= 0.999 * slope_cap),
            fitted & ((fits.ec50 < fits.dose_min) | (fits.ec50 > fits.dose_max)),
            fitted & np.isnan(fits.covariance[:, 3, 3]),
        ]
        values = np.column_stack([fits.hill_slope, fits.bottom, fits.top, np.log(fits.ec50)])
        for j, name in enumerate(PARAMETERS):
            at_bound = (values[:, j] <= lower[:, j]) | (values[:, j] >= upper[:, j])
            masks.append(fitted & at_bound & (name in bounded))
        se_log_ec50 = np.sqrt(fits.covariance[:, 3, 3]) / fits.ec50
        masks.append(fitted & (se_log_ec50 > _IMPRECISE_SE_LOG))
    bits = np.zeros(len(fits), dtype=np.uint32)
    for k, mask in enumerate(masks):
        bits |= mask.astype(np.uint32) << np.uint32(k)
    return bits
