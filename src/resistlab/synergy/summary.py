"""Block summaries of synergy scores, with replicate statistics.

- `combination_mean`: mean synergy over the combination wells (both doses
  > 0), SynergyFinder's "average synergy score".
- `most_synergistic_area`: the highest mean over any 3x3 window of
  combination wells, and where it is.
- `bootstrap_synergy`: confidence intervals and p-values of block means by
  resampling replicates within each well and re-scoring every resample; all
  resamples of all blocks are scored in ONE batch call of the model, so a
  thousand replicates cost one call.
- `compare_synergy`: whether synergy differs between two blocks (the same
  combination on a parental and a resistant line), with a bootstrap interval
  of the difference.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

from resistlab.synergy.data import DoseMatrices

__all__ = [
    "SynergyBootstrap",
    "SynergyDifference",
    "bootstrap_synergy",
    "combination_mean",
    "compare_synergy",
    "most_synergistic_area",
    "resample_replicates",
]


class _Scored(Protocol):
    synergy: np.ndarray


Scorer = Callable[[DoseMatrices], _Scored]


def _combination_mask(m: DoseMatrices) -> np.ndarray:
    """Wells with both doses > 0, shape (B, R, C)."""
    with np.errstate(invalid="ignore"):
        return (m.conc1[:, :, None] > 0) & (m.conc2[:, None, :] > 0)


def combination_mean(m: DoseMatrices, synergy: np.ndarray) -> np.ndarray:
    """Mean synergy over the combination wells of each block, shape (B,).

    Examples
    --------
    >>> m = DoseMatrices(("a",), ("x",), ("y",), np.array([[0.0, 1.0, 2.0]]),
    ...                  np.array([[0.0, 1.0]]), np.zeros((1, 1, 3, 2)))
    >>> s = np.array([[[9.0, 9.0], [9.0, 2.0], [9.0, 4.0]]])
    >>> combination_mean(m, s).tolist()
    [3.0]
    """
    mask = _combination_mask(m) & np.isfinite(synergy)
    total = np.where(mask, synergy, 0.0).sum(axis=(1, 2))
    count = mask.sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def most_synergistic_area(
    m: DoseMatrices, synergy: np.ndarray, *, size: int = 3
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Find the most synergistic `size` x `size` window of combination wells per block.

    Returns
    -------
    value : ndarray of shape (B,)
        Highest window mean (NaN when the combination grid is smaller).
    row, col : ndarray of int, shape (B,)
        Top-left well of that window in the full matrix (row 1 is the first
        combination row); -1 when undefined.
    """
    b, r, c = synergy.shape
    values = np.full(b, np.nan)
    rows = np.full(b, -1)
    cols = np.full(b, -1)
    mask = _combination_mask(m) & np.isfinite(synergy)
    s = np.where(mask, synergy, 0.0)
    n = mask.astype(float)
    if r - 1 < size or c - 1 < size:
        return values, rows, cols
    # window sums over the combination part (rows/cols >= 1) by 2-D cumulative sums
    cs = np.pad(s[:, 1:, 1:].cumsum(1).cumsum(2), ((0, 0), (1, 0), (1, 0)))
    cn = np.pad(n[:, 1:, 1:].cumsum(1).cumsum(2), ((0, 0), (1, 0), (1, 0)))

    def window(a: np.ndarray) -> np.ndarray:
        return a[:, size:, size:] - a[:, :-size, size:] - a[:, size:, :-size] + a[:, :-size, :-size]

    total = window(cs)
    count = window(cn)
    full = count == size * size
    mean = np.where(full, total / np.maximum(count, 1), -np.inf)
    flat = mean.reshape(b, -1)
    best = flat.argmax(axis=1)
    found = np.isfinite(flat[np.arange(b), best])
    values = np.where(found, flat[np.arange(b), best], np.nan)
    width = mean.shape[2]
    rows = np.where(found, best // width + 1, -1)
    cols = np.where(found, best % width + 1, -1)
    return values, rows, cols


@dataclass(frozen=True)
class SynergyBootstrap:
    """Bootstrap statistics of block-mean synergy.

    Attributes
    ----------
    block_ids : tuple of str
    mean : ndarray of shape (B,)
        Block mean synergy of the data.
    low, high : ndarray of shape (B,)
        Percentile interval of the bootstrap block means.
    p_value : ndarray of shape (B,)
        Two-sided bootstrap p-value of mean synergy = 0.
    replicates : ndarray of shape (B, N)
        Bootstrap block means.
    """

    block_ids: tuple[str, ...]
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray
    p_value: np.ndarray
    replicates: np.ndarray

    def to_frame(self, prefix: str = "synergy") -> pd.DataFrame:
        """One row per block: mean, CI and p-value columns named with `prefix`."""
        return pd.DataFrame(
            {
                "block_id": list(self.block_ids),
                f"{prefix}_mean": self.mean,
                f"{prefix}_ci_low": self.low,
                f"{prefix}_ci_high": self.high,
                f"{prefix}_p_value": self.p_value,
            }
        )


def resample_replicates(m: DoseMatrices, n_boot: int, rng: np.random.Generator) -> DoseMatrices:
    """Stack `n_boot` resamples of every block: each well's replicates drawn with replacement.

    A well keeps its number of replicates, so a model that fits every
    replicate as a point (Loewe and ZIP's single-agent curves) sees a
    resample as it saw the data; a well with one replicate keeps its value,
    and the bootstrap then reflects only the replicated wells' uncertainty.
    Returns B * n_boot blocks, block-major (all resamples of block 0 first).
    """
    b, k, r, c = m.response.shape
    present = ~np.isnan(m.response)
    counts = present.sum(axis=1)  # (B, R, C)
    # order replicate values so the present ones come first in each well
    order = np.argsort(~present, axis=1, kind="stable")
    values = np.take_along_axis(m.response, order, axis=1)  # (B, K, R, C)
    draws = rng.random((b, n_boot, k, r, c))
    index = np.floor(draws * np.maximum(counts, 1)[:, None, None, :, :]).astype(int)
    picked = np.take_along_axis(
        np.broadcast_to(values[:, None], (b, n_boot, k, r, c)), index, axis=2
    )
    keep = np.arange(k)[None, None, :, None, None] < counts[:, None, None, :, :]
    response = np.where(keep, picked, np.nan).reshape(b * n_boot, k, r, c)
    repeat = np.repeat(np.arange(b), n_boot)
    return DoseMatrices(
        block_ids=tuple(f"{m.block_ids[i]}#{j}" for i in range(b) for j in range(n_boot)),
        drug1=tuple(m.drug1[i] for i in repeat),
        drug2=tuple(m.drug2[i] for i in repeat),
        conc1=m.conc1[repeat],
        conc2=m.conc2[repeat],
        response=response,
        cell_line=tuple(m.cell_line[i] for i in repeat),
    )


def bootstrap_synergy(
    m: DoseMatrices,
    score: Scorer,
    *,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int | None = None,
) -> SynergyBootstrap:
    """Bootstrap the block-mean synergy of `score` by resampling replicates.

    Parameters
    ----------
    m : DoseMatrices
        With replicates (K > 1) in at least some wells.
    score : callable
        A model, e.g. `resistlab.synergy.models.bliss`: DoseMatrices in,
        an object with ``.synergy`` of shape (B, R, C) out. It is called
        twice: once on the data, once on all resamples at once.
    n_boot : int
        Resamples per block.

    Returns
    -------
    SynergyBootstrap
    """
    if n_boot < 2:
        msg = f"n_boot must be at least 2, got {n_boot}"
        raise ValueError(msg)
    rng = np.random.default_rng(seed)
    observed = combination_mean(m, score(m).synergy)
    stacked = resample_replicates(m, n_boot, rng)
    boot = combination_mean(stacked, score(stacked).synergy).reshape(len(m), n_boot)
    alpha = (1 - confidence) / 2
    low, high = np.nanquantile(boot, [alpha, 1 - alpha], axis=1)
    below = np.mean(boot <= 0, axis=1)
    above = np.mean(boot >= 0, axis=1)
    p = np.minimum(1.0, 2 * np.minimum(below, above))
    p = np.maximum(p, 1.0 / n_boot)
    return SynergyBootstrap(
        block_ids=m.block_ids, mean=observed, low=low, high=high, p_value=p, replicates=boot
    )


@dataclass(frozen=True)
class SynergyDifference:
    """Difference in block-mean synergy between two blocks (b minus a)."""

    block_a: str
    block_b: str
    difference: float
    low: float
    high: float
    p_value: float


def compare_synergy(
    m: DoseMatrices,
    score: Scorer,
    *,
    block_a: str,
    block_b: str,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int | None = None,
) -> SynergyDifference:
    """Test whether synergy differs between two blocks, e.g. parental vs resistant.

    The two blocks are resampled independently; the interval is the
    percentile interval of the difference of their bootstrap means and the
    p-value the two-sided share of differences on the other side of 0.
    """
    ids = list(m.block_ids)
    for name in (block_a, block_b):
        if name not in ids:
            msg = f"block {name!r} not found; blocks are {', '.join(ids)}"
            raise ValueError(msg)
    pair = m.take([ids.index(block_a), ids.index(block_b)])
    boot = bootstrap_synergy(pair, score, n_boot=n_boot, confidence=confidence, seed=seed)
    diff = boot.replicates[1] - boot.replicates[0]
    alpha = (1 - confidence) / 2
    low, high = np.nanquantile(diff, [alpha, 1 - alpha])
    p = max(min(1.0, 2 * min(np.mean(diff <= 0), np.mean(diff >= 0))), 1.0 / n_boot)
    return SynergyDifference(
        block_a=block_a,
        block_b=block_b,
        difference=float(boot.mean[1] - boot.mean[0]),
        low=float(low),
        high=float(high),
        p_value=float(p),
    )
