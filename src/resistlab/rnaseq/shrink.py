"""Shrunken log fold changes, as DESeq2 1.38's ``lfcShrink`` computes them.

Maximum-likelihood fold changes of genes with few counts are noisy: a gene
with 3 reads against 0 gets a huge fold change with a huge standard error.
`shrink_lfc` replaces them by posterior estimates that pull uncertain fold
changes toward zero and leave well-measured ones nearly as they are, for
ranking and plotting. P-values and adjusted p-values are those of the
unshrunken test (DESeq2 copies them too).

``method="apeglm"`` (DESeq2's default, ``type = "apeglm"``; Zhu, Ibrahim and
Love 2019, Bioinformatics 35:2084):

- the coefficient of interest gets a Cauchy prior (a t with one degree of
  freedom: heavy tails, so large real effects are kept) whose scale is
  estimated from every gene's MLE and standard error: the variance ``A`` of
  a normal prior that explains the spread of the MLEs, found as the root of
  Efron and Morris's (1975) weighted moment equation
  ``A = sum((b_g^2 - d_g) I_g) / sum(I_g)`` with ``I_g = 1 / (2 (A + d_g)^2)``
  (``d_g`` the squared SE; natural-log scale; searched in [1e-6, 400] by
  Brent's method with R's ``uniroot`` tolerance), scale ``min(sqrt(A), 1)``;
- the other coefficients get a wide normal prior (SD 15, natural-log scale);
- the likelihood is DESeq2's negative binomial with its final dispersions and
  normalisation factors as offsets;
- the estimate is the posterior mode (Newton's method with a line search,
  from the MLE and from the MLE with the coefficient at zero; the lower
  negative log posterior wins), its SD that of the Laplace approximation
  (the inverse Hessian of the negative log posterior at the mode).
- With ``adapt_prior=False`` (DESeq2's ``apeAdapt = FALSE``) every
  non-intercept coefficient gets a Cauchy prior of scale 1 instead.

``method="normal"`` (``type = "normal"``, Love, Huber and Anders 2014,
Genome Biology 15:550): a zero-centred normal prior on every coefficient but
the intercept, whose variance matches the 0.95 quantile of the MLE fold
changes' absolute values (weighted by ``1 / (1 / baseMean + dispFit)``, among
those below 10) to the normal's; the GLM is then refitted with that ridge.
For a contrast DESeq2 refits on the expanded model matrix (an indicator per
level of every factor, the prior variances averaged over each factor's
levels and pairwise differences); so does `shrink_lfc`.

Both fit the counts as given, not the outlier-replaced ones, as DESeq2 does
(whose contrast standard errors for "normal" do use the replaced counts).

>>> import numpy as np, pandas as pd
>>> from resistlab.rnaseq.deseq import deseq
>>> rng = np.random.default_rng(3)
>>> mu = rng.gamma(1.0, 60.0, size=(500, 1)) * np.ones((1, 6))
>>> mu[:50, 3:] *= 4.0
>>> counts = pd.DataFrame(rng.negative_binomial(5, 5 / (5 + mu)),
...                       columns=[f"s{i}" for i in range(6)])
>>> samples = pd.DataFrame({"condition": ["parental"] * 3 + ["resistant"] * 3},
...                        index=counts.columns)
>>> fit = deseq(counts, samples, "~ condition")
>>> shrunk = shrink_lfc(fit, coef="condition_resistant_vs_parental")
>>> mle = fit.results(name="condition_resistant_vs_parental").table
>>> low = mle["baseMean"] < 5  # noisy fold changes are pulled toward zero
>>> ratio = shrunk.table["log2FoldChange"].abs() / mle["log2FoldChange"].abs()
>>> bool(ratio[low].median() < 0.5)
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numba as nb
import numpy as np
import pandas as pd
from scipy import optimize, stats

from resistlab.errors import InputError
from resistlab.rnaseq._glm import LOG2E
from resistlab.rnaseq._nb import fit_betas
from resistlab.rnaseq._rcompat import r_sum
from resistlab.rnaseq.design import make_name

if TYPE_CHECKING:
    from resistlab.rnaseq.deseq import DESeqFit

__all__ = ["ShrunkenLFC", "shrink_lfc"]

SHRUNKEN_COLUMNS = ("baseMean", "log2FoldChange", "lfcSE", "pvalue", "padj")

_NO_SHRINK_SD = 15.0  # apeglm's prior.no.shrink.scale (natural log)
_PRIOR_VAR_RANGE = (0.001**2, 20.0**2)  # apeglm's search interval for A
_UNIROOT_TOL = float(np.finfo(float).eps) ** 0.25  # R's uniroot default
_INTERCEPT_PRIOR_VAR = 1e6  # DESeq2's (log2) prior variance of the intercept
_LARGE = 30.0


@dataclass(frozen=True, eq=False)
class ShrunkenLFC:
    """Shrunken log2 fold changes of one coefficient or contrast.

    Attributes
    ----------
    table : DataFrame
        Indexed by gene: ``baseMean``, ``log2FoldChange`` (the shrunken
        estimate), ``lfcSE`` (apeglm: the posterior SD; normal: the ridge
        fit's standard error), and ``pvalue``, ``padj`` of the unshrunken
        test. Genes with only zero counts hold NaN.
    contrast : str
        The coefficient name, or ``factor numerator vs denominator``.
    method : {"apeglm", "normal"}
    prior_scale : float
        Scale of the prior on the fold change, log2 units: the Cauchy scale
        for apeglm (apeglm reports it natural-log: ``prior_scale * ln 2``), the
        normal prior's SD for "normal" (for a contrast, that of the factor's
        level indicators).
    converged : ndarray of shape (G,), bool
        Genes whose posterior mode (apeglm) or ridge fit (normal) converged;
        False for genes with only zero counts.
    """

    table: pd.DataFrame
    contrast: str
    method: Literal["apeglm", "normal"]
    prior_scale: float
    converged: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """Tidy table, one row per gene, ``gene`` first."""
        out = self.table.reset_index()
        return out.rename(columns={out.columns[0]: "gene"})


# --- R's uniroot (Brent 1973) -------------------------------------------------------------


def _uniroot(
    f: Callable[[float], float],
    lower: float,
    upper: float,
    *,
    tol: float = _UNIROOT_TOL,
    maxiter: int = 1000,
) -> float:
    """Brent's root finder with R's ``uniroot`` stopping rule and iterates.

    Bisection safeguarded by secant and inverse quadratic interpolation
    (Brent 1973, "Algorithms for Minimization without Derivatives", ch. 4);
    stops when the bracket's half width is within ``2 eps |b| + tol / 2``.
    """
    a, b = lower, upper
    fa, fb = f(a), f(b)
    if fa == 0.0:
        return float(a)
    if fb == 0.0:
        return float(b)
    if fa * fb > 0:
        msg = "f() values at the end points are not of opposite sign"
        raise ValueError(msg)
    c, fc = a, fa
    eps = float(np.finfo(float).eps)
    for _ in range(maxiter + 1):
        previous = b - a
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2.0 * eps * abs(b) + tol / 2.0
        step = (c - b) / 2.0
        if abs(step) <= tol_act or fb == 0.0:
            return float(b)
        if abs(previous) >= tol_act and abs(fa) > abs(fb):
            cb = c - b
            if a == c:  # secant
                t1 = fb / fa
                p = cb * t1
                q = 1.0 - t1
            else:  # inverse quadratic interpolation
                q = fa / fc
                t1 = fb / fc
                t2 = fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < 0.75 * cb * q - abs(tol_act * q) / 2.0 and p < abs(previous * q / 2.0):
                step = p / q
        if abs(step) < tol_act:
            step = tol_act if step > 0 else -tol_act
        a, fa = b, fb
        b += step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    return float(b)


def _efron_morris_variance(mle: np.ndarray, se: np.ndarray) -> float:
    """Variance of a normal prior fitted to MLEs and their SEs (natural-log scale).

    Efron and Morris's (1975) estimator for unequal sampling variances
    ``d = se^2``: the root ``A`` of ``sum((mle^2 - d) I) / sum(I) - A`` with
    ``I = 1 / (2 (A + d)^2)``, searched in [1e-6, 400]; 1e-6 when the equation
    is already negative there (no spread beyond the sampling noise). NaN MLEs
    are ignored.
    """
    keep = ~np.isnan(mle)
    x = mle[keep]
    d = se[keep] ** 2
    s = x**2

    def objective(a: float) -> float:
        info = 1.0 / (2.0 * (a + d) ** 2)
        return float(np.sum((s - d) * info) / np.sum(info)) - a

    lo, hi = _PRIOR_VAR_RANGE
    if objective(lo) < 0:
        return lo
    return float(_uniroot(objective, lo, hi))


# --- the apeglm posterior mode ------------------------------------------------------------


@nb.njit(cache=True)
def _log_size_plus_mu(eta: float, log_size: float) -> float:  # pragma: no cover - numba
    """``log(size + exp(eta))`` without overflow."""
    if eta > log_size:
        return eta + math.log1p(math.exp(log_size - eta))
    return log_size + math.log1p(math.exp(eta - log_size))


@nb.njit(cache=True)
def _neg_log_post(
    b: np.ndarray,
    y: np.ndarray,
    off: np.ndarray,
    x: np.ndarray,
    size: float,
    shrink: np.ndarray,
    sigma2: float,
    s2: float,
) -> float:  # pragma: no cover - numba
    n, p = x.shape
    log_size = math.log(size)
    value = 0.0
    for i in range(n):
        xb = 0.0
        for j in range(p):
            xb += x[i, j] * b[j]
        value -= y[i] * xb - (y[i] + size) * _log_size_plus_mu(xb + off[i], log_size)
    for j in range(p):
        if shrink[j]:
            value += math.log1p(b[j] * b[j] / s2)
        else:
            value += b[j] * b[j] / (2.0 * sigma2)
    return value


@nb.njit(cache=True)
def _derivatives(
    b: np.ndarray,
    y: np.ndarray,
    off: np.ndarray,
    x: np.ndarray,
    size: float,
    shrink: np.ndarray,
    sigma2: float,
    s2: float,
    exact: bool,
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - numba
    """Gradient and Hessian of the negative log posterior.

    With ``exact=False`` the Cauchy term's curvature is replaced where it is
    negative by that of its quadratic majoriser, ``2 / (S^2 + b^2)``, so the
    Newton system stays positive definite.
    """
    n, p = x.shape
    log_size = math.log(size)
    grad = np.zeros(p)
    hess = np.zeros((p, p))
    for i in range(n):
        eta = off[i]
        for j in range(p):
            eta += x[i, j] * b[j]
        # share = mu / (size + mu), a logistic function of eta - log(size)
        z = eta - log_size
        if z >= 0:
            share = 1.0 / (1.0 + math.exp(-z))
        else:
            ez = math.exp(z)
            share = ez / (1.0 + ez)
        resid = y[i] - (y[i] + size) * share
        w = (y[i] + size) * share * (1.0 - share)
        for j in range(p):
            grad[j] -= x[i, j] * resid
            xw = x[i, j] * w
            for k in range(p):
                hess[j, k] += xw * x[i, k]
    for j in range(p):
        if shrink[j]:
            denom = s2 + b[j] * b[j]
            grad[j] += 2.0 * b[j] / denom
            curv = 2.0 * (s2 - b[j] * b[j]) / (denom * denom)
            if not exact and curv < 0:
                curv = 2.0 / denom
            hess[j, j] += curv
        else:
            grad[j] += b[j] / sigma2
            hess[j, j] += 1.0 / sigma2
    return grad, hess


@nb.njit(cache=True)
def _cholesky(a: np.ndarray) -> tuple[np.ndarray, bool]:  # pragma: no cover - numba
    """Lower Cholesky factor of a small matrix, and whether it is positive definite."""
    p = a.shape[0]
    low = np.zeros((p, p))
    for j in range(p):
        d = a[j, j]
        for k in range(j):
            d -= low[j, k] * low[j, k]
        if not d > 0:
            return low, False
        low[j, j] = math.sqrt(d)
        for i in range(j + 1, p):
            v = a[i, j]
            for k in range(j):
                v -= low[i, k] * low[j, k]
            low[i, j] = v / low[j, j]
    return low, True


@nb.njit(cache=True)
def _cholesky_solve(low: np.ndarray, rhs: np.ndarray) -> np.ndarray:  # pragma: no cover
    p = rhs.shape[0]
    z = np.empty(p)
    for i in range(p):
        v = rhs[i]
        for k in range(i):
            v -= low[i, k] * z[k]
        z[i] = v / low[i, i]
    out = np.empty(p)
    for i in range(p - 1, -1, -1):
        v = z[i]
        for k in range(i + 1, p):
            v -= low[k, i] * out[k]
        out[i] = v / low[i, i]
    return out


@nb.njit(cache=True)
def _newton_mode(
    start: np.ndarray,
    y: np.ndarray,
    off: np.ndarray,
    x: np.ndarray,
    size: float,
    shrink: np.ndarray,
    sigma2: float,
    s2: float,
    maxit: int,
    tol: float,
) -> tuple[np.ndarray, float, bool]:  # pragma: no cover - numba
    b = start.copy()
    f = _neg_log_post(b, y, off, x, size, shrink, sigma2, s2)
    p = b.shape[0]
    for _ in range(maxit):
        grad, hess = _derivatives(b, y, off, x, size, shrink, sigma2, s2, True)
        ok = True
        for j in range(p):
            if not np.isfinite(grad[j]):
                ok = False
        if not ok:
            return b, f, False
        # Newton's step where the Hessian is positive definite, else the majoriser's
        chol, ok = _cholesky(hess)
        if not ok:
            _, hess = _derivatives(b, y, off, x, size, shrink, sigma2, s2, False)
            chol, ok = _cholesky(hess)
        step = -_cholesky_solve(chol, grad) if ok else -grad
        slope = 0.0
        for j in range(p):
            slope += grad[j] * step[j]
        if slope >= 0:
            step = -grad
            slope = 0.0
            for j in range(p):
                slope -= grad[j] * grad[j]
        t = 1.0
        accepted = False
        trial = b + step
        for _ in range(60):
            trial = b + t * step
            f_trial = _neg_log_post(trial, y, off, x, size, shrink, sigma2, s2)
            if np.isfinite(f_trial) and f_trial <= f + 1e-4 * t * slope:
                accepted = True
                break
            t *= 0.5
        largest = 0.0
        for j in range(p):
            largest = max(largest, abs(t * step[j]))
        if not accepted:
            # no decrease even for tiny steps: at the minimum to machine precision
            return b, f, largest < 1e-6
        b = trial
        f = f_trial
        if largest < tol:
            return b, f, True
    return b, f, False


@nb.njit(cache=True)
def _apeglm_modes(
    counts: np.ndarray,
    offset: np.ndarray,
    x: np.ndarray,
    size: np.ndarray,
    shrink: np.ndarray,
    sigma2: float,
    s2: float,
    starts: np.ndarray,
    maxit: int,
    tol: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - numba
    """Posterior mode, its inverse Hessian and convergence for every gene.

    ``starts`` has shape (G, K, P): K starting points per gene; the mode with
    the lowest negative log posterior is kept.
    """
    n_genes = counts.shape[0]
    p = x.shape[1]
    modes = np.full((n_genes, p), np.nan)
    covs = np.full((n_genes, p, p), np.nan)
    conv = np.zeros(n_genes, dtype=np.bool_)
    for g in range(n_genes):
        best_f = np.inf
        for k in range(starts.shape[1]):
            b, f, ok = _newton_mode(
                starts[g, k], counts[g], offset[g], x, size[g], shrink, sigma2, s2, maxit, tol
            )
            if np.isfinite(f) and f < best_f:
                best_f = f
                modes[g] = b
                conv[g] = ok
        if np.isfinite(best_f):
            _, hess = _derivatives(
                modes[g], counts[g], offset[g], x, size[g], shrink, sigma2, s2, True
            )
            chol, ok = _cholesky(hess)
            if ok:
                for j in range(p):
                    unit = np.zeros(p)
                    unit[j] = 1.0
                    covs[g, :, j] = _cholesky_solve(chol, unit)
            else:  # not a minimum: DESeq2 reports NA
                conv[g] = False
    return modes, covs, conv


def _ols_start(counts: np.ndarray, norm_factors: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Least-squares fit of ``log(normalized counts + 0.1)``: DESeq2's start values."""
    y = np.log(counts / norm_factors + 0.1)
    q, r = np.linalg.qr(x)
    return np.linalg.solve(r, q.T @ y.T).T


def _apeglm(
    fit: DESeqFit, j: int, mle: np.ndarray, mle_se: np.ndarray, *, adapt_prior: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """MAP and posterior SD (log2) of coefficient ``j``; also the Cauchy scale (natural log)."""
    x = fit.design.matrix
    p = x.shape[1]
    shrink = np.zeros(p, dtype=bool)
    if adapt_prior:
        shrink[j] = True
        prior_var = _efron_morris_variance(mle / LOG2E, mle_se / LOG2E)
        scale = min(math.sqrt(prior_var), 1.0)
    else:
        shrink[1:] = True
        scale = 1.0
    nz = (fit.counts.sum(axis=1) > 0) & np.isfinite(fit.dispersion)
    counts = np.ascontiguousarray(fit.counts[nz], dtype=float)
    nf = np.ascontiguousarray(fit.norm_factors[nz], dtype=float)
    start = fit.beta[nz] / LOG2E
    bad = ~np.all(np.isfinite(start), axis=1) | np.any(np.abs(start) > _LARGE, axis=1)
    if bad.any():
        start[bad] = _ols_start(counts[bad], nf[bad], x)
    starts = np.stack([start, start.copy()], axis=1)
    starts[:, 1, shrink] = 0.0
    modes, covs, conv = _apeglm_modes(
        counts,
        np.log(nf),
        np.ascontiguousarray(x, dtype=float),
        1.0 / fit.dispersion[nz],
        shrink,
        _NO_SHRINK_SD**2,
        scale**2,
        np.ascontiguousarray(starts),
        200,
        1e-10,
    )
    var = covs[:, j, j]
    with np.errstate(invalid="ignore"):
        sd = np.where(var > 0, np.sqrt(np.where(var > 0, var, 0.0)), np.nan)
    lfc = np.full(len(nz), np.nan)
    lfc_se = np.full(len(nz), np.nan)
    converged = np.zeros(len(nz), dtype=bool)
    lfc[nz] = LOG2E * modes[:, j]
    lfc_se[nz] = LOG2E * sd
    converged[nz] = conv & np.isfinite(sd)
    return lfc, lfc_se, converged, scale


# --- DESeq2's normal prior ----------------------------------------------------------------


def _weighted_upper_quantile(x: np.ndarray, weights: np.ndarray, prob: float) -> float:
    """Hmisc's ``wtd.quantile(x, weights, prob, normwt = TRUE)`` as DESeq2 ships it."""
    keep = ~np.isnan(weights) & (weights != 0)
    x, w = x[keep], weights[keep]
    w = w * len(x) / float(r_sum(w))
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    values, first = np.unique(x, return_index=True)
    if len(values) < len(x):
        # R groups by the values' 15-significant-digit names
        sums = np.add.reduceat(w, first)
        x = np.array([float(f"{v:.15g}") for v in values])
        w = sums
    n = float(r_sum(w))
    position = 1.0 + (n - 1.0) * prob
    low = max(math.floor(position), 1)
    high = min(low + 1, n)
    frac = position % 1.0
    cum = np.cumsum(w.astype(np.longdouble)).astype(float)

    def step_value(at: float) -> float:
        # approx(method = "constant", f = 1, rule = 2): the first knot at or above
        k = int(np.searchsorted(cum, at, side="left"))
        return float(x[min(k, len(x) - 1)])

    return (1.0 - frac) * step_value(low) + frac * step_value(high)


def _match_upper_quantile_variance(x: np.ndarray, weights: np.ndarray) -> float:
    """Match a normal's 0.975 quantile to the weighted 0.95 quantile of ``|x|``; its variance."""
    finite = np.abs(x) < 10
    if not finite.any():
        return _INTERCEPT_PRIOR_VAR
    q = _weighted_upper_quantile(np.abs(x[finite]), weights[finite], 0.95)
    return float((q / stats.norm.ppf(0.975)) ** 2)


def _beta_prior_variance(betas: np.ndarray, names: Sequence[str], weights: np.ndarray) -> dict:
    """DESeq2's ``estimateBetaPriorVar`` (weighted), one variance per named column."""
    if betas.shape[0] <= 1:
        out = {n: float(v) for n, v in zip(names, betas[0] ** 2, strict=True)}
    else:
        out = {n: _match_upper_quantile_variance(betas[:, k], weights) for k, n in enumerate(names)}
    if "Intercept" in out:
        out["Intercept"] = _INTERCEPT_PRIOR_VAR
    return out


def _optim_ridge_row(
    k: np.ndarray,
    nf: np.ndarray,
    x: np.ndarray,
    alpha: float,
    start: np.ndarray,
    lambda_log2: np.ndarray,
) -> tuple[np.ndarray, bool]:
    """DESeq2's fallback fit: L-BFGS-B on log2 coefficients in [-30, 30] with the ridge."""
    size = 1.0 / alpha
    prior_sd = np.sqrt(1.0 / lambda_log2)

    def objective(par: np.ndarray) -> float:
        mu = nf * 2.0 ** (x @ par)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            ll = stats.nbinom.logpmf(k, size, size / (size + mu)).sum()
        value = -(ll + stats.norm.logpdf(par, 0.0, prior_sd).sum())
        return float(value) if np.isfinite(value) else 1e300

    def gradient(par: np.ndarray) -> np.ndarray:
        # R's optim: central differences with step 1e-3, kept inside the bounds
        grad = np.empty_like(par)
        for j in range(par.size):
            up, down = par.copy(), par.copy()
            up[j] = min(par[j] + 1e-3, _LARGE)
            down[j] = max(par[j] - 1e-3, -_LARGE)
            grad[j] = (objective(up) - objective(down)) / (up[j] - down[j])
        return grad

    res = optimize.minimize(
        objective,
        np.clip(start, -_LARGE, _LARGE),
        jac=gradient,
        method="L-BFGS-B",
        bounds=[(-_LARGE, _LARGE)] * x.shape[1],
    )
    return np.asarray(res.x, dtype=float), bool(res.success)


def _ridge_fit(
    counts: np.ndarray,
    nf: np.ndarray,
    x: np.ndarray,
    alpha: np.ndarray,
    lambda_log2: np.ndarray,
    *,
    minmu: float = 0.5,
    maxit: int = 100,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``fitNbinomGLMs`` with a ridge: log2 betas, covariance (natural log), convergence."""
    counts = np.ascontiguousarray(counts, dtype=float)
    nf = np.ascontiguousarray(nf, dtype=float)
    x = np.ascontiguousarray(x, dtype=float)
    ridge = np.ascontiguousarray(lambda_log2 / np.log(2) ** 2)
    if np.linalg.matrix_rank(x) == x.shape[1]:
        start = _ols_start(counts, nf, x)
    else:  # the expanded model matrix: zeros, intercept at log(mean normalized count)
        start = np.zeros((counts.shape[0], x.shape[1]))
        start[:, 0] = np.log(np.mean(counts / nf, axis=1))
    start = np.ascontiguousarray(start)
    beta, cov, _, iters, _ = fit_betas(
        counts, x, nf, np.ascontiguousarray(alpha, dtype=float), start, ridge, 1e-8, maxit, minmu
    )
    variances = np.diagonal(cov, axis1=1, axis2=2)
    stable = np.all(np.isfinite(beta), axis=1)
    converged = iters < maxit
    beta_log2 = LOG2E * beta
    for g in np.flatnonzero(~converged | ~stable | ~np.all(variances > 0, axis=1)):
        usable = stable[g] and np.all(np.abs(beta_log2[g]) < _LARGE)
        first = beta_log2[g] if usable else start[g]
        par, ok = _optim_ridge_row(counts[g], nf[g], x, alpha[g], first, lambda_log2)
        converged[g] = converged[g] or ok
        beta_log2[g] = par
        mu = np.maximum(nf[g] * 2.0 ** (x @ par), minmu)
        w = 1.0 / (1.0 / mu + alpha[g])
        xtwx = (x * w[:, None]).T @ x
        inv = np.linalg.inv(xtwx + np.diag(ridge))
        cov[g] = inv @ xtwx @ inv
    return beta_log2, cov, converged


def _covariance_at(
    counts: np.ndarray,
    nf: np.ndarray,
    x: np.ndarray,
    alpha: np.ndarray,
    beta_log2: np.ndarray,
    lambda_log2: np.ndarray,
    minmu: float = 0.5,
) -> np.ndarray:
    """Sandwich covariance at given coefficients (DESeq2's ``fitBeta`` with ``maxit = 0``)."""
    ridge = np.ascontiguousarray(lambda_log2 / np.log(2) ** 2)
    _, cov, _, _, _ = fit_betas(
        np.ascontiguousarray(counts, dtype=float),
        np.ascontiguousarray(x, dtype=float),
        np.ascontiguousarray(nf, dtype=float),
        np.ascontiguousarray(alpha, dtype=float),
        np.ascontiguousarray(beta_log2 / LOG2E),
        ridge,
        1e-8,
        0,
        minmu,
    )
    return cov


def _prior_weights(fit: DESeqFit, nz: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 / fit.base_mean[nz] + fit.disp_fit[nz])


def _normal_coef(fit: DESeqFit, j: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """``lfcShrink(type = "normal", coef = ...)``: ridge refit on the standard matrix."""
    nz = ~fit.all_zero
    design = fit.design
    names = list(design.columns)
    prior = _beta_prior_variance(fit.beta[nz], names, _prior_weights(fit, nz))
    prior_var = np.array([prior[n] for n in names])
    beta, cov, conv = _ridge_fit(
        fit.counts[nz], fit.norm_factors[nz], design.matrix, fit.dispersion[nz], 1.0 / prior_var
    )
    lfc = np.full(len(nz), np.nan)
    lfc_se = np.full(len(nz), np.nan)
    converged = np.zeros(len(nz), dtype=bool)
    lfc[nz] = beta[:, j]
    lfc_se[nz] = LOG2E * np.sqrt(np.maximum(cov[:, j, j], 0.0))
    converged[nz] = conv
    return lfc, lfc_se, converged, math.sqrt(prior_var[j])


def _expanded_matrix(fit: DESeqFit) -> tuple[np.ndarray, list[str], dict[str, list[str]]]:
    """DESeq2's expanded model matrix: an indicator column for every level of every factor."""
    design = fit.design
    sheet = fit.sample_table
    cols: list[np.ndarray] = [np.ones(len(sheet))]
    names = ["Intercept"]
    level_columns: dict[str, list[str]] = {}
    for term in design.terms:
        if term in design.factors:
            values = sheet[term].astype(str).to_numpy()
            level_columns[term] = []
            for level in design.factors[term]:
                cols.append((values == level).astype(float))
                names.append(make_name(f"{term}{level}"))
                level_columns[term].append(names[-1])
        else:
            cols.append(sheet[term].to_numpy(dtype=float))
            names.append(make_name(term))
    return np.column_stack(cols), names, level_columns


def _normal_contrast(
    fit: DESeqFit, contrast: tuple[str, str, str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """``lfcShrink(type = "normal", contrast = ...)``: ridge refit on the expanded matrix."""
    design = fit.design
    nz = ~fit.all_zero
    factor, num, den = contrast
    # MLE columns under model.matrix names (conditionB), then all pairwise level contrasts
    mle = fit.beta[nz]
    names: list[str] = []
    for col in design.columns:
        name = col
        for var, levels in design.factors.items():
            for level in levels[1:]:
                if col == make_name(f"{var}_{level}_vs_{levels[0]}"):
                    name = make_name(f"{var}{level}")
        names.append(name)
    blocks = [mle]
    block_names = list(names)
    for var, levels in design.factors.items():
        idx = [names.index(make_name(f"{var}{lv}")) for lv in levels[1:]]
        if len(idx) > 1:
            pairs = [(i, k) for k in range(len(idx) - 1) for i in range(k + 1, len(idx))]
            diff = np.column_stack([mle[:, idx[i]] - mle[:, idx[k]] for i, k in pairs])
            blocks.append(diff)
            block_names += [make_name(f"{var}Cntrst")] * diff.shape[1]
    all_betas = np.column_stack(blocks)
    weights = _prior_weights(fit, nz)
    per_column = [
        _match_upper_quantile_variance(all_betas[:, k], weights)
        if all_betas.shape[0] > 1
        else float(all_betas[0, k] ** 2)
        for k in range(all_betas.shape[1])
    ]
    x_exp, exp_names, level_columns = _expanded_matrix(fit)
    prior_var = np.zeros(len(exp_names))
    for k, name in enumerate(block_names):
        if name in exp_names and name != "Intercept":
            prior_var[exp_names.index(name)] = per_column[k]
    prior_var[0] = _INTERCEPT_PRIOR_VAR
    for var, cols in level_columns.items():
        members = {*cols, make_name(f"{var}Cntrst")}
        mean_var = float(
            np.mean([v for n, v in zip(block_names, per_column, strict=True) if n in members])
        )
        for c in cols:
            prior_var[exp_names.index(c)] = mean_var
    lambda_log2 = 1.0 / prior_var
    counts, nf, alpha = fit.counts[nz], fit.norm_factors[nz], fit.dispersion[nz]
    beta, _, conv = _ridge_fit(counts, nf, x_exp, alpha, lambda_log2)
    vector = np.zeros(len(exp_names))
    vector[exp_names.index(make_name(f"{factor}{num}"))] = 1.0
    vector[exp_names.index(make_name(f"{factor}{den}"))] = -1.0
    # the contrast's SE, as DESeq2's getContrast: at the fit, from the replaced counts
    se_counts = fit.replace_counts[nz] if fit.replace_counts is not None else counts
    cov = _covariance_at(se_counts, nf, x_exp, alpha, beta, lambda_log2)
    lfc = np.full(len(nz), np.nan)
    lfc_se = np.full(len(nz), np.nan)
    converged = np.zeros(len(nz), dtype=bool)
    lfc[nz] = beta @ vector
    lfc_se[nz] = LOG2E * np.sqrt(np.einsum("i,gij,j->g", vector, cov, vector))
    converged[nz] = conv
    sample_levels = fit.sample_table[factor].astype(str).to_numpy()
    in_groups = np.isin(sample_levels, [num, den])
    zero_groups = (fit.counts[:, in_groups] == 0).all(axis=1) & ~fit.all_zero
    lfc[zero_groups] = 0.0
    scale = math.sqrt(prior_var[exp_names.index(make_name(f"{factor}{num}"))])
    return lfc, lfc_se, converged, scale


# --- the public function ------------------------------------------------------------------


def _single_coefficient(fit: DESeqFit, contrast: tuple[str, str, str]) -> tuple[int, float]:
    vector = fit.design.contrast_vector(contrast)
    nonzero = np.flatnonzero(vector)
    if nonzero.size != 1:
        factor, num, den = contrast
        wanted = make_name(f"{factor}_{num}_vs_{den}")
        msg = (
            f"apeglm shrinks one coefficient, and the contrast {factor} {num} vs {den} is the "
            f"difference of two; relevel: refit with deseq(..., reference={{{factor!r}: "
            f"{den!r}}}) so that it becomes the coefficient {wanted!r}, or use method='normal'"
        )
        raise InputError(msg)
    j = int(nonzero[0])
    return j, float(vector[j])


def shrink_lfc(
    fit: DESeqFit,
    *,
    coef: str | None = None,
    contrast: tuple[str, str, str] | None = None,
    method: Literal["apeglm", "normal"] = "apeglm",
    adapt_prior: bool = True,
) -> ShrunkenLFC:
    """Shrink the log2 fold changes of one coefficient, as DESeq2's ``lfcShrink``.

    Parameters
    ----------
    fit : DESeqFit
        A `resistlab.rnaseq.deseq` fit.
    coef : str, optional
        A coefficient name from ``fit.design.columns``; default the last one
        (DESeq2 requires it to be named).
    contrast : (factor, numerator, denominator), optional
        Instead of `coef`. apeglm needs it to be a single coefficient (the
        denominator, or the numerator, is the factor's reference level).
    method : {"apeglm", "normal"}
        apeglm's adaptive Cauchy prior (DESeq2's default) or DESeq2's
        original normal prior.
    adapt_prior : bool
        apeglm only: estimate the Cauchy scale from the MLEs (DESeq2's
        ``apeAdapt = TRUE``); False puts a Cauchy(0, 1) prior (natural-log
        scale) on every coefficient but the intercept.

    Returns
    -------
    ShrunkenLFC

    Raises
    ------
    InputError
        Both or an unknown `coef` and `contrast`; apeglm on the intercept or
        on a contrast that is not a coefficient; "normal" on a design with
        interactions (DESeq2 does not implement it either).
    """
    if method not in ("apeglm", "normal"):
        msg = f"Invalid value ({method!r}) for argument 'method'; should be 'apeglm' or 'normal'"
        raise InputError(msg)
    if coef is not None and contrast is not None:
        msg = "give either coef or contrast, not both"
        raise InputError(msg)
    design = fit.design
    if method == "normal" and any(":" in t for t in design.terms):
        msg = (
            f"method='normal' is not implemented for designs with interactions "
            f"({design.formula!r}), as in DESeq2; use method='apeglm'"
        )
        raise InputError(msg)
    if contrast is not None:
        contrast = (str(contrast[0]), str(contrast[1]), str(contrast[2]))
        unshrunken = fit.results(contrast)
        label = unshrunken.contrast
    else:
        name = coef if coef is not None else design.columns[-1]
        j = design.coefficient(name)
        unshrunken = fit.results(name=name)
        label = name
    table = unshrunken.table
    if method == "apeglm":
        sign = 1.0
        if contrast is not None:
            j, sign = _single_coefficient(fit, contrast)
        if j == 0:
            msg = "apeglm does not shrink the intercept; choose another coefficient"
            raise InputError(msg)
        # the prior is fitted to the coefficient's own results, as DESeq2 passes them
        mle = table if contrast is None else fit.results(name=design.columns[j]).table
        lfc, lfc_se, converged, scale = _apeglm(
            fit,
            j,
            mle["log2FoldChange"].to_numpy(),
            mle["lfcSE"].to_numpy(),
            adapt_prior=adapt_prior,
        )
        lfc = sign * lfc
        prior_scale = scale * LOG2E
    elif contrast is not None:
        lfc, lfc_se, converged, prior_scale = _normal_contrast(fit, contrast)
    else:
        lfc, lfc_se, converged, prior_scale = _normal_coef(fit, j)
    if method == "normal":
        now_zero = fit.replaced & (fit.base_mean == 0)
        lfc[now_zero] = 0.0
        lfc_se[now_zero] = 0.0
    out = pd.DataFrame(
        {
            "baseMean": table["baseMean"].to_numpy(),
            "log2FoldChange": lfc,
            "lfcSE": lfc_se,
            "pvalue": table["pvalue"].to_numpy(),
            "padj": table["padj"].to_numpy(),
        },
        index=fit.genes,
        columns=list(SHRUNKEN_COLUMNS),
    )
    return ShrunkenLFC(
        table=out,
        contrast=label,
        method=method,
        prior_scale=float(prior_scale),
        converged=converged,
    )
