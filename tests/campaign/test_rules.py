"""Decision rules, table-driven: every rule, including crash and fall-back cases."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, timedelta

import pytest

from resistlab.campaign import (
    ACTION_KINDS,
    Campaign,
    CampaignRecord,
    CellLine,
    Cryostock,
    DoseResponseLink,
    DoseStep,
    MediumChange,
    Passage,
    RuleConfig,
    next_actions,
)

START = date(2024, 1, 1)
BASELINE = math.log(2) / 1.0  # parental doubles once a day
IC50 = 1e-6


def campaign(**changes) -> Campaign:
    base = Campaign(
        name="C1",
        cell_line="PAR",
        drug="defactinib",
        parental_ic50=IC50,
        start_dose=0.25e-6,
        factor=2.0,
        target_dose=2e-6,
        started=START,
        baseline_growth_rate=BASELINE,
    )
    return replace(base, **changes)


def passages_at(
    dose: float,
    fractions: list[float],
    *,
    first_day: date,
    first_number: int = 1,
    viability: float = 95.0,
    morphology: str = "normal",
) -> list[Passage]:
    """Weekly passages whose growth is `fraction` of baseline (split 1:4, seeded 1e6)."""
    out = []
    day = first_day
    for i, fraction in enumerate(fractions):
        day = day + timedelta(days=4)
        counted = 1e6 * math.exp(fraction * BASELINE * 4)
        out.append(
            Passage(
                first_number + i,
                day,
                dose,
                cells_counted=counted,
                cells_seeded=1e6,
                split_ratio=4,
                viability=viability,
                morphology=morphology,
            )
        )
    return out


def record(
    *, steps, passages, vials=(), phase="escalation", responses=(), lines=None, medium=()
) -> CampaignRecord:
    lines = (
        lines
        if lines is not None
        else (CellLine("PAR", str_checked=START, mycoplasma_checked=START),)
    )
    return CampaignRecord(
        campaign=campaign(phase=phase),
        cell_lines=tuple(lines),
        steps=tuple(steps),
        passages=tuple(passages),
        medium_changes=tuple(medium),
        cryostocks=tuple(vials),
        dose_responses=tuple(responses),
    )


def seed_passage(day: date, dose: float) -> Passage:
    return Passage(0, day, dose, cells_counted=1e6, cells_seeded=1e6, split_ratio=1)


STEP1 = DoseStep(1, 0.25e-6, "C1-s1", START)
STEP2 = DoseStep(2, 0.5e-6, "C1-s2", START + timedelta(days=20))
STEP4 = DoseStep(4, 2e-6, "C1-s4", START + timedelta(days=20))


def vial(i: int, step: int, *, thawed=None) -> Cryostock:
    return Cryostock(
        f"V{step}-{i}",
        f"C1-s{step}",
        step,
        3,
        START + timedelta(days=10),
        box="LN2-1",
        position=f"A{i}",
        thawed=thawed,
    )


def at_step(step: DoseStep, fractions, **kw):
    return [
        seed_passage(step.started, step.dose),
        *passages_at(step.dose, fractions, first_day=step.started, **kw),
    ]


TODAY = START + timedelta(days=60)

CASES = [
    # (id, record, expected main action, dose expected, text in reason)
    (
        "hold: not yet recovered",
        record(steps=[STEP1], passages=at_step(STEP1, [0.3, 0.4])),
        "hold",
        0.25e-6,
        "growth 0.35 of baseline",
    ),
    (
        "hold: too few passages",
        record(steps=[STEP1], passages=at_step(STEP1, [0.9])),
        "hold",
        0.25e-6,
        "1 of 2 passages",
    ),
    (
        "hold: stressed morphology",
        record(steps=[STEP1], passages=at_step(STEP1, [0.9, 0.9], morphology="stressed")),
        "hold",
        0.25e-6,
        "morphology not yet normal",
    ),
    (
        "freeze before escalating",
        record(steps=[STEP1], passages=at_step(STEP1, [0.8, 0.9])),
        "freeze_vials",
        None,
        "freeze 2 more vial(s) of C1-s1 before escalating",
    ),
    (
        "one vial is not enough",
        record(steps=[STEP1], passages=at_step(STEP1, [0.8, 0.9]), vials=[vial(1, 1)]),
        "freeze_vials",
        None,
        "freeze 1 more vial(s)",
    ),
    (
        "thawed vials do not count",
        record(
            steps=[STEP1],
            passages=at_step(STEP1, [0.8, 0.9]),
            vials=[vial(1, 1), vial(2, 1, thawed=START)],
        ),
        "freeze_vials",
        None,
        "freeze 1 more",
    ),
    (
        "escalate by the factor",
        record(steps=[STEP1], passages=at_step(STEP1, [0.8, 0.9]), vials=[vial(1, 1), vial(2, 1)]),
        "escalate",
        0.5e-6,
        "raise to 500 nM (x2)",
    ),
    (
        "escalation capped at target",
        record(
            steps=[DoseStep(3, 1.5e-6, "C1-s3", START)],
            passages=at_step(DoseStep(3, 1.5e-6, "C1-s3", START), [0.8, 0.8]),
            vials=[vial(1, 3), vial(2, 3)],
        ),
        "escalate",
        2e-6,
        "raise to 2 µM",
    ),
    (
        "target reached: stability",
        record(steps=[STEP4], passages=at_step(STEP4, [0.8, 0.8]), vials=[vial(1, 4), vial(2, 4)]),
        "start_stability",
        0.0,
        "target 2 µM reached",
    ),
    (
        "target reached but vials missing",
        record(steps=[STEP4], passages=at_step(STEP4, [0.8, 0.8])),
        "freeze_vials",
        None,
        "before going drug-free",
    ),
    (
        "crash on viability: step back and thaw",
        record(
            steps=[STEP1, STEP2],
            passages=at_step(STEP2, [0.5], viability=30.0),
            vials=[vial(1, 1), vial(2, 1)],
        ),
        "step_back",
        0.25e-6,
        "viability 30 % < 50 %",
    ),
    (
        "crash on shrinking population",
        record(steps=[STEP1, STEP2], passages=at_step(STEP2, [-0.2]), vials=[vial(1, 1)]),
        "step_back",
        0.25e-6,
        "growth -0.20 of baseline <= 0.00",
    ),
    (
        "crash on abnormal morphology",
        record(
            steps=[STEP1, STEP2],
            passages=at_step(STEP2, [0.6], morphology="abnormal"),
            vials=[vial(1, 1)],
        ),
        "step_back",
        0.25e-6,
        "abnormal morphology",
    ),
    (
        "crash at the first step lowers the start dose",
        record(steps=[STEP1], passages=at_step(STEP1, [0.5], viability=20.0), vials=[vial(1, 1)]),
        "step_back",
        0.125e-6,
        "return to the last tolerated dose 125 nM",
    ),
]


@pytest.mark.parametrize(("case", "rec", "kind", "dose", "text"), CASES, ids=[c[0] for c in CASES])
def test_rule_table(case, rec, kind, dose, text):
    status = next_actions(
        rec,
        today=TODAY - timedelta(days=30) + timedelta(days=0),
        config=RuleConfig(medium_change_days=1000),
    )
    main = [
        a
        for a in status.actions
        if a.kind not in ("authenticate_str", "test_mycoplasma", "change_medium")
    ]
    assert main, status.actions
    assert main[0].kind == kind, main
    if dose is not None:
        assert main[0].dose == pytest.approx(dose)
    assert text in main[0].reason
    assert all(a.kind in ACTION_KINDS for a in status.actions)


def test_crash_thaws_the_last_tolerated_steps_latest_vial():
    older = vial(1, 1)
    newer = replace(vial(2, 1), vial_id="V1-new", frozen=START + timedelta(days=15))
    rec = record(
        steps=[STEP1, STEP2],
        passages=at_step(STEP2, [0.4], viability=30.0),
        vials=[older, newer, vial(1, 2, thawed=START)],
    )
    status = next_actions(rec, today=TODAY, config=RuleConfig(medium_change_days=1000))
    thaw = [a for a in status.actions if a.kind == "thaw"]
    assert thaw and thaw[0].vial_id == "V1-new"
    assert status.kinds[:2] == ("step_back", "thaw")


def test_crash_without_any_vial_says_culture_may_be_lost():
    rec = record(steps=[STEP1, STEP2], passages=at_step(STEP2, [0.4], viability=10.0))
    status = next_actions(rec, today=TODAY, config=RuleConfig(medium_change_days=1000))
    assert "culture_lost" in status.kinds
    assert "thaw" not in status.kinds


def test_recovery_threshold_is_configurable():
    rec = record(
        steps=[STEP1], passages=at_step(STEP1, [0.55, 0.6]), vials=[vial(1, 1), vial(2, 1)]
    )
    strict = next_actions(rec, today=TODAY, config=RuleConfig(medium_change_days=1000))
    lenient = next_actions(
        rec, today=TODAY, config=RuleConfig(medium_change_days=1000, recovery_fraction=0.5)
    )
    assert "hold" in strict.kinds and "escalate" not in strict.kinds
    assert "escalate" in lenient.kinds
    assert strict.growth_fraction == pytest.approx(0.6)


@pytest.mark.parametrize(("days_since", "expected"), [(1, None), (3, 2), (7, 1)])
def test_medium_change_due_every_three_days(days_since, expected):
    last = START + timedelta(days=5)
    rec = record(
        steps=[DoseStep(1, 0.25e-6, "C1-s1", START)],
        passages=[],
        medium=[MediumChange(last, 0.25e-6)],
    )
    status = next_actions(rec, today=last + timedelta(days=days_since))
    medium = [a for a in status.actions if a.kind == "change_medium"]
    if expected is None:
        assert not medium
    else:
        assert medium[0].priority == expected
        assert medium[0].dose == 0.25e-6
        assert medium[0].due == last + timedelta(days=3)


@pytest.mark.parametrize(
    ("str_days", "myco_days", "expected"),
    [
        (10, 10, set()),
        (100, 10, {"authenticate_str"}),
        (10, 40, {"test_mycoplasma"}),
        (None, None, {"authenticate_str", "test_mycoplasma"}),
    ],
)
def test_authentication_schedule(str_days, myco_days, expected):
    today = START + timedelta(days=200)
    line = CellLine(
        "PAR",
        str_checked=None if str_days is None else today - timedelta(days=str_days),
        mycoplasma_checked=None if myco_days is None else today - timedelta(days=myco_days),
    )
    rec = record(steps=[STEP1], passages=[], lines=[line])
    kinds = set(next_actions(rec, today=today).kinds)
    assert kinds & {"authenticate_str", "test_mycoplasma"} == expected


def stability_record(drug_free: int, responses=()) -> CampaignRecord:
    start = STEP4.started + timedelta(days=30)
    free = passages_at(0.0, [1.0] * drug_free, first_day=start, first_number=10)
    return record(
        steps=[STEP4, DoseStep(0, 0.0, "C1-s4", start)],
        passages=[*at_step(STEP4, [0.8, 0.8]), *free],
        phase="stability",
        responses=responses,
    )


@pytest.mark.parametrize(
    ("drug_free", "responses", "kind", "text"),
    [
        (2, (), "hold", "drug-free passage 2 of 4"),
        (4, (), "retest_ic50", "4 drug-free passages done"),
        (
            5,
            (DoseResponseLink(START, "C1-s4", 8e-6, drug_free_passages=5),),
            "done",
            "stable resistance: IC50 8-fold",
        ),
        (
            5,
            (DoseResponseLink(START, "C1-s4", 1e-5, censor=">", drug_free_passages=5),),
            "done",
            "IC50 >10-fold",
        ),
        # falls back toward parental: a persister-like, reversible state
        (
            5,
            (DoseResponseLink(START, "C1-s4", 1.5e-6, drug_free_passages=5),),
            "reversible_warning",
            "fell back toward parental",
        ),
        # partly reversible: 9-fold on drug, 3-fold drug-free
        (
            5,
            (
                DoseResponseLink(START, "C1-s4", 9e-6, drug_free_passages=0),
                DoseResponseLink(START, "C1-s4", 3e-6, drug_free_passages=5),
            ),
            "reversible_warning",
            "fell from 9 on drug to 3",
        ),
    ],
)
def test_stability_phase(drug_free, responses, kind, text):
    status = next_actions(
        stability_record(drug_free, responses),
        today=TODAY,
        config=RuleConfig(medium_change_days=1000),
    )
    main = [a for a in status.actions if a.kind not in ("authenticate_str", "test_mycoplasma")]
    assert main[0].kind == kind
    assert text in main[0].reason
    assert status.dose == 0.0


def test_missing_baseline_asks_for_it_and_holds():
    rec = record(steps=[STEP1], passages=at_step(STEP1, [0.9, 0.9]))
    rec = replace(rec, campaign=replace(rec.campaign, baseline_growth_rate=None))
    status = next_actions(rec, today=TODAY, config=RuleConfig(medium_change_days=1000))
    assert "measure_baseline" in status.kinds
    assert "escalate" not in status.kinds


def test_baseline_from_drug_free_parental_passages():
    pre = passages_at(0.0, [1.0, 1.0], first_day=START - timedelta(days=10), first_number=1)
    pre = [Passage(0, START - timedelta(days=10), 0.0, cells_counted=1e6, cells_seeded=1e6), *pre]
    step = DoseStep(1, 0.25e-6, "C1-s1", pre[-1].day)
    rec = record(
        steps=[step],
        passages=[*pre, *passages_at(0.25e-6, [0.8, 0.8], first_day=step.started, first_number=3)],
    )
    rec = replace(rec, campaign=replace(rec.campaign, baseline_growth_rate=None))
    status = next_actions(rec, today=TODAY, config=RuleConfig(medium_change_days=1000))
    assert status.baseline_rate == pytest.approx(BASELINE)
    assert status.kinds[0] == "freeze_vials"


def test_lost_campaign_only_says_so():
    rec = record(steps=[STEP1], passages=[], phase="lost")
    assert next_actions(rec, today=TODAY).kinds == ("culture_lost",)


def test_a_culture_counted_at_zero_cells_has_crashed():
    dead = Passage(
        5, STEP2.started + timedelta(days=4), STEP2.dose, cells_counted=0.0, split_ratio=4
    )
    rec = record(
        steps=[STEP1, STEP2],
        passages=[seed_passage(STEP2.started, STEP2.dose), dead],
        vials=[vial(1, 1)],
    )
    status = next_actions(rec, today=TODAY, config=RuleConfig(medium_change_days=1000))
    assert status.kinds[:2] == ("step_back", "thaw")
    assert status.growth_fraction == -math.inf


def test_after_a_crash_at_the_next_dose_escalation_takes_a_half_step():
    # 250 nM -> 500 nM crashed, back at 250 nM (step 3), recovered again
    back = DoseStep(3, 0.25e-6, "C1-s3", START + timedelta(days=30))
    rec = record(
        steps=[STEP1, STEP2, back],
        passages=at_step(back, [0.9, 0.9]),
        vials=[vial(1, 3), vial(2, 3)],
    )
    status = next_actions(rec, today=TODAY, config=RuleConfig(medium_change_days=1000))
    escalate = next(a for a in status.actions if a.kind == "escalate")
    assert escalate.dose == pytest.approx(0.25e-6 * math.sqrt(2))
    assert "crashed 1 time(s), so a half step" in escalate.reason
