"""The repository API: records in and out, lineage, cryostocks, and bad input."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest

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
from resistlab.errors import InputError, UnitError
from resistlab.store import CryoEvent, Store

from .conftest import CAMPAIGN, D0, DEFACTINIB, PARENTAL, day, populate, snapshot


@pytest.fixture
def started(store):
    """A store with the parental line, the drug and campaign DefR-1 created."""
    store.add_cell_line(PARENTAL)
    store.add_drug(DEFACTINIB)
    store.create_campaign(CAMPAIGN)
    return store


# -- cell lines and drugs ---------------------------------------------------------------------


def test_cell_lines_and_drugs_round_trip(store):
    assert store.add_cell_line(PARENTAL) == PARENTAL
    child = CellLine("MDA-MB-231-Luc", parent="MDA-MB-231", notes="luciferase")
    assert store.add_cell_line(child) == child
    assert store.get_cell_line("MDA-MB-231-Luc") == child
    assert store.lineage("MDA-MB-231-Luc") == (PARENTAL, child)
    assert store.add_drug(DEFACTINIB) == DEFACTINIB
    assert store.get_drug("Defactinib") == DEFACTINIB
    bare = Drug("Stattic", solvent=None)
    assert store.add_drug(bare) == bare


BAD_CELL_LINES = [
    (PARENTAL, "cell line 'MDA-MB-231': a cell line of that name is already"),
    (CellLine("X", parent="nope"), "cell line 'X': parent 'nope' is not in the store"),
    (CellLine(" "), "cell line ' ': name must be a non-empty name"),
    (CellLine("Y", dose_step=-1), "cell line 'Y': dose_step is -1"),
    (CellLine("Z", str_checked="2026-01-01"), "cell line 'Z': str_checked must be a"),
    (CellLine("N\x00"), "name contains a NUL character"),
    (CellLine("L", cellosaurus="C" * 40), "cellosaurus is 40 characters long; at most 32"),
    (CellLine("W" * 201), "name is 201 characters long; at most 200"),
]


def test_bad_cell_lines_change_nothing(store, tmp_path, subtests):
    store.add_cell_line(PARENTAL)
    before = snapshot(store, tmp_path)
    for line, message in BAD_CELL_LINES:
        with subtests.test(msg=message):
            with pytest.raises(InputError, match=message):
                store.add_cell_line(line)
            assert snapshot(store, tmp_path) == before


BAD_DRUGS = [
    (DEFACTINIB, "drug 'Defactinib': a drug of that name is already"),
    (Drug("A", molecular_weight=0), "drug 'A': molecular_weight is 0; it must be greater"),
    (Drug("B", stock_concentration=-1e-3), "drug 'B': stock_concentration is -0.001"),
    (Drug("C", targets=("",)), "drug 'C': targets must be a non-empty name"),
]


def test_bad_drugs_change_nothing(store, tmp_path, subtests):
    store.add_drug(DEFACTINIB)
    before = snapshot(store, tmp_path)
    for drug, message in BAD_DRUGS:
        with subtests.test(msg=message):
            with pytest.raises(InputError, match=message):
                store.add_drug(drug)
            assert snapshot(store, tmp_path) == before


def test_unknown_names_are_input_errors(store):
    with pytest.raises(InputError, match="cell line 'nope' is not in the store"):
        store.get_cell_line("nope")
    with pytest.raises(InputError, match="drug 'nope' is not in the store"):
        store.get_drug("nope")
    with pytest.raises(InputError, match="campaign 'nope' is not in the store"):
        store.load_campaign("nope")
    with pytest.raises(InputError, match="vial 'nope' is not in the store"):
        store.vial_history("nope")


def test_record_check_keeps_the_latest_date(store):
    store.add_cell_line(PARENTAL)
    line = store.record_check("MDA-MB-231", str_checked=date(2026, 3, 1))
    assert line.str_checked == date(2026, 3, 1)
    assert line.mycoplasma_checked == PARENTAL.mycoplasma_checked
    line = store.record_check(
        "MDA-MB-231", str_checked=date(2026, 2, 1), mycoplasma_checked=date(2026, 3, 2)
    )
    assert (line.str_checked, line.mycoplasma_checked) == (date(2026, 3, 1), date(2026, 3, 2))
    assert store.get_cell_line("MDA-MB-231") == line
    with pytest.raises(InputError, match="give str_checked and/or mycoplasma_checked"):
        store.record_check("MDA-MB-231")
    with pytest.raises(InputError, match="cell line 'nope' is not in the store"):
        store.record_check("nope", str_checked=date(2026, 3, 1))


# -- campaigns --------------------------------------------------------------------------------


def test_create_campaign_makes_the_first_node_and_step(started):
    record = started.load_campaign("DefR-1")
    assert record.campaign == CAMPAIGN
    assert record.drug == DEFACTINIB
    node = CellLine(
        "DefR-1-s1",
        parent="MDA-MB-231",
        species="Homo sapiens",
        tissue="breast",
        selected_for_resistance_to="Defactinib",
        dose_step=1,
    )
    assert record.cell_lines == (PARENTAL, node)
    assert record.steps == (DoseStep(1, 2.0e-7, "DefR-1-s1", D0),)
    assert record.current_step == record.steps[0]
    assert record.passages == record.medium_changes == record.cryostocks == ()
    assert started.list_campaigns() == (CAMPAIGN,)


def test_create_campaign_adds_a_new_drug_and_converts_units(store):
    store.add_cell_line(PARENTAL)
    campaign = replace(
        CAMPAIGN, drug="Ruxolitinib", parental_ic50=2.1, start_dose=0.2, target_dose=15.0
    )
    drug = Drug("Ruxolitinib", targets=("JAK1", "JAK2"))
    record = store.create_campaign(campaign, drug=drug, unit="uM")
    assert record.drug == drug
    assert record.campaign.parental_ic50 == pytest.approx(2.1e-6, rel=1e-12)
    assert record.campaign.start_dose == pytest.approx(2e-7, rel=1e-12)
    assert record == store.load_campaign("DefR-1")


BAD_CAMPAIGNS = [
    (
        replace(CAMPAIGN, cell_line="HeLa"),
        None,
        "M",
        InputError,
        "campaign 'DefR-1': cell_line 'HeLa' is not in the store",
    ),
    (
        replace(CAMPAIGN, drug="Stattic"),
        None,
        "M",
        InputError,
        "drug 'Stattic' is not in the store",
    ),
    (CAMPAIGN, Drug("Stattic"), "M", InputError, "drug= describes 'Stattic'"),
    (
        CAMPAIGN,
        replace(DEFACTINIB, molecular_weight=511.0),
        "M",
        InputError,
        "stored with other details",
    ),
    (CAMPAIGN, None, "furlongs", UnitError, "unknown concentration unit 'furlongs'"),
    (replace(CAMPAIGN, start_dose=-1e-7), None, "M", InputError, "start_dose is -1e-07"),
    (
        replace(CAMPAIGN, parental_ic50=float("nan")),
        None,
        "M",
        InputError,
        "parental_ic50 is nan; it must be finite",
    ),
    (replace(CAMPAIGN, factor=0.5), None, "M", InputError, "factor is 0.5"),
    (
        replace(CAMPAIGN, target_dose=1e-8),
        None,
        "M",
        InputError,
        "target_dose 1e-08 M is below start_dose",
    ),
    (replace(CAMPAIGN, phase="paused"), None, "M", InputError, "phase is 'paused'"),
    (
        replace(CAMPAIGN, started=datetime(2026, 1, 5, 9)),
        None,
        "M",
        InputError,
        "started must be a datetime.date",
    ),
]


def test_bad_campaigns_change_nothing(store, tmp_path, subtests):
    store.add_cell_line(PARENTAL)
    store.add_drug(DEFACTINIB)
    before = snapshot(store, tmp_path)
    for campaign, drug, unit, error, message in BAD_CAMPAIGNS:
        with subtests.test(msg=message):
            with pytest.raises(error, match=message):
                store.create_campaign(campaign, drug=drug, unit=unit)
            assert snapshot(store, tmp_path) == before


def test_duplicate_campaign_is_refused(started, tmp_path):
    before = snapshot(started, tmp_path)
    with pytest.raises(InputError, match="campaign 'DefR-1': a campaign of that name"):
        started.create_campaign(CAMPAIGN)
    assert snapshot(started, tmp_path) == before


def test_a_failure_late_in_a_write_rolls_back_the_earlier_part(store, tmp_path):
    # The new drug is inserted before the clash with an existing node name is found.
    store.add_cell_line(PARENTAL)
    store.add_cell_line(CellLine("DefR-1-s1", parent="MDA-MB-231"))
    before = snapshot(store, tmp_path)
    with pytest.raises(InputError, match="a cell line named 'DefR-1-s1' is already"):
        store.create_campaign(CAMPAIGN, drug=DEFACTINIB)
    assert snapshot(store, tmp_path) == before
    with pytest.raises(InputError, match="drug 'Defactinib' is not in the store"):
        store.get_drug("Defactinib")


def test_set_phase(started):
    assert started.set_phase("DefR-1", "stability").phase == "stability"
    assert started.load_campaign("DefR-1").campaign.phase == "stability"
    with pytest.raises(InputError, match="phase is 'paused'"):
        started.set_phase("DefR-1", "paused")
    with pytest.raises(InputError, match="campaign 'nope' is not in the store"):
        started.set_phase("nope", "done")


# -- passages and medium changes ----------------------------------------------------------------


def test_log_passage_numbers_converts_and_stores(started):
    first = started.log_passage(
        "DefR-1", Passage(0, day(3), 200, cells_counted=2e6, split_ratio=4), unit="nM"
    )
    assert first == Passage(
        1, day(3), pytest.approx(2e-7, rel=1e-12), cells_counted=2e6, split_ratio=4.0
    )
    second = started.log_passage(
        "DefR-1",
        Passage(
            0,
            day(3),
            2e-7,
            cells_counted=1.5e6,
            cells_seeded=5e5,
            confluence=70.5,
            viability=93.0,
            split_ratio=3,
            morphology="stressed",
            note="same day is fine",
        ),
    )
    assert second.number == 2
    assert started.load_campaign("DefR-1").passages == (first, second)


def test_log_passage_with_an_explicit_number_fits_between_neighbours(started):
    started.log_passage("DefR-1", Passage(1, day(1), 2e-7))
    started.log_passage("DefR-1", Passage(3, day(9), 2e-7))
    assert started.log_passage("DefR-1", Passage(2, day(5), 2e-7)).number == 2
    with pytest.raises(
        InputError, match=r"passage 5 of campaign 'DefR-1': day .* is before passage 3"
    ):
        started.log_passage("DefR-1", Passage(5, day(8), 2e-7))
    assert started.log_passage("DefR-1", Passage(0, day(10), 2e-7)).number == 4
    numbers = [p.number for p in started.load_campaign("DefR-1").passages]
    assert numbers == [1, 2, 3, 4]


BAD_PASSAGES = [
    ("nope", Passage(0, day(9), 0.0), "M", InputError, "campaign 'nope' is not in the store"),
    (
        "DefR-1",
        Passage(0, day(9), 5.0),
        "mg/ml",
        UnitError,
        "new passage of campaign 'DefR-1': unknown concentration unit 'mg/ml'",
    ),
    (
        "DefR-1",
        Passage(0, day(1), 0.0),
        "M",
        InputError,
        r"day 2026-01-06 is before passage 3 \(2026-01-26\)",
    ),
    ("DefR-1", Passage(2, day(30), 0.0), "M", InputError, "is after passage 3"),
    ("DefR-1", Passage(1, day(7), 0.0), "M", InputError, "already has a passage 1"),
    ("DefR-1", Passage(-2, day(9), 0.0), "M", InputError, "number is -2"),
    (
        "DefR-1",
        Passage(0, day(9), 0.0, cells_counted=-5.0),
        "M",
        InputError,
        "cells_counted is -5.0; counts cannot be negative",
    ),
    (
        "DefR-1",
        Passage(0, day(9), 0.0, cells_seeded=-1),
        "M",
        InputError,
        "cells_seeded is -1; counts cannot be negative",
    ),
    ("DefR-1", Passage(0, day(9), -2e-7), "M", InputError, "dose is -2e-07"),
    ("DefR-1", Passage(0, day(9), float("nan")), "M", InputError, "dose is nan"),
    ("DefR-1", Passage(0, day(9), None), "M", InputError, "dose must be a number"),
    (
        "DefR-1",
        Passage(0, day(9), 0.0, confluence=120),
        "M",
        InputError,
        "confluence is 120; percentages are 0-100",
    ),
    ("DefR-1", Passage(0, day(9), 0.0, viability=-1), "M", InputError, "viability is -1"),
    (
        "DefR-1",
        Passage(0, day(9), 0.0, split_ratio=0.5),
        "M",
        InputError,
        "split_ratio is 0.5; a split ratio is at least 1",
    ),
    (
        "DefR-1",
        Passage(0, day(9), 0.0, morphology="weird"),
        "M",
        InputError,
        "morphology is 'weird'",
    ),
    ("DefR-1", Passage(0, "2026-01-20", 0.0), "M", InputError, "day must be a datetime.date"),
    ("DefR-1", Passage(0, day(9), 0.0, note="a\x00b"), "M", InputError, "note contains a NUL"),
]


def test_bad_passages_change_nothing(started, tmp_path, subtests):
    started.log_passage("DefR-1", Passage(1, day(7), 2e-7))
    started.log_passage("DefR-1", Passage(3, day(21), 2e-7))
    before = snapshot(started, tmp_path)
    for campaign, passage, unit, error, message in BAD_PASSAGES:
        with subtests.test(msg=message):
            with pytest.raises(error, match=message):
                started.log_passage(campaign, passage, unit=unit)
            assert snapshot(started, tmp_path) == before


def test_medium_changes(started, tmp_path):
    a = started.log_medium_change("DefR-1", MediumChange(day(5), 0.2, note="late"), unit="uM")
    b = started.log_medium_change("DefR-1", MediumChange(day(2), 2e-7))
    assert a == MediumChange(day(5), pytest.approx(2e-7, rel=1e-12), "late")
    assert started.load_campaign("DefR-1").medium_changes == (b, a)  # in time order
    before = snapshot(started, tmp_path)
    with pytest.raises(UnitError, match="medium change of campaign 'DefR-1': unknown"):
        started.log_medium_change("DefR-1", MediumChange(day(6), 1.0), unit="ppm")
    with pytest.raises(InputError, match=r"dose is -1\.0"):
        started.log_medium_change("DefR-1", MediumChange(day(6), -1.0))
    with pytest.raises(InputError, match="campaign 'nope' is not in the store"):
        started.log_medium_change("nope", MediumChange(day(6), 1.0))
    assert snapshot(started, tmp_path) == before


# -- dose steps and lineage ------------------------------------------------------------------


def test_start_step_grows_the_lineage(started):
    s2 = started.start_step("DefR-1", 0.3, day(14), unit="uM")
    assert s2 == DoseStep(2, pytest.approx(3e-7, rel=1e-12), "DefR-1-s2", day(14))
    s3 = started.start_step("DefR-1", 4.5e-7, day(28))
    assert s3.cell_line == "DefR-1-s3"
    record = started.load_campaign("DefR-1")
    assert [s.index for s in record.steps] == [1, 2, 3]
    assert [s.ended for s in record.steps] == [day(14), day(28), None]
    assert record.current_step == s3
    assert [line.name for line in record.cell_lines] == [
        "MDA-MB-231",
        "DefR-1-s1",
        "DefR-1-s2",
        "DefR-1-s3",
    ]
    node = started.get_cell_line("DefR-1-s3")
    assert (node.parent, node.dose_step, node.selected_for_resistance_to) == (
        "DefR-1-s2",
        3,
        "Defactinib",
    )
    assert [line.name for line in started.lineage("DefR-1-s3")] == [
        "MDA-MB-231",
        "DefR-1-s1",
        "DefR-1-s2",
        "DefR-1-s3",
    ]


def test_step_back_after_a_crash_and_the_drug_free_step(started):
    started.start_step("DefR-1", 3e-7, day(14))
    started.start_step("DefR-1", 4.5e-7, day(28))
    # Crash: cells from the step-2 vial, back at the step-2 dose, as step 4.
    back = started.start_step("DefR-1", 3e-7, day(35), parent="DefR-1-s2")
    assert back.index == 4
    assert started.get_cell_line("DefR-1-s4").parent == "DefR-1-s2"
    stability = started.start_step("DefR-1", 0, day(60))
    assert stability == DoseStep(0, 0.0, "DefR-1-s4", day(60))
    assert started.load_campaign("DefR-1").current_step == stability


BAD_STEPS = [
    (("nope", 1e-7, date(2026, 2, 1)), {}, InputError, "campaign 'nope' is not in the store"),
    (
        ("DefR-1", 1e-7, date(2026, 1, 1)),
        {},
        InputError,
        r"day 2026-01-01 is before the running step 0 started \(2026-02-01\)",
    ),
    (("DefR-1", -1e-7, date(2026, 2, 1)), {}, InputError, "dose is -1e-07"),
    (("DefR-1", 1.0, date(2026, 2, 1)), {"unit": "mg"}, UnitError, "unknown concentration"),
    (
        ("DefR-1", 1e-7, date(2026, 2, 1)),
        {"parent": "nope"},
        InputError,
        "parent 'nope' is not in the store",
    ),
    (("DefR-1", 0, date(2026, 3, 1)), {}, InputError, "already has its drug-free step"),
]


def test_bad_steps_change_nothing(started, tmp_path, subtests):
    started.start_step("DefR-1", 0, date(2026, 2, 1))
    before = snapshot(started, tmp_path)
    for args, kwargs, error, message in BAD_STEPS:
        with subtests.test(msg=message):
            with pytest.raises(error, match=message):
                started.start_step(*args, **kwargs)
            assert snapshot(started, tmp_path) == before


def test_a_taken_node_name_stops_a_step(started, tmp_path):
    started.add_cell_line(CellLine("DefR-1-s2"))
    before = snapshot(started, tmp_path)
    with pytest.raises(InputError, match="a cell line named 'DefR-1-s2' is already"):
        started.start_step("DefR-1", 3e-7, day(14))
    assert snapshot(started, tmp_path) == before
    assert started.load_campaign("DefR-1").steps[-1].ended is None


# -- cryostocks -----------------------------------------------------------------------------


def test_freeze_thaw_discard_keep_the_history(started):
    started.log_passage("DefR-1", Passage(0, day(6), 2e-7))
    vials = started.freeze_vials(
        "DefR-1", 2, day(7), box="LN2-3", positions=["C7", "C8"], cells=1e6, viability=90
    )
    assert vials == (
        Cryostock("DefR-1-s1-p1-1", "DefR-1-s1", 1, 1, day(7), "LN2-3", "C7", 1e6, 90.0),
        Cryostock("DefR-1-s1-p1-2", "DefR-1-s1", 1, 1, day(7), "LN2-3", "C8", 1e6, 90.0),
    )
    more = started.freeze_vials("DefR-1", 1, day(7))  # numbering continues
    assert more[0].vial_id == "DefR-1-s1-p1-3"
    thawed = started.thaw_vial("DefR-1-s1-p1-1", day(30), note="crash at step 2")
    assert thawed == replace(vials[0], thawed=day(30))
    started.discard_vial("DefR-1-s1-p1-2", day(31), note="cracked")
    record = started.load_campaign("DefR-1")
    assert [v.vial_id for v in record.cryostocks] == ["DefR-1-s1-p1-1", "DefR-1-s1-p1-3"]
    assert started.vial_history("DefR-1-s1-p1-1") == (
        CryoEvent("DefR-1-s1-p1-1", "freeze", day(7)),
        CryoEvent("DefR-1-s1-p1-1", "thaw", day(30), "crash at step 2"),
    )
    assert started.vial_history("DefR-1-s1-p1-2")[-1] == CryoEvent(
        "DefR-1-s1-p1-2", "discard", day(31), "cracked"
    )
    # C7 is free again (thawed), C8 too (discarded).
    again = started.freeze_vials(
        "DefR-1", ["new-1", "new-2"], day(32), box="LN2-3", positions=["C7", "C8"], passage=4
    )
    assert [(v.position, v.passage) for v in again] == [("C7", 4), ("C8", 4)]


BAD_CRYOSTOCK_CALLS = [
    (lambda s: s.freeze_vials("DefR-1", ["v1"], day(8)), r"vial ids already in the store: v1"),
    (lambda s: s.freeze_vials("DefR-1", ["a", "a"], day(8)), "vial ids repeated: a"),
    (
        lambda s: s.freeze_vials("DefR-1", ["a"], day(8), box="B", positions=["A1"]),
        r"box 'B' positions already hold vials: A1 \(vial 'v1'\)",
    ),
    (
        lambda s: s.freeze_vials("DefR-1", ["a", "b"], day(8), positions=["A2"]),
        "1 positions for 2 vials",
    ),
    (lambda s: s.freeze_vials("DefR-1", 0, day(8)), "give labels or a count >= 1"),
    (lambda s: s.freeze_vials("DefR-1", "abc", day(8)), "not one string"),
    (lambda s: s.freeze_vials("DefR-1", ["a"], day(-3)), "is before step 1 started"),
    (lambda s: s.freeze_vials("DefR-1", ["a"], day(8), cells=-1), "cells is -1"),
    (lambda s: s.freeze_vials("DefR-1", ["a"], day(8), viability=101), "viability is 101"),
    (lambda s: s.freeze_vials("nope", ["a"], day(8)), "campaign 'nope' is not in the store"),
    (lambda s: s.thaw_vial("nope", day(9)), "vial 'nope' is not in the store"),
    (lambda s: s.thaw_vial("v1", day(6)), "thaw day 2026-01-11 is before it was frozen"),
    (lambda s: s.thaw_vial("v2", day(9)), "vial 'v2': it was thawed on 2026-01-13"),
    (lambda s: s.discard_vial("v2", day(9)), "vial 'v2': it was thawed on"),
    (lambda s: s.thaw_vial("v3", day(9)), "vial 'v3': it was discarded on 2026-01-13"),
]


def test_bad_cryostock_operations_change_nothing(started, tmp_path, subtests):
    started.freeze_vials(
        "DefR-1", ["v1", "v2", "v3"], day(7), box="B", positions=["A1", "A2", "A3"]
    )
    started.thaw_vial("v2", day(8))
    started.discard_vial("v3", day(8))
    before = snapshot(started, tmp_path)
    for call, message in BAD_CRYOSTOCK_CALLS:
        with subtests.test(msg=message):
            with pytest.raises(InputError, match=message):
                call(started)
            assert snapshot(started, tmp_path) == before


# -- dose-response links -------------------------------------------------------------------


def test_link_dose_response(started, tmp_path):
    link = started.link_dose_response(
        "DefR-1",
        DoseResponseLink(
            day(90), "DefR-1-s1", 12.0, 9.0, 16.0, drug_free_passages=4, source="retest.csv, row 2"
        ),
        unit="uM",
    )
    assert link.ic50 == pytest.approx(1.2e-5, rel=1e-12)
    assert link.ic50_low == pytest.approx(9e-6, rel=1e-12)
    censored = started.link_dose_response(
        "DefR-1", DoseResponseLink(day(91), "MDA-MB-231", 1e-4, censor=">")
    )
    assert started.load_campaign("DefR-1").dose_responses == (link, censored)
    before = snapshot(started, tmp_path)
    for bad, message in [
        (DoseResponseLink(day(92), "HeLa", 1e-6), "cell_line 'HeLa' is not in the store"),
        (DoseResponseLink(day(92), "DefR-1-s1", 0.0), "ic50 is 0.0"),
        (DoseResponseLink(day(92), "DefR-1-s1", 1e-6, 2e-6, 3e-6), "does not contain ic50"),
        (DoseResponseLink(day(92), "DefR-1-s1", 1e-6, censor="~"), "censor is '~'"),
        (
            DoseResponseLink(day(92), "DefR-1-s1", 1e-6, drug_free_passages=-1),
            "drug_free_passages is -1",
        ),
    ]:
        with pytest.raises(InputError, match=message):
            started.link_dose_response("DefR-1", bad)
    with pytest.raises(UnitError):
        started.link_dose_response(
            "DefR-1", DoseResponseLink(day(92), "DefR-1-s1", 1.0), unit="g/l"
        )
    assert snapshot(started, tmp_path) == before


# -- everything together --------------------------------------------------------------------


def test_load_campaign_of_a_full_campaign(store):
    populate(store)
    record = store.load_campaign("DefR-1")
    assert isinstance(record, CampaignRecord)
    assert [p.number for p in record.passages] == [1, 2, 3]
    assert [p.day for p in record.passages] == sorted(p.day for p in record.passages)
    assert [s.index for s in record.steps] == [1, 2]
    assert [v.vial_id for v in record.cryostocks] == ["DefR-1-s1-p2-1", "DefR-1-s1-p2-2", "V-s2-a"]
    assert record.cryostocks[0].thawed == day(16)
    assert record.cell_lines[-1].mycoplasma_checked == day(21)
    assert record.dose_responses[0].ic50 == pytest.approx(4.2e-6, rel=1e-12)
    assert store.list_campaigns() == (record.campaign,)


def test_in_memory_store_is_a_working_fake():
    with Store("sqlite://") as store:
        populate(store)
        assert len(store.load_campaign("DefR-1").passages) == 3


def test_a_constraint_the_checks_missed_is_an_input_error(store, tmp_path, monkeypatch):
    # As if a concurrent writer took the name between the check and the insert.
    from resistlab.store import _repository

    store.add_cell_line(PARENTAL)
    before = snapshot(store, tmp_path)
    monkeypatch.setattr(_repository, "_has_cell_line", lambda session, name: False)
    with pytest.raises(InputError, match=r"cell line 'MDA-MB-231': the database refused"):
        store.add_cell_line(PARENTAL)
    assert snapshot(store, tmp_path) == before


def test_text_that_is_not_valid_unicode_is_refused_and_changes_nothing(tmp_path):
    from datetime import date

    from resistlab.campaign.model import Campaign, CellLine, Drug, Passage
    from resistlab.errors import InputError
    from resistlab.store import Store

    store = Store(f"sqlite:///{tmp_path / 'lab.db'}")
    store.add_cell_line(CellLine("L"))
    store.add_drug(Drug("D"))
    store.create_campaign(Campaign("C", "L", "D", 1e-6, 2.5e-7, 2.0, 1e-5, date(2024, 1, 1)))
    before = store.load_campaign("C")
    with pytest.raises(InputError, match="note is not valid Unicode text"):
        store.log_passage("C", Passage(0, date(2024, 1, 2), 0.0, note="bad \ud800"))
    assert store.load_campaign("C") == before
