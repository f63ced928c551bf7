"""Synergy blocks become evidence rows the mechanism scorer matches (planted truth)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from resistlab.cli.main import app
from resistlab.errors import InputError
from resistlab.mechanism import EVIDENCE_COLUMNS, score_mechanisms
from resistlab.synergy.evidence import (
    POINTS_PER_LOG2_UNIT,
    SYNERGY_EVIDENCE_COLUMNS,
    combination_target,
    synergy_evidence,
)

PARENTAL, RESISTANT = "MDA-MB-231", "MDA-MB-231-DefR"
DOSES_UM = [0.0, 0.01, 0.03, 0.1, 0.3, 1.0]


def _inhibition(dose: float, ec50: float) -> float:
    return 100.0 * dose / (dose + ec50)


def _combination_table(rng: np.random.Generator, excess: float) -> pd.DataFrame:
    """Ruxolitinib x Defactinib: Bliss, plus `excess` points in the resistant line."""
    rows = []
    for line, bonus in ((PARENTAL, 0.0), (RESISTANT, excess)):
        for c1 in DOSES_UM:
            for c2 in DOSES_UM:
                y1, y2 = _inhibition(c1, 0.1), _inhibition(c2, 0.3)
                bliss = y1 + y2 - y1 * y2 / 100
                for _ in range(3):
                    y = bliss + (bonus if c1 > 0 and c2 > 0 else 0.0) + rng.normal(0, 2)
                    rows.append(
                        {
                            "block_id": line,
                            "cell_line": line,
                            "drug1": "Ruxolitinib",
                            "drug2": "Defactinib",
                            "conc1": c1,
                            "conc2": c2,
                            "conc_unit": "uM",
                            "response": 100 - y,
                        }
                    )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def planted_blocks(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """blocks.csv of `resistlab synergy` on +15 Bliss points in the resistant line only."""
    folder: Path = tmp_path_factory.mktemp("synergy")
    src = folder / "combo.csv"
    _combination_table(np.random.default_rng(20261121), 15.0).to_csv(src, index=False)
    result = CliRunner().invoke(
        app,
        [
            "synergy",
            str(src),
            "--models",
            "bliss",
            "--bootstrap",
            "300",
            "--no-figures",
            "-o",
            str(folder / "out"),
        ],
    )
    assert result.exit_code == 0, result.output
    return pd.read_csv(folder / "out" / "blocks.csv")


def test_planted_synergy_maps_to_log2_scale_with_canonical_target(planted_blocks):
    evidence = synergy_evidence(
        planted_blocks, model="bliss", parental=PARENTAL, source="out/blocks.csv"
    )
    assert list(evidence.columns) == list(SYNERGY_EVIDENCE_COLUMNS) == list(EVIDENCE_COLUMNS)
    by_comparison = evidence.set_index("comparison")
    resistant = by_comparison.loc["combination_vs_additivity"]
    # table order is Ruxolitinib + Defactinib; the knowledge base's id is the canonical one
    assert resistant["target"] == "defactinib+ruxolitinib"
    assert resistant["assay"] == "synergy"
    assert resistant["log2_fold_change"] == pytest.approx(15.0 / POINTS_PER_LOG2_UNIT, abs=0.15)
    assert resistant["p_value"] < 0.05
    assert 0 < resistant["se"] < 0.2
    block = planted_blocks.set_index("block_id").loc[RESISTANT]
    width = (block["bliss_ci_high"] - block["bliss_ci_low"]) / (2 * 1.959964) / 10
    assert resistant["se"] == pytest.approx(width)
    row = list(planted_blocks["block_id"]).index(RESISTANT) + 2  # spreadsheet row, header 1
    assert f"out/blocks.csv, row {row}, block MDA-MB-231-DefR" in resistant["source"]
    parental = by_comparison.loc["combination_vs_additivity_parental"]
    assert abs(parental["log2_fold_change"]) < 0.2


def test_planted_synergy_supports_stat3_hyperactivation(planted_blocks):
    evidence = synergy_evidence(planted_blocks, model="bliss", parental=PARENTAL)
    ranking = score_mechanisms(evidence)
    table = ranking.table.set_index("mechanism")
    assert table.loc["stat3_hyperactivation", "score"] > 0
    assert ranking.table.iloc[0]["mechanism"] == "stat3_hyperactivation"
    used = ranking.contributions
    assert set(used["entity"]) == {"defactinib+ruxolitinib"}
    assert (used["contribution"] > 0).all()
    # the parental block is context, not evidence: listed as unmatched, never scored
    assert list(ranking.unmatched["comparison"]) == ["combination_vs_additivity_parental"]


def test_resistant_line_filter_drops_the_parental_block(planted_blocks):
    evidence = synergy_evidence(planted_blocks, model="bliss", cell_line=RESISTANT)
    assert list(evidence["comparison"]) == ["combination_vs_additivity"]


def _blocks(**columns: object) -> pd.DataFrame:
    base: dict[str, object] = {
        "block_id": ["b1"],
        "drug1": ["defactinib"],
        "drug2": ["trametinib"],
        "zip_mean": [-12.0],
    }
    base.update(columns)
    return pd.DataFrame(base)


def test_unknown_pair_keeps_its_name_and_missing_ci_gives_no_se():
    row = synergy_evidence(_blocks()).iloc[0]
    assert row["target"] == "defactinib+trametinib"
    assert row["log2_fold_change"] == pytest.approx(-1.2)
    assert np.isnan(row["se"]) and np.isnan(row["p_value"]) and np.isnan(row["n"])
    assert "no bootstrap CI" in row["source"]


def test_drug_synonyms_resolve_in_either_order():
    assert combination_target("VS-6766", "VS-6063") == "defactinib+avutometinib"
    assert combination_target("stattic", "DEFACTINIB") == "defactinib+stattic"


def test_several_lines_without_a_named_one_is_an_error():
    blocks = _blocks(
        block_id=["a", "b"],
        cell_line=["P", "R"],
        drug1=["x", "x"],
        drug2=["y", "y"],
        zip_mean=[1.0, 2.0],
    )
    with pytest.raises(InputError, match="several cell lines"):
        synergy_evidence(blocks)
    with pytest.raises(InputError, match="not a cell line"):
        synergy_evidence(blocks, parental="Q")


def test_missing_model_names_the_scored_models():
    with pytest.raises(InputError, match="the table scores zip"):
        synergy_evidence(_blocks(), model="bliss")


def test_blocks_without_a_score_are_left_out():
    blocks = _blocks(block_id=["a", "b"], drug1=["x"] * 2, drug2=["y"] * 2, zip_mean=[np.nan, 4])
    assert synergy_evidence(blocks)["log2_fold_change"].tolist() == [0.4]
