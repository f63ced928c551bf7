"""RI and CSS: known truth and SynergyFinder's published block values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from resistlab.dose_response import log_logistic_area
from resistlab.synergy import DoseMatrices, matrices_from_frame
from resistlab.synergy.sensitivity import sensitivity_scores

DOSES = np.r_[0.0, 1e-8 * 3.0 ** np.arange(6)]


def inhibition(dose, ec50, h=1.2, top=90.0):
    with np.errstate(divide="ignore"):
        return top * dose**h / (dose**h + ec50**h)


def test_ri_is_the_mean_fitted_inhibition_over_log_dose():
    y1 = inhibition(DOSES, 1e-7)
    y2 = inhibition(DOSES, 4e-7, h=0.8, top=70.0)
    response = (y1[:, None] + y2[None, :] - y1[:, None] * y2[None, :] / 100.0)[None, None]
    m = DoseMatrices(("b",), ("A",), ("B",), DOSES[None], DOSES[None], response)
    s = sensitivity_scores(m)
    lo, hi = DOSES[1], DOSES[-1]
    width = np.log(hi / lo)
    # inhibition = 0 + (top - 0) * (1 - 1/(1 + (x/e)^h)): an LL.4 with bottom=top%, top=0
    expected1 = log_logistic_area(lo, hi, hill_slope=1.2, bottom=90.0, top=0.0, ec50=1e-7) / width
    expected2 = log_logistic_area(lo, hi, hill_slope=0.8, bottom=70.0, top=0.0, ec50=4e-7) / width
    assert s.ri1[0] == pytest.approx(expected1, rel=1e-6)
    assert s.ri2[0] == pytest.approx(expected2, rel=1e-6)
    assert s.ic50_1[0] == pytest.approx(1e-7, rel=1e-6)


def test_css_equals_ri_when_the_partner_does_nothing():
    y1 = inhibition(DOSES, 1e-7)
    response = np.repeat(y1[:, None], DOSES.size, axis=1)[None, None]
    response[0, 0, :, 1:] += np.linspace(-1e-6, 1e-6, DOSES.size - 1)  # avoid a perfectly flat row
    m = DoseMatrices(("b",), ("A",), ("B",), DOSES[None], DOSES[None], response)
    s = sensitivity_scores(m)
    assert s.css1[0] == pytest.approx(s.ri1[0], abs=1e-3)


@pytest.mark.reference
def test_ri_close_to_synergyfinder(reference_dir):
    folder = reference_dir / "synergy"
    data = pd.read_csv(folder / "synergyfinder_mathews_screening_data.csv")
    expected = pd.read_csv(
        folder / "synergyfinder_mathews_Rv3.7.3_block_summary_with_sensitivity.csv"
    )
    s = sensitivity_scores(matrices_from_frame(data, kind="viability"))
    # SynergyFinder's values were computed on data with its added noise (noise=TRUE, seed=1),
    # which R's random stream makes irreproducible here: measured differences 0.1-2.9 points
    np.testing.assert_allclose(s.ri1, expected["ri_1"], atol=3.5)
    np.testing.assert_allclose(s.ri2, expected["ri_2"], atol=1.0)
