"""Compiled stepping of a multi-type birth-death population (the simulator's inner loop).

One call advances many independent cultures (rows) by a stretch of time.
Within a step of length ``dt`` each type's births and deaths are drawn from
the exact transition of the linear birth-death process (Kendall 1948): a
cell leaves ``0`` descendants with probability ``alpha``, otherwise a
geometric number ``>= 1`` with parameter ``beta``,

    alpha = d (e^{g dt} - 1) / (b e^{g dt} - d),
    beta  = b (e^{g dt} - 1) / (b e^{g dt} - d),   g = b - d,

so ``n`` cells become ``Y + NB(Y, 1 - beta)`` with ``Y ~ Binomial(n, 1 - alpha)``
surviving lineages (the negative binomial drawn as a gamma-Poisson mixture).
The mean ``n e^{g dt}`` and the variance are exact for any ``dt``, and so is the
extinction probability. Mutation (one daughter of a division moves to the
next type, ``Poisson(u b n (e^{g dt} - 1) / g)``: the expected divisions) and
switching (each cell's state after ``dt`` drawn from ``expm(Q dt)`` of the
switching generator, so switches back within a step count) are applied after
growth in the same step (operator splitting: exact when the types grow
alike, otherwise off by order ``dt`` x switching rate x growth difference).
Crowding multiplies the birth rate by ``1 - (N / capacity) ** theta``
evaluated at the step's predicted midpoint, and the step is shortened near
confluence so that this factor changes by at most `eps` per step.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def _bd_exact(n: int, b: float, d: float, dt: float, rng: np.random.Generator) -> int:
    """Cells after ``dt`` of a linear birth-death process started from ``n`` cells."""
    if n <= 0:
        return 0
    if b <= 0.0 and d <= 0.0:
        return n
    g = b - d
    gdt = g * dt
    if abs(gdt) < 1e-10:
        alpha = d * dt / (1.0 + b * dt)
        beta = b * dt / (1.0 + b * dt)
    else:
        e = math.expm1(gdt)
        denom = b * (e + 1.0) - d
        alpha = d * e / denom
        beta = b * e / denom
    alpha = min(max(alpha, 0.0), 1.0)
    survivors = rng.binomial(n, 1.0 - alpha) if alpha > 0.0 else n
    if survivors == 0 or beta <= 0.0:
        return survivors
    beta = min(beta, 1.0 - 1e-15)
    extra = rng.poisson(rng.gamma(float(survivors), beta / (1.0 - beta)))
    return survivors + extra


@njit(cache=True)
def _transition(rates: np.ndarray, dt: float, out: np.ndarray) -> None:
    """``out = expm(Q dt)``: per-cell switching probabilities over ``dt``.

    ``Q`` has the off-diagonal switching `rates` and rows summing to zero;
    Taylor series with scaling and squaring.
    """
    k = rates.shape[0]
    q = np.zeros((k, k))
    norm = 0.0
    for i in range(k):
        total = 0.0
        for j in range(k):
            if j != i:
                q[i, j] = rates[i, j] * dt
                total += q[i, j]
        q[i, i] = -total
        norm = max(norm, 2.0 * total)
    squarings = 0
    while norm > 0.25:
        norm *= 0.5
        squarings += 1
    scale = 0.5**squarings
    for i in range(k):
        for j in range(k):
            q[i, j] *= scale
    term = np.eye(k)
    result = np.eye(k)
    for n in range(1, 12):
        term = term @ q / n
        result += term
    for _ in range(squarings):
        result = result @ result
    out[:, :] = result


@njit(cache=True)
def advance(
    counts: np.ndarray,
    dead: np.ndarray,
    birth: np.ndarray,
    death: np.ndarray,
    switch: np.ndarray,
    mutation_target: np.ndarray,
    mutation_rate: np.ndarray,
    capacity: float,
    theta: float,
    active: np.ndarray,
    days: float,
    dt_max: float,
    eps: float,
    rng: np.random.Generator,
) -> None:
    """Advance every active culture by `days`, in place.

    Parameters
    ----------
    counts : int64 array of shape (R, K)
        Cells of each type in each culture.
    dead : float64 array of shape (R,)
        Cells that died (expected number), accumulated.
    birth, death : float64 arrays of shape (R, K)
        Per-cell rates per day at each culture's dose, before crowding.
    switch : float64 array of shape (K, K)
        ``switch[i, j]`` is the rate per day at which a type-i cell becomes type j.
    mutation_target : int64 array of shape (K,)
        Type that a mutant daughter of type k belongs to (-1: none).
    mutation_rate : float64 array of shape (K,)
        Probability per division of type k that one daughter is a mutant.
    capacity, theta : float
        Cells at confluence and the crowding exponent (inf capacity: none).
    active : bool array of shape (R,)
    days, dt_max, eps : float
        Time to advance, longest step, largest change of the crowding factor per step.
    rng : numpy.random.Generator
    """
    n_runs, n_types = counts.shape
    new = np.zeros(n_types, dtype=np.int64)
    mean = np.zeros(n_types)
    leave_rate = np.zeros(n_types)
    for k in range(n_types):
        for j in range(n_types):
            if j != k:
                leave_rate[k] += switch[k, j]
    switching = False
    for k in range(n_types):
        if leave_rate[k] > 0.0:
            switching = True
    moves = np.eye(n_types)
    moves_dt = -1.0
    crowded = math.isfinite(capacity)
    for r in range(n_runs):
        if not active[r]:
            continue
        t = 0.0
        while t < days - 1e-12:
            total = 0
            for k in range(n_types):
                total += counts[r, k]
            if total == 0:
                break
            dt = min(days - t, dt_max)
            crowd = 1.0
            if crowded:
                x = total / capacity
                xt = x**theta
                c0 = max(0.0, 1.0 - xt)
                gbar = 0.0
                for k in range(n_types):
                    gbar += (birth[r, k] * c0 - death[r, k]) * counts[r, k]
                gbar /= total
                sens = theta * xt * abs(gbar)
                if sens * dt > eps:
                    dt = max(eps / sens, 1e-3)
                x_mid = x * math.exp(0.5 * gbar * dt)
                crowd = max(0.0, 1.0 - x_mid**theta)
            died = 0.0
            for k in range(n_types):
                n = counts[r, k]
                b = birth[r, k] * crowd
                d = death[r, k]
                new[k] = _bd_exact(n, b, d, dt, rng)
                # expected cell-days in the step, n (e^{g dt} - 1) / g, so that expected
                # divisions (b times it) and deaths (d times it) are exact
                gdt = (b - d) * dt
                mean[k] = n * dt * (math.expm1(gdt) / gdt if abs(gdt) > 1e-10 else 1.0)
                died += d * mean[k]
            dead[r] += died
            # mutation: one daughter of a division joins the next type
            for k in range(n_types):
                target = mutation_target[k]
                if target < 0 or mutation_rate[k] <= 0.0 or new[k] == 0:
                    continue
                lam = mutation_rate[k] * birth[r, k] * crowd * mean[k]
                if lam <= 0.0:
                    continue
                mutants = min(rng.poisson(lam), new[k])
                new[k] -= mutants
                new[target] += mutants
            # switching: each cell's state after dt from the exact two-way (Markov) transition
            for k in range(n_types):
                counts[r, k] = new[k]
            if switching:
                if dt != moves_dt:
                    _transition(switch, dt, moves)
                    moves_dt = dt
                for k in range(n_types):
                    if leave_rate[k] <= 0.0 or new[k] == 0:
                        continue
                    stay = min(max(moves[k, k], 0.0), 1.0)
                    movers = rng.binomial(new[k], 1.0 - stay)
                    rest = 1.0 - stay
                    for j in range(n_types):
                        if j == k or movers == 0 or rest <= 0.0:
                            continue
                        p = max(moves[k, j], 0.0)
                        share = min(p / rest, 1.0)
                        moved = rng.binomial(movers, share) if share < 1.0 else movers
                        counts[r, k] -= moved
                        counts[r, j] += moved
                        movers -= moved
                        rest -= p
            t += dt
