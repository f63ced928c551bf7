"""A simulated campaign replays through the store's checked writes and reads back the same."""

from __future__ import annotations

from resistlab.campaign import next_actions, synthetic_campaign_record
from resistlab.store import Store, replay_record


def test_replayed_record_matches_the_simulated_one(tmp_path):
    record = synthetic_campaign_record(seed=5)
    stored = replay_record(Store(f"sqlite:///{tmp_path / 'lab.db'}"), record)
    first = record.steps[0].started
    assert stored.campaign.phase == record.campaign.phase
    assert stored.campaign.started == first
    assert [(s.index, s.dose) for s in stored.steps] == [(s.index, s.dose) for s in record.steps]
    assert [s.cell_line for s in stored.steps] == [s.cell_line for s in record.steps]
    assert len(stored.passages) == len(record.passages)
    assert [p.cells_counted for p in stored.passages] == [p.cells_counted for p in record.passages]
    campaign_vials = {v.vial_id for v in record.cryostocks if v.frozen >= first and v.dose_step}
    assert {v.vial_id for v in stored.cryostocks} == campaign_vials
    assert [r.ic50 for r in stored.dose_responses] == [r.ic50 for r in record.dose_responses]
    # the rules reach the same verdict on the stored record
    day = record.passages[-1].day
    assert next_actions(stored, today=day).kinds == next_actions(record, today=day).kinds
