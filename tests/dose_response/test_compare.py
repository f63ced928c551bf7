"""Comparing lines: known truth from a seeded generator, drc's published output, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.optimize import least_squares

from resistlab.dose_response import fit_curves, log_logistic, log_logistic_inverse
from resistlab.dose_response.compare import (
    CurveComparison,
    FoldResistance,
    compare_curves,
    fold_resistance,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "dose_response"
DOSES = np.repeat(1e-5 / 3.0 ** np.arange(9), 3)  # 10 uM top, 1:3 dilution, triplicates
LINES = np.repeat(["parental", "resistant"], DOSES.size)


def simulate(rng, n, ec50, *, noise=3.0):
    """n curves at DOSES with random shape; returns responses and the true absolute IC50."""
    hill = rng.uniform(0.8, 2.5, n)
    bottom = rng.uniform(0.0, 30.0, n)
    top = rng.normal(100.0, 3.0, n)
    y = log_logistic(
        DOSES[None, :],
        hill_slope=hill[:, None],
        bottom=bottom[:, None],
        top=top[:, None],
        ec50=ec50[:, None],
    )
    y = y + rng.normal(0.0, noise, y.shape)
    return y, log_logistic_inverse(50.0, hill_slope=hill, bottom=bottom, top=top, ec50=ec50)


def two_lines(rng, ec50_parental, ec50_resistant, *, same_shape=False):
    """One experiment with a parental and a resistant line, long format."""
    y_p, _ = simulate(rng, 1, np.array([ec50_parental]))
    if same_shape:
        y_r = log_logistic(DOSES, hill_slope=1.2, bottom=5.0, top=100.0, ec50=ec50_resistant)
        y_r = y_r + rng.normal(0.0, 3.0, DOSES.size)
        y_p = log_logistic(
            DOSES, hill_slope=1.2, bottom=5.0, top=100.0, ec50=ec50_parental
        ) + rng.normal(0, 3, DOSES.size)
        return np.tile(DOSES, 2), np.r_[y_p, y_r]
    y_r, _ = simulate(rng, 1, np.array([ec50_resistant]))
    return np.tile(DOSES, 2), np.r_[y_p[0], y_r[0]]


def binomial_band(n, p=0.05, level=0.999):
    """Two-sided `level` acceptance band for a count of successes out of n."""
    lo, hi = stats.binom.interval(level, n, p)
    return lo / n, hi / n


# ----------------------------------------------------------------------- F test: known truth


def test_same_ec50_false_positive_rate_is_nominal(rng):
    # 200 pairs of lines with the same EC50 but their own slope, bottom and top
    p_values = []
    for _ in range(200):
        ec50 = 10 ** rng.uniform(np.log10(DOSES[-1]) + 0.5, np.log10(DOSES[0]) - 1.0)
        x, y = two_lines(rng, ec50, ec50)
        p_values.append(compare_curves(x, y, LINES).p_value)
    p = np.asarray(p_values)
    assert not np.isnan(p).any()
    rate = np.mean(p < 0.05)
    low, high = binomial_band(p.size)
    assert low <= rate <= high, rate
    # and the whole distribution is roughly uniform
    assert stats.kstest(p, "uniform").pvalue > 1e-3


def test_eightfold_shift_is_detected_and_estimated(rng):
    x, y = two_lines(rng, 2e-8, 1.6e-7, same_shape=True)
    result = compare_curves(x, y, LINES)
    assert isinstance(result, CurveComparison)
    assert result.converged, result.message
    assert result.labels == ("parental", "resistant")
    assert result.df_shared - result.df_separate == 1
    assert result.p_value < 1e-6
    # shared model: one ec50 between the two
    assert 2e-8 < result.shared_estimates["ec50"] < 1.6e-7
    np.testing.assert_allclose(result.joint_params[0, 3], result.joint_params[1, 3])
    # parameter-ratio view (drc compParm): parental / resistant ~ 1/8
    ratio = result.ratios("ec50").iloc[0]
    assert (ratio.group_1, ratio.group_2) == ("parental", "resistant")
    assert ratio.ci_low < 1 / 8 < ratio.ci_high
    assert ratio.p_value < 1e-6
    # fold resistance from the same data fitted separately
    fits = fit_curves(x.reshape(2, -1), y.reshape(2, -1))
    for metric in ("ic50", "ec50"):
        fold = fold_resistance(fits.take(0), fits.take(1), metric=metric)
        assert fold.censor[0] == ""
        assert fold.lower[0] < 8.0 < fold.upper[0], (metric, fold.lower, fold.upper)
        assert fold.p_value[0] < 1e-6


def test_f_statistic_matches_direct_scipy_least_squares(rng):
    x, y = two_lines(rng, 3e-8, 9e-8)
    result = compare_curves(x, y, LINES, shared=("ec50",))
    lx = np.log(x)
    group = (LINES == "resistant").astype(int)

    def curve(p, lxg):
        return p[1] + (p[2] - p[1]) / (1 + np.exp(p[0] * (lxg - p[3])))

    # full model: each line on its own, from a crude start
    rss_full = 0.0
    for g in (0, 1):
        m = group == g

        def res_g(p, m=m):
            return curve(p, lx[m]) - y[m]

        fit = least_squares(res_g, [1.0, 0.0, 100.0, np.log(5e-8)], method="lm", xtol=1e-14)
        rss_full += 2 * fit.cost

    # shared ec50: theta = (b0, c0, d0, b1, c1, d1, eta), numerical Jacobian
    def res_shared(t):
        p0 = [t[0], t[1], t[2], t[6]]
        p1 = [t[3], t[4], t[5], t[6]]
        return np.where(group == 0, curve(p0, lx), curve(p1, lx)) - y

    start = [1.0, 0.0, 100.0, 1.0, 0.0, 100.0, np.log(5e-8)]
    shared = least_squares(res_shared, start, method="lm", xtol=1e-14, ftol=1e-14)
    rss_shared = 2 * shared.cost
    df_full, df_shared = y.size - 8, y.size - 7
    f_expected = ((rss_shared - rss_full) / (df_shared - df_full)) / (rss_full / df_full)
    np.testing.assert_allclose(result.rss_separate, rss_full, rtol=1e-7)
    np.testing.assert_allclose(result.rss_shared, rss_shared, rtol=1e-7)
    np.testing.assert_allclose(result.f_statistic, f_expected, rtol=1e-5)
    np.testing.assert_allclose(result.p_value, stats.f.sf(f_expected, 1, df_full), rtol=1e-5)
    table = result.anova()
    assert list(table["df"]) == [df_shared, df_full]
    assert list(table["n_params"]) == [7, 8]


def test_shared_all_is_one_curve_through_all_lines(rng):
    x, y = two_lines(rng, 5e-8, 5e-8)
    result = compare_curves(x, y, LINES, shared="all")
    assert result.shared == ("hill_slope", "bottom", "top", "ec50")
    assert result.df_shared - result.df_separate == 4
    one = fit_curves(x, y)
    np.testing.assert_allclose(result.rss_shared, one.rss[0], rtol=1e-8)
    np.testing.assert_allclose(result.joint_params[0, 3], one.ec50[0], rtol=1e-5)
    # the joint covariance is the single-curve covariance (same Hessian, same s^2)
    np.testing.assert_allclose(result.joint_se[0], one.standard_errors[0], rtol=1e-4)


def test_three_lines_and_ll3_shared_slope(rng):
    x = np.tile(DOSES, 3)
    lines = np.repeat(["a", "b", "c"], DOSES.size)
    ec50 = np.repeat([2e-8, 6e-8, 2e-7], DOSES.size)
    y = log_logistic(x, hill_slope=1.4, bottom=0.0, top=100.0, ec50=ec50) + rng.normal(0, 3, x.size)
    result = compare_curves(x, y, lines, model="ll3", shared=("hill_slope",))
    assert result.df_separate == x.size - 3 * 3
    assert result.df_shared == x.size - (1 + 3 * 2)
    assert result.p_value > 1e-3  # same true slope
    assert np.all(result.joint_params[:, 1] == 0.0)
    assert np.all(result.joint_se[:, 1] == 0.0)
    np.testing.assert_allclose(result.shared_estimates["hill_slope"], 1.4, rtol=0.15)
    assert len(result.ratios("ec50")) == 3


# ------------------------------------------------------------- fold resistance: known truth


@pytest.mark.parametrize("metric", ["ic50", "ec50"])
def test_fold_ci_covers_true_fold_95_percent(rng, metric):
    n = 1000
    ec50_p = 10 ** rng.uniform(np.log10(DOSES[-1]) + 0.3, np.log10(DOSES[0]) - 1.5, n)
    true_fold = 10 ** rng.uniform(0.0, 1.0, n)
    y_p, ic50_p = simulate(rng, n, ec50_p)
    y_r, ic50_r = simulate(rng, n, ec50_p * true_fold)
    result = fold_resistance(fit_curves(DOSES, y_p), fit_curves(DOSES, y_r), metric=metric)
    truth = ic50_r / ic50_p if metric == "ic50" else true_fold
    estimated = result.censor == ""
    assert estimated.mean() > 0.98
    covered = (result.lower <= truth) & (truth <= result.upper)
    coverage = covered[estimated].mean()
    low, high = binomial_band(int(estimated.sum()), p=0.95)
    assert low <= coverage <= high, coverage


def test_fold_wald_test_has_nominal_size_without_a_shift(rng):
    n = 1000
    ec50 = 10 ** rng.uniform(np.log10(DOSES[-1]) + 0.3, np.log10(DOSES[0]) - 1.5, n)
    y_p, _ = simulate(rng, n, ec50)
    y_r, _ = simulate(rng, n, ec50)
    result = fold_resistance(fit_curves(DOSES, y_p), fit_curves(DOSES, y_r), metric="ec50")
    rate = np.mean(result.p_value < 0.05)
    low, high = binomial_band(n)
    assert low <= rate <= high, rate


def test_fold_statistics_by_hand(rng):
    y_p, _ = simulate(rng, 1, np.array([3e-8]))
    y_r, _ = simulate(rng, 1, np.array([2e-7]))
    parental, resistant = fit_curves(DOSES, y_p), fit_curves(DOSES, y_r)
    result = fold_resistance(parental, resistant, confidence=0.9)
    ed_p, ed_r = parental.effective_dose(50), resistant.effective_dose(50)
    v_p = (ed_p.se[0] / ed_p.estimate[0]) ** 2
    v_r = (ed_r.se[0] / ed_r.estimate[0]) ** 2
    df_p, df_r = parental.df_resid[0], resistant.df_resid[0]
    df = (v_p + v_r) ** 2 / (v_p**2 / df_p + v_r**2 / df_r)
    fold = ed_r.estimate[0] / ed_p.estimate[0]
    t = stats.t.ppf(0.95, df)
    se = np.sqrt(v_p + v_r)
    np.testing.assert_allclose(result.fold[0], fold)
    np.testing.assert_allclose(result.df[0], df)
    np.testing.assert_allclose(
        [result.lower[0], result.upper[0]], [fold * np.exp(-t * se), fold * np.exp(t * se)]
    )
    np.testing.assert_allclose(result.p_value[0], 2 * stats.t.sf(abs(np.log(fold)) / se, df))
    np.testing.assert_allclose(result.log2_fold[0], np.log2(fold))
    np.testing.assert_allclose(result.se_log2[0], se / np.log(2))


def test_one_parental_broadcasts_against_many_resistant(rng):
    y_p, _ = simulate(rng, 1, np.array([3e-8]))
    y_r, _ = simulate(rng, 4, np.array([3e-8, 1e-7, 3e-7, 6e-7]))
    parental, resistant = fit_curves(DOSES, y_p), fit_curves(DOSES, y_r)
    result = fold_resistance(parental, resistant)
    assert isinstance(result, FoldResistance)
    assert len(result) == 4
    ic50_p = parental.effective_dose(50).estimate[0]
    np.testing.assert_allclose(result.parental, ic50_p)
    np.testing.assert_allclose(result.fold, resistant.effective_dose(50).estimate / ic50_p)
    assert np.all(np.diff(result.fold) > 0)
    reverse = fold_resistance(resistant, parental)  # many parental vs one resistant
    np.testing.assert_allclose(reverse.fold, 1 / result.fold)


# --------------------------------------------------------------------------------- censoring


def _exact_fit(bottom, ec50, doses=DOSES):
    y = log_logistic(doses, hill_slope=1.3, bottom=bottom, top=100.0, ec50=ec50)
    y = y + np.tile([0.8, -0.5, -0.3], doses.size // 3)
    return fit_curves(doses, y)


def test_resistant_ic50_above_top_dose_gives_a_lower_bound_not_a_number():
    parental = _exact_fit(5.0, 5e-8)
    resistant = _exact_fit(60.0, 1e-6)  # never falls to 50 %
    result = fold_resistance(parental, resistant)
    ic50_p = parental.effective_dose(50).estimate[0]
    assert result.censor[0] == ">"
    assert result.resistant_censor[0] == ">"
    np.testing.assert_allclose(result.fold[0], DOSES.max() / ic50_p)
    assert np.isnan([result.lower[0], result.upper[0], result.p_value[0], result.se_log[0]]).all()
    assert "resistant ic50 > top dose" in result.notes[0]
    assert "bound" in result.notes[0]
    frame = result.to_frame()
    assert frame.loc[0, "fold_censor"] == ">"
    # the relative EC50 of the same fit is estimated (and not censored)
    relative = fold_resistance(parental, resistant, metric="ec50")
    assert relative.censor[0] == ""
    np.testing.assert_allclose(relative.fold[0], 1e-6 / 5e-8, rtol=0.02)


def test_other_censoring_directions():
    sensitive = _exact_fit(5.0, 5e-8)
    flat_high = _exact_fit(60.0, 1e-6)  # ic50 > top dose
    very_potent = _exact_fit(5.0, 1e-10)  # ic50 < lowest dose
    down = fold_resistance(sensitive, very_potent)
    assert down.censor[0] == "<"
    np.testing.assert_allclose(down.fold[0], DOSES.min() / sensitive.effective_dose(50).estimate[0])
    # parental below its lowest dose: the fold is at least resistant / lowest dose
    up = fold_resistance(very_potent, sensitive)
    assert up.censor[0] == ">"
    # both above their top doses: nothing bounds the ratio
    undetermined = fold_resistance(flat_high, flat_high)
    assert undetermined.censor[0] == ""
    assert np.isnan(undetermined.fold[0])
    assert "undetermined" in undetermined.notes[0]
    assert len(undetermined.to_evidence(target="drug_ic50")) == 0


def test_failed_fit_gives_nan_with_a_reason():
    parental = _exact_fit(5.0, 5e-8)
    failed = fit_curves([1e-6, 1e-5, 1e-4], [90.0, 50.0, 10.0])
    result = fold_resistance(parental, failed)
    assert np.isnan(result.fold[0])
    assert "resistant fit failed" in result.notes[0]


# ------------------------------------------------------------------- drc published output


@pytest.fixture
def expected():
    return json.loads((DATA / "drc_compare_expected.json").read_text())


def test_spinach_parameter_ratios_match_drc_compparm(expected):
    data = pd.read_csv(DATA / "drc_spinach.csv")
    result = compare_curves(data["DOSE"], data["SLOPE"], data["CURVE"], shared=("ec50",))
    assert result.labels == (1, 2, 3, 4, 5)
    assert result.df_separate == 85
    ref = expected["spinach_compParm_ed50"]
    operators: tuple[tuple[Literal["/", "-"], str], ...] = (("/", "ratio"), ("-", "difference"))
    for operator, key in operators:
        for row in result.ratios("ec50", operator=operator).to_dict("records"):
            want = ref[key][f"{row['group_1']}{operator}{row['group_2']}"]
            np.testing.assert_allclose(row["estimate"], want[0], rtol=2e-4, atol=2e-6)
            np.testing.assert_allclose(row["se"], want[1], rtol=5e-4)
            np.testing.assert_allclose(row["t_value"], want[2], rtol=1e-3, atol=2e-4)
            np.testing.assert_allclose(row["p_value"], want[3], rtol=1e-3, atol=1e-5)


def test_spinach_separate_fits_match_drc_pooled_summary(expected):
    data = pd.read_csv(DATA / "drc_spinach.csv")
    result = compare_curves(data["DOSE"], data["SLOPE"], data["HERBICIDE"], shared="all")
    ref = expected["spinach_by_herbicide"]
    assert result.df_separate == ref["df_residual"]
    rse = np.sqrt(result.rss_separate / result.df_separate)
    np.testing.assert_allclose(rse, ref["residual_standard_error"], rtol=1e-6)
    rows = result.to_frame().set_index("group").to_dict("index")
    for herbicide, values in ref["estimates"].items():
        for name, (estimate, se) in values.items():
            short = "hill" if name == "hill_slope" else name
            np.testing.assert_allclose(rows[herbicide][short], estimate, rtol=1e-4, atol=2e-5)
            np.testing.assert_allclose(rows[herbicide][f"{short}_se"], se, rtol=2e-4)
    # without pooling, the standard errors are each curve's own (as fit_curves gives them)
    own = compare_curves(data["DOSE"], data["SLOPE"], data["HERBICIDE"], pool=False)
    np.testing.assert_allclose(
        own.to_frame()["ec50_se"], own.separate.standard_errors[:, 3], rtol=1e-12
    )


def test_s_alba_common_limits_match_drc(expected):
    data = pd.read_csv(DATA / "drc_S.alba.csv")
    result = compare_curves(
        data["Dose"], data["DryMatter"], data["Herbicide"], shared=("bottom", "top")
    )
    ref = expected["S_alba_common_limits"]
    assert result.converged, result.message
    assert result.df_shared == ref["df_residual"]
    # drc stops a little short of the optimum: our RSS may only be lower
    rss_drc = ref["residual_standard_error"] ** 2 * ref["df_residual"]
    assert result.rss_shared <= rss_drc
    np.testing.assert_allclose(result.rss_shared, rss_drc, rtol=1e-5)
    rows = result.to_frame().set_index("group").to_dict("index")
    for herbicide in ("Bentazone", "Glyphosate"):
        for name, (estimate, se) in ref["estimates"][herbicide].items():
            short = "hill" if name == "hill_slope" else name
            np.testing.assert_allclose(rows[herbicide][f"joint_{short}"], estimate, rtol=5e-3)
            np.testing.assert_allclose(rows[herbicide][f"joint_{short}_se"], se, rtol=1e-2)
    for name, (estimate, se) in ref["estimates"]["shared"].items():
        np.testing.assert_allclose(result.shared_estimates[name], estimate, rtol=1e-3)
        np.testing.assert_allclose(result.shared_se[name], se, rtol=1e-3)
    # drc's documentation: the limits "can be assumed identical"
    assert result.p_value > 0.05


# ----------------------------------------------------------------- results, tables, errors


def test_frames_and_evidence(rng):
    x, y = two_lines(rng, 3e-8, 2.4e-7, same_shape=True)
    result = compare_curves(x, y, LINES)
    frame = result.to_frame()
    assert list(frame["group"]) == ["parental", "resistant"]
    for column in ("hill", "ec50_se", "joint_ec50", "joint_top_se", "rss", "flag"):
        assert column in frame
    slope = result.ratios("hill_slope", operator="-", confidence=0.9).to_dict("records")[0]
    assert slope["ci_low"] < slope["estimate"] < slope["ci_high"]
    fits = fit_curves(x.reshape(2, -1), y.reshape(2, -1))
    fold = fold_resistance(fits.take(0), fits.take(1))
    frame = fold.to_frame()
    assert list(frame.columns[:4]) == ["fold", "fold_ci_low", "fold_ci_high", "fold_censor"]
    assert "ic50_resistant" in frame
    evidence = fold.to_evidence(target="defactinib_ic50", source="plate1.csv")
    assert list(evidence.columns) == [
        "assay",
        "target",
        "comparison",
        "log2_fold_change",
        "p_value",
        "se",
        "n",
        "source",
    ]
    assert evidence.loc[0, "comparison"] == "resistant_vs_parental"
    np.testing.assert_allclose(evidence["log2_fold_change"].to_numpy()[0], np.log2(fold.fold[0]))


def test_nan_rows_dropped_and_inputs_untouched(rng):
    x, y = two_lines(rng, 3e-8, 9e-8)
    x_copy, y_copy = x.copy(), y.copy()
    y_nan = y.copy()
    y_nan[[0, 40]] = np.nan
    result = compare_curves(x, y_nan, LINES)
    assert list(result.separate.n_obs) == [26, 26]
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(y, y_copy)


def test_a_group_that_cannot_be_fitted_is_a_reason_not_a_crash(rng):
    x, y = two_lines(rng, 3e-8, 9e-8)
    keep = np.r_[np.ones(27, bool), np.zeros(27, bool)]
    keep[27:30] = True  # the resistant line keeps one dose level
    result = compare_curves(x[keep], y[keep], LINES[keep])
    assert np.isnan(result.p_value)
    assert not result.converged
    assert "'resistant'" in result.message


def test_bad_arguments_raise_clear_errors(rng):
    x, y = two_lines(rng, 3e-8, 9e-8)
    with pytest.raises(ValueError, match="at least two lines"):
        compare_curves(x, y, np.repeat("a", x.size))
    with pytest.raises(ValueError, match="same length"):
        compare_curves(x, y[:-1], LINES)
    with pytest.raises(ValueError, match="unknown parameter 'ic50'"):
        compare_curves(x, y, LINES, shared=("ic50",))
    with pytest.raises(ValueError, match="bottom is fixed in model 'll3'"):
        compare_curves(x, y, LINES, model="ll3", shared=("bottom",))
    with pytest.raises(ValueError, match="at least one parameter"):
        compare_curves(x, y, LINES, shared=())
    with pytest.raises(ValueError, match="non-negative; row 3"):
        compare_curves(np.r_[x[:3], -1.0, x[4:]], y, LINES)
    unlabelled = LINES.astype(object)
    unlabelled[5] = None
    with pytest.raises(ValueError, match="row 5 has no group"):
        compare_curves(x, y, unlabelled)
    with pytest.raises(ValueError, match="argument 'model'"):
        compare_curves(x, y, LINES, model="ll5")  # type: ignore[arg-type]
    result = compare_curves(x, y, LINES)
    with pytest.raises(ValueError, match="unknown parameter"):
        result.ratios("slope")
    with pytest.raises(ValueError, match="argument 'operator'"):
        result.ratios("ec50", operator="*")  # type: ignore[arg-type]
    fits = fit_curves(np.tile(DOSES, (3, 1)), np.tile(y[:27], (3, 1)))
    two = fit_curves(np.tile(DOSES, (2, 1)), np.tile(y[:27], (2, 1)))
    with pytest.raises(ValueError, match="parental has 3 curves and resistant 2"):
        fold_resistance(fits, two)
    with pytest.raises(TypeError, match="must be CurveFits"):
        fold_resistance(fits, y)
    with pytest.raises(ValueError, match="argument 'metric'"):
        fold_resistance(fits, fits, metric="ic90")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        fold_resistance(fits, fits, confidence=95)
