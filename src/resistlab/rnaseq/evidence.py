"""RNA-seq results as rows of the evidence table (DESIGN.md) that mechanism inference reads.

Three kinds of rows, all with ``comparison`` = the contrast's name
(``resistant_vs_parental`` by default):

- ``assay = "rnaseq"``: one row per gene of the curated ERBB/RTK
  receptor-and-ligand set and of the STAT3-target set that was tested.
  ``log2_fold_change`` and ``se`` are DESeq2's log2 fold change and lfcSE,
  ``p_value`` the BH-adjusted p-value (padj; NaN where independent filtering
  or Cook's distance removed the gene), ``n`` the number of samples. An RTK
  that is off in the reference group (mean normalized count below 1) and on
  in the other (mean 10 or more) is the RTK-low -> acquired-RTK case; its
  ``source`` says ``newly expressed`` with both means.
- ``assay = "pathway"`` from GSEA of the curated resistance signatures:
  ``target`` the signature (e.g. ``STAT3_TARGETS``), ``log2_fold_change`` the
  normalised enrichment score (NES, not a ratio: positive = up in the
  numerator group), ``p_value`` the GSEA FDR q-value, ``n`` the genes in the
  set.
- ``assay = "pathway"`` from PROGENy: ``target`` ``PROGENy:<pathway>``
  (``PROGENy:JAK-STAT``, ``PROGENy:EGFR``...), ``log2_fold_change`` the
  footprint activity score (a t-value of the multivariate linear model, not
  a ratio), ``se`` NaN, ``p_value`` its FDR, ``n`` the footprint genes used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath

import numpy as np
import pandas as pd

from resistlab.provenance import cite, data_row

__all__ = ["EVIDENCE_COLUMNS", "GENE_SETS_FOR_EVIDENCE", "rnaseq_evidence"]

EVIDENCE_COLUMNS = (
    "assay",
    "target",
    "comparison",
    "log2_fold_change",
    "p_value",
    "se",
    "n",
    "source",
)

#: Curated sets whose genes are reported one by one.
GENE_SETS_FOR_EVIDENCE = ("ERBB_RTK_RECEPTORS_LIGANDS", "STAT3_TARGETS")

_OFF = 1.0  # mean normalized count below which a gene is "not expressed"
_ON = 10.0  # mean normalized count from which it is "expressed"


def _sibling(folder: PurePosixPath, name: str) -> str:
    return str(folder / name) if str(folder) != "." else name


def _gene_rows(
    table: pd.DataFrame,
    symbols: pd.Series,
    normalized: pd.DataFrame | None,
    groups: tuple[Sequence[str], Sequence[str]] | None,
    comparison: str,
    source: str,
    signatures: Mapping[str, Sequence[str]],
) -> list[dict[str, object]]:
    wanted: dict[str, str] = {}
    for name in GENE_SETS_FOR_EVIDENCE:
        for gene in signatures.get(name, ()):
            wanted.setdefault(gene, name)
    rows: list[dict[str, object]] = []
    n = normalized.shape[1] if normalized is not None else np.nan
    ids = [str(g) for g in table.index]
    position = {g: i for i, g in enumerate(ids)}
    lfc = table["log2FoldChange"].to_numpy(dtype=float)
    padj = table["padj"].to_numpy(dtype=float)
    se = table["lfcSE"].to_numpy(dtype=float)
    means: tuple[np.ndarray, np.ndarray] | None = None
    if normalized is not None and groups is not None:
        values = normalized.reindex(table.index)
        means = (
            values[list(groups[0])].mean(axis=1).to_numpy(dtype=float),
            values[list(groups[1])].mean(axis=1).to_numpy(dtype=float),
        )
    for gene_id, symbol in zip(symbols.index.astype(str), symbols.astype(str), strict=True):
        i = position.get(gene_id)
        if symbol not in wanted or i is None or not np.isfinite(lfc[i]):
            continue
        note = f"{cite(source, data_row(i))} ({wanted[symbol]}, gene {gene_id})"
        if means is not None:
            num, den = means[0][i], means[1][i]
            if den < _OFF <= _ON <= num:
                note += f"; newly expressed: mean normalized count {den:.2g} -> {num:.3g}"
            elif num < _OFF <= _ON <= den:
                note += f"; lost: mean normalized count {den:.3g} -> {num:.2g}"
        rows.append(
            {
                "assay": "rnaseq",
                "target": symbol,
                "comparison": comparison,
                "log2_fold_change": float(lfc[i]),
                "p_value": float(padj[i]),
                "se": float(se[i]),
                "n": n,
                "source": note,
            }
        )
    return rows


def rnaseq_evidence(
    table: pd.DataFrame,
    *,
    signatures: Mapping[str, Sequence[str]],
    symbols: pd.Series | None = None,
    normalized: pd.DataFrame | None = None,
    groups: tuple[Sequence[str], Sequence[str]] | None = None,
    gsea: pd.DataFrame | None = None,
    activity: pd.DataFrame | None = None,
    comparison: str = "resistant_vs_parental",
    source: str = "de.csv",
) -> pd.DataFrame:
    """Evidence rows from a DE table, GSEA of the resistance sets and PROGENy scores.

    Parameters
    ----------
    table : DataFrame
        DE results indexed by gene id (``DEResults.table``).
    signatures : mapping of str to gene symbols
        The curated resistance signatures (``resistlab.io.genesets.load_gene_sets(
        "resistance")``): the genes of `GENE_SETS_FOR_EVIDENCE` become gene rows.
    symbols : Series, optional
        Gene id -> HGNC symbol; by default the ids are taken as symbols.
    normalized : DataFrame, optional
        Normalized counts (genes x samples), for the newly-expressed check.
    groups : (numerator samples, denominator samples), optional
        Which columns of ``normalized`` belong to each side of the contrast.
    gsea : DataFrame, optional
        ``GseaResult.to_frame()`` of the curated resistance signatures.
    activity : DataFrame, optional
        ``PathwayActivity.to_frame()`` (PROGENy).
    comparison : str
        The evidence table's ``comparison``.
    source : str
        File the DE table is written to (``de.csv``); GSEA and PROGENy rows cite
        ``gsea.csv`` and ``progeny.csv`` beside it. Each row cites its spreadsheet row
        there: DE rows by their position in `table`, GSEA and PROGENy rows by their
        index label in `gsea` and `activity` (a filtered view of the written table keeps
        its labels).

    Examples
    --------
    >>> t = pd.DataFrame({"log2FoldChange": [2.5, 0.1], "lfcSE": [0.3, 0.2],
    ...                   "padj": [1e-6, 0.9]}, index=["ERBB2", "GAPDH"])
    >>> sets = {"ERBB_RTK_RECEPTORS_LIGANDS": ["ERBB2", "EGFR"]}
    >>> ev = rnaseq_evidence(t, signatures=sets)
    >>> ev[["assay", "target", "log2_fold_change"]].to_dict("records")
    [{'assay': 'rnaseq', 'target': 'ERBB2', 'log2_fold_change': 2.5}]
    """
    if symbols is None:
        symbols = pd.Series(table.index, index=table.index)
    rows = _gene_rows(table, symbols, normalized, groups, comparison, source, signatures)
    folder = PurePosixPath(source).parent
    if gsea is not None:
        for at, term, nes, fdr, size in zip(
            gsea.index, gsea["term"], gsea["nes"], gsea["fdr"], gsea["size"], strict=True
        ):
            rows.append(
                {
                    "assay": "pathway",
                    "target": str(term),
                    "comparison": comparison,
                    "log2_fold_change": float(nes),
                    "p_value": float(fdr),
                    "se": np.nan,
                    "n": int(size),
                    "source": f"{cite(_sibling(folder, 'gsea.csv'), data_row(at))} "
                    f"(GSEA prerank NES on the Wald statistic, {term})",
                }
            )
    if activity is not None:
        for at, pathway, score, fdr, n_genes in zip(
            activity.index,
            activity["pathway"],
            activity["score"],
            activity["fdr"],
            activity["n_genes"],
            strict=True,
        ):
            rows.append(
                {
                    "assay": "pathway",
                    "target": f"PROGENy:{pathway}",
                    "comparison": comparison,
                    "log2_fold_change": float(score),
                    "p_value": float(fdr),
                    "se": np.nan,
                    "n": int(n_genes),
                    "source": f"{cite(_sibling(folder, 'progeny.csv'), data_row(at))} "
                    f"(footprint t-value, {pathway})",
                }
            )
    return pd.DataFrame(rows, columns=list(EVIDENCE_COLUMNS))
