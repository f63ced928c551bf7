"""Block summaries and replicate statistics, with an independent Bliss scorer as the model."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from resistlab.synergy import DoseMatrices
from resistlab.synergy.summary import (
    bootstrap_synergy,
    combination_mean,
    compare_synergy,
    most_synergistic_area,
)

DOSES = np.r_[0.0, 1e-8 * 3.0 ** np.arange(7)]


@dataclass
class Scored:
    synergy: np.ndarray


def bliss(m: DoseMatrices) -> Scored:
    """Bliss excess from the observed monotherapy row and column (independent of the package)."""
    y = m.mean_response
    y1 = y[:, :, :1]  # drug 1 alone (column 0)
    y2 = y[:, :1, :]  # drug 2 alone (row 0)
    return Scored(y - (y1 + y2 - y1 * y2 / 100.0))


def hill(dose, ec50, h=1.0):
    return 100.0 * dose**h / (dose**h + ec50**h)


def blocks(rng, extra: list[float], *, reps=3, noise=3.0) -> DoseMatrices:
    b = len(extra)
    y1 = hill(DOSES, 1e-7)[:, None]
    y2 = hill(DOSES, 3e-7)[None, :]
    surface = y1 + y2 - y1 * y2 / 100.0
    combo = (DOSES[:, None] > 0) & (DOSES[None, :] > 0)
    response = np.empty((b, reps, DOSES.size, DOSES.size))
    for i, e in enumerate(extra):
        response[i] = surface + e * combo + rng.normal(0, noise, (reps, DOSES.size, DOSES.size))
    return DoseMatrices(
        tuple(f"b{i}" for i in range(b)),
        ("A",) * b,
        ("B",) * b,
        np.tile(DOSES, (b, 1)),
        np.tile(DOSES, (b, 1)),
        response,
    )


def test_most_synergistic_area_matches_brute_force(rng):
    m = blocks(rng, [0.0, 5.0])
    s = rng.normal(0, 10, m.mean_response.shape)
    value, row, col = most_synergistic_area(m, s)
    for b in range(2):
        best = max(
            (s[b, i : i + 3, j : j + 3].mean(), i, j)
            for i in range(1, DOSES.size - 2)
            for j in range(1, DOSES.size - 2)
        )
        assert value[b] == pytest.approx(best[0])
        assert (row[b], col[b]) == best[1:]


def test_bootstrap_recovers_added_synergy_and_its_absence(rng):
    m = blocks(rng, [0.0, 10.0])
    boot = bootstrap_synergy(m, bliss, n_boot=400, seed=1)
    assert boot.low[1] < 10.0 < boot.high[1]
    assert boot.p_value[1] < 0.01
    assert boot.low[0] < 0.0 < boot.high[0]
    assert boot.p_value[0] > 0.05
    np.testing.assert_allclose(boot.mean, combination_mean(m, bliss(m).synergy))


def test_bootstrap_interval_coverage(rng):
    hits = 0
    trials = 60
    for t in range(trials):
        m = blocks(rng, [4.0])
        boot = bootstrap_synergy(m, bliss, n_boot=200, seed=t)
        hits += boot.low[0] <= 4.0 <= boot.high[0]
    # nominal 95 %; percentile bootstrap with 3 replicates runs a little narrow
    assert hits / trials >= 0.8


def test_parental_versus_resistant_difference(rng):
    m = blocks(rng, [0.0, 15.0])
    diff = compare_synergy(m, bliss, block_a="b0", block_b="b1", n_boot=400, seed=2)
    assert diff.low < 15.0 < diff.high
    assert diff.p_value < 0.01
    with pytest.raises(ValueError, match="block 'x' not found"):
        compare_synergy(m, bliss, block_a="x", block_b="b1")


def test_resamples_draw_each_wells_replicates_with_replacement(rng):
    from resistlab.synergy.summary import resample_replicates

    m = blocks(rng, [0.0])
    m.response[0, 2, 3, 4] = np.nan  # a well with two replicates
    stacked = resample_replicates(m, 50, np.random.default_rng(1))
    assert stacked.response.shape == (50, 3, DOSES.size, DOSES.size)
    # every resampled value is one of its well's replicates, and wells keep their count
    original = m.response[0]
    for draw in stacked.response:
        assert np.array_equal(np.isnan(draw), np.isnan(original))
        same = np.isclose(draw[:, None], original[None, :], rtol=0, atol=0)
        assert np.all(same.any(axis=1) | np.isnan(draw))
    # with replacement: some resample repeats a replicate of some well
    assert any(len(np.unique(d[:, 1, 1])) < 3 for d in stacked.response)


def test_fitted_models_bootstrap_on_small_matrices(rng):
    """4 x 4 triplicates: resamples keep the replicates, so ZIP's fits work on every one."""
    from resistlab.synergy.models import zip_score

    doses = np.r_[0.0, 1e-8, 1e-7, 1e-6]
    y1 = hill(doses, 1e-7)[:, None]
    y2 = hill(doses, 3e-7)[None, :]
    surface = y1 + y2 - y1 * y2 / 100.0
    combo = (doses[:, None] > 0) & (doses[None, :] > 0)
    response = (surface + 12.0 * combo + rng.normal(0, 2.0, (3, 4, 4)))[None]
    m = DoseMatrices(("b",), ("A",), ("B",), doses[None], doses[None], response)
    boot = bootstrap_synergy(m, zip_score, n_boot=100, seed=2)
    assert np.isfinite(boot.replicates).all()
    assert boot.low[0] > 0  # the planted 12 points of synergy are found
