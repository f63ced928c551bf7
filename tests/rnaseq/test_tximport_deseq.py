"""Salmon quant.sf -> tximport-style gene summary -> DESeq2 with length offsets, against R.

tests/data/rnaseq/salmon holds six synthetic Salmon folders (with isoform switches, so
average transcript lengths differ between groups) and R's tximport 1.26 +
DESeqDataSetFromTximport + DESeq2 1.38 outputs (tests/reference/tximport_deseq2.R).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from resistlab.cli.main import app
from resistlab.io import read_salmon
from resistlab.rnaseq import deseq

SALMON = Path(__file__).resolve().parents[1] / "data" / "rnaseq" / "salmon"
SAMPLES = [f"S{i}" for i in range(1, 7)]


def _r_table(name: str) -> pd.DataFrame:
    table = pd.read_csv(SALMON / name, index_col=0)
    table.index = table.index.str.replace(r"\.\d+$", "", regex=True)
    return table


def test_length_offsets_and_results_agree_with_tximport_and_deseq2() -> None:
    tx = read_salmon({s: SALMON / s for s in SAMPLES}, SALMON / "tx2gene.csv")
    length = _r_table("R_tximport_length.csv")
    np.testing.assert_allclose(tx.length.loc[length.index], length, rtol=1e-8)
    meta = pd.read_csv(SALMON / "samples.csv", index_col=0)
    fit = deseq(tx.rounded_counts(), meta, reference={"condition": "parental"}, lengths=tx.length)
    assert fit.size_factors is None  # gene-specific normalisation factors instead
    nf = _r_table("R_normalization_factors.csv").loc[fit.genes]
    np.testing.assert_allclose(fit.norm_factors, nf, rtol=1e-8)
    res = fit.results(("condition", "resistant", "parental")).table
    ref = _r_table("R_res.csv").loc[res.index]
    for column in ("baseMean", "log2FoldChange", "lfcSE", "pvalue", "padj"):
        np.testing.assert_allclose(res[column], ref[column], rtol=1e-6, atol=1e-9)


def test_cli_reads_salmon_folders_with_tx2gene(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "rnaseq",
            *[str(SALMON / s) for s in SAMPLES],
            "--tx2gene",
            str(SALMON / "tx2gene.csv"),
            "--samples",
            str(SALMON / "samples.csv"),
            "--contrast",
            "condition",
            "resistant",
            "parental",
            "--permutations",
            "100",
            "--no-figures",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    de = pd.read_csv(out / "de.csv").set_index("gene")
    ref = _r_table("R_res.csv").loc[de.index]
    np.testing.assert_allclose(de["log2FoldChange"], ref["log2FoldChange"], rtol=1e-6, atol=1e-9)
