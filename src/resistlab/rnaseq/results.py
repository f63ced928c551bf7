"""DESeq2's ``results()``: a contrast, Cook's-distance filtering, independent filtering.

The table has DESeq2's columns: ``baseMean``, ``log2FoldChange``, ``lfcSE``,
``stat``, ``pvalue``, ``padj``.

- A contrast ``(factor, numerator, denominator)`` is a coefficient when the
  denominator is the reference level, its negative when the numerator is,
  and otherwise the difference of two coefficients with the standard error
  from their covariance. Genes with zero counts in every sample of both
  groups get fold change 0 and p-value 1.
- Cook's distance: p-values are set to NA where the maximum Cook's distance
  over samples in cells with 3 or more replicates exceeds the 0.99 quantile
  of F(p, m - p); for a design with one two-level factor, genes where three
  or more counts exceed the outlying count are spared.
- Independent filtering (Bourgon, Gentleman and Huber 2010, PNAS 107:9546):
  BH adjustment over the genes above each of 50 quantiles of baseMean; the
  chosen quantile is the first whose number of rejections at ``alpha``
  exceeds the lowess fit's maximum minus the residual RMS (DESeq2's rule);
  filtered genes get padj NA.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from scipy import stats

from resistlab.errors import InputError
from resistlab.rnaseq._glm import LOG2E
from resistlab.rnaseq._rcompat import filtered_p, lowess, p_adjust_bh, quantile7, r_seq

if TYPE_CHECKING:
    from resistlab.rnaseq.deseq import DESeqFit

__all__ = ["DEResults", "independent_filtering", "results"]

DE_COLUMNS = ("baseMean", "log2FoldChange", "lfcSE", "stat", "pvalue", "padj")


@dataclass(frozen=True, eq=False)
class DEResults:
    """One contrast's results, with what independent filtering chose.

    Attributes
    ----------
    table : DataFrame
        Indexed by gene: ``baseMean``, ``log2FoldChange``, ``lfcSE``, ``stat``,
        ``pvalue``, ``padj``.
    contrast : str
        What was compared, e.g. ``condition resistant vs parental``.
    test : {"Wald", "LRT"}
    alpha : float
        The FDR the filter was tuned for.
    filter_threshold : float
        baseMean below which genes were filtered (NaN without filtering).
    filter_theta : float
        The chosen quantile.
    rejections : DataFrame
        ``theta``, ``numRej`` and the lowess fit, one row per quantile tried.
    cooks_outliers : int
        Genes whose p-value was removed for a Cook's outlier.
    """

    table: pd.DataFrame
    contrast: str
    test: Literal["Wald", "LRT"]
    alpha: float
    filter_threshold: float
    filter_theta: float
    rejections: pd.DataFrame
    cooks_outliers: int

    def to_frame(self) -> pd.DataFrame:
        """Tidy table, one row per gene, ``gene`` first (the ``de.csv`` layout)."""
        out = self.table.reset_index()
        out = out.rename(columns={out.columns[0]: "gene"})
        return out

    def significant(self, alpha: float | None = None) -> pd.DataFrame:
        """Genes with ``padj`` below ``alpha`` (default: the one filtered for)."""
        level = self.alpha if alpha is None else alpha
        return self.table[self.table["padj"] < level]

    def summary(self) -> str:
        """DESeq2's ``summary(res)`` in one paragraph."""
        t = self.table
        tested = int((t["baseMean"] > 0).sum())
        sig = t["padj"] < self.alpha
        up = int((sig & (t["log2FoldChange"] > 0)).sum())
        down = int((sig & (t["log2FoldChange"] < 0)).sum())
        low = int((t["pvalue"].notna() & t["padj"].isna()).sum())
        return (
            f"{self.contrast}: {tested} genes with non-zero counts; padj < {self.alpha}: "
            f"{up} up, {down} down; {self.cooks_outliers} Cook's outliers; {low} filtered "
            f"as low counts (mean count < {self.filter_threshold:.3g})"
        )


def independent_filtering(
    base_mean: np.ndarray, pvalue: np.ndarray, *, alpha: float = 0.1
) -> tuple[np.ndarray, float, float, pd.DataFrame]:
    """DESeq2's ``pvalueAdjustment`` with independent filtering on baseMean.

    Returns ``(padj, threshold, theta, rejections)``.
    """
    lower = float(np.mean(base_mean == 0))
    upper = 0.95 if lower < 0.95 else 1.0
    theta = r_seq(lower, upper, 50)
    padj_all = filtered_p(base_mean, pvalue, theta)
    with np.errstate(invalid="ignore"):
        num_rej = np.sum(padj_all < alpha, axis=0).astype(float)
    fitted = lowess(theta, num_rej, f=1 / 5)
    if num_rej.max() <= 10:
        j = 0
    else:
        positive = num_rej > 0
        residual = num_rej[positive] - fitted[positive] if positive.any() else np.zeros(1)
        thresh = fitted.max() - np.sqrt(np.mean(residual**2))
        above = np.flatnonzero(num_rej > thresh)
        j = int(above[0]) if above.size else 0
    cutoffs = quantile7(base_mean, theta)
    rejections = pd.DataFrame({"theta": theta, "numRej": num_rej, "lowess": fitted})
    return padj_all[:, j], float(cutoffs[j]), float(theta[j]), rejections


def _two_group_single_factor(fit: DESeqFit) -> bool:
    variables = fit.design.variables
    return len(variables) == 1 and len(fit.design.factors.get(variables[0], ())) == 2


def results(
    fit: DESeqFit,
    contrast: tuple[str, str, str] | None = None,
    *,
    name: str | None = None,
    alpha: float = 0.1,
    independent_filtering: bool = True,
    cooks_cutoff: float | bool = True,
    lfc_threshold: float = 0.0,
) -> DEResults:
    """Results of one contrast (or coefficient ``name``; default: the last one).

    Parameters
    ----------
    fit : DESeqFit
    contrast : (factor, numerator, denominator), optional
    name : str, optional
        A coefficient name from ``fit.design.columns``.
    alpha : float
        FDR for independent filtering and `DEResults.significant`.
    independent_filtering : bool
        Filter on baseMean (DESeq2's default True); else plain BH.
    cooks_cutoff : float or bool
        True: DESeq2's F(0.99) cutoff; False: no Cook's filtering.
    lfc_threshold : float
        Test ``|LFC| > threshold`` (DESeq2's ``altHypothesis = "greaterAbs"``).
    """
    if not 0 < alpha < 1:
        msg = f"alpha must be in (0, 1), got {alpha}"
        raise InputError(msg)
    design = fit.design
    beta, se = fit.beta, fit.beta_se
    zero_groups = np.zeros(len(fit.genes), dtype=bool)
    if contrast is not None:
        factor, num, den = (str(c) for c in contrast)
        vector = design.contrast_vector((factor, num, den))
        label = f"{factor} {num} vs {den}"
        nonzero = np.flatnonzero(vector)
        if nonzero.size == 1:
            j = int(nonzero[0])
            lfc = vector[j] * beta[:, j]
            lfc_se = se[:, j]
        else:
            lfc = beta @ vector
            var = np.einsum("i,gij,j->g", vector, fit.covariance, vector)
            lfc_se = LOG2E * np.sqrt(var)
        levels = fit.sample_table[factor].astype(str).to_numpy()
        in_groups = np.isin(levels, [num, den])
        zero_groups = (fit.counts[:, in_groups] == 0).all(axis=1) & ~fit.all_zero
    else:
        coef = name if name is not None else design.columns[-1]
        j = design.coefficient(coef)
        lfc, lfc_se = beta[:, j], se[:, j]
        label = coef
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = lfc / lfc_se
    pvalue = 2.0 * stats.norm.sf(np.abs(stat))
    lfc = lfc.copy()
    if zero_groups.any():
        lfc[zero_groups] = 0.0
        stat[zero_groups] = 0.0
        pvalue[zero_groups] = 1.0
    if fit.test == "LRT":
        assert fit.lrt_stat is not None and fit.lrt_pvalue is not None
        stat = fit.lrt_stat.copy()
        pvalue = fit.lrt_pvalue.copy()
    if lfc_threshold > 0:
        if fit.test == "LRT":
            msg = "tests against a log fold-change threshold must be Wald tests"
            raise InputError(msg)
        with np.errstate(invalid="ignore"):
            shifted = (np.abs(lfc) - lfc_threshold) / lfc_se
            stat = np.sign(lfc) * np.maximum(shifted, 0.0)
            pvalue = np.minimum(1.0, 2.0 * stats.norm.sf(shifted))

    n_cooks = 0
    m, p = design.matrix.shape
    if cooks_cutoff is not False:
        cutoff = stats.f.ppf(0.99, p, m - p) if cooks_cutoff is True else float(cooks_cutoff)
        with np.errstate(invalid="ignore"):
            outlier = fit.max_cooks > cutoff
        if outlier.any() and _two_group_single_factor(fit):
            for g in np.flatnonzero(outlier):
                out_count = fit.counts[g, int(np.nanargmax(fit.cooks[g]))]
                if np.sum(fit.counts[g] > out_count) >= 3:
                    outlier[g] = False
        pvalue = pvalue.copy()
        pvalue[outlier] = np.nan
        n_cooks = int(outlier.sum())
    now_zero = fit.replaced & (fit.base_mean == 0)
    if now_zero.any():
        lfc[now_zero] = 0.0
        lfc_se = lfc_se.copy()
        lfc_se[now_zero] = 0.0
        stat[now_zero] = 0.0
        pvalue[now_zero] = 1.0

    if independent_filtering:
        padj, threshold, theta, rejections = _filter(fit.base_mean, pvalue, alpha=alpha)
    else:
        padj = p_adjust_bh(pvalue)
        threshold, theta = np.nan, np.nan
        rejections = pd.DataFrame(columns=["theta", "numRej", "lowess"])
    table = pd.DataFrame(
        {
            "baseMean": fit.base_mean,
            "log2FoldChange": lfc,
            "lfcSE": lfc_se,
            "stat": stat,
            "pvalue": pvalue,
            "padj": padj,
        },
        index=fit.genes,
    )
    return DEResults(
        table=table,
        contrast=label,
        test=fit.test,
        alpha=alpha,
        filter_threshold=threshold,
        filter_theta=theta,
        rejections=rejections,
        cooks_outliers=n_cooks,
    )


_filter = independent_filtering
