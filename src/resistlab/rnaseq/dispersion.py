"""Dispersion estimates as DESeq2 1.38 makes them: gene-wise, trend, prior, MAP.

1. Gene-wise (``estimateDispersionsGeneEst``): start from the smaller of a
   rough moments estimate and a linear-model estimate; fitted means from a
   linear model of normalized counts when the design is one row per group,
   else from a GLM fit; maximise the Cox-Reid adjusted likelihood
   (`resistlab.rnaseq._nb.fit_dispersions`); keep the start where the
   likelihood did not rise; grid search where the line search did not
   converge.
2. Trend (``parametricDispersionFit``): ``alpha(mu) = a + b / mu`` fitted by a
   Gamma-family GLM with identity link (R's ``glm.fit`` IRLS) on the genes
   whose gene-wise estimate exceeds 100 x the minimum, iteratively dropping
   genes whose ratio to the trend is outside (1e-4, 15).
3. Prior variance of log dispersions around the trend: the squared MAD of the
   residuals minus the expected sampling variance ``trigamma((m - p)/2)``,
   floored at 0.25; with 3 or fewer residual degrees of freedom DESeq2
   matches the residual histogram to simulated ones instead
   (`resistlab.rnaseq._rcompat.simulated_prior_variance`, R's random
   stream reproduced).
4. MAP (``estimateDispersionsMAP``): the same line search with a normal prior
   on ``log(alpha)`` centred on the trend; gene-wise estimates more than two
   prior SDs above the trend are kept as they are (dispersion outliers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from resistlab.errors import AnalysisError
from resistlab.rnaseq import _nb
from resistlab.rnaseq._glm import fit_glm
from resistlab.rnaseq._rcompat import mad, simulated_prior_variance

__all__ = [
    "DispersionTrend",
    "fit_trend",
    "gene_wise_dispersions",
    "map_dispersions",
    "prior_variance",
]

MIN_DISP = 1e-8
_KAPPA_0 = 1.0
_DISP_TOL = 1e-6
_MAXIT = 100


def max_dispersion(n_samples: int) -> float:
    """DESeq2's upper bound on dispersions, ``max(10, n_samples)``."""
    return float(max(10, n_samples))


def _linear_model_mu(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    q, r = np.linalg.qr(x)
    return (y @ q) @ (x @ np.linalg.inv(r)).T


def _n_groups(x: np.ndarray) -> int:
    return len(np.unique(x, axis=0))


@dataclass(frozen=True, eq=False)
class GeneWise:
    """Gene-wise dispersion estimates and the means they were fitted at."""

    dispersion: np.ndarray
    iterations: np.ndarray
    mu: np.ndarray


def gene_wise_dispersions(
    counts: np.ndarray,
    norm_factors: np.ndarray,
    x: np.ndarray,
    *,
    minmu: float = 0.5,
) -> GeneWise:
    """Gene-wise estimates for genes with at least one non-zero count."""
    n_samples = counts.shape[1]
    max_disp = max_dispersion(n_samples)
    norm = counts / norm_factors
    base_mean = norm.mean(axis=1)
    base_var = norm.var(axis=1, ddof=1)
    m, p = x.shape
    mu_lm = np.maximum(_linear_model_mu(norm, x), 1.0)
    rough = np.maximum((((norm - mu_lm) ** 2 - mu_lm) / mu_lm**2).sum(axis=1) / (m - p), 0.0)
    xim = np.mean(1.0 / norm_factors.mean(axis=0))
    moments = (base_var - xim * base_mean) / base_mean**2
    alpha_init = np.clip(np.minimum(rough, moments), MIN_DISP, max_disp)

    if _n_groups(x) == p:
        mu = _linear_model_mu(norm, x) * norm_factors
    else:
        mu = fit_glm(counts, norm_factors, x, alpha_init, minmu=minmu).mu
    mu = np.ascontiguousarray(np.maximum(mu, minmu))
    log_init = np.log(alpha_init)
    log_alpha, iters, lp0, lp1 = _nb.fit_dispersions(
        np.ascontiguousarray(counts, dtype=float),
        np.ascontiguousarray(x, dtype=float),
        mu,
        log_init,
        log_init,
        1.0,
        np.log(MIN_DISP / 10),
        _KAPPA_0,
        _DISP_TOL,
        _MAXIT,
        False,
        True,
    )
    est = np.minimum(np.exp(log_alpha), max_disp)
    no_increase = lp1 < lp0 + np.abs(lp0) / 1e6
    est[no_increase] = alpha_init[no_increase]
    converged = (iters < _MAXIT) & (iters != 1)
    refit = ~converged & (est > MIN_DISP * 10)
    if refit.any():
        est[refit] = np.exp(
            _grid(counts[refit], x, mu[refit], np.zeros(int(refit.sum())), 1.0, use_prior=False)
        )
    return GeneWise(np.clip(est, MIN_DISP, max_disp), iters, mu)


def _grid(
    counts: np.ndarray,
    x: np.ndarray,
    mu: np.ndarray,
    prior_mean: np.ndarray,
    prior_var: float,
    *,
    use_prior: bool,
) -> np.ndarray:
    grid = np.linspace(np.log(1e-8), np.log(max_dispersion(counts.shape[1])), 20)
    return _nb.fit_dispersions_grid(
        np.ascontiguousarray(counts, dtype=float),
        np.ascontiguousarray(x, dtype=float),
        np.ascontiguousarray(mu),
        grid,
        np.ascontiguousarray(prior_mean, dtype=float),
        float(prior_var),
        use_prior,
        True,
    )


@dataclass(frozen=True)
class DispersionTrend:
    """The parametric mean-dispersion trend ``asympt_disp + extra_pois / mean``."""

    asympt_disp: float
    extra_pois: float

    def __call__(self, mean: np.ndarray) -> np.ndarray:
        """Trend value at normalized mean counts ``mean``."""
        return self.asympt_disp + self.extra_pois / np.asarray(mean, dtype=float)


def _gamma_identity_glm(y: np.ndarray, x: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, bool]:
    """R's ``glm.fit`` for ``family = Gamma(link = "identity")`` from ``start``."""

    def deviance(mu: np.ndarray) -> float:
        return float(-2.0 * np.sum(np.log(y / mu) - (y - mu) / mu))

    coef = start.astype(float)
    coef_old = coef.copy()
    mu = x @ coef
    if np.any(mu <= 0):
        msg = "cannot find valid starting values for the dispersion trend"
        raise ArithmeticError(msg)
    dev_old = deviance(mu)
    for _ in range(25):
        w = 1.0 / mu  # sqrt of the working weight 1/mu^2
        coef = np.linalg.lstsq(x * w[:, None], y * w, rcond=None)[0]
        mu = x @ coef
        dev = deviance(mu) if np.all(mu > 0) else np.inf
        halvings = 0
        while not np.isfinite(dev) or np.any(mu <= 0):
            halvings += 1
            if halvings > 25:
                msg = "dispersion trend: cannot correct step size"
                raise ArithmeticError(msg)
            coef = (coef + coef_old) / 2
            mu = x @ coef
            dev = deviance(mu) if np.all(mu > 0) else np.inf
        if abs(dev - dev_old) / (abs(dev) + 0.1) < 1e-8:
            return coef, True
        dev_old = dev
        coef_old = coef.copy()
    return coef, False


def fit_trend(base_mean: np.ndarray, dispersion: np.ndarray) -> DispersionTrend:
    """Parametric trend through gene-wise dispersions (genes above 100 x minimum).

    Raises
    ------
    AnalysisError
        When every estimate is near the minimum, or the parametric fit fails.
    """
    use = dispersion > 100 * MIN_DISP
    if not use.any():
        msg = (
            "all gene-wise dispersion estimates are within 2 orders of magnitude of the "
            "minimum; the counts look like technical replicates or simulated Poisson data"
        )
        raise AnalysisError(msg)
    means, disps = base_mean[use], dispersion[use]
    coefs = np.array([0.1, 1.0])
    for _ in range(11):
        resid = disps / (coefs[0] + coefs[1] / means)
        good = (resid > 1e-4) & (resid < 15)
        x = np.column_stack([np.ones(int(good.sum())), 1.0 / means[good]])
        try:
            new, converged = _gamma_identity_glm(disps[good], x, coefs)
        except (ArithmeticError, np.linalg.LinAlgError) as exc:
            msg = f"parametric dispersion trend failed: {exc}"
            raise AnalysisError(msg) from exc
        old, coefs = coefs, new
        if not np.all(coefs > 0):
            msg = "parametric dispersion trend failed (a coefficient is not positive)"
            raise AnalysisError(msg)
        if np.sum(np.log(coefs / old) ** 2) < 1e-6 and converged:
            return DispersionTrend(float(coefs[0]), float(coefs[1]))
    msg = "parametric dispersion trend did not converge"
    raise AnalysisError(msg)


def log_residual_variance(gene_wise: np.ndarray, fitted: np.ndarray) -> float:
    """Squared MAD of ``log(gene-wise) - log(trend)`` over genes above 100 x minimum."""
    above = gene_wise >= MIN_DISP * 100
    return float(mad(np.log(gene_wise[above]) - np.log(fitted[above])) ** 2)


def prior_variance(
    gene_wise: np.ndarray, fitted: np.ndarray, *, n_samples: int, n_coef: int
) -> float:
    """Variance of the normal prior on log dispersions (DESeq2's ``dispPriorVar``)."""
    df = n_samples - n_coef
    above = gene_wise >= MIN_DISP * 100
    if df <= 0:
        return log_residual_variance(gene_wise, fitted)
    if df <= 3:
        residuals = np.log(gene_wise[above]) - np.log(fitted[above])
        return float(simulated_prior_variance(residuals, df))
    expected = float(special.polygamma(1, df / 2))
    return max(log_residual_variance(gene_wise, fitted) - expected, 0.25)


@dataclass(frozen=True, eq=False)
class MapDispersions:
    """Final dispersions: MAP, with outliers kept at their gene-wise value."""

    dispersion: np.ndarray
    map: np.ndarray
    outlier: np.ndarray
    iterations: np.ndarray


def map_dispersions(
    counts: np.ndarray,
    x: np.ndarray,
    mu: np.ndarray,
    *,
    gene_wise: np.ndarray,
    fitted: np.ndarray,
    prior_var: float,
    log_residual_var: float,
    outlier_sd: float = 2.0,
) -> MapDispersions:
    """Maximum a posteriori dispersions with the trend as prior mean."""
    max_disp = max_dispersion(counts.shape[1])
    init = np.where(gene_wise > 0.1 * fitted, gene_wise, fitted)
    log_fit = np.log(fitted)
    log_alpha, iters, _, _ = _nb.fit_dispersions(
        np.ascontiguousarray(counts, dtype=float),
        np.ascontiguousarray(x, dtype=float),
        np.ascontiguousarray(mu),
        np.log(init),
        log_fit,
        float(prior_var),
        np.log(MIN_DISP / 10),
        _KAPPA_0,
        _DISP_TOL,
        _MAXIT,
        True,
        True,
    )
    disp_map = np.exp(log_alpha)
    refit = iters >= _MAXIT
    if refit.any():
        disp_map[refit] = np.exp(
            _grid(counts[refit], x, mu[refit], log_fit[refit], prior_var, use_prior=True)
        )
    disp_map = np.clip(disp_map, MIN_DISP, max_disp)
    outlier = np.log(gene_wise) > log_fit + outlier_sd * np.sqrt(log_residual_var)
    final = np.where(outlier, gene_wise, disp_map)
    return MapDispersions(final, disp_map, outlier, iters)
