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
from resistlab.synergy.tables import model_scorers, quiet_all_nan, score_blocks

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from resistlab.synergy import DoseMatrices
    from resistlab.synergy.ci import CombinationIndex

#: Models the command knows, in output order.
MODEL_NAMES = ("hsa", "bliss", "loewe", "zip")

#: Columns of comparisons.csv, in order.
COMPARISON_COLUMNS = [
    "drug1",
    "drug2",
    "reference_line",
    "cell_line",
    "model",
    "reference_mean",
    "line_mean",
    "difference",
    "ci_low",
    "ci_high",
    "p_value",
    "reference_block",
    "block_id",
]


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


def _read_plates(inputs: list[Path], maps: list[Path]) -> DoseMatrices:
    from resistlab.io import read_combination_plates

    if len(maps) not in (1, len(inputs)):
        msg = f"give one --map for all exports or one per export; got {len(maps)} for {len(inputs)}"
        raise InputError(msg)
    for path in [*inputs, *maps]:
        if not path.exists():
            msg = f"{path}: no such file"
            raise InputError(msg)
    return read_combination_plates(inputs, maps)


def check_reference(m: DoseMatrices, reference: str) -> None:
    """Raise InputError unless `reference` is one of the cell lines of `m`."""
    lines = sorted({line for line in m.cell_line if line})
    if not lines:
        msg = (
            f"--reference {reference!r}: the input names no cell lines; give a cell_line "
            "(or cell_line_name) column, a 'cell line:' line above each grid, or plate "
            "exports with a --map that names them"
        )
        raise InputError(msg)
    if reference not in lines:
        msg = f"--reference {reference!r} is not a cell line of the input; the lines are " + (
            ", ".join(repr(line) for line in lines)
        )
        raise InputError(msg)


def _reference_pairs(m: DoseMatrices, reference: str) -> tuple[list[tuple[int, int]], list[str]]:
    """Pair every block of another line with the reference block of the same drug pair.

    When the reference line has several blocks of a pair (runs), the one whose
    id names the same run (the block id with the line swapped) is taken.
    """
    pairs: list[tuple[int, int]] = []
    notes: list[str] = []
    for i, (line, d1, d2) in enumerate(zip(m.cell_line, m.drug1, m.drug2, strict=True)):
        if line in ("", reference):
            continue
        candidates = [
            j
            for j in range(len(m))
            if m.cell_line[j] == reference and {m.drug1[j], m.drug2[j]} == {d1, d2}
        ]
        if len(candidates) > 1:
            twin = m.block_ids[i].replace(line, reference, 1)
            candidates = [j for j in candidates if m.block_ids[j] == twin]
            if not candidates:
                notes.append(
                    f"block {m.block_ids[i]}: {reference} has several {d1} + {d2} blocks and "
                    f"none is {twin}; not compared"
                )
                continue
        if not candidates:
            notes.append(
                f"block {m.block_ids[i]}: {d1} + {d2} was not measured on {reference}; not compared"
            )
            continue
        pairs.append((candidates[0], i))
    return pairs, notes


def compare_lines(
    m: DoseMatrices,
    blocks: pd.DataFrame,
    *,
    names: tuple[str, ...],
    reference: str,
    n_boot: int,
    seed: int,
) -> tuple[pd.DataFrame, list[str]]:
    """Synergy of every other line minus the reference line: one row per pair, line and model.

    `blocks` is the block table of `score_blocks` (for the block means). The
    interval and p-value come from `resistlab.synergy.summary.compare_synergy`
    (replicates resampled within wells); they are NaN, with a note, when a
    block has no replicate wells or `n_boot` is 0.
    """
    from resistlab.synergy.summary import compare_synergy

    check_reference(m, reference)
    scorers = model_scorers()
    pairs, notes = _reference_pairs(m, reference)
    replicated = np.asarray((m.n_replicates > 1).any(axis=(1, 2)))
    rows = []
    for a, b in pairs:
        single = [m.block_ids[k] for k in (a, b) if not replicated[k]]
        if n_boot == 0:
            why = "--bootstrap 0"
        elif single:
            why = f"no replicate wells in {' and '.join(single)}"
        else:
            why = ""
        if why:
            notes.append(
                f"{m.block_ids[b]} vs {m.block_ids[a]}: difference without CI or p-value "
                f"({why}; the bootstrap resamples replicate wells)"
            )
        unscored: list[str] = []
        for name in names:
            ref_mean = float(blocks[f"{name}_mean"].iloc[a])
            line_mean = float(blocks[f"{name}_mean"].iloc[b])
            low = high = p_value = float("nan")
            if not why:
                with quiet_all_nan():
                    diff = compare_synergy(
                        m,
                        scorers[name],  # type: ignore[arg-type]
                        block_a=m.block_ids[a],
                        block_b=m.block_ids[b],
                        n_boot=n_boot,
                        seed=seed,
                    )
                if np.isfinite(diff.low) and np.isfinite(diff.high):
                    low, high, p_value = diff.low, diff.high, diff.p_value
                else:
                    unscored.append(name)
            rows.append(
                {
                    "drug1": m.drug1[a],
                    "drug2": m.drug2[a],
                    "reference_line": reference,
                    "cell_line": m.cell_line[b],
                    "model": name,
                    "reference_mean": ref_mean,
                    "line_mean": line_mean,
                    "difference": line_mean - ref_mean,
                    "ci_low": low,
                    "ci_high": high,
                    "p_value": p_value,
                    "reference_block": m.block_ids[a],
                    "block_id": m.block_ids[b],
                }
            )
        if unscored:
            notes.append(
                f"{m.block_ids[b]} vs {m.block_ids[a]}: no CI or p-value for "
                f"{', '.join(unscored)}: no bootstrap resample could be scored (a resample holds "
                "one mean per well, and with this few doses the single-drug fits fail on it)"
            )
    if not pairs:
        notes.append(f"no drug pair was measured on both {reference} and another cell line")
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS), notes


@app.command()
def synergy(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            metavar="INPUT...",
            help="Long table or dose-matrix file (CSV/XLSX); with --map, plate-reader exports.",
        ),
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for the results.")],
    map_: Annotated[
        list[Path] | None,
        typer.Option(
            "--map",
            help="Two-drug plate map (CSV/XLSX/YAML; wells name drug2 and concentration2): "
            "one for all exports, or one per export.",
        ),
    ] = None,
    reference: Annotated[
        str | None,
        typer.Option(
            help="The parental line: compare every other line's synergy with it, per drug "
            "pair and model (comparisons.csv)."
        ),
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(
            help="Table input: what the responses are, 'viability' (default) or 'inhibition' "
            "(%). Plates are normalised to % of vehicle."
        ),
    ] = None,
    models: Annotated[
        str, typer.Option(help="Comma-separated models: hsa, bliss, loewe, zip.")
    ] = "hsa,bliss,loewe,zip",
    bootstrap: Annotated[
        int, typer.Option(help="Bootstrap replicates for CIs and p-values (replicate data).")
    ] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed of the bootstrap.")] = 0,
    baseline: Annotated[
        str,
        typer.Option(
            help="SynergyFinder's baseline correction of the responses: 'none', 'part' "
            "(negative inhibition only) or 'all'."
        ),
    ] = "none",
    xlsx: Annotated[bool, typer.Option(help="Also write wells.xlsx and blocks.xlsx.")] = False,
    figures: Annotated[bool, typer.Option(help="Write heat maps and 3D surfaces.")] = True,
) -> None:
    """Score drug combinations: per-well synergy and block summaries with CIs.

    Scores follow SynergyFinder's sign and scale: percentage points of
    inhibition, positive = synergy.

    Table mode: ``resistlab synergy combo.csv -o out/``.
    Plate mode: ``resistlab synergy run1.txt run2.txt --map combo.yaml -o out/``.
    With ``--reference PARENTAL``, comparisons.csv holds each other line's
    synergy minus the parental line's, with a bootstrap CI and p-value.
    """
    comparisons: pd.DataFrame | None = None
    notes: list[str] = []
    try:
        if map_ and kind is not None:
            msg = (
                "--kind applies to tables; plate exports (--map) are normalised to % of "
                "vehicle and scored as % inhibition"
            )
            raise InputError(msg)
        kind = kind or "viability"
        if kind not in ("viability", "inhibition"):
            msg = f"--kind must be 'viability' or 'inhibition', got {kind!r}"
            raise InputError(msg)
        names = tuple(n.strip().lower() for n in models.split(",") if n.strip())
        unknown = [n for n in names if n not in MODEL_NAMES]
        if unknown:
            msg = f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(MODEL_NAMES)}"
            raise InputError(msg)
        if bootstrap < 0 or bootstrap == 1:
            msg = f"--bootstrap must be 0 (none) or at least 2, got {bootstrap}"
            raise InputError(msg)
        if map_:
            m = _read_plates(inputs, map_)
            what = f"{len(inputs)} export(s)"
        else:
            if len(inputs) != 1:
                msg = (
                    f"table mode reads one table or dose-matrix file, got {len(inputs)} files; "
                    "give plate-reader exports with --map"
                )
                raise InputError(msg)
            m = _read(inputs[0], kind)
            what = inputs[0].name
        lines = sorted({line for line in m.cell_line if line})
        console.print(
            f"{what}: {len(m)} block(s)"
            + (f" on {len(lines)} cell line(s) ({', '.join(lines)})" if lines else "")
            + f", {m.conc1.shape[1]}x{m.conc2.shape[1]} doses, up to {m.response.shape[1]} "
            "replicate(s)",
            highlight=False,
            soft_wrap=True,
        )
        if reference is not None:
            check_reference(m, reference)
        if baseline not in ("none", "part", "all"):
            msg = f"--baseline must be 'none', 'part' or 'all', got {baseline!r}"
            raise InputError(msg)
        from resistlab.synergy.qc import combination_qc, correct_baseline

        qc = combination_qc(m)  # of the data as measured: its baseline is what --baseline uses
        m = correct_baseline(m, baseline)  # type: ignore[arg-type]
        with progress_bar("scoring") as update:
            update(0, len(names))
            wells, blocks = score_blocks(m, names, n_boot=bootstrap, seed=seed)
            update(len(names), len(names))
        blocks = pd.concat(
            [blocks, qc[["n_outliers", "replicate_sd", "baseline", "qc_warnings"]]], axis=1
        )
        _print_qc(qc)
        if reference is not None:
            with console.status(f"comparing with {reference}"):
                comparisons, notes = compare_lines(
                    m, blocks, names=names, reference=reference, n_boot=bootstrap, seed=seed
                )
        write_csv(wells, output / "wells.csv")
        write_csv(blocks, output / "blocks.csv")
        ci = _write_ci_table(m, output)
        if comparisons is not None:
            write_csv(comparisons, output / "comparisons.csv")
        if xlsx:
            from resistlab._atomic import atomic_path

            for frame, name in ((wells, "wells.xlsx"), (blocks, "blocks.xlsx")):
                with atomic_path(output / name) as temporary:
                    frame.to_excel(temporary, index=False, engine="openpyxl")
        if figures:
            _write_figures(m, wells, names, output, ci)
    except ResistLabError as exc:
        fail(exc)
    with_lines = ["cell_line"] if any(m.cell_line) else []
    columns = ["block_id", *with_lines, "drug1", "drug2", *[f"{n}_mean" for n in names], "css"]
    out_console.print(
        blocks[columns].round(2).to_string(index=False), highlight=False, soft_wrap=True
    )
    if comparisons is not None:
        _print_comparisons(comparisons, notes)
    console.print(f"results written to {output}/", highlight=False)


def _print_qc(qc: pd.DataFrame) -> None:
    """Every block's QC warnings on the console (also in blocks.csv, column qc_warnings)."""
    for block, text in zip(qc["block_id"], qc["qc_warnings"], strict=True):
        if text:
            console.print(f"QC, block {block}: {text}", highlight=False, soft_wrap=True)


def _print_comparisons(comparisons: pd.DataFrame, notes: list[str]) -> None:
    if len(comparisons):
        shown = comparisons.drop(columns=["reference_block", "block_id"])
        shown = shown.round({c: 2 for c in ("reference_mean", "line_mean", "difference")})
        shown = shown.round({"ci_low": 2, "ci_high": 2, "p_value": 4})
        reference = comparisons["reference_line"].iloc[0]
        out_console.print(
            f"\nSynergy versus {reference} (difference = line minus {reference}, "
            "percentage points):",
            highlight=False,
            soft_wrap=True,
        )
        out_console.print(
            shown.drop(columns="reference_line").to_string(index=False),
            highlight=False,
            soft_wrap=True,
        )
    for note in notes:
        out_console.print(f"Note: {note}", highlight=False, soft_wrap=True)


def _write_figures(
    m: DoseMatrices,
    wells: pd.DataFrame,
    names: tuple[str, ...],
    out: Path,
    ci: CombinationIndex,
) -> None:
    from resistlab._atomic import atomic_path
    from resistlab.report import save_figure
    from resistlab.report import synergy_figures as sf
    from resistlab.synergy.tables import well_scores

    scores = {name: well_scores(m, wells, name) for name in names}
    for i, block in enumerate(m.block_ids):
        tag = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in block)
        save_figure(sf.plot_response_heatmap(m, block=i), out / f"block_{tag}_response.png")
        divs = []
        for k, name in enumerate(names):
            synergy = scores[name]
            save_figure(
                sf.plot_synergy_heatmap(m, synergy, block=i, title=f"{name.upper()} synergy"),
                out / f"block_{tag}_{name}.png",
            )
            title = f"{name.upper()} synergy landscape"
            why = f"no combination well has a {name.upper()} score (see wells.csv)"
            contour = None
            if np.isfinite(synergy[i, 1:, 1:]).any():
                try:
                    contour = sf.plot_synergy_contour(m, synergy, block=i, title=title)
                except ValueError as exc:  # e.g. a drug with a single dose
                    why = str(exc)
            if contour is None:
                contour = _message_figure(f"{title} · block {block}", f"Nothing to draw: {why}.")
            save_figure(contour, out / f"block_{tag}_{name}_contour.png")
            divs.append(f"<h2>{name.upper()}</h2>")
            divs.append(
                sf.synergy_surface_html(
                    m, synergy, block=i, include_plotlyjs=k == 0, full_html=False
                )
            )
        save_figure(_isobologram_figure(ci, i), out / f"block_{tag}_isobologram.png")
        save_figure(_fa_ci_figure(ci, i), out / f"block_{tag}_fa_ci.png")
        page = (
            "<!DOCTYPE html><html><head><meta charset='utf-8'>"
            f"<title>Synergy surfaces, block {html.escape(block)}</title></head><body>"
            f"<h1>{html.escape(m.drug1[i])} x {html.escape(m.drug2[i])} (block "
            f"{html.escape(block)})</h1>{''.join(divs)}</body></html>"
        )
        with atomic_path(out / f"block_{tag}_surfaces.html") as temporary:
            temporary.write_text(page, encoding="utf-8")


#: Columns of ci.csv, in order.
CI_COLUMNS = [
    "block_id", "cell_line", "drug1", "drug2", "source", "conc1", "conc2", "conc_unit", "ratio",
    "n_wells", "level", "fa", "ci", "dx1", "dx2", "dri1", "dri2", "dm1", "m1", "r1", "dm2", "m2",
    "r2", "dm_combo", "m_combo", "r_combo", "note",
]  # fmt: skip


def _write_ci_table(m: DoseMatrices, out: Path) -> CombinationIndex:
    """Write ``ci.csv``, the Chou-Talalay CI and DRI of every block, and return them.

    Rows with ``source = "well"``: one per combination well (both doses > 0),
    its doses, observed ``fa`` (replicate mean of inhibition / 100) and the CI,
    Dx and DRI at that ``fa``.  Rows with ``source = "fixed_ratio"``: one per
    fixed-ratio series (``n_wells`` combination wells sharing the dose ratio
    ``ratio`` = conc1 / conc2) and effect ``level`` (%), where ``conc1, conc2``
    are the doses at which the series' median-effect fit (``dm_combo, m_combo,
    r_combo``, in the total dose) reaches the level.  Every row repeats the
    single agents' median-effect fits (``dm1, m1, r1``, ``dm2, m2, r2``).
    Doses in molar; ``note`` says why a value is undefined.
    """
    from resistlab.synergy.ci import combination_index

    ci = combination_index(m)
    wells = ci.to_frame()
    wells = wells[(wells["conc1"] > 0) & (wells["conc2"] > 0)]
    wells = wells.assign(source="well", ratio=wells["conc1"] / wells["conc2"])
    series = ci.level_frame().rename(columns={"dose1": "conc1", "dose2": "conc2"})
    series = series.assign(source="fixed_ratio")
    parts = [part for part in (wells, series) if len(part)]
    table = pd.concat(parts, ignore_index=True) if parts else wells
    table = table.reindex(columns=CI_COLUMNS)
    position = table["block_id"].map({block: k for k, block in enumerate(ci.block_ids)})
    order = np.lexsort((table["source"] != "well", position))
    table = table.iloc[order].reset_index(drop=True)
    k = position.to_numpy(dtype=int)[order]
    table["cell_line"] = np.asarray(m.cell_line, dtype=object)[k]
    for j, drug in enumerate("12"):
        table[f"dm{drug}"] = ci.dm[k, j]
        table[f"m{drug}"] = ci.m[k, j]
        table[f"r{drug}"] = ci.r[k, j]
    table["conc_unit"] = "M"
    table["n_wells"] = table["n_wells"].astype("Int64")
    write_csv(table, out / "ci.csv")
    return ci


def _single_agents(ci: CombinationIndex, i: int) -> tuple[list[str], list[str]]:
    """Each drug's median-effect fit in words, and why a drug's ICx is undefined."""
    from resistlab.units import format_molar

    fits, undefined = [], []
    for k, name in enumerate((ci.drug1[i], ci.drug2[i])):
        dm, slope, points = ci.dm[i, k], ci.m[i, k], ci.n_points[i, k]
        if np.isfinite(slope) and slope <= 0:
            undefined.append(
                f"{name} alone: the effect does not rise with dose (median-effect slope "
                f"m = {slope:.2g}), so no dose of it reaches a given effect."
            )
        elif not np.isfinite(dm):
            undefined.append(
                f"{name} alone: no median-effect fit ({points} single-agent point(s) with "
                "0 < inhibition < 100 %; two doses are needed)."
            )
        if np.isfinite(dm):
            fits.append(f"{name} Dm {format_molar(dm)}, m {slope:.2f}, r {ci.r[i, k]:.2f}")
        else:
            fits.append(f"{name} no fit")
    return fits, undefined


def _isobologram_figure(ci: CombinationIndex, i: int) -> Figure:
    """Isobolograms of block `i`, one panel per effect level of `ci`.

    The points are the fixed-ratio series at the doses where their
    median-effect fits reach the level (Chou-Talalay); the line joins the
    single agents' doses for that level (Loewe additivity).
    """
    from matplotlib.figure import Figure

    from resistlab.report import synergy_figures as sf

    block, drug1, drug2 = ci.block_ids[i], ci.drug1[i], ci.drug2[i]
    heading = f"Isobolograms · {drug1} × {drug2} · block {block}"
    fits, undefined = _single_agents(ci, i)
    if undefined:
        reason = "No isobole can be drawn: it needs each drug's dose alone for the effect (ICx)."
        return _message_figure(heading, "\n".join([reason, *undefined]))
    series = ci.level_frame()
    series = series[series["block_id"] == block]
    highest = (np.nanmax(ci.conc1[i]), np.nanmax(ci.conc2[i]))
    figure = Figure(figsize=(4.8 * len(ci.levels), 4.9), layout="constrained")
    beyond = []
    for k, level in enumerate(ci.levels):
        ax = figure.add_subplot(1, len(ci.levels), k + 1)
        icx = ci.single_agent_dose(level)[i]
        rows = series[series["level"] == level]
        rows = rows[np.isfinite(rows[["dose1", "dose2", "ci"]].to_numpy()).all(axis=1)]
        sf.plot_isobologram(
            icx[0],
            icx[1],
            rows[["dose1", "dose2"]].to_numpy(),
            level=level,
            ci=rows["ci"].to_numpy(),
            drug1=drug1,
            drug2=drug2,
            annotate=len(rows) <= 6,  # more labels crowd each other and the ICx labels
            ax=ax,
        )
        legend = ax.get_legend()
        if legend is not None:  # the points are series fits, not wells that reached the level
            legend.get_texts()[-1].set_text(f"fixed-ratio series at {level:g} % effect")
        if rows.empty:
            ax.text(
                0.97, 0.62, "no fixed-ratio series\n(3+ combination wells with\none dose ratio)"
                "\nreaches this effect", transform=ax.transAxes, ha="right", va="top", fontsize=8,
            )  # fmt: skip
        beyond += [
            f"{name} IC{level:g}"
            for name, dose, top in zip((drug1, drug2), icx, highest, strict=True)
            if dose > top
        ]
    caption = [
        "Points: each fixed-ratio series at the doses where its median-effect fit reaches the "
        "effect, coloured (up to 6 series also labelled) by its combination index (CI < 1 "
        "synergy). Line: the single agents' doses for the effect (additivity).",
        "Median-effect fits alone: " + "; ".join(fits) + ".",
    ]
    if beyond:
        caption.append("Extrapolated beyond the highest dose tested: " + ", ".join(beyond) + ".")
    figure.suptitle(heading, x=0.01, ha="left", fontsize=11, fontweight="bold")
    figure.supxlabel("\n".join(caption), x=0.01, ha="left", fontsize=7.5, color="0.35")
    return figure


def _fa_ci_figure(ci: CombinationIndex, i: int) -> Figure:
    """Fa-CI plot of block `i`: every combination well, and each fixed-ratio series' curve."""
    import textwrap

    from matplotlib.lines import Line2D

    from resistlab.report import synergy_figures as sf

    block, drug1, drug2 = ci.block_ids[i], ci.drug1[i], ci.drug2[i]
    heading = f"Fa-CI plot · {drug1} × {drug2} · block {block}"
    combo = (ci.conc1[i][:, None] > 0) & (ci.conc2[i][None, :] > 0)
    index = ci.ci[i]
    defined = combo & np.isfinite(index) & (index > 0)
    curves = ci.fa_ci_curves
    curves = curves[(curves["block_id"] == block) & np.isfinite(curves["ci"]) & (curves["ci"] > 0)]
    notes = ci.notes[i][combo & ~defined].astype(str)
    values, counts = np.unique(notes, return_counts=True)
    missing = [
        f"{n} of {combo.sum()} combination wells: "
        + note.replace("drug 1", drug1).replace("drug 2", drug2)
        for n, note in sorted(zip(counts, values, strict=True), reverse=True)
    ]
    if not defined.any() and curves.empty:
        _, undefined = _single_agents(ci, i)
        if not combo.any():
            undefined = ["The block has no combination wells (both doses > 0)."]
        reason = "No combination index is defined in this block."
        return _message_figure(heading, "\n".join([reason, *undefined, *missing]))
    series = ci.level_frame()
    series = series[(series["block_id"] == block) & series["ratio"].isin(curves["ratio"])]
    series = series.drop_duplicates("ratio").sort_values("n_wells", ascending=False, kind="stable")
    main = float(series["ratio"].iloc[0]) if len(series) else np.nan
    line = curves[curves["ratio"] == main]
    figure = sf.plot_fa_ci(
        ci.fa[i][defined],
        index[defined],
        curve=(line["fa"], line["ci"]) if len(line) else None,
        title=heading,
    )
    ax = figure.axes[0]
    handles = []
    color = "0.4"
    for artist in ax.get_lines():
        if artist.get_gid() == "combinations" and defined.any():
            artist.set_label(f"combination wells ({defined.sum()}) at their observed Fa")
            handles.append(artist)
        elif artist.get_gid() == "ci_curve":
            text = f"{main:.3g}:1" if main >= 1 else f"1:{1 / main:.3g}"
            artist.set_label(f"fixed ratio {drug1}:{drug2} = {text}")
            handles.append(artist)
            color = str(artist.get_color())
    others = curves[curves["ratio"] != main]
    for _, part in others.groupby("ratio"):
        ax.plot(part["fa"], part["ci"], color=color, linewidth=0.9, alpha=0.35)
    if len(others):
        n_other = others["ratio"].nunique()
        proxy = Line2D([], [], color=color, linewidth=0.9, alpha=0.35)
        proxy.set_label(f"other fixed ratios ({n_other})")
        handles.append(proxy)
    ax.legend(handles=handles, fontsize=7.5, frameon=False, loc="best")
    lines = (
        "Lines: CI of each fixed-ratio series (3+ combination wells) by its median-effect fit."
        if len(curves)
        else "No lines: no fixed-ratio series (3+ combination wells with one dose ratio)."
    )
    caption = ["Fa: fraction affected (inhibition / 100). " + lines, *missing]
    wrapped = "\n".join(textwrap.fill(line, 92) for line in caption)
    figure.supxlabel(wrapped, x=0.01, ha="left", fontsize=7.5, color="0.35")
    return figure


def _message_figure(title: str, message: str) -> Figure:
    """Make a figure that only says, under `title`, why there is nothing to plot."""
    import textwrap

    from matplotlib.figure import Figure

    lines = [textwrap.fill(line, 84, subsequent_indent="  ") for line in message.splitlines()]
    text = "\n".join(lines)
    height = 0.75 + 0.21 * (text.count("\n") + 1)  # inches: title, then the lines of text
    figure = Figure(figsize=(6.4, height))
    figure.text(
        0.2 / 6.4, 1 - 0.2 / height, title, ha="left", va="top", fontsize=10.5, fontweight="bold"
    )
    figure.text(
        0.2 / 6.4, 1 - 0.55 / height, text, ha="left", va="top", fontsize=8.5, color="0.3",
        linespacing=1.5, gid="why_empty",
    )  # fmt: skip
    return figure
