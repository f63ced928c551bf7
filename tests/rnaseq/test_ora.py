from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from resistlab.errors import AnalysisError, InputError
from resistlab.io.genesets import load_gene_sets
from resistlab.rnaseq.ora import benjamini_hochberg, over_representation


@pytest.fixture
def universe():
    return [f"G{i}" for i in range(2000)]


def test_pvalues_and_odds_ratios_match_fisher_exact(rng, universe):
    sets = {
        f"S{j}": list(rng.choice(universe, size=int(rng.integers(5, 200)), replace=False))
        for j in range(25)
    }
    sets["enriched"] = universe[:60]
    query = universe[:40] + list(rng.choice(universe[60:], size=150, replace=False))
    result = over_representation(query, sets, universe=universe)
    m, n_query = len(universe), len(set(query))
    for term, size, k, p, odds in zip(
        result.terms, result.size, result.overlap, result.pvalue, result.odds_ratio, strict=True
    ):
        table = [[k, n_query - k], [size - k, m - n_query - size + k]]
        fisher = stats.fisher_exact(table, alternative="greater")
        assert p == pytest.approx(fisher.pvalue, rel=1e-9, abs=1e-300), term
        assert odds == pytest.approx(fisher.statistic, rel=1e-12), term
    frame = result.to_frame()
    assert frame["term"].iloc[0] == "enriched"
    assert frame["overlap"].iloc[0] == 40 and frame["fdr"].iloc[0] < 1e-20
    assert frame["genes"].iloc[0].split(";")[:3] == ["G0", "G1", "G2"]
    assert np.all(np.diff(frame["pvalue"]) >= 0)
    assert result.expected[result.terms.index("enriched")] == pytest.approx(60 * 190 / 2000)


def test_benjamini_hochberg_matches_scipy(rng):
    p = np.concatenate([rng.uniform(size=200), rng.uniform(0, 1e-3, size=20), [0.0, 1.0, 0.5]])
    rng.shuffle(p)
    expected = stats.false_discovery_control(p, method="bh")
    np.testing.assert_allclose(benjamini_hochberg(p), expected, rtol=1e-12)
    with_nan = np.insert(p, [3, 10], np.nan)
    adjusted = benjamini_hochberg(with_nan)
    assert np.isnan(adjusted[[3, 11]]).all()
    np.testing.assert_allclose(adjusted[~np.isnan(with_nan)], expected, rtol=1e-12)
    assert np.isnan(benjamini_hochberg([np.nan])).all()
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        benjamini_hochberg([0.5, 1.2])


def test_query_and_sets_are_restricted_to_the_universe(universe):
    sets = {"A": [*universe[:10], "NOT_MEASURED"], "B": ["ALSO_NOT"], "C": universe[100:110]}
    result = over_representation([*universe[:5], "STRAY", "G0"], sets, universe=universe)
    assert result.terms == ("A", "C")  # B has no gene in the universe
    assert result.n_query == 5 and result.n_universe == 2000
    assert result.dropped == ("STRAY",)
    assert result.size.tolist() == [10, 10]
    assert result.genes[0] == ("G0", "G1", "G2", "G3", "G4")
    assert result.odds_ratio[1] == 0.0 and result.pvalue[1] == 1.0


def test_errors(universe):
    with pytest.raises(InputError, match="none of the 2 genes is in the universe"):
        over_representation(["X", "Y"], {"A": universe[:5]}, universe=universe)
    with pytest.raises(InputError, match="universe is empty"):
        over_representation(["X"], {"A": ["X"]}, universe=[])
    with pytest.raises(AnalysisError, match="no gene set has a gene in the universe"):
        over_representation(universe[:3], {"A": ["X"]}, universe=universe)
    with pytest.raises(TypeError, match="not a single string"):
        over_representation("EGFR", {"A": ["EGFR"]}, universe=universe)


def test_resistance_signatures_recover_a_stat3_list():
    sets = load_gene_sets("resistance")
    wiki = load_gene_sets("wikipathways")
    universe = sorted(set(sets.genes) | set(wiki.genes))
    stat3 = list(sets["STAT3_TARGETS"][:15])
    frame = over_representation(stat3, sets, universe=universe).to_frame()
    assert frame["term"].iloc[0] == "STAT3_TARGETS"
    assert frame["fdr"].iloc[0] < 1e-10
