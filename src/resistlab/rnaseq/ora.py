"""Over-representation analysis: whether a gene list is enriched for a gene set.

For a list of genes of interest (say, up in the resistant line at 5 % FDR)
drawn from a universe of measured genes, the overlap with each set is
compared with the hypergeometric distribution: with ``M`` genes in the
universe, ``n`` of them in the set and ``N`` in the list, the p-value of an
overlap ``k`` is ``P(X >= k)``, X ~ Hypergeometric(M, n, N) -- the one-sided
Fisher exact test of the 2x2 table (in list / not) x (in set / not).
P-values are adjusted across sets by Benjamini-Hochberg (1995).

The universe matters: it must be the genes that *could* have been in the
list (those tested for differential expression), not the genome. Sets and
list are both restricted to it; a list gene outside the universe is
dropped (`OraResult.dropped` names them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from resistlab.errors import AnalysisError, InputError
from resistlab.rnaseq.genesets import GeneSets, as_gene_sets

__all__ = ["OraResult", "benjamini_hochberg", "over_representation"]


def benjamini_hochberg(pvalues: ArrayLike) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (step-up FDR), NaN kept in place.

    Parameters
    ----------
    pvalues : array_like of shape (N,)
        P-values in [0, 1]; NaN entries are ignored and stay NaN.

    Returns
    -------
    ndarray of shape (N,)
        ``min(1, min_{j >= i} p_(j) m / j)`` for the i-th smallest p-value,
        with m the number of non-NaN p-values.

    Examples
    --------
    >>> benjamini_hochberg([0.01, 0.04, 0.03, np.nan]).round(3).tolist()
    [0.03, 0.04, 0.04, nan]
    """
    p = np.asarray(pvalues, dtype=float)
    if p.ndim != 1:
        msg = f"pvalues must be one-dimensional, got shape {p.shape}"
        raise ValueError(msg)
    out = np.full(p.shape, np.nan)
    finite = ~np.isnan(p)
    m = int(finite.sum())
    if m == 0:
        return out
    values = p[finite]
    if values.min() < 0 or values.max() > 1:
        msg = "p-values must lie in [0, 1]"
        raise ValueError(msg)
    order = np.argsort(values, kind="stable")
    scaled = values[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    result = np.empty(m)
    result[order] = np.minimum(adjusted, 1.0)
    out[finite] = result
    return out


@dataclass(frozen=True)
class OraResult:
    """Over-representation of a gene list in each gene set.

    Attributes
    ----------
    terms : tuple of str
        Gene sets with at least one gene in the universe, in collection order.
    size : ndarray of int, shape (S,)
        Genes of the set in the universe (``n``).
    overlap : ndarray of int, shape (S,)
        Genes of the list in the set (``k``).
    expected : ndarray of shape (S,)
        Overlap expected by chance, ``n N / M``.
    odds_ratio : ndarray of shape (S,)
        Sample odds ratio of the 2x2 table, ``k (M - n - N + k) / ((n - k) (N - k))``
        (inf when a denominator cell is empty), as `scipy.stats.fisher_exact`.
    pvalue : ndarray of shape (S,)
        Hypergeometric upper tail ``P(X >= k)``.
    fdr : ndarray of shape (S,)
        Benjamini-Hochberg adjusted across the sets.
    genes : tuple of tuple of str
        The overlapping genes per set, in set order.
    n_query, n_universe : int
        ``N`` and ``M``.
    dropped : tuple of str
        List genes not in the universe (left out).
    """

    terms: tuple[str, ...]
    size: np.ndarray
    overlap: np.ndarray
    expected: np.ndarray
    odds_ratio: np.ndarray
    pvalue: np.ndarray
    fdr: np.ndarray
    genes: tuple[tuple[str, ...], ...]
    n_query: int
    n_universe: int
    dropped: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per set, smallest p-value first; ``genes`` is ``";"``-joined."""
        frame = pd.DataFrame(
            {
                "term": list(self.terms),
                "size": self.size,
                "overlap": self.overlap,
                "expected": self.expected,
                "odds_ratio": self.odds_ratio,
                "pvalue": self.pvalue,
                "fdr": self.fdr,
                "genes": [";".join(g) for g in self.genes],
            }
        )
        order = np.lexsort((-self.overlap, self.pvalue))
        return frame.iloc[order].reset_index(drop=True)


def _as_gene_list(genes: Iterable[str], what: str) -> list[str]:
    if isinstance(genes, str):
        msg = f"{what} must be a collection of gene symbols, not a single string"
        raise TypeError(msg)
    return list(dict.fromkeys(str(g) for g in genes))


def over_representation(
    genes: Iterable[str],
    gene_sets: GeneSets | Mapping[str, Iterable[str]],
    *,
    universe: Iterable[str],
) -> OraResult:
    """Test each gene set for over-representation in a gene list (hypergeometric).

    Parameters
    ----------
    genes : iterable of str
        The genes of interest (duplicates count once).
    gene_sets : GeneSets or mapping of str to iterable of str
        The sets to test, e.g. ``load_gene_sets("resistance")``.
    universe : iterable of str
        Every gene that could have been in `genes` (the genes tested).

    Returns
    -------
    OraResult

    Raises
    ------
    InputError
        If the universe is empty or no list gene is in it.
    AnalysisError
        If no gene set has a gene in the universe.

    Examples
    --------
    >>> universe = [f"G{i}" for i in range(100)]
    >>> sets = {"A": universe[:10], "B": universe[50:60]}
    >>> result = over_representation(universe[:8] + ["G70"], sets, universe=universe)
    >>> result.to_frame()[["term", "overlap", "size"]].values.tolist()
    [['A', 8, 10], ['B', 0, 10]]
    """
    universe_list = _as_gene_list(universe, "universe")
    if not universe_list:
        msg = "the universe is empty"
        raise InputError(msg)
    in_universe = set(universe_list)
    query = _as_gene_list(genes, "genes")
    kept = [g for g in query if g in in_universe]
    dropped = tuple(g for g in query if g not in in_universe)
    if not kept:
        msg = (
            f"none of the {len(query)} genes is in the universe of {len(universe_list)} genes "
            "(do both use the same identifiers, e.g. HGNC symbols?)"
        )
        raise InputError(msg)
    query_set = set(kept)
    sets = as_gene_sets(gene_sets)
    terms: list[str] = []
    sizes: list[int] = []
    overlaps: list[tuple[str, ...]] = []
    for name, members in sets.items():
        present = [g for g in members if g in in_universe]
        if not present:
            continue
        terms.append(name)
        sizes.append(len(present))
        overlaps.append(tuple(g for g in present if g in query_set))
    if not terms:
        msg = "no gene set has a gene in the universe (do they use the same identifiers?)"
        raise AnalysisError(msg)
    m_total, n_query = len(universe_list), len(kept)
    size = np.array(sizes, dtype=np.int64)
    k = np.array([len(o) for o in overlaps], dtype=np.int64)
    pvalue = stats.hypergeom.sf(k - 1, m_total, size, n_query)
    pvalue = np.clip(pvalue, 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = (k * (m_total - size - n_query + k)) / ((size - k) * (n_query - k))
    return OraResult(
        terms=tuple(terms),
        size=size,
        overlap=k,
        expected=size * n_query / m_total,
        odds_ratio=odds,
        pvalue=pvalue,
        fdr=benjamini_hochberg(pvalue),
        genes=tuple(overlaps),
        n_query=n_query,
        n_universe=m_total,
        dropped=dropped,
    )
