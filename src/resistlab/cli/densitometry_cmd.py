"""`resistlab densitometry`: blot and phospho-RTK array exports to fold changes and evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer
from rich.table import Table

from resistlab.cli._app import app, console, fail, out_console, write_csv
from resistlab.errors import InputError, ResistLabError
from resistlab.mechanism.targets import phospho_array_targets

#: Assays the command knows.
ASSAYS = ("western", "rtk_array")


def _targets(values: list[str] | None) -> str | dict[str, str] | None:
    """``--target NAME`` for every file, or ``--target FILE=NAME`` per file."""
    if not values:
        return None
    if len(values) == 1 and "=" not in values[0]:
        return values[0]
    mapping: dict[str, str] = {}
    for value in values:
        file, sep, name = value.partition("=")
        if not sep or not file.strip() or not name.strip():
            msg = (
                f"--target {value!r}: give one target for every file, or FILE=TARGET once "
                "per file (e.g. --target pSTAT3.csv=pSTAT3_Y705)"
            )
            raise InputError(msg)
        mapping[file.strip()] = name.strip()
    return mapping


def _read(
    exports: list[Path],
    *,
    lanes: Path | None,
    layout: str | None,
    target: list[str] | None,
    blot: str | None,
) -> pd.DataFrame:
    from resistlab.io import read_densitometry
    from resistlab.io.densitometry import DENSITOMETRY_LAYOUTS

    if layout is not None and layout not in DENSITOMETRY_LAYOUTS:
        msg = f"--layout must be one of {', '.join(DENSITOMETRY_LAYOUTS)}, got {layout!r}"
        raise InputError(msg)
    for path in [*exports, *([lanes] if lanes is not None else [])]:
        if not path.exists():
            msg = f"{path}: no such file"
            raise InputError(msg)
    return read_densitometry(
        exports,
        layout=layout,  # type: ignore[arg-type]
        lanes=lanes,
        target=_targets(target),
        blot=blot,
    )


def _print_folds(table: pd.DataFrame, title: str) -> None:
    rich = Table(title=title)
    for column in ("target", "measure", "log2 FC", "se", "fold", "p", "n"):
        rich.add_column(column, justify="left" if column in ("target", "measure") else "right")

    def number(value: object, spec: str) -> str:
        x = float(value)  # type: ignore[arg-type]
        return format(x, spec) if np.isfinite(x) else "-"

    for rec in table.to_dict("records"):
        rich.add_row(
            str(rec["target"]),
            str(rec.get("measure", "-")),
            number(rec["log2_fold_change"], "+.2f"),
            number(rec["se"], ".2f"),
            number(2.0 ** float(rec["log2_fold_change"]), ".2f"),
            number(rec["p_value"], ".2g"),
            str(rec["n"]),
        )
    out_console.print(rich)


@app.command()
def densitometry(
    exports: Annotated[
        list[Path],
        typer.Argument(
            metavar="EXPORT...",
            help="Band / spot tables: tidy CSV/XLSX, ImageJ Results, Image Lab or Image Studio.",
        ),
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for the results.")],
    lanes: Annotated[
        Path | None,
        typer.Option(help="Lanes sheet (CSV/XLSX): what each lane holds (condition, target...)."),
    ] = None,
    layout: Annotated[
        str | None,
        typer.Option(help="tidy, imagej, image_lab or image_studio (default: detected)."),
    ] = None,
    target: Annotated[
        list[str] | None,
        typer.Option(
            help="Target of bands whose file and lanes sheet name none: one name for all "
            "files, or FILE=TARGET per file."
        ),
    ] = None,
    blot: Annotated[
        str | None, typer.Option(help="Blot label of bands whose file names none.")
    ] = None,
    loading_control: Annotated[
        str,
        typer.Option(help="Western: loading-control target (GAPDH, ACTB, ...), or 'none'."),
    ] = "GAPDH",
    assay: Annotated[str, typer.Option(help="western or rtk_array.")] = "western",
    numerator: Annotated[
        str, typer.Option(help="Condition in the numerator of the fold change.")
    ] = "resistant",
    denominator: Annotated[
        str, typer.Option(help="Condition in the denominator of the fold change.")
    ] = "parental",
    comparison: Annotated[
        str | None,
        typer.Option(
            help="Comparison name of the evidence rows (default NUMERATOR_vs_DENOMINATOR; "
            "e.g. drug_vs_vehicle for treated versus DMSO lanes)."
        ),
    ] = None,
    paired: Annotated[
        bool,
        typer.Option(
            help="Western: pair the conditions by blot (per-blot log2 ratios, one-sample "
            "t-test, n = blots); --no-paired: Welch t-test on lanes."
        ),
    ] = True,
) -> None:
    """Fold changes of blot bands or RTK-array spots, and evidence rows for `mechanisms`.

    Western: every band is divided by its lane's loading control and every
    phospho band by its total protein (same blot and lane); the fold change of
    NUMERATOR over DENOMINATOR lanes is tested across blots. RTK array: each
    membrane's spots minus its negative-control spots, over its reference spots.

    Writes ``bands.csv`` (western: normalised bands; rtk_array: the spots as
    read), ``comparisons.csv`` (one row per target) and ``evidence.csv`` (the
    evidence table: ``resistlab mechanisms OUT/evidence.csv``).

    ``resistlab densitometry pSTAT3.csv STAT3.csv GAPDH.csv --lanes lanes.csv -o blots/``
    """
    from resistlab.imaging import compare_conditions, normalize_bands, rtk_array_fold_changes

    try:
        if assay not in ASSAYS:
            msg = f"--assay must be western or rtk_array, got {assay!r}"
            raise InputError(msg)
        if numerator == denominator:
            msg = f"--numerator and --denominator are both {numerator!r}"
            raise InputError(msg)
        bands = _read(exports, lanes=lanes, layout=layout, target=target, blot=blot)
        source = ", ".join(p.name for p in exports)
        if assay == "western":
            control = None if loading_control.strip().lower() == "none" else loading_control
            table = normalize_bands(bands, loading_control=control)
            result = compare_conditions(
                table,
                numerator=numerator,
                denominator=denominator,
                paired_by="blot" if paired else None,
            )
            evidence = result.to_evidence(assay="western", comparison=comparison)
            folds = result.to_frame()
            if paired and len(folds) and (folds["n"] == 0).all():
                msg = (
                    f"no blot holds both {numerator!r} and {denominator!r} lanes; load both "
                    "conditions on each membrane, or pass --no-paired"
                )
                raise InputError(msg)
        else:
            table = bands
            rtk = rtk_array_fold_changes(bands, numerator=numerator, denominator=denominator)
            evidence = phospho_array_targets(
                rtk.to_evidence(assay="rtk_array", comparison=comparison)
            )
            folds = rtk.to_frame().assign(measure="to_reference")
        write_csv(table, output / "bands.csv")
        write_csv(folds, output / "comparisons.csv")
        write_csv(evidence, output / "evidence.csv")
    except ResistLabError as exc:
        fail(exc)
    _print_folds(folds, f"{assay}: {numerator} / {denominator} ({source})")
    console.print(
        f"{len(evidence)} evidence row(s); results written to {output}/",
        highlight=False,
        soft_wrap=True,
    )
