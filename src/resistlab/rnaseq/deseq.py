"""Differential expression with DESeq2's method, faithful to DESeq2 1.38 defaults.

`deseq` runs what R's ``DESeq(dds)`` runs, in the same order and with the
same defaults: median-of-ratios size factors, gene-wise dispersions, the
parametric trend, the prior variance (simulated when residual degrees of
freedom are 3 or fewer), MAP dispersions, the negative-binomial GLM with a
Wald test (or a likelihood-ratio test against a reduced design), Cook's
distances, and for cells with 7 or more replicates the replacement of
outlier counts and refit. `DESeqFit.results` then gives what ``results()``
gives: a contrast, Cook's-distance filtering and independent filtering.

>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(1)
>>> mu = rng.gamma(2.0, 100.0, size=(400, 1)) * np.ones((1, 6))
>>> mu[:40, 3:] *= 4.0  # 40 genes up 4x in the resistant line
>>> counts = pd.DataFrame(rng.negative_binomial(10, 10 / (10 + mu)),
...                       columns=[f"s{i}" for i in range(6)])
>>> samples = pd.DataFrame({"condition": ["parental"] * 3 + ["resistant"] * 3},
...                        index=counts.columns)
>>> fit = deseq(counts, samples, "~ condition")
>>> res = fit.results(("condition", "resistant", "parental"))
>>> bool((res.table["padj"] < 0.1).iloc[:40].mean() > 0.9)
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from resistlab.errors import AnalysisError, InputError
from resistlab.rnaseq._glm import GlmFit, fit_glm
from resistlab.rnaseq._rcompat import trimmed_mean
from resistlab.rnaseq.design import Design, design_matrix
from resistlab.rnaseq.dispersion import (
    DispersionTrend,
    fit_trend,
    gene_wise_dispersions,
    log_residual_variance,
    map_dispersions,
    prior_variance,
)
from resistlab.rnaseq.normalization import normalization_factors, size_factors

__all__ = ["DESeqFit", "deseq"]

if TYPE_CHECKING:
    from resistlab.rnaseq.results import DEResults

Progress = Callable[[str], None]


def _r_number(value: float) -> str:
    """Format a number as R's ``paste`` prints it (up to 15 significant digits)."""
    return f"{value:.15g}"


def _cell_keys(x: np.ndarray, sep: str) -> list[str]:
    return [sep.join(_r_number(v) for v in row) for row in x]


def n_or_more_in_cell(x: np.ndarray, n: int) -> np.ndarray:
    """Flag samples whose model-matrix row is shared by at least ``n`` samples."""
    keys = _cell_keys(x, "_")
    counts = pd.Series(keys).value_counts()
    return np.array([counts[k] >= n for k in keys])


def _robust_moments_dispersion(norm: np.ndarray, x: np.ndarray) -> np.ndarray:
    """DESeq2's trimmed method-of-moments dispersion, for Cook's distances."""
    keys = _cell_keys(x, "")
    order = list(dict.fromkeys(keys))
    cell = np.array([order.index(k) for k in keys])
    sizes = np.bincount(cell)
    big = np.flatnonzero(sizes >= 3)
    if big.size:
        estimates = []
        for c in big:
            cols = norm[:, cell == c]
            n = cols.shape[1]
            bin_ = 0 if n <= 3.5 else (1 if n <= 23.5 else 2)
            trim = (1 / 3, 1 / 4, 1 / 8)[bin_]
            scale = (2.04, 1.86, 1.51)[bin_]
            centre = np.asarray(trimmed_mean(cols, trim, axis=1))
            sq = (cols - centre[:, None]) ** 2
            estimates.append(scale * trimmed_mean(sq, trim, axis=1))
        variance = np.max(np.column_stack(estimates), axis=1)
    else:
        centre = np.asarray(trimmed_mean(norm, 1 / 8, axis=1))
        variance = 1.51 * trimmed_mean((norm - centre[:, None]) ** 2, 1 / 8, axis=1)
    m = norm.mean(axis=1)
    return np.maximum((variance - m) / m**2, 0.04)


def cooks_distance(
    counts: np.ndarray, norm_factors: np.ndarray, x: np.ndarray, mu: np.ndarray, hat: np.ndarray
) -> np.ndarray:
    """Cook's distance of every count (genes x samples), as DESeq2 computes it."""
    disp = _robust_moments_dispersion(counts / norm_factors, x)
    variance = mu + disp[:, None] * mu**2
    pearson_sq = (counts - mu) ** 2 / variance
    return pearson_sq / x.shape[1] * hat / (1.0 - hat) ** 2


def _max_cooks(cooks: np.ndarray, x: np.ndarray) -> np.ndarray:
    use = n_or_more_in_cell(x, 3)
    m, p = x.shape
    if m > p and use.any():
        return np.max(cooks[:, use], axis=1)
    return np.full(cooks.shape[0], np.nan)


@dataclass(frozen=True, eq=False)
class _GeneFit:
    """Per-gene quantities of one pass over (non-zero) genes."""

    base_mean: np.ndarray
    base_var: np.ndarray
    disp_gene_est: np.ndarray
    disp_fit: np.ndarray
    dispersion: np.ndarray
    disp_map: np.ndarray
    disp_outlier: np.ndarray
    glm: GlmFit
    lrt_stat: np.ndarray | None
    lrt_pvalue: np.ndarray | None


@dataclass(frozen=True, eq=False)
class DESeqFit:
    """Everything ``DESeq()`` leaves in a DESeqDataSet, as arrays.

    Gene arrays have one entry per gene of the input (in input order); genes
    with all-zero counts hold NaN in fitted quantities.

    Attributes
    ----------
    genes, samples : Index
    sample_table : DataFrame
        The sample sheet rows of the samples, in count-matrix order.
    design : Design
        The full model.
    reduced : Design or None
        The reduced model of a likelihood-ratio test.
    counts : ndarray of shape (G, N)
        The counts as given.
    size_factors : ndarray of shape (N,) or None
        None when transcript lengths gave gene-specific normalisation factors.
    norm_factors : ndarray of shape (G, N)
    base_mean, base_var : ndarray of shape (G,)
        Mean and variance of normalized counts (after outlier replacement).
    all_zero : ndarray of shape (G,), bool
    disp_gene_est, disp_fit, dispersion, disp_map : ndarray of shape (G,)
        Gene-wise, trend, final and MAP dispersions.
    disp_outlier : ndarray of shape (G,), bool
    trend : DispersionTrend
    prior_var, log_residual_var : float
        The dispersion prior variance and the squared MAD of log residuals.
    beta, beta_se : ndarray of shape (G, P)
        Coefficients (log2) and their standard errors, named ``design.columns``.
    covariance : ndarray of shape (G, P, P)
        Coefficient covariance, natural-log scale.
    converged : ndarray of shape (G,), bool
    deviance : ndarray of shape (G,)
    mu, hat, cooks : ndarray of shape (G, N)
        Fitted means, hat-matrix diagonals and Cook's distances of the
        first fit (before any replacement).
    max_cooks : ndarray of shape (G,)
    replaced : ndarray of shape (G,), bool
        Genes whose outlier counts were replaced and refitted.
    replace_counts : ndarray of shape (G, N) or None
        The counts after replacement, where some were replaced.
    test : {"Wald", "LRT"}
    lrt_stat, lrt_pvalue : ndarray of shape (G,) or None
    """

    genes: pd.Index
    samples: pd.Index
    sample_table: pd.DataFrame
    design: Design
    reduced: Design | None
    counts: np.ndarray
    size_factors: np.ndarray | None
    norm_factors: np.ndarray
    base_mean: np.ndarray
    base_var: np.ndarray
    all_zero: np.ndarray
    disp_gene_est: np.ndarray
    disp_fit: np.ndarray
    dispersion: np.ndarray
    disp_map: np.ndarray
    disp_outlier: np.ndarray
    trend: DispersionTrend
    prior_var: float
    log_residual_var: float
    beta: np.ndarray
    beta_se: np.ndarray
    covariance: np.ndarray
    converged: np.ndarray
    deviance: np.ndarray
    mu: np.ndarray
    hat: np.ndarray
    cooks: np.ndarray
    max_cooks: np.ndarray
    replaced: np.ndarray
    replace_counts: np.ndarray | None
    test: Literal["Wald", "LRT"]
    lrt_stat: np.ndarray | None = None
    lrt_pvalue: np.ndarray | None = None

    def normalized_counts(self) -> pd.DataFrame:
        """Divide counts by size (or normalisation) factors."""
        return pd.DataFrame(self.counts / self.norm_factors, index=self.genes, columns=self.samples)

    def dispersion_table(self) -> pd.DataFrame:
        """One row per gene: baseMean and every dispersion estimate."""
        return pd.DataFrame(
            {
                "baseMean": self.base_mean,
                "dispGeneEst": self.disp_gene_est,
                "dispFit": self.disp_fit,
                "dispMAP": self.disp_map,
                "dispersion": self.dispersion,
                "dispOutlier": self.disp_outlier,
            },
            index=self.genes,
        )

    def coefficients(self) -> pd.DataFrame:
        """Coefficients (log2) and standard errors, DESeq2's ``coef(dds)`` plus ``SE_``."""
        beta = pd.DataFrame(self.beta, index=self.genes, columns=list(self.design.columns))
        se = pd.DataFrame(
            self.beta_se, index=self.genes, columns=[f"SE_{c}" for c in self.design.columns]
        )
        return pd.concat([beta, se], axis=1)

    def results(
        self,
        contrast: tuple[str, str, str] | None = None,
        *,
        name: str | None = None,
        alpha: float = 0.1,
        independent_filtering: bool = True,
        cooks_cutoff: float | bool = True,
        lfc_threshold: float = 0.0,
    ) -> DEResults:
        """DESeq2's ``results()``: one contrast or coefficient, filtered and adjusted.

        See `resistlab.rnaseq.results.results`.
        """
        from resistlab.rnaseq.results import results

        return results(
            self,
            contrast,
            name=name,
            alpha=alpha,
            independent_filtering=independent_filtering,
            cooks_cutoff=cooks_cutoff,
            lfc_threshold=lfc_threshold,
        )


def _validate(counts: pd.DataFrame, samples: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    if counts.index.has_duplicates:
        dup = counts.index[counts.index.duplicated()].tolist()[:5]
        msg = f"duplicated gene id(s) in the count matrix: {dup}"
        raise InputError(msg)
    if counts.columns.has_duplicates:
        dup = counts.columns[counts.columns.duplicated()].tolist()
        msg = f"duplicated sample name(s) in the count matrix: {dup}"
        raise InputError(msg)
    sheet = samples.copy()
    sheet.index = sheet.index.astype(str)
    names = [str(c) for c in counts.columns]
    missing = [s for s in names if s not in sheet.index]
    if missing:
        msg = f"sample(s) {missing} of the count matrix are missing from the sample sheet"
        raise InputError(msg)
    sheet = sheet.loc[names]
    values = counts.to_numpy()
    try:
        numeric = values.astype(float)
    except (TypeError, ValueError):
        numeric = pd.DataFrame(values).apply(pd.to_numeric, errors="coerce").to_numpy(float)
    bad = ~np.isfinite(numeric) | (numeric < 0) | (numeric != np.round(numeric))
    if bad.any():
        g, s = (int(v[0]) for v in np.nonzero(bad))
        msg = (
            f"gene {counts.index[g]!r}, sample {names[s]!r}: count {values[g, s]!r} is not a "
            "non-negative integer; DESeq2's model needs integer counts (use tximport-style "
            "input for estimated counts)"
        )
        raise InputError(msg)
    return numeric, sheet


def _fit_genes(
    counts: np.ndarray,
    nf: np.ndarray,
    x: np.ndarray,
    x_reduced: np.ndarray | None,
    trend: DispersionTrend | None,
    prior: tuple[float, float] | None,
    minmu: float,
) -> tuple[_GeneFit, DispersionTrend, float, float]:
    """Dispersions and GLM fits for genes that all have some non-zero count."""
    norm = counts / nf
    base_mean = norm.mean(axis=1)
    base_var = norm.var(axis=1, ddof=1)
    gene_wise = gene_wise_dispersions(counts, nf, x, minmu=minmu)
    if trend is None:
        trend = fit_trend(base_mean, gene_wise.dispersion)
    fitted = trend(base_mean)
    if prior is None:
        log_res_var = log_residual_variance(gene_wise.dispersion, fitted)
        prior_var = prior_variance(
            gene_wise.dispersion, fitted, n_samples=x.shape[0], n_coef=x.shape[1]
        )
    else:
        prior_var, log_res_var = prior
    final = map_dispersions(
        counts,
        x,
        gene_wise.mu,
        gene_wise=gene_wise.dispersion,
        fitted=fitted,
        prior_var=prior_var,
        log_residual_var=log_res_var,
    )
    glm = fit_glm(counts, nf, x, final.dispersion, minmu=minmu)
    lrt_stat = lrt_p = None
    if x_reduced is not None:
        reduced = fit_glm(counts, nf, x_reduced, final.dispersion, minmu=minmu)
        lrt_stat = 2.0 * (glm.log_likelihood - reduced.log_likelihood)
        lrt_p = stats.chi2.sf(lrt_stat, x.shape[1] - x_reduced.shape[1])
    out = _GeneFit(
        base_mean=base_mean,
        base_var=base_var,
        disp_gene_est=gene_wise.dispersion,
        disp_fit=fitted,
        dispersion=final.dispersion,
        disp_map=final.map,
        disp_outlier=final.outlier,
        glm=glm,
        lrt_stat=lrt_stat,
        lrt_pvalue=lrt_p,
    )
    return out, trend, prior_var, log_res_var


def _expand(values: np.ndarray, mask: np.ndarray, fill: float = np.nan) -> np.ndarray:
    """Put rows computed for ``mask`` genes back into a full-length array."""
    shape = (mask.size, *values.shape[1:])
    out = np.full(shape, fill, dtype=float if values.dtype != bool else bool)
    out[mask] = values
    return out


def deseq(
    counts: pd.DataFrame,
    samples: pd.DataFrame,
    design: str = "~ condition",
    *,
    reference: Mapping[str, str] | None = None,
    reduced: str | None = None,
    lengths: pd.DataFrame | None = None,
    min_replicates_for_replace: int = 7,
    minmu: float = 0.5,
    progress: Progress | None = None,
) -> DESeqFit:
    """Run DESeq2's pipeline on a count matrix.

    Parameters
    ----------
    counts : DataFrame of shape (G, N)
        Non-negative integer counts; index = gene ids, columns = samples.
    samples : DataFrame
        Sample sheet indexed by sample name, holding the design's variables;
        every count column must have a row (extra rows are ignored).
    design : str
        Design formula, e.g. ``"~ condition"`` or ``"~ batch + condition"``.
    reference : mapping, optional
        Reference level per factor, e.g. ``{"condition": "parental"}``.
    reduced : str, optional
        Reduced formula for a likelihood-ratio test (``test = "LRT"``).
    lengths : DataFrame, optional
        tximport's average transcript lengths (same shape as ``counts``);
        normalisation factors then replace size factors.
    min_replicates_for_replace : int
        Replace Cook's outliers and refit in cells with this many samples.
    minmu : float
        Lower bound on fitted means (DESeq2's 0.5).
    progress : callable, optional
        Called with a short step description before each step.

    Raises
    ------
    InputError
        Non-integer or negative counts, samples missing from the sheet,
        duplicated genes or samples, or a design that is not full rank.
    AnalysisError
        A dataset DESeq2 cannot fit either (no replicates, every gene with a
        zero, all genes identical).
    """
    say = progress or (lambda _step: None)
    values, sheet = _validate(counts, samples)
    full = design_matrix(sheet, design, reference=reference)
    red = None
    if reduced:
        kept = {k: v for k, v in (reference or {}).items() if k in reduced}
        red = design_matrix(sheet, reduced, reference=kept)
    x = full.matrix
    m, p = x.shape
    if red is not None and red.matrix.shape[1] >= p:
        msg = f"the reduced design {reduced!r} must have fewer coefficients than {design!r}"
        raise InputError(msg)
    if m == p:
        msg = (
            f"{m} samples and {p} coefficients in {design!r}: no replicates are left to "
            "estimate dispersions"
        )
        raise AnalysisError(msg)
    if np.all(values == values[:, :1]):
        msg = "all genes have equal values in every sample; nothing to test"
        raise AnalysisError(msg)

    say("size factors")
    if lengths is not None:
        lengths_arr = lengths.loc[counts.index, counts.columns].to_numpy(float)
        nf = normalization_factors(values, lengths_arr)
        sf = None
    else:
        sf = size_factors(values)
        nf = np.broadcast_to(sf, values.shape).copy()
    all_zero = values.sum(axis=1) == 0
    nz = ~all_zero

    say("dispersions and model fits")
    xr = red.matrix if red is not None else None
    fit, trend, prior_var, log_res_var = _fit_genes(values[nz], nf[nz], x, xr, None, None, minmu)
    cooks_nz = cooks_distance(values[nz], nf[nz], x, fit.glm.mu, fit.glm.hat)
    max_cooks_nz = _max_cooks(cooks_nz, x)

    norm = values / nf
    base_mean = norm.mean(axis=1)
    base_var = norm.var(axis=1, ddof=1)
    result = DESeqFit(
        genes=pd.Index(counts.index),
        samples=pd.Index([str(c) for c in counts.columns]),
        sample_table=sheet,
        design=full,
        reduced=red,
        counts=values,
        size_factors=sf,
        norm_factors=nf,
        base_mean=base_mean,
        base_var=base_var,
        all_zero=all_zero,
        disp_gene_est=_expand(fit.disp_gene_est, nz),
        disp_fit=_expand(fit.disp_fit, nz),
        dispersion=_expand(fit.dispersion, nz),
        disp_map=_expand(fit.disp_map, nz),
        disp_outlier=_expand(fit.disp_outlier, nz, False),
        trend=trend,
        prior_var=prior_var,
        log_residual_var=log_res_var,
        beta=_expand(fit.glm.beta, nz),
        beta_se=_expand(fit.glm.beta_se, nz),
        covariance=_expand(fit.glm.covariance, nz),
        converged=_expand(fit.glm.converged, nz, False),
        deviance=_expand(-2.0 * fit.glm.log_likelihood, nz),
        mu=_expand(fit.glm.mu, nz),
        hat=_expand(fit.glm.hat, nz),
        cooks=_expand(cooks_nz, nz),
        max_cooks=_expand(max_cooks_nz, nz),
        replaced=np.zeros(len(values), dtype=bool),
        replace_counts=None,
        test="LRT" if red is not None else "Wald",
        lrt_stat=_expand(fit.lrt_stat, nz) if fit.lrt_stat is not None else None,
        lrt_pvalue=_expand(fit.lrt_pvalue, nz) if fit.lrt_pvalue is not None else None,
    )
    replaceable = n_or_more_in_cell(x, min_replicates_for_replace)
    if replaceable.any():
        say("replacing outlier counts and refitting")
        result = _refit_without_outliers(result, replaceable, minmu)
    return result


def _refit_without_outliers(fit: DESeqFit, replaceable: np.ndarray, minmu: float) -> DESeqFit:
    """DESeq2's ``refitWithoutOutliers``: replace Cook's outliers by trimmed means, refit."""
    x = fit.design.matrix
    m, p = x.shape
    cutoff = stats.f.ppf(0.99, p, m - p)
    with np.errstate(invalid="ignore"):
        outlying = fit.cooks > cutoff
    replace_gene = outlying.any(axis=1)
    trim_mean = np.asarray(trimmed_mean(fit.counts / fit.norm_factors, 0.2, axis=1))
    replacement = np.trunc(trim_mean[:, None] * fit.norm_factors)
    new_counts = fit.counts.copy()
    swap = outlying & replaceable[None, :]
    new_counts[swap] = replacement[swap]
    if not replace_gene.any():
        return fit
    norm = new_counts / fit.norm_factors
    base_mean = norm.mean(axis=1)
    base_var = norm.var(axis=1, ddof=1)
    new_all_zero = new_counts.sum(axis=1) == 0
    refit = replace_gene & ~new_all_zero
    arrays: dict[str, Any] = {
        "base_mean": base_mean,
        "base_var": base_var,
        "all_zero": new_all_zero,
    }
    if not refit.any():  # every replaced gene became all zero: nothing to refit
        return replace(fit, **arrays, replaced=replace_gene, replace_counts=new_counts)
    if refit.any():
        xr = fit.reduced.matrix if fit.reduced is not None else None
        sub, _, _, _ = _fit_genes(
            new_counts[refit],
            fit.norm_factors[refit],
            x,
            xr,
            fit.trend,
            (fit.prior_var, fit.log_residual_var),
            minmu,
        )
        updates = {
            "disp_gene_est": sub.disp_gene_est,
            "disp_fit": sub.disp_fit,
            "dispersion": sub.dispersion,
            "disp_map": sub.disp_map,
            "disp_outlier": sub.disp_outlier,
            "beta": sub.glm.beta,
            "beta_se": sub.glm.beta_se,
            "covariance": sub.glm.covariance,
            "converged": sub.glm.converged,
            "deviance": -2.0 * sub.glm.log_likelihood,
        }
        if sub.lrt_stat is not None and sub.lrt_pvalue is not None:
            updates["lrt_stat"] = sub.lrt_stat
            updates["lrt_pvalue"] = sub.lrt_pvalue
        for key, value in updates.items():
            current = getattr(fit, key)
            assert current is not None
            new = current.copy()
            new[refit] = value
            arrays[key] = new
        # genes whose counts became all zero lose their results
        gone = replace_gene & new_all_zero
        for key in ("beta", "beta_se", "lrt_stat", "lrt_pvalue"):
            if key in arrays:
                arrays[key][gone] = np.nan
    if replaceable.all():
        max_cooks = np.full(len(new_counts), np.nan)
    else:
        cooks = fit.cooks.copy()
        cooks[:, replaceable] = 0.0
        max_cooks = _max_cooks(cooks, x)
        max_cooks[fit.all_zero] = np.nan
    return replace(
        fit,
        **arrays,
        max_cooks=max_cooks,
        replaced=replace_gene,
        replace_counts=new_counts,
    )
