"""Comparing lines: fold resistance and extra-sum-of-squares F tests.

Two questions follow once a resistant line exists:

* **How resistant?** `fold_resistance` divides the resistant line's IC50 by
  the parental one, curve pair by curve pair, with a confidence interval and
  a test of "no shift". Curves fitted in separate experiments are compared
  with each curve's own residual variance.
* **Is the shift real, and in which parameter?** `compare_curves` fits the
  lines of one experiment twice, with chosen parameters shared and with all
  parameters separate, and tests the difference with the extra-sum-of-squares
  F test (GraphPad Prism's comparison of a global fit with shared parameters
  against individual fits; drc's ``anova`` of two nested ``drm`` fits).
  `CurveComparison.ratios` gives the parameter-ratio view of drc's
  ``compParm`` / ``EDcomp``.

Pure functions: numbers in, frozen result objects out; no files, no printing.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import optimize, special, stats

from resistlab.dose_response import _kernel
from resistlab.dose_response.fit import PARAMETERS, CurveFits, Model, fit_curves

__all__ = ["CurveComparison", "FoldResistance", "compare_curves", "fold_resistance"]

#: Free parameters of each model, in PARAMETERS order.
_FREE = {
    "ll4": (True, True, True, True),
    "ll3": (True, False, True, True),
    "ll2": (True, False, False, True),
}
#: The default box of `fit_curves`, repeated for the joint fit so that both models
#: search the same space: |hill slope| at most this logit change across the
#: smallest dose step, and log ec50 within one decade of the tested range.
_STEP_LOGIT = 30.0
_EC50_MARGIN = float(np.log(10.0))
#: Short column names, as `CurveFits.to_frame` uses them.
_COLUMN = {"hill_slope": "hill", "bottom": "bottom", "top": "top", "ec50": "ec50"}


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        msg = f"confidence must be strictly between 0 and 1, got {confidence}"
        raise ValueError(msg)


def _welch_df(
    var_a: np.ndarray, df_a: np.ndarray, var_b: np.ndarray, df_b: np.ndarray
) -> np.ndarray:
    """Welch-Satterthwaite degrees of freedom of a sum of two variances."""
    with np.errstate(divide="ignore", invalid="ignore"):
        df = (var_a + var_b) ** 2 / (var_a**2 / df_a + var_b**2 / df_b)
    return np.where((df_a > 0) & (df_b > 0), df, np.nan)


def _t_quantile(confidence: float, df: np.ndarray) -> np.ndarray:
    df = np.asarray(df, dtype=float)
    ok = np.isfinite(df) & (df > 0)
    return np.where(ok, stats.t.ppf(0.5 + confidence / 2.0, np.where(ok, df, 1.0)), np.nan)


def _t_pvalue(t_value: np.ndarray, df: np.ndarray) -> np.ndarray:
    """Two-sided p-value of a t statistic; NaN where undefined."""
    t_value = np.asarray(t_value, dtype=float)
    df = np.asarray(df, dtype=float)
    ok = ~np.isnan(t_value) & np.isfinite(df) & (df > 0)
    with np.errstate(invalid="ignore"):
        p = 2.0 * stats.t.sf(np.abs(np.where(ok, t_value, 0.0)), np.where(ok, df, 1.0))
    return np.where(ok, p, np.nan)


# --------------------------------------------------------------------------- fold resistance


@dataclass(frozen=True)
class FoldResistance:
    """Fold resistance of resistant over parental curves, one entry per pair.

    All arrays have shape (N,).

    Attributes
    ----------
    metric : {"ic50", "ec50"}
        What was divided: the absolute IC50 (dose giving 50 % of the control
        response) or the relative EC50 (the ``ec50`` parameter, midway between
        the fitted top and bottom).
    confidence : float
        Coverage of `lower` and `upper`.
    fold : ndarray
        ``metric_resistant / metric_parental``. Where `censor` is ``">"`` or
        ``"<"`` this is the bound (e.g. top dose / parental IC50), not an
        estimate; NaN where the fold cannot be determined.
    lower, upper : ndarray
        Confidence limits, symmetric on log scale; NaN for censored folds.
    censor : ndarray of str
        ``""`` (estimated), ``">"`` (at least `fold`) or ``"<"`` (at most `fold`).
    se_log : ndarray
        Standard error of the natural log of the fold (delta method).
    df : ndarray
        Welch-Satterthwaite degrees of freedom of `se_log`.
    p_value : ndarray
        Two-sided Wald t test of fold = 1 (no shift); NaN for censored folds.
    parental, resistant : ndarray
        The two doses divided (or the censoring bound of each).
    parental_censor, resistant_censor : ndarray of str
        Censoring of each dose, as `EffectiveDose.censor`.
    notes : tuple of str
        Why a fold is censored, undetermined or imprecise ("" when nothing to say).
    """

    metric: str
    confidence: float
    fold: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    censor: np.ndarray
    se_log: np.ndarray
    df: np.ndarray
    p_value: np.ndarray
    parental: np.ndarray
    resistant: np.ndarray
    parental_censor: np.ndarray
    resistant_censor: np.ndarray
    notes: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.fold.shape[0])

    @property
    def log2_fold(self) -> np.ndarray:
        """Base-2 logarithm of `fold` (of the bound where censored)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log2(self.fold)

    @property
    def se_log2(self) -> np.ndarray:
        """Standard error of `log2_fold`."""
        return self.se_log / np.log(2.0)

    def to_frame(self) -> pd.DataFrame:
        """One row per curve pair.

        Columns: ``fold``, ``fold_ci_low``, ``fold_ci_high``, ``fold_censor``,
        ``log2_fold``, ``se_log2``, ``df``, ``p_value``, ``<metric>_parental``,
        ``<metric>_parental_censor``, ``<metric>_resistant``,
        ``<metric>_resistant_censor``, ``note``.
        """
        m = self.metric
        return pd.DataFrame(
            {
                "fold": self.fold,
                "fold_ci_low": self.lower,
                "fold_ci_high": self.upper,
                "fold_censor": self.censor,
                "log2_fold": self.log2_fold,
                "se_log2": self.se_log2,
                "df": self.df,
                "p_value": self.p_value,
                f"{m}_parental": self.parental,
                f"{m}_parental_censor": self.parental_censor,
                f"{m}_resistant": self.resistant,
                f"{m}_resistant_censor": self.resistant_censor,
                "note": np.asarray(self.notes, dtype=object),
            }
        )

    def to_evidence(self, *, target: str, source: str = "fold_resistance") -> pd.DataFrame:
        """Rows of the evidence table (DESIGN.md), one per curve pair.

        ``assay`` is ``dose_response``, ``comparison`` ``resistant_vs_parental``,
        ``log2_fold_change`` the log2 fold. A censored fold contributes its
        bound (a conservative effect size) with ``se`` and ``p_value`` NaN;
        undetermined folds are left out.

        Parameters
        ----------
        target : str
            What was measured, e.g. the drug: ``"defactinib_ic50"``.
        source : str
            Where the numbers came from (file and row, or analysis name).
        """
        keep = ~np.isnan(self.fold)
        return pd.DataFrame(
            {
                "assay": "dose_response",
                "target": target,
                "comparison": "resistant_vs_parental",
                "log2_fold_change": self.log2_fold[keep],
                "p_value": self.p_value[keep],
                "se": self.se_log2[keep],
                "n": np.full(int(keep.sum()), np.nan),
                "source": [f"{source} ({self.metric}, pair {i})" for i in np.flatnonzero(keep)],
            }
        )


def fold_resistance(
    parental: CurveFits,
    resistant: CurveFits,
    *,
    metric: Literal["ic50", "ec50"] = "ic50",
    confidence: float = 0.95,
) -> FoldResistance:
    """Fold resistance: resistant IC50 over parental IC50, with CI and p-value.

    Curves pair element-wise; one parental curve is compared with every
    resistant curve (and one resistant with every parental).

    Parameters
    ----------
    parental, resistant : CurveFits
        Fits of the two lines, from separate experiments or plates; N curves
        each, or one on either side.
    metric : {"ic50", "ec50"}
        "ic50" (default): the absolute IC50, the dose leaving 50 % of the
        control response. It is the bench meaning of resistance and it moves
        when a resistant line keeps a higher bottom plateau (fewer cells
        killed at any dose), which the relative EC50 ignores. "ec50": the
        relative EC50 (``ec50`` parameter, midway between the fitted plateaus),
        the potency shift of drc's ``EDcomp`` / Prism's EC50 ratio; it is never
        censored, but may be extrapolated beyond the tested doses (noted).
    confidence : float
        Coverage of the interval.

    Returns
    -------
    FoldResistance

    Notes
    -----
    With ``F = R / P`` the delta method on log scale gives
    ``se(log F) = sqrt(se(log R)^2 + se(log P)^2)`` (independent experiments),
    each ``se(log X)`` from the fit's covariance (full Hessian, as drc). The
    interval is ``F * exp(+-t se)`` and the Wald statistic ``log(F) / se``,
    both on the t distribution with Welch-Satterthwaite degrees of freedom
    ``(vR + vP)^2 / (vR^2 / dfR + vP^2 / dfP)`` from the two residual dfs, so
    that a line measured on few points does not borrow precision from the
    other.

    A censored IC50 is never turned into a number: if the resistant IC50 is
    above the top dose, the fold is ``">"`` the top dose over the parental
    IC50 (likewise ``"<"`` for the lowest dose, and mirrored for the
    parental line); when both are censored in directions that do not bound
    the ratio (e.g. both above their top doses) the fold is NaN.

    Examples
    --------
    >>> from resistlab.dose_response import fit_curves, log_logistic
    >>> x = np.repeat(1e-5 / 3.0 ** np.arange(9), 3)
    >>> wobble = np.tile([1.5, -1.0, -0.5], 9)
    >>> curve = dict(hill_slope=1.2, bottom=5, top=100)
    >>> parental = fit_curves(x, log_logistic(x, ec50=1e-8, **curve) + wobble)
    >>> resistant = fit_curves(x, log_logistic(x, ec50=8e-8, **curve) + wobble)
    >>> result = fold_resistance(parental, resistant)
    >>> round(float(result.fold[0]), 2), bool(result.lower[0] < 8 < result.upper[0])
    (8.0, True)
    >>> bool(result.p_value[0] < 1e-6)
    True
    """
    if not isinstance(parental, CurveFits) or not isinstance(resistant, CurveFits):
        msg = (
            "parental and resistant must be CurveFits (from fit_curves), got "
            f"{type(parental).__name__} and {type(resistant).__name__}"
        )
        raise TypeError(msg)
    if metric not in ("ic50", "ec50"):
        msg = f"Invalid value ({metric!r}) for argument 'metric'; should be 'ic50' or 'ec50'."
        raise ValueError(msg)
    _check_confidence(confidence)
    n_p, n_r = len(parental), len(resistant)
    if n_p != n_r and 1 not in (n_p, n_r):
        msg = (
            f"parental has {n_p} curves and resistant {n_r}; give one curve per pair, "
            "or a single curve on one side to compare with all on the other"
        )
        raise ValueError(msg)
    n = max(n_p, n_r)

    kind: Literal["absolute", "relative"] = "absolute" if metric == "ic50" else "relative"
    ed_p = parental.effective_dose(50.0, kind=kind)
    ed_r = resistant.effective_dose(50.0, kind=kind)

    def spread(values: np.ndarray) -> np.ndarray:
        return np.broadcast_to(np.asarray(values), (n,)).copy()

    p_est, r_est = spread(ed_p.estimate), spread(ed_r.estimate)
    p_cen, r_cen = spread(ed_p.censor), spread(ed_r.censor)
    with np.errstate(divide="ignore", invalid="ignore"):
        var_p = spread((ed_p.se / ed_p.estimate) ** 2)
        var_r = spread((ed_r.se / ed_r.estimate) ** 2)
    df_p = spread(parental.df_resid.astype(float))
    df_r = spread(resistant.df_resid.astype(float))

    # a censored dose pushes the fold one way: up if the resistant IC50 lies above
    # its top dose or the parental one below its lowest, down in the mirror cases
    up = (r_cen == ">") | (p_cen == "<")
    down = (r_cen == "<") | (p_cen == ">")
    censor = np.where(up & ~down, ">", np.where(down & ~up, "<", "")).astype(object)
    undetermined = up & down
    with np.errstate(divide="ignore", invalid="ignore"):
        fold = np.where(undetermined, np.nan, r_est / p_est)
        censor = np.where(np.isnan(fold), "", censor).astype(object)
        estimated = (censor == "") & ~undetermined
        se_log = np.where(estimated, np.sqrt(var_r + var_p), np.nan)
        df = np.where(estimated, _welch_df(var_r, df_r, var_p, df_p), np.nan)
        t = _t_quantile(confidence, df)
        lower = fold * np.exp(-t * se_log)
        upper = fold * np.exp(t * se_log)
        p_value = _t_pvalue(np.log(fold) / se_log, df)

    notes = _fold_notes(
        metric=metric,
        parental=parental,
        resistant=resistant,
        n=n,
        p_est=p_est,
        r_est=r_est,
        p_cen=p_cen,
        r_cen=r_cen,
        censor=censor,
        undetermined=undetermined,
        se_log=se_log,
    )
    return FoldResistance(
        metric=metric,
        confidence=float(confidence),
        fold=fold,
        lower=lower,
        upper=upper,
        censor=censor,
        se_log=se_log,
        df=df,
        p_value=p_value,
        parental=p_est,
        resistant=r_est,
        parental_censor=p_cen,
        resistant_censor=r_cen,
        notes=notes,
    )


def _fold_notes(
    *,
    metric: str,
    parental: CurveFits,
    resistant: CurveFits,
    n: int,
    p_est: np.ndarray,
    r_est: np.ndarray,
    p_cen: np.ndarray,
    r_cen: np.ndarray,
    censor: np.ndarray,
    undetermined: np.ndarray,
    se_log: np.ndarray,
) -> tuple[str, ...]:
    """Explain, per pair, censoring, failures and extrapolation."""
    reasons: list[list[str]] = [[] for _ in range(n)]
    sides = (("parental", parental, p_est, p_cen), ("resistant", resistant, r_est, r_cen))
    for name, fits, est, cen in sides:
        low = np.broadcast_to(fits.dose_min, (n,))
        high = np.broadcast_to(fits.dose_max, (n,))
        for i in range(n):
            if np.isnan(est[i]):
                reasons[i].append(f"{name} fit failed")
            elif cen[i] == ">":
                reasons[i].append(f"{name} {metric} > top dose {high[i]:.4g}")
            elif cen[i] == "<":
                reasons[i].append(f"{name} {metric} < lowest dose {low[i]:.4g}")
            elif not low[i] <= est[i] <= high[i]:
                reasons[i].append(f"{name} {metric} extrapolated beyond the tested doses")
    for i in range(n):
        if np.isnan(p_est[i]) or np.isnan(r_est[i]):
            continue
        if undetermined[i]:
            reasons[i].append("fold undetermined: both doses censored")
        elif censor[i] != "":
            reasons[i].append("fold is a bound, not an estimate")
        elif not np.isfinite(se_log[i]):
            reasons[i].append("standard error undefined")
    return tuple("; ".join(r) for r in reasons)


# --------------------------------------------------------------------------- compare curves


@dataclass(frozen=True)
class CurveComparison:
    """Shared-parameter versus separate fits of two or more lines, and their F test.

    Attributes
    ----------
    labels : tuple
        Group labels, in order of first appearance.
    model : str
        "ll4", "ll3" or "ll2".
    shared : tuple of str
        Parameters held common to all groups in the constrained model.
    separate : CurveFits
        One curve per group, fitted separately (the full model).
    joint_params : ndarray of shape (G, 4)
        (hill_slope, bottom, top, ec50) of each group under the shared model;
        shared columns are equal across groups.
    joint_se : ndarray of shape (G, 4)
        Their standard errors (full Hessian, as drc); 0 for fixed parameters.
    rss_shared, rss_separate : float
        Residual sums of squares of the two models.
    df_shared, df_separate : int
        Their residual degrees of freedom.
    f_statistic, p_value : float
        Extra-sum-of-squares F test of the shared model against the separate
        one; a small p-value means the shared parameters differ between groups.
    pool : bool
        Whether the separate fits' standard errors (and `ratios`) use one
        residual variance pooled across groups.
    converged : bool
        Whether both models were fitted.
    message : str
        Why a result is missing or should be read with care ("" if nothing).
    """

    labels: tuple[Hashable, ...]
    model: str
    shared: tuple[str, ...]
    separate: CurveFits
    joint_params: np.ndarray
    joint_se: np.ndarray
    rss_shared: float
    rss_separate: float
    df_shared: int
    df_separate: int
    f_statistic: float
    p_value: float
    pool: bool
    converged: bool
    message: str

    @property
    def shared_estimates(self) -> dict[str, float]:
        """Estimate of each shared parameter under the shared model (ec50 in dose units)."""
        return {p: float(self.joint_params[0, PARAMETERS.index(p)]) for p in self.shared}

    @property
    def shared_se(self) -> dict[str, float]:
        """Standard error of each shared parameter."""
        return {p: float(self.joint_se[0, PARAMETERS.index(p)]) for p in self.shared}

    def separate_covariance(self) -> np.ndarray:
        """Covariance of the separate fits, shape (G, 4, 4), pooled if `pool`.

        Pooled: each curve's ``s_g^2 H_g^-1`` rescaled to the pooled residual
        variance ``sum(RSS) / sum(df)``, which is what drc reports for a
        ``drm`` fit with a curve factor.
        """
        cov = self.separate.covariance
        if not self.pool:
            return cov
        with np.errstate(divide="ignore", invalid="ignore"):
            s2_group = self.separate.rss / self.separate.df_resid
            s2_pooled = self.rss_separate / self.df_separate
            return cov * (s2_pooled / s2_group)[:, None, None]

    def anova(self) -> pd.DataFrame:
        """Tabulate the F test as drc prints it: one row per model.

        Columns: ``model``, ``n_params``, ``df``, ``rss``, ``df_diff``,
        ``f_statistic``, ``p_value`` (the last three on the separate row).
        """
        n_obs = int(self.separate.n_obs.sum())
        return pd.DataFrame(
            {
                "model": [f"shared {', '.join(self.shared)}", "separate"],
                "n_params": [n_obs - self.df_shared, n_obs - self.df_separate],
                "df": [self.df_shared, self.df_separate],
                "rss": [self.rss_shared, self.rss_separate],
                "df_diff": [np.nan, float(self.df_shared - self.df_separate)],
                "f_statistic": [np.nan, self.f_statistic],
                "p_value": [np.nan, self.p_value],
            }
        )

    def ratios(
        self,
        parameter: str = "ec50",
        *,
        operator: Literal["/", "-"] = "/",
        confidence: float = 0.95,
    ) -> pd.DataFrame:
        """Pairwise ratios (or differences) of a parameter between groups.

        drc's ``compParm(object, parameter, operator)`` on the separate fits;
        for ``ec50`` this is also ``EDcomp(object, c(50, 50))``, the relative
        potency. Each pair ``i < j`` (in label order) gives
        ``estimate = theta_i / theta_j`` with the delta-method standard error
        ``|estimate| sqrt(var_i / theta_i^2 + var_j / theta_j^2)``, the
        t statistic ``(estimate - 1) / se`` and its two-sided p-value, as drc
        does; differences use ``theta_i - theta_j`` and ``sqrt(var_i + var_j)``.
        Degrees of freedom: the pooled residual df if `pool`, otherwise
        Welch-Satterthwaite. The confidence interval of a positive ratio is
        symmetric on log scale (drc's ``interval = "fls"``), of a difference
        symmetric.

        Columns: ``group_1``, ``group_2``, ``parameter``, ``operator``,
        ``estimate``, ``se``, ``t_value``, ``p_value``, ``df``, ``ci_low``,
        ``ci_high``.
        """
        if parameter not in PARAMETERS:
            msg = f"unknown parameter {parameter!r}; should be one of {', '.join(PARAMETERS)}"
            raise ValueError(msg)
        if operator not in ("/", "-"):
            msg = f"Invalid value ({operator!r}) for argument 'operator'; should be '/' or '-'."
            raise ValueError(msg)
        _check_confidence(confidence)
        j = PARAMETERS.index(parameter)
        theta = np.column_stack(
            [self.separate.hill_slope, self.separate.bottom, self.separate.top, self.separate.ec50]
        )[:, j]
        var = np.diagonal(self.separate_covariance(), axis1=1, axis2=2)[:, j]
        first, second = np.triu_indices(len(self.labels), k=1)
        a, b = theta[first], theta[second]
        va, vb = var[first], var[second]
        if self.pool:
            df = np.full(first.shape, float(self.df_separate))
        else:
            dfs = self.separate.df_resid.astype(float)
            scale_a = 1.0 / a**2 if operator == "/" else 1.0
            scale_b = 1.0 / b**2 if operator == "/" else 1.0
            df = _welch_df(va * scale_a, dfs[first], vb * scale_b, dfs[second])
        q = _t_quantile(confidence, df)
        with np.errstate(divide="ignore", invalid="ignore"):
            if operator == "/":
                estimate = a / b
                se = np.abs(estimate) * np.sqrt(va / a**2 + vb / b**2)
                t_value = (estimate - 1.0) / se
                positive = estimate > 0
                spread = np.exp(q * se / np.abs(estimate))
                ci_low = np.where(positive, estimate / spread, estimate - q * se)
                ci_high = np.where(positive, estimate * spread, estimate + q * se)
            else:
                estimate = a - b
                se = np.sqrt(va + vb)
                t_value = estimate / se
                ci_low = estimate - q * se
                ci_high = estimate + q * se
        labels = np.asarray(self.labels, dtype=object)
        return pd.DataFrame(
            {
                "group_1": labels[first],
                "group_2": labels[second],
                "parameter": parameter,
                "operator": operator,
                "estimate": estimate,
                "se": se,
                "t_value": t_value,
                "p_value": _t_pvalue(t_value, df),
                "df": df,
                "ci_low": ci_low,
                "ci_high": ci_high,
            }
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per group: estimates under both models, with standard errors.

        Columns: ``group``, ``n``, then for each of ``hill``, ``bottom``,
        ``top``, ``ec50`` the separate estimate and ``_se`` (pooled if `pool`)
        and the shared-model estimate ``joint_<name>`` with ``joint_<name>_se``;
        then ``rss`` and ``flag`` of each separate fit. Use `anova` for the
        test itself and `ratios` for pairwise comparisons.
        """
        sep = self.separate
        sep_params = np.column_stack([sep.hill_slope, sep.bottom, sep.top, sep.ec50])
        diag = np.diagonal(self.separate_covariance(), axis1=1, axis2=2)
        with np.errstate(invalid="ignore"):
            sep_se = np.sqrt(np.where(diag >= 0, diag, np.nan))
        frame: dict[str, object] = {
            "group": np.asarray(self.labels, dtype=object),
            "n": sep.n_obs,
        }
        for j, name in enumerate(PARAMETERS):
            short = _COLUMN[name]
            frame[short] = sep_params[:, j]
            frame[f"{short}_se"] = sep_se[:, j]
            frame[f"joint_{short}"] = self.joint_params[:, j]
            frame[f"joint_{short}_se"] = self.joint_se[:, j]
        frame["rss"] = sep.rss
        frame["flag"] = np.asarray(sep.flags, dtype=object)
        return pd.DataFrame(frame)


def compare_curves(
    doses: ArrayLike,
    responses: ArrayLike,
    groups: ArrayLike,
    *,
    model: Model = "ll4",
    shared: tuple[str, ...] | str = ("ec50",),
    pool: bool = True,
    control_response: float = 100.0,
) -> CurveComparison:
    """Test whether parameters differ between lines: extra-sum-of-squares F test.

    Fits every group's curve separately (the full model, one batch call to
    `fit_curves`) and jointly with the `shared` parameters common to all
    groups (the constrained model, `scipy.optimize.least_squares` with an
    analytic Jacobian, the best of several starts: the shared values of the
    pooled fit, of each group's separate fit and three points between them,
    since the constrained model has local optima when the lines differ a
    lot), then compares them:

    ``F = ((RSS_shared - RSS_separate) / (df_shared - df_separate)) / (RSS_separate / df_separate)``

    on ``(df_shared - df_separate, df_separate)`` degrees of freedom, as
    GraphPad Prism's comparison of global fits and drc's ``anova`` of two
    nested ``drm`` fits compute it. Both models assume one residual variance
    across groups.

    Parameters
    ----------
    doses : array_like of shape (M,)
        Concentration of each well (one unit; 0 marks vehicle wells).
    responses : array_like of shape (M,)
        Response of each well; rows with NaN dose or response are dropped.
    groups : array_like of shape (M,)
        Line (curve) label of each well; two or more distinct labels.
    model : {"ll4", "ll3", "ll2"}
        As in `fit_curves`.
    shared : tuple of str or "all"
        Parameters common to all groups under the constrained model, among
        ``hill_slope``, ``bottom``, ``top``, ``ec50`` (free in `model`).
        ``("ec50",)`` (default) tests an EC50 shift; ``"all"`` tests whether
        one curve fits all groups.
    pool : bool
        Standard errors of the separate fits and `CurveComparison.ratios`
        from one residual variance pooled across groups (drc's default for
        curves fitted in one ``drm`` call). False: each curve's own variance,
        Welch-Satterthwaite degrees of freedom for ratios.
    control_response : float
        Response of untreated cells, passed to `fit_curves`.

    Returns
    -------
    CurveComparison

    Raises
    ------
    ValueError
        If lengths differ, fewer than two groups are given, a dose is
        negative, or `shared` names an unknown or fixed parameter.

    Examples
    --------
    >>> from resistlab.dose_response import log_logistic
    >>> rng = np.random.default_rng(0)
    >>> x = np.tile(np.repeat(1e-5 / 3.0 ** np.arange(9), 3), 2)
    >>> line = np.repeat(["parental", "resistant"], 27)
    >>> ec50 = np.where(line == "parental", 1e-8, 8e-8)
    >>> y = log_logistic(x, hill_slope=1.2, bottom=5, top=100, ec50=ec50) + rng.normal(0, 3, x.size)
    >>> result = compare_curves(x, y, line)
    >>> result.df_shared - result.df_separate, bool(result.p_value < 1e-6)
    (1, True)
    >>> ratio = result.ratios("ec50").loc[0]
    >>> bool(ratio.ci_low < 1 / 8 < ratio.ci_high)
    True
    """
    x = np.asarray(doses, dtype=float)
    y = np.asarray(responses, dtype=float)
    labels_in = np.asarray(groups, dtype=object)
    for name, arr in (("doses", x), ("responses", y), ("groups", labels_in)):
        if arr.ndim != 1:
            msg = f"{name} must be 1-D (one value per well), got shape {arr.shape}"
            raise ValueError(msg)
    if not x.shape == y.shape == labels_in.shape:
        msg = (
            "doses, responses and groups must have the same length, got "
            f"{x.shape[0]}, {y.shape[0]} and {labels_in.shape[0]}"
        )
        raise ValueError(msg)
    if np.any(x < 0):
        row = int(np.flatnonzero(x < 0)[0])
        msg = f"doses must be non-negative; row {row} has dose {x[row]}"
        raise ValueError(msg)
    codes, uniques = pd.factorize(labels_in, sort=False)
    if np.any(codes < 0):
        row = int(np.flatnonzero(codes < 0)[0])
        msg = f"groups must label every well; row {row} has no group"
        raise ValueError(msg)
    if model not in _FREE:
        msg = f"Invalid value ({model!r}) for argument 'model'; should be 'll4', 'll3' or 'll2'."
        raise ValueError(msg)
    free = _FREE[model]
    shared_names = _parse_shared(shared, model, free)
    labels = tuple(uniques.tolist())
    n_groups = len(labels)
    if n_groups < 2:
        msg = f"groups must name at least two lines to compare, got {n_groups}"
        raise ValueError(msg)

    keep = ~np.isnan(x) & ~np.isnan(y)
    x, y, codes = x[keep], y[keep], codes[keep]
    # one batch: each group's curve, and all data as one curve (a start for the joint fit)
    width = max(int(np.bincount(codes, minlength=n_groups).max()), x.size)
    xb = np.full((n_groups + 1, width), np.nan)
    yb = np.full((n_groups + 1, width), np.nan)
    for g in range(n_groups):
        member = codes == g
        xb[g, : member.sum()] = x[member]
        yb[g, : member.sum()] = y[member]
    xb[n_groups, : x.size] = x
    yb[n_groups, : y.size] = y
    fits = fit_curves(xb, yb, model=model, control_response=control_response)
    separate = fits.take(np.arange(n_groups))
    pooled = fits.take(n_groups)

    n_obs = int(x.size)
    n_free = int(sum(free))
    df_separate = n_obs - n_groups * n_free
    rss_separate = float(np.sum(separate.rss))
    n_theta = len(shared_names) + n_groups * (n_free - len(shared_names))
    df_shared = n_obs - n_theta
    nan_params = np.full((n_groups, 4), np.nan)

    sep_params = np.column_stack(
        [separate.hill_slope, separate.bottom, separate.top, separate.ec50]
    )
    failed = [
        f"group {labels[g]!r}: {separate.flags[g] or 'fit failed'}"
        for g in range(n_groups)
        if separate.status[g] in (_kernel.TOO_FEW_POINTS, _kernel.NUMERICAL)
        or not np.all(np.isfinite(sep_params[g]))
    ]
    if failed or df_separate <= 0:
        reason = "; ".join(failed) if failed else "no residual degrees of freedom"
        return CurveComparison(
            labels=labels,
            model=model,
            shared=shared_names,
            separate=separate,
            joint_params=nan_params,
            joint_se=nan_params.copy(),
            rss_shared=np.nan,
            rss_separate=rss_separate,
            df_shared=df_shared,
            df_separate=df_separate,
            f_statistic=np.nan,
            p_value=np.nan,
            pool=pool,
            converged=False,
            message=f"separate fits failed, no test: {reason}",
        )

    with np.errstate(divide="ignore"):
        log_dose = np.log(x)
    joint = _JointModel(log_dose, y, codes, n_groups, free, shared_names, separate)
    theta, rss_shared, ok, fit_message = joint.fit(pooled)
    joint_params, joint_se = joint.estimates(theta, rss_shared, df_shared)

    notes = [f"group {labels[g]!r}: {f}" for g, f in enumerate(separate.flags) if f]
    finite = bool(np.isfinite(rss_shared))
    if not ok:
        notes.insert(
            0,
            f"shared model did not converge ({fit_message}); F uses the lowest RSS "
            "reached and may be slightly overstated"
            if finite
            else f"shared model fit failed: {fit_message}",
        )
    f_stat = np.nan
    p_value = np.nan
    if finite:
        with np.errstate(divide="ignore", invalid="ignore"):
            f_stat = float(
                (np.float64(rss_shared - rss_separate) / (df_shared - df_separate))
                / (np.float64(rss_separate) / df_separate)
            )
        if f_stat < 0:
            if (rss_separate - rss_shared) > 1e-6 * rss_separate:
                notes.append(
                    "shared model fits better than the separate fits (a separate fit is at "
                    "a bound or a local optimum); F set to 0"
                )
            f_stat = 0.0
        p_value = float(stats.f.sf(f_stat, df_shared - df_separate, df_separate))
    return CurveComparison(
        labels=labels,
        model=model,
        shared=shared_names,
        separate=separate,
        joint_params=joint_params,
        joint_se=joint_se,
        rss_shared=float(rss_shared),
        rss_separate=rss_separate,
        df_shared=df_shared,
        df_separate=df_separate,
        f_statistic=float(f_stat),
        p_value=p_value,
        pool=pool,
        converged=bool(ok and np.all(separate.converged)),
        message="; ".join(notes),
    )


def _parse_shared(
    shared: tuple[str, ...] | str, model: str, free: tuple[bool, ...]
) -> tuple[str, ...]:
    """Validate `shared` into a tuple of free parameter names in PARAMETERS order."""
    if shared == "all":
        return tuple(p for p, f in zip(PARAMETERS, free, strict=True) if f)
    names = (shared,) if isinstance(shared, str) else tuple(shared)
    if not names:
        msg = "shared must name at least one parameter (or 'all')"
        raise ValueError(msg)
    for name in names:
        if name not in PARAMETERS:
            msg = (
                f"unknown parameter {name!r} in shared; should be 'all' or among "
                f"{', '.join(PARAMETERS)}"
            )
            raise ValueError(msg)
        if not free[PARAMETERS.index(name)]:
            msg = f"{name} is fixed in model {model!r}, so it cannot be shared or compared"
            raise ValueError(msg)
    return tuple(p for p in PARAMETERS if p in names)


class _JointModel:
    """Least squares over groups with some parameters shared.

    Internal coordinates are (b, c, d, eta = log ec50) per group, as in the
    kernel. ``theta`` holds the shared free parameters first, then each
    group's own free parameters; ``column[g, j]`` is the position in theta of
    parameter j of group g (-1 if fixed).
    """

    def __init__(
        self,
        log_dose: np.ndarray,
        y: np.ndarray,
        codes: np.ndarray,
        n_groups: int,
        free: tuple[bool, ...],
        shared: tuple[str, ...],
        separate: CurveFits,
    ) -> None:
        self.y = y
        self.codes = codes
        self.zero = np.isneginf(log_dose)
        self.log_dose = np.where(self.zero, 0.0, log_dose)
        self.n_groups = n_groups
        self.n_grid = 5
        is_shared = [p in shared for p in PARAMETERS]
        column = np.full((n_groups, 4), -1, dtype=int)
        k = 0
        for j in range(4):
            if free[j] and is_shared[j]:
                column[:, j] = k
                k += 1
        for g in range(n_groups):
            for j in range(4):
                if free[j] and not is_shared[j]:
                    column[g, j] = k
                    k += 1
        self.column = column
        self.n_theta = k
        self.separate = np.column_stack(
            [separate.hill_slope, separate.bottom, separate.top, np.log(separate.ec50)]
        )
        self.fixed = self.separate[0].copy()  # fixed entries are equal in every group
        # box bounds as fit_curves sets them per curve; a shared parameter gets their union
        low = np.full((n_groups, 4), -np.inf)
        high = np.full((n_groups, 4), np.inf)
        for g in range(n_groups):
            levels = np.unique(log_dose[(codes == g) & ~self.zero])
            gaps = np.diff(levels)
            gaps = gaps[gaps > 1e-9]
            cap = _STEP_LOGIT / gaps.min() if gaps.size else _STEP_LOGIT
            low[g, 0], high[g, 0] = -cap, cap
            low[g, 3] = levels.min() - _EC50_MARGIN
            high[g, 3] = levels.max() + _EC50_MARGIN
        self.lower = np.full(k, np.inf)
        self.upper = np.full(k, -np.inf)
        for g in range(n_groups):
            for j in range(4):
                c = column[g, j]
                if c >= 0:
                    self.lower[c] = min(self.lower[c], low[g, j])
                    self.upper[c] = max(self.upper[c], high[g, j])

    def params(self, theta: np.ndarray) -> np.ndarray:
        """Per-group (b, c, d, eta), shape (G, 4)."""
        out = np.broadcast_to(self.fixed, (self.n_groups, 4)).copy()
        mask = self.column >= 0
        out[mask] = theta[self.column[mask]]
        return out

    def _terms(self, theta: np.ndarray) -> tuple[np.ndarray, ...]:
        p = self.params(theta)[self.codes]
        b, c, d, eta = p.T
        big_l = self.log_dose - eta
        g = special.expit(-b * big_l)
        g = np.where(self.zero, np.where(b > 0, 1.0, np.where(b < 0, 0.0, 0.5)), g)
        gs = np.where(self.zero, 0.0, -g * (1.0 - g))
        big_l = np.where(self.zero, 0.0, big_l)
        return b, c, d, g, gs, big_l

    def residuals(self, theta: np.ndarray) -> np.ndarray:
        _, c, d, g, _, _ = self._terms(theta)
        return c + (d - c) * g - self.y

    def _rows(self, theta: np.ndarray) -> np.ndarray:
        b, c, d, g, gs, big_l = self._terms(theta)
        delta = d - c
        return np.column_stack([delta * gs * big_l, 1.0 - g, g, -delta * gs * b])

    def jacobian(self, theta: np.ndarray) -> np.ndarray:
        rows = self._rows(theta)
        jac = np.zeros((self.y.size, self.n_theta))
        index = self.column[self.codes]
        obs = np.arange(self.y.size)
        for j in range(4):
            ok = index[:, j] >= 0
            jac[obs[ok], index[ok, j]] = rows[ok, j]
        return jac

    def hessian(self, theta: np.ndarray) -> np.ndarray:
        """Full Hessian of half the RSS over theta (drc's choice, not J'J)."""
        b, c, d, g, gs, big_l = self._terms(theta)
        delta = d - c
        rows = self._rows(theta)
        r = c + delta * g - self.y
        gss = -gs * (1.0 - 2.0 * g)
        second = np.zeros((self.y.size, 4, 4))
        second[:, 0, 0] = delta * gss * big_l**2
        second[:, 0, 3] = second[:, 3, 0] = delta * (-gss * b * big_l - gs)
        second[:, 3, 3] = delta * gss * b**2
        second[:, 1, 0] = second[:, 0, 1] = -gs * big_l
        second[:, 1, 3] = second[:, 3, 1] = gs * b
        second[:, 2, 0] = second[:, 0, 2] = gs * big_l
        second[:, 2, 3] = second[:, 3, 2] = -gs * b
        per_obs = rows[:, :, None] * rows[:, None, :] + r[:, None, None] * second
        hess = np.zeros((self.n_theta, self.n_theta))
        index = self.column[self.codes]
        for j in range(4):
            for k in range(4):
                ok = (index[:, j] >= 0) & (index[:, k] >= 0)
                np.add.at(hess, (index[ok, j], index[ok, k]), per_obs[ok, j, k])
        return hess

    def _theta_from(self, params: np.ndarray) -> np.ndarray:
        """Theta from per-group params (G, 4); a shared entry takes its first group's value."""
        theta = np.empty(self.n_theta)
        for g in range(self.n_groups - 1, -1, -1):
            for j in range(4):
                if self.column[g, j] >= 0:
                    theta[self.column[g, j]] = params[g, j]
        return theta

    def _solve(self, theta0: np.ndarray) -> optimize.OptimizeResult:
        """Local least squares: MINPACK LM, or bounded TRF if LM leaves the box."""
        tol = {"ftol": 1e-12, "xtol": 1e-12, "gtol": 1e-12}
        result = optimize.least_squares(
            self.residuals, theta0, jac=self.jacobian, method="lm", max_nfev=400, **tol
        )
        inside = np.all((result.x >= self.lower) & (result.x <= self.upper))
        if inside and np.isfinite(result.cost):
            return result
        return optimize.least_squares(
            self.residuals,
            theta0,
            jac=self.jacobian,
            bounds=(self.lower, self.upper),
            method="trf",
            x_scale="jac",
            max_nfev=400,
            **tol,
        )

    def fit(self, pooled: CurveFits) -> tuple[np.ndarray, float, bool, str]:
        """Least squares from several starts; return theta, RSS, success, message."""
        shared_cols = self.column[0] >= 0
        shared_cols &= np.all(self.column == self.column[0], axis=0)
        pooled_params = np.array(
            [pooled.hill_slope[0], pooled.bottom[0], pooled.top[0], np.log(pooled.ec50[0])]
        )
        low = self.separate.min(axis=0)
        high = self.separate.max(axis=0)
        candidates = [
            pooled_params,
            *self.separate,
            *(low + t * (high - low) for t in np.linspace(0.0, 1.0, self.n_grid)[1:-1]),
        ]
        best: optimize.OptimizeResult | None = None
        for shared_values in candidates:
            if not np.all(np.isfinite(shared_values[shared_cols])):
                continue
            start = self.separate.copy()
            start[:, shared_cols] = shared_values[shared_cols]
            theta0 = np.clip(self._theta_from(start), self.lower, self.upper)
            result = self._solve(theta0)
            if best is None or result.cost < best.cost:
                best = result
        if best is None:
            return np.full(self.n_theta, np.nan), np.nan, False, "no finite starting values"
        return best.x, float(2.0 * best.cost), bool(best.status > 0), str(best.message)

    def estimates(self, theta: np.ndarray, rss: float, df: int) -> tuple[np.ndarray, np.ndarray]:
        """Per-group (hill_slope, bottom, top, ec50) and standard errors at theta."""
        params = self.params(theta)
        params[:, 3] = np.exp(params[:, 3])
        se = np.zeros((self.n_groups, 4))
        cov = np.full((self.n_theta, self.n_theta), np.nan)
        if np.all(np.isfinite(theta)) and df > 0:
            hess = self.hessian(theta)
            try:
                np.linalg.cholesky(hess)
                cov = (rss / df) * np.linalg.inv(hess)
            except np.linalg.LinAlgError:
                pass
        mask = self.column >= 0
        var = np.zeros((self.n_groups, 4))
        var[mask] = np.diagonal(cov)[self.column[mask]]
        with np.errstate(invalid="ignore"):
            se[mask] = np.sqrt(np.where(var[mask] >= 0, var[mask], np.nan))
        se[:, 3] *= params[:, 3]  # eta -> ec50
        return params, se
