"""The calibrated confidence is reliable on fresh simulated studies with known truth."""

from __future__ import annotations

import numpy as np
import pytest

from resistlab.mechanism.calibration import (
    fit_isotonic,
    load_calibration,
    reliability,
    simulate_scores,
)


@pytest.fixture(scope="module")
def fresh():
    # a seed the shipped constants were not fitted on
    return simulate_scores(500, seed=7)


def test_calibrated_confidence_matches_observed_frequency(fresh) -> None:
    table = reliability(fresh["score"].to_numpy(), fresh["present"].to_numpy())
    table = table[table["n"] >= 30]
    assert len(table) >= 5
    # within three binomial standard errors of the predicted frequency, in every bin
    assert (table["z"].abs() < 3).all(), table
    # and it separates: present mechanisms score higher
    predicted = load_calibration().confidence(fresh["score"].to_numpy())
    present = fresh["present"].to_numpy()
    assert np.mean(predicted[present]) > np.mean(predicted[~present]) + 0.4


def test_shipped_map_is_monotone_and_reproduced_within_sampling_error(fresh) -> None:
    shipped = load_calibration()
    assert (shipped.seed, shipped.studies) == (20261122, 8000)
    assert np.all(np.diff(shipped.scores) > 0)
    assert np.all(np.diff(shipped.confidences) >= 0)
    assert min(shipped.confidences) >= 0.01 and max(shipped.confidences) <= 0.99
    # a map fitted on the 500 fresh studies agrees with the shipped one where both have data
    knots, values = fit_isotonic(fresh["score"].to_numpy(), fresh["present"].to_numpy())
    grid = np.linspace(-2.0, 6.0, 17)
    fitted = np.interp(grid, knots, values)
    assert np.max(np.abs(fitted - shipped.confidence(grid))) < 0.2


def test_isotonic_fit_recovers_a_known_logistic() -> None:
    rng = np.random.default_rng(3)
    scores = rng.normal(0.0, 3.0, 20_000)
    truth = 1.0 / (1.0 + np.exp(-(0.8 * scores - 0.5)))
    present = rng.random(scores.size) < truth
    knots, values = fit_isotonic(scores, present)
    grid = np.linspace(-4.0, 4.0, 33)
    expected = 1.0 / (1.0 + np.exp(-(0.8 * grid - 0.5)))
    assert np.max(np.abs(np.interp(grid, knots, values) - expected)) < 0.06


def test_raw_logistic_is_not_calibrated(fresh) -> None:
    """Without calibration a score of 0 would read as even odds; truth says otherwise."""
    flat = fresh[np.abs(fresh["score"]) < 0.05]
    assert len(flat) > 20
    assert flat["present"].mean() < 0.35
    assert load_calibration().confidence(0.0) < 0.35
