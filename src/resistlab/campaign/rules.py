"""What to do next in a campaign, and why: explicit, configurable decision rules.

`next_actions` reads a `CampaignRecord` and returns actions with reasons;
it changes nothing (the store or the simulator carries actions out). The
rules, in order of urgency:

1. **Crash** (last passage at this dose: viability below
   ``crash_viability``, growth rate at or below ``crash_growth_fraction`` of
   baseline, or abnormal morphology) -> ``step_back`` to the last tolerated
   dose and ``thaw`` that step's vial.
2. **Recovered** (the last ``recovery_passages`` passages at this dose grew
   at >= ``recovery_fraction`` of the parental drug-free rate, with normal
   morphology) -> ``freeze_vials`` until ``vials_per_step`` vials of this
   step are logged, then ``escalate`` by the campaign's factor (capped at the
   target), or at the target ``start_stability`` (drug-free).
3. Otherwise ``hold`` the dose, saying how far growth is from recovery.
4. Stability phase: after ``stability_passages`` drug-free passages,
   ``retest_ic50``; a re-test below ``min_fold_resistance`` or below
   ``reversal_fraction`` of the on-drug fold raises ``reversible_warning``
   (a persister-like state, not stable resistance); otherwise ``done``.
5. Always: ``change_medium`` every ``medium_change_days``; STR and
   mycoplasma checks (``authenticate_str``, ``test_mycoplasma``) on schedule.

No numeric threshold for "resumed normal growth" is published (protocols
say "survive and proliferate at each stage"), so the recovery fraction is
a setting, defaulting to 0.7 of the parental rate.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import numpy as np
import pandas as pd

from resistlab.campaign.growth import passage_growth, pooled_growth
from resistlab.campaign.model import CampaignRecord, Cryostock, DoseStep, Passage
from resistlab.units import format_molar

__all__ = [
    "ACTION_KINDS",
    "Action",
    "CampaignStatus",
    "RuleConfig",
    "baseline_rate",
    "next_actions",
]

ActionKind = Literal[
    "change_medium",
    "hold",
    "freeze_vials",
    "escalate",
    "step_back",
    "thaw",
    "start_stability",
    "retest_ic50",
    "reversible_warning",
    "done",
    "culture_lost",
    "measure_baseline",
    "authenticate_str",
    "test_mycoplasma",
]
#: Every action `next_actions` can recommend.
ACTION_KINDS: tuple[str, ...] = ActionKind.__args__  # type: ignore[attr-defined]

URGENT, DUE, INFO = 1, 2, 3


@dataclass(frozen=True)
class RuleConfig:
    """Thresholds of the decision rules (defaults follow common practice).

    Attributes
    ----------
    medium_change_days : float
        Fresh medium and drug every this many days (2-3 in protocols).
    recovery_fraction : float
        Growth rate, as a fraction of the parental drug-free rate, that counts
        as recovered at a dose.
    recovery_passages : int
        Consecutive passages at the dose that must show recovery.
    crash_viability : float
        Percent viability below which the culture has crashed.
    crash_growth_fraction : float
        Growth rate (fraction of baseline) at or below which it has crashed;
        0 means the population shrank.
    vials_per_step : int
        Vials to freeze before leaving a dose step.
    stability_passages : int
        Drug-free passages before re-testing the IC50.
    min_fold_resistance : float
        Fold resistance below which a drug-free re-test means the resistance
        did not persist.
    reversal_fraction : float
        A drug-free fold below this fraction of the on-drug fold is a warning.
    str_interval_days, mycoplasma_interval_days : int
        Authentication schedule.
    half_step_after_failures : int
        After this many crashes at (or above) the next dose, escalate by the
        square root of the factor instead, so repeated crashes cannot loop.
    """

    medium_change_days: float = 3.0
    recovery_fraction: float = 0.7
    recovery_passages: int = 2
    crash_viability: float = 50.0
    crash_growth_fraction: float = 0.0
    vials_per_step: int = 2
    stability_passages: int = 4
    min_fold_resistance: float = 2.0
    reversal_fraction: float = 0.5
    str_interval_days: int = 90
    mycoplasma_interval_days: int = 30
    half_step_after_failures: int = 1


@dataclass(frozen=True)
class Action:
    """One recommended action.

    Attributes
    ----------
    kind : str
        One of `ACTION_KINDS`.
    reason : str
        Why, with the numbers that triggered it.
    dose : float, optional
        Molar dose to use (escalate, step back, medium change).
    vial_id : str, optional
        Vial to thaw.
    vials : int, optional
        Number of vials to freeze.
    due : date, optional
    priority : int
        1 urgent, 2 due, 3 information.
    """

    kind: str
    reason: str
    dose: float | None = None
    vial_id: str | None = None
    vials: int | None = None
    due: date | None = None
    priority: int = DUE


@dataclass(frozen=True)
class CampaignStatus:
    """The rules' verdict on a campaign today.

    Attributes
    ----------
    actions : tuple of Action
        Most urgent first.
    step : int
        Current dose step (0 when none).
    dose : float
        Current molar dose.
    growth_fraction : float
        Growth rate over the last passages at this dose as a fraction of the
        baseline (NaN when unknown).
    baseline_rate : float
        Parental drug-free growth rate per day used (NaN when unknown).
    """

    actions: tuple[Action, ...]
    step: int
    dose: float
    growth_fraction: float
    baseline_rate: float

    @property
    def kinds(self) -> tuple[str, ...]:
        """The kinds of the actions, in order."""
        return tuple(a.kind for a in self.actions)

    def to_frame(self) -> pd.DataFrame:
        """One row per action."""
        return pd.DataFrame(
            {
                "priority": [a.priority for a in self.actions],
                "action": [a.kind for a in self.actions],
                "dose": [a.dose for a in self.actions],
                "vial": [a.vial_id for a in self.actions],
                "due": [a.due for a in self.actions],
                "reason": [a.reason for a in self.actions],
            }
        )


def next_actions(
    record: CampaignRecord,
    *,
    today: date,
    config: RuleConfig | None = None,
) -> CampaignStatus:
    """Recommend the next actions for a campaign.

    Parameters
    ----------
    record : CampaignRecord
        The campaign and its log.
    today : date
        The day the actions are for.
    config : RuleConfig, optional
        Thresholds; defaults as documented in `RuleConfig`.

    Returns
    -------
    CampaignStatus
    """
    config = config or RuleConfig()
    campaign = record.campaign
    actions: list[Action] = []
    step = record.current_step
    dose = _current_dose(record)
    baseline = baseline_rate(record)
    fraction = math.nan

    if campaign.phase == "lost":
        actions.append(
            Action("culture_lost", "the culture was lost and no vial is left to thaw", priority=1)
        )
        return CampaignStatus(tuple(actions), step.index if step else 0, dose, fraction, baseline)

    actions += _medium_change(record, today, dose, config)
    actions += _authentication(record, today, config)
    if campaign.phase == "escalation":
        if not math.isfinite(baseline):
            actions.append(
                Action(
                    "measure_baseline",
                    "no drug-free growth rate of the parental line: count two drug-free "
                    "passages (or set the campaign's baseline) so recovery can be judged",
                    priority=DUE,
                )
            )
        found, fraction = _escalation(record, step, dose, baseline, today, config)
        actions += found
    elif campaign.phase in ("stability", "retest"):
        actions += _stability(record, today, config)
    elif campaign.phase == "done":
        actions.append(Action("done", "campaign complete: resistance confirmed", priority=INFO))
    actions.sort(key=lambda a: a.priority)
    return CampaignStatus(tuple(actions), step.index if step else 0, dose, fraction, baseline)


def _current_dose(record: CampaignRecord) -> float:
    if record.campaign.phase in ("stability", "retest", "done"):
        return 0.0
    step = record.current_step
    return step.dose if step else record.campaign.start_dose


def baseline_rate(record: CampaignRecord) -> float:
    """Parental drug-free growth rate per day: the campaign's, else its drug-free passages."""
    if record.campaign.baseline_growth_rate is not None:
        return float(record.campaign.baseline_growth_rate)
    first = record.steps[0].started if record.steps else None
    before = [p for p in record.passages if p.dose == 0 and (first is None or p.day <= first)]
    if len(before) < 2:
        return math.nan
    estimate = pooled_growth(passage_growth(before))
    return estimate.rate if estimate.n >= 1 else math.nan


def _medium_change(
    record: CampaignRecord, today: date, dose: float, config: RuleConfig
) -> list[Action]:
    days = [m.day for m in record.medium_changes] + [p.day for p in record.passages]
    days += [s.started for s in record.steps]
    last = max(days) if days else record.campaign.started
    due = last + timedelta(days=config.medium_change_days)
    if today < due:
        return []
    waited = (today - last).days
    return [
        Action(
            "change_medium",
            f"last fresh medium on {last} ({waited} days ago; every "
            f"{config.medium_change_days:g} days)",
            dose=dose,
            due=due,
            priority=URGENT if waited >= 2 * config.medium_change_days else DUE,
        )
    ]


def _authentication(record: CampaignRecord, today: date, config: RuleConfig) -> list[Action]:
    lines = {line.name: line for line in record.cell_lines}
    step = record.current_step
    names = [step.cell_line] if step else []
    names.append(record.campaign.cell_line)
    out: list[Action] = []
    for kind, attribute, interval, what in (
        ("authenticate_str", "str_checked", config.str_interval_days, "STR profile"),
        (
            "test_mycoplasma",
            "mycoplasma_checked",
            config.mycoplasma_interval_days,
            "mycoplasma test",
        ),
    ):
        checks = [getattr(lines[n], attribute) for n in names if n in lines]
        last = max((c for c in checks if c is not None), default=None)
        if last is None:
            out.append(Action(kind, f"no {what} on record for {names[0]}", due=today, priority=DUE))
        elif (today - last).days >= interval:
            out.append(
                Action(
                    kind,
                    f"last {what} on {last}, {(today - last).days} days ago "
                    f"(every {interval} days)",
                    due=last + timedelta(days=interval),
                    priority=DUE,
                )
            )
    return out


def _at_dose(passages: tuple[Passage, ...], step: DoseStep) -> list[Passage]:
    return [
        p
        for p in passages
        if p.day >= step.started and math.isclose(p.dose, step.dose, rel_tol=1e-6)
    ]


def _vials(record: CampaignRecord, step_index: int) -> list[Cryostock]:
    return [v for v in record.cryostocks if v.dose_step == step_index and v.thawed is None]


def _escalation(
    record: CampaignRecord,
    step: DoseStep | None,
    dose: float,
    baseline: float,
    today: date,
    config: RuleConfig,
) -> tuple[list[Action], float]:
    campaign = record.campaign
    if step is None:
        return [
            Action(
                "escalate",
                f"no dose step yet: start at {format_molar(dose)}",
                dose=campaign.start_dose,
                due=today,
                priority=DUE,
            )
        ], math.nan
    here = _at_dose(record.passages, step)
    if not here:
        return [
            Action(
                "hold",
                f"step {step.index} ({format_molar(step.dose)}) started {step.started}: no passage "
                "at this dose yet",
                dose=dose,
                priority=INFO,
            )
        ], math.nan
    # growth of each interval that ended at this dose (the interval before the first
    # passage at the dose started at the previous passage)
    # only the passages at this dose and the one before matter
    first = record.passages.index(here[0])
    growth = passage_growth(record.passages[max(first - 1, 0) :])
    rates = {int(n): float(r) for n, r in zip(growth.number, growth.rate, strict=True)}
    # a culture counted at 0 cells has rate -inf: measured, and a crash
    measured = [p for p in here if not math.isnan(rates.get(p.number, math.nan))]
    if measured:
        here = measured
    numbers = [p.number for p in here]
    last = here[-1]
    last_rate = rates.get(last.number, math.nan)
    fraction = last_rate / baseline if math.isfinite(baseline) else math.nan

    crash = []
    if last.viability is not None and last.viability < config.crash_viability:
        crash.append(f"viability {last.viability:.0f} % < {config.crash_viability:.0f} %")
    if not math.isnan(fraction) and fraction <= config.crash_growth_fraction:
        crash.append(f"growth {fraction:.2f} of baseline <= {config.crash_growth_fraction:.2f}")
    if last.morphology == "abnormal":
        crash.append("abnormal morphology")
    if crash:
        return _step_back(record, step, last, "; ".join(crash), today), fraction

    recent = numbers[-config.recovery_passages :]
    recent_rates = np.array([rates.get(n, math.nan) for n in recent])
    recent_fraction = (
        float(np.mean(recent_rates)) / baseline
        if math.isfinite(baseline) and np.all(np.isfinite(recent_rates))
        else math.nan
    )
    morphology_ok = all(p.morphology == "normal" for p in here[-config.recovery_passages :])
    enough = len(recent) >= config.recovery_passages and bool(measured)
    recovered = (
        enough
        and math.isfinite(baseline)
        and bool(np.all(recent_rates >= config.recovery_fraction * baseline))
        and morphology_ok
    )
    if not recovered:
        why = []
        if not enough:
            why.append(f"{len(here)} of {config.recovery_passages} passages needed at this dose")
        if math.isfinite(recent_fraction):
            why.append(
                f"growth {recent_fraction:.2f} of baseline over the last {len(recent)} "
                f"passage(s) (recovered at >= {config.recovery_fraction:.2f} in each)"
            )
        if not morphology_ok:
            why.append("morphology not yet normal")
        if not math.isfinite(baseline):
            why.append("no baseline growth rate to compare with")
        return [
            Action(
                "hold",
                f"hold {format_molar(step.dose)} (step {step.index}): " + "; ".join(why),
                dose=step.dose,
                priority=INFO,
            )
        ], fraction

    at_target = step.dose >= campaign.target_dose * (1 - 1e-9)
    vials = _vials(record, step.index)
    if len(vials) < config.vials_per_step:
        need = config.vials_per_step - len(vials)
        nxt = "going drug-free" if at_target else "escalating"
        return [
            Action(
                "freeze_vials",
                f"recovered at step {step.index} ({recent_fraction:.2f} of baseline); freeze "
                f"{need} more vial(s) of {step.cell_line} before {nxt}",
                vials=need,
                priority=URGENT,
                due=today,
            )
        ], fraction
    if at_target:
        return [
            Action(
                "start_stability",
                f"target {format_molar(campaign.target_dose)} reached and recovered "
                f"({recent_fraction:.2f} of baseline): grow drug-free for "
                f"{config.stability_passages} passages, then re-test the IC50",
                dose=0.0,
                due=today,
                priority=DUE,
            )
        ], fraction
    new_dose = min(step.dose * campaign.factor, campaign.target_dose)
    failures = _failed_attempts(record, new_dose)
    caution = ""
    if failures >= config.half_step_after_failures:
        # the full step crashed before: take a geometric half step instead
        new_dose = min(step.dose * math.sqrt(campaign.factor), campaign.target_dose)
        caution = f"; escalating to the full step crashed {failures} time(s), so a half step"
    return [
        Action(
            "escalate",
            f"recovered at {format_molar(step.dose)} ({recent_fraction:.2f} of baseline over "
            f"{len(recent)} passages, morphology normal, {len(vials)} vials frozen): "
            f"raise to {format_molar(new_dose)} (x{new_dose / step.dose:.2g}){caution}",
            dose=new_dose,
            due=today,
            priority=DUE,
        )
    ], fraction


def _failed_attempts(record: CampaignRecord, dose: float) -> int:
    """Count the steps at `dose` (or above) that were followed by a lower dose (crashes)."""
    steps = [s for s in record.steps if s.dose > 0]
    return sum(
        1 for a, b in itertools.pairwise(steps) if a.dose >= dose * (1 - 1e-9) and b.dose < a.dose
    )


def _step_back(
    record: CampaignRecord, step: DoseStep, last: Passage, why: str, today: date
) -> list[Action]:
    earlier = [s for s in record.steps if s.index < step.index and s.index > 0]
    if earlier:
        back = earlier[-1]
        dose, index = back.dose, back.index
    else:
        dose, index = step.dose / record.campaign.factor, step.index
    candidates = [v for v in record.cryostocks if v.thawed is None and v.dose_step <= index]
    candidates.sort(key=lambda v: (v.dose_step, v.frozen))
    out = [
        Action(
            "step_back",
            f"crash at step {step.index} ({format_molar(step.dose)}) on {last.day}: {why}; return "
            f"to the last tolerated dose {format_molar(dose)}",
            dose=dose,
            due=today,
            priority=URGENT,
        )
    ]
    if candidates:
        vial = candidates[-1]
        out.append(
            Action(
                "thaw",
                f"thaw {vial.vial_id} ({vial.cell_line}, step {vial.dose_step}, passage "
                f"{vial.passage}, box {vial.box} {vial.position}) to restart at "
                f"{format_molar(dose)}",
                dose=dose,
                vial_id=vial.vial_id,
                due=today,
                priority=URGENT,
            )
        )
    else:
        out.append(
            Action(
                "culture_lost",
                "no vial of this or an earlier step to thaw: continue from surviving cells "
                "if any, else the culture is lost",
                priority=URGENT,
            )
        )
    return out


def _stability(record: CampaignRecord, today: date, config: RuleConfig) -> list[Action]:
    campaign = record.campaign
    drug_free = [p for p in record.passages if p.dose == 0 and _after_escalation(record, p)]
    retests = [r for r in record.dose_responses if r.drug_free_passages > 0]
    if retests:
        latest = retests[-1]
        fold = latest.ic50 / campaign.parental_ic50
        mark = ">" if latest.censor == ">" else ""
        on_drug = [r for r in record.dose_responses if r.drug_free_passages == 0]
        if latest.censor != ">" and fold < config.min_fold_resistance:
            return [
                Action(
                    "reversible_warning",
                    f"IC50 after {latest.drug_free_passages} drug-free passages is "
                    f"{fold:.2g}-fold parental (< {config.min_fold_resistance:g}): resistance "
                    "fell back toward parental, a reversible, persister-like state rather "
                    "than stable resistance",
                    priority=URGENT,
                )
            ]
        if on_drug and latest.censor != ">":
            on_fold = on_drug[-1].ic50 / campaign.parental_ic50
            if fold < config.reversal_fraction * on_fold:
                return [
                    Action(
                        "reversible_warning",
                        f"fold resistance fell from {on_fold:.2g} on drug to {fold:.2g} after "
                        f"{latest.drug_free_passages} drug-free passages: partly reversible",
                        priority=URGENT,
                    )
                ]
        return [
            Action(
                "done",
                f"stable resistance: IC50 {mark}{fold:.2g}-fold parental after "
                f"{latest.drug_free_passages} drug-free passages",
                priority=INFO,
            )
        ]
    if len(drug_free) >= config.stability_passages:
        return [
            Action(
                "retest_ic50",
                f"{len(drug_free)} drug-free passages done: re-test the IC50 beside the "
                "parental line to confirm stable resistance",
                due=today,
                priority=DUE,
            )
        ]
    return [
        Action(
            "hold",
            f"drug-free passage {len(drug_free)} of {config.stability_passages} before the "
            "IC50 re-test",
            dose=0.0,
            priority=INFO,
        )
    ]


def _after_escalation(record: CampaignRecord, passage: Passage) -> bool:
    dosed = [s.started for s in record.steps if s.dose > 0]
    return bool(dosed) and passage.day > max(dosed)
