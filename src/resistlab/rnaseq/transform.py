"""Variance-stabilising transformation (DESeq2's ``varianceStabilizingTransformation``).

With the parametric trend ``alpha(mu) = a + b / mu``, the transformation
that makes the variance of normalized counts ``q`` roughly constant is
(Anders and Huber 2010)::

    vst(q) = log2((1 + b + 2 a q + 2 sqrt(a q (1 + b + a q))) / (4 a))

Blind (the default, as for quality control): size factors and the trend are
estimated with the design ``~ 1``, ignoring the sample groups. Not blind:
the trend and normalisation factors of a `DESeqFit` are used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from resistlab.rnaseq.dispersion import DispersionTrend, fit_trend, gene_wise_dispersions
from resistlab.rnaseq.normalization import size_factors

if TYPE_CHECKING:
    from resistlab.rnaseq.deseq import DESeqFit

__all__ = ["blind_trend", "variance_stabilizing_transformation", "vst_values"]


def vst_values(normalized: np.ndarray, trend: DispersionTrend) -> np.ndarray:
    """Apply the parametric VST to normalized counts."""
    a, b = trend.asympt_disp, trend.extra_pois
    q = np.asarray(normalized, dtype=float)
    return np.log2((1 + b + 2 * a * q + 2 * np.sqrt(a * q * (1 + b + a * q))) / (4 * a))


def blind_trend(counts: np.ndarray, norm_factors: np.ndarray) -> DispersionTrend:
    """Dispersion trend estimated with the design ``~ 1`` (DESeq2's ``blind = TRUE``)."""
    nz = counts.sum(axis=1) > 0
    x = np.ones((counts.shape[1], 1))
    gene_wise = gene_wise_dispersions(counts[nz], norm_factors[nz], x)
    base_mean = (counts[nz] / norm_factors[nz]).mean(axis=1)
    return fit_trend(base_mean, gene_wise.dispersion)


def variance_stabilizing_transformation(
    counts: pd.DataFrame, *, fit: DESeqFit | None = None
) -> pd.DataFrame:
    """VST of a count matrix (genes x samples), on the log2 scale.

    Parameters
    ----------
    counts : DataFrame of shape (G, N)
        Integer counts.
    fit : DESeqFit, optional
        Use this fit's trend and normalisation (``blind = FALSE``); without
        it the transformation is blind to the design.
    """
    values = counts.to_numpy(dtype=float)
    if fit is None:
        sf = size_factors(values)
        nf = np.broadcast_to(sf, values.shape).copy()
        trend = blind_trend(values, nf)
    else:
        nf = fit.norm_factors
        trend = fit.trend
    return pd.DataFrame(vst_values(values / nf, trend), index=counts.index, columns=counts.columns)
