"""Figures of a plate study: overlays per drug, curves per run, plate heat maps."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from matplotlib.figure import Figure

from resistlab.report.figures import (
    plot_curve_grid,
    plot_overlay,
    plot_plate_heatmap,
    save_figure,
)

if TYPE_CHECKING:
    from resistlab.report.plate_study import PlateStudy


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()


def write_study_figures(study: PlateStudy, out: Path) -> list[Path]:
    """Write the study's PNG figures into `out`; return the paths written."""
    written: list[Path] = []

    def save(figure: Figure, name: str) -> None:
        written.append(save_figure(figure, out / name))

    pooled = study.pooled
    keys = pooled.curves.keys
    for drug in keys["drug"].unique():
        lines = keys.index[keys["drug"] == drug]
        by_line = {
            str(keys.loc[i, "cell_line"]): (
                pooled.fits,
                int(i),
                pooled.curves.doses[i],
                pooled.curves.responses[i],
            )
            for i in lines
        }
        fold = None
        if study.fold is not None:
            rows = study.fold[study.fold["drug"] == drug]
            if len(rows) == 1:
                row = rows.iloc[0]
                fold = (float(row["fold"]), float(row["fold_ci_low"]), float(row["fold_ci_high"]))
        save(plot_overlay(by_line, fold=fold), f"overlay_{_slug(str(drug))}.png")

    runs = study.runs
    labels = [
        f"{r.plate} · {r.cell_line} · {r.drug}" for r in runs.curves.keys.itertuples(index=False)
    ]
    save(
        plot_curve_grid(
            runs.fits, runs.curves.doses, runs.curves.responses, labels=labels, ncols=2
        ),
        "curves_by_run.png",
    )
    issues = [issue for issue in study.qc.issues if issue.severity in ("warning", "error")]
    save(plot_plate_heatmap(study.wells, qc_issues=issues), "plates.png")
    return written
