"""`resistlab mechanisms` ranks planted evidence and writes ranking.csv."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from resistlab.cli.main import app

runner = CliRunner()


def _evidence(path: Path) -> Path:
    pd.DataFrame(
        [
            ("western", "p-STAT3 Tyr705", "resistant_vs_parental", 1.9, 0.002, "", 3),
            ("pathway", "STAT3_TARGETS", "resistant_vs_parental", 2.3, 1e-4, "", 19),
            ("western", "pFAK Y397", "drug_vs_vehicle", -2.2, 0.004, "", 3),
            ("rnaseq", "MYSTERY1", "resistant_vs_parental", 1.0, 0.01, "", 6),
        ],
        columns=["assay", "target", "comparison", "log2_fold_change", "p_value", "se", "n"],
    ).to_csv(path, index=False)
    return path


def test_ranking_has_the_documented_columns_and_order(tmp_path: Path) -> None:
    out = tmp_path / "ranking.csv"
    result = runner.invoke(app, ["mechanisms", str(_evidence(tmp_path / "ev.csv")), "-o", str(out)])
    assert result.exit_code == 0, result.output
    ranking = pd.read_csv(out)
    for column in (
        "mechanism",
        "score",
        "verdict",
        "supporting",
        "contradicting",
        "missing",
        "next_experiments",
        "combinations",
    ):
        assert column in ranking.columns
    assert ranking.iloc[0]["mechanism"] == "stat3_hyperactivation"
    assert ranking.iloc[0]["verdict"] == "supported"
    assert "defactinib+ruxolitinib" in ranking.iloc[0]["combinations"]
    rtk = ranking.set_index("mechanism").loc["rtk_bypass"]
    assert rtk["verdict"] == "contradicted"  # pFAK Y397 falls under drug
    assert "evidence #1)" in ranking.iloc[0]["supporting"]  # pSTAT3 is evidence row 1
    assert "MYSTERY1" in result.output  # unknown targets are reported
    audit = pd.read_csv(tmp_path / "ranking_contributions.csv")
    assert set(audit["source"]) >= {"ev.csv, row 2", "ev.csv, row 3"}  # spreadsheet rows


def test_unknown_assay_is_a_one_line_error_naming_the_row(tmp_path: Path) -> None:
    path = tmp_path / "ev.csv"
    pd.DataFrame(
        [("blot", "pERK", "resistant_vs_parental", 1.0)],
        columns=["assay", "target", "comparison", "log2_fold_change"],
    ).to_csv(path, index=False)
    result = runner.invoke(app, ["mechanisms", str(path), "-o", str(tmp_path / "r.csv")])
    assert result.exit_code == 1
    # the file, its spreadsheet row (the header is row 1) and the column
    assert "ev.csv, row 2, column assay: 'blot' is not a known assay" in result.output
    assert not (tmp_path / "r.csv").exists()
