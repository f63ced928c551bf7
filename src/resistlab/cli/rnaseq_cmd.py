"""`resistlab rnaseq`: counts -> DESeq2-faithful DE -> QC, pathways and evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from resistlab.cli._app import app, console, fail, out_console, progress_bar
from resistlab.errors import ResistLabError


@app.command()
def rnaseq(
    counts: Annotated[
        list[Path],
        typer.Argument(
            help="Count matrix (featureCounts output, CSV/TSV with gene ids first), or Salmon "
            "quant folders with --tx2gene."
        ),
    ],
    samples: Annotated[
        Path, typer.Option("--samples", help="Sample sheet: a `sample` column + design variables.")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for the results.")],
    design: Annotated[str, typer.Option(help="Design formula.")] = "~ condition",
    contrast: Annotated[
        tuple[str, str, str] | None,
        typer.Option(
            help="FACTOR NUMERATOR DENOMINATOR, e.g. condition resistant parental "
            "(default: the last variable's levels)."
        ),
    ] = None,
    reduced: Annotated[
        str | None, typer.Option(help="Reduced formula: likelihood-ratio test instead of Wald.")
    ] = None,
    tx2gene: Annotated[
        Path | None, typer.Option(help="Transcript-to-gene table for Salmon input.")
    ] = None,
    alpha: Annotated[float, typer.Option(help="FDR for independent filtering and calls.")] = 0.1,
    gmt: Annotated[
        list[Path] | None, typer.Option(help="Extra GMT gene-set file(s) for GSEA and ORA.")
    ] = None,
    permutations: Annotated[int, typer.Option(help="GSEA permutations.")] = 1000,
    seed: Annotated[int, typer.Option(help="GSEA random seed.")] = 0,
    figures: Annotated[bool, typer.Option(help="Write PNG figures.")] = True,
) -> None:
    """Differential expression (DESeq2's method), QC, pathways and mechanism evidence.

    Writes de.csv (gene, baseMean, log2FoldChange, lfcSE, stat, pvalue, padj),
    qc.csv, dispersions.csv, normalized_counts.csv, vst.csv, gsea.csv, ora.csv,
    progeny.csv, evidence.csv and the figures.
    """
    from resistlab.report.rnaseq_run import run_rnaseq

    try:
        with progress_bar("rnaseq") as update:
            lines, warnings_out = run_rnaseq(
                counts,
                samples,
                output,
                design=design,
                contrast=contrast,
                reduced=reduced,
                tx2gene=tx2gene,
                alpha=alpha,
                gmt=list(gmt or []),
                permutations=permutations,
                seed=seed,
                figures=figures,
                progress=update,
            )
    except ResistLabError as exc:
        fail(exc)
        raise  # unreachable: fail exits
    for line in lines:
        out_console.print(line)
    for line in warnings_out:
        console.print(f"[yellow]{line}[/yellow]")
