"""Compiled batch Levenberg-Marquardt for log-logistic curves.

One call fits every curve of a batch in parallel (numba ``prange``). The
model is drc's LL.4,

    f(x) = c + (d - c) / (1 + exp(b * (log(x) - log(e)))),

optimised internally over ``(b, c, d, eta = log e)`` so that ``e`` stays
positive. Doses of 0 (vehicle) are allowed: there ``f = d`` when ``b > 0``
and ``f = c`` when ``b < 0``, as in drc.

Every curve gets data-driven starting values (logit linearisation on the
observed range), a bounded iteration budget and a status code; after
convergence the covariance is ``s^2 H^-1`` where ``H`` is the full Hessian
of half the residual sum of squares (drc's choice), not the Gauss-Newton
``J'J``.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

N_PARAMS = 4  # b, c, d, eta
#: LLVM fast-math flags that keep inf and NaN semantics (vehicle doses are log 0 = -inf).
_FAST = {"reassoc", "contract", "arcp", "nsz"}

# status codes
CONVERGED = 0
MAX_ITER = 1
TOO_FEW_POINTS = 2
NUMERICAL = 3


@nb.njit(cache=True, inline="always", fastmath=_FAST)
def _g_terms(b: float, eta: float, lx: float, is_zero: bool) -> tuple[float, float, float]:
    """Return g = 1/(1+exp(s)), dg/ds and the log-distance L = lx - eta."""
    if is_zero:
        if b > 0.0:
            return 1.0, 0.0, 0.0
        if b < 0.0:
            return 0.0, 0.0, 0.0
        return 0.5, 0.0, 0.0
    big_l = lx - eta
    s = b * big_l
    if s > 700.0:
        g = 0.0
    elif s < -700.0:
        g = 1.0
    else:
        g = 1.0 / (1.0 + math.exp(s))
    return g, -g * (1.0 - g), big_l


@nb.njit(cache=True, fastmath=_FAST)
def _rss(p: np.ndarray, lx: np.ndarray, y: np.ndarray, zero: np.ndarray, m: int) -> float:
    total = 0.0
    for i in range(m):
        g, _, _ = _g_terms(p[0], p[3], lx[i], zero[i])
        r = y[i] - (p[1] + (p[2] - p[1]) * g)
        total += r * r
    return total


@nb.njit(cache=True, fastmath=_FAST)
def _rss_keep(
    p: np.ndarray, lx: np.ndarray, y: np.ndarray, zero: np.ndarray, m: int, gbuf: np.ndarray
) -> float:
    """RSS at p, keeping each point's g in gbuf for the next normal equations."""
    total = 0.0
    for i in range(m):
        g, _, _ = _g_terms(p[0], p[3], lx[i], zero[i])
        gbuf[i] = g
        r = y[i] - (p[1] + (p[2] - p[1]) * g)
        total += r * r
    return total


@nb.njit(cache=True, fastmath=_FAST)
def _normal_equations(
    p: np.ndarray,
    lx: np.ndarray,
    y: np.ndarray,
    zero: np.ndarray,
    m: int,
    a: np.ndarray,
    grad: np.ndarray,
    gbuf: np.ndarray,
) -> float:
    """Fill a = J'J and grad = J'r (r = y - f) from the cached g; return the RSS."""
    b, c, d, eta = p[0], p[1], p[2], p[3]
    delta = d - c
    a00 = a10 = a11 = a20 = a21 = a22 = a30 = a31 = a32 = a33 = 0.0
    g0 = g1 = g2 = g3 = 0.0
    total = 0.0
    for i in range(m):
        g = gbuf[i]
        gs = -g * (1.0 - g)
        big_l = 0.0 if zero[i] else lx[i] - eta
        r = y[i] - (c + delta * g)
        total += r * r
        j0 = delta * gs * big_l
        j1 = 1.0 - g
        j2 = g
        j3 = -delta * gs * b
        g0 += j0 * r
        g1 += j1 * r
        g2 += j2 * r
        g3 += j3 * r
        a00 += j0 * j0
        a10 += j1 * j0
        a11 += j1 * j1
        a20 += j2 * j0
        a21 += j2 * j1
        a22 += j2 * j2
        a30 += j3 * j0
        a31 += j3 * j1
        a32 += j3 * j2
        a33 += j3 * j3
    grad[0] = g0
    grad[1] = g1
    grad[2] = g2
    grad[3] = g3
    a[0, 0] = a00
    a[1, 1] = a11
    a[2, 2] = a22
    a[3, 3] = a33
    a[1, 0] = a[0, 1] = a10
    a[2, 0] = a[0, 2] = a20
    a[2, 1] = a[1, 2] = a21
    a[3, 0] = a[0, 3] = a30
    a[3, 1] = a[1, 3] = a31
    a[3, 2] = a[2, 3] = a32
    return total


@nb.njit(cache=True, fastmath=_FAST)
def _solve_spd(
    a: np.ndarray, rhs: np.ndarray, free: np.ndarray, out: np.ndarray, low: np.ndarray
) -> bool:
    """Solve a @ out = rhs over the free parameters by Cholesky; False if not SPD.

    `low` is an (n, n) workspace for the factor.
    """
    n = a.shape[0]
    for j in range(n):
        if not free[j]:
            continue
        s = a[j, j]
        for k in range(j):
            if free[k]:
                s -= low[j, k] * low[j, k]
        if not s > 0.0:
            return False
        low[j, j] = math.sqrt(s)
        for i in range(j + 1, n):
            if not free[i]:
                continue
            t = a[i, j]
            for k in range(j):
                if free[k]:
                    t -= low[i, k] * low[j, k]
            low[i, j] = t / low[j, j]
    # forward substitution into out, then back substitution in place
    for i in range(n):
        if not free[i]:
            out[i] = 0.0
            continue
        t = rhs[i]
        for k in range(i):
            if free[k]:
                t -= low[i, k] * out[k]
        out[i] = t / low[i, i]
    for i in range(n - 1, -1, -1):
        if not free[i]:
            continue
        t = out[i]
        for k in range(i + 1, n):
            if free[k]:
                t -= low[k, i] * out[k]
        out[i] = t / low[i, i]
    return True


@nb.njit(cache=True, fastmath=_FAST)
def _start(
    lx: np.ndarray,
    y: np.ndarray,
    zero: np.ndarray,
    m: int,
    p: np.ndarray,
    free: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
) -> None:
    """Data-driven starting values, written into the free entries of p."""
    ymin = np.inf
    ymax = -np.inf
    lmin = np.inf
    lmax = -np.inf
    for i in range(m):
        ymin = min(ymin, y[i])
        ymax = max(ymax, y[i])
        if not zero[i]:
            lmin = min(lmin, lx[i])
            lmax = max(lmax, lx[i])
    # direction: covariance of response with log dose (vehicle as lowest dose)
    lzero = lmin - 1.0 if np.isfinite(lmin) else 0.0
    sx = 0.0
    sy = 0.0
    for i in range(m):
        sx += lzero if zero[i] else lx[i]
        sy += y[i]
    mx = sx / m
    my = sy / m
    cov = 0.0
    for i in range(m):
        xi = lzero if zero[i] else lx[i]
        cov += (xi - mx) * (y[i] - my)
    decreasing = cov <= 0.0
    span = max(ymax - ymin, 1e-12 * max(abs(ymax), 1.0))
    lower = ymin - 0.05 * span
    upper = ymax + 0.05 * span
    c = p[1] if not free[1] else (lower if decreasing else upper)
    d = p[2] if not free[2] else (upper if decreasing else lower)
    if free[1]:
        p[1] = c
    if free[2]:
        p[2] = d
    # logit linearisation: log((d - y) / (y - c)) = b * (lx - eta)
    n_lin = 0
    sxl = 0.0
    szl = 0.0
    sxx = 0.0
    sxz = 0.0
    for i in range(m):
        if zero[i]:
            continue
        num = d - y[i]
        den = y[i] - c
        if num * den <= 0.0:
            continue
        z = math.log(num / den)
        n_lin += 1
        sxl += lx[i]
        szl += z
        sxx += lx[i] * lx[i]
        sxz += lx[i] * z
    b = 1.0
    eta = 0.5 * (lmin + lmax) if np.isfinite(lmin) else 0.0
    if n_lin >= 2:
        var = sxx - sxl * sxl / n_lin
        if var > 1e-12:
            slope = (sxz - sxl * szl / n_lin) / var
            intercept = (szl - slope * sxl) / n_lin
            if abs(slope) > 1e-3:
                b = slope
                eta = -intercept / slope
    # keep the start sane: slope within +-10, midpoint within 2 decades of data
    b = min(max(abs(b), 0.2), 10.0)
    if np.isfinite(lmin):
        eta = min(max(eta, lmin - 4.6), lmax + 4.6)
    if free[0]:
        p[0] = b
    if free[3]:
        p[3] = eta
    for j in range(N_PARAMS):
        if free[j]:
            p[j] = min(max(p[j], lo[j]), hi[j])


@nb.njit(cache=True, fastmath=_FAST)
def _project_linear(
    lx: np.ndarray,
    y: np.ndarray,
    zero: np.ndarray,
    m: int,
    p: np.ndarray,
    free: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
) -> float:
    """Set the free linear parameters (bottom, top) to their least-squares values.

    For fixed slope and midpoint the model is linear in bottom and top; solve
    the (up to 2x2) normal equations exactly, clip to the bounds and return the
    RSS (inf when the system is singular).
    """
    s11 = 0.0
    s12 = 0.0
    s22 = 0.0
    t1 = 0.0
    t2 = 0.0
    for i in range(m):
        g, _, _ = _g_terms(p[0], p[3], lx[i], zero[i])
        w1 = 1.0 - g
        yi = y[i]
        if not free[1]:
            yi -= p[1] * w1
        if not free[2]:
            yi -= p[2] * g
        s11 += w1 * w1
        s12 += w1 * g
        s22 += g * g
        t1 += w1 * yi
        t2 += g * yi
    if free[1] and free[2]:
        det = s11 * s22 - s12 * s12
        if det <= 1e-12 * (s11 * s22 + 1e-300):
            return np.inf
        p[1] = (t1 * s22 - t2 * s12) / det
        p[2] = (s11 * t2 - s12 * t1) / det
    elif free[1]:
        if s11 <= 0.0:
            return np.inf
        p[1] = t1 / s11
    elif free[2]:
        if s22 <= 0.0:
            return np.inf
        p[2] = t2 / s22
    p[1] = min(max(p[1], lo[1]), hi[1])
    p[2] = min(max(p[2], lo[2]), hi[2])
    return _rss(p, lx, y, zero, m)


@nb.njit(cache=True, fastmath=_FAST)
def _grid_start(
    lx: np.ndarray,
    y: np.ndarray,
    zero: np.ndarray,
    m: int,
    p: np.ndarray,
    free: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
) -> float:
    """Global start by variable projection over candidate (slope, midpoint) pairs.

    Candidates: moderate slopes (+-1.5) at nine midpoints across the tested
    range and at the midpoint's bounds, and a steep curve placed in the
    largest jump between adjacent dose levels (the optimum of near-step data,
    which moderate starts miss). For
    each, the free linear parameters (bottom, top) are solved exactly; the
    best is written into p and its RSS returned (inf if none).
    """
    lmin = np.inf
    lmax = -np.inf
    for i in range(m):
        if not zero[i]:
            lmin = min(lmin, lx[i])
            lmax = max(lmax, lx[i])
    if not np.isfinite(lmin):
        return np.inf
    # largest jump between adjacent positive dose levels (level means)
    levels = np.empty(m)
    means = np.empty(m)
    n_levels = 0
    for i in range(m):
        if zero[i]:
            continue
        k = 0
        while k < n_levels and levels[k] != lx[i]:
            k += 1
        if k == n_levels:
            levels[k] = lx[i]
            n_levels += 1
    levels[:n_levels].sort()
    for k in range(n_levels):
        total = 0.0
        count = 0
        for i in range(m):
            if not zero[i] and lx[i] == levels[k]:
                total += y[i]
                count += 1
        means[k] = total / count
    jump_eta = 0.5 * (lmin + lmax)
    jump_slope = 1.0
    biggest = -1.0
    for k in range(n_levels - 1):
        diff = means[k + 1] - means[k]
        if abs(diff) > biggest:
            biggest = abs(diff)
            jump_eta = 0.5 * (levels[k] + levels[k + 1])
            gap = levels[k + 1] - levels[k]
            jump_slope = (6.0 / gap) * (1.0 if diff < 0 else -1.0)
    n_eta = 9
    best = np.inf
    best_p = p.copy()
    trial = p.copy()
    for candidate in range(2 * n_eta + 5):
        if candidate == 2 * n_eta:
            b = jump_slope
            eta = jump_eta
        elif candidate > 2 * n_eta:
            # the midpoint's bounds: where flat or barely-reached curves fit best
            b = 1.5 if candidate % 2 == 0 else -1.5
            eta = lo[3] if candidate <= 2 * n_eta + 2 else hi[3]
            if not np.isfinite(eta):
                continue
        else:
            b = 1.5 if candidate % 2 == 0 else -1.5
            eta = lmin + (lmax - lmin) * (candidate // 2) / (n_eta - 1)
        trial[:] = p
        if free[0]:
            trial[0] = min(max(b, lo[0]), hi[0])
        if free[3]:
            trial[3] = min(max(eta, lo[3]), hi[3])
        r = _project_linear(lx, y, zero, m, trial, free, lo, hi)
        if r < best:
            best = r
            best_p[:] = trial
    if np.isfinite(best):
        p[:] = best_p
    return best


@nb.njit(cache=True, fastmath=_FAST)
def _covariance(
    p: np.ndarray,
    lx: np.ndarray,
    y: np.ndarray,
    zero: np.ndarray,
    m: int,
    free: np.ndarray,
    n_free: int,
    out: np.ndarray,
) -> None:
    """Write s^2 H^-1 over (b, c, d, eta) into out (NaN where undefined)."""
    out[:, :] = np.nan
    dof = m - n_free
    if dof <= 0:
        return
    b, c, d, eta = p[0], p[1], p[2], p[3]
    delta = d - c
    h = np.zeros((N_PARAMS, N_PARAMS))
    jrow = np.empty(N_PARAMS)
    rss = 0.0
    for i in range(m):
        g, gs, big_l = _g_terms(b, eta, lx[i], zero[i])
        r = y[i] - (c + delta * g)
        rss += r * r
        jrow[0] = delta * gs * big_l
        jrow[1] = 1.0 - g
        jrow[2] = g
        jrow[3] = -delta * gs * b
        for j in range(N_PARAMS):
            for k in range(N_PARAMS):
                h[j, k] += jrow[j] * jrow[k]
        gss = -gs * (1.0 - 2.0 * g)
        # second derivatives of f (only the non-zero ones), subtract r * d2f
        f_bb = delta * gss * big_l * big_l
        f_be = delta * (-gss * b * big_l - gs)
        f_ee = delta * gss * b * b
        f_cb = -gs * big_l
        f_ce = gs * b
        f_db = gs * big_l
        f_de = -gs * b
        h[0, 0] -= r * f_bb
        h[0, 3] -= r * f_be
        h[3, 0] -= r * f_be
        h[3, 3] -= r * f_ee
        h[1, 0] -= r * f_cb
        h[0, 1] -= r * f_cb
        h[1, 3] -= r * f_ce
        h[3, 1] -= r * f_ce
        h[2, 0] -= r * f_db
        h[0, 2] -= r * f_db
        h[2, 3] -= r * f_de
        h[3, 2] -= r * f_de
    s2 = rss / dof
    col = np.empty(N_PARAMS)
    unit = np.zeros(N_PARAMS)
    low = np.zeros((N_PARAMS, N_PARAMS))
    for k in range(N_PARAMS):
        if not free[k]:
            continue
        unit[:] = 0.0
        unit[k] = 1.0
        if not _solve_spd(h, unit, free, col, low):
            out[:, :] = np.nan
            return
        for j in range(N_PARAMS):
            if free[j]:
                out[j, k] = s2 * col[j]
            else:
                out[j, k] = 0.0
    for j in range(N_PARAMS):
        if not free[j]:
            for k in range(N_PARAMS):
                out[j, k] = 0.0
                out[k, j] = 0.0


@nb.njit(cache=True, fastmath=_FAST)
def _fit_one(
    lx: np.ndarray,
    y: np.ndarray,
    zero: np.ndarray,
    m: int,
    p: np.ndarray,
    free: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    max_iter: int,
    ftol: float,
    lmin: float,
    lmax: float,
) -> tuple[int, int, float]:
    """Levenberg-Marquardt (Nielsen's damping update); returns status, iterations, RSS.

    While the midpoint lies outside the tested log-dose range [lmin, lmax] the
    fit is extrapolated and will be flagged, so a looser tolerance (1e-6)
    ends it sooner: no slow tail on curves the data cannot pin down.
    """
    a = np.empty((N_PARAMS, N_PARAMS))
    grad = np.empty(N_PARAMS)
    damped = np.empty((N_PARAMS, N_PARAMS))
    step = np.empty(N_PARAMS)
    trial = np.empty(N_PARAMS)
    gbuf = np.empty(m)
    gtrial = np.empty(m)
    _rss_keep(p, lx, y, zero, m, gbuf)
    rss = _normal_equations(p, lx, y, zero, m, a, grad, gbuf)
    if not np.isfinite(rss):
        return NUMERICAL, 0, rss
    amax = 0.0
    for j in range(N_PARAMS):
        if free[j]:
            amax = max(amax, a[j, j])
    lam = 1e-5 * amax if amax > 0.0 else 1e-5
    nu = 2.0
    yscale = 0.0
    for i in range(m):
        yscale += y[i] * y[i]
    tiny = 1e-28 * max(yscale, 1e-300)
    small_steps = 0
    active = np.empty(N_PARAMS, dtype=np.bool_)
    low = np.zeros((N_PARAMS, N_PARAMS))
    for it in range(1, max_iter + 1):
        if rss <= tiny:
            return CONVERGED, it, rss
        # active set: a parameter on a bound whose descent direction points out stays put
        for j in range(N_PARAMS):
            active[j] = free[j] and not (
                (p[j] >= hi[j] and grad[j] > 0.0) or (p[j] <= lo[j] and grad[j] < 0.0)
            )
        for j in range(N_PARAMS):
            for k in range(N_PARAMS):
                damped[j, k] = a[j, k]
            damped[j, j] += lam * max(a[j, j], 1e-12 * amax + 1e-300)
        if not _solve_spd(damped, grad, active, step, low):
            lam *= nu
            nu *= 2.0
            continue
        for j in range(N_PARAMS):
            trial[j] = p[j] + step[j] if active[j] else p[j]
            trial[j] = min(max(trial[j], lo[j]), hi[j])
        new_rss = _rss_keep(trial, lx, y, zero, m, gtrial)
        # predicted reduction of the linear model with the damping term
        pred = 0.0
        for j in range(N_PARAMS):
            if active[j]:
                dj = trial[j] - p[j]
                pred += dj * (lam * max(a[j, j], 1e-12 * amax + 1e-300) * dj + grad[j])
        actual = rss - new_rss
        if np.isfinite(new_rss) and actual > 0.0:
            rho = actual / pred if pred > 0.0 else 1.0
            for j in range(N_PARAMS):
                p[j] = trial[j]
            gbuf, gtrial = gtrial, gbuf
            old = rss
            rss = _normal_equations(p, lx, y, zero, m, a, grad, gbuf)
            t = 2.0 * rho - 1.0
            lam *= max(1.0 / 3.0, 1.0 - t * t * t)
            nu = 2.0
            tol = ftol if lmin <= p[3] <= lmax else max(ftol, 1e-6)
            if actual <= tol * old:
                small_steps += 1
                if small_steps >= 2:
                    return CONVERGED, it, rss
            else:
                small_steps = 0
        else:
            lam *= nu
            nu *= 2.0
            # a step that cannot reduce the RSS any more at huge damping: at optimum
            if lam > 1e16 * max(amax, 1e-300):
                return CONVERGED, it, rss
    return MAX_ITER, max_iter, rss


@nb.njit(cache=True, fastmath=_FAST)
def _doubtful(
    code: int,
    p: np.ndarray,
    lx: np.ndarray,
    zero: np.ndarray,
    m: int,
    lo: np.ndarray,
    hi: np.ndarray,
) -> bool:
    """Tell whether a local fit deserves a second, global start.

    It does when unconverged, on a bound, or with its midpoint off the data.
    """
    if code != CONVERGED:
        return True
    for j in range(N_PARAMS):
        if p[j] <= lo[j] or p[j] >= hi[j]:
            return True
    lmin = np.inf
    lmax = -np.inf
    for i in range(m):
        if not zero[i]:
            lmin = min(lmin, lx[i])
            lmax = max(lmax, lx[i])
    return not (lmin <= p[3] <= lmax)


#: Columns of the per-curve summary that `fit_batch` returns beside the fit.
SUMMARY = (
    "rss_flat",
    "pure_ss",
    "n_levels",
    "log_dose_min",
    "log_dose_max",
    "slope_cap",
    "dose_min",
    "dose_max",
)


@nb.njit(cache=True, fastmath=_FAST)
def _summarise(
    lx: np.ndarray, y: np.ndarray, zero: np.ndarray, m: int, out: np.ndarray, slope_logit: float
) -> None:
    """Summarise a curve: SS about the mean, pure replicate error, dose levels and range."""
    mean = 0.0
    for i in range(m):
        mean += y[i]
    mean /= m
    ss = 0.0
    for i in range(m):
        ss += (y[i] - mean) ** 2
    # insertion sort of (lx, y) pairs; curves are short
    order = np.empty(m, dtype=np.int64)
    for i in range(m):
        order[i] = i
    for i in range(1, m):
        k = order[i]
        j = i - 1
        while j >= 0 and lx[order[j]] > lx[k]:
            order[j + 1] = order[j]
            j -= 1
        order[j + 1] = k
    pure = 0.0
    levels = 0
    lmin = np.inf
    lmax = -np.inf
    min_gap = np.inf
    prev_level = np.nan
    i = 0
    while i < m:
        j = i
        total = 0.0
        while j < m and lx[order[j]] == lx[order[i]]:
            total += y[order[j]]
            j += 1
        level_mean = total / (j - i)
        for k in range(i, j):
            pure += (y[order[k]] - level_mean) ** 2
        levels += 1
        here = lx[order[i]]
        if not zero[order[i]]:
            lmin = min(lmin, here)
            lmax = max(lmax, here)
            if np.isfinite(prev_level):
                min_gap = min(min_gap, here - prev_level)
            prev_level = here
        i = j
    out[0] = ss
    out[1] = pure
    out[2] = levels
    out[3] = lmin if np.isfinite(lmin) else np.nan
    out[4] = lmax if np.isfinite(lmax) else np.nan
    out[5] = slope_logit / min_gap if np.isfinite(min_gap) else slope_logit


@nb.njit(parallel=True, cache=True, fastmath=_FAST)
def fit_batch(
    dose: np.ndarray,
    response: np.ndarray,
    params: np.ndarray,
    free: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    max_iter: int,
    ftol: float,
    slope_logit: float,
    ec50_margin: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fit every row of a batch.

    Parameters
    ----------
    dose, response : ndarray of shape (N, M)
        Non-negative doses (0 for vehicle) and responses; NaN pads.
    params : ndarray of shape (N, 4)
        Values of b, c, d, eta; those of fixed parameters are kept.
    free : ndarray of shape (4,), bool
        Which parameters are estimated.
    lower, upper : ndarray of shape (N, 4)
        User box bounds over (b, c, d, eta) per curve (+-inf when none).
    max_iter : int
        Iteration budget for each start.
    ftol : float
        Relative RSS reduction below which (twice running) a fit has converged.
    slope_logit : float
        Default slope cap as logit change across the smallest dose step.
    ec50_margin : float
        How far (natural log units) eta may leave the tested log-dose range.

    Returns
    -------
    params, covariance (N, 4, 4), rss (N,), n_obs (N,), status (N,), iterations (N,),
    summary (N, 8) with the columns of `SUMMARY`.
    """
    n, width = response.shape
    out = params.copy()
    cov = np.full((n, N_PARAMS, N_PARAMS), np.nan)
    rss = np.full(n, np.nan)
    n_obs = np.zeros(n, dtype=np.int64)
    status = np.full(n, TOO_FEW_POINTS, dtype=np.int64)
    iterations = np.zeros(n, dtype=np.int64)
    summary = np.full((n, len(SUMMARY)), np.nan)
    n_free = 0
    for j in range(N_PARAMS):
        if free[j]:
            n_free += 1
    for row in nb.prange(n):
        lx = np.empty(width)
        y = np.empty(width)
        zero = np.empty(width, dtype=np.bool_)
        m = 0
        dmin = np.inf
        dmax = -np.inf
        for i in range(width):
            yi = response[row, i]
            xi = dose[row, i]
            if np.isnan(yi) or np.isnan(xi) or xi == np.inf or xi < 0.0:
                continue
            y[m] = yi
            zero[m] = xi == 0.0
            if xi > 0.0:
                lx[m] = math.log(xi)
                dmin = min(dmin, xi)
                dmax = max(dmax, xi)
            else:
                lx[m] = -np.inf
            m += 1
        n_obs[row] = m
        if m == 0:
            continue
        _summarise(lx, y, zero, m, summary[row], slope_logit)
        if dmin <= dmax:
            summary[row, 6] = dmin
            summary[row, 7] = dmax
        if m <= n_free or summary[row, 2] < n_free or np.isnan(summary[row, 3]):
            continue
        lo = lower[row].copy()
        hi = upper[row].copy()
        cap = summary[row, 5]
        # default limits only where the caller set none: user bounds replace them
        if lo[0] == -np.inf:
            lo[0] = -cap
        if hi[0] == np.inf:
            hi[0] = cap
        if lo[3] == -np.inf:
            lo[3] = summary[row, 3] - ec50_margin
        if hi[3] == np.inf:
            hi[3] = summary[row, 4] + ec50_margin
        p = out[row].copy()
        _start(lx, y, zero, m, p, free, lo, hi)
        q = p.copy()
        if np.isfinite(_project_linear(lx, y, zero, m, q, free, lo, hi)):
            p = q
        code, its, r = _fit_one(
            lx, y, zero, m, p, free, lo, hi, max_iter, ftol, summary[row, 3], summary[row, 4]
        )
        if _doubtful(code, p, lx, zero, m, lo, hi):
            q = out[row].copy()
            grid_rss = _grid_start(lx, y, zero, m, q, free, lo, hi)
            if np.isfinite(grid_rss):
                code2, its2, r2 = _fit_one(
                    lx,
                    y,
                    zero,
                    m,
                    q,
                    free,
                    lo,
                    hi,
                    max_iter,
                    ftol,
                    summary[row, 3],
                    summary[row, 4],
                )
                its += its2
                if np.isfinite(r2) and (not np.isfinite(r) or r2 < r):
                    p = q
                    r = r2
                    code = code2
        out[row] = p
        rss[row] = r
        status[row] = code
        iterations[row] = its
        if code != NUMERICAL:
            _covariance(p, lx, y, zero, m, free, n_free, cov[row])
    return out, cov, rss, n_obs, status, iterations, summary


#: The same kernel compiled without threads: a few curves fit faster without
#: waking the thread pool (about 5 ms per call on a loaded machine).
fit_batch_serial = nb.njit(cache=True, fastmath=_FAST)(fit_batch.py_func)
