"""The bundled example campaign: its record loads, and its re-test plates fit to its IC50s."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from resistlab.campaign import next_actions
from resistlab.dose_response import fit_frame
from resistlab.io import read_plate_table
from resistlab.plates import normalize_plate
from resistlab.store import Store, import_json

CAMPAIGN = Path(__file__).resolve().parents[2] / "examples" / "campaign"


@pytest.fixture(scope="module")
def record(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('lab') / 'lab.db'}"
    import_json(CAMPAIGN / "lab.json", url)
    store = Store(url)
    (campaign,) = store.list_campaigns()
    return store.load_campaign(campaign.name)


def test_example_campaign_is_complete_by_the_rules(record):
    assert record.campaign.phase == "done"
    assert record.steps[-1].dose == 0.0  # drug-free stability phase
    assert max(s.dose for s in record.steps) == pytest.approx(record.campaign.target_dose)
    last = max(p.day for p in record.passages)
    assert next_actions(record, today=last).kinds == ("done",)
    weeks = (last - record.campaign.started).days / 7
    assert 8 < weeks < 78  # months, not days (McDermott et al. 2014: 3-18 months)


@pytest.mark.parametrize("plate", sorted(CAMPAIGN.glob("retest_*.txt")), ids=lambda p: p.stem)
def test_retest_plates_fit_to_the_recorded_ic50(record, plate):
    table = normalize_plate(read_plate_table(plate, plate.with_suffix(".map.yaml")))
    rows = table[table["role"].isin(["sample", "vehicle"])].assign(
        concentration=lambda t: t["concentration"].where(t["role"] == "sample", 0.0)
    )
    _, fits = fit_frame(rows, dose="concentration", response="viability")
    ic50 = fits.effective_dose(50).estimate[0]
    drug_free = int(plate.stem.split("_")[2].removesuffix("drugfree"))
    (link,) = [r for r in record.dose_responses if r.drug_free_passages == drug_free]
    # the plate carries the simulator's responses as instrument counts, rounded
    np.testing.assert_allclose(ic50, link.ic50, rtol=0.02)
    fold = ic50 / record.campaign.parental_ic50
    assert 2 <= fold <= 15
