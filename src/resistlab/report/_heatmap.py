"""Drawing one plate heat-map panel (private).

Layers, bottom to top: the values (viridis, light grey where a well has no
value), white grid lines between wells, hatching over wells whose read is
flagged, outlines of control wells, rings around wells with a QC finding,
and optionally the values as text.  Outlines and rings sit on a white halo,
so they show on dark and light cells alike.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib import colormaps, patheffects
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.collections import PatchCollection
from matplotlib.colors import Normalize
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Patch, Rectangle

from resistlab.report._plate import PlatePanel
from resistlab.report._style import OKABE_ITO, WARNING_COLOR, wrap
from resistlab.wells import row_label

#: Role outlines: colour and legend text.
ROLE_STYLE: dict[str, tuple[str, str]] = {
    "vehicle": (OKABE_ITO["vermillion"], "vehicle"),
    "positive_control": (OKABE_ITO["reddish_purple"], "positive control"),
    "blank": (OKABE_ITO["sky_blue"], "blank"),
}
#: Ring around wells with a QC finding.
QC_COLOR = "black"
#: Hatching over flagged wells: a whitened cell crossed in near-black.
FLAG_FACE = (1.0, 1.0, 1.0, 0.45)
FLAG_HATCH_COLOR = "0.15"
#: Colour of wells without a value.
NO_VALUE = "0.88"
#: QC findings listed under a panel before "… and N more".
MAX_LISTED = 6


def cell_size(shape: tuple[int, int]) -> float:
    """Inches per well, so a panel stays readable from 6 to 1536 wells."""
    return {12: 0.42, 24: 0.27, 48: 0.17}.get(shape[1], max(0.17, min(0.6, 5.0 / shape[1])))


def _halo(width: float) -> list[patheffects.AbstractPathEffect]:
    return [patheffects.withStroke(linewidth=width, foreground="white"), patheffects.Normal()]


def draw_plate(ax: Axes, panel: PlatePanel, *, cmap: str, annotate: bool) -> AxesImage:
    """Draw `panel` on `ax` and return the image (for its colour bar)."""
    rows, cols = panel.shape
    finite = panel.values[np.isfinite(panel.values)]
    vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if vmin == vmax:
        vmin, vmax = vmin - 0.5, vmax + 0.5
    norm = Normalize(vmin=vmin, vmax=vmax)
    colormap = colormaps[cmap].with_extremes(bad=NO_VALUE)
    image = ax.imshow(
        np.ma.masked_invalid(panel.values),
        cmap=colormap,
        norm=norm,
        extent=(-0.5, cols - 0.5, rows - 0.5, -0.5),
        interpolation="nearest",
        aspect="equal",
        gid="plate_values",
    )
    # sizes shrink with the well: factor 1 for 96 wells, 2 for 384, 4 for 1536
    scale = max(cols / 12.0, 1.0)
    thin = 1.0 / math.sqrt(scale)
    font = max(4.5, 8.0 - 1.1 * math.log2(scale))
    row_step = max(1, math.ceil(rows / 16))
    col_step = max(1, math.ceil(cols / 24))
    ax.set_xticks(range(0, cols, col_step), labels=[str(c + 1) for c in range(0, cols, col_step)])
    ax.set_yticks(range(0, rows, row_step), labels=[row_label(r) for r in range(0, rows, row_step)])
    ax.xaxis.tick_top()
    ax.tick_params(length=0, labelsize=font, pad=2)
    ax.set_xticks(np.arange(-0.5, cols, 1.0), minor=True)
    ax.set_yticks(np.arange(-0.5, rows, 1.0), minor=True)
    ax.grid(which="minor", color="white", linewidth=0.6 * thin)
    ax.tick_params(which="minor", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)

    if panel.flagged:
        ax.add_collection(
            PatchCollection(
                [Rectangle((c - 0.5, r - 0.5), 1.0, 1.0) for r, c in panel.flagged],
                facecolor=FLAG_FACE,
                edgecolor="none",
                hatch="xxxx" if scale <= 1 else "xx",
                hatchcolor=FLAG_HATCH_COLOR,
                linewidth=0,
                gid="flagged_wells",
                zorder=2,
            )
        )
    outline_width = 1.6 * thin
    inset = 0.1
    for role, positions in panel.roles.items():
        outlines = PatchCollection(
            [
                Rectangle((c - 0.5 + inset, r - 0.5 + inset), 1 - 2 * inset, 1 - 2 * inset)
                for r, c in positions
            ],
            facecolor="none",
            edgecolor=ROLE_STYLE[role][0],
            linewidth=outline_width,
            gid=f"role_{role}",
            zorder=3,
        )
        outlines.set_path_effects(_halo(outline_width + 1.4 * thin))
        ax.add_collection(outlines)
    if panel.issues:
        # on small wells the ring reaches into the neighbours, so it stands out
        radius = 0.47 if scale <= 1 else 0.62
        ring_width = max(1.1 * outline_width, 1.3)
        rings = PatchCollection(
            [Circle((c, r), radius) for r, c, _, _ in panel.issues],
            facecolor="none",
            edgecolor=QC_COLOR,
            linewidth=ring_width,
            gid="qc_issues",
            zorder=4,
        )
        rings.set_path_effects(_halo(ring_width + 1.6 * thin))
        ax.add_collection(rings)
    if annotate:
        _write_values(ax, panel, norm=norm, colormap=colormap, font=max(3.5, font - 2.5))
    title = f"{panel.plate} · {panel.read}" if panel.read else panel.plate
    ax.set_title(title, fontsize=font + 2, loc="left")
    ax.set_xlim(-0.5, cols - 0.5)
    ax.set_ylim(rows - 0.5, -0.5)
    if panel.issues:
        _list_issues(ax, panel, font=font - 0.5, width=int(12 + 7 * cols / math.sqrt(scale)))
    return image


def _write_values(
    ax: Axes, panel: PlatePanel, *, norm: Normalize, colormap: Any, font: float
) -> None:
    """Write each well's value, black on light cells and white on dark ones."""
    flagged = set(panel.flagged)
    for r, c in panel.wells:
        v = panel.values[r, c]
        if not np.isfinite(v):
            continue
        red, green, blue, _ = colormap(norm(v))
        light = 0.299 * red + 0.587 * green + 0.114 * blue > 0.5
        on_hatch = (r, c) in flagged
        ax.text(
            c,
            r,
            f"{v:.3g}",
            ha="center",
            va="center",
            fontsize=font,
            color="black" if light or on_hatch else "white",
            gid="value_text",
            zorder=5,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5} if on_hatch else None,
        )


def _list_issues(ax: Axes, panel: PlatePanel, *, font: float, width: int) -> None:
    """List the circled wells and their findings under the panel."""
    lines = [f"{well}: {text}" if text else well for _, _, well, text in panel.issues]
    if len(lines) > MAX_LISTED:
        lines = [*lines[:MAX_LISTED], f"… and {len(lines) - MAX_LISTED} more circled wells"]
    ax.text(
        0.0,
        -0.02,
        "\n".join(wrap(line, width) for line in lines),
        transform=ax.transAxes,
        ha="left",
        va="top",
        fontsize=font,
        color=WARNING_COLOR,
        gid="qc_text",
    )


def legend_handles(panels: list[PlatePanel]) -> list[Artist]:
    """Legend entries for what the panels show: roles, flagged reads, QC rings."""
    handles: list[Artist] = []
    present = {role for panel in panels for role in panel.roles}
    for role, (color, text) in ROLE_STYLE.items():
        if role in present:
            handles.append(Patch(facecolor="white", edgecolor=color, linewidth=1.8, label=text))
    if any(panel.flagged for panel in panels):
        handles.append(
            Patch(
                facecolor=NO_VALUE,
                edgecolor="none",
                hatch="xxxx",
                hatchcolor=FLAG_HATCH_COLOR,
                label="read flagged",
            )
        )
    if any(panel.issues for panel in panels):
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="o",
                markersize=9,
                markerfacecolor="none",
                markeredgecolor=QC_COLOR,
                markeredgewidth=1.5,
                label="QC finding",
            )
        )
    if any(np.isnan(panel.values).any() for panel in panels):
        handles.append(Patch(facecolor=NO_VALUE, edgecolor="none", label="no value"))
    return handles
