"""The RNA-seq workflow: counts -> DESeq2-faithful DE -> QC, pathways, evidence, figures.

`run_rnaseq` is what ``resistlab rnaseq`` and the study report run: it reads the inputs,
fits, scores pathways and writes every table and figure into one folder (each file
atomically, figures rendered before anything is written).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from resistlab._atomic import atomic_path
from resistlab.errors import AnalysisError, InputError
from resistlab.provenance import cite, data_row

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from resistlab.rnaseq import DEResults, DESeqFit
    from resistlab.rnaseq.qc import CountQC

__all__ = ["STEPS", "RnaseqInputs", "pathway_tables", "read_inputs", "run_rnaseq"]


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temporary:
        frame.to_csv(temporary, index=False)


#: The steps the progress bar counts.
STEPS = (
    "reading counts",
    "size factors",
    "dispersions and model fits",
    "results",
    "quality control",
    "pathways",
    "evidence",
    "figures",
)


@dataclass(frozen=True)
class RnaseqInputs:
    """What the command read: counts, the sample sheet and optional lengths."""

    counts: pd.DataFrame
    samples: pd.DataFrame
    lengths: pd.DataFrame | None


def read_inputs(counts: list[Path], sheet: Path, tx2gene: Path | None) -> RnaseqInputs:
    """Read a count matrix (or Salmon folders with a tx2gene table) and the sample sheet."""
    from resistlab.io import read_counts, read_salmon, read_sample_sheet

    for path in [*counts, sheet, *([tx2gene] if tx2gene else [])]:
        if not path.exists():
            msg = f"{path}: no such file or folder"
            raise InputError(msg)
    lengths = None
    if tx2gene is not None:
        tx = read_salmon(counts, tx2gene)
        matrix = tx.rounded_counts()
        norm = tx.normalization_matrix()
        lengths = tx.length if norm is not None else None
    else:
        if len(counts) != 1:
            msg = "give one count matrix, or Salmon quant folders together with --tx2gene"
            raise InputError(msg)
        matrix = read_counts(counts[0])
    samples = read_sample_sheet(sheet, samples=list(matrix.columns))
    return RnaseqInputs(matrix, samples, lengths)


def _check_sheet_columns(
    samples: pd.DataFrame,
    sheet: Path,
    design: str,
    reduced: str | None,
    contrast: tuple[str, str, str] | None,
) -> None:
    """Name the sample sheet and the column when the design or contrast needs one it lacks."""
    needed = {
        name: f"the design {formula!r}"
        for formula in (design, reduced or "~ 1")
        for name in re.findall(r"[A-Za-z_][\w.]*", formula.lstrip().lstrip("~"))
    }
    if contrast is not None:
        needed.setdefault(contrast[0], f"the contrast {list(contrast)}")
    for name, by in needed.items():
        if name not in samples.columns:
            msg = (
                f"{sheet}: no column {name!r}, which {by} needs "
                f"(the sheet has {', '.join(map(str, samples.columns))})"
            )
            raise InputError(msg)


def _symbols(genes: pd.Index) -> pd.Series:
    from resistlab.rnaseq import is_ensembl, to_symbols

    ids = pd.Index(genes.astype(str))
    flags = np.asarray(is_ensembl(list(ids)), dtype=bool)
    if flags.mean() > 0.5:
        return to_symbols(list(ids))
    return pd.Series(list(ids), index=ids)


def _ranking(table: pd.DataFrame, symbols: pd.Series) -> pd.Series:
    """Wald statistic per symbol (the strongest of duplicated symbols)."""
    stat = pd.Series(table["stat"].to_numpy(), index=symbols.reindex(table.index).to_numpy())
    stat = stat[np.isfinite(stat.to_numpy())]
    order = stat.abs().sort_values(ascending=False).index
    stat = stat.loc[order]
    return stat[~stat.index.duplicated(keep="first")]


def pathway_tables(
    res: DEResults, symbols: pd.Series, *, permutations: int, seed: int, gmt: list[Path]
) -> dict[str, pd.DataFrame]:
    """GSEA (resistance sets, WikiPathways, extra GMTs), ORA and PROGENy tables."""
    from resistlab.io.genesets import load_gene_sets
    from resistlab.rnaseq import gsea_prerank, over_representation, pathway_activity

    ranking = _ranking(res.table, symbols)
    collections = {"resistance": load_gene_sets("resistance")}
    collections["wikipathways"] = load_gene_sets("wikipathways")
    for path in gmt:
        collections[path.stem] = load_gene_sets(path)
    gsea_frames, ora_frames = [], []
    skipped: list[str] = []
    tested = res.table["padj"].notna()
    universe = set(symbols.reindex(res.table.index[tested]).dropna())
    sig = res.table["padj"] < res.alpha
    for name, sets in collections.items():
        min_size = 5 if name == "resistance" else 15
        try:
            result = gsea_prerank(
                ranking, sets, permutations=permutations, seed=seed, min_size=min_size
            )
        except AnalysisError as exc:  # e.g. gene ids that are not symbols
            skipped.append(f"GSEA on {name}: {exc}")
            continue
        frame = result.to_frame()
        frame.insert(0, "collection", name)
        gsea_frames.append(frame)
        for direction, mask in (("up", res.table["log2FoldChange"] > 0), ("down", None)):
            chosen = sig & (mask if mask is not None else res.table["log2FoldChange"] < 0)
            genes = set(symbols.reindex(res.table.index[chosen]).dropna())
            if not genes:
                continue
            ora = over_representation(genes, sets, universe=universe).to_frame()
            ora.insert(0, "direction", direction)
            ora.insert(0, "collection", name)
            ora_frames.append(ora)
    try:
        progeny = pathway_activity(ranking).to_frame()
    except AnalysisError as exc:
        skipped.append(f"PROGENy: {exc}")
        progeny = pd.DataFrame(
            columns=["pathway", "score", "coefficient", "se", "pvalue", "fdr", "n_genes"]
        )
    gsea_columns = ["collection", "term", "size", "es", "nes", "pvalue", "fdr"]
    return {
        "gsea": pd.concat(gsea_frames, ignore_index=True)
        if gsea_frames
        else pd.DataFrame(columns=gsea_columns),
        "ora": pd.concat(ora_frames, ignore_index=True) if ora_frames else pd.DataFrame(),
        "progeny": progeny,
        "skipped": pd.DataFrame({"step": skipped}),
    }


def _figures(
    fit: DESeqFit, res: DEResults, qc: CountQC, group: str, gsea: pd.DataFrame
) -> dict[str, Figure]:
    from resistlab.io.genesets import load_gene_sets
    from resistlab.report import rnaseq_figures as rf

    sets = load_gene_sets("resistance")
    symbols = _symbols(fit.genes)
    highlight = {}
    for name, label in (("ERBB_RTK_RECEPTORS_LIGANDS", "RTKs"), ("STAT3_TARGETS", "STAT3 targets")):
        members = set(sets[name])
        highlight[label] = [g for g, s in symbols.items() if s in members]
    table = res.table.copy()
    table.index = symbols.reindex(table.index).fillna(pd.Series(table.index, index=table.index))
    highlight = {k: [symbols.get(g, g) for g in v] for k, v in highlight.items()}
    figures: dict[str, Figure] = {
        "volcano": rf.volcano_figure(
            table, alpha=res.alpha, highlight=highlight, title=res.contrast
        ),
        "ma": rf.ma_figure(table, alpha=res.alpha, title=res.contrast),
        "pca": rf.pca_figure(qc, group=group),
        "correlation": rf.correlation_figure(qc),
        "library": rf.library_figure(qc),
        "dispersion": rf.dispersion_figure(fit),
    }
    return figures


def _default_contrast(sheet: pd.DataFrame, design: str) -> tuple[str, str, str]:
    from resistlab.rnaseq import design_matrix

    d = design_matrix(sheet, design)
    factor = [v for v in d.variables if v in d.factors]
    if not factor:
        msg = "the design has no factor to contrast; give --contrast"
        raise InputError(msg)
    levels = d.factors[factor[-1]]
    return factor[-1], levels[-1], levels[0]


def run_rnaseq(
    counts: list[Path],
    sheet_path: Path,
    output: Path,
    *,
    design: str = "~ condition",
    contrast: tuple[str, str, str] | None = None,
    reduced: str | None = None,
    tx2gene: Path | None = None,
    alpha: float = 0.1,
    gmt: list[Path] | None = None,
    permutations: int = 1000,
    seed: int = 0,
    figures: bool = True,
    progress: Callable[[int, int], None] | None = None,
    cite_as: str = "",
) -> tuple[list[str], list[str]]:
    """Run the whole RNA-seq analysis into `output`; return (summary lines, warnings).

    The study report calls this too, so the command and the report write the same files.
    Evidence rows cite ``de.csv``, ``gsea.csv`` and ``progeny.csv`` by name (they sit
    beside ``evidence.csv``), or under the folder `cite_as` when given (the study report
    cites ``rnaseq/de.csv``).
    """
    from resistlab.io.genesets import load_gene_sets
    from resistlab.rnaseq import deseq, variance_stabilizing_transformation
    from resistlab.rnaseq.evidence import rnaseq_evidence
    from resistlab.rnaseq.qc import count_qc

    update = progress or (lambda _done, _total: None)
    total = len(STEPS)
    update(0, total)
    inputs = read_inputs(counts, sheet_path, tx2gene)
    _check_sheet_columns(inputs.samples, sheet_path, design, reduced, contrast)
    if contrast is None:
        contrast = _default_contrast(inputs.samples, design)
    factor, num, den = contrast
    update(1, total)
    step = {"n": 1}

    def next_step(_label: str) -> None:
        step["n"] = min(step["n"] + 1, 3)
        update(step["n"], total)

    fit = deseq(
        inputs.counts,
        inputs.samples,
        design,
        reference={factor: den},
        reduced=reduced,
        lengths=inputs.lengths,
        progress=next_step,
    )
    res = fit.results(contrast, alpha=alpha)
    update(4, total)
    vst = variance_stabilizing_transformation(inputs.counts)
    qc = count_qc(inputs.counts, vst=vst, samples=inputs.samples, group=factor)
    update(5, total)
    symbols = _symbols(fit.genes)
    tables = pathway_tables(res, symbols, permutations=permutations, seed=seed, gmt=list(gmt or []))
    update(6, total)
    levels = inputs.samples[factor].astype(str)
    groups = (
        list(levels.index[levels == num]),
        list(levels.index[levels == den]),
    )
    gsea = tables["gsea"]
    evidence = rnaseq_evidence(
        res.table,
        signatures=load_gene_sets("resistance"),
        symbols=symbols,
        normalized=fit.normalized_counts(),
        groups=groups,
        gsea=gsea[gsea["collection"] == "resistance"],
        activity=tables["progeny"],
        comparison=f"{num}_vs_{den}",
        source=f"{cite_as}/de.csv" if cite_as else "de.csv",
    )
    update(7, total)
    rendered: dict[str, Figure] = {}
    if figures:  # rendered before anything is written: a failure leaves no half output
        import matplotlib

        matplotlib.use("Agg")
        rendered = _figures(fit, res, qc, factor, gsea)
    de = res.to_frame()
    if not symbols.index.equals(pd.Index(symbols.to_numpy())):
        de["symbol"] = symbols.reindex(res.table.index).to_numpy()
    _write_csv(de, output / "de.csv")
    _write_csv(qc.to_frame(), output / "qc.csv")
    _write_csv(fit.dispersion_table().reset_index(names="gene"), output / "dispersions.csv")
    _write_csv(fit.normalized_counts().reset_index(names="gene"), output / "normalized_counts.csv")
    _write_csv(vst.reset_index(names="gene"), output / "vst.csv")
    skipped = tables.pop("skipped")["step"].tolist()
    for name, frame in tables.items():
        _write_csv(frame, output / f"{name}.csv")
    _write_csv(evidence, output / "evidence.csv")
    for name, figure in rendered.items():
        with atomic_path(output / f"{name}.png") as tmp:
            figure.savefig(tmp, format="png", dpi=150, bbox_inches="tight")
    written = len(rendered)
    update(total, total)
    lines = [res.summary()]
    sizes = (
        "from transcript lengths"
        if fit.size_factors is None
        else ", ".join(f"{v:.3g}" for v in fit.size_factors)
    )
    lines.append(f"size factors: {sizes}; dispersion prior variance {fit.prior_var:.3g}")
    warnings_out: list[str] = []
    outliers = qc.to_frame()
    flagged = outliers[outliers["outlier"]]
    for rec in flagged.itertuples():
        warnings_out.append(f"QC: sample {rec.sample}: {rec.outlier_reason}")
    warnings_out += [f"skipped: {note}" for note in skipped]
    top = gsea[gsea["collection"] == "resistance"].sort_values("fdr").head(3)
    gsea_file = f"{cite_as}/gsea.csv" if cite_as else "gsea.csv"
    for rec in top.itertuples():
        fdr = f"< {1 / permutations:.1g}" if rec.fdr == 0 else f"{rec.fdr:.3g}"
        where = cite(gsea_file, data_row(int(str(rec.Index))))
        lines.append(f"GSEA {rec.term}: NES {rec.nes:+.2f}, FDR {fdr} ({where})")
    lines.append(f"wrote {output}/ (de.csv, evidence.csv, {written} figures)")
    return lines, warnings_out
