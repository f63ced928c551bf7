from __future__ import annotations

import itertools
import warnings

import numba
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from resistlab.errors import AnalysisError, InputError
from resistlab.rnaseq.gsea import gsea_prerank


def running_sum(values, hit, weight):
    """Subramanian et al. 2005 running sum, written out step by step."""
    steps_hit = np.abs(values) ** weight if weight else np.ones_like(values)
    n_r = steps_hit[hit].sum()
    out, total = [], 0.0
    for v, h in zip(steps_hit, hit, strict=True):
        total += v / n_r if h else -1.0 / (len(values) - hit.sum())
        out.append(total)
    return np.array(out)


def graded_collection(seed=1, n_genes=5000, n_sets=30):
    """A ranking with sets of true effects from strongly down to strongly up."""
    rng = np.random.default_rng(seed)
    genes = np.array([f"G{i}" for i in range(n_genes)])
    ranking = pd.Series(rng.normal(size=n_genes), index=genes)
    sets = {}
    for j, shift in enumerate(np.linspace(-1.0, 1.0, n_sets)):
        members = rng.choice(n_genes, size=int(rng.integers(15, 150)), replace=False)
        ranking.iloc[members] += shift
        sets[f"S{j:02d}"] = list(genes[members])
    return ranking, sets


@pytest.mark.parametrize("weight", [0.0, 1.0, 1.5])
def test_es_and_leading_edge_follow_the_definition(rng, weight):
    genes = [f"G{i}" for i in range(300)]
    ranking = pd.Series(rng.normal(size=300), index=genes)
    sets = {"up": genes[:12] + genes[200:208], "down": genes[250:270], "mixed": genes[::15]}
    ranking.iloc[:12] += 2.0
    ranking.iloc[250:270] -= 1.5
    result = gsea_prerank(ranking, sets, permutations=20, weight=weight, min_size=5)
    ordered = ranking.sort_values(ascending=False)
    for term, es, edge in zip(result.terms, result.es, result.leading_edge, strict=True):
        hit = ordered.index.isin(sets[term])
        walk = running_sum(ordered.to_numpy(), hit, weight)
        peak = np.argmax(np.abs(walk))
        assert es == pytest.approx(walk[peak], abs=1e-12)
        np.testing.assert_allclose(result.running_sum(term), walk, atol=1e-12)
        side = ordered.index[: peak + 1] if es > 0 else ordered.index[peak + 1 :][::-1]
        assert edge == tuple(g for g in side if g in sets[term])
    assert result.es[0] > 0 and result.es[1] < 0


def test_planted_pathway_is_recovered_and_null_sets_are_not():
    rng = np.random.default_rng(2005)
    genes = np.array([f"G{i}" for i in range(10_000)])
    ranking = pd.Series(rng.normal(size=10_000), index=genes)
    sets = {f"NULL_{j}": list(rng.choice(genes, size=40, replace=False)) for j in range(19)}
    planted = list(rng.choice(genes, size=40, replace=False))
    ranking[planted] += 1.0
    sets["PLANTED"] = planted
    frame = gsea_prerank(ranking, sets, seed=7).to_frame()
    top = frame.iloc[0]
    assert top["term"] == "PLANTED" and top["nes"] > 2 and top["fdr"] < 0.05
    nulls = frame[frame["term"] != "PLANTED"].set_index("term")
    assert nulls.loc["NULL_0", "fdr"] >= 0.05
    assert (nulls["fdr"] < 0.05).sum() <= 1  # 19 random sets: at most one false discovery
    assert top["pvalue_tail"] < top["pvalue"]  # beyond the permutation resolution


def test_matches_gseapy_prerank():
    gseapy = pytest.importorskip(
        "gseapy", reason="gseapy is not installed (dev extra); GSEApy comparison skipped"
    )
    ranking, sets = graded_collection()
    ours = gsea_prerank(ranking, sets, permutations=1000, seed=3).to_frame().set_index("term")
    with warnings.catch_warnings():  # GSEApy's own pandas deprecations are not ours
        warnings.simplefilter("ignore")
        theirs = gseapy.prerank(
            rnk=ranking,
            gene_sets=sets,
            permutation_num=1000,
            min_size=15,
            max_size=500,
            threads=2,
            seed=11,
            outdir=None,
            no_plot=True,
            verbose=False,
        ).res2d.set_index("Term")
    theirs = theirs.loc[ours.index]
    # ES is deterministic: the same up to rounding
    np.testing.assert_allclose(ours["es"], theirs["ES"].astype(float), rtol=0, atol=1e-12)
    # NES differ only by permutation noise in the null means
    r = stats.pearsonr(ours["nes"], theirs["NES"].astype(float)).statistic
    assert r >= 0.999
    significant = theirs["FDR q-val"].astype(float) < 0.05
    assert (ours["fdr"][significant] < 0.1).all()
    for term in ours.index:
        assert set(ours.loc[term, "leading_edge"].split(";")) == set(
            theirs.loc[term, "Lead_genes"].split(";")
        )


def test_permutation_null_draws_uniform_random_sets():
    # 6 genes, sets of 2: 15 possible sets with distinct ES; each must be drawn equally often
    genes = list("abcdef")
    ranking = pd.Series([3.0, 2.5, 1.0, -0.5, -1.7, -4.0], index=genes)
    result = gsea_prerank(ranking, {"S": ["a", "f"]}, permutations=30_000, min_size=1, seed=5)
    exact = {}
    for pair in itertools.combinations(genes, 2):
        exact[pair] = gsea_prerank(ranking, {"S": list(pair)}, permutations=1, min_size=1).es[0]
    # pairs with equal ES are pooled: expected count = pairs with that ES / 15
    levels, multiplicity = np.unique(np.array(list(exact.values())).round(12), return_counts=True)
    drawn = result.null_es[0].round(12)
    counts = np.array([(drawn == level).sum() for level in levels])
    assert counts.sum() == drawn.size
    expected = multiplicity / 15 * drawn.size
    assert stats.chisquare(counts, expected).pvalue > 1e-3


def test_results_do_not_depend_on_threads_and_follow_the_seed():
    ranking, sets = graded_collection(seed=4, n_genes=2000, n_sets=6)
    threads = numba.get_num_threads()
    first = gsea_prerank(ranking, sets, permutations=200, seed=1)
    numba.set_num_threads(1)
    try:
        serial = gsea_prerank(ranking, sets, permutations=200, seed=1)
    finally:
        numba.set_num_threads(threads)
    np.testing.assert_array_equal(first.null_es, serial.null_es)
    other = gsea_prerank(ranking, sets, permutations=200, seed=2)
    assert not np.array_equal(first.null_es, other.null_es)
    np.testing.assert_array_equal(first.es, other.es)


def test_statistics_follow_their_definitions():
    ranking, sets = graded_collection(seed=5, n_genes=3000, n_sets=12)
    result = gsea_prerank(ranking, sets, permutations=500, seed=0)
    for s, (es, null) in enumerate(zip(result.es, result.null_es, strict=True)):
        same = null[null >= 0] if es >= 0 else null[null < 0]
        assert result.nes[s] == pytest.approx(es / np.abs(same).mean(), rel=1e-12)
        k = (np.abs(same) >= abs(es)).sum()
        assert result.pvalue[s] == pytest.approx((k + 1) / (same.size + 1))
    assert ((result.fdr >= 0) & (result.fdr <= 1)).all()
    frame = result.to_frame()
    assert list(frame.columns) == [
        "term", "size", "es", "nes", "pvalue", "pvalue_tail", "fdr", "leading_edge", "genes"
    ]  # fmt: skip
    assert np.all(np.diff(np.abs(frame["nes"])) <= 0)


def test_tail_pvalue_extends_beyond_the_permutation_resolution():
    ranking, sets = graded_collection()
    chosen = {"S24": sets["S24"]}  # true p ~ 2e-5 on this ranking
    small = gsea_prerank(ranking, chosen, permutations=1000, seed=0)
    large = gsea_prerank(ranking, chosen, permutations=200_000, seed=1)
    truth = large.pvalue[0]
    assert small.pvalue[0] > 10 * truth  # the permutation estimate cannot resolve it
    assert truth / 2 <= small.pvalue_tail[0] <= truth * 100  # conservative, not zero
    # where permutations resolve p, both estimates agree
    assert large.pvalue_tail[0] == large.pvalue[0] or large.pvalue[0] < 1e-4


def test_ties_keep_the_input_order():
    genes = ["d", "a", "c", "b", "e"]
    ranking = pd.Series([1.0, 2.0, 1.0, 1.0, -1.0], index=genes)
    result = gsea_prerank(ranking, {"S": ["c", "b"]}, permutations=5, min_size=1)
    assert list(result.ranking.index) == ["a", "d", "c", "b", "e"]
    assert result.genes == (("c", "b"),)


def test_input_errors():
    ranking = pd.Series([1.0, np.nan, 2.0, np.inf], index=["A", "B", "C", "D"])
    with pytest.raises(InputError, match="2 missing or infinite values \\(genes B, D\\)"):
        gsea_prerank(ranking, {"S": ["A"]})
    duplicated = pd.Series([1.0, 2.0, 3.0], index=["A", "A", "B"])
    with pytest.raises(InputError, match="duplicated genes \\(A\\)"):
        gsea_prerank(duplicated, {"S": ["A"]})
    fine = pd.Series(np.arange(30.0), index=[f"G{i}" for i in range(30)])
    with pytest.raises(AnalysisError, match="no gene set has between 15 and 500 genes"):
        gsea_prerank(fine, {"S": ["G1", "G2"], "T": ["X"]})
    with pytest.raises(ValueError, match="permutations must be at least 1"):
        gsea_prerank(fine, {"S": ["G1"]}, permutations=0)
    with pytest.raises(TypeError, match="pandas Series"):
        gsea_prerank(np.arange(3.0), {"S": ["A"]})  # type: ignore[arg-type]
    result = gsea_prerank(fine, {"S": ["G1", "G2"], "T": ["X"]}, min_size=2, permutations=10)
    assert dict(result.skipped) == {"T": 0}
