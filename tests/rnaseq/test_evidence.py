"""Evidence-table rows from a differential-expression result with planted biology."""

from __future__ import annotations

import numpy as np
import pandas as pd

from resistlab.io.genesets import load_gene_sets
from resistlab.rnaseq import deseq, gsea_prerank
from resistlab.rnaseq.evidence import EVIDENCE_COLUMNS, rnaseq_evidence


def _study(rng: np.random.Generator):
    sets = load_gene_sets("resistance")
    rtk = list(sets["ERBB_RTK_RECEPTORS_LIGANDS"])
    stat3 = list(sets["STAT3_TARGETS"])
    others = [f"GENE{i}" for i in range(1500)]
    genes = list(dict.fromkeys(rtk + stat3 + others))
    mean = rng.gamma(1.5, 300.0, size=len(genes))
    lfc = np.zeros(len(genes))
    erbb2, axl = genes.index("ERBB2"), genes.index("AXL")
    lfc[erbb2] = 2.5
    mean[axl], lfc[axl] = 0.2, 10.0  # off in parental, on in resistant
    for g in stat3:
        lfc[genes.index(g)] = 1.5
    mu = mean[:, None] * np.ones((1, 6))
    mu[:, 3:] *= 2.0 ** lfc[:, None]
    size = 1 / (0.03 + 1 / np.maximum(mean, 1))[:, None]
    counts = pd.DataFrame(
        rng.negative_binomial(size, size / (size + mu)), index=genes, columns=list("abcdef")
    )
    meta = pd.DataFrame({"condition": ["parental"] * 3 + ["resistant"] * 3}, index=counts.columns)
    return counts, meta


def test_evidence_rows_carry_rtk_and_stat3_changes(rng: np.random.Generator) -> None:
    counts, meta = _study(rng)
    fit = deseq(counts, meta, reference={"condition": "parental"})
    res = fit.results(("condition", "resistant", "parental"))
    gsea = gsea_prerank(
        res.table["stat"].dropna(), load_gene_sets("resistance"), min_size=5, permutations=500
    ).to_frame()
    ev = rnaseq_evidence(
        res.table,
        signatures=load_gene_sets("resistance"),
        normalized=fit.normalized_counts(),
        groups=(["d", "e", "f"], ["a", "b", "c"]),
        gsea=gsea,
    )
    assert tuple(ev.columns) == EVIDENCE_COLUMNS
    erbb2 = ev[(ev["assay"] == "rnaseq") & (ev["target"] == "ERBB2")].iloc[0]
    assert erbb2["log2_fold_change"] == res.table.loc["ERBB2", "log2FoldChange"]
    assert abs(erbb2["log2_fold_change"] - 2.5) < 0.5
    assert erbb2["p_value"] < 1e-3
    assert erbb2["n"] == 6
    axl = ev[ev["target"] == "AXL"].iloc[0]
    assert "newly expressed" in axl["source"]
    assert "newly expressed" not in erbb2["source"]
    stat3 = ev[(ev["assay"] == "pathway") & (ev["target"] == "STAT3_TARGETS")].iloc[0]
    assert stat3["log2_fold_change"] > 1.5  # NES of the planted set
    assert stat3["p_value"] < 0.05
    # genes outside the two reported sets do not appear
    assert not ev["target"].str.startswith("GENE").any()
