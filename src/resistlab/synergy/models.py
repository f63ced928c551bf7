"""Reference models of drug combination, batched over blocks: HSA, Bliss, Loewe, ZIP.

Every function takes :class:`~resistlab.synergy.data.DoseMatrices` (percent
inhibition, replicates kept) and returns :class:`SynergyScores`: observed,
expected and synergy per well of every block. Scores follow SynergyFinder's
sign and scale: percentage points of inhibition, ``observed - expected``,
positive = synergy; wells on the monotherapy row or column (and the control)
score 0 and have ``expected = observed``, as in SynergyFinder's output.

Conventions (SynergyFinder 3.7.3 ``R/calculate_synergy_score.R`` and
``R/fit_dose_response_model.R``, checked well by well against its R output
on the vignette's ``mathews_screening_data``):

HSA, Bliss
    From the *observed* monotherapy responses at the well's doses (replicate
    means): ``max(y1, y2)`` and ``y1 + y2 - y1 * y2 / 100``. The control well
    enters neither; with ``correct_baseline = "non"`` (the vignette's
    setting) the responses are used as given, so the vignette's control at
    -22.96 % inhibition changes nothing. Equal to SynergyFinder's per-well
    values to 2e-13.
Single-agent curves (Loewe, ZIP)
    LL.4 on percent inhibition: drc's ``LL.4(fixed = c(NA, Emin, Emax, NA))``
    with ``Emin = Emax = NA``, i.e. all four parameters free and no bounds,
    fitted to the monotherapy wells *and the control well*, which
    SynergyFinder moves to dose ``1e-10`` of the input unit; drc's ``L.4`` on
    log dose is its fallback when ``LL.4`` warns or fails (the same curve).
Loewe
    The expected effect ``y`` solves ``x1 / D1(y) + x2 / D2(y) = 1``, ``D``
    the inverse single-agent curves (Eq. 8 of Yadav et al. 2015).
    SynergyFinder solves each well with ``nleqslv`` (Newton from the larger
    lower asymptote + 1); when that fails (``termcd >= 3``) it takes, as an
    HSA-like fallback, the larger of the two single-agent curves evaluated at
    the *summed* dose ``x1 + x2``, and it caps every expectation at 100 (its
    R output shows the fallback: block 1's 62.32 values are ibrutinib's curve
    at the summed dose). Here the equation is solved for all wells at once
    (bracketed Newton in a compiled kernel). It has a root exactly when
    neither drug alone at its dose already exceeds the other's maximal effect
    and both curves run the same way; wells without a root get
    SynergyFinder's fallback and cap, are marked in ``fallback`` and counted
    in ``notes``.
ZIP (Yadav et al. 2015)
    Reference ``y1 + y2 - y1 y2 / 100`` from the *fitted* single agents; the
    observed surface refitted along every row (drug 1 fixed) and column
    (drug 2 fixed) with a log-logistic curve whose zero-dose level is fixed,
    the two fits averaged; ``synergy = fitted - reference``. A row or column
    that cannot be fitted keeps its observed responses, as in SynergyFinder.

Two modes for the fitted models (``loewe``, ``zip_score``):

``mode="resistlab"`` (default)
    Proper fits with ResistLab's batch kernel: replicates as points, the
    control at a true dose 0 (the zero-dose asymptote), slope cap and ec50
    window (flagged when reached, listed in ``notes``). ZIP rows and columns
    start at the *fitted* single-agent response of the fixed drug (Yadav's
    model) and leave it monotonically (drc slope <= 0) towards a free top.
``mode="synergyfinder"``
    SynergyFinder 3's choices, as recovered from its R output: replicate
    means; the control at ``1e-19`` M (``1e-10`` nM); no limits on slope or
    ec50; ZIP rows and columns fitted *through the monotherapy well*, their
    zero-dose level fixed at the *observed* monotherapy response (``Emin``),
    top free (``Emax = NA``). Where SynergyFinder's fits are well posed it
    is reproduced to drc's optimizer tolerance: ZIP's refitted surface within
    0.007 median, 0.032 maximum (wells whose row and column fits have their
    ec50 inside the tested doses); ZIP's reference within 0.0098 median,
    0.053 maximum (block 2, whose single-agent ec50s lie inside the doses).

Why the modes differ, and why the vignette's published ZIP block means
(19.57 and -2.98; our synergyfinder mode 11.50 and -16.98, default 11.50 and
-12.68) are not reproduced: moving the control to ``1e-10`` nM puts a point
ten decades below the tested doses. Where the control differs from the
lowest doses (the vignette's control is -22.96 %, every ispinesib dose
54-61 %), the least-squares LL.4 optimum is a step between that fake dose
and the first real dose. SynergyFinder's R output instead shows a flat line
at the mean of all points for ispinesib in block 1 (and for ZIP columns 1
and 3 of block 1) and curves pinned at their fixed level for ZIP columns 1-3
of block 2; imposing those outcomes by hand gives 19.572 for block 1
(published 19.57) and -2.944 for block 2 (published -2.98), which confirms
where the difference lies. It is not drc's optimizer: drc 3.0-1's fit
re-run step by step in R 4.2.2 (its pre-fit scaling, self-starter and
``optim(method = "BFGS", hessian = TRUE)`` with drc's controls) gives the
step for ispinesib too (LL.4 fails in optim's Hessian, as its ec50 sits
1e-3 above zero; the L.4 refit stops at b = -0.841, c = -23.01,
d = 59.01, e = -14.37 on log nM, the fit this mode finds), so the flat
lines come from SynergyFinder 3.7.3's own handling of these fits, whose
source is not at hand. Synergyfinder mode therefore keeps the least-squares
optimum, and the default mode avoids the artefact altogether (a real zero
dose). On these
same data Loewe has no well-posed wells (steep single-agent steps), and
SynergyFinder's ``nleqslv`` accepts points that are not roots (block 1's
-14.95 is ibrutinib's lower asymptote, where ``D2 = 0``), which a bracketed
solve does not reproduce.
ReshapeData's ``noise = TRUE`` only adds ``rnorm(n, 0, 0.001)`` after
``set.seed(seed)`` (R's Mersenne-Twister, inversion); the reference tests
reproduce that stream exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numba as nb
import numpy as np
import pandas as pd

from resistlab.synergy._fit_marginals import Marginals, fit_marginals
from resistlab.synergy._zip import refit_surface
from resistlab.synergy.data import DoseMatrices

__all__ = ["SynergyScores", "bliss", "hsa", "loewe", "loewe_expectation", "zip_score"]

Mode = Literal["resistlab", "synergyfinder"]
_MODES = ("resistlab", "synergyfinder")
#: SynergyFinder caps the Loewe expectation at complete inhibition.
_LOEWE_CAP = 100.0
#: Iteration budget of the Loewe solve (bracketed Newton; ~10 usually suffice).
_NEWTON_STEPS = 200
#: Batches of at least this many wells use the threaded kernel.
_PARALLEL_FROM = 4096


@dataclass(frozen=True, eq=False)
class SynergyScores:
    """Per-well synergy of one reference model over many blocks.

    Attributes
    ----------
    model : str
        "hsa", "bliss", "loewe" or "zip".
    block_ids : tuple of str
        One per block (B).
    conc1 : ndarray of shape (B, R)
        Molar doses of drug 1 (rows), NaN padded.
    conc2 : ndarray of shape (B, C)
        Molar doses of drug 2 (columns).
    observed : ndarray of shape (B, R, C)
        Percent inhibition, replicate mean.
    expected : ndarray of shape (B, R, C)
        The model's expected (reference) response; for ZIP the reference
        surface of the fitted single agents.
    synergy : ndarray of shape (B, R, C)
        Percentage points, positive = synergy (``observed - expected``; for
        ZIP ``fitted - expected``); 0 on the monotherapy row and column.
    fitted : ndarray of shape (B, R, C) or None
        ZIP's refitted surface (average of row and column fits).
    fallback : ndarray of shape (B, R, C), bool, or None
        Loewe: wells whose expectation is undefined and takes SynergyFinder's
        fallback.
    notes : tuple of str
        Per block, what the scores rest on ("" when nothing to say): fit flags,
        undefined Loewe wells, refits replaced by observations.
    mode : str
        Fitting choices of the fitted models ("" for HSA and Bliss).
    """

    model: str
    block_ids: tuple[str, ...]
    conc1: np.ndarray
    conc2: np.ndarray
    observed: np.ndarray
    expected: np.ndarray
    synergy: np.ndarray
    fitted: np.ndarray | None = None
    fallback: np.ndarray | None = None
    notes: tuple[str, ...] = ()
    mode: str = ""

    def __len__(self) -> int:
        return len(self.block_ids)

    def combination_wells(self) -> np.ndarray:
        """Mask of wells where both doses are positive, shape (B, R, C)."""
        return (self.conc1[:, :, None] > 0) & (self.conc2[:, None, :] > 0)

    def mean_synergy(self) -> np.ndarray:
        """Mean synergy over each block's combination wells (SynergyFinder's block score).

        Wells without a score (missing observation) are left out; a block
        without any scored combination well gives NaN.

        Examples
        --------
        >>> from resistlab.synergy.data import DoseMatrices
        >>> c = np.array([[0.0, 1e-6, 1e-5]])
        >>> y = np.array([[[[0.0, 20.0, 40.0], [30.0, 50.0, 70.0], [50.0, 60.0, 90.0]]]])
        >>> m = DoseMatrices(("b1",), ("A",), ("B",), c, c, y)
        >>> bliss(m).mean_synergy().round(3).tolist()
        [9.5]
        """
        mask = self.combination_wells() & np.isfinite(self.synergy)
        total = np.where(mask, self.synergy, 0.0).sum(axis=(1, 2))
        count = mask.sum(axis=(1, 2))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, total / np.maximum(count, 1), np.nan)

    def to_frame(self) -> pd.DataFrame:
        """One row per block and dose pair.

        Columns ``block_id``, ``conc1``, ``conc2`` (molar), ``observed``,
        ``expected``, ``synergy``; ZIP adds ``fitted``, Loewe ``fallback``.

        Examples
        --------
        >>> from resistlab.synergy.data import DoseMatrices
        >>> c = np.array([[0.0, 1e-6]])
        >>> y = np.array([[[[0.0, 20.0], [30.0, 60.0]]]])
        >>> frame = hsa(DoseMatrices(("b1",), ("A",), ("B",), c, c, y)).to_frame()
        >>> list(frame.columns)
        ['block_id', 'conc1', 'conc2', 'observed', 'expected', 'synergy']
        >>> frame["synergy"].tolist()
        [0.0, 0.0, 0.0, 30.0]
        """
        grid = np.isfinite(self.conc1)[:, :, None] & np.isfinite(self.conc2)[:, None, :]
        b, i, j = np.nonzero(grid)
        columns: dict[str, object] = {
            "block_id": np.asarray(self.block_ids, dtype=object)[b],
            "conc1": self.conc1[b, i],
            "conc2": self.conc2[b, j],
            "observed": self.observed[b, i, j],
            "expected": self.expected[b, i, j],
            "synergy": self.synergy[b, i, j],
        }
        if self.fitted is not None:
            columns["fitted"] = self.fitted[b, i, j]
        if self.fallback is not None:
            columns["fallback"] = self.fallback[b, i, j]
        return pd.DataFrame(columns)


def _check(m: object, mode: str | None = None) -> DoseMatrices:
    if not isinstance(m, DoseMatrices):
        msg = (
            f"m must be DoseMatrices (see resistlab.synergy.matrices_from_frame), "
            f"got {type(m).__name__}"
        )
        raise TypeError(msg)
    if mode is not None and mode not in _MODES:
        msg = (
            f"Invalid value ({mode!r}) for argument 'mode'; "
            "should be 'resistlab' or 'synergyfinder'."
        )
        raise ValueError(msg)
    b = len(m.block_ids)
    if m.response.ndim != 4 or m.response.shape[0] != b:
        msg = (
            f"response must have shape (blocks, replicates, rows, columns), got {m.response.shape}"
        )
        raise ValueError(msg)
    _, _, r, c = m.response.shape
    if m.conc1.shape != (b, r) or m.conc2.shape != (b, c):
        msg = (
            f"conc1 and conc2 must have shapes {(b, r)} and {(b, c)} to match the response, "
            f"got {m.conc1.shape} and {m.conc2.shape}"
        )
        raise ValueError(msg)
    return m


def _finish(
    model: str,
    m: DoseMatrices,
    observed: np.ndarray,
    expected: np.ndarray,
    score_from: np.ndarray,
    *,
    fitted: np.ndarray | None = None,
    fallback: np.ndarray | None = None,
    notes: list[str] | None = None,
    mode: str = "",
) -> SynergyScores:
    """Assemble scores: the expectation on combination wells, observed elsewhere."""
    combo = (m.conc1[:, :, None] > 0) & (m.conc2[:, None, :] > 0)
    grid = np.isfinite(m.conc1)[:, :, None] & np.isfinite(m.conc2)[:, None, :]
    expected = np.where(combo, expected, np.where(grid, observed, np.nan))
    with np.errstate(invalid="ignore"):
        synergy = np.where(combo, score_from - expected, np.where(np.isnan(observed), np.nan, 0.0))
    if fitted is not None:
        fitted = np.where(combo, fitted, np.where(grid, observed, np.nan))
    return SynergyScores(
        model=model,
        block_ids=tuple(m.block_ids),
        conc1=m.conc1.copy(),
        conc2=m.conc2.copy(),
        observed=observed,
        expected=expected,
        synergy=synergy,
        fitted=fitted,
        fallback=fallback,
        notes=tuple(notes) if notes is not None else ("",) * len(m.block_ids),
        mode=mode,
    )


def hsa(m: DoseMatrices) -> SynergyScores:
    """Highest single agent: the expected response is the stronger monotherapy.

    ``expected = max(y1, y2)`` with ``y1``, ``y2`` the observed monotherapy
    responses (replicate means) at the well's doses, as SynergyFinder.

    Parameters
    ----------
    m : DoseMatrices
        Percent inhibition of one or many blocks.

    Returns
    -------
    SynergyScores

    Raises
    ------
    TypeError
        If `m` is not DoseMatrices.

    Examples
    --------
    >>> from resistlab.synergy.data import DoseMatrices
    >>> c = np.array([[0.0, 1e-6]])
    >>> y = np.array([[[[0.0, 20.0], [30.0, 60.0]]]])
    >>> s = hsa(DoseMatrices(("b1",), ("A",), ("B",), c, c, y))
    >>> s.expected[0].tolist(), s.synergy[0].tolist()
    ([[0.0, 20.0], [30.0, 30.0]], [[0.0, 0.0], [0.0, 30.0]])
    """
    m = _check(m)
    observed = m.mean_response
    y1 = observed[:, :, :1]
    y2 = observed[:, :1, :]
    return _finish("hsa", m, observed, np.maximum(y1, y2), observed)


def bliss(m: DoseMatrices) -> SynergyScores:
    """Bliss independence: ``expected = y1 + y2 - y1 * y2 / 100``.

    ``y1``, ``y2`` are the observed monotherapy responses (replicate means) at
    the well's doses, as SynergyFinder.

    Parameters
    ----------
    m : DoseMatrices
        Percent inhibition of one or many blocks.

    Returns
    -------
    SynergyScores

    Raises
    ------
    TypeError
        If `m` is not DoseMatrices.

    Examples
    --------
    >>> from resistlab.synergy.data import DoseMatrices
    >>> c = np.array([[0.0, 1e-6]])
    >>> y = np.array([[[[0.0, 20.0], [30.0, 60.0]]]])
    >>> s = bliss(DoseMatrices(("b1",), ("A",), ("B",), c, c, y))
    >>> float(s.expected[0, 1, 1]), float(s.synergy[0, 1, 1])
    (44.0, 16.0)
    """
    m = _check(m)
    observed = m.mean_response
    y1 = observed[:, :, :1]
    y2 = observed[:, :1, :]
    return _finish("bliss", m, observed, y1 + y2 - y1 * y2 / 100.0, observed)


def loewe_expectation(
    dose1: np.ndarray,
    dose2: np.ndarray,
    *,
    curve1: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    curve2: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Solve Loewe additivity for many wells at once; SynergyFinder's fallback where undefined.

    Parameters
    ----------
    dose1, dose2 : ndarray
        Positive doses of the two drugs (broadcastable).
    curve1, curve2 : tuple of ndarray
        ``(hill_slope, bottom, top, ec50)`` of each single-agent LL.4 curve
        (drc's b, c, d, e), broadcastable to the doses.

    Returns
    -------
    expected : ndarray
        Loewe-additive response, capped at 100 as SynergyFinder does.
    undefined : ndarray of bool
        Where ``dose1 / D1(y) + dose2 / D2(y) = 1`` has no solution (one drug
        alone already exceeds the other's maximal effect, the curves run in
        opposite directions, or a curve is flat); there ``expected`` is the
        larger single-agent response at the summed dose ``dose1 + dose2``.

    Notes
    -----
    With every curve written as rising from its zero-dose level ``z`` to its
    infinite-dose level ``w`` (decreasing curves are mirrored), the dose of
    drug k giving effect ``u`` is ``D_k(u) = e_k ((u - z_k) / (w_k - u))^(1/h_k)``
    and ``S(u) = x1 / D1(u) + x2 / D2(u)`` falls from infinity at
    ``max(z1, z2)`` to its limit at ``min(w1, w2)``, where the curve that ends
    there contributes 0. A root exists exactly when that limit is below 1. It is
    found by Newton's method on ``log S`` as a function of the logit of ``u``
    within ``(max z, min w)``, where each term is nearly linear, kept inside a
    shrinking bracket (bisection when a step leaves it); a compiled kernel
    solves all wells in parallel.

    Examples
    --------
    >>> curve = (np.array(-1.0), np.array(0.0), np.array(100.0), np.array(1.0))
    >>> y, undefined = loewe_expectation(
    ...     np.array([0.5]), np.array([0.5]), curve1=curve, curve2=curve
    ... )
    >>> y.round(9).tolist(), undefined.tolist()  # a drug with itself: f(0.5 + 0.5)
    ([50.0], [False])
    """
    shape = np.broadcast_shapes(
        np.shape(dose1), np.shape(dose2), *(np.shape(p) for p in (*curve1, *curve2))
    )
    x1, x2, b1, c1, d1, e1, b2, c2, d2, e2 = (
        np.ascontiguousarray(np.broadcast_to(np.asarray(a, dtype=float), shape).ravel())
        for a in (dose1, dose2, *curve1, *curve2)
    )
    kernel = _loewe_batch if x1.size >= _PARALLEL_FROM else _loewe_batch_serial
    expected, undefined = kernel(x1, x2, b1, c1, d1, e1, b2, c2, d2, e2, _LOEWE_CAP, _NEWTON_STEPS)
    return expected.reshape(shape), undefined.reshape(shape)


@nb.njit(cache=True)
def _ll4_one(x: float, b: float, c: float, d: float, e: float) -> float:
    """Evaluate drc's LL.4 at one positive dose."""
    s = b * (math.log(x) - math.log(e))
    if s > 700.0:
        return c
    return c + (d - c) / (1.0 + math.exp(s))


@nb.njit(cache=True)
def _loewe_one(
    x1: float,
    x2: float,
    curve1: tuple[float, float, float, float],
    curve2: tuple[float, float, float, float],
    max_steps: int,
) -> tuple[float, bool]:
    """Loewe effect of one well; ``(nan, False)`` when the equation has no root."""
    b1, c1, d1, e1 = curve1
    b2, c2, d2, e2 = curve2
    if not (x1 > 0.0 and x2 > 0.0 and b1 != 0.0 and b2 != 0.0):
        return np.nan, False
    # levels at zero and at infinite dose
    z1, w1 = (c1, d1) if b1 < 0.0 else (d1, c1)
    z2, w2 = (c2, d2) if b2 < 0.0 else (d2, c2)
    s = 1.0 if w1 > z1 else -1.0
    if (w1 - z1) * s <= 0.0 or (w2 - z2) * s <= 0.0:
        return np.nan, False  # a flat curve, or curves running opposite ways
    # mirrored so that both curves rise from z to w, with steepness h > 0
    z1, w1, z2, w2 = s * z1, s * w1, s * z2, s * w2
    h1, h2 = abs(b1), abs(b2)
    low = max(z1, z2)
    high = min(w1, w2)
    if not low < high:
        return np.nan, False
    lx1 = math.log(x1) - math.log(e1)
    lx2 = math.log(x2) - math.log(e2)
    # limit of S = x1 / D1 + x2 / D2 at the top of the bracket (the curve ending there gives 0)
    end = 0.0
    if w1 > high:
        end += math.exp(lx1 - (math.log(high - z1) - math.log(w1 - high)) / h1)
    if w2 > high:
        end += math.exp(lx2 - (math.log(high - z2) - math.log(w2 - high)) / h2)
    if not end < 1.0:
        return np.nan, False
    # Newton on log S in v, the logit of the effect within (low, high): each log(x / D)
    # is nearly linear in v; a step leaving the bracket of v is replaced by bisection
    span = high - low
    v = 0.0
    lo = -np.inf
    hi = np.inf
    for _ in range(max_steps):
        if v >= 0.0:
            q = math.exp(-v)
            up = span / (1.0 + q)  # u - low
            down = span * q / (1.0 + q)  # high - u
        else:
            q = math.exp(v)
            up = span * q / (1.0 + q)
            down = span / (1.0 + q)
        a1 = (low - z1) + up
        a2 = (low - z2) + up
        r1 = (w1 - high) + down
        r2 = (w2 - high) + down
        if a1 <= 0.0 or a2 <= 0.0:
            g, dg = np.inf, np.nan
        elif r1 <= 0.0 or r2 <= 0.0:
            g, dg = -np.inf, np.nan
        else:
            t1 = math.exp(lx1 - (math.log(a1) - math.log(r1)) / h1)
            t2 = math.exp(lx2 - (math.log(a2) - math.log(r2)) / h2)
            total = t1 + t2
            g = math.log(total)
            ds = t1 * (1.0 / a1 + 1.0 / r1) / h1 + t2 * (1.0 / a2 + 1.0 / r2) / h2
            dg = -ds / total * (up * down / span)
        if g > 0.0:  # S > 1: the root lies at a higher effect
            lo = v
        else:
            hi = v
        step = v - g / dg
        if not (step > lo and step < hi):
            if math.isfinite(lo) and math.isfinite(hi):
                step = 0.5 * (lo + hi)
            else:
                step = v + 4.0 if g > 0.0 else v - 4.0
        done = abs(step - v) <= 1e-12 * max(abs(v), 1.0)
        v = step
        if done:
            break
    if v >= 0.0:
        u = low + span / (1.0 + math.exp(-v))
    else:
        q = math.exp(v)
        u = low + span * q / (1.0 + q)
    return s * u, True


@nb.njit(parallel=True, cache=True)
def _loewe_batch(
    x1: np.ndarray,
    x2: np.ndarray,
    b1: np.ndarray,
    c1: np.ndarray,
    d1: np.ndarray,
    e1: np.ndarray,
    b2: np.ndarray,
    c2: np.ndarray,
    d2: np.ndarray,
    e2: np.ndarray,
    cap: float,
    max_steps: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Loewe expectation of every well, with SynergyFinder's fallback and cap."""
    n = x1.size
    expected = np.empty(n)
    undefined = np.zeros(n, dtype=np.bool_)
    for k in nb.prange(n):
        curve1 = (b1[k], c1[k], d1[k], e1[k])
        curve2 = (b2[k], c2[k], d2[k], e2[k])
        finite = math.isfinite(x1[k]) and math.isfinite(x2[k])
        for value in (*curve1, *curve2):
            finite = finite and math.isfinite(value)
        if not finite:
            expected[k] = np.nan
            continue
        y, ok = _loewe_one(x1[k], x2[k], curve1, curve2, max_steps)
        if not ok:
            undefined[k] = True
            # SynergyFinder: the larger single-agent response at the summed dose
            total = x1[k] + x2[k]
            y = max(_ll4_one(total, *curve1), _ll4_one(total, *curve2))
        expected[k] = min(y, cap)
    return expected, undefined


#: The same kernel without threads, for small batches.
_loewe_batch_serial = nb.njit(cache=True)(_loewe_batch.py_func)


def _marginals(m: DoseMatrices, mode: str) -> Marginals:
    return fit_marginals(
        m.conc1,
        m.conc2,
        m.response,
        mode="synergyfinder" if mode == "synergyfinder" else "resistlab",
    )


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def loewe(m: DoseMatrices, *, mode: Mode = "resistlab") -> SynergyScores:
    """Loewe additivity with fitted single-agent curves.

    Parameters
    ----------
    m : DoseMatrices
        Percent inhibition of one or many blocks.
    mode : {"resistlab", "synergyfinder"}
        Single-agent fitting choices (see the module docstring).

    Returns
    -------
    SynergyScores
        With ``fallback`` marking wells where the Loewe expectation is
        undefined and SynergyFinder's fallback (the larger single-agent
        response at the summed dose) is used; counted per block in ``notes``.

    Raises
    ------
    TypeError
        If `m` is not DoseMatrices.
    ValueError
        If `mode` is unknown.

    Examples
    --------
    >>> from resistlab.synergy.data import DoseMatrices
    >>> c = np.array([[0.0, 1e-8, 3e-8, 1e-7, 3e-7, 1e-6]])
    >>> total = c[:, :, None] + c[:, None, :]  # a drug combined with itself
    >>> y = (90 * total / (total + 1e-7))[:, None]
    >>> s = loewe(DoseMatrices(("sham",), ("A",), ("A",), c, c, y))
    >>> bool(np.abs(s.synergy).max() < 1e-6)
    True
    """
    m = _check(m, mode)
    observed = m.mean_response
    if not len(m):
        empty = np.zeros(observed.shape, dtype=bool)
        return _finish("loewe", m, observed, observed, observed, fallback=empty, mode=mode)
    marg = _marginals(m, mode)
    p1 = (marg.drug1.hill_slope, marg.drug1.bottom, marg.drug1.top, marg.drug1.ec50)
    p2 = (marg.drug2.hill_slope, marg.drug2.bottom, marg.drug2.top, marg.drug2.ec50)
    expected, undefined = loewe_expectation(
        m.conc1[:, :, None],
        m.conc2[:, None, :],
        curve1=(
            p1[0][:, None, None],
            p1[1][:, None, None],
            p1[2][:, None, None],
            p1[3][:, None, None],
        ),
        curve2=(
            p2[0][:, None, None],
            p2[1][:, None, None],
            p2[2][:, None, None],
            p2[3][:, None, None],
        ),
    )
    combo = (m.conc1[:, :, None] > 0) & (m.conc2[:, None, :] > 0)
    undefined = undefined & combo
    n_undefined = undefined.sum(axis=(1, 2))
    n_combo = combo.sum(axis=(1, 2))
    notes = []
    for b, fit_note in enumerate(marg.notes()):
        loewe_note = ""
        if n_undefined[b]:
            loewe_note = (
                f"Loewe undefined in {n_undefined[b]} of {n_combo[b]} combination wells (one "
                "drug alone exceeds the other's maximal effect, or the curves run opposite "
                "ways): SynergyFinder's fallback used, the larger single-agent response at the "
                "summed dose, capped at 100"
            )
        notes.append(_join(loewe_note, fit_note))
    return _finish(
        "loewe", m, observed, expected, observed, fallback=undefined, notes=notes, mode=mode
    )


def zip_score(m: DoseMatrices, *, mode: Mode = "resistlab") -> SynergyScores:
    """Zero interaction potency (Yadav et al. 2015): delta scores with fitted marginals.

    The reference is Bliss independence of the *fitted* single agents; the
    observed surface is refitted along every row and column with a
    log-logistic curve whose zero-dose level is fixed (see the module
    docstring for the two modes); ``synergy = fitted - reference``.

    Parameters
    ----------
    m : DoseMatrices
        Percent inhibition of one or many blocks.
    mode : {"resistlab", "synergyfinder"}
        Fitting choices (see the module docstring).

    Returns
    -------
    SynergyScores
        ``expected`` is the ZIP reference, ``fitted`` the refitted surface.

    Raises
    ------
    TypeError
        If `m` is not DoseMatrices.
    ValueError
        If `mode` is unknown.

    Examples
    --------
    >>> from resistlab.synergy.data import DoseMatrices
    >>> c = np.array([[0.0, 1e-8, 3e-8, 1e-7, 3e-7, 1e-6]])
    >>> y1 = 90 * c / (c + 1e-7)
    >>> y2 = 70 * c**1.5 / (c**1.5 + 1e-7**1.5)
    >>> y = (y1[:, :, None] + y2[:, None, :] - y1[:, :, None] * y2[:, None, :] / 100)[:, None]
    >>> s = zip_score(DoseMatrices(("null",), ("A",), ("B",), c, c, y))
    >>> bool(np.abs(s.synergy).max() < 1e-4)
    True
    """
    m = _check(m, mode)
    observed = m.mean_response
    if not len(m):
        return _finish("zip", m, observed, observed, observed, fitted=observed, mode=mode)
    marg = _marginals(m, mode)
    y1 = marg.pred1[:, :, None]
    y2 = marg.pred2[:, None, :]
    reference = y1 + y2 - y1 * y2 / 100.0
    if mode == "synergyfinder":
        zero_rows, zero_cols = observed[:, :, 0], observed[:, 0, :]
    else:
        zero_rows, zero_cols = marg.pred1, marg.pred2
    refits = refit_surface(m.conc1, m.conc2, m.response, zero_rows, zero_cols, mode=mode)
    fitted = 0.5 * (refits.row_values + refits.col_values)
    n_failed = refits.row_failed.sum(axis=1) + refits.col_failed.sum(axis=1)
    notes = []
    for b, fit_note in enumerate(marg.notes()):
        refit_note = ""
        if n_failed[b]:
            refit_note = (
                f"ZIP: {n_failed[b]} row/column refits impossible (too few points), "
                "observed responses used as SynergyFinder does"
            )
        notes.append(_join(refit_note, fit_note))
    return _finish("zip", m, observed, reference, fitted, fitted=fitted, notes=notes, mode=mode)
