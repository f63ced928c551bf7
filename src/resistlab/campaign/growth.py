"""Growth from counts: per-passage doublings, growth rate with uncertainty, baseline ratio.

Culture growth is exponential between passages, ``N(t) = N0 exp(k t)``:
the rate is ``k = ln(N_counted / N_seeded) / days`` (per day), the
doubling time ``ln 2 / k`` and the population doublings ``log2(N/N0)``. The
DIP rate of Harris et al. (2016) is the slope of ``log2`` cell number over
time, ``k / ln 2``. Passage number is not generation number (DSMZ): split
ratios vary, so cumulative population doublings are tracked instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from resistlab.campaign.model import Passage
from resistlab.errors import InputError

__all__ = [
    "GrowthEstimate",
    "GrowthRatio",
    "PassageGrowth",
    "compare_growth",
    "growth_rate",
    "passage_growth",
    "pooled_growth",
]


@dataclass(frozen=True)
class PassageGrowth:
    """Growth over each interval between consecutive passages.

    Arrays have one entry per passage; the first passage has no interval
    (NaN). Doublings come from counts (counted now over seeded at the last
    passage), else from confluence (confluence now over the previous
    confluence divided by its split ratio).

    Attributes
    ----------
    number : ndarray of int
    days : ndarray
        Days since the previous passage.
    dose : ndarray
        Molar dose during the interval.
    doublings : ndarray
        Population doublings in the interval.
    cumulative_doublings : ndarray
        Sum of doublings up to each passage (NaN intervals count as 0).
    rate : ndarray
        Growth rate per day, ``doublings * ln 2 / days``.
    source : tuple of str
        "counts", "confluence" or "" (no estimate) per interval.
    """

    number: np.ndarray
    days: np.ndarray
    dose: np.ndarray
    doublings: np.ndarray
    cumulative_doublings: np.ndarray
    rate: np.ndarray
    source: tuple[str, ...]

    @property
    def doubling_time_hours(self) -> np.ndarray:
        """Doubling time in hours, ``24 ln 2 / rate`` (inf or negative when not growing)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return 24.0 * math.log(2.0) / self.rate

    def to_frame(self) -> pd.DataFrame:
        """One row per passage."""
        return pd.DataFrame(
            {
                "passage": self.number,
                "days": self.days,
                "dose": self.dose,
                "doublings": self.doublings,
                "cumulative_doublings": self.cumulative_doublings,
                "rate_per_day": self.rate,
                "doubling_time_h": self.doubling_time_hours,
                "source": self.source,
            }
        )


@dataclass(frozen=True)
class GrowthEstimate:
    """A growth rate (per day) with its standard error and 95 % interval.

    Attributes
    ----------
    rate, se : float
        Per day; ``se`` is NaN when it cannot be estimated (one interval).
    low, high : float
        95 % confidence interval (t distribution on `df`).
    n : int
        Intervals or time points used.
    df : int
        Degrees of freedom of `se`.
    """

    rate: float
    se: float
    low: float
    high: float
    n: int
    df: int

    @property
    def doubling_time_hours(self) -> float:
        """``24 ln 2 / rate``; inf when the culture does not grow."""
        return 24.0 * math.log(2.0) / self.rate if self.rate > 0 else math.inf

    @property
    def dip_rate(self) -> float:
        """Slope of log2 cell number per day (Harris et al. 2016)."""
        return self.rate / math.log(2.0)


@dataclass(frozen=True)
class GrowthRatio:
    """Growth rate relative to a baseline (1 = as fast as the parental line)."""

    ratio: float
    low: float
    high: float


def passage_growth(passages: Sequence[Passage]) -> PassageGrowth:
    """Growth over each interval of a passage log.

    Parameters
    ----------
    passages : sequence of Passage
        In time order.

    Raises
    ------
    InputError
        If days go backwards or a count or confluence is negative.

    Examples
    --------
    >>> from datetime import date
    >>> log = [Passage(1, date(2024, 1, 1), 0.0, cells_counted=4e6, split_ratio=4),
    ...        Passage(2, date(2024, 1, 5), 0.0, cells_counted=8e6, split_ratio=4)]
    >>> g = passage_growth(log)
    >>> float(g.doublings[1]), round(float(g.doubling_time_hours[1]), 1)
    (3.0, 32.0)
    """
    n = len(passages)
    days = np.full(n, np.nan)
    doublings = np.full(n, np.nan)
    source = [""] * n
    for i, p in enumerate(passages):
        for name in ("cells_counted", "cells_seeded", "confluence"):
            value = getattr(p, name)
            if value is not None and value < 0:
                msg = f"passage {p.number} ({p.day}): {name} is negative ({value})"
                raise InputError(msg)
        if i == 0:
            continue
        prev = passages[i - 1]
        interval = (p.day - prev.day).days
        if interval < 0:
            msg = f"passage {p.number} ({p.day}) is dated before passage {prev.number} ({prev.day})"
            raise InputError(msg)
        days[i] = interval
        seeded = prev.seeded
        if p.cells_counted is not None and seeded:
            if p.cells_counted > 0:
                doublings[i] = math.log2(p.cells_counted / seeded)
                source[i] = "counts"
            else:
                doublings[i] = -math.inf
                source[i] = "counts"
        elif p.confluence and prev.confluence and (prev.split_ratio or 1.0) > 0:
            start = prev.confluence / (prev.split_ratio or 1.0)
            doublings[i] = math.log2(p.confluence / start)
            source[i] = "confluence"
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(days > 0, doublings * math.log(2.0) / days, np.nan)
    finite = np.where(np.isfinite(doublings), doublings, 0.0)
    return PassageGrowth(
        number=np.array([p.number for p in passages], dtype=int),
        days=days,
        dose=np.array([p.dose for p in passages], dtype=float),
        doublings=doublings,
        cumulative_doublings=np.cumsum(finite),
        rate=rate,
        source=tuple(source),
    )


def growth_rate(days: ArrayLike, counts: ArrayLike) -> GrowthEstimate:
    """Growth rate of a time course: least-squares slope of ln(count) on time.

    Parameters
    ----------
    days : array_like of shape (N,)
        Times in days (any origin).
    counts : array_like of shape (N,)
        Cell numbers (positive).

    Examples
    --------
    >>> est = growth_rate([0, 1, 2, 3], [1e5, 2e5, 4e5, 8e5])
    >>> round(est.doubling_time_hours, 6), round(est.dip_rate, 6)
    (24.0, 1.0)
    """
    t = np.asarray(days, dtype=float)
    n = np.asarray(counts, dtype=float)
    if t.shape != n.shape or t.ndim != 1:
        msg = f"days and counts must be 1-D of the same length, got {t.shape} and {n.shape}"
        raise ValueError(msg)
    if np.any(n <= 0):
        msg = f"counts must be positive; index {int(np.argmax(n <= 0))} has {n[n <= 0][0]}"
        raise ValueError(msg)
    if t.size < 2 or np.ptp(t) == 0:
        msg = "growth_rate needs at least two distinct time points"
        raise ValueError(msg)
    fit = stats.linregress(t, np.log(n))
    df = t.size - 2
    se = float(fit.stderr) if df > 0 else math.nan
    return _estimate(float(fit.slope), se, t.size, df)


def pooled_growth(growth: PassageGrowth, passages: Sequence[int] | None = None) -> GrowthEstimate:
    """Average growth rate over passage intervals, weighted by their length.

    The rate is total ln-fold growth over total days; its standard error
    comes from the scatter of the per-interval rates (weighted by days), so
    it needs two or more intervals.

    Parameters
    ----------
    growth : PassageGrowth
    passages : sequence of int, optional
        Passage numbers whose intervals to use (default: all with an estimate).
    """
    use = np.isfinite(growth.rate) & (growth.days > 0)
    if passages is not None:
        use &= np.isin(growth.number, np.asarray(passages, dtype=int))
    if not use.any():
        return _estimate(math.nan, math.nan, 0, 0)
    w = growth.days[use]
    r = growth.rate[use]
    rate = float(np.sum(w * r) / np.sum(w))
    k = int(use.sum())
    if k < 2:
        return _estimate(rate, math.nan, k, 0)
    # weighted variance of the interval rates, then the variance of their weighted mean
    var = float(np.sum(w * (r - rate) ** 2) / np.sum(w) * k / (k - 1))
    se = math.sqrt(var * np.sum(w**2) / np.sum(w) ** 2)
    return _estimate(rate, se, k, k - 1)


def compare_growth(estimate: GrowthEstimate, baseline: GrowthEstimate | float) -> GrowthRatio:
    """Ratio of a growth rate to the baseline (parental, drug-free) rate, with a 95 % CI.

    The interval is the delta method on the ratio; a baseline given as a
    number is taken as exact.

    Examples
    --------
    >>> compare_growth(GrowthEstimate(0.4, 0.0, 0.4, 0.4, 3, 2), 0.5).ratio
    0.8
    """
    if isinstance(baseline, GrowthEstimate):
        base, base_se, base_df = baseline.rate, baseline.se, baseline.df
    else:
        base, base_se, base_df = float(baseline), 0.0, 10**6
    if not base > 0:
        msg = f"baseline growth rate must be positive, got {base}"
        raise ValueError(msg)
    ratio = estimate.rate / base
    if np.isfinite(estimate.se):
        rel = math.sqrt((estimate.se / base) ** 2 + (estimate.rate * base_se / base**2) ** 2)
    else:
        rel = math.nan
    df = min(estimate.df, base_df)
    t = stats.t.ppf(0.975, df) if df > 0 else math.nan
    return GrowthRatio(ratio=ratio, low=ratio - t * rel, high=ratio + t * rel)


def _estimate(rate: float, se: float, n: int, df: int) -> GrowthEstimate:
    t = stats.t.ppf(0.975, df) if df > 0 else math.nan
    half = t * se if np.isfinite(se) else math.nan
    return GrowthEstimate(rate=rate, se=se, low=rate - half, high=rate + half, n=n, df=df)
