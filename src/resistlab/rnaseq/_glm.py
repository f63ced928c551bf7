"""Negative-binomial GLM fits for many genes, as DESeq2's ``fitNbinomGLMs`` does them.

Start values are the least-squares fit of ``log(normalized counts + 0.1)``;
IRLS runs in the compiled kernel; genes that do not converge, give
non-finite betas or non-positive variances are refitted one by one with
L-BFGS-B on the log2 scale within [-30, 30] (R's ``optim`` with a central
finite-difference gradient, step 1e-3), as DESeq2 does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from resistlab.rnaseq import _nb

__all__ = ["GlmFit", "fit_glm", "nb_log_likelihood"]

LOG2E = np.log2(np.e)
_RIDGE_LOG2 = 1e-6  # DESeq2's default lambda (beta prior precision) on the log2 scale
_LARGE = 30.0


@dataclass(frozen=True, eq=False)
class GlmFit:
    """Fitted coefficients of every gene (log2 scale) and what tests need.

    Attributes
    ----------
    beta, beta_se : ndarray of shape (G, P)
        Coefficients and standard errors, log2 scale.
    covariance : ndarray of shape (G, P, P)
        Sandwich covariance of the coefficients, natural-log scale.
    mu : ndarray of shape (G, N)
        Fitted means (not floored).
    hat : ndarray of shape (G, N)
        Diagonals of the hat matrix.
    log_likelihood : ndarray of shape (G,)
    converged : ndarray of shape (G,), bool
    iterations : ndarray of shape (G,), int
    """

    beta: np.ndarray
    beta_se: np.ndarray
    covariance: np.ndarray
    mu: np.ndarray
    hat: np.ndarray
    log_likelihood: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray


def nb_log_likelihood(counts: np.ndarray, mu: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Row sums of the negative-binomial log density (``dnbinom(log = TRUE)``)."""
    size = np.broadcast_to((1.0 / alpha)[:, None], counts.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        dens = stats.nbinom.logpmf(counts, size, size / (size + mu))
    return dens.sum(axis=1)


def _start_values(counts: np.ndarray, norm_factors: np.ndarray, x: np.ndarray) -> np.ndarray:
    y = np.log(counts / norm_factors + 0.1)
    q, r = np.linalg.qr(x)
    return np.linalg.solve(r, q.T @ y.T).T


def fit_glm(
    counts: np.ndarray,
    norm_factors: np.ndarray,
    x: np.ndarray,
    alpha: np.ndarray,
    *,
    minmu: float = 0.5,
    tol: float = 1e-8,
    maxit: int = 100,
) -> GlmFit:
    """Fit ``log2(mu / nf) = X beta`` for every gene at its dispersion ``alpha``."""
    counts = np.ascontiguousarray(counts, dtype=float)
    norm_factors = np.ascontiguousarray(norm_factors, dtype=float)
    x = np.ascontiguousarray(x, dtype=float)
    alpha = np.ascontiguousarray(alpha, dtype=float)
    p = x.shape[1]
    ridge = np.full(p, _RIDGE_LOG2 / np.log(2) ** 2)
    start = np.ascontiguousarray(_start_values(counts, norm_factors, x))
    beta, cov, hat, iters, _ = _nb.fit_betas(
        counts, x, norm_factors, alpha, start, ridge, tol, maxit, minmu
    )
    mu = norm_factors * np.exp(beta @ x.T)
    loglik = nb_log_likelihood(counts, mu, alpha)
    variances = np.diagonal(cov, axis1=1, axis2=2)
    stable = np.all(np.isfinite(beta), axis=1)
    positive = np.all(variances > 0, axis=1)
    converged = iters < maxit
    beta_log2 = LOG2E * beta
    se = LOG2E * np.sqrt(np.maximum(variances, 0.0))
    for g in np.flatnonzero(~converged | ~stable | ~positive):
        first = beta_log2[g] if stable[g] and np.all(np.abs(beta_log2[g]) < _LARGE) else start[g]
        par, ok = _optim_row(counts[g], norm_factors[g], x, alpha[g], first)
        converged[g] = converged[g] or ok
        beta_log2[g] = par
        mu[g] = norm_factors[g] * 2.0 ** (x @ par)
        mu_row = np.maximum(mu[g], minmu)
        w = 1.0 / (1.0 / mu_row + alpha[g])
        xtwx = (x * w[:, None]).T @ x
        inv = np.linalg.inv(xtwx + np.diag(ridge))
        sigma = inv @ xtwx @ inv
        cov[g] = sigma
        se[g] = LOG2E * np.sqrt(np.maximum(np.diag(sigma), 0.0))
        loglik[g] = nb_log_likelihood(counts[g : g + 1], mu_row[None, :], alpha[g : g + 1])[0]
    return GlmFit(
        beta=beta_log2,
        beta_se=se,
        covariance=cov,
        mu=mu,
        hat=hat,
        log_likelihood=loglik,
        converged=converged,
        iterations=iters,
    )


def _optim_row(
    k: np.ndarray, nf: np.ndarray, x: np.ndarray, alpha: float, start: np.ndarray
) -> tuple[np.ndarray, bool]:
    size = 1.0 / alpha
    prior_sd = np.sqrt(1.0 / _RIDGE_LOG2)

    def objective(par: np.ndarray) -> float:
        mu = nf * 2.0 ** (x @ par)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            ll = stats.nbinom.logpmf(k, size, size / (size + mu)).sum()
        value = -(ll + stats.norm.logpdf(par, 0.0, prior_sd).sum())
        return float(value) if np.isfinite(value) else 1e300

    def gradient(par: np.ndarray) -> np.ndarray:
        step = 1e-3
        grad = np.empty_like(par)
        for j in range(par.size):
            up, down = par.copy(), par.copy()
            up[j] = min(par[j] + step, _LARGE)
            down[j] = max(par[j] - step, -_LARGE)
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
