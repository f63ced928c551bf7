"""Quality control of an RNA-seq count matrix: libraries, sample similarity, PCA, outliers.

`count_qc` measures each library and how the samples relate to each other,
on the variance-stabilised counts (by default DESeq2's blind VST,
`variance_stabilizing_transformation`):

* per sample: library size (total counts), detected genes (count > 0), the
  percentage of its counts in its own 100 most highly counted genes, and
  the median-of-ratios size factor;
* the Pearson correlation of every pair of samples over the ``n_top`` genes
  of highest variance across samples (500, as DESeq2's ``plotPCA``);
* a principal component analysis done exactly as DESeq2 1.38's
  ``plotPCA(returnData = TRUE)`` does it: the ``n_top`` genes of highest row
  variance (``rowVars``, ties in input order), centred but not scaled, and
  ``prcomp``; sample scores on the first N - 1 components (after centring,
  N samples leave no variance for an N-th) and the percentage of variance
  each explains.  The sign of a component is arbitrary (LAPACK's choice in
  R); here each is oriented so that its largest gene loading is positive.

Outlier rules (a sample may break several; `CountQC.to_frame` says which,
with the numbers):

1. *Small library*: total counts below 1/5 of the median library size.
2. *Low correlation*: the sample's median correlation with the other
   samples (the others of its group when `group` is given) is below
   ``median - max(3 x MAD, 1 - median)`` of all samples' median
   correlations (MAD scaled to a normal SD, as R's ``mad``).  The second
   term asks that the sample's distance from perfect correlation, ``1 - r``,
   be more than twice the typical one, so a tight set of near-identical
   replicates does not flag its least perfect member.  Without `group`, the
   members of a small group that differs strongly from the rest can be
   flagged; give `group` when the design has groups.
3. *Far from its group* (only with `group`): the Euclidean distance of the
   sample to its group's gene-wise median profile over the same ``n_top``
   genes (its distance in the full PCA space) exceeds
   ``median + max(4 x MAD, 0.5 x median)`` of all such distances (a robust
   z above 4 and at least 1.5 times the typical distance).  Groups of fewer
   than three samples have no robust centre and are not judged by rules 2
   (with `group`) and 3.  The full space rather than PC1/PC2 alone: with
   three replicates per group, two-dimensional distances vary so much that
   a robust z of 4 flagged about half of clean simulated data sets.

Rules 2 and 3 flag one sample at a time, the most extreme first, and judge
the rest again without it (in the others' correlations and its group's
centre), so one gross outlier neither masks a second nor implicates its
partners.  They judge at least four samples together, or none.  Samples
with no counts at all are set aside before the transformation and flagged
as empty.

>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(7)
>>> mu = rng.lognormal(4, 1.5, size=(1500, 1)) * np.ones((1, 6))
>>> counts = pd.DataFrame(rng.poisson(mu), columns=[f"s{i}" for i in range(6)])
>>> counts["s5"] = rng.permutation(counts["s5"].to_numpy())  # a scrambled library
>>> qc = count_qc(counts)
>>> qc.outliers
('s5',)
"""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from resistlab.errors import AnalysisError, InputError
from resistlab.rnaseq.normalization import size_factors
from resistlab.rnaseq.transform import variance_stabilizing_transformation

__all__ = ["LIBRARY_FRACTION", "CountQC", "QCWarning", "count_qc"]

#: A library smaller than this fraction of the median library size is an outlier.
LIBRARY_FRACTION = 1 / 5
#: MADs below the median of the median correlations that flag a sample (rule 2).
CORRELATION_MADS = 3.0
#: MADs above the median distance to the group's centre that flag a sample (rule 3).
DISTANCE_MADS = 4.0
#: Smallest ratio of a flagged sample's distance to the typical distance (rule 3).
DISTANCE_RATIO = 1.5
#: Fewest samples rules 2 and 3 judge together (a robust centre and spread need a few).
MIN_JUDGED = 4
#: Genes whose share of a library is reported.
TOP_GENES = 100
_MAD_SCALE = 1.4826


class QCWarning(UserWarning):
    """Quality control had to depart from its usual method (the reason is in the message)."""


@dataclass(frozen=True, eq=False)
class CountQC:
    """Quality-control measures of a count matrix, one set per sample.

    Attributes
    ----------
    table : DataFrame
        Indexed by sample, in count-matrix order: ``group`` (when given),
        ``library_size``, ``detected_genes``, ``top100_percent``,
        ``size_factor`` (NaN when no gene is counted in every sample),
        ``median_correlation`` (with the other samples, or the others of its
        group; NaN in groups of fewer than three; for the rest, computed
        without the samples rule 2 flagged),
        ``group_distance`` (NaN without `group` or in groups of
        fewer than three), ``outlier`` (bool) and ``outlier_reason`` (empty
        when not an outlier; rules joined by ``"; "``).
    correlation : DataFrame of shape (N, N)
        Pearson correlation of the samples over the ``n_top`` most variable
        VST genes.
    pca : DataFrame
        Sample scores, one row per sample, columns ``PC1``, ``PC2``, ...
    variance_explained : Series
        Percentage of variance of each component (indexed ``PC1``, ...); the
        components together explain 100 %.
    loadings : DataFrame
        Gene loadings (``prcomp``'s rotation) of the ``n_top`` genes.
    n_top : int
        Genes used for correlation and PCA.
    group : str or None
        The sample-sheet column that grouped the samples.
    transform : {"vst", "log2", "given"}
        What the correlation and PCA were computed on: the blind VST,
        ``log2(normalized counts + 1)`` (when the VST's dispersion trend could
        not be fitted; a `QCWarning` says so) or the `vst` passed in.
    """

    table: pd.DataFrame
    correlation: pd.DataFrame
    pca: pd.DataFrame
    variance_explained: pd.Series
    loadings: pd.DataFrame
    n_top: int
    group: str | None
    transform: str

    @property
    def outliers(self) -> tuple[str, ...]:
        """Samples flagged by any rule, in count-matrix order."""
        return tuple(str(s) for s in self.table.index[self.table["outlier"].to_numpy(bool)])

    @property
    def groups(self) -> pd.Series | None:
        """Group label of each sample, or None when no `group` was given."""
        if self.group is None:
            return None
        return self.table["group"]

    def to_frame(self) -> pd.DataFrame:
        """One row per sample: ``sample``, every `table` column and the PC scores.

        ``outlier`` and ``outlier_reason`` come last.
        """
        measures = self.table.drop(columns=["outlier", "outlier_reason"])
        out = pd.concat(
            [measures, self.pca, self.table[["outlier", "outlier_reason"]]],
            axis=1,
        )
        out.index.name = "sample"
        return out.reset_index()


# --------------------------------------------------------------------------- checks


def _check_counts(counts: pd.DataFrame) -> np.ndarray:
    if not isinstance(counts, pd.DataFrame):
        msg = f"counts must be a DataFrame of genes x samples, got {type(counts).__name__}"
        raise TypeError(msg)
    if counts.shape[1] < 2:
        msg = f"counts has {counts.shape[1]} sample(s); quality control compares at least 2"
        raise InputError(msg)
    if counts.shape[0] < 2:
        msg = f"counts has {counts.shape[0]} gene(s); need at least 2"
        raise InputError(msg)
    if counts.columns.has_duplicates:
        dup = counts.columns[counts.columns.duplicated()].tolist()
        msg = f"duplicated sample name(s) in counts: {dup}"
        raise InputError(msg)
    try:
        values = counts.to_numpy(dtype=float)
    except (TypeError, ValueError):
        values = counts.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        g, s = (int(v[0]) for v in np.nonzero(bad))
        msg = (
            f"gene {counts.index[g]!r}, sample {counts.columns[s]!r}: count "
            f"{counts.iat[g, s]!r} is not a non-negative number"
        )
        raise InputError(msg)
    return values


def _check_vst(vst: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(vst, pd.DataFrame):
        msg = f"vst must be a DataFrame of genes x samples, got {type(vst).__name__}"
        raise TypeError(msg)
    missing = [c for c in counts.columns if c not in vst.columns]
    if missing:
        msg = f"vst lacks sample(s) {missing} of the count matrix"
        raise InputError(msg)
    out = vst[list(counts.columns)]
    values = out.to_numpy(dtype=float)
    if not np.isfinite(values).all():
        g, s = (int(v[0]) for v in np.nonzero(~np.isfinite(values)))
        msg = f"vst holds a missing or infinite value at gene {out.index[g]!r}, sample {s}"
        raise InputError(msg)
    return out


def _groups(samples: pd.DataFrame | None, group: str | None, names: pd.Index) -> pd.Series | None:
    if group is None:
        return None
    if samples is None:
        msg = f"group={group!r} needs the sample sheet: pass samples="
        raise InputError(msg)
    if group not in samples.columns:
        msg = f"group {group!r} is not a column of the sample sheet ({list(samples.columns)})"
        raise InputError(msg)
    sheet = samples.copy()
    sheet.index = sheet.index.astype(str)
    missing = [str(s) for s in names if str(s) not in sheet.index]
    if missing:
        msg = f"sample(s) {missing} of the count matrix are missing from the sample sheet"
        raise InputError(msg)
    labels = sheet.loc[[str(s) for s in names], group]
    if labels.isna().any():
        empty = labels.index[labels.isna()].tolist()
        msg = f"sample(s) {empty} have no value in column {group!r} of the sample sheet"
        raise InputError(msg)
    return pd.Series(labels.astype(str).to_numpy(), index=names, name="group")


# --------------------------------------------------------------------------- measures


def _mad(x: np.ndarray) -> float:
    return float(_MAD_SCALE * np.median(np.abs(x - np.median(x))))


def _top_variable(values: np.ndarray, n_top: int) -> np.ndarray:
    """Rows of the ``n_top`` largest variances, largest first; ties keep input order."""
    variance = values.var(axis=1, ddof=1)
    return np.argsort(-variance, kind="stable")[: min(n_top, len(variance))]


def _pca(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``prcomp(x)`` of samples x genes: scores, loadings and variance per component."""
    centred = x - x.mean(axis=0)
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    keep = min(x.shape[0] - 1, x.shape[1])
    u, s, vt = u[:, :keep], s[:keep], vt[:keep]
    flip = np.sign(vt[np.arange(keep), np.argmax(np.abs(vt), axis=1)])
    flip[flip == 0] = 1.0
    scores = u * s * flip
    loadings = vt.T * flip
    variance = s**2 / (x.shape[0] - 1)
    return scores, loadings, variance


def _median_correlation(
    correlation: np.ndarray, labels: np.ndarray | None, active: np.ndarray
) -> np.ndarray:
    """Median correlation of each active sample with the other active ones (of its group)."""
    out = np.full(correlation.shape[0], np.nan)
    for i in np.flatnonzero(active):
        others = active.copy()
        others[i] = False
        if labels is not None:
            same = active & (labels == labels[i])
            if same.sum() < 3:
                continue
            others &= same
        values = correlation[i, others]
        values = values[np.isfinite(values)]
        if values.size:
            out[i] = np.median(values)
    return out


def _group_distance(x: np.ndarray, labels: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Distance of each active sample (rows of x) to its group's gene-wise median profile."""
    out = np.full(x.shape[0], np.nan)
    for level in pd.unique(labels):
        members = active & (labels == level)
        if members.sum() >= 3:
            centre = np.median(x[members], axis=0)
            out[members] = np.linalg.norm(x[members] - centre, axis=1)
    return out


def _low_correlation(
    correlation: np.ndarray, labels: np.ndarray | None
) -> tuple[np.ndarray, dict[int, str]]:
    """Rule 2, one sample at a time: median correlations and the reasons of flagged samples."""
    active = np.ones(correlation.shape[0], dtype=bool)
    reasons: dict[int, str] = {}
    at_flag: dict[int, float] = {}
    whom = "the other samples of its group" if labels is not None else "the other samples"
    while True:
        value = _median_correlation(correlation, labels, active)
        judged = np.isfinite(value)
        if judged.sum() < MIN_JUDGED:
            break
        centre = float(np.median(value[judged]))
        spread = _mad(value[judged])
        cutoff = centre - max(CORRELATION_MADS * spread, 1.0 - centre)
        below = judged & (value < cutoff)
        if not below.any():
            break
        i = int(np.argmin(np.where(below, value, np.inf)))
        reasons[i] = (
            f"low correlation: median correlation {value[i]:.3f} with {whom} is below "
            f"{cutoff:.3f} (median over samples {centre:.3f} minus the larger of "
            f"3 x MAD = {CORRELATION_MADS * spread:.3f} and 1 - median = {1.0 - centre:.3f})"
        )
        at_flag[i] = float(value[i])
        active[i] = False
    for i, v in at_flag.items():
        value[i] = v
    return value, reasons


def _far_from_group(x: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, dict[int, str]]:
    """Rule 3, one sample at a time: distances to group centres and the flagged samples."""
    active = np.ones(x.shape[0], dtype=bool)
    reasons: dict[int, str] = {}
    at_flag: dict[int, float] = {}
    while True:
        value = _group_distance(x, labels, active)
        judged = np.isfinite(value)
        if judged.sum() < MIN_JUDGED:
            break
        centre = float(np.median(value[judged]))
        spread = _mad(value[judged])
        cutoff = centre + max(DISTANCE_MADS * spread, (DISTANCE_RATIO - 1.0) * centre)
        above = judged & (value > cutoff)
        if not above.any():
            break
        i = int(np.argmax(np.where(above, value, -np.inf)))
        z = (value[i] - centre) / spread if spread > 0 else np.inf
        reasons[i] = (
            f"far from its group: distance {value[i]:.1f} to the median profile of group "
            f"{str(labels[i])!r} is above {cutoff:.1f} (median distance {centre:.1f} plus the "
            f"larger of 4 x MAD = {DISTANCE_MADS * spread:.1f} and half the median; "
            f"robust z = {z:.1f})"
        )
        at_flag[i] = float(value[i])
        active[i] = False
    for i, v in at_flag.items():
        value[i] = v
    return value, reasons


def _transform(counts: pd.DataFrame, sf: np.ndarray) -> tuple[pd.DataFrame, str]:
    """Blind VST, or log2(normalized counts + 1) where DESeq2's trend cannot be fitted."""
    try:
        return variance_stabilizing_transformation(counts.astype(float)), "vst"
    except AnalysisError as err:
        values = counts.to_numpy(dtype=float)
        if np.isfinite(sf).all():
            factors = sf
            how = "size factors"
        else:
            library = values.sum(axis=0)
            factors = library / np.exp(np.mean(np.log(library)))
            how = "library sizes"
        msg = (
            f"the blind variance-stabilising transformation failed ({err}); quality control "
            f"uses log2(counts / {how} + 1) instead"
        )
        warnings.warn(msg, QCWarning, stacklevel=3)
        logged = np.log2(values / factors + 1.0)
        return pd.DataFrame(logged, index=counts.index, columns=counts.columns), "log2"


def _fmt_count(value: float) -> str:
    return f"{value:,.0f}"


def _small_libraries(library: np.ndarray) -> dict[int, str]:
    """Rule 1: libraries below 1/5 of the median library size."""
    median = float(np.median(library))
    cutoff = LIBRARY_FRACTION * median
    return {
        int(i): (
            f"small library: {_fmt_count(library[i])} counts, below 1/5 of the median library "
            f"size {_fmt_count(median)} (cutoff {_fmt_count(cutoff)})"
        )
        for i in np.flatnonzero(library < cutoff)
    }


def count_qc(
    counts: pd.DataFrame,
    *,
    vst: pd.DataFrame | None = None,
    samples: pd.DataFrame | None = None,
    group: str | None = None,
    n_top: int = 500,
) -> CountQC:
    """Measure the libraries of a count matrix and flag outlying samples.

    Parameters
    ----------
    counts : DataFrame of shape (G, N)
        Raw counts; index = gene ids, columns = samples.
    vst : DataFrame, optional
        Variance-stabilised (log2-scale) values of the same genes and samples,
        e.g. from `variance_stabilizing_transformation` with a fit; default the
        blind VST of `counts`.
    samples : DataFrame, optional
        Sample sheet indexed by sample name; needed with `group`.
    group : str, optional
        Column of `samples` that groups the samples (e.g. ``"condition"``):
        correlations are then judged within groups and rule 3 applies.
    n_top : int
        Genes of highest variance used for correlation and PCA (DESeq2's
        ``ntop``).

    Returns
    -------
    CountQC

    Raises
    ------
    InputError
        Negative or missing counts, fewer than 2 samples or genes, a `vst`
        without the count matrix's samples, or a `group` not in `samples`.
    AnalysisError
        Fewer than 2 samples with any counts.
    """
    values = _check_counts(counts)
    if n_top < 2:
        msg = f"n_top must be at least 2, got {n_top}"
        raise InputError(msg)
    names = pd.Index(counts.columns)
    labels = _groups(samples, group, names)

    library = values.sum(axis=0)
    if np.array_equal(values, np.round(values)):
        library = library.astype(np.int64)
    detected = (values > 0).sum(axis=0)
    ordered = -np.sort(-values, axis=0)[:TOP_GENES]
    with np.errstate(invalid="ignore", divide="ignore"):
        top_percent = np.where(library > 0, 100.0 * ordered.sum(axis=0) / library, np.nan)

    present = library > 0
    if present.sum() < 2:
        msg = f"only {int(present.sum())} sample(s) have any counts; nothing to compare"
        raise AnalysisError(msg)
    sf = np.full(len(names), np.nan)
    with contextlib.suppress(AnalysisError):  # no gene counted in every sample: NaN
        sf[present] = size_factors(values[:, present])

    if vst is None:
        transformed, transform = _transform(counts.loc[:, present], sf[present])
    else:
        transformed, transform = _check_vst(vst, counts).loc[:, present], "given"
    vst_values = transformed.to_numpy(dtype=float)
    rows = _top_variable(vst_values, n_top)
    x = vst_values[rows].T  # samples x genes
    kept_names = names[present]
    with np.errstate(invalid="ignore", divide="ignore"):
        corr_present = np.corrcoef(x)
    correlation = np.full((len(names), len(names)), np.nan)
    correlation[np.ix_(present, present)] = corr_present

    scores, loadings, variance = _pca(x)
    pcs = [f"PC{k + 1}" for k in range(scores.shape[1])]
    pca = pd.DataFrame(np.nan, index=names, columns=pcs)
    pca.loc[kept_names] = scores
    total = variance.sum()
    percent = 100.0 * variance / total if total > 0 else np.full(variance.shape, np.nan)

    label_array = labels.to_numpy() if labels is not None else None
    kept = np.flatnonzero(present)
    reasons: list[list[str]] = [[] for _ in names]
    for i, text in _small_libraries(library.astype(float)).items():
        reasons[i].append(text)
    median_corr = np.full(len(names), np.nan)
    median_corr[present], low = _low_correlation(
        corr_present, label_array[present] if label_array is not None else None
    )
    for k, text in low.items():
        reasons[kept[k]].append(text)
    distance = np.full(len(names), np.nan)
    if label_array is not None:
        distance[present], far = _far_from_group(x, label_array[present])
        for k, text in far.items():
            reasons[kept[k]].append(text)
    for empty in np.flatnonzero(~present):
        reasons[empty] = ["empty library: no counts"]

    columns: dict[str, object] = {}
    if labels is not None:
        columns["group"] = labels.to_numpy()
    columns.update(
        {
            "library_size": library,
            "detected_genes": detected,
            "top100_percent": top_percent,
            "size_factor": sf,
            "median_correlation": median_corr,
            "group_distance": distance,
        }
    )
    table = pd.DataFrame(columns, index=names)
    table["outlier"] = [bool(r) for r in reasons]
    table["outlier_reason"] = ["; ".join(r) for r in reasons]
    return CountQC(
        table=table,
        correlation=pd.DataFrame(correlation, index=names, columns=names),
        pca=pca,
        variance_explained=pd.Series(percent, index=pcs, name="percent_variance"),
        loadings=pd.DataFrame(loadings, index=transformed.index[rows], columns=pcs),
        n_top=len(rows),
        group=group,
        transform=transform,
    )
