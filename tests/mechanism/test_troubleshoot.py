"""Troubleshooting guides: the data validates, rules resolve, steps are answered by data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from resistlab.errors import FileFormatError, InputError
from resistlab.mechanism import load_knowledge
from resistlab.mechanism.knowledge import data_dir
from resistlab.mechanism.scoring import ASSAYS
from resistlab.mechanism.troubleshoot import (
    load_guides,
    match_guides,
    read_guides,
    validate_guides,
    walk_guide,
)

DATA = data_dir() / "troubleshooting.yaml"
GUIDES = (
    "decreased_efficacy",
    "inconsistent_3d",
    "growth_rate_bias",
    "no_synergy",
    "rnaseq_no_change",
)


def _evidence(*rows: tuple[str, str, str, float, float, str]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["assay", "target", "comparison", "log2_fold_change", "se", "source"]
    )


def test_the_shipped_file_validates_and_has_the_five_guides() -> None:
    raw = validate_guides(DATA)
    assert [g["id"] for g in raw["guides"]] == list(GUIDES)
    guides = load_guides()
    for guide in guides.guides:
        assert 4 <= len(guide.steps) <= 8, guide.id
        assert guide.symptoms and guide.causes
        assert len({s.id for s in guide.steps}) == len(guide.steps)


def test_every_rule_references_known_targets_comparisons_facts_and_references() -> None:
    kb = load_knowledge()
    guides = load_guides()
    selectors = []
    for guide in guides.guides:
        selectors += [s for s, _ in guide.match_evidence]
        for condition in guide.match_facts:
            assert condition.fact in guides.facts
        for ref in (*guide.references, *(r for s in guide.steps for r in s.references)):
            assert ref in guides.references or ref in kb.references
            assert guides.citation(ref)
        for step in guide.steps:
            selectors += [r.select for r in step.evidence_rules]
            for rule in step.fact_rules:
                assert set(rule.needs) <= set(guides.facts)
                for outcome in rule.outcomes:
                    assert {c.fact for c in outcome.when} <= set(rule.needs)
    assert selectors
    for selector in selectors:
        assert set(selector.targets) <= set(kb.targets)  # canonical ids, not synonyms
        assert selector.comparison in kb.comparisons
        assert set(selector.assays) <= set(ASSAYS)


def test_the_decreased_efficacy_guide_has_the_expected_order() -> None:
    steps = [s.id for s in load_guides().guide("decreased_efficacy").steps]
    assert steps == [
        "confirm_shift",
        "drug_stock",
        "identity_mycoplasma",
        "passage_drift",
        "pfak_under_drug",
        "rtk_bypass",
        "downstream_signalling",
        "drug_holiday",
    ]


def test_empty_evidence_and_no_facts_leave_every_step_open() -> None:
    for guide_id in GUIDES:
        walk = walk_guide(guide_id, evidence=pd.DataFrame(), facts={})
        assert walk.answered == ()
        assert [s.status for s in walk.steps] == ["open"] * len(walk.steps)
        assert all(s.instruction for s in walk.open)
        assert all(s.findings == () for s in walk.steps)


def test_persisting_pfak_answers_its_step_with_the_finding() -> None:
    evidence = _evidence(
        ("western", "phospho-FAK (Tyr397)", "drug_vs_vehicle", -0.1, 0.2, "blot.csv row 3")
    )
    walk = walk_guide("decreased_efficacy", evidence=evidence)
    step = {s.id: s for s in walk.steps}["pfak_under_drug"]
    assert step.status == "answered"
    assert step.findings == (
        "pFAK_Y397 under Defactinib: log2FC -0.1 (se 0.2) in blot.csv row 3 -> persists",
    )
    assert "RTK bypass" in step.meanings[0]
    assert [s.id for s in walk.answered] == ["pfak_under_drug"]


def test_suppressed_pfak_reads_as_suppressed() -> None:
    evidence = _evidence(("western", "pFAK Y397", "drug_vs_vehicle", -2.5, 0.3, ""))
    step = walk_guide("decreased_efficacy", evidence=evidence).steps[4]
    assert step.id == "pfak_under_drug"
    assert step.findings[0].endswith("in evidence row 1 -> suppressed")


def test_an_imprecise_row_stays_open_and_shows_what_is_known() -> None:
    evidence = _evidence(("western", "pFAK Y397", "drug_vs_vehicle", -0.1, 1.5, "b.csv row 2"))
    step = walk_guide("decreased_efficacy", evidence=evidence).steps[4]
    assert step.status == "open"
    assert step.findings == (
        "pFAK_Y397 under Defactinib: log2FC -0.1 (se 1.5) in b.csv row 2 -> unclear",
    )
    assert step.meanings == ()


def test_the_clearest_row_per_target_is_reported_with_the_others_counted() -> None:
    evidence = _evidence(
        ("western", "HER2", "resistant_vs_parental", 0.2, 0.1, "wb.csv row 2"),
        ("rnaseq", "ERBB2", "resistant_vs_parental", 3.0, 0.2, "de.csv row 9"),
    )
    step = {s.id: s for s in walk_guide("decreased_efficacy", evidence=evidence).steps}[
        "rtk_bypass"
    ]
    assert step.status == "answered"
    assert step.findings == (
        "RTK expression, resistant vs parental [ERBB2]: log2FC 3 (se 0.2) in de.csv row 9, "
        "+1 more row(s) -> raised",
    )


def test_facts_answer_steps_and_build_the_finding_text() -> None:
    facts = {
        "fold_resistance": 4.2,
        "fold_resistance_ci_low": 3.1,
        "fold_resistance_ci_high": 5.6,
        "mycoplasma": "negative",
        "str_match": 95,
        "passage": 31,
        "drug_holiday_fold_resistance": 1.3,
    }
    walk = walk_guide("decreased_efficacy", facts=facts)
    steps = {s.id: s for s in walk.steps}
    assert steps["confirm_shift"].findings == ("fold resistance 4.2 (95% CI 3.1-5.6) -> confirmed",)
    assert steps["identity_mycoplasma"].status == "answered"
    assert steps["passage_drift"].findings == ("passage 31 since thaw -> high passage",)
    assert steps["drug_holiday"].findings[0].endswith("-> reverted")
    assert [s.id for s in walk.open] == [
        "drug_stock",
        "pfak_under_drug",
        "rtk_bypass",
        "downstream_signalling",
    ]


def test_a_ci_including_one_is_not_confirmed() -> None:
    facts = {"fold_resistance": 2.4, "fold_resistance_ci_low": 0.8, "fold_resistance_ci_high": 7}
    step = walk_guide("decreased_efficacy", facts=facts).steps[0]
    assert step.findings[0].endswith("-> not confirmed (the CI includes 1)")


def test_answered_when_all_needs_every_rule() -> None:
    step = walk_guide("decreased_efficacy", facts={"mycoplasma": "negative"}).steps[2]
    assert step.id == "identity_mycoplasma"
    assert step.status == "open"
    assert step.findings == ("mycoplasma negative -> clean",)


def test_match_guides_picks_decreased_efficacy_from_fold_resistance() -> None:
    matches = match_guides(facts={"fold_resistance": 3.0})
    assert [m.guide for m in matches] == ["decreased_efficacy"]
    assert matches[0].reasons == ("fold_resistance >= 2 (study: 3)",)
    assert match_guides(facts={"fold_resistance": 1.5}) == ()


def test_match_guides_reads_evidence_and_several_guides() -> None:
    evidence = _evidence(
        ("dose_response", "defactinib IC50", "resistant_vs_parental", 2.1, 0.2, "fr.csv"),
        ("synergy", "ruxolitinib+defactinib", "combination_vs_additivity", 0.05, 0.1, "s.csv"),
    )
    matches = match_guides(evidence, {"growth_rate_ratio": 0.6, "spheroid_cv": 0.3})
    assert {m.guide for m in matches} == {
        "decreased_efficacy",
        "no_synergy",
        "growth_rate_bias",
        "inconsistent_3d",
    }
    by_id = {m.guide: m for m in matches}
    assert by_id["decreased_efficacy"].reasons[0].endswith("-> up")


def test_bad_facts_are_rejected_with_the_name() -> None:
    with pytest.raises(InputError, match="fact 'fold_resistence' is not known"):
        walk_guide("decreased_efficacy", facts={"fold_resistence": 3})
    with pytest.raises(InputError, match="fact 'mycoplasma' must be one of"):
        walk_guide("decreased_efficacy", facts={"mycoplasma": "maybe"})
    with pytest.raises(InputError, match="fact 'passage' must be a number"):
        walk_guide("decreased_efficacy", facts={"passage": "high"})


def test_an_unknown_guide_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="decreased_efficacy"):
        walk_guide("no_such_guide")


def test_a_non_numeric_fold_change_names_the_row() -> None:
    evidence = _evidence(("western", "pFAK Y397", "drug_vs_vehicle", 0.0, 0.1, ""))
    evidence["log2_fold_change"] = ["n/a"]
    with pytest.raises(InputError, match="evidence row 1"):
        walk_guide("decreased_efficacy", evidence=evidence)


def _broken_copy(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "troubleshooting.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_a_schema_violation_names_file_and_field(tmp_path: Path) -> None:
    path = _broken_copy(tmp_path, lambda d: d["guides"][0]["steps"][1].pop("instruction"))
    with pytest.raises(
        FileFormatError,
        match=r"troubleshooting\.yaml, field guides\[0\]"
        r"\.steps\[1\]\.instruction: required field is missing",
    ):
        validate_guides(path)


def test_an_unknown_target_names_the_field(tmp_path: Path) -> None:
    def edit(d):
        d["guides"][0]["steps"][4]["answered_by"]["evidence"][0]["select"]["targets"] = ["pFOO"]

    with pytest.raises(
        FileFormatError,
        match=r"field guides\[0\]\.steps\[4\]\.answered_by\.evidence\[0\]\.select\.targets\[0\]",
    ):
        read_guides(_broken_copy(tmp_path, edit))


def test_an_undeclared_fact_names_the_field(tmp_path: Path) -> None:
    def edit(d):
        d["guides"][0]["match"]["facts"][0]["fact"] = "fold_resistanse"

    with pytest.raises(
        FileFormatError, match=r"guides\[0\]\.match\.facts\[0\]\.fact: unknown fact"
    ):
        read_guides(_broken_copy(tmp_path, edit))


def test_a_template_using_an_unlisted_fact_is_rejected(tmp_path: Path) -> None:
    def edit(d):
        d["guides"][0]["steps"][3]["answered_by"]["facts"][0]["show"] = "passage {mycoplasma}"

    with pytest.raises(FileFormatError, match=r"steps\[3\]\.answered_by\.facts\[0\]\.show"):
        read_guides(_broken_copy(tmp_path, edit))


def test_too_many_steps_are_rejected(tmp_path: Path) -> None:
    def edit(d):
        steps = d["guides"][0]["steps"]
        steps.append(dict(steps[0], id="extra"))

    with pytest.raises(FileFormatError, match=r"field guides\[0\]\.steps"):
        validate_guides(_broken_copy(tmp_path, edit))


def test_walk_to_frame_has_one_row_per_step() -> None:
    frame = walk_guide("growth_rate_bias", facts={"growth_rate_ratio": 0.5}).to_frame()
    assert list(frame["step"]) == [1, 2, 3, 4]
    assert list(frame["status"]) == ["answered", "open", "open", "open"]
    assert frame.loc[0, "findings"] == "growth rate resistant/parental 0.50 -> slower"
