"""The bundled Defactinib-resistance study: reproducible, readable, and carrying its truth."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from resistlab.imaging import compare_conditions, normalize_bands, rtk_array_fold_changes
from resistlab.io import (
    read_combination_plates,
    read_counts,
    read_densitometry,
    read_plate_table,
    read_sample_sheet,
)
from resistlab.synergy import bliss, zip_score

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
STUDY = EXAMPLES / "defactinib-study"


def _generator():
    path = EXAMPLES / "make_defactinib_study.py"
    spec = importlib.util.spec_from_file_location("make_defactinib_study", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_defactinib_study", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def study() -> dict:
    with (STUDY / "study.yaml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "README.md"
    }


def test_generator_is_deterministic(tmp_path):
    _generator().main(tmp_path / "again")
    shipped = _files(STUDY)
    again = _files(tmp_path / "again")
    assert sorted(again) == sorted(shipped)
    changed = [name for name in shipped if shipped[name] != again[name]]
    assert changed == []


def test_study_folder_is_small_and_documented():
    size = sum(p.stat().st_size for p in STUDY.rglob("*") if p.is_file())
    assert size < 3_000_000
    assert "make_defactinib_study.py" in (STUDY / "README.md").read_text(encoding="utf-8")


def _named_files(study: dict) -> list[str]:
    names = [study["campaign"], study["western"]["lanes"], *study["western"]["exports"]]
    names += [*study["rtk_array"]["exports"], study["rnaseq"]["counts"], study["rnaseq"]["samples"]]
    for plates in (
        study["dose_response"]["plates"],
        study["dose_response"]["drug_holiday"]["plates"],
        study["synergy"]["plates"],
    ):
        names += [p for plate in plates for p in (plate["export"], plate["map"])]
    return names


def test_study_yaml_names_existing_files(study):
    assert study["drug"] == "defactinib"
    assert (study["parental"], study["resistant"]) == ("MDA-MB-231", "MDA-MB-231-DefR")
    assert study["evidence"] == ["evidence/ihc_xenografts.csv"]  # typed in by hand
    named = [*_named_files(study), *study["evidence"]]
    missing = [name for name in named if not (STUDY / name).is_file()]
    assert missing == []


def test_dose_response_plates_read(study):
    plates = study["dose_response"]["plates"] + study["dose_response"]["drug_holiday"]["plates"]
    lines: set[str] = set()
    for plate in plates:
        table = read_plate_table(STUDY / plate["export"], STUDY / plate["map"])
        lines |= set(table["cell_line"].dropna())
    assert lines == {
        "MDA-MB-231",
        "MDA-MB-231-DefR",
        study["dose_response"]["drug_holiday"]["line"],
    }


def test_rnaseq_inputs_read(study):
    counts = read_counts(STUDY / study["rnaseq"]["counts"])
    design = read_sample_sheet(
        STUDY / study["rnaseq"]["samples"], samples=counts.columns, required=["condition", "batch"]
    )
    assert set(design["condition"]) == {"parental", "resistant"}


@pytest.fixture(scope="module")
def normalized(study):
    western = study["western"]
    bands = read_densitometry(
        [STUDY / f for f in western["exports"]],
        lanes=STUDY / western["lanes"],
        layout=western["layout"],
    )
    assert len(bands) == 3 * 4 * 11
    return normalize_bands(bands, loading_control=western["loading_control"])


def _fold(result, target: str, measure: str = "to_total", **where) -> float:
    table = result.to_frame()
    rows = table[(table["target"] == target) & (table["measure"] == measure)]
    for column, value in where.items():
        rows = rows[rows[column] == value]
    assert len(rows) == 1
    return float(rows["fold_change"].iloc[0])


def test_western_recovers_the_planted_signalling(normalized):
    vehicle = normalized[normalized["treatment"] == "vehicle"]
    result = compare_conditions(vehicle)
    assert _fold(result, "pSTAT3_Y705") == pytest.approx(2.5, rel=0.2)
    assert 1 / 1.25 < _fold(result, "pAKT_S473") < 1.25
    assert 1 / 1.25 < _fold(result, "pERK") < 1.25
    assert _fold(result, "ERBB2", "to_loading_control") > 3.0
    assert _fold(result, "EGFR", "to_loading_control") > 1.7


def test_western_pfak_persists_under_drug_only_in_defr(normalized):
    def drug_effect(condition: str) -> float:
        lanes = normalized[normalized["condition"] == condition]
        lanes = lanes.assign(condition=lanes["treatment"])
        result = compare_conditions(lanes, numerator="defactinib", denominator="vehicle")
        return _fold(result, "pFAK_Y397")

    assert drug_effect("parental") == pytest.approx(1 / 8, rel=0.3)
    assert drug_effect("resistant") > 0.6


def test_rtk_array_hits(study):
    spots = read_densitometry(
        [STUDY / f for f in study["rtk_array"]["exports"]], layout=study["rtk_array"]["layout"]
    )
    table = rtk_array_fold_changes(spots).to_frame().set_index("target")
    fold = 2.0 ** table["log2_fold_change"]
    assert fold["pERBB2"] == pytest.approx(6.0, rel=0.25)
    assert fold["pEGFR"] == pytest.approx(3.0, rel=0.25)
    assert fold["pAXL"] == pytest.approx(4.0, rel=0.25)
    assert sorted(table.index[table["hit"]]) == ["pAXL", "pEGFR", "pERBB2"]


def test_combination_plates_give_the_planted_synergy_order(study):
    plates = study["synergy"]["plates"]
    matrices = read_combination_plates(
        [STUDY / p["export"] for p in plates], [STUDY / p["map"] for p in plates]
    )
    assert set(matrices.cell_line) == {"MDA-MB-231-DefR"}
    for model in (bliss, zip_score):
        scores = dict(
            zip(
                [b.split("+")[1] for b in matrices.block_ids],
                model(matrices).mean_synergy(),
                strict=True,
            )
        )
        assert scores["lapatinib"] == pytest.approx(15.0, abs=3.0)
        assert scores["ruxolitinib"] == pytest.approx(5.0, abs=3.0)
        assert abs(scores["avutometinib"]) < 3.0
        assert scores["lapatinib"] > scores["ruxolitinib"] > scores["avutometinib"]
    assert np.isfinite(matrices.mean_response).all()
