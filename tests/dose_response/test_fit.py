"""Fitting: known truth from a seeded generator, drc's published ryegrass values, properties."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import least_squares

from resistlab.dose_response import fit_curves, fit_hill, log_logistic

DOSES = 1e-5 / 3.0 ** np.arange(9)  # 10 uM top dose, 1:3 dilution


def simulate(rng: np.random.Generator, n: int, noise: float = 3.0):
    """n curves of 9 doses x 3 replicates with EC50 inside the tested range."""
    hill = rng.uniform(0.8, 2.5, n)
    bottom = rng.uniform(0.0, 30.0, n)
    top = rng.normal(100.0, 3.0, n)
    ec50 = 10 ** rng.uniform(np.log10(DOSES[6]), np.log10(DOSES[1]), n)
    x = np.tile(np.repeat(DOSES, 3), (n, 1))
    y = log_logistic(
        x, hill_slope=hill[:, None], bottom=bottom[:, None], top=top[:, None], ec50=ec50[:, None]
    )
    return x, y + rng.normal(0.0, noise, y.shape), (hill, bottom, top, ec50)


def test_exact_data_recovers_parameters():
    x = np.repeat(DOSES, 2)
    y = log_logistic(x, hill_slope=1.7, bottom=12.0, top=98.0, ec50=3e-7)
    fit = fit_hill(x, y)
    assert fit.converged[0]
    np.testing.assert_allclose(
        [fit.hill_slope[0], fit.bottom[0], fit.top[0], fit.ec50[0]],
        [1.7, 12.0, 98.0, 3e-7],
        rtol=1e-7,
    )


def test_noisy_batch_recovers_truth_within_standard_errors(rng):
    x, y, (_hill, _bottom, _top, ec50) = simulate(rng, 400)
    fits = fit_curves(x, y)
    assert fits.converged.mean() > 0.99
    z = (np.log(fits.ec50) - np.log(ec50)) / (fits.standard_errors[:, 3] / fits.ec50)
    # z-scores of the truth are ~ standard normal: coverage of +-1.96 near 95 %
    coverage = np.mean(np.abs(z) < 1.96)
    assert 0.90 < coverage < 0.99
    assert np.median(np.abs(np.log10(fits.ec50 / ec50))) < 0.05


def test_batch_and_single_fits_agree(rng):
    x, y, _ = simulate(rng, 5)
    batch = fit_curves(x, y)
    for i in range(5):
        one = fit_hill(x[i], y[i])
        np.testing.assert_allclose(one.ec50[0], batch.ec50[i], rtol=1e-12)


def test_rss_no_worse_than_scipy_least_squares(rng):
    x, y, truth = simulate(rng, 60, noise=5.0)
    fits = fit_curves(x, y)
    log_x = np.log(x[0])
    for i in range(60):

        def residuals(p, i=i):
            return p[1] + (p[2] - p[1]) / (1 + np.exp(p[0] * (log_x - p[3]))) - y[i]

        start = [truth[0][i], truth[1][i], truth[2][i], np.log(truth[3][i])]
        ref = least_squares(residuals, start, method="lm", xtol=1e-14, ftol=1e-14)
        assert fits.rss[i] <= 2 * ref.cost * (1 + 1e-6)


def test_ragged_curves_with_nan_padding(rng):
    x, y, _ = simulate(rng, 3)
    y[1, :6] = np.nan
    fits = fit_curves(x, y)
    assert list(fits.n_obs) == [27, 21, 27]
    single = fit_hill(x[1, 6:], y[1, 6:])
    np.testing.assert_allclose(single.ec50[0], fits.ec50[1], rtol=1e-10)


def test_vehicle_rows_fit_at_top_asymptote():
    x = np.r_[np.zeros(4), np.repeat(DOSES, 2)]
    y = log_logistic(x, hill_slope=1.3, bottom=5.0, top=100.0, ec50=1e-7)
    y[:4] = [98.0, 102.0, 99.0, 101.0]  # vehicle scatter around 100
    fit = fit_hill(x, y)
    np.testing.assert_allclose(fit.top[0], 100.0, atol=0.3)
    assert fit.predict([0.0])[0, 0] == pytest.approx(fit.top[0])


def test_fixed_top_and_ll3_ll2_models():
    x = np.repeat(DOSES, 3)
    y = log_logistic(x, hill_slope=1.1, bottom=0.0, top=100.0, ec50=2e-7)
    ll3 = fit_hill(x, y, model="ll3")
    assert ll3.bottom[0] == 0.0
    assert ll3.standard_errors[0, 1] == 0.0
    np.testing.assert_allclose(ll3.ec50[0], 2e-7, rtol=1e-7)
    ll2 = fit_hill(x, y, model="ll2")
    assert (ll2.bottom[0], ll2.top[0]) == (0.0, 100.0)
    np.testing.assert_allclose(ll2.hill_slope[0], 1.1, rtol=1e-7)
    fixed_top = fit_hill(x, y * 0.9 + 10, top=100.0)
    assert fixed_top.top[0] == 100.0
    assert int(fixed_top.df_resid[0]) == 27 - 3


def test_absolute_versus_relative_ic50():
    # bottom 40 %: relative IC50 is the ec50, absolute IC50 lies above it
    x = np.repeat(DOSES, 3)
    y = log_logistic(x, hill_slope=1.0, bottom=20.0, top=100.0, ec50=1e-7)
    fit = fit_hill(x, y)
    relative = fit.effective_dose(50, kind="relative").estimate[0]
    absolute = fit.effective_dose(50).estimate[0]
    np.testing.assert_allclose(relative, 1e-7, rtol=1e-7)
    # 50 = 20 + 80 / (1 + x/e)  =>  x = e * (80/30 - 1)
    np.testing.assert_allclose(absolute, 1e-7 * (80 / 30 - 1), rtol=1e-7)


def test_curve_that_never_reaches_50_percent_is_censored():
    x = np.repeat(DOSES, 3)
    y = log_logistic(x, hill_slope=1.2, bottom=60.0, top=100.0, ec50=1e-7)
    fit = fit_hill(x, y)
    ic50 = fit.effective_dose(50)
    assert ic50.censor[0] == ">"
    assert ic50.estimate[0] == DOSES.max()
    assert np.isnan(ic50.lower[0]) and np.isnan(ic50.upper[0])
    assert "ic50 > top dose" in fit.flags[0]
    # IC20 is reached: 80 = 60 + 40/(1 + x/e)  =>  x = e
    np.testing.assert_allclose(fit.effective_dose(20).estimate[0], 1e-7, rtol=1e-6)


def test_flat_curve_is_flagged(rng):
    x = np.repeat(DOSES, 3)
    y = 100 + rng.normal(0, 4, x.size)
    fit = fit_hill(x, y)
    assert "flat" in fit.flags[0]
    assert fit.effective_dose(50).censor[0] in (">", "<")


def test_non_monotone_curve_is_flagged(rng):
    x = np.repeat(DOSES, 3)
    bell = 100 - 60 * np.exp(-0.5 * ((np.log10(x) + 7) / 0.4) ** 2)
    fit = fit_hill(x, bell + rng.normal(0, 1.0, x.size))
    assert "lack of fit" in fit.flags[0]


def test_too_few_points_is_a_reason_not_a_crash():
    fit = fit_hill([1e-6, 1e-5, 1e-4], [90.0, 50.0, 10.0])
    assert fit.status[0] == 2
    assert "too few points" in fit.flags[0]
    assert np.isnan(fit.ec50[0])


def test_auc_and_emax_against_numerical_integration():
    x = np.repeat(DOSES, 3)
    fit = fit_hill(x, log_logistic(x, hill_slope=1.4, bottom=10.0, top=100.0, ec50=3e-8))
    grid = np.linspace(np.log(DOSES.min()), np.log(DOSES.max()), 20001)
    values = log_logistic(np.exp(grid), hill_slope=1.4, bottom=10.0, top=100.0, ec50=3e-8)
    expected = np.trapezoid(values, grid) / (grid[-1] - grid[0]) / 100.0
    np.testing.assert_allclose(fit.auc()[0], expected, rtol=1e-6)
    np.testing.assert_allclose(
        fit.emax()[0], log_logistic(1e-5, hill_slope=1.4, bottom=10.0, top=100.0, ec50=3e-8)
    )


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="same shape"):
        fit_curves(np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match="non-negative; curve 0, point 1"):
        fit_curves([1.0, -1.0, 2.0, 3.0, 4.0], [1, 2, 3, 4, 5])
    with pytest.raises(ValueError, match="argument 'model'"):
        fit_curves([1, 2, 3, 4, 5], [5, 4, 3, 2, 1], model="ll5")  # type: ignore[arg-type]
    fit = fit_hill([1, 2, 3, 4, 5], [5, 4, 3, 2, 1])
    with pytest.raises(ValueError, match="strictly between 0 and 100"):
        fit.effective_dose(100)


@settings(max_examples=40, deadline=None)
@given(
    hill=st.floats(0.3, 5.0),
    bottom=st.floats(-20.0, 40.0),
    span=st.floats(10.0, 120.0),
    log_ec50=st.floats(-9.0, -5.0),
)
def test_response_at_ec50_is_halfway(hill, bottom, span, log_ec50):
    top = bottom + span
    ec50 = 10.0**log_ec50
    mid = log_logistic(ec50, hill_slope=hill, bottom=bottom, top=top, ec50=ec50)
    assert mid == pytest.approx((bottom + top) / 2)
    assert log_logistic(0.0, hill_slope=hill, bottom=bottom, top=top, ec50=ec50) == pytest.approx(
        top
    )


@pytest.mark.reference
def test_ryegrass_matches_drc_published(reference_dir):
    folder = reference_dir / "dose_response"
    data = pd.read_csv(folder / "ryegrass.csv")
    expected = json.loads((folder / "ryegrass_expected_drc.json").read_text())
    fit = fit_hill(data["conc"], data["rootl"])
    got = [fit.hill_slope[0], fit.bottom[0], fit.top[0], fit.ec50[0]]
    coef = expected["coefficients"]
    np.testing.assert_allclose(got, [coef[k] for k in "bcde"], rtol=1e-4)
    se = expected["std_errors_drc"]
    np.testing.assert_allclose(fit.standard_errors[0], [se[k] for k in "bcde"], rtol=1e-3)
    np.testing.assert_allclose(fit.rse[0], expected["residual_standard_error"], rtol=1e-6)
    assert fit.df_resid[0] == expected["df_residual"]
    for name, ref in expected["ED_relative_delta_95CI"].items():
        ed = fit.effective_dose(float(name[2:]), kind="relative", interval="linear")
        np.testing.assert_allclose(ed.estimate[0], ref["estimate"], rtol=1e-4)
        np.testing.assert_allclose(ed.se[0], ref["se"], rtol=1e-3)
        np.testing.assert_allclose(
            [ed.lower[0], ed.upper[0]], [ref["lower"], ref["upper"]], rtol=1e-4
        )


def test_censor_direction_of_rising_curves():
    # a (paradoxical) rise with dose: never below 50 % -> not reached, ">" the top dose
    above = fit_hill(DOSES[::-1][:5] * 1e3, [100, 101, 104, 110, 112])
    assert above.effective_dose(50).censor[0] == ">"
    # a rise from 30 % to 80 %: already at 50 % inhibition at the lowest dose -> "<"
    x = np.repeat(DOSES, 3)
    rising = fit_hill(x, log_logistic(x, hill_slope=-1.5, bottom=30.0, top=80.0, ec50=1e-7))
    ic50 = rising.effective_dose(50)
    assert ic50.censor[0] == "<"
    assert ic50.estimate[0] == DOSES.min()
