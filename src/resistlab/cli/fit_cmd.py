"""`resistlab fit` and `resistlab demo`: dose-response from plates or tables."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich.table import Table

from resistlab.cli._app import app, console, fail, out_console, progress_bar, write_csv
from resistlab.errors import InputError, ResistLabError

if TYPE_CHECKING:
    from resistlab.report.plate_study import PlateStudy


@app.command()
def fit(
    inputs: Annotated[
        list[Path],
        typer.Argument(help="Plate-reader exports (with --map) or one tidy long table (CSV/XLSX)."),
    ],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Results CSV (table mode) or folder (plates).")
    ],
    map_: Annotated[
        list[Path] | None,
        typer.Option(
            "--map", help="Plate map (CSV/XLSX/YAML): one for all exports, or one per export."
        ),
    ] = None,
    dose: Annotated[str | None, typer.Option(help="Table mode: dose column.")] = None,
    response: Annotated[str | None, typer.Option(help="Table mode: response column.")] = None,
    by: Annotated[
        list[str] | None, typer.Option(help="Table mode: column(s) naming the curves.")
    ] = None,
    model: Annotated[str, typer.Option(help="ll4, ll3 (bottom 0) or ll2.")] = "ll4",
    top: Annotated[float | None, typer.Option(help="Fix the top asymptote (e.g. 100).")] = None,
    control_response: Annotated[
        float | None,
        typer.Option(
            help="Table mode: 100 % level for curves without dose-0 rows "
            "(default: 100, or 1 when responses are fractions)."
        ),
    ] = None,
    reference: Annotated[
        str | None, typer.Option(help="Plate mode: the parental line for fold resistance.")
    ] = None,
    bootstrap: Annotated[
        int,
        typer.Option(
            help="Table mode: also bootstrap (residual, percentile) 95 % CIs of IC50/IC10/IC20 "
            "with this many replicates (0: delta method only)."
        ),
    ] = 0,
    figures: Annotated[bool, typer.Option(help="Plate mode: write PNG figures.")] = True,
) -> None:
    """Fit dose-response curves: IC50 with CI, IC10/IC20, Emax, AUC, flags.

    Table mode: ``resistlab fit table.csv --dose conc --response viability --by line -o out.csv``.
    Plate mode: ``resistlab fit run1.txt run2.txt --map layout.yaml -o results/``.
    """
    try:
        if map_:
            _fit_plates(inputs, map_, output, reference=reference, figures=figures)
        else:
            if dose is None or response is None:
                msg = (
                    "give --map for plate-reader exports, or --dose and --response "
                    "for a tidy long table"
                )
                raise InputError(msg)
            if len(inputs) != 1:
                msg = f"table mode reads one table, got {len(inputs)} files"
                raise InputError(msg)
            _fit_table(
                inputs[0],
                output,
                dose=dose,
                response=response,
                by=by or [],
                model=model,
                top=top,
                control_response=control_response,
                bootstrap=bootstrap,
            )
    except ResistLabError as exc:
        fail(exc)


def _read_table(path: Path) -> pd.DataFrame:
    if not path.exists():
        msg = f"{path}: no such file"
        raise InputError(msg)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return pd.read_excel(path)
    sep = "\t" if suffix in (".tsv", ".tab", ".txt") else ","
    return pd.read_csv(path, sep=sep)


def _fit_table(
    path: Path,
    output: Path,
    *,
    dose: str,
    response: str,
    by: list[str],
    model: str,
    top: float | None,
    control_response: float | None,
    bootstrap: int = 0,
) -> None:
    from resistlab.dose_response import bootstrap_effective_dose, fit_frame

    frame = _read_table(path)
    if control_response is None:
        column = frame[response] if response in frame else pd.Series(dtype=float)
        values = pd.to_numeric(column, errors="coerce")
        control_response = 1.0 if values.abs().median() <= 2.0 else 100.0
    if model not in ("ll4", "ll3", "ll2"):
        msg = f"--model must be ll4, ll3 or ll2, got {model!r}"
        raise InputError(msg)
    with progress_bar("fitting") as update:
        curves, fits = fit_frame(
            frame,
            dose=dose,
            response=response,
            by=by,
            model=model,  # type: ignore[arg-type]
            top=top,
            default_control=control_response,
            source=str(path),
            progress=update,
        )
    table = pd.concat([curves.keys.reset_index(drop=True), fits.to_frame()], axis=1)
    table["control_response"] = curves.control_response
    table["control_source"] = curves.control_source
    if bootstrap > 0:
        with console.status(f"bootstrapping {len(table):,} curves x {bootstrap} replicates"):
            intervals = bootstrap_effective_dose(
                curves.doses,
                curves.responses,
                fits,
                levels=(50.0, 10.0, 20.0),
                n_boot=bootstrap,
                seed=0,
            ).to_frame()
        extra = [c for c in intervals.columns if "_boot_" in c or c == "n_boot"]
        table = pd.concat([table, intervals[extra].reset_index(drop=True)], axis=1)
    write_csv(table, output)
    n_flagged = int((table["flag"] != "").sum())
    console.print(
        f"{len(table):,} curves fitted from {path} ({int(fits.converged.sum()):,} converged, "
        f"{n_flagged:,} flagged) -> {output}",
        highlight=False,
        soft_wrap=True,
    )


def _fit_plates(
    inputs: list[Path],
    maps: list[Path],
    output: Path,
    *,
    reference: str | None,
    figures: bool,
) -> PlateStudy:
    from resistlab.io import read_plate, read_plate_table
    from resistlab.report.plate_study import analyse_plates, write_plate_study

    if len(maps) not in (1, len(inputs)):
        msg = f"give one --map for all exports or one per export; got {len(maps)} for {len(inputs)}"
        raise InputError(msg)
    tables = []
    for i, path in enumerate(inputs):
        map_path = maps[0] if len(maps) == 1 else maps[i]
        console.print(f"{path.name}: {read_plate(path).summary()}", highlight=False, soft_wrap=True)
        table = read_plate_table(path, map_path)
        many = table["plate"].nunique() > 1
        table["plate"] = (path.stem + "/" + table["plate"]) if many else path.stem
        tables.append(table)
    assay = pd.concat(tables, ignore_index=True)
    with progress_bar("fitting") as update:
        study = analyse_plates(assay, reference_line=reference, progress=update)
    written = write_plate_study(study, output, figures=figures)
    _print_summary(study)
    console.print(f"{len(written)} files written to {output}/", highlight=False, soft_wrap=True)
    return study


def _print_summary(study: PlateStudy) -> None:
    from resistlab.units import format_molar

    table = Table(title="Dose-response (all runs pooled)")
    for column in ("cell line", "drug", "IC50 [95 % CI]", "IC20", "Emax %", "flag"):
        table.add_column(column)
    for _, row in study.pooled.table.iterrows():
        ic50 = (
            f"{row['ic50_censor']} {format_molar(row['ic50'])}"
            if row["ic50_censor"]
            else f"{format_molar(row['ic50'])} [{format_molar(row['ic50_ci_low'])}, "
            f"{format_molar(row['ic50_ci_high'])}]"
        )
        ic20 = f"{row['ic20_censor']} {format_molar(row['ic20'])}".strip()
        table.add_row(
            str(row["cell_line"]), str(row["drug"]), ic50, ic20, f"{row['emax']:.0f}", row["flag"]
        )
    out_console.print(table)
    if study.fold is not None:
        for _, row in study.fold.iterrows():
            out_console.print(
                f"Fold resistance {row['cell_line']} vs {row['reference_line']} ({row['drug']}): "
                f"{row['fold_censor']}{row['fold']:.1f} [95 % CI {row['fold_ci_low']:.1f}, "
                f"{row['fold_ci_high']:.1f}], p = {row['p_value']:.2g}",
                highlight=False,
                soft_wrap=True,
            )
    if study.variability is not None:
        for message in study.variability.messages:
            out_console.print(f"Between runs: {message}", highlight=False, soft_wrap=True)
    for issue in study.qc.issues:
        if issue.severity in ("warning", "error"):
            out_console.print(
                f"QC {issue.severity}: {issue.message}", highlight=False, soft_wrap=True
            )
    for note in study.notes:
        out_console.print(f"Note: {note}", highlight=False, soft_wrap=True)
