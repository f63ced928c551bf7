"""Enter a whole campaign record (a notebook transcribed, or a simulated run) into a store."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from itertools import groupby
from typing import TYPE_CHECKING

from resistlab.campaign.model import (
    CampaignRecord,
    CellLine,
    Cryostock,
    DoseResponseLink,
    DoseStep,
    Drug,
    MediumChange,
    Passage,
)
from resistlab.errors import InputError

if TYPE_CHECKING:
    from resistlab.store._repository import Store

__all__ = ["replay_record"]

# order of events on the same day: the count, vials frozen before leaving the step,
# thaws, assays, then the new step and the medium that goes with it
_PASSAGE, _FREEZE, _THAW, _ASSAY, _STEP, _MEDIUM = range(6)


def replay_record(store: Store, record: CampaignRecord) -> CampaignRecord:
    """Write `record` through the store's own checked writes, in time order.

    Every entry goes through the same validation as the CLI's (dates in
    order, known units, counts non-negative), so a record that replays is a
    record the lab could have logged. The campaign starts on its first dose
    step's day; drug-free passages before it are kept (they give the
    baseline growth rate). Vials frozen before the first step (parental
    stock) are not campaign vials and are left out, with their thaws.

    Returns
    -------
    CampaignRecord
        The campaign as stored (`Store.load_campaign`).

    Raises
    ------
    InputError
        From the first entry the store refuses (nothing after it is written).
    """
    campaign = record.campaign
    if not record.steps:
        msg = f"campaign {campaign.name!r}: the record has no dose step to start from"
        raise InputError(msg)
    lines = {line.name: line for line in record.cell_lines}
    parental = lines.get(campaign.cell_line, CellLine(campaign.cell_line))
    try:
        store.get_cell_line(parental.name)
    except InputError:
        store.add_cell_line(replace(parental, parent=None))
    try:
        store.get_drug(campaign.drug)
    except InputError:
        store.add_drug(record.drug or Drug(campaign.drug))
    first = record.steps[0]
    store.create_campaign(replace(campaign, started=first.started, phase="escalation"))
    if parental.str_checked or parental.mycoplasma_checked:
        store.record_check(
            parental.name,
            str_checked=parental.str_checked,
            mycoplasma_checked=parental.mycoplasma_checked,
        )

    campaign_vials = [v for v in record.cryostocks if v.frozen >= first.started and v.dose_step]
    kept = {v.vial_id for v in campaign_vials}
    events: list[tuple[date, int, int, object]] = []
    events += [(p.day, _PASSAGE, i, p) for i, p in enumerate(record.passages)]
    events += [(s.started, _STEP, i, s) for i, s in enumerate(record.steps[1:])]
    events += [(m.day, _MEDIUM, i, m) for i, m in enumerate(record.medium_changes)]
    events += [(r.day, _ASSAY, i, r) for i, r in enumerate(record.dose_responses)]
    for key, group in groupby(
        sorted(campaign_vials, key=lambda v: (v.frozen, v.dose_step, v.vial_id)),
        key=lambda v: (v.frozen, v.dose_step),
    ):
        events.append((key[0], _FREEZE, key[1], tuple(group)))
    events += [
        (v.thawed, _THAW, i, v)
        for i, v in enumerate(record.cryostocks)
        if v.thawed is not None and v.vial_id in kept
    ]
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    for day, kind, _, item in events:
        if isinstance(item, Passage):
            store.log_passage(campaign.name, replace(item, number=0))
        elif isinstance(item, DoseStep):
            store.start_step(campaign.name, item.dose, day)
        elif isinstance(item, MediumChange):
            store.log_medium_change(campaign.name, item)
        elif isinstance(item, DoseResponseLink):
            store.link_dose_response(campaign.name, item)
        elif isinstance(item, Cryostock) and kind == _THAW:
            store.thaw_vial(item.vial_id, day)
        elif isinstance(item, tuple):
            vials = [v for v in item if isinstance(v, Cryostock)]
            store.freeze_vials(
                campaign.name,
                [v.vial_id for v in vials],
                day,
                box=vials[0].box,
                positions=[v.position for v in vials],
                passage=vials[0].passage or None,
                cells=vials[0].cells,
                viability=vials[0].viability,
            )
    for line in record.cell_lines:
        if line.name != parental.name and (line.str_checked or line.mycoplasma_checked):
            store.record_check(
                line.name, str_checked=line.str_checked, mycoplasma_checked=line.mycoplasma_checked
            )
    store.set_phase(campaign.name, campaign.phase)
    return store.load_campaign(campaign.name)
