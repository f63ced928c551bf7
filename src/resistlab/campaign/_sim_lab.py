"""The simulated bench: passages, counts, vials and assays, steered by the decision rules.

`_Batch` advances many runs of one strategy day by day in lockstep (the
population stepping is one compiled call over all runs); each run's
`_Lab` writes what the lab would log into its `CampaignRecord`, consults
`resistlab.campaign.rules.next_actions` at every passage and carries the
actions out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Literal

import numba
import numpy as np

from resistlab.campaign import _sim_kernel
from resistlab.campaign._sim_model import (
    CROWDING_STEP,
    DT_MAX_DAYS,
    PopulationModel,
    split_culture,
)
from resistlab.campaign.model import (
    Campaign,
    CampaignRecord,
    CellLine,
    Cryostock,
    DoseResponseLink,
    DoseStep,
    Drug,
    MediumChange,
    Morphology,
    Passage,
)
from resistlab.campaign.planner import plan_from_ic50
from resistlab.campaign.rules import Action, RuleConfig, next_actions
from resistlab.dose_response import fit_curves
from resistlab.units import format_molar

__all__ = ["LabProtocol", "RunOutcome", "SimulatedAssay", "Strategy", "default_strategies"]

Status = Literal["done", "reversible", "lost", "timeout"]

#: Split ratios a bench uses (1:1 is a count and re-seed without dilution).
SPLIT_RATIOS = (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 16.0, 20.0)


@dataclass(frozen=True)
class Strategy:
    """A way of running the escalation.

    Attributes
    ----------
    name : str
    factor : float
        Escalation factor (1.5-2 in practice).
    start_level : float
        Start at the parental IC10 (10) or IC20 (20).
    target_fold : float
        Escalation ends at this multiple of the parental IC50.
    schedule : {"continuous", "pulsed"}
        Pulsed: drug for `pulse_on_days`, then drug-free for `pulse_off_days`, repeated.
    pulse_on_days, pulse_off_days : int
    """

    name: str
    factor: float = 2.0
    start_level: float = 20.0
    target_fold: float = 5.0
    schedule: Literal["continuous", "pulsed"] = "continuous"
    pulse_on_days: int = 3
    pulse_off_days: int = 4

    def __post_init__(self) -> None:
        if not self.factor > 1:
            msg = f"strategy {self.name!r}: factor must be > 1, got {self.factor}"
            raise ValueError(msg)
        if not 0 < self.start_level < 100:
            msg = f"strategy {self.name!r}: start_level must be in (0, 100), got {self.start_level}"
            raise ValueError(msg)
        if self.schedule not in ("continuous", "pulsed"):
            msg = f"strategy {self.name!r}: schedule must be 'continuous' or 'pulsed'"
            raise ValueError(msg)
        if self.schedule == "pulsed" and (self.pulse_on_days < 1 or self.pulse_off_days < 1):
            msg = f"strategy {self.name!r}: pulses need at least one day on and one off"
            raise ValueError(msg)


def default_strategies() -> tuple[Strategy, ...]:
    """Return the strategies the issue compares: x2 vs x1.5, IC20 vs IC10, continuous vs pulsed.

    Examples
    --------
    >>> [s.name for s in default_strategies()]
    ['x2 from IC20', 'x1.5 from IC20', 'x2 from IC10', 'x2 from IC20, pulsed']
    """
    return (
        Strategy("x2 from IC20", factor=2.0, start_level=20.0),
        Strategy("x1.5 from IC20", factor=1.5, start_level=20.0),
        Strategy("x2 from IC10", factor=2.0, start_level=10.0),
        Strategy("x2 from IC20, pulsed", factor=2.0, start_level=20.0, schedule="pulsed"),
    )


@dataclass(frozen=True)
class LabProtocol:
    """How the simulated bench handles the culture (defaults follow common practice).

    Attributes
    ----------
    flask_capacity : float
        Cells at 100 % confluence (a T75 flask holds about 1e7).
    crowding_exponent : float
        Birth slows by ``1 - (N / capacity) ** exponent`` (contact inhibition
        near confluence, little effect below half confluence).
    passage_confluence : float
        Percent confluence at which the culture is split.
    seed_confluence : float
        Percent confluence to seed after a split (picks the split ratio).
    max_passage_days : int
        Count (and re-seed) at least this often, even when not confluent.
    count_cv : float
        Coefficient of variation of a cell count.
    viability_cells : int
        Cells scored for trypan-blue viability.
    dead_cell_retention : float
        Share of the cells that died since the last medium change still
        harvested (and scored dead) at a passage.
    vial_cells, min_vial_cells : float
        Cells per cryovial, and the fewest worth freezing.
    thaw_survival : float
        Share of a vial's cells alive after thawing.
    parental_vials : int
        Vials of the parental line banked before dosing (dose step 0).
    baseline_passages : int
        Drug-free passages counted before the first dose (the baseline rate).
    max_weeks : float
        Give up after this long (18 months, the long end of practice).
    assay_replicates, assay_noise : int, float
        Wells per dose and the standard deviation (percent of control) of
        the simulated viability assay.
    assay_doses : tuple of float
        Assay doses as multiples of the parental IC50 (plus vehicle wells).
    morphology_noise : float
        Log-normal scatter of how stressed the cells look.
    rules : RuleConfig
        The decision rules' thresholds.
    campaign_name, cell_line, drug : str
    cellosaurus : str, optional
    start : date
        Day the parental culture is seeded.
    """

    flask_capacity: float = 1e7
    crowding_exponent: float = 4.0
    passage_confluence: float = 80.0
    seed_confluence: float = 12.5
    max_passage_days: int = 7
    count_cv: float = 0.08
    viability_cells: int = 200
    dead_cell_retention: float = 0.5
    vial_cells: float = 1e6
    min_vial_cells: float = 2e5
    thaw_survival: float = 0.8
    parental_vials: int = 2
    baseline_passages: int = 3
    max_weeks: float = 78.0
    assay_replicates: int = 3
    assay_noise: float = 5.0
    assay_doses: tuple[float, ...] = tuple(3.0**k for k in range(-4, 6))
    morphology_noise: float = 0.25
    rules: RuleConfig = field(default_factory=RuleConfig)
    campaign_name: str = "A549-DefR"
    cell_line: str = "A549"
    drug: str = "defactinib"
    cellosaurus: str | None = "CVCL_0023"
    start: date = date(2025, 1, 6)


@dataclass(frozen=True, eq=False)
class SimulatedAssay:
    """A simulated viability plate and its fit (a re-test of the IC50).

    Attributes
    ----------
    day : date
    cell_line : str
    drug_free_passages : int
    doses : ndarray of shape (M,)
        Molar; 0 for vehicle wells.
    responses : ndarray of shape (M,)
        Percent of the vehicle mean.
    ic50, ic50_low, ic50_high : float
        Fitted absolute IC50 and 95 % interval (NaN when censored).
    censor : str
    true_ic50 : float
        Noise-free IC50 of the population's composition.
    composition : ndarray of shape (K,)
        Cells of each type when the plate was seeded.
    """

    day: date
    cell_line: str
    drug_free_passages: int
    doses: np.ndarray
    responses: np.ndarray
    ic50: float
    ic50_low: float
    ic50_high: float
    censor: str
    true_ic50: float
    composition: np.ndarray


@dataclass(frozen=True)
class RunOutcome:
    """How one simulated campaign ended.

    Attributes
    ----------
    status : {"done", "reversible", "lost", "timeout"}
        Done: stable resistance confirmed; reversible: the drug-free re-test
        fell back (the rules' warning); lost: died with no vial to thaw;
        timeout: still going after `LabProtocol.max_weeks`.
    reached_target : bool
        The culture recovered at the target dose.
    weeks_to_target : float
        From the first dose to recovery at the target (inf when not reached).
    weeks_total : float
        From the first dose to the end of the run.
    fold_on_drug, fold_resistance : float
        Assay IC50 over the parental IC50 at the end of escalation and after
        the drug-free passages (NaN when not measured; the bound when censored).
    fold_censored : bool
        The drug-free IC50 lay above the assay's top dose.
    true_fold_on_drug, true_fold_resistance : float
        The same from the noise-free composition.
    tolerant_fraction : float
        Tolerant share of the non-sensitive cells at the end of escalation,
        ``T / (T + sum R)`` (NaN when not reached).
    passages, escalations, crashes, thaws : int
    final_dose : float
        Last molar dose of the escalation.
    """

    status: Status
    reached_target: bool
    weeks_to_target: float
    weeks_total: float
    fold_on_drug: float
    fold_resistance: float
    fold_censored: bool
    true_fold_on_drug: float
    true_fold_resistance: float
    tolerant_fraction: float
    passages: int
    escalations: int
    crashes: int
    thaws: int
    final_dose: float


def _round_cells(value: float) -> float:
    """Cell numbers as a bench writes them: to the nearest thousand above 10,000."""
    return float(round(value, -3)) if value >= 1e4 else float(round(value))


@contextmanager
def _serial_numba() -> Iterator[None]:
    """Run numba-parallel code on one thread (one curve: waking the pool costs more)."""
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(threads)


class _Lab:
    """One campaign's bench: what is logged, and what is done at each passage."""

    def __init__(
        self,
        model: PopulationModel,
        protocol: LabProtocol,
        strategy: Strategy,
        rng: np.random.Generator,
        name: str,
    ) -> None:
        self.model = model
        self.protocol = protocol
        self.strategy = strategy
        self.rng = rng
        plan = plan_from_ic50(
            model.parental_ic50,
            hill_slope=model.parental_hill_slope,
            start_level=strategy.start_level,
            factor=strategy.factor,
            target_fold=strategy.target_fold,
        )
        note = (
            f"simulated; {strategy.name}"
            if strategy.schedule == "continuous"
            else f"simulated; {strategy.name}: {strategy.pulse_on_days} days on drug, "
            f"{strategy.pulse_off_days} off"
        )
        self.campaign = Campaign(
            name=name,
            cell_line=protocol.cell_line,
            drug=protocol.drug,
            parental_ic50=model.parental_ic50,
            start_dose=plan.start_dose,
            factor=strategy.factor,
            target_dose=plan.target_dose,
            started=protocol.start,
            notes=note,
        )
        self.drug = Drug(name=protocol.drug)
        self.cell_lines: list[CellLine] = [
            CellLine(
                name=protocol.cell_line,
                cellosaurus=protocol.cellosaurus,
                dose_step=0,
                str_checked=protocol.start,
                mycoplasma_checked=protocol.start,
            )
        ]
        self.steps: list[DoseStep] = []
        self.passages: list[Passage] = []
        self.medium_changes: list[MediumChange] = []
        self.cryostocks: list[Cryostock] = []
        self.links: list[DoseResponseLink] = []
        self.assays: list[SimulatedAssay] = []
        self.vials: dict[str, np.ndarray] = {}
        self.nominal = 0.0  # molar dose of the current step (0 before dosing / drug-free)
        self.dosing_day = -1  # day of the first dose
        self.status: Status | None = None
        self.end_day = -1
        self.target_day = -1
        self.on_drug: SimulatedAssay | None = None
        self.drug_free: SimulatedAssay | None = None
        self.tolerant_fraction = math.nan
        self.escalations = 0
        self.crashes = 0
        self.thaws = 0
        self.final_dose = 0.0
        self.baseline_rate = model.baseline_rate
        self._stress = model.drug_effect
        self._kinds = np.array(model.kinds)

    # -- records -------------------------------------------------------------------------

    def day(self, day: int) -> date:
        return self.protocol.start + timedelta(days=day)

    def record(self) -> CampaignRecord:
        return CampaignRecord(
            campaign=self.campaign,
            cell_lines=tuple(self.cell_lines),
            drug=self.drug,
            steps=tuple(self.steps),
            passages=tuple(self.passages),
            medium_changes=tuple(self.medium_changes),
            cryostocks=tuple(self.cryostocks),
            dose_responses=tuple(self.links),
        )

    @property
    def node(self) -> str:
        return self.steps[-1].cell_line if self.steps else self.protocol.cell_line

    @property
    def step_index(self) -> int:
        return self.steps[-1].index if self.steps else 0

    def flask_dose(self, day: int) -> float:
        """Drug concentration in the flask on `day` (pulses switch it off and on)."""
        if self.nominal <= 0 or self.strategy.schedule == "continuous" or self.dosing_day < 0:
            return self.nominal
        cycle = self.strategy.pulse_on_days + self.strategy.pulse_off_days
        on = (day - self.dosing_day) % cycle < self.strategy.pulse_on_days
        return self.nominal if on else 0.0

    # -- events --------------------------------------------------------------------------

    def start(self, counts: np.ndarray) -> None:
        """Seed the parental culture (passage 1, drug-free) and bank parental vials."""
        p = self.protocol
        seeded = p.seed_confluence / 100.0 * p.flask_capacity
        counts[:] = self.rng.multinomial(round(seeded), self.model.initial_fractions)
        for _ in range(p.parental_vials):
            composition = self.rng.multinomial(int(p.vial_cells), self.model.initial_fractions)
            self._bank(composition, 0, self.protocol.cell_line, 0, 0, p.vial_cells, 95.0)
        counted = self._count(float(counts.sum()))
        self.passages.append(
            Passage(
                number=1,
                day=self.day(0),
                dose=0.0,
                cells_counted=counted,
                cells_seeded=counted,
                confluence=self._confluence(float(counts.sum())),
                viability=self._viability(float(counts.sum()), 0.0),
                split_ratio=1.0,
                note="parental culture seeded",
            )
        )

    def medium_change(self, day: int, dose: float) -> None:
        note = ""
        if self.strategy.schedule == "pulsed" and self.nominal > 0:
            note = "pulse on" if dose > 0 else "pulse off (drug-free)"
        self.medium_changes.append(MediumChange(day=self.day(day), dose=dose, note=note))

    def passage(self, day: int, counts: np.ndarray, dead: float) -> None:
        """Harvest, count, split; then ask the rules and act."""
        p = self.protocol
        alive = float(counts.sum())
        counted = self._count(alive)
        split = self._split_ratio(100.0 * counted / p.flask_capacity)
        seeded = split_culture(counts, split, self.rng)
        spare = counts - seeded
        counts[:] = seeded
        number = self.passages[-1].number + 1
        self.passages.append(
            Passage(
                number=number,
                day=self.day(day),
                dose=self.nominal,
                cells_counted=counted,
                cells_seeded=_round_cells(counted / split),
                confluence=self._confluence(alive),
                viability=self._viability(alive, dead),
                split_ratio=split,
                morphology=self._morphology(spare + seeded),
            )
        )
        if self.campaign.phase == "escalation" and not self.steps and number < p.baseline_passages:
            return  # still counting the drug-free baseline
        self._decide(day, counts, spare)

    def timeout(self, day: int) -> None:
        self.status = "timeout"
        self.end_day = day

    # -- decisions -----------------------------------------------------------------------

    def _decide(self, day: int, counts: np.ndarray, spare: np.ndarray) -> None:
        harvest = len(self.passages) - 1
        vials, steps = len(self.cryostocks), len(self.steps)
        try:
            self._act(day, counts, spare)
        finally:
            self._annotate(harvest, vials, steps)

    def _annotate(self, harvest: int, vials: int, steps: int) -> None:
        """Note on the harvest passage what was done: vials frozen, dose changes."""
        done = []
        frozen = [v.vial_id for v in self.cryostocks[vials:] if v.dose_step > 0]
        if frozen:
            done.append(f"froze {', '.join(frozen)}")
        for step in self.steps[steps:]:
            if step.index == 0:
                done.append("drug-free stability phase")
            else:
                done.append(f"dose step {step.index}: {format_molar(step.dose)}")
        if self.status == "lost":
            done.append("culture lost")
        if done:
            passage = self.passages[harvest]
            note = "; ".join(filter(None, [passage.note, *done]))
            self.passages[harvest] = replace(passage, note=note)

    def _act(self, day: int, counts: np.ndarray, spare: np.ndarray) -> None:
        today = self.day(day)
        froze = False
        for _ in range(4):
            status = next_actions(self.record(), today=today, config=self.protocol.rules)
            again = False
            back: Action | None = None
            for action in status.actions:
                kind = action.kind
                if kind == "escalate":
                    if not self.steps and math.isfinite(status.baseline_rate):
                        # the bench records the drug-free rate it just measured (the same
                        # number the rules derive from the drug-free passages)
                        self.campaign = replace(
                            self.campaign, baseline_growth_rate=round(status.baseline_rate, 4)
                        )
                    self._escalate(day, float(action.dose or self.campaign.start_dose))
                elif kind == "freeze_vials" and not froze:
                    froze = again = self._freeze(day, spare)
                elif kind == "step_back":
                    back = action
                    self.crashes += 1
                elif kind == "thaw" and back is not None and action.vial_id:
                    self._step_back(day, float(back.dose or 0.0))
                    self._thaw(day, action.vial_id, counts)
                elif kind == "culture_lost":
                    if back is not None and counts.sum() > 0:
                        self._step_back(day, float(back.dose or 0.0))
                    else:
                        self._finish(day, "lost")
                        return
                elif kind == "start_stability":
                    self._start_stability(day, counts)
                elif kind == "retest_ic50":
                    self._retest(day, counts)
                    again = True
                elif kind == "done":
                    self._finish(day, "done")
                    return
                elif kind == "reversible_warning":
                    self._finish(day, "reversible")
                    return
                elif kind in ("authenticate_str", "test_mycoplasma"):
                    self._authenticate(day, kind)
            if not again:
                return

    def _finish(self, day: int, status: Status) -> None:
        self.status = status
        self.end_day = day
        if status == "lost":
            self.campaign = replace(self.campaign, phase="lost")
        elif status == "done":
            self.campaign = replace(self.campaign, phase="done")

    def _node(self, index: int) -> str:
        name = f"{self.campaign.name}-s{index}"
        if all(line.name != name for line in self.cell_lines):
            self.cell_lines.append(
                CellLine(
                    name=name,
                    parent=self.node,
                    cellosaurus=None,
                    selected_for_resistance_to=self.protocol.drug,
                    dose_step=index,
                )
            )
        return name

    def _escalate(self, day: int, dose: float) -> None:
        index = self.step_index + 1
        if self.steps:
            self.steps[-1] = replace(self.steps[-1], ended=self.day(day))
            self.escalations += 1
        else:
            self.dosing_day = day
        self.steps.append(DoseStep(index, dose, self._node(index), self.day(day)))
        self.nominal = dose
        self.final_dose = dose

    def _step_back(self, day: int, dose: float) -> None:
        current = self.steps[-1]
        earlier = [s for s in self.steps if 0 < s.index < current.index]
        index = earlier[-1].index if earlier else current.index
        self.steps[-1] = replace(current, ended=self.day(day))
        self.steps.append(DoseStep(index, dose, self._node(index), self.day(day)))
        self.nominal = dose
        self.final_dose = dose

    def _freeze(self, day: int, spare: np.ndarray) -> bool:
        p = self.protocol
        have = sum(
            1 for v in self.cryostocks if v.dose_step == self.step_index and v.thawed is None
        )
        need = max(p.rules.vials_per_step - have, 0)
        total = float(spare.sum())
        if need == 0 or total <= 0:
            return False
        cells = min(p.vial_cells, total / need)
        if cells < p.min_vial_cells:
            return False
        viability = self.passages[-1].viability
        for _ in range(need):
            composition = self.rng.binomial(spare, min(cells / max(float(spare.sum()), 1.0), 1.0))
            spare -= composition
            self._bank(
                composition,
                day,
                self.node,
                self.step_index,
                self.passages[-1].number,
                cells,
                viability,
            )
        return True

    def _bank(
        self,
        composition: np.ndarray,
        day: int,
        line: str,
        step: int,
        passage: int,
        cells: float,
        viability: float | None,
    ) -> None:
        vial_id = f"{self.campaign.name}-V{len(self.cryostocks) + 1:03d}"
        slot = len(self.cryostocks)
        row, column = divmod(slot % 81, 9)
        self.cryostocks.append(
            Cryostock(
                vial_id=vial_id,
                cell_line=line,
                dose_step=step,
                passage=passage,
                frozen=self.day(day),
                box=f"LN2-{slot // 81 + 1}",
                position=f"{'ABCDEFGHI'[row]}{column + 1}",
                cells=float(round(cells, -3)),
                viability=viability,
            )
        )
        self.vials[vial_id] = np.asarray(composition, dtype=np.int64).copy()

    def _thaw(self, day: int, vial_id: str, counts: np.ndarray) -> None:
        for i, vial in enumerate(self.cryostocks):
            if vial.vial_id == vial_id:
                self.cryostocks[i] = replace(vial, thawed=self.day(day))
                break
        composition = self.vials.pop(vial_id)
        counts[:] = self.rng.binomial(composition, self.protocol.thaw_survival)
        self.thaws += 1
        alive = float(counts.sum())
        counted = self._count(alive)
        self.passages.append(
            Passage(
                number=self.passages[-1].number + 1,
                day=self.day(day),
                dose=self.nominal,
                cells_counted=None,
                cells_seeded=counted,
                confluence=self._confluence(alive),
                split_ratio=None,
                note=f"thawed {vial_id}",
            )
        )

    def _start_stability(self, day: int, counts: np.ndarray) -> None:
        self.target_day = day
        composition = counts.astype(float)
        kinds = self._kinds
        tolerant = composition[kinds == "tolerant"].sum()
        resistant = composition[kinds == "resistant"].sum()
        self.tolerant_fraction = (
            float(tolerant / (tolerant + resistant)) if tolerant + resistant > 0 else math.nan
        )
        self.on_drug = self._assay(day, composition, 0)
        self.steps[-1] = replace(self.steps[-1], ended=self.day(day))
        self.steps.append(DoseStep(0, 0.0, self.node, self.day(day)))
        self.nominal = 0.0
        self.campaign = replace(self.campaign, phase="stability")

    def _retest(self, day: int, counts: np.ndarray) -> None:
        dosed = max(s.started for s in self.steps if s.dose > 0)
        drug_free = sum(1 for p in self.passages if p.dose == 0 and p.day > dosed)
        self.drug_free = self._assay(day, counts.astype(float), drug_free)
        self.campaign = replace(self.campaign, phase="retest")

    def _assay(self, day: int, composition: np.ndarray, drug_free: int) -> SimulatedAssay:
        p = self.protocol
        ic50 = self.model.parental_ic50
        levels = np.array((0.0, *p.assay_doses)) * ic50
        doses = np.repeat(levels, p.assay_replicates)
        expected = self.model.viability(composition, levels)
        signal = np.repeat(expected, p.assay_replicates)
        signal = signal + self.rng.normal(0.0, p.assay_noise, signal.size)
        vehicle = signal[doses == 0].mean()
        responses = 100.0 * signal / vehicle
        with _serial_numba():
            fit = fit_curves(doses, responses)
        ed = fit.effective_dose(50.0)
        assay = SimulatedAssay(
            day=self.day(day),
            cell_line=self.node,
            drug_free_passages=drug_free,
            doses=doses,
            responses=responses,
            ic50=float(ed.estimate[0]),
            ic50_low=float(ed.lower[0]),
            ic50_high=float(ed.upper[0]),
            censor=str(ed.censor[0]),
            true_ic50=self.model.effective_ic50(composition),
            composition=composition,
        )
        self.assays.append(assay)
        finite = math.isfinite(assay.ic50_low) and math.isfinite(assay.ic50_high)
        self.links.append(
            DoseResponseLink(
                day=assay.day,
                cell_line=assay.cell_line,
                ic50=assay.ic50,
                ic50_low=assay.ic50_low if finite else None,
                ic50_high=assay.ic50_high if finite else None,
                censor=assay.censor,
                drug_free_passages=drug_free,
                source=f"simulated viability plate, {assay.day}",
            )
        )
        return assay

    def _authenticate(self, day: int, kind: str) -> None:
        for i, line in enumerate(self.cell_lines):
            if line.name == self.node:
                if kind == "authenticate_str":
                    self.cell_lines[i] = replace(line, str_checked=self.day(day))
                else:
                    self.cell_lines[i] = replace(line, mycoplasma_checked=self.day(day))

    # -- bench measurements --------------------------------------------------------------

    def _count(self, alive: float) -> float:
        if alive <= 0:
            return 0.0
        value = alive * math.exp(self.protocol.count_cv * float(self.rng.standard_normal()))
        return _round_cells(value)

    def _confluence(self, alive: float) -> float:
        """Confluence by eye: 10 % log-normal scatter, to the nearest 5 % (at least 1 %)."""
        if alive <= 0:
            return 0.0
        true = 100.0 * alive / self.protocol.flask_capacity
        seen = true * math.exp(0.1 * float(self.rng.standard_normal()))
        return float(min(100.0, max(1.0, 5.0 * round(seen / 5.0))))

    def _viability(self, alive: float, dead: float) -> float:
        if alive <= 0:
            return 0.0  # nothing alive in the flask
        scored = alive + self.protocol.dead_cell_retention * dead
        n = self.protocol.viability_cells
        return round(100.0 * float(self.rng.binomial(n, alive / scored)) / n, 1)

    def _split_ratio(self, confluence: float) -> float:
        room = confluence / self.protocol.seed_confluence
        return max((r for r in SPLIT_RATIOS if r <= room), default=1.0)

    def _morphology(self, composition: np.ndarray) -> Morphology:
        total = float(composition.sum())
        if total <= 0:
            return "abnormal"  # no live cells left
        if self.nominal <= 0:
            return "normal"
        effect = self._stress(self.nominal)
        stress = float(np.dot(composition, effect)) / total / self.baseline_rate
        if self.strategy.schedule == "pulsed":
            s = self.strategy
            stress *= s.pulse_on_days / (s.pulse_on_days + s.pulse_off_days)
        seen = stress * math.exp(self.protocol.morphology_noise * float(self.rng.standard_normal()))
        if seen < 1.0 - self.protocol.rules.recovery_fraction:
            return "normal"
        return "stressed" if seen < 1.25 else "abnormal"

    # -- summary -------------------------------------------------------------------------

    def outcome(self) -> RunOutcome:
        ic50 = self.model.parental_ic50
        weeks = (
            (self.target_day - self.dosing_day) / 7.0
            if self.target_day >= 0 and self.dosing_day >= 0
            else math.inf
        )
        total = (self.end_day - max(self.dosing_day, 0)) / 7.0
        on, off = self.on_drug, self.drug_free
        return RunOutcome(
            status=self.status or "timeout",
            reached_target=self.target_day >= 0,
            weeks_to_target=weeks,
            weeks_total=total,
            fold_on_drug=on.ic50 / ic50 if on else math.nan,
            fold_resistance=off.ic50 / ic50 if off else math.nan,
            fold_censored=bool(off and off.censor == ">"),
            true_fold_on_drug=on.true_ic50 / ic50 if on else math.nan,
            true_fold_resistance=off.true_ic50 / ic50 if off else math.nan,
            tolerant_fraction=self.tolerant_fraction,
            passages=self.passages[-1].number if self.passages else 0,
            escalations=self.escalations,
            crashes=self.crashes,
            thaws=self.thaws,
            final_dose=self.final_dose,
        )


class _Batch:
    """Runs of one strategy advanced together, one day at a time."""

    def __init__(
        self,
        model: PopulationModel,
        protocol: LabProtocol,
        strategy: Strategy,
        runs: int,
        rng: np.random.Generator,
        *,
        name: str | None = None,
        timeline: bool = False,
    ) -> None:
        self.model = model
        self.protocol = protocol
        self.rng = rng
        k = len(model.types)
        self.counts = np.zeros((runs, k), dtype=np.int64)
        self.dead = np.zeros(runs)
        self.dose = np.zeros(runs)
        self.since_passage = np.zeros(runs, dtype=np.int64)
        self.since_medium = np.zeros(runs, dtype=np.int64)
        self.active = np.ones(runs, dtype=np.bool_)
        label = name or protocol.campaign_name
        self.labs = [
            _Lab(model, protocol, strategy, rng, label if runs == 1 else f"{label}-{i + 1:04d}")
            for i in range(runs)
        ]
        for i, lab in enumerate(self.labs):
            lab.start(self.counts[i])
        self.keep = timeline
        self.days: list[int] = [0]
        self.doses: list[np.ndarray] = [self.dose.copy()]
        self.history: list[np.ndarray] = [self.counts.copy()]
        self.pulsed = strategy.schedule == "pulsed"

    def run(self, progress: Callable[[int], None] | None = None) -> None:
        p = self.protocol
        switch, target, rate = self.model.kernel_arrays()
        medium_days = p.rules.medium_change_days
        last_day = round(p.max_weeks * 7)
        day = 0
        while self.active.any():
            birth, death = self.model.rates(self.dose)
            _sim_kernel.advance(
                self.counts,
                self.dead,
                birth,
                death,
                switch,
                target,
                rate,
                float(p.flask_capacity),
                float(p.crowding_exponent),
                self.active,
                1.0,
                DT_MAX_DAYS,
                CROWDING_STEP,
                self.rng,
            )
            day += 1
            self.since_passage += 1
            self.since_medium += 1
            alive = self.counts.sum(axis=1)
            due = self.active & (
                (100.0 * alive >= p.passage_confluence * p.flask_capacity)
                | (self.since_passage >= p.max_passage_days)
            )
            finished = 0
            for i in np.flatnonzero(due):
                lab = self.labs[i]
                lab.passage(day, self.counts[i], float(self.dead[i]))
                self.since_passage[i] = 0
                self.since_medium[i] = 0
                self.dead[i] = 0.0
                self.dose[i] = lab.flask_dose(day)
                if lab.status is not None:
                    self.active[i] = False
                    finished += 1
            medium = self.active & ~due & (self.since_medium >= medium_days)
            if self.pulsed:
                wanted = np.array([lab.flask_dose(day) for lab in self.labs])
                medium |= self.active & ~due & (wanted != self.dose)
            for i in np.flatnonzero(medium):
                lab = self.labs[i]
                dose = lab.flask_dose(day)
                lab.medium_change(day, dose)
                self.since_medium[i] = 0
                self.dead[i] = 0.0
                self.dose[i] = dose
            if day >= last_day:
                for i in np.flatnonzero(self.active):
                    self.labs[i].timeout(day)
                    finished += 1
                self.active[:] = False
            if self.keep:
                self.days.append(day)
                self.doses.append(self.dose.copy())
                self.history.append(self.counts.copy())
            if finished and progress is not None:
                progress(finished)
