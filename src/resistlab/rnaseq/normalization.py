"""Library-size normalisation: DESeq2's median-of-ratios size factors.

Anders and Huber (2010, Genome Biology 11:R106): each sample's size factor
is the median, over genes with no zero count, of its count divided by the
gene's geometric mean across samples. With transcript-length offsets from
tximport (``avgTxLength``), DESeq2 estimates the size factors on
length-corrected counts and folds both into one normalisation-factor matrix
with geometric mean 1 per gene; `normalization_factors` does the same.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from resistlab.errors import AnalysisError

__all__ = ["normalization_factors", "size_factors"]


def size_factors(counts: ArrayLike) -> np.ndarray:
    """Median-of-ratios size factors of a genes x samples count matrix.

    >>> size_factors([[10, 20], [100, 200], [0, 5]]).round(4).tolist()
    [0.7071, 1.4142]

    Raises
    ------
    AnalysisError
        When every gene has a zero in some sample (no geometric mean exists).
    """
    c = np.asarray(counts, dtype=float)
    with np.errstate(divide="ignore"):
        logc = np.log(c)
    log_geo = logc.mean(axis=1)
    finite = np.isfinite(log_geo)
    if not finite.any():
        msg = (
            "every gene has a zero count in at least one sample, so median-of-ratios size "
            "factors cannot be computed; check for an empty or failed library"
        )
        raise AnalysisError(msg)
    out = np.empty(c.shape[1])
    for j in range(c.shape[1]):
        use = finite & (c[:, j] > 0)
        out[j] = np.exp(np.median(logc[use, j] - log_geo[use]))
    return out


def normalization_factors(counts: ArrayLike, lengths: ArrayLike) -> np.ndarray:
    """Gene x sample normalisation factors from average transcript lengths.

    Parameters
    ----------
    counts : array_like of shape (G, N)
        Integer counts (tximport's rounded estimated counts).
    lengths : array_like of shape (G, N)
        tximport's ``length`` (abundance-weighted effective transcript length).
    """
    c = np.asarray(counts, dtype=float)
    length = np.asarray(lengths, dtype=float)
    if length.shape != c.shape:
        msg = f"lengths have shape {length.shape}, counts {c.shape}"
        raise AnalysisError(msg)
    if np.any(~np.isfinite(length)) or np.any(length <= 0):
        msg = "transcript lengths must be positive and finite"
        raise AnalysisError(msg)
    norm = length / np.exp(np.log(length).mean(axis=1, keepdims=True))
    sf = size_factors(c / norm)
    nf = norm * sf[None, :]
    return nf / np.exp(np.log(nf).mean(axis=1, keepdims=True))
