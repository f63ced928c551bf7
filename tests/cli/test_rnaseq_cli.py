"""`resistlab rnaseq` on the bundled example counts: tables, evidence, figures, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from resistlab.cli.main import app

runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "rnaseq"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rnaseq") / "out"
    result = runner.invoke(
        app,
        [
            "rnaseq",
            str(EXAMPLE / "featureCounts.txt.gz"),
            "--samples",
            str(EXAMPLE / "samples.csv"),
            "--design",
            "~ batch + condition",
            "--contrast",
            "condition",
            "resistant",
            "parental",
            "--permutations",
            "300",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "resistant vs parental" in result.output
    return out


def test_de_table_has_deseq2_columns_and_recovers_planted_changes(run: Path) -> None:
    de = pd.read_csv(run / "de.csv")
    assert list(de.columns[:7]) == [
        "gene",
        "baseMean",
        "log2FoldChange",
        "lfcSE",
        "stat",
        "pvalue",
        "padj",
    ]
    assert "symbol" in de.columns  # Ensembl ids were mapped offline
    truth = pd.read_csv(EXAMPLE / "truth.csv").set_index("symbol")
    de = de.set_index("symbol")
    for gene in ("ERBB2", "ERBB3", "SOCS3"):
        assert de.loc[gene, "padj"] < 0.05
        assert abs(de.loc[gene, "log2FoldChange"] - truth.loc[gene, "log2_fold_change"]) < 0.6
    # EGFR's simulated gene-wise dispersion is high: up, but not called with 2 residual df
    assert abs(de.loc["EGFR", "log2FoldChange"] - truth.loc["EGFR", "log2_fold_change"]) < 0.6
    assert de.loc["PTK2", "padj"] > 0.1 or np.isnan(de.loc["PTK2", "padj"])


def test_evidence_names_rtk_bypass_and_stat3(run: Path) -> None:
    ev = pd.read_csv(run / "evidence.csv")
    assert list(ev.columns) == [
        "assay",
        "target",
        "comparison",
        "log2_fold_change",
        "p_value",
        "se",
        "n",
        "source",
    ]
    assert set(ev["comparison"]) == {"resistant_vs_parental"}
    axl = ev[ev["target"] == "AXL"].iloc[0]
    assert "newly expressed" in axl["source"]
    stat3 = ev[(ev["assay"] == "pathway") & (ev["target"] == "STAT3_TARGETS")].iloc[0]
    assert stat3["log2_fold_change"] > 1.0 and stat3["p_value"] < 0.05
    assert ev["target"].str.startswith("PROGENy:").sum() == 14


def test_qc_pathway_tables_and_figures_are_written(run: Path) -> None:
    qc = pd.read_csv(run / "qc.csv")
    assert len(qc) == 6 and not qc["outlier"].any()
    gsea = pd.read_csv(run / "gsea.csv")
    assert {"resistance", "wikipathways"} <= set(gsea["collection"])
    for name in ("ora", "progeny", "dispersions", "normalized_counts", "vst"):
        assert (run / f"{name}.csv").stat().st_size > 0
    for name in ("volcano", "ma", "pca", "correlation", "library", "dispersion"):
        assert (run / f"{name}.png").read_bytes()[:4] == b"\x89PNG"


def test_sample_missing_from_sheet_is_a_one_line_error(tmp_path: Path) -> None:
    sheet = pd.read_csv(EXAMPLE / "samples.csv").iloc[:-1]
    sheet.to_csv(tmp_path / "samples.csv", index=False)
    result = runner.invoke(
        app,
        [
            "rnaseq",
            str(EXAMPLE / "featureCounts.txt.gz"),
            "--samples",
            str(tmp_path / "samples.csv"),
            "-o",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 1
    assert "MDA-MB-231-DefR_rep3" in result.output
    assert not (tmp_path / "out" / "de.csv").exists()


def test_contrast_with_absent_level_is_a_one_line_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "rnaseq",
            str(EXAMPLE / "featureCounts.txt.gz"),
            "--samples",
            str(EXAMPLE / "samples.csv"),
            "--contrast",
            "condition",
            "resistent",
            "parental",
            "-o",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 1
    assert "'resistent'" in result.output
