from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from resistlab.errors import AnalysisError, InputError
from resistlab.rnaseq.progeny import (
    PROGENY_PATHWAYS,
    pathway_activity,
    progeny_model,
    sample_activity,
)


def test_model_has_14_pathways_of_100_genes():
    model = progeny_model(top=100)
    assert tuple(model.columns) == PROGENY_PATHWAYS
    assert ((model != 0).sum() == 100).all()
    assert model.index.is_unique and model.index.is_monotonic_increasing
    assert ((progeny_model(top=500) != 0).sum() == 500).all()
    assert ((progeny_model(top=10) != 0).sum() == 10).all()
    # top genes are those with the smallest p-values, e.g. MAPK's DUSP6 (p ~ 3e-59)
    assert progeny_model(top=1).loc["DUSP6", "MAPK"] == pytest.approx(16.8590158280176)
    with pytest.raises(ValueError, match="between 1 and 500"):
        progeny_model(top=501)


def test_planted_pathways_get_the_top_scores_with_their_signs(rng):
    model = progeny_model()
    other = pd.Series(rng.normal(size=3000), index=[f"NOTFOOT{i}" for i in range(3000)])
    stat = 2.5 * model["JAK-STAT"] - 1.5 * model["MAPK"]
    stat = stat + rng.normal(scale=2.0, size=len(stat))
    stat = pd.concat([stat, other]).sample(frac=1.0, random_state=1)
    stat.iloc[:50] = np.nan  # genes without a statistic are left out
    activity = pathway_activity(stat)
    frame = activity.to_frame()
    assert frame["pathway"].iloc[:2].tolist() == ["JAK-STAT", "MAPK"]
    assert frame["score"].iloc[0] > 10 and frame["score"].iloc[1] < -5
    assert (frame["pvalue"].iloc[:2] < 1e-6).all() and (frame["fdr"].iloc[:2] < 1e-5).all()
    scores = frame.set_index("pathway")
    assert scores.loc["JAK-STAT", "coefficient"] == pytest.approx(2.5, rel=0.1)
    assert scores.loc["MAPK", "coefficient"] == pytest.approx(-1.5, rel=0.15)
    assert activity.n_genes == int((~stat.isna()).reindex(model.index, fill_value=False).sum())


def test_one_pathway_model_matches_scipy_linregress(rng):
    model = progeny_model()[["EGFR"]]
    stat = 0.7 * model["EGFR"] + rng.normal(size=len(model))
    activity = pathway_activity(stat, model=model)
    reference = stats.linregress(model["EGFR"].to_numpy(), stat.to_numpy())
    assert activity.coefficient[0] == pytest.approx(reference.slope, rel=1e-10)
    assert activity.se[0] == pytest.approx(reference.stderr, rel=1e-10)
    assert activity.score[0] == pytest.approx(reference.slope / reference.stderr, rel=1e-10)
    assert activity.pvalue[0] == pytest.approx(reference.pvalue, rel=1e-8)


def test_sample_activity_matches_a_direct_computation(rng):
    model = progeny_model()
    genes = list(model.index[::2]) + [f"EXTRA{i}" for i in range(200)]
    expression = pd.DataFrame(
        rng.normal(8.0, 2.0, size=(len(genes), 6)),
        index=genes,
        columns=[f"s{i}" for i in range(6)],
    )
    expression.iloc[0] = 5.0  # constant across samples: left out
    result = sample_activity(expression)

    used = [g for g in genes[1:] if g in model.index]
    x = expression.loc[used].to_numpy()
    z = (x - x.mean(axis=1, keepdims=True)) / x.std(axis=1, ddof=1, keepdims=True)
    raw = z.T @ model.loc[used].to_numpy()
    expected = (raw - raw.mean(axis=0)) / raw.std(axis=0, ddof=1)
    np.testing.assert_allclose(result.scores.to_numpy(), expected, rtol=1e-10, atol=1e-12)
    assert result.n_genes == len(used)
    tidy = result.to_frame()
    assert list(tidy.columns) == ["sample", "pathway", "score"]
    assert len(tidy) == 6 * 14


def test_errors():
    model = progeny_model()
    stat = pd.Series(1.0, index=["EGFR", "EGFR", "MYC"])
    with pytest.raises(InputError, match="duplicated gene names \\(EGFR\\)"):
        pathway_activity(stat)
    with pytest.raises(AnalysisError, match="only 2 of the model's"):
        pathway_activity(pd.Series([1.0, 2.0], index=model.index[:2]))
    with pytest.raises(TypeError, match="pandas Series"):
        pathway_activity(np.ones(3))  # type: ignore[arg-type]
    one_sample = pd.DataFrame({"a": 1.0}, index=model.index)
    with pytest.raises(InputError, match="at least 2 samples"):
        sample_activity(one_sample)
    gap = pd.DataFrame({"a": 1.0, "b": 2.0}, index=model.index)
    gap.iloc[3, 0] = np.nan
    with pytest.raises(InputError, match=f"missing values for genes {model.index[3]}"):
        sample_activity(gap)
