"""Growth from counts and the dose ladder: known truth and the published arithmetic."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest

from resistlab.campaign import (
    Passage,
    compare_growth,
    dose_ladder,
    growth_rate,
    passage_growth,
    plan_campaign,
    plan_from_ic50,
    pooled_growth,
)
from resistlab.dose_response import fit_curves, log_logistic
from resistlab.errors import AnalysisError, InputError


def weekly_log(rng, rate: float, n: int, noise: float = 0.0):
    day = date(2024, 3, 1)
    out = [Passage(1, day, 0.0, cells_counted=2e6, split_ratio=10)]
    for i in range(2, n + 1):
        interval = int(rng.integers(3, 8))
        day += timedelta(days=interval)
        seeded = out[-1].seeded
        counted = seeded * math.exp(rate * interval) * math.exp(rng.normal(0, noise))
        out.append(Passage(i, day, 0.0, cells_counted=counted, split_ratio=10))
    return out


def test_passage_growth_recovers_the_rate_and_doublings(rng):
    log = weekly_log(rng, rate=0.6, n=8)
    g = passage_growth(log)
    assert np.isnan(g.rate[0])
    np.testing.assert_allclose(g.rate[1:], 0.6, rtol=1e-12)
    expected = 0.6 * g.days[1:] / math.log(2)
    np.testing.assert_allclose(g.doublings[1:], expected, rtol=1e-12)
    np.testing.assert_allclose(g.cumulative_doublings[-1], expected.sum(), rtol=1e-12)
    np.testing.assert_allclose(g.doubling_time_hours[1:], 24 * math.log(2) / 0.6)


def test_confluence_is_used_when_counts_are_missing():
    day = date(2024, 1, 1)
    log = [
        Passage(1, day, 0.0, confluence=80.0, split_ratio=4),
        Passage(2, day + timedelta(days=2), 0.0, confluence=80.0, split_ratio=4),
    ]
    g = passage_growth(log)
    assert g.source[1] == "confluence"
    assert g.doublings[1] == pytest.approx(2.0)  # 20 % -> 80 %


def test_pooled_growth_interval_covers_the_truth(rng):
    hits = 0
    for _ in range(300):
        g = passage_growth(weekly_log(rng, rate=0.5, n=6, noise=0.3))
        est = pooled_growth(g)
        hits += est.low <= 0.5 <= est.high
    # nominal 95 %; weights and few intervals make it approximate
    assert 0.88 <= hits / 300 <= 0.99


def test_growth_rate_matches_numpy_polyfit(rng):
    t = np.arange(8.0)
    n = 1e5 * np.exp(0.4 * t + rng.normal(0, 0.05, t.size))
    est = growth_rate(t, n)
    slope = np.polyfit(t, np.log(n), 1)[0]
    assert est.rate == pytest.approx(slope, rel=1e-12)
    assert est.dip_rate == pytest.approx(slope / math.log(2))


def test_compare_growth_ratio_and_interval():
    est = pooled_growth(passage_growth(weekly_log(np.random.default_rng(1), 0.3, 6, 0.2)))
    ratio = compare_growth(est, 0.6)
    assert ratio.ratio == pytest.approx(est.rate / 0.6)
    assert ratio.low < ratio.ratio < ratio.high


def test_growth_input_errors():
    day = date(2024, 1, 5)
    with pytest.raises(InputError, match=r"passage 2 \(2024-01-01\) is dated before passage 1"):
        passage_growth([Passage(1, day, 0.0), Passage(2, date(2024, 1, 1), 0.0)])
    with pytest.raises(InputError, match=r"passage 1 .* cells_counted is negative"):
        passage_growth([Passage(1, day, 0.0, cells_counted=-5)])
    with pytest.raises(ValueError, match="counts must be positive; index 1"):
        growth_rate([0, 1], [1.0, 0.0])


@pytest.mark.parametrize(
    ("factor", "fold", "escalations"),
    # facts-draft.yaml, pharmacodynamics: start at IC20 = 0.25 x IC50 (h = 1)
    [(1.5, 5, 8), (2.0, 5, 5), (1.5, 10, 10), (2.0, 10, 6)],
)
def test_ladder_step_counts_match_the_published_arithmetic(factor, fold, escalations):
    plan = plan_from_ic50(1e-6, start_level=20, factor=factor, target_fold=fold)
    assert plan.start_dose == pytest.approx(0.25e-6)
    assert plan.n_escalations == escalations
    assert plan.ladder[-1] == pytest.approx(fold * 1e-6)
    ratios = np.diff(np.log(plan.ladder[:-1]))
    np.testing.assert_allclose(ratios, math.log(factor))
    assert plan.ladder[-1] / plan.ladder[-2] <= factor + 1e-12


def test_plan_from_a_parental_fit_uses_its_ic20_with_interval(rng):
    x = np.tile(np.repeat(1e-5 / 3.0 ** np.arange(9), 3), (1, 1))
    y = log_logistic(x, hill_slope=1.0, bottom=0.0, top=100.0, ec50=1e-6)
    fits = fit_curves(x, y + rng.normal(0, 2.0, y.shape))
    plan = plan_campaign(fits, start_level=20, factor=2.0, target_fold=10)
    assert plan.start_dose == pytest.approx(fits.effective_dose(20).estimate[0])
    assert plan.start_low < plan.start_dose < plan.start_high
    assert abs(math.log10(plan.start_dose / 0.25e-6)) < 0.1
    assert plan.target_dose == pytest.approx(10 * plan.parental_ic50)
    frame = plan.to_frame()
    assert list(frame["step"]) == list(range(1, len(plan.ladder) + 1))


def test_plan_refuses_a_censored_parental_ic50():
    x = np.repeat(1e-5 / 3.0 ** np.arange(9), 3)
    fits = fit_curves(x, log_logistic(x, hill_slope=1.0, bottom=70.0, top=100.0, ec50=1e-7))
    with pytest.raises(AnalysisError, match="parental IC50 is censored"):
        plan_campaign(fits)


def test_dose_ladder_edges():
    assert dose_ladder(2.0, 2.0, 1.0) == (1.0,)
    with pytest.raises(ValueError, match="factor must be > 1"):
        dose_ladder(1.0, 1.0, 5.0)
