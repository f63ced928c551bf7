"""The records of a resistance-induction campaign: plain frozen dataclasses, no SQL.

The store (`resistlab.store`) persists exactly these; the planner, the
decision rules and the simulator read and write them. Doses are molar,
counts are cells, percentages are 0-100, times are `datetime.date` (days
are the unit of culture time: medium every 2-3 days, passages weekly).

A campaign's lineage is a chain of cell-line nodes, one per dose step:
the parental line, then ``<campaign>-s1``, ``<campaign>-s2``, ... whose
``parent`` is the previous node, each ``selected_for_resistance_to`` the
drug. Cryostocks hang off those nodes, so "thaw the last tolerated dose"
is a lookup, not a search through a notebook.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

__all__ = [
    "MORPHOLOGIES",
    "PHASES",
    "Campaign",
    "CampaignRecord",
    "CellLine",
    "Cryostock",
    "DoseResponseLink",
    "DoseStep",
    "Drug",
    "MediumChange",
    "Passage",
]

Phase = Literal["escalation", "stability", "retest", "done", "lost"]
#: Campaign phases in order: escalate the dose, grow drug-free, re-test IC50, done
#: (or lost: the culture died and no vial was left to thaw).
PHASES: tuple[str, ...] = ("escalation", "stability", "retest", "done", "lost")

Morphology = Literal["normal", "stressed", "abnormal"]
#: Morphology as the bench records it: normal, stressed (rounding, vacuoles,
#: detaching, slower), abnormal (crisis: most cells dying or unlike the parent).
MORPHOLOGIES: tuple[str, ...] = ("normal", "stressed", "abnormal")


@dataclass(frozen=True)
class CellLine:
    """A cell line or one node of a campaign's lineage.

    Attributes
    ----------
    name : str
        Unique name, e.g. ``"MDA-MB-231"`` or ``"MDA-MB-231-DefR-s3"``.
    parent : str, optional
        Name of the line it was derived from.
    cellosaurus : str, optional
        Cellosaurus accession (``CVCL_xxxx``, also the RRID).
    selected_for_resistance_to : str, optional
        Drug the line was selected against (Cellosaurus "Selected for
        resistance to" comment).
    dose_step : int, optional
        Dose step of the campaign this node stands for (0 = parental).
    str_checked, mycoplasma_checked : date, optional
        Dates of the last STR profile and mycoplasma test.
    """

    name: str
    parent: str | None = None
    species: str | None = None
    tissue: str | None = None
    cellosaurus: str | None = None
    selected_for_resistance_to: str | None = None
    dose_step: int | None = None
    str_checked: date | None = None
    mycoplasma_checked: date | None = None
    notes: str = ""


@dataclass(frozen=True)
class Drug:
    """A compound with what the bench needs to dose it.

    Attributes
    ----------
    molecular_weight : float, optional
        g/mol.
    stock_concentration : float, optional
        Molar concentration of the stock solution.
    """

    name: str
    synonyms: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    molecular_weight: float | None = None
    stock_concentration: float | None = None
    solvent: str | None = "DMSO"


@dataclass(frozen=True)
class Campaign:
    """A dose-escalation campaign that makes a resistant line.

    Attributes
    ----------
    name : str
        Unique name; lineage nodes are named ``<name>-s<step>``.
    cell_line, drug : str
        The parental line and the selecting drug.
    parental_ic50 : float
        Molar IC50 of the parental line (from a dose-response fit).
    start_dose, factor, target_dose : float
        First dose (molar, usually IC10-IC20), escalation factor (1.5-2) and
        the dose that ends escalation (5-10x the parental IC50).
    started : date
    phase : str
        One of `PHASES`.
    baseline_growth_rate : float, optional
        Drug-free growth rate of the parental line, per day (ln 2 / doubling
        time); the rules judge recovery against it. When None, it is taken
        from the campaign's drug-free passages before the first dose step.
    """

    name: str
    cell_line: str
    drug: str
    parental_ic50: float
    start_dose: float
    factor: float
    target_dose: float
    started: date
    phase: Phase = "escalation"
    baseline_growth_rate: float | None = None
    notes: str = ""


@dataclass(frozen=True)
class DoseStep:
    """One rung of the dose ladder as it was actually run.

    Attributes
    ----------
    index : int
        1 for the start dose, 2 for the first escalation, ...; 0 marks the
        drug-free stability phase.
    dose : float
        Molar.
    cell_line : str
        The lineage node of this step.
    started, ended : date
        ``ended`` is None while the step runs.
    """

    index: int
    dose: float
    cell_line: str
    started: date
    ended: date | None = None


@dataclass(frozen=True)
class Passage:
    """A subculture (or a count without split), the unit of growth tracking.

    Attributes
    ----------
    number : int
        Passage number within the campaign (1, 2, ...).
    day : date
    dose : float
        Molar dose the cells grew in since the previous passage (0 = none).
    cells_counted : float, optional
        Cells harvested (counted) at this passage, before splitting.
    cells_seeded : float, optional
        Cells put back after splitting; when missing, counted / split_ratio.
    confluence : float, optional
        Percent confluence before splitting.
    viability : float, optional
        Percent viable cells (trypan blue or similar).
    split_ratio : float, optional
        1:4 is 4.0; 1.0 (or None with seeded == counted) for a count only.
    morphology : str
        One of `MORPHOLOGIES`.
    """

    number: int
    day: date
    dose: float
    cells_counted: float | None = None
    cells_seeded: float | None = None
    confluence: float | None = None
    viability: float | None = None
    split_ratio: float | None = None
    morphology: Morphology = "normal"
    note: str = ""

    @property
    def seeded(self) -> float | None:
        """Cells put back: `cells_seeded`, else counted / split ratio."""
        if self.cells_seeded is not None:
            return self.cells_seeded
        if self.cells_counted is not None and self.split_ratio:
            return self.cells_counted / self.split_ratio
        return None


@dataclass(frozen=True)
class MediumChange:
    """Fresh medium (and drug) on a day."""

    day: date
    dose: float
    note: str = ""


@dataclass(frozen=True)
class Cryostock:
    """A frozen vial.

    Attributes
    ----------
    vial_id : str
        Unique label on the vial.
    cell_line : str
        Lineage node frozen.
    dose_step : int
        Dose step the cells were growing at.
    passage : int
    frozen : date
    box, position : str
        Where it is, e.g. box ``"LN2-3"``, position ``"C7"``.
    thawed : date, optional
        Set when the vial is used.
    """

    vial_id: str
    cell_line: str
    dose_step: int
    passage: int
    frozen: date
    box: str = ""
    position: str = ""
    cells: float | None = None
    viability: float | None = None
    thawed: date | None = None


@dataclass(frozen=True)
class DoseResponseLink:
    """An IC50 measured during the campaign (a re-test), linked to its fit.

    Attributes
    ----------
    day : date
    ic50 : float
        Molar; for a censored value, the bound.
    ic50_low, ic50_high : float, optional
        95 % confidence interval.
    censor : str
        ``""``, ``">"`` or ``"<"``, as `resistlab.dose_response` reports it.
    drug_free_passages : int
        Passages grown without drug before the assay (0 = on drug).
    source : str
        Where the fit came from (results file and row, or a run id).
    """

    day: date
    cell_line: str
    ic50: float
    ic50_low: float | None = None
    ic50_high: float | None = None
    censor: str = ""
    drug_free_passages: int = 0
    source: str = ""


@dataclass(frozen=True)
class CampaignRecord:
    """Everything known about one campaign: what the rules and reports read.

    Sequences are in time order.
    """

    campaign: Campaign
    cell_lines: tuple[CellLine, ...] = ()
    drug: Drug | None = None
    steps: tuple[DoseStep, ...] = ()
    passages: tuple[Passage, ...] = ()
    medium_changes: tuple[MediumChange, ...] = ()
    cryostocks: tuple[Cryostock, ...] = ()
    dose_responses: tuple[DoseResponseLink, ...] = field(default=())

    @property
    def current_step(self) -> DoseStep | None:
        """The dose step that has not ended (the last one), if any."""
        return self.steps[-1] if self.steps else None
