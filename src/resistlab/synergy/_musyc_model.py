"""The two-drug MuSyC surface and its Jacobian, evaluated in log space.

MuSyC (Meyer et al. 2019, Cell Systems 8:97; Wooten et al. 2021, Nat Commun
12:4607) describes a cell population in four states: unaffected (U), affected
by drug 1 (A1), by drug 2 (A2) or by both (A12), with effects E0, E1, E2, E3.
Drugs move cells between states by mass action; the observed effect is the
state-weighted mean at steady state.

With reverse (off) rates equal to 1 for both drugs (the ``synergy`` package's
default ``r1r = r2r = 1``; only their ratio matters), the forward rates are

* U -> A1: ``x1 = (d1 / C1) ** h1``, A2 -> A12: ``y1 = (alpha21 d1 / C1) ** (gamma21 h1)``
* U -> A2: ``x2 = (d2 / C2) ** h2``, A1 -> A12: ``y2 = (alpha12 d2 / C2) ** (gamma12 h2)``

and the steady state of the four-state cycle (Kirchhoff's matrix-tree theorem)
weighs each state by a sum of monomials::

    U   : 2 + y1 + y2
    A1  : 2 x1 + x1 y1 + x2 y1
    A2  : 2 x2 + x2 y2 + x1 y2
    A12 : x1 y1 y2 + x2 y1 y2 + x2 y1 + x1 y2

Every monomial is evaluated as ``exp(log coefficient + sum of log rates)``
and the weights normalised like a softmax, so no power overflows however
steep the curve or far the dose, and a dose of 0 (log rate -inf) simply
removes its monomials. The Jacobian follows from the same softmax:
``dE/dL_k = s_k (E_state(k) - E)`` for monomial ``k`` with share ``s_k``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["PARAMETER_NAMES", "musyc_jacobian", "musyc_log_rates", "musyc_values"]

#: Order of the parameter vector: effects, then natural logs of the rest.
PARAMETER_NAMES = (
    "E0",
    "E1",
    "E2",
    "E3",
    "h1",
    "h2",
    "C1",
    "C2",
    "alpha12",
    "alpha21",
    "gamma12",
    "gamma21",
)

_LOG2 = float(np.log(2.0))
# monomials: (state index 0..3 for U, A1, A2, A12; log coefficient; uses lx1, lx2, ly1, ly2)
_TERMS = (
    (0, _LOG2, (0, 0, 0, 0)),
    (0, 0.0, (0, 0, 1, 0)),
    (0, 0.0, (0, 0, 0, 1)),
    (1, _LOG2, (1, 0, 0, 0)),
    (1, 0.0, (1, 0, 1, 0)),
    (1, 0.0, (0, 1, 1, 0)),
    (2, _LOG2, (0, 1, 0, 0)),
    (2, 0.0, (0, 1, 0, 1)),
    (2, 0.0, (1, 0, 0, 1)),
    (3, 0.0, (1, 0, 1, 1)),
    (3, 0.0, (0, 1, 1, 1)),
    (3, 0.0, (0, 1, 1, 0)),
    (3, 0.0, (1, 0, 0, 1)),
)
_STATE = np.array([t[0] for t in _TERMS])
_LOGCOEF = np.array([t[1] for t in _TERMS])
_USES = np.array([t[2] for t in _TERMS], dtype=bool)  # (13, 4)


def musyc_log_rates(
    log_d1: np.ndarray, log_d2: np.ndarray, theta: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Log forward rates ``(lx1, lx2, ly1, ly2)`` at log doses (``-inf`` for dose 0).

    `theta` is the fit vector: E0..E3, then log h1, log h2, log C1, log C2,
    log alpha12, log alpha21, log gamma12, log gamma21 (doses in C's units).
    """
    h1, h2 = np.exp(theta[4]), np.exp(theta[5])
    lc1, lc2 = theta[6], theta[7]
    la12, la21 = theta[8], theta[9]
    g12, g21 = np.exp(theta[10]), np.exp(theta[11])
    lx1 = h1 * (log_d1 - lc1)
    lx2 = h2 * (log_d2 - lc2)
    ly1 = g21 * h1 * (la21 + log_d1 - lc1)
    ly2 = g12 * h2 * (la12 + log_d2 - lc2)
    return lx1, lx2, ly1, ly2


def _shares(
    log_d1: np.ndarray, log_d2: np.ndarray, theta: np.ndarray
) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    rates = musyc_log_rates(log_d1, log_d2, theta)
    base = np.stack(rates, axis=-1)  # (..., 4)
    # sum of the used log rates per monomial; -inf (dose 0) propagates, 0 * -inf never formed
    logs = np.broadcast_to(_LOGCOEF, (*base.shape[:-1], _LOGCOEF.size)).copy()
    for j in range(4):
        logs = logs + np.where(_USES[:, j], base[..., j : j + 1], 0.0)
    top = np.max(logs, axis=-1, keepdims=True)
    weights = np.exp(logs - top)
    shares = weights / np.sum(weights, axis=-1, keepdims=True)
    return shares, rates


def musyc_values(log_d1: np.ndarray, log_d2: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Effect of the MuSyC surface at (log) doses; `theta` as in `musyc_log_rates`.

    Examples
    --------
    >>> theta = np.array([1.0, 0.5, 0.3, 0.0, 0, 0, 0, 0, 0, 0, 0, 0])
    >>> ld = np.array([-np.inf, 0.0, np.log(1e12)])  # log doses 0, 1, 1e12
    >>> np.round(musyc_values(ld, np.full(3, -np.inf), theta), 6).tolist()
    [1.0, 0.75, 0.5]
    """
    shares, _ = _shares(log_d1, log_d2, theta)
    effects = np.asarray(theta[:4], dtype=float)[_STATE]
    return np.asarray(np.sum(shares * effects, axis=-1))


def musyc_jacobian(log_d1: np.ndarray, log_d2: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Differentiate `musyc_values` with respect to `theta`: shape (N, 12)."""
    shares, (lx1, lx2, ly1, ly2) = _shares(log_d1, log_d2, theta)
    effects = np.asarray(theta[:4], dtype=float)[_STATE]
    value = np.sum(shares * effects, axis=-1, keepdims=True)
    n = shares.shape[0]
    jac = np.zeros((n, 12))
    for state in range(4):
        jac[:, state] = np.sum(shares[:, state == _STATE], axis=1)
    # derivative of E with respect to each log rate
    tilt = shares * (effects - value)
    grad_base = np.stack([np.sum(tilt[:, _USES[:, j]], axis=1) for j in range(4)], axis=1)
    h1, h2 = np.exp(theta[4]), np.exp(theta[5])
    g12, g21 = np.exp(theta[10]), np.exp(theta[11])
    # where a dose is 0 its monomials have zero share: use 0 for the -inf log rates
    f1 = np.isfinite(log_d1)
    f2 = np.isfinite(log_d2)
    lx1 = np.where(f1, lx1, 0.0)
    ly1 = np.where(f1, ly1, 0.0)
    lx2 = np.where(f2, lx2, 0.0)
    ly2 = np.where(f2, ly2, 0.0)
    gx1, gx2, gy1, gy2 = grad_base.T
    jac[:, 4] = gx1 * lx1 + gy1 * ly1  # log h1
    jac[:, 5] = gx2 * lx2 + gy2 * ly2  # log h2
    jac[:, 6] = -h1 * gx1 - g21 * h1 * gy1  # log C1
    jac[:, 7] = -h2 * gx2 - g12 * h2 * gy2  # log C2
    jac[:, 8] = g12 * h2 * gy2  # log alpha12
    jac[:, 9] = g21 * h1 * gy1  # log alpha21
    jac[:, 10] = gy2 * ly2  # log gamma12
    jac[:, 11] = gy1 * ly1  # log gamma21
    return jac
