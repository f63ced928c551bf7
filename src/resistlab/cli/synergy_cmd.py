"""`resistlab synergy`: score combination dose matrices and write tidy tables and plots."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
import pandas as pd
import typer

from resistlab.cli._app import app, console, fail, out_console, progress_bar, write_csv
from resistlab.errors import InputError, ResistLabError

if TYPE_CHECKING:
    from resistlab.synergy import DoseMatrices

#: Models the command knows, in output order.
MODEL_NAMES = ("hsa", "bliss", "loewe", "zip")


def _read(path: Path, kind: str) -> DoseMatrices:
    from resistlab.io.synergy import read_combination_table, read_matrix_layout

    if not path.exists():
        msg = f"{path}: no such file"
        raise InputError(msg)
    try:
        return read_combination_table(path, kind=kind)  # type: ignore[arg-type]
    except InputError as long_error:
        try:
            return read_matrix_layout(path, kind=kind)  # type: ignore[arg-type]
        except InputError:
            raise long_error from None


def _scorers() -> dict[str, object]:
    from resistlab.synergy import models

    return {
        "hsa": models.hsa,
        "bliss": models.bliss,
        "loewe": models.loewe,
        "zip": models.zip_score,
    }


def score_blocks(
    m: DoseMatrices,
    names: tuple[str, ...],
    *,
    n_boot: int,
    seed: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-well and per-block tables for the chosen models."""
    from resistlab.synergy.sensitivity import sensitivity_scores
    from resistlab.synergy.summary import (
        bootstrap_synergy,
        combination_mean,
        most_synergistic_area,
    )

    scorers = _scorers()
    b, r, c = m.mean_response.shape
    idx_b, idx_r, idx_c = np.meshgrid(np.arange(b), np.arange(r), np.arange(c), indexing="ij")
    wells = pd.DataFrame(
        {
            "block_id": np.asarray(m.block_ids, dtype=object)[idx_b.ravel()],
            "drug1": np.asarray(m.drug1, dtype=object)[idx_b.ravel()],
            "drug2": np.asarray(m.drug2, dtype=object)[idx_b.ravel()],
            "conc1": m.conc1[idx_b, idx_r].ravel(),
            "conc2": m.conc2[idx_b, idx_c].ravel(),
            "conc_unit": "M",
            "response": m.mean_response.ravel(),
            "n": m.n_replicates.ravel(),
        }
    )
    blocks = pd.DataFrame(
        {"block_id": list(m.block_ids), "drug1": list(m.drug1), "drug2": list(m.drug2)}
    )
    replicated = bool((m.n_replicates > 1).any())
    for name in names:
        score = scorers[name]
        result = score(m)  # type: ignore[operator]
        wells[f"{name}_expected"] = result.expected.ravel()
        wells[f"{name}_synergy"] = result.synergy.ravel()
        blocks[f"{name}_mean"] = combination_mean(m, result.synergy)
        area, row, col = most_synergistic_area(m, result.synergy)
        blocks[f"{name}_max_area"] = area
        blocks[f"{name}_max_area_row"] = row
        blocks[f"{name}_max_area_col"] = col
        if replicated and n_boot > 0:
            boot = bootstrap_synergy(m, score, n_boot=n_boot, seed=seed)  # type: ignore[arg-type]
            blocks[f"{name}_ci_low"] = boot.low
            blocks[f"{name}_ci_high"] = boot.high
            blocks[f"{name}_p_value"] = boot.p_value
        else:
            blocks[f"{name}_ci_low"] = np.nan
            blocks[f"{name}_ci_high"] = np.nan
            blocks[f"{name}_p_value"] = np.nan
    wells = wells[np.isfinite(wells["conc1"]) & np.isfinite(wells["conc2"])]
    sens = sensitivity_scores(m).to_frame().drop(columns=["block_id"])
    blocks = pd.concat([blocks, sens], axis=1)
    return wells.reset_index(drop=True), blocks


@app.command()
def synergy(
    input_path: Annotated[
        Path, typer.Argument(metavar="INPUT", help="Long table or dose-matrix file (CSV/XLSX).")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for the results.")],
    kind: Annotated[
        str, typer.Option(help="What the responses are: 'viability' or 'inhibition' (%).")
    ] = "viability",
    models: Annotated[
        str, typer.Option(help="Comma-separated models: hsa, bliss, loewe, zip.")
    ] = "hsa,bliss,loewe,zip",
    bootstrap: Annotated[
        int, typer.Option(help="Bootstrap replicates for CIs and p-values (replicate data).")
    ] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed of the bootstrap.")] = 0,
    xlsx: Annotated[bool, typer.Option(help="Also write wells.xlsx and blocks.xlsx.")] = False,
    figures: Annotated[bool, typer.Option(help="Write heat maps and 3D surfaces.")] = True,
) -> None:
    """Score drug combinations: per-well synergy and block summaries with CIs.

    Scores follow SynergyFinder's sign and scale: percentage points of
    inhibition, positive = synergy.
    """
    try:
        if kind not in ("viability", "inhibition"):
            msg = f"--kind must be 'viability' or 'inhibition', got {kind!r}"
            raise InputError(msg)
        names = tuple(n.strip().lower() for n in models.split(",") if n.strip())
        unknown = [n for n in names if n not in MODEL_NAMES]
        if unknown:
            msg = f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(MODEL_NAMES)}"
            raise InputError(msg)
        m = _read(input_path, kind)
        console.print(
            f"{input_path.name}: {len(m)} block(s), "
            f"{m.conc1.shape[1]}x{m.conc2.shape[1]} doses, up to {m.response.shape[1]} "
            "replicate(s)",
            highlight=False,
            soft_wrap=True,
        )
        with progress_bar("scoring") as update:
            update(0, len(names))
            wells, blocks = score_blocks(m, names, n_boot=bootstrap, seed=seed)
            update(len(names), len(names))
        write_csv(wells, output / "wells.csv")
        write_csv(blocks, output / "blocks.csv")
        if xlsx:
            from resistlab._atomic import atomic_path

            for frame, name in ((wells, "wells.xlsx"), (blocks, "blocks.xlsx")):
                with atomic_path(output / name) as temporary:
                    frame.to_excel(temporary, index=False, engine="openpyxl")
        if figures:
            _write_figures(m, wells, names, output)
    except ResistLabError as exc:
        fail(exc)
    columns = ["block_id", "drug1", "drug2", *[f"{n}_mean" for n in names], "css"]
    out_console.print(blocks[columns].round(2).to_string(index=False), highlight=False)
    console.print(f"results written to {output}/", highlight=False)


def _write_figures(m: DoseMatrices, wells: pd.DataFrame, names: tuple[str, ...], out: Path) -> None:
    from resistlab._atomic import atomic_path
    from resistlab.report import save_figure
    from resistlab.report import synergy_figures as sf

    b, r, c = m.mean_response.shape
    for i, block in enumerate(m.block_ids):
        tag = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in block)
        save_figure(sf.plot_response_heatmap(m, block=i), out / f"block_{tag}_response.png")
        part = wells[wells["block_id"] == block]
        rows = np.searchsorted(m.conc1[i][np.isfinite(m.conc1[i])], part["conc1"])
        cols = np.searchsorted(m.conc2[i][np.isfinite(m.conc2[i])], part["conc2"])
        divs = []
        for k, name in enumerate(names):
            synergy = np.full((b, r, c), np.nan)
            synergy[i, rows, cols] = part[f"{name}_synergy"].to_numpy()
            save_figure(
                sf.plot_synergy_heatmap(m, synergy, block=i, title=f"{name.upper()} synergy"),
                out / f"block_{tag}_{name}.png",
            )
            divs.append(f"<h2>{name.upper()}</h2>")
            divs.append(
                sf.synergy_surface_html(
                    m, synergy, block=i, include_plotlyjs=k == 0, full_html=False
                )
            )
        page = (
            "<!DOCTYPE html><html><head><meta charset='utf-8'>"
            f"<title>Synergy surfaces, block {html.escape(block)}</title></head><body>"
            f"<h1>{html.escape(m.drug1[i])} x {html.escape(m.drug2[i])} (block "
            f"{html.escape(block)})</h1>{''.join(divs)}</body></html>"
        )
        with atomic_path(out / f"block_{tag}_surfaces.html") as temporary:
            temporary.write_text(page, encoding="utf-8")
