"""Negative-binomial kernels of DESeq2's method, one gene per loop turn, all genes per call.

These follow DESeq2 1.38's compiled routines step by step (Love, Huber and
Anders 2014, Genome Biology 15:550, and the package's C++ as released):

- `fit_dispersions`: the Cox-Reid adjusted (log) posterior of the dispersion,
  maximised over ``log(alpha)`` by gradient ascent with an Armijo backtracking
  line search (step ``kappa`` starts at 1, grows by 1.1 after an accepted
  step, is halved after a rejected one and after every fifth accepted one;
  ``log(alpha)`` is kept inside [-30, 10]; stops when the posterior rises by
  less than ``tol``).
- `fit_dispersions_grid`: the fallback for genes where that search did not
  converge: a 20-point grid over ``log(alpha)`` then a 20-point fine grid
  around the best point.
- `fit_betas`: iteratively reweighted least squares for the log-link GLM with
  a ridge penalty ``lambda`` (natural-log scale), stopping when the deviance
  changes by less than ``tol`` relative; betas beyond ``|30|`` abort the gene
  (it then goes to the optimiser fallback). Returns betas, their sandwich
  covariance ``(X'WX + L)^-1 X'WX (X'WX + L)^-1``, hat-matrix diagonals and
  iteration counts.

Everything is float64; counts arrive as float64 genes x samples.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

__all__ = [
    "digamma",
    "fit_betas",
    "fit_dispersions",
    "fit_dispersions_grid",
    "log_dnbinom_mu",
]

_LOG_ALPHA_MIN = -30.0
_LOG_ALPHA_MAX = 10.0
_ARMIJO_EPSILON = 1.0e-4
_LARGE_BETA = 30.0


@nb.njit(cache=True)
def digamma(x: float) -> float:  # pragma: no cover - numba
    """Digamma for x > 0: recurrence up to x >= 6, then the asymptotic series."""
    result = 0.0
    while x < 6.0:
        result -= 1.0 / x
        x += 1.0
    inv = 1.0 / x
    inv2 = inv * inv
    series = inv2 * (
        1.0 / 12
        - inv2
        * (
            1.0 / 120
            - inv2 * (1.0 / 252 - inv2 * (1.0 / 240 - inv2 * (1.0 / 132 - inv2 * 691.0 / 32760)))
        )
    )
    return result + math.log(x) - 0.5 * inv - series


@nb.njit(cache=True)
def _det(b: np.ndarray) -> float:  # pragma: no cover - numba
    p = b.shape[0]
    if p == 1:
        return b[0, 0]
    if p == 2:
        return b[0, 0] * b[1, 1] - b[0, 1] * b[1, 0]
    return np.linalg.det(b)


@nb.njit(cache=True)
def _crossprod_weighted(x: np.ndarray, w: np.ndarray) -> np.ndarray:  # pragma: no cover
    n, p = x.shape
    b = np.zeros((p, p))
    for j in range(n):
        for r in range(p):
            xr = x[j, r] * w[j]
            for c in range(r, p):
                b[r, c] += xr * x[j, c]
    for r in range(p):
        for c in range(r):
            b[r, c] = b[c, r]
    return b


@nb.njit(cache=True)
def _log_posterior(
    log_alpha: float,
    y: np.ndarray,
    mu: np.ndarray,
    x: np.ndarray,
    prior_mean: float,
    prior_var: float,
    use_prior: bool,
    use_cr: bool,
) -> float:  # pragma: no cover - numba
    alpha = math.exp(log_alpha)
    inv = 1.0 / alpha
    ll = 0.0
    lg_inv = math.lgamma(inv)
    for j in range(y.shape[0]):
        ll += (
            math.lgamma(y[j] + inv)
            - lg_inv
            - y[j] * math.log(mu[j] + inv)
            - inv * math.log(1.0 + mu[j] * alpha)
        )
    cr = 0.0
    if use_cr:
        w = 1.0 / (1.0 / mu + alpha)
        cr = -0.5 * math.log(_det(_crossprod_weighted(x, w)))
    prior = 0.0
    if use_prior:
        prior = -0.5 * (log_alpha - prior_mean) ** 2 / prior_var
    return ll + prior + cr


@nb.njit(cache=True)
def _dlog_posterior(
    log_alpha: float,
    y: np.ndarray,
    mu: np.ndarray,
    x: np.ndarray,
    prior_mean: float,
    prior_var: float,
    use_prior: bool,
    use_cr: bool,
) -> float:  # pragma: no cover - numba
    alpha = math.exp(log_alpha)
    inv = 1.0 / alpha
    cr = 0.0
    if use_cr:
        w = 1.0 / (1.0 / mu + alpha)
        dw = -1.0 / (1.0 / mu + alpha) ** 2
        b = _crossprod_weighted(x, w)
        db = _crossprod_weighted(x, dw)
        cr = -0.5 * np.trace(np.linalg.solve(b, db))
    dg_inv = digamma(inv)
    s = 0.0
    for j in range(y.shape[0]):
        ma = mu[j] * alpha
        s += (
            dg_inv
            + math.log(1.0 + ma)
            - ma / (1.0 + ma)
            - digamma(y[j] + inv)
            + y[j] / (mu[j] + inv)
        )
    ll = inv * inv * s
    prior = 0.0
    if use_prior:
        prior = -(log_alpha - prior_mean) / prior_var
    return (ll + cr) * alpha + prior


@nb.njit(cache=True)
def fit_dispersions(
    counts: np.ndarray,
    x: np.ndarray,
    mu: np.ndarray,
    log_alpha: np.ndarray,
    prior_mean: np.ndarray,
    prior_var: float,
    min_log_alpha: float,
    kappa_0: float,
    tol: float,
    maxit: int,
    use_prior: bool,
    use_cr: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - numba
    """Line-search maximisation of the dispersion posterior for every gene.

    Returns ``(log_alpha, iterations, initial_lp, last_lp)``.
    """
    n_genes = counts.shape[0]
    out = np.empty(n_genes)
    iters = np.zeros(n_genes, dtype=np.int64)
    initial_lp = np.empty(n_genes)
    last_lp = np.empty(n_genes)
    for i in range(n_genes):
        y = counts[i]
        m = mu[i]
        pm = prior_mean[i]
        a = log_alpha[i]
        lp = _log_posterior(a, y, m, x, pm, prior_var, use_prior, use_cr)
        dlp = _dlog_posterior(a, y, m, x, pm, prior_var, use_prior, use_cr)
        kappa = kappa_0
        initial_lp[i] = lp
        accepted = 0
        for _ in range(maxit):
            iters[i] += 1
            proposal = a + kappa * dlp
            if proposal < _LOG_ALPHA_MIN:
                kappa = (_LOG_ALPHA_MIN - a) / dlp
            if proposal > _LOG_ALPHA_MAX:
                kappa = (_LOG_ALPHA_MAX - a) / dlp
            theta_kappa = -_log_posterior(
                a + kappa * dlp, y, m, x, pm, prior_var, use_prior, use_cr
            )
            theta_hat_kappa = -lp - kappa * _ARMIJO_EPSILON * dlp * dlp
            if theta_kappa <= theta_hat_kappa:
                accepted += 1
                a = a + kappa * dlp
                lp_new = _log_posterior(a, y, m, x, pm, prior_var, use_prior, use_cr)
                change = lp_new - lp
                if change < tol:
                    lp = lp_new
                    break
                if a < min_log_alpha:
                    break
                lp = lp_new
                dlp = _dlog_posterior(a, y, m, x, pm, prior_var, use_prior, use_cr)
                kappa = min(kappa * 1.1, kappa_0)
                if accepted % 5 == 0:
                    kappa = kappa / 2.0
            else:
                kappa = kappa / 2.0
        last_lp[i] = lp
        out[i] = a
    return out, iters, initial_lp, last_lp


@nb.njit(cache=True)
def fit_dispersions_grid(
    counts: np.ndarray,
    x: np.ndarray,
    mu: np.ndarray,
    grid: np.ndarray,
    prior_mean: np.ndarray,
    prior_var: float,
    use_prior: bool,
    use_cr: bool,
) -> np.ndarray:  # pragma: no cover - numba
    """Coarse-then-fine grid maximisation of the posterior; returns log(alpha)."""
    n_genes = counts.shape[0]
    n_grid = grid.shape[0]
    delta = grid[1] - grid[0]
    out = np.empty(n_genes)
    values = np.empty(n_grid)
    for i in range(n_genes):
        y = counts[i]
        m = mu[i]
        for t in range(n_grid):
            values[t] = _log_posterior(
                grid[t], y, m, x, prior_mean[i], prior_var, use_prior, use_cr
            )
        best = grid[np.argmax(values)]
        fine = np.linspace(best - delta, best + delta, n_grid)
        for t in range(n_grid):
            values[t] = _log_posterior(
                fine[t], y, m, x, prior_mean[i], prior_var, use_prior, use_cr
            )
        out[i] = fine[np.argmax(values)]
    return out


@nb.njit(cache=True)
def log_dnbinom_mu(y: float, size: float, mu: float) -> float:  # pragma: no cover - numba
    """Log of the negative-binomial density with mean ``mu`` and size ``1/alpha``.

    The two special cases of R's ``dnbinom_mu`` (y = 0, and y tiny against
    size) keep precision where the lgamma form cancels.
    """
    if y == 0.0:
        if size < mu:
            return size * math.log(size / (size + mu))
        return size * math.log1p(-mu / (size + mu))
    if y < 1e-10 * size:
        p = math.log(size / (1.0 + size / mu)) if size < mu else math.log(mu / (1.0 + mu / size))
        return y * p - mu - math.lgamma(y + 1.0) + math.log1p(y * (y - 1.0) / (2.0 * size))
    return (
        math.lgamma(y + size)
        - math.lgamma(size)
        - math.lgamma(y + 1.0)
        + size * math.log(size / (size + mu))
        + y * math.log(mu / (size + mu))
    )


@nb.njit(cache=True)
def fit_betas(
    counts: np.ndarray,
    x: np.ndarray,
    norm_factors: np.ndarray,
    alpha: np.ndarray,
    beta_start: np.ndarray,
    ridge: np.ndarray,
    tol: float,
    maxit: int,
    minmu: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover
    """IRLS for every gene: ``(beta, covariance, hat_diagonals, iterations, deviance)``.

    ``beta`` is on the natural-log scale, ``covariance`` of shape (G, P, P).
    ``maxit = 0`` evaluates the covariance at ``beta_start`` without fitting
    (what DESeq2 does for a contrast's standard error).
    """
    n_genes, n_samples = counts.shape
    p = x.shape[1]
    beta_out = np.empty((n_genes, p))
    cov_out = np.empty((n_genes, p, p))
    hat_out = np.empty((n_genes, n_samples))
    iters = np.zeros(n_genes, dtype=np.int64)
    dev_out = np.zeros(n_genes)
    lam = np.diag(ridge)
    mu = np.empty(n_samples)
    w = np.empty(n_samples)
    z = np.empty(n_samples)
    big_x = np.zeros((n_samples + p, p))
    big_z = np.zeros(n_samples + p)
    for r in range(p):
        big_x[n_samples + r, r] = math.sqrt(ridge[r])
    for i in range(n_genes):
        y = counts[i]
        nf = norm_factors[i]
        size = 1.0 / alpha[i]
        beta = beta_start[i].copy()
        eta = x @ beta
        for j in range(n_samples):
            mu[j] = max(nf[j] * math.exp(eta[j]), minmu)
        dev = 0.0
        dev_old = 0.0
        for t in range(maxit):
            iters[i] += 1
            for j in range(n_samples):
                w[j] = mu[j] / (1.0 + alpha[i] * mu[j])
                z[j] = math.log(mu[j] / nf[j]) + (y[j] - mu[j]) / mu[j]
            # least squares on [sqrt(W) X; sqrt(L)] by QR, as DESeq2 does (not the
            # normal equations, whose squared condition number shifts slow fits)
            for j in range(n_samples):
                sw = math.sqrt(w[j])
                for r in range(p):
                    big_x[j, r] = x[j, r] * sw
                big_z[j] = z[j] * sw
            q, r_mat = np.linalg.qr(big_x)
            qtz = np.zeros(p)
            for r in range(p):
                for j in range(n_samples + p):
                    qtz[r] += q[j, r] * big_z[j]
            beta = np.linalg.solve(r_mat, qtz)
            too_large = False
            for r in range(p):
                if abs(beta[r]) > _LARGE_BETA:
                    too_large = True
            if too_large:
                iters[i] = maxit
                break
            eta = x @ beta
            dev = 0.0
            for j in range(n_samples):
                mu[j] = max(nf[j] * math.exp(eta[j]), minmu)
                dev += -2.0 * log_dnbinom_mu(y[j], size, mu[j])
            conv = abs(dev - dev_old) / (abs(dev) + 0.1)
            if math.isnan(conv):
                iters[i] = maxit
                break
            if t > 0 and conv < tol:
                break
            dev_old = dev
        dev_out[i] = dev
        beta_out[i] = beta
        for j in range(n_samples):
            w[j] = mu[j] / (1.0 + alpha[i] * mu[j])
        xtwx = _crossprod_weighted(x, w)
        inv = np.linalg.inv(xtwx + lam)
        cov_out[i] = inv @ xtwx @ inv
        for j in range(n_samples):
            h = 0.0
            for r in range(p):
                for c in range(p):
                    h += x[j, r] * inv[r, c] * x[j, c]
            hat_out[i, j] = h * w[j]
    return beta_out, cov_out, hat_out, iters, dev_out
