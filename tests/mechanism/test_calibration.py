"""The calibrated confidence is reliable on fresh simulated studies with known truth."""

from __future__ import annotations

import numpy as np
import pytest

from resistlab.mechanism.calibration import fit_platt, load_calibration, simulate_scores


@pytest.fixture(scope="module")
def fresh():
    # a seed the shipped constants were not fitted on
    return simulate_scores(500, seed=7)


def test_calibrated_confidence_matches_observed_frequency(fresh) -> None:
    calibration = load_calibration()
    predicted = calibration.confidence(fresh["score"].to_numpy())
    present = fresh["present"].to_numpy(dtype=float)
    bins = np.digitize(predicted, [0.2, 0.5, 0.8])
    checked = 0
    for b in range(4):
        members = bins == b
        if members.sum() < 40:
            continue
        checked += 1
        expected = predicted[members].mean()
        # within three binomial standard errors of the predicted frequency
        tolerance = 3 * np.sqrt(expected * (1 - expected) / members.sum())
        assert abs(present[members].mean() - expected) < tolerance, b
    assert checked >= 3
    # and it separates: present mechanisms score higher
    assert np.mean(predicted[present == 1]) > np.mean(predicted[present == 0]) + 0.4


def test_shipped_constants_are_reproduced_within_sampling_error(fresh) -> None:
    shipped = load_calibration()
    assert (shipped.seed, shipped.studies) == (20261122, 4000)
    slope, intercept = fit_platt(fresh["score"].to_numpy(), fresh["present"].to_numpy())
    assert slope == pytest.approx(shipped.slope, abs=0.35)
    assert intercept == pytest.approx(shipped.intercept, abs=0.5)


def test_raw_logistic_is_not_calibrated(fresh) -> None:
    """Without calibration a score of 0 would read as even odds; truth says otherwise."""
    flat = fresh[np.abs(fresh["score"]) < 0.05]
    assert len(flat) > 20
    assert flat["present"].mean() < 0.35
    assert load_calibration().confidence(0.0) < 0.35
