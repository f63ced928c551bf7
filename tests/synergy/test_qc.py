"""QC of combination data: baseline correction, replicate outliers, single-agent warnings.

Every expectation comes from known truth: surfaces built from known curves (with
a known baseline, a known flat drug, a known ec50 far above the doses, a known
control offset) and outliers planted at known places in seeded noise.
"""

from __future__ import annotations

import numpy as np
import pytest

from resistlab.dose_response import log_logistic
from resistlab.synergy import (
    BaselineWarning,
    DoseMatrices,
    combination_qc,
    correct_baseline,
    flag_outliers,
    single_agent_warnings,
)
from resistlab.synergy._fit_marginals import fit_marginals

DOSES = np.r_[0.0, 1e-9 * 3.0 ** np.arange(7)]  # 8 x 8, 1:3 dilution from 1 nM
TOP_DOSE = DOSES[-1]


def ll4(dose: np.ndarray, hill: float, top: float, ec50: float, zero: float = 0.0) -> np.ndarray:
    """Percent inhibition going from `zero` at dose 0 to `top` (drc slope = -hill)."""
    return log_logistic(dose, hill_slope=-hill, bottom=zero, top=top, ec50=ec50)


def bliss_surface(y1: np.ndarray, y2: np.ndarray) -> np.ndarray:
    """Bliss-independent combination of two monotherapy curves (rows: drug 1)."""
    return y1[:, None] + y2[None, :] - y1[:, None] * y2[None, :] / 100.0


def blocks(responses: list[np.ndarray], drugs: tuple[str, str] = ("A", "B")) -> DoseMatrices:
    """DoseMatrices of blocks with responses of shape (K, 8, 8) on the DOSES grid."""
    n = len(responses)
    conc = np.tile(DOSES, (n, 1))
    ids = tuple(f"b{i}" for i in range(n))
    return DoseMatrices(
        ids, (drugs[0],) * n, (drugs[1],) * n, conc, conc.copy(), np.stack(responses)
    )


def replicated(surface: np.ndarray, rng: np.random.Generator, k: int = 3, sd: float = 2.0):
    return surface[None] + rng.normal(0.0, sd, (k, *surface.shape))


GOOD1 = ll4(DOSES, 1.2, 90.0, 3e-8)
GOOD2 = ll4(DOSES, 1.0, 80.0, 1e-7)


# --- baseline correction -------------------------------------------------------------------

BASELINE = -10.0


def shifted_bliss() -> DoseMatrices:
    """A Bliss surface read on a scale whose 0 % sits at -10 %: y = b + t (1 - b / 100).

    Both monotherapy curves (and the control) then start at -10 % inhibition and
    100 % stays 100 %. Noise-free, duplicate replicates.
    """
    truth = bliss_surface(GOOD1, GOOD2)
    observed = BASELINE + truth * (1.0 - BASELINE / 100.0)
    return blocks([np.stack([observed, observed])])


def fitted_minima(m: DoseMatrices) -> tuple[np.ndarray, np.ndarray]:
    fits = fit_marginals(m.conc1, m.conc2, m.response, mode="resistlab")
    return np.nanmin(fits.pred1, axis=1), np.nanmin(fits.pred2, axis=1)


def sf_formula(y: np.ndarray, baseline: float) -> np.ndarray:
    return y - (100.0 - y) / 100.0 * baseline


def test_baseline_none_is_identity_on_a_copy():
    m = shifted_bliss()
    out = correct_baseline(m, "none")
    np.testing.assert_array_equal(out.response, m.response)
    assert out is not m
    assert out.response is not m.response


def test_baseline_all_applies_synergyfinder_formula_to_every_value():
    m = shifted_bliss()
    before = m.response.copy()
    low1, low2 = fitted_minima(m)
    # the noise-free fits recover the known baseline: both curves start at -10 %
    np.testing.assert_allclose([low1[0], low2[0]], [BASELINE, BASELINE], atol=1e-6)
    out = correct_baseline(m, "all")
    baseline = min(low1[0], low2[0])
    np.testing.assert_allclose(out.response, sf_formula(m.response, baseline), rtol=0, atol=1e-12)
    # the control (the fitted minimum, -10) moves to b**2 / 100 = 1, near 0
    np.testing.assert_allclose(out.response[0, :, 0, 0], BASELINE**2 / 100.0, atol=1e-6)
    # and the monotherapy curves now start there
    low1_after, low2_after = fitted_minima(out)
    np.testing.assert_allclose([low1_after[0], low2_after[0]], [1.0, 1.0], atol=1e-4)
    np.testing.assert_array_equal(m.response, before)  # input untouched


def test_baseline_formula_keeps_complete_inhibition():
    m = shifted_bliss()
    y = m.response.copy()
    y[0, :, 7, 7] = 100.0
    out = correct_baseline(DoseMatrices(m.block_ids, m.drug1, m.drug2, m.conc1, m.conc2, y), "all")
    np.testing.assert_allclose(out.response[0, :, 7, 7], 100.0, rtol=0, atol=1e-12)


def test_baseline_part_changes_only_negative_values():
    m = shifted_bliss()
    negative = m.response < 0
    assert negative.any() and (~negative).any()
    out = correct_baseline(m, "part")
    low1, low2 = fitted_minima(m)
    baseline = min(low1[0], low2[0])
    np.testing.assert_array_equal(out.response[~negative], m.response[~negative])
    np.testing.assert_allclose(
        out.response[negative], sf_formula(m.response[negative], baseline), rtol=0, atol=1e-12
    )


def test_baseline_part_without_negative_values_changes_nothing():
    m = blocks([np.stack([bliss_surface(GOOD1, GOOD2)] * 2)])
    assert (m.response >= 0).all()
    np.testing.assert_array_equal(correct_baseline(m, "part").response, m.response)


def test_baseline_pooling_min_is_synergyfinder3_and_mean_synergyfinder2():
    # drug 2 promotes growth: its curve falls from -10 % (control) towards -30 %
    y1 = ll4(DOSES, 1.2, 90.0, 3e-8, zero=BASELINE)
    y2 = ll4(DOSES, 1.0, -30.0, 1e-7, zero=BASELINE)
    surface = y1[:, None] + y2[None, :] - BASELINE  # row 0 is y2, column 0 is y1
    m = blocks([np.stack([surface, surface])])
    low1, low2 = fitted_minima(m)
    np.testing.assert_allclose(low1[0], BASELINE, atol=1e-6)
    np.testing.assert_allclose(low2[0], y2[-1], atol=1e-6)  # at the top dose, about -27.6
    np.testing.assert_allclose(
        correct_baseline(m, "all").response, sf_formula(m.response, y2[-1]), atol=1e-6
    )
    np.testing.assert_allclose(
        correct_baseline(m, "all", pooling="mean").response,
        sf_formula(m.response, (BASELINE + y2[-1]) / 2.0),
        atol=1e-6,
    )


def test_baseline_rejects_unknown_method_naming_the_allowed_ones():
    m = shifted_bliss()
    with pytest.raises(ValueError, match="should be 'none', 'part' or 'all'"):
        correct_baseline(m, "non")  # type: ignore[arg-type]  # SynergyFinder's spelling
    with pytest.raises(ValueError, match="should be 'min' or 'mean'"):
        correct_baseline(m, "all", pooling="max")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="DoseMatrices"):
        correct_baseline(m.response, "all")  # type: ignore[arg-type]


def test_baseline_not_estimable_leaves_block_unchanged_and_warns():
    # only the control and combination wells: no monotherapy curve can be fitted
    y = np.full((2, 8, 8), np.nan)
    y[:, 0, 0] = -5.0
    y[:, 1:, 1:] = -2.0
    good = shifted_bliss().response[0]
    m = blocks([good, y])
    with pytest.warns(BaselineWarning, match="block\\(s\\) b1; left uncorrected"):
        out = correct_baseline(m, "all")
    np.testing.assert_array_equal(out.response[1], y)
    assert not np.allclose(out.response[0], good)


# --- replicate outliers --------------------------------------------------------------------


def test_planted_outliers_are_flagged_and_nothing_else(rng):
    surface = bliss_surface(GOOD1, GOOD2)
    y = replicated(surface, rng)
    y[1, 3, 4] += 40.0  # replicate 2 of well (3, 4)
    y[2, 6, 1] -= 35.0  # replicate 3 of well (6, 1)
    flags = flag_outliers(blocks([y]))
    assert flags.shape == (1, 3, 8, 8)
    np.testing.assert_array_equal(np.argwhere(flags[0]), [[1, 3, 4], [2, 6, 1]])


def test_wells_with_fewer_than_three_replicates_are_never_flagged(rng):
    y = replicated(bliss_surface(GOOD1, GOOD2), rng)
    y[0, 2, 2] = np.nan  # two replicates left in well (2, 2) ...
    y[1, 2, 2] += 50.0  # ... one of them far off
    y[2, 5, 5] += 50.0  # the same shift in a triplicate well is flagged
    flags = flag_outliers(blocks([y]))[0]
    assert not flags[:, 2, 2].any()
    assert flags[2, 5, 5]


def test_false_positive_rate_on_clean_triplicates_matches_the_documented_rate(rng):
    # 1000 clean 8 x 8 blocks in triplicate with normal errors; the docstring promises
    # about 0.016 % of values flagged at the default 4.5 (about 3 % of blocks), and about
    # 0.2 % of values (28 % of blocks) at Iglewicz and Hoaglin's 3.5
    surface = bliss_surface(GOOD1, GOOD2)
    m = blocks([replicated(surface, rng) for _ in range(1000)])
    flags = flag_outliers(m)
    assert 0.00005 < flags.mean() < 0.0004
    assert flags.any(axis=(1, 2, 3)).mean() < 0.06
    loose = flag_outliers(m, threshold=3.5)
    assert 0.001 < loose.mean() < 0.003
    assert 0.2 < loose.any(axis=(1, 2, 3)).mean() < 0.36


def test_pooled_scale_estimates_the_replicate_sd(rng):
    # the robust SD behind the flags recovers the true error SD, also for triplicates
    # (one 8 x 8 block: about 9 % standard error; the mean of 20 blocks: about 2 %)
    surface = bliss_surface(GOOD1, GOOD2)
    for sd in (1.0, 5.0):
        m = blocks([replicated(surface, rng, sd=sd) for _ in range(20)])
        qc = combination_qc(m)
        np.testing.assert_allclose(qc["replicate_sd"].mean(), sd, rtol=0.06)


def test_flag_outliers_rejects_a_bad_threshold():
    with pytest.raises(ValueError, match="positive number"):
        flag_outliers(shifted_bliss(), threshold=0.0)


# --- single-agent warnings -----------------------------------------------------------------

FLAT = np.zeros_like(DOSES)
# ec50 1000 x the top dose, shallow: 1.7 % at the lowest dose, 11 % at the top
WEAK = ll4(DOSES, 0.3, 100.0, 1000.0 * TOP_DOSE)
CONTROL = 35.0


def warning_blocks(rng: np.random.Generator) -> DoseMatrices:
    """b0 clean, b1 drug 2 flat, b2 drug 1 with ec50 1000x the top dose, b3 control at 35 %."""
    clean = replicated(bliss_surface(GOOD1, GOOD2), rng)
    flat = replicated(bliss_surface(GOOD1, FLAT), rng)
    weak = replicated(bliss_surface(WEAK, GOOD2), rng)
    control = replicated(bliss_surface(GOOD1, GOOD2), rng)
    control[:, 0, 0] += CONTROL
    return blocks([clean, flat, weak, control])


def blocks_with(found: list[list[str]], text: str) -> list[int]:
    return [i for i, texts in enumerate(found) if any(text in t for t in texts)]


def test_each_degenerate_case_warns_in_its_block_and_the_clean_block_is_silent(rng):
    found = single_agent_warnings(warning_blocks(rng))
    assert len(found) == 4
    assert found[0] == []
    assert blocks_with(found, "drug2 (B): flat: no significant dose effect") == [1]
    assert blocks_with(found, "drug2 (B): maximal effect") == [1]
    assert blocks_with(found, "drug1 (A): ec50") == [2]
    assert blocks_with(found, "x the top dose 7.29e-07 M (at least 10x beyond") == [2]
    assert blocks_with(found, "control well at") == [3]
    control_text = next(t for t in found[3] if t.startswith("control well"))
    observed = float(control_text.split()[3])
    assert abs(observed - CONTROL) < 3.0  # replicate mean of 35 + N(0, 2) noise


def test_weak_drug_has_its_ec50_at_the_fit_limit_a_decade_beyond_the_top_dose(rng):
    m = warning_blocks(rng)
    fits = fit_marginals(m.conc1, m.conc2, m.response, mode="resistlab")
    np.testing.assert_allclose(fits.drug1.ec50[2], 10.0 * TOP_DOSE, rtol=1e-6)
    # the clean drugs are placed near their true ec50
    np.testing.assert_allclose(fits.drug1.ec50[0], 3e-8, rtol=0.15)
    np.testing.assert_allclose(fits.drug2.ec50[0], 1e-7, rtol=0.15)


def test_ec50_far_below_the_lowest_dose_warns(rng):
    potent = ll4(DOSES, 1.0, 90.0, DOSES[1] / 1000.0)  # at its plateau from the first dose
    found = single_agent_warnings(blocks([replicated(bliss_surface(GOOD1, potent), rng)]))
    assert blocks_with(found, "drug2 (B): ec50") == [0]
    assert blocks_with(found, "of the lowest dose 1e-09 M") == [0]


def test_failed_fits_and_missing_control_are_reported():
    y = np.full((2, 8, 8), np.nan)
    y[:, 1:, 1:] = 50.0  # combination wells only
    found = single_agent_warnings(blocks([y]))[0]
    assert found == [
        "control well missing (no response at both doses 0)",
        "drug1 (A): fit failed (too few points or dose levels to fit)",
        "drug2 (B): fit failed (too few points or dose levels to fit)",
    ]


def test_single_agent_warnings_checks_marginals_and_limits(rng):
    m = warning_blocks(rng)
    other = m.take([0, 1])
    marginals = fit_marginals(other.conc1, other.conc2, other.response)
    with pytest.raises(ValueError, match="one fit per block \\(4\\)"):
        single_agent_warnings(m, marginals)
    with pytest.raises(ValueError, match="min_effect must be a positive number"):
        single_agent_warnings(m, min_effect=-1.0)
    # given fits are used as they are: the same warnings as fitting inside
    own = fit_marginals(m.conc1, m.conc2, m.response)
    assert single_agent_warnings(m, own) == single_agent_warnings(m)


# --- the QC table --------------------------------------------------------------------------


def test_combination_qc_table(rng):
    m = warning_blocks(rng)
    y = m.response.copy()
    y[0, 1, 3, 4] += 40.0  # two outliers planted in the clean block
    y[0, 2, 6, 1] -= 35.0
    m = DoseMatrices(m.block_ids, m.drug1, m.drug2, m.conc1, m.conc2, y)
    qc = combination_qc(m)
    assert list(qc.columns) == [
        "block_id",
        "drug1",
        "drug2",
        "n_outliers",
        "replicate_sd",
        "control_response",
        "baseline",
        "drug1_ec50",
        "drug2_ec50",
        "drug1_emax",
        "drug2_emax",
        "qc_warnings",
    ]
    assert qc["block_id"].tolist() == ["b0", "b1", "b2", "b3"]
    flags = flag_outliers(m)
    np.testing.assert_array_equal(qc["n_outliers"], flags.sum(axis=(1, 2, 3)))
    assert qc.loc[0, "n_outliers"] == 2
    text = qc.loc[0, "qc_warnings"]
    assert text.startswith("2 outlier replicate values (more than 4.5 robust SD")
    assert f"at {DOSES[3]:.3g} M x {DOSES[4]:.3g} M" in text
    # the single-agent warnings are all there, joined by "; "
    warned = single_agent_warnings(m)
    assert not any("; " in item for items in warned for item in items)  # the separator
    for i in (1, 2, 3):
        for item in warned[i]:
            assert item in qc.loc[i, "qc_warnings"].split("; ")
    # the numbers behind them
    np.testing.assert_allclose(qc.loc[3, "control_response"], CONTROL, atol=3.0)
    np.testing.assert_allclose(qc.loc[[0, 1, 2], "control_response"], 0.0, atol=3.0)
    np.testing.assert_allclose(qc.loc[0, "drug1_ec50"], 3e-8, rtol=0.15)
    np.testing.assert_allclose(qc.loc[2, "drug1_ec50"], 10.0 * TOP_DOSE, rtol=1e-6)
    np.testing.assert_allclose(qc.loc[0, "drug1_emax"], GOOD1[-1], atol=2.0)  # ~89
    np.testing.assert_allclose(qc.loc[1, "drug2_emax"], 0.0, atol=2.0)  # the flat drug
    np.testing.assert_allclose(qc.loc[:2, "baseline"], 0.0, atol=2.0)  # curves start at 0


def test_combination_qc_clean_block_has_no_warnings(rng):
    qc = combination_qc(blocks([replicated(bliss_surface(GOOD1, GOOD2), rng)]))
    assert qc.loc[0, "qc_warnings"] == ""
    assert qc.loc[0, "n_outliers"] == 0


def test_combination_qc_says_when_outliers_cannot_be_assessed():
    surface = bliss_surface(GOOD1, GOOD2)
    single = combination_qc(blocks([surface[None]]))
    assert single.loc[0, "qc_warnings"] == (
        "replicate outliers not assessed (no well has 3 or more replicates)"
    )
    assert np.isnan(single.loc[0, "replicate_sd"])
    identical = combination_qc(blocks([np.stack([surface] * 3)]))
    assert "replicate outliers not assessed (replicates agree exactly)" in (
        identical.loc[0, "qc_warnings"].split("; ")
    )
    assert identical.loc[0, "replicate_sd"] == 0.0
