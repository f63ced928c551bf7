"""Transcriptomics: from a count matrix to differential expression and resistance pathways.

Differential expression follows DESeq2 1.38's method and defaults (and agrees
with it on the team's reference data)::

    from resistlab.io import read_counts, read_sample_sheet
    from resistlab.rnaseq import deseq

    counts = read_counts("featureCounts.txt")
    samples = read_sample_sheet("samples.csv", samples=counts.columns)
    fit = deseq(counts, samples, "~ batch + condition", reference={"condition": "parental"})
    res = fit.results(("condition", "resistant", "parental"))
    res.to_frame()  # gene, baseMean, log2FoldChange, lfcSE, stat, pvalue, padj

Pathways: `gsea_prerank` (GSEA on a ranked list), `over_representation`
(hypergeometric + BH), `pathway_activity` (PROGENy footprints), on the
shipped collections (`resistlab.io.genesets.load_gene_sets`: curated resistance signatures,
WikiPathways, PROGENy) or any GMT file; MSigDB Hallmark downloads on request.
Reading and downloading gene sets live in `resistlab.io.genesets`.
"""

from resistlab.rnaseq.deseq import DESeqFit, deseq
from resistlab.rnaseq.design import Design, DesignWarning, design_matrix
from resistlab.rnaseq.gene_ids import is_ensembl, strip_version, symbol_table, to_symbols
from resistlab.rnaseq.genesets import GeneSets, as_gene_sets
from resistlab.rnaseq.gsea import GseaResult, gsea_prerank
from resistlab.rnaseq.normalization import normalization_factors, size_factors
from resistlab.rnaseq.ora import OraResult, benjamini_hochberg, over_representation
from resistlab.rnaseq.progeny import (
    PROGENY_PATHWAYS,
    PathwayActivity,
    SampleActivity,
    pathway_activity,
    progeny_model,
    sample_activity,
)
from resistlab.rnaseq.qc import CountQC, QCWarning, count_qc
from resistlab.rnaseq.results import DEResults
from resistlab.rnaseq.shrink import ShrunkenLFC, shrink_lfc
from resistlab.rnaseq.transform import variance_stabilizing_transformation

__all__ = [
    "PROGENY_PATHWAYS",
    "CountQC",
    "DEResults",
    "DESeqFit",
    "Design",
    "DesignWarning",
    "GeneSets",
    "GseaResult",
    "OraResult",
    "PathwayActivity",
    "QCWarning",
    "SampleActivity",
    "ShrunkenLFC",
    "as_gene_sets",
    "benjamini_hochberg",
    "count_qc",
    "deseq",
    "design_matrix",
    "gsea_prerank",
    "is_ensembl",
    "normalization_factors",
    "over_representation",
    "pathway_activity",
    "progeny_model",
    "sample_activity",
    "shrink_lfc",
    "size_factors",
    "strip_version",
    "symbol_table",
    "to_symbols",
    "variance_stabilizing_transformation",
]
