"""The campaign simulator against analytic results, plus whole-campaign sanity checks.

Analytic anchors (linear birth-death process with birth rate b, death rate d,
g = b - d, from N0 cells; Kendall 1948):

* mean ``N0 e^{gt}``, variance ``N0 (b + d) / g * e^{gt} (e^{gt} - 1)``;
* probability that a lineage from one cell is extinct by t:
  ``d (e^{gt} - 1) / (b e^{gt} - d)``, tending to ``d / b`` (supercritical) or 1;
* a binomial passage at 1:s keeps ``N / s`` cells with variance ``N (1/s)(1 - 1/s)``;
* two-state switching S <-> T with equal growth: the T share tends to
  ``k_ST / (k_ST + k_TS)``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from resistlab.campaign import CampaignRecord, next_actions
from resistlab.campaign.simulate import (
    CellType,
    LabProtocol,
    PopulationModel,
    ResistanceLevel,
    Strategy,
    TolerantState,
    population_model,
    simulate_campaign,
    simulate_ensemble,
    simulate_population,
    split_culture,
    synthetic_campaign_record,
)
from resistlab.dose_response import fit_curves, log_logistic


def birth_death(b: float, d: float) -> PopulationModel:
    """One drug-free type with birth rate b and death rate d per day."""
    return PopulationModel(types=(CellType("S", "sensitive", b, d, ic50=1e-6, emax=0.0),))


def extinct_by(b: float, d: float, t: float) -> float:
    g = b - d
    e = math.exp(g * t)
    return d * (e - 1.0) / (b * e - d)


# -- population stepping against the birth-death process -------------------------------


def test_mean_and_variance_follow_the_deterministic_limit():
    b, d, n0, t, runs = 0.8, 0.2, 10_000, 5.0, 400
    paths = simulate_population(birth_death(b, d), [n0], times=[0.0, t], runs=runs, seed=11)
    final = paths.total[:, -1].astype(float)
    g = b - d
    mean = n0 * math.exp(g * t)
    var = n0 * (b + d) / g * math.exp(g * t) * (math.exp(g * t) - 1.0)
    se = final.std(ddof=1) / math.sqrt(runs)
    assert abs(final.mean() - mean) < 4 * se
    # sample variance of a near-normal quantity: relative SE sqrt(2 / (runs - 1)) ~ 7 %
    assert final.var(ddof=1) / var == pytest.approx(1.0, abs=0.3)


def test_large_population_grows_exponentially_at_every_time():
    b, d = 0.7, 0.05
    times = np.linspace(0.0, 6.0, 13)
    paths = simulate_population(birth_death(b, d), [1_000_000], times=times, runs=20, seed=3)
    expected = 1e6 * np.exp((b - d) * times)
    mean = paths.total.mean(axis=0)
    se = paths.total.std(axis=0, ddof=1) / math.sqrt(20)
    assert np.all(np.abs(mean - expected) <= 4 * se + 1e-9 * expected)
    assert np.allclose(mean, expected, rtol=2e-3)


@pytest.mark.parametrize(
    ("b", "d", "t"),
    [
        (1.0, 0.5, 30.0),  # supercritical, long run: P(extinct) -> d / b = 0.5
        (1.0, 0.5, 1.5),  # supercritical, extinct by a finite time
        (0.5, 1.0, 2.0),  # subcritical
        (0.6, 0.6, 3.0),  # critical: d t / (1 + b t)
    ],
)
def test_extinction_probability_from_one_cell(b, d, t):
    runs = 4000
    paths = simulate_population(birth_death(b, d), [1], times=[0.0, t], runs=runs, seed=7)
    frequency = float(np.mean(paths.total[:, -1] == 0))
    expected = d * t / (1 + b * t) if b == d else extinct_by(b, d, t)
    if t == 30.0:
        assert expected == pytest.approx(d / b, abs=1e-6)
    tolerance = 4 * math.sqrt(expected * (1 - expected) / runs)
    assert abs(frequency - expected) < tolerance


def test_binomial_passaging_mean_and_variance():
    rng = np.random.default_rng(5)
    counts = np.array([100_000, 30_000, 0])
    split = 4.0
    draws = np.array([split_culture(counts, split, rng) for _ in range(3000)])
    p = 1.0 / split
    for k, n in enumerate(counts):
        mean, var = n * p, n * p * (1 - p)
        se_mean = math.sqrt(var / len(draws)) if var else 0.0
        assert abs(draws[:, k].mean() - mean) <= 4 * se_mean + 1e-12
        if var:
            assert draws[:, k].var(ddof=1) / var == pytest.approx(1.0, abs=0.15)
    assert split_culture(counts, 1.0, rng).tolist() == counts.tolist()
    with pytest.raises(ValueError, match="split_ratio must be >= 1"):
        split_culture(counts, 0.5, rng)


def test_switching_reaches_the_neutral_equilibrium():
    k_st, k_ts = 0.05, 0.15
    model = PopulationModel(
        types=(
            CellType("S", "sensitive", 0.6, 0.1, ic50=1e-6, emax=0.0),
            CellType("T", "tolerant", 0.6, 0.1, ic50=1e-6, emax=0.0),
        ),
        switching=(("S", "T", k_st), ("T", "S", k_ts)),
    )
    t = 40.0
    paths = simulate_population(model, [100_000, 0], times=[0.0, t], runs=20, capacity=1e6, seed=2)
    final = paths.counts[:, -1, :].astype(float)
    share = final[:, 1] / final.sum(axis=1)
    equilibrium = k_st / (k_st + k_ts)
    expected = equilibrium * (1 - math.exp(-(k_st + k_ts) * t))
    se = share.std(ddof=1) / math.sqrt(len(share))
    assert abs(share.mean() - expected) < 4 * se + 1e-4
    # crowding holds the culture near (not above) capacity
    assert np.all(final.sum(axis=1) < 1e6)


def test_mutants_appear_at_the_expected_rate():
    # pure birth from N0 cells: expected mutants ~ u * (divisions) = u * N0 (e^{bt} - 1)
    u, b, n0, t = 1e-5, 0.7, 100_000, 4.0
    model = PopulationModel(
        types=(
            CellType(
                "S", "sensitive", b, 0.0, ic50=1e-6, emax=0.0, mutation_rate=u, mutates_to="R"
            ),
            CellType("R", "resistant", 0.0, 0.0, ic50=1e-5, emax=0.0),
        )
    )
    paths = simulate_population(model, [n0, 0], times=[0.0, t], runs=200, seed=9)
    mutants = paths.counts[:, -1, 1].astype(float)
    expected = u * n0 * math.expm1(b * t)
    se = math.sqrt(expected / len(mutants))  # Poisson
    assert abs(mutants.mean() - expected) < 4 * se


# -- calibration --------------------------------------------------------------------------


def test_model_reproduces_the_parental_assay_ic50():
    model = population_model(ic50=2e-6, hill_slope=1.3, bottom=10.0, tolerant=None, resistance=())
    assert model.effective_ic50([1.0]) == pytest.approx(2e-6, rel=1e-4)
    assert model.net_rates(0.0)[0] == pytest.approx(math.log(2) / (25 / 24))
    # the default population (a little T and R) sits within a few percent of it
    default = population_model(ic50=2e-6)
    assert default.effective_ic50(default.initial_fractions) == pytest.approx(2e-6, rel=0.03)


def test_model_from_a_curve_fit():
    doses = 1e-6 * 3.0 ** np.arange(-4, 5)
    responses = log_logistic(doses, hill_slope=1.2, bottom=3.0, top=100.0, ec50=5e-7)
    fits = fit_curves(doses, responses)
    model = population_model(fits)
    assert model.parental_ic50 == pytest.approx(float(fits.effective_dose(50).estimate[0]))
    assert model.parental_hill_slope == pytest.approx(1.2, rel=1e-3)
    # exact for sensitive cells alone; switching and mutation during the assay shift it a little
    assert model.effective_ic50([1, 0, 0, 0]) == pytest.approx(model.parental_ic50, rel=1e-3)


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="needs a parental fit or an ic50"):
        population_model()
    with pytest.raises(ValueError, match="factor must be > 1"):
        Strategy("flat", factor=1.0)
    with pytest.raises(ValueError, match="unique"):
        simulate_ensemble([Strategy("a"), Strategy("a")], runs=1)
    with pytest.raises(ValueError, match="initial must have shape"):
        simulate_population(birth_death(1, 0), [1, 2], times=[0, 1])


# -- whole campaigns --------------------------------------------------------------------


def test_same_seed_same_run_and_different_seeds_differ():
    first = simulate_campaign(seed=21)
    again = simulate_campaign(seed=21)
    other = simulate_campaign(seed=22)
    assert first.record == again.record
    assert np.array_equal(first.counts, again.counts)
    assert first.outcome == again.outcome
    assert first.record.passages != other.record.passages
    a = simulate_ensemble([Strategy("x2")], runs=6, seed=4)
    b = simulate_ensemble([Strategy("x2")], runs=6, seed=4)
    pd.testing.assert_frame_equal(a.runs, b.runs)


def test_default_campaign_is_plausible_and_consistent_with_the_rules():
    result = simulate_ensemble([Strategy("x2 from IC20")], runs=40, seed=8)
    row = result.to_frame().iloc[0]
    # months, not days: 3-18 months (McDermott et al. 2014)
    assert 13 <= row["weeks_to_target_median"] <= 78
    assert row["p_target_reached"] >= 0.8
    assert row["p_culture_lost"] <= 0.1
    # 2-10x resistance at the end (a few above 10 with assay noise)
    assert 2 <= row["fold_resistance_median"] <= 12

    run = simulate_campaign(seed=3)
    record = run.record
    assert run.outcome.reached_target
    assert record.campaign.phase == "done"
    days = [p.day for p in record.passages]
    assert days == sorted(days)
    # every escalation was preceded by vials of the step it left
    for before, after in zip(record.steps, record.steps[1:], strict=False):
        if after.index == before.index + 1:
            assert any(v.dose_step == before.index for v in record.cryostocks)
    retest = record.dose_responses[-1]
    assert retest.drug_free_passages >= 4
    assert run.outcome.fold_resistance == pytest.approx(retest.ic50 / record.campaign.parental_ic50)
    # the rules, asked again on the finished record, agree that it is done
    assert "done" in next_actions(record, today=record.passages[-1].day).kinds
    timeline = run.timeline()
    assert {"day", "date", "dose", "cells", "S_fraction", "R2"} <= set(timeline.columns)


def test_factor_two_is_faster_than_one_and_a_half_when_the_culture_keeps_up():
    # resistance is not limiting (every cell is 100x resistant): time is set by the ladder
    keeps_up = population_model(
        ic50=1e-6,
        tolerant=None,
        resistance=(ResistanceLevel(fold_ic50=100.0, initial_fraction=1.0),),
    )
    result = simulate_ensemble(
        [
            Strategy("x2 from IC20", factor=2.0),
            Strategy("x1.5 from IC20", factor=1.5),
            Strategy("x2 from IC10", factor=2.0, start_level=10.0),
        ],
        runs=8,
        model=keeps_up,
        seed=12,
    )
    weeks = result.to_frame().set_index("strategy")["weeks_to_target_median"]
    assert weeks["x2 from IC20"] < weeks["x2 from IC10"] < weeks["x1.5 from IC20"]
    assert result.runs["escalations"].groupby(result.runs["strategy"]).median().to_dict() == {
        "x2 from IC20": 5,
        "x2 from IC10": 6,
        "x1.5 from IC20": 8,
    }


def test_crash_steps_back_and_thaws_the_last_tolerated_vial():
    # steep, cytotoxic drug and an 8x jump: the culture dies back at the new dose
    harsh = population_model(
        ic50=1e-6, hill_slope=3.0, bottom=1.0, cytostatic_fraction=0.0, resistance=()
    )
    run = simulate_campaign(
        Strategy("x8", factor=8.0), model=harsh, protocol=LabProtocol(max_weeks=8), seed=1
    )
    record = run.record
    assert run.outcome.crashes >= 1 and run.outcome.thaws >= 1
    doses = [s.dose for s in record.steps]
    assert any(b < a for a, b in itertools.pairwise(doses))
    thawed = [v for v in record.cryostocks if v.thawed is not None]
    assert thawed and all(v.dose_step == 1 for v in thawed)
    assert any(p.note.startswith("thawed ") for p in record.passages)


def test_culture_dies_with_no_vial_left_is_lost():
    killer = PopulationModel(
        types=(CellType("S", "sensitive", 0.7, 0.05, ic50=1e-6, emax=6.0),), parental_ic50=1e-6
    )
    run = simulate_campaign(
        Strategy("x2", start_level=90.0),
        model=killer,
        protocol=LabProtocol(parental_vials=0),
        seed=1,
    )
    assert run.outcome.status == "lost"
    assert run.record.campaign.phase == "lost"
    assert run.outcome.weeks_to_target == math.inf
    assert run.counts[-1].sum() == 0
    assert "culture_lost" in next_actions(run.record, today=run.record.passages[-1].day).kinds


def test_tolerance_alone_gives_a_reversible_warning():
    # no heritable resistance; a fast-growing tolerant state carries the escalation
    persister = population_model(
        ic50=1e-6,
        tolerant=TolerantState(relative_growth=1.0, switch_on=0.01, switch_off=0.15),
        resistance=(),
    )
    run = simulate_campaign(model=persister, seed=5)
    assert run.outcome.reached_target
    assert run.outcome.status == "reversible"
    assert run.outcome.tolerant_fraction == pytest.approx(1.0)
    # the drug-free re-test fell back toward parental (the rules' reversal warning)
    assert run.outcome.fold_resistance < 0.5 * run.outcome.fold_on_drug
    assert run.outcome.true_fold_resistance < 3.0


def test_ensemble_summary_and_progress():
    calls = []
    strategies = [Strategy("x2"), Strategy("x2 pulsed", schedule="pulsed")]
    result = simulate_ensemble(
        strategies, runs=5, seed=1, progress=lambda done, total: calls.append((done, total))
    )
    frame = result.to_frame()
    for column in (
        "strategy",
        "weeks_to_target_median",
        "weeks_to_target_p05",
        "weeks_to_target_p95",
        "p_culture_lost",
        "fold_resistance_median",
        "tolerant_fraction_median",
        "heritable_fraction_median",
    ):
        assert column in frame.columns
    assert frame["strategy"].tolist() == ["x2", "x2 pulsed"]
    assert len(result.runs) == 10
    assert calls[-1] == (10, 10)
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)
    assert (frame["weeks_to_target_p05"] <= frame["weeks_to_target_p95"]).all()
    pulsed = result.runs[result.runs["strategy"] == "x2 pulsed"]
    assert (pulsed["passages"] > 0).all()


def test_synthetic_record_is_a_plausible_lab_log():
    record = synthetic_campaign_record(seed=3)
    assert isinstance(record, CampaignRecord)
    again = synthetic_campaign_record(seed=3)
    assert record == again
    numbers = [p.number for p in record.passages]
    assert numbers == list(range(1, len(numbers) + 1))
    counted = [p.cells_counted for p in record.passages if p.cells_counted is not None]
    assert min(counted) > 1e5 and max(counted) < 2e7
    assert all(0 <= (p.viability or 0) <= 100 for p in record.passages)
    assert len({m.day for m in record.medium_changes}) == len(record.medium_changes)
    lines = {line.name: line for line in record.cell_lines}
    for step in record.steps:
        assert step.cell_line in lines
    for line in record.cell_lines[1:]:
        assert line.parent in lines
        assert line.selected_for_resistance_to == record.campaign.drug
    vial_ids = [v.vial_id for v in record.cryostocks]
    assert len(set(vial_ids)) == len(vial_ids)
    # the record can be edited like any other (frozen dataclasses, no hidden state)
    assert replace(record, passages=record.passages[:3]).passages[-1].number == 3
