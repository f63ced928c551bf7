"""Bootstrap intervals: coverage of known truth, agreement with the delta method, censoring."""

from __future__ import annotations

import numpy as np
import pytest

from resistlab.dose_response import bootstrap as bootstrap_module
from resistlab.dose_response import fit_curves, log_logistic, log_logistic_inverse
from resistlab.dose_response.bootstrap import (
    BootstrapIntervals,
    _censored_percentiles,
    bootstrap_effective_dose,
)

DOSES = 1e-5 / 3.0 ** np.arange(9)  # 10 uM top dose, 1:3 dilution
X = np.repeat(DOSES, 3)  # 9 doses x 3 replicates


def simulate(rng: np.random.Generator, n: int, noise: float = 3.0):
    """n curves of 9 doses x 3 replicates with EC50 inside the tested range."""
    hill = rng.uniform(0.8, 2.5, n)
    bottom = rng.uniform(0.0, 30.0, n)
    top = rng.normal(100.0, 3.0, n)
    ec50 = 10 ** rng.uniform(np.log10(DOSES[6]), np.log10(DOSES[1]), n)
    x = np.tile(X, (n, 1))
    y = log_logistic(
        x, hill_slope=hill[:, None], bottom=bottom[:, None], top=top[:, None], ec50=ec50[:, None]
    )
    return x, y + rng.normal(0.0, noise, y.shape), (hill, bottom, top, ec50)


@pytest.fixture(scope="module")
def batch():
    """200 simulated curves, their fits and a 500-replicate residual bootstrap (about 1 s)."""
    rng = np.random.default_rng(20261121)
    x, y, truth = simulate(rng, 200)
    fits = fit_curves(x, y)
    boot = bootstrap_effective_dose(x, y, fits, n_boot=500, seed=1)
    return x, y, truth, fits, boot


def covers(lower: np.ndarray, upper: np.ndarray, truth: np.ndarray) -> np.ndarray:
    return (lower < truth) & (truth < upper)


# --- coverage of known truth ---------------------------------------------------------------


def test_residual_bootstrap_covers_true_ic50(batch):
    _, _, (hill, bottom, top, ec50), _, boot = batch
    true_ic50 = log_logistic_inverse(
        50.0, hill_slope=hill, bottom=bottom, top=top, ec50=ec50
    )  # control response 100
    assert np.all(boot.n_used == 500)
    coverage = np.mean(covers(boot.lower[:, 0], boot.upper[:, 0], true_ic50))
    # Measured 0.945 here (0.91-0.95 on other seeds, 0.938 on 2,000 curves): residual
    # percentile intervals under-cover slightly with 27 points (they ignore the
    # t-quantile's extra width, t(0.975, 23) = 2.07 vs 1.96).
    # Band: about 3 binomial sd (n = 200) around 0.93.
    assert 0.88 <= coverage <= 0.985


def test_residual_bootstrap_covers_true_ec50(batch):
    _, _, (*_, ec50), _, boot = batch
    coverage = np.mean(covers(boot.ec50_lower, boot.ec50_upper, ec50))
    assert 0.88 <= coverage <= 0.985


def test_case_bootstrap_covers_true_ic50_less_well_with_triplicates(rng):
    x, y, (hill, bottom, top, ec50) = simulate(rng, 200)
    fits = fit_curves(x, y)
    boot = bootstrap_effective_dose(x, y, fits, n_boot=400, method="case", seed=2)
    true_ic50 = log_logistic_inverse(50.0, hill_slope=hill, bottom=bottom, top=top, ec50=ec50)
    coverage = np.mean(covers(boot.lower[:, 0], boot.upper[:, 0], true_ic50))
    # Measured 0.885 here (0.85-0.89 on other seeds, 0.883 on 2,000 curves): each dose
    # level's spread rests on 2 degrees of freedom, so the width is noisy and on
    # average too small (E[s] / sigma = 0.89 for 2 df).
    # The price of not assuming constant variance; documented in the module.
    assert 0.78 <= coverage <= 0.95


# --- agreement with the delta method -------------------------------------------------------


def test_bootstrap_and_delta_method_agree_for_well_determined_curves(batch):
    _, _, _, fits, boot = batch
    delta = fits.effective_dose(50.0)
    good = np.array([flag == "" for flag in fits.flags]) & (boot.censor[:, 0] == "")
    assert good.sum() > 150
    width_boot = np.log(boot.upper[good, 0] / boot.lower[good, 0])
    width_delta = np.log(delta.upper[good] / delta.lower[good])
    ratio = np.median(width_boot / width_delta)
    assert 0.8 <= ratio <= 1.25  # measured 0.94 (percentile uses ~z, delta method uses t)
    # centres agree to a small fraction of the width
    centre_boot = np.log(boot.upper[good, 0] * boot.lower[good, 0]) / 2
    centre_delta = np.log(delta.upper[good] * delta.lower[good]) / 2
    assert np.median(np.abs(centre_boot - centre_delta) / width_delta) < 0.1


def test_point_estimates_are_those_of_the_fits(batch):
    _, _, _, fits, boot = batch
    np.testing.assert_array_equal(boot.estimate[:, 0], fits.effective_dose(50.0).estimate)
    np.testing.assert_array_equal(boot.ec50, fits.ec50)


def test_relative_ic50_intervals_are_the_ec50_intervals(rng):
    x, y, _ = simulate(rng, 20)
    fits = fit_curves(x, y)
    boot = bootstrap_effective_dose(x, y, fits, kind="relative", n_boot=200, seed=3)
    np.testing.assert_allclose(boot.lower[:, 0], boot.ec50_lower, rtol=1e-9)
    np.testing.assert_allclose(boot.upper[:, 0], boot.ec50_upper, rtol=1e-9)
    assert "ic50_rel_boot_low" in boot.to_frame().columns


# --- censoring -------------------------------------------------------------------------------


def test_curve_barely_reaching_50_percent_has_censored_upper_limit():
    # the true curve crosses 50 % at 7 uM, just below the 10 uM top dose
    rng = np.random.default_rng(5)
    y = log_logistic(X, hill_slope=1.5, bottom=30.0, top=100.0, ec50=4e-6) + rng.normal(
        0.0, 4.0, (20, X.size)
    )
    fits = fit_curves(X, y)
    boot = bootstrap_effective_dose(X, y, fits, n_boot=500, seed=1)
    above = boot.fraction_above[:, 0]
    censored = boot.upper_censor[:, 0] == ">"
    assert censored.any()
    assert (~censored).any()
    # the rule: censored exactly when more than (1 - confidence) / 2 of replicates are
    np.testing.assert_array_equal(censored, above > 0.025)
    assert np.all(np.isnan(boot.upper[censored, 0]))
    # the other limit stays a number, inside the tested range
    assert np.all(boot.lower_censor[:, 0] == "")
    assert np.all((boot.lower[:, 0] > DOSES[-1]) & (boot.lower[:, 0] < DOSES[0]))
    # uncensored upper limits never extrapolate beyond the top dose
    assert np.all(boot.upper[~censored, 0] <= DOSES[0])
    assert np.all(boot.fraction_below[:, 0] == 0)
    frame = boot.to_frame()
    assert list(frame["ic50_boot_high_censor"]) == list(boot.upper_censor[:, 0])


def test_curve_not_reaching_50_percent_is_censored_on_both_sides():
    rng = np.random.default_rng(6)
    y = log_logistic(X, hill_slope=1.5, bottom=65.0, top=100.0, ec50=1e-7) + rng.normal(
        0.0, 2.0, X.size
    )
    fits = fit_curves(X, y)
    boot = bootstrap_effective_dose(X, y, fits, n_boot=300, seed=1)
    assert boot.censor[0, 0] == ">"
    assert boot.fraction_above[0, 0] == 1.0
    assert boot.lower_censor[0, 0] == ">"
    assert boot.upper_censor[0, 0] == ">"
    assert np.isnan(boot.lower[0, 0])
    assert np.isnan(boot.upper[0, 0])
    # ec50 itself is still estimated
    assert boot.ec50_lower[0] < fits.ec50[0] < boot.ec50_upper[0]


def test_curve_passing_50_percent_below_lowest_dose_has_censored_lower_limit():
    rng = np.random.default_rng(7)
    y = log_logistic(X, hill_slope=1.0, bottom=0.0, top=100.0, ec50=1.2e-9) + rng.normal(
        0.0, 3.0, (10, X.size)
    )
    fits = fit_curves(X, y)
    boot = bootstrap_effective_dose(X, y, fits, n_boot=400, seed=1)
    below = boot.fraction_below[:, 0]
    censored = boot.lower_censor[:, 0] == "<"
    assert censored.any()
    np.testing.assert_array_equal(censored, below > 0.025)
    assert np.all(np.isnan(boot.lower[censored, 0]))


def test_censored_percentile_rule():
    values = np.log(np.linspace(1.0, 2.0, 100))
    two, three = values.copy(), values.copy()
    two[-2:] = np.inf  # 2 % censored above: within the 2.5 % tail
    three[-3:] = np.inf  # 3 %: beyond it
    below = values.copy()
    below[:3] = -np.inf
    unusable = np.full(100, np.nan)
    limits, marks = _censored_percentiles(
        np.vstack([two, three, below, unusable]), np.array([0.025, 0.975])
    )
    assert np.all(np.isfinite(limits[0]))
    assert list(marks[0]) == ["", ""]
    assert list(marks[1]) == ["", ">"]
    assert np.isnan(limits[1, 1])
    assert list(marks[2]) == ["<", ""]
    assert np.isnan(limits[2, 0])
    assert np.all(np.isnan(limits[3]))
    assert list(marks[3]) == ["", ""]
    # NaN (failed replicates) are left out, not counted as censored
    with_nan = np.concatenate([values, np.full(50, np.nan)])
    limits_nan, _ = _censored_percentiles(with_nan[None, :], np.array([0.025, 0.975]))
    limits_ref, _ = _censored_percentiles(values[None, :], np.array([0.025, 0.975]))
    np.testing.assert_array_equal(limits_nan, limits_ref)


# --- reproducibility and batching ----------------------------------------------------------


def _arrays(boot: BootstrapIntervals) -> list[np.ndarray]:
    return [boot.lower, boot.upper, boot.ec50_lower, boot.ec50_upper, boot.fraction_above]


def test_same_seed_same_intervals_and_generator_accepted(rng):
    x, y, _ = simulate(rng, 10)
    fits = fit_curves(x, y)
    first = bootstrap_effective_dose(x, y, fits, n_boot=100, seed=42)
    again = bootstrap_effective_dose(x, y, fits, n_boot=100, seed=42)
    from_generator = bootstrap_effective_dose(
        x, y, fits, n_boot=100, seed=np.random.default_rng(42)
    )
    other = bootstrap_effective_dose(x, y, fits, n_boot=100, seed=43)
    for a, b, c in zip(_arrays(first), _arrays(again), _arrays(from_generator), strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    assert not np.array_equal(first.lower, other.lower)


@pytest.mark.parametrize("method", ["residual", "case"])
def test_one_batched_fit_and_results_independent_of_chunking(rng, monkeypatch, method):
    x, y, _ = simulate(rng, 12)
    fits = fit_curves(x, y)
    calls: list[int] = []

    def counting_fit(doses, responses, **kwargs):
        calls.append(len(responses))
        return fit_curves(doses, responses, **kwargs)

    monkeypatch.setattr(bootstrap_module, "fit_curves", counting_fit)
    whole = bootstrap_effective_dose(x, y, fits, n_boot=50, method=method, seed=9)
    assert calls == [12 * 50]  # all curves and replicates in one kernel call
    calls.clear()
    monkeypatch.setattr(bootstrap_module, "_CHUNK_BYTES", 1)  # one curve per batch
    chunked = bootstrap_effective_dose(x, y, fits, n_boot=50, method=method, seed=9)
    assert calls == [50] * 12
    for a, b in zip(_arrays(whole), _arrays(chunked), strict=True):
        np.testing.assert_array_equal(a, b)


# --- replicates keep the design and the model settings -----------------------------------


def _capture(monkeypatch) -> list[tuple[np.ndarray, np.ndarray, dict]]:
    seen: list[tuple[np.ndarray, np.ndarray, dict]] = []

    def capturing_fit(doses, responses, **kwargs):
        seen.append((np.asarray(doses), np.asarray(responses), kwargs))
        return fit_curves(doses, responses, **kwargs)

    monkeypatch.setattr(bootstrap_module, "fit_curves", capturing_fit)
    return seen


def test_replicates_use_the_model_settings_of_the_fits(rng, monkeypatch):
    x, y, _ = simulate(rng, 4)
    control = np.array([100.0, 98.0, 102.0, 100.0])
    fits = fit_curves(x, y, model="ll3", bottom=5.0, top=100.0, control_response=control)
    seen = _capture(monkeypatch)
    bootstrap_effective_dose(x, y, fits, n_boot=20, seed=0)
    ((_, _, kwargs),) = seen
    assert kwargs["model"] == "ll3"
    assert kwargs["bottom"] == 5.0
    assert kwargs["top"] == 100.0
    np.testing.assert_array_equal(kwargs["control_response"], np.repeat(control, 20))


def test_bounds_are_repeated_per_replicate(rng, monkeypatch):
    x, y, _ = simulate(rng, 3)
    bounds = {"hill_slope": (np.array([0.1, 0.2, 0.3]), 5.0)}
    fits = fit_curves(x, y, bounds=bounds)
    seen = _capture(monkeypatch)
    bootstrap_effective_dose(x, y, fits, n_boot=10, seed=0, bounds=bounds)
    low, high = seen[0][2]["bounds"]["hill_slope"]
    np.testing.assert_array_equal(low, np.repeat([0.1, 0.2, 0.3], 10))
    np.testing.assert_array_equal(high, np.full(30, 5.0))


def test_residual_replicates_are_fit_plus_resampled_residuals(rng, monkeypatch):
    x, y, _ = simulate(rng, 2)
    y[1, 5] = np.nan  # a missing point stays missing
    fits = fit_curves(x, y)
    seen = _capture(monkeypatch)
    bootstrap_effective_dose(x, y, fits, n_boot=30, seed=0)
    x_rep, y_rep, _ = seen[0]
    fitted = fits.predict(x)
    for i in range(2):
        rows = slice(30 * i, 30 * (i + 1))
        np.testing.assert_array_equal(
            x_rep[rows][:, np.isfinite(y[i])], np.tile(x[i][np.isfinite(y[i])], (30, 1))
        )
        residual = y[i] - fitted[i]
        ok = np.isfinite(residual)
        scaled = (residual[ok] - residual[ok].mean()) * np.sqrt(ok.sum() / fits.df_resid[i])
        drawn = (y_rep[rows] - fitted[i])[:, ok]
        assert np.all(np.isnan(y_rep[rows][:, ~ok]))
        assert np.all(np.min(np.abs(drawn[..., None] - scaled), axis=-1) < 1e-9)


def test_case_replicates_resample_within_dose_levels(rng, monkeypatch):
    x, y, _ = simulate(rng, 1)
    order = rng.permutation(x.shape[1])  # doses need not be sorted
    x, y = x[:, order], y[:, order]
    fits = fit_curves(x, y)
    seen = _capture(monkeypatch)
    bootstrap_effective_dose(x, y, fits, n_boot=40, method="case", seed=0)
    x_rep, y_rep, _ = seen[0]
    np.testing.assert_array_equal(x_rep, np.tile(np.sort(x[0]), (40, 1)))
    for dose in DOSES:
        observed = y[0, x[0] == dose]
        mean = observed.mean()
        allowed = mean + np.sqrt(3 / 2) * (observed - mean)  # variance-corrected triplicate
        drawn = y_rep[:, x_rep[0] == dose]
        assert drawn.shape == (40, 3)
        assert np.all(np.min(np.abs(drawn[..., None] - allowed), axis=-1) < 1e-9)


# --- curves that cannot be bootstrapped ----------------------------------------------------


def test_unfittable_and_unresamplable_curves_get_no_interval(rng):
    x, y, _ = simulate(rng, 3)
    y[1, 2:] = np.nan  # two points: too few to fit
    y[2, :] = np.nan
    fits = fit_curves(x, y)
    boot = bootstrap_effective_dose(x, y, fits, n_boot=50, seed=0)
    assert list(boot.n_used) == [50, 0, 0]
    assert np.all(np.isnan(boot.lower[1:])) and np.all(np.isnan(boot.ec50_upper[1:]))
    # without replicate doses the case bootstrap has nothing to resample
    single = fit_curves(DOSES, y[0, ::3])
    case = bootstrap_effective_dose(DOSES, y[0, ::3], single, n_boot=50, method="case", seed=0)
    assert case.n_used[0] == 0
    assert np.isnan(case.lower[0, 0])


def test_several_levels_and_frame(batch):
    x, y, _, fits, _ = batch
    boot = bootstrap_effective_dose(
        x[:5], y[:5], fits.take(np.arange(5)), levels=(10, 50, 90), n_boot=100, seed=0
    )
    assert boot.lower.shape == (5, 3)
    assert boot.levels == (10.0, 50.0, 90.0)
    frame = boot.to_frame()
    assert len(frame) == 5
    for name in ("ic10", "ic50", "ic90"):
        assert {f"{name}_boot_low", f"{name}_boot_high_censor", f"{name}_boot_frac_above"} <= set(
            frame.columns
        )
    assert {"ec50", "ec50_boot_low", "ec50_boot_high", "n_boot"} <= set(frame.columns)
    assert not set(frame.columns) & {"ic50_ci_low", "ic50_ci_high", "ec50_ci_low"}


# --- errors -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small():
    rng = np.random.default_rng(0)
    x, y, _ = simulate(rng, 3)
    return x, y, fit_curves(x, y)


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"doses": np.ones((3, 5))}, ValueError, "doses and responses must have the same shape"),
        ({"responses": np.ones((3, 27, 1))}, ValueError, "responses must be 2-D"),
        ({"levels": (50, 100)}, ValueError, "levels must be percent effects strictly between"),
        ({"levels": ()}, ValueError, "levels must hold at least one"),
        ({"kind": "fold"}, ValueError, r"argument 'kind'; should be 'absolute' or 'relative'"),
        ({"method": "jackknife"}, ValueError, r"argument 'method'; should be 'residual' or 'case'"),
        ({"n_boot": 1}, ValueError, "n_boot must be at least 2"),
        ({"n_boot": 2.5}, TypeError, "n_boot must be an integer"),
        ({"confidence": 95}, ValueError, "confidence must be strictly between 0 and 1"),
        ({"fits": "fits"}, TypeError, "fits must be a CurveFits"),
    ],
)
def test_errors_name_the_argument(small, change, error, match):
    x, y, fits = small
    arguments = {"doses": x, "responses": y, "fits": fits, **change}
    options = {"n_boot": 10, **change}
    for name in ("doses", "responses", "fits"):
        options.pop(name, None)
    with pytest.raises(error, match=match):
        bootstrap_effective_dose(
            arguments["doses"], arguments["responses"], arguments["fits"], **options
        )


def test_errors_when_arrays_do_not_belong_to_the_fits(small):
    x, y, fits = small
    with pytest.raises(ValueError, match=r"responses has 2 curves .* but fits has 3"):
        bootstrap_effective_dose(x[:2], y[:2], fits, n_boot=10)
    y_missing = y.copy()
    y_missing[1, 4] = np.nan
    with pytest.raises(ValueError, match=r"curve 1 has 26 finite points .* its fit used 27"):
        bootstrap_effective_dose(x, y_missing, fits, n_boot=10)
    x_negative = x.copy()
    x_negative[2, 0] = -1.0
    with pytest.raises(ValueError, match="doses must be non-negative; curve 2, point 0"):
        bootstrap_effective_dose(x_negative, y, fits, n_boot=10)


def test_inputs_are_not_modified(small):
    x, y, fits = small
    x_before, y_before = x.copy(), y.copy()
    bootstrap_effective_dose(x, y, fits, n_boot=10, method="case", seed=0)
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(y, y_before)
