"""Pathway activity from PROGENy footprints (Schubert et al. 2018, Nat Commun 9:20).

PROGENy weighs, for 14 signalling pathways (Androgen, EGFR, Estrogen,
Hypoxia, JAK-STAT, MAPK, NFkB, p53, PI3K, TGFb, TNFa, Trail, VEGF, WNT), how
much each gene's expression responds when the pathway is perturbed: a
*footprint* of downstream genes learned from hundreds of perturbation
experiments, rather than the pathway's own members. The weights ship with
ResistLab (``data/progeny_human_top500.csv.gz``: the 500 most responsive
genes per pathway of Bioconductor progeny 1.20's ``model_human_full``,
Apache-2.0).

- `progeny_model` builds the genes x pathways weight matrix from the top
  `top` genes per pathway by p-value (zero elsewhere), as the R package's
  ``getModel(top = 100)``.
- `pathway_activity` scores one contrast: a differential-expression
  statistic per gene (the Wald statistic of resistant vs parental) is
  regressed on all pathways' weights at once, ``stat ~ 1 + weights``, over
  the footprint genes measured (decoupleR's multivariate linear model,
  Badia-i-Mompel et al. 2022, Bioinform Adv 2:vbac016). A pathway's score is
  the t-value of its coefficient: positive when the genes it induces are up
  and those it represses are down, adjusted for the other pathways' shared
  genes; the p-value is the t-test's, two-sided.
- `sample_activity` scores each sample, as R ``progeny(expr, scale = TRUE)``:
  genes centred and scaled across samples, multiplied by the weight
  matrix, and each pathway's scores centred and scaled across samples.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd
from scipy import stats

from resistlab.errors import AnalysisError, InputError

__all__ = [
    "PROGENY_PATHWAYS",
    "PathwayActivity",
    "SampleActivity",
    "pathway_activity",
    "progeny_model",
    "sample_activity",
]

#: The 14 PROGENy pathways, in the order of the R package's model matrix.
PROGENY_PATHWAYS = (
    "Androgen",
    "EGFR",
    "Estrogen",
    "Hypoxia",
    "JAK-STAT",
    "MAPK",
    "NFkB",
    "p53",
    "PI3K",
    "TGFb",
    "TNFa",
    "Trail",
    "VEGF",
    "WNT",
)
_DATA_FILE = "progeny_human_top500.csv.gz"
_MAX_TOP = 500


@functools.cache
def _weights_long() -> pd.DataFrame:
    source = resources.files("resistlab.rnaseq").joinpath("data", _DATA_FILE)
    with resources.as_file(source) as path:
        table = pd.read_csv(path)
    return table.rename(columns={"source": "pathway", "target": "gene", "p.value": "p_value"})


def progeny_model(top: int = 100) -> pd.DataFrame:
    """PROGENy human weights of the `top` genes per pathway, as a genes x pathways matrix.

    Parameters
    ----------
    top : int
        Genes kept per pathway, the smallest p-values first (ties in file
        order); the R package's default is 100. At most 500 (what ships).

    Returns
    -------
    DataFrame
        Index: gene symbols (sorted); columns: `PROGENY_PATHWAYS`; a gene
        outside a pathway's top genes weighs 0 there.

    Examples
    --------
    >>> model = progeny_model()
    >>> model.shape[1], int((model != 0).sum().min())
    (14, 100)
    >>> bool(model.loc["DUSP6", "MAPK"] > 0)
    True
    """
    if not 1 <= top <= _MAX_TOP:
        msg = f"top must be between 1 and {_MAX_TOP} (the shipped weights), got {top}"
        raise ValueError(msg)
    table = _weights_long()
    kept = table.sort_values("p_value", kind="stable").groupby("pathway", sort=False).head(top)
    matrix = kept.pivot(index="gene", columns="pathway", values="weight").fillna(0.0)
    matrix = matrix.reindex(columns=list(PROGENY_PATHWAYS)).sort_index()
    matrix.columns.name = None
    matrix.index.name = "gene"
    return matrix


def _check_model(model: pd.DataFrame | None) -> pd.DataFrame:
    if model is None:
        return progeny_model()
    if not isinstance(model, pd.DataFrame) or model.shape[1] == 0:
        msg = "model must be a genes x pathways DataFrame of weights (see progeny_model)"
        raise TypeError(msg)
    if model.index.has_duplicates:
        genes = model.index[model.index.duplicated()].unique()[:5]
        msg = f"model has duplicated genes: {', '.join(map(str, genes))}"
        raise InputError(msg)
    return model.astype(float)


def _check_genes(index: pd.Index, what: str) -> None:
    if index.has_duplicates:
        genes = index[index.duplicated()].unique()[:5]
        msg = (
            f"{what} has duplicated gene names ({', '.join(map(str, genes))}); "
            "collapse them (e.g. keep the highest-expressed Ensembl id per symbol) first"
        )
        raise InputError(msg)


@dataclass(frozen=True)
class PathwayActivity:
    """PROGENy pathway scores of one contrast.

    Attributes
    ----------
    pathways : tuple of str
    score : ndarray of shape (P,)
        t-value of the pathway's coefficient (the PROGENy activity score).
    coefficient : ndarray of shape (P,)
        The coefficient: change in the statistic per unit of weight.
    se : ndarray of shape (P,)
        Its standard error.
    pvalue : ndarray of shape (P,)
        Two-sided t-test p-value, ``n_genes - P - 1`` degrees of freedom.
    fdr : ndarray of shape (P,)
        Benjamini-Hochberg adjusted p-values across the pathways.
    n_genes : int
        Footprint genes measured (the rows of the regression).
    """

    pathways: tuple[str, ...]
    score: np.ndarray
    coefficient: np.ndarray
    se: np.ndarray
    pvalue: np.ndarray
    fdr: np.ndarray
    n_genes: int

    def to_frame(self) -> pd.DataFrame:
        """One row per pathway, highest |score| first."""
        frame = pd.DataFrame(
            {
                "pathway": list(self.pathways),
                "score": self.score,
                "coefficient": self.coefficient,
                "se": self.se,
                "pvalue": self.pvalue,
                "fdr": self.fdr,
                "n_genes": self.n_genes,
            }
        )
        order = np.argsort(-np.abs(self.score), kind="stable")
        return frame.iloc[order].reset_index(drop=True)


def pathway_activity(stat: pd.Series, *, model: pd.DataFrame | None = None) -> PathwayActivity:
    """Score pathway activity of a contrast with a multivariate linear model of footprints.

    Parameters
    ----------
    stat : Series
        A statistic per gene, indexed by HGNC symbol: the Wald statistic of
        a differential-expression contrast (sign: up in the numerator
        condition). Genes with NaN are left out.
    model : DataFrame, optional
        Genes x pathways weights; default ``progeny_model(top=100)``.

    Returns
    -------
    PathwayActivity

    Raises
    ------
    InputError
        If gene names repeat.
    AnalysisError
        If fewer footprint genes are measured than pathways + 2, or the
        weight columns are collinear on the measured genes.

    Examples
    --------
    >>> model = progeny_model()
    >>> stat = 2.0 * model["MAPK"] - 1.0 * model["TNFa"]
    >>> activity = pathway_activity(stat + 0.01 * np.cos(np.arange(len(stat))))
    >>> activity.to_frame()["pathway"].head(2).tolist()
    ['MAPK', 'TNFa']
    """
    if not isinstance(stat, pd.Series):
        msg = f"stat must be a pandas Series indexed by gene symbol, got {type(stat).__name__}"
        raise TypeError(msg)
    weights = _check_model(model)
    values = pd.to_numeric(stat, errors="coerce").astype(float)
    _check_genes(values.index, "stat")
    values = values[np.isfinite(values.to_numpy())]
    common = weights.index.intersection(values.index, sort=False)
    n, p = len(common), weights.shape[1]
    if n < p + 2:
        msg = (
            f"only {n} of the model's {len(weights)} footprint genes are in stat; "
            f"need at least {p + 2} for {p} pathways (are genes named by HGNC symbol?)"
        )
        raise AnalysisError(msg)
    y = values.loc[common].to_numpy()
    design = np.column_stack([np.ones(n), weights.loc[common].to_numpy()])
    rank = np.linalg.matrix_rank(design)
    if rank < p + 1:
        msg = (
            f"the pathway weights are collinear on the {n} measured footprint genes "
            f"(rank {rank} < {p + 1}); use a larger model (top) or fewer pathways"
        )
        raise AnalysisError(msg)
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ beta
    dof = n - p - 1
    sigma2 = float(residual @ residual) / dof
    covariance = sigma2 * np.linalg.inv(design.T @ design)
    se = np.sqrt(np.diag(covariance))[1:]
    coefficient = beta[1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = coefficient / se
    pvalue = 2.0 * stats.t.sf(np.abs(t), dof)
    from resistlab.rnaseq.ora import benjamini_hochberg

    return PathwayActivity(
        pathways=tuple(str(c) for c in weights.columns),
        score=t,
        coefficient=coefficient,
        se=se,
        pvalue=pvalue,
        fdr=benjamini_hochberg(pvalue),
        n_genes=n,
    )


@dataclass(frozen=True)
class SampleActivity:
    """PROGENy pathway scores per sample.

    Attributes
    ----------
    scores : DataFrame
        Samples x pathways; each pathway centred and scaled across samples.
    n_genes : int
        Footprint genes used (measured and not constant across samples).
    """

    scores: pd.DataFrame
    n_genes: int

    def to_frame(self) -> pd.DataFrame:
        """One row per (sample, pathway): ``sample``, ``pathway``, ``score``."""
        n_samples, n_pathways = self.scores.shape
        return pd.DataFrame(
            {
                "sample": np.repeat(self.scores.index.to_numpy(), n_pathways),
                "pathway": np.tile(self.scores.columns.to_numpy(), n_samples),
                "score": self.scores.to_numpy().ravel(),
            }
        )


def sample_activity(
    expression: pd.DataFrame, *, model: pd.DataFrame | None = None
) -> SampleActivity:
    """Score pathway activity per sample, as R ``progeny(expr, scale = TRUE)``.

    Each footprint gene is centred and scaled across samples (standard
    deviation with n - 1), the samples x genes matrix is multiplied by the
    genes x pathways weights, and each pathway's scores are centred and
    scaled across samples. Genes constant across samples carry no
    information and are left out (R would turn them into NaN).

    Parameters
    ----------
    expression : DataFrame
        Genes x samples, on a log-like scale (variance-stabilised counts,
        log-CPM), indexed by HGNC symbol.
    model : DataFrame, optional
        Genes x pathways weights; default ``progeny_model(top=100)``.

    Returns
    -------
    SampleActivity

    Raises
    ------
    InputError
        If gene names repeat, values are missing, or fewer than 2 samples.
    AnalysisError
        If no footprint gene varies across the samples.

    Examples
    --------
    >>> model = progeny_model()
    >>> expr = pd.DataFrame({"a": model["WNT"], "b": -model["WNT"], "c": 0.0 * model["WNT"]})
    >>> sample_activity(expr).scores["WNT"].round(2).tolist()
    [1.0, -1.0, 0.0]
    """
    if not isinstance(expression, pd.DataFrame):
        msg = "expression must be a genes x samples DataFrame"
        raise TypeError(msg)
    weights = _check_model(model)
    _check_genes(expression.index, "expression")
    if expression.shape[1] < 2:
        msg = f"need at least 2 samples to scale across samples, got {expression.shape[1]}"
        raise InputError(msg)
    common = weights.index.intersection(expression.index, sort=False)
    data = expression.loc[common].astype(float)
    missing = data.isna().any(axis=1)
    if missing.any():
        genes = ", ".join(map(str, data.index[missing][:5]))
        msg = f"expression has missing values for genes {genes}"
        raise InputError(msg)
    values = data.to_numpy()
    sd = values.std(axis=1, ddof=1)
    varying = sd > 0
    if not varying.any():
        msg = "no footprint gene of the model varies across the samples"
        raise AnalysisError(msg)
    values = values[varying]
    z = (values - values.mean(axis=1, keepdims=True)) / sd[varying, None]
    raw = z.T @ weights.loc[common[varying]].to_numpy()
    spread = raw.std(axis=0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = (raw - raw.mean(axis=0)) / spread
    scores = pd.DataFrame(scaled, index=expression.columns, columns=weights.columns)
    return SampleActivity(scores=scores, n_genes=int(varying.sum()))
