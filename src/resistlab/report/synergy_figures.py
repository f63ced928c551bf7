"""Figures of drug combinations: what a dose matrix did and where the drugs synergise.

Every function takes data -- `~resistlab.synergy.DoseMatrices` and plain
score arrays of shape (B, R, C), one per well as the synergy models return
them -- and returns a matplotlib `~matplotlib.figure.Figure` built without
pyplot (headless), or, for the 3D surface, an HTML string.  Nothing is shown
or saved as a side effect; `resistlab.report.save_figure` writes a figure.

* `plot_response_heatmap` - % inhibition of every well (replicate mean),
  annotated, drug 1 up the rows and drug 2 along the columns.
* `plot_synergy_heatmap` - per-well synergy scores on a diverging map
  centred at 0 (red = synergy, blue = antagonism), annotated, with the
  most synergistic area outlined.
* `plot_synergy_contour` - the synergy landscape interpolated over log
  doses, as SynergyFinder's 2D plot.
* `synergy_surface_html` - the same landscape as an interactive plotly 3D
  surface, a self-contained HTML page or fragment (no network).
* `plot_isobologram` - combinations that reach one effect level against
  the Loewe additivity line between the single-agent ICx, coloured by
  combination index.
* `plot_fa_ci` - the Chou-Talalay Fa-CI plot: combination index against
  fraction affected, log scale, CI = 1 marked.

Drug 1 is always on the vertical axis (the rows of the matrix) with its
lowest dose at the bottom, drug 2 on the horizontal axis.  Heat maps and
markers carry a ``gid`` (``"well_value"``, ``"synergy_area"``,
``"additivity"``, ...) so tests and callers can find what was drawn.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib import colormaps, patheffects
from matplotlib.axes import Axes
from matplotlib.collections import Collection
from matplotlib.colors import Colormap, LogNorm, Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator
from numpy.typing import ArrayLike
from scipy.interpolate import PchipInterpolator

from resistlab.report._style import (
    HEATMAP_CMAP,
    LINE_COLORS,
    MUTED,
    OKABE_ITO,
    add_colorbar,
    despine,
    figure_and_axes,
    panel_title,
)
from resistlab.synergy.data import DoseMatrices
from resistlab.units import MOLAR_PER_UNIT, format_molar

__all__ = [
    "plot_fa_ci",
    "plot_isobologram",
    "plot_response_heatmap",
    "plot_synergy_contour",
    "plot_synergy_heatmap",
    "synergy_surface_html",
]

#: Diverging map of synergy scores: blue (antagonism) - white (0) - red (synergy).
SYNERGY_CMAP = "RdBu_r"
#: Smallest colour range of synergy maps (percentage points): SynergyFinder reads scores
#: within +-10 as additive, so noise never looks like strong synergy.
MIN_SYNERGY_RANGE = 10.0
#: Colour of wells without a value.
_NO_VALUE = "0.88"
#: Points per axis of an interpolated landscape.
_GRID_POINTS = 160
_SYNERGY_COLOR = "#B2182B"  # the red end of RdBu
_ANTAGONISM_COLOR = "#2166AC"  # the blue end


@dataclass(frozen=True)
class _Block:
    """One block of a `DoseMatrices`, trimmed of its NaN padding."""

    index: int
    block_id: str
    drug1: str
    drug2: str
    conc1: np.ndarray  # (R,)
    conc2: np.ndarray  # (C,)
    response: np.ndarray  # (R, C) replicate mean
    replicates: int  # most replicates of any well


# --------------------------------------------------------------------------- inputs


def _block(m: DoseMatrices, block: int | str) -> _Block:
    """Select a block by position (int) or id (str) and trim the padding."""
    if not isinstance(m, DoseMatrices):
        msg = f"m must be DoseMatrices, got {type(m).__name__}"
        raise TypeError(msg)
    if isinstance(block, str):
        if block not in m.block_ids:
            msg = f"no block {block!r}; the blocks are {', '.join(m.block_ids)}"
            raise ValueError(msg)
        index = m.block_ids.index(block)
    elif isinstance(block, (int, np.integer)) and not isinstance(block, bool):
        index = int(block)
        if not 0 <= index < len(m):
            msg = f"block {index} is out of range for {len(m)} block(s) (0 to {len(m) - 1})"
            raise IndexError(msg)
    else:
        msg = f"block must be a position (int) or a block id (str), got {block!r}"
        raise TypeError(msg)
    rows = int(np.sum(np.isfinite(m.conc1[index])))
    cols = int(np.sum(np.isfinite(m.conc2[index])))
    counts = m.n_replicates[index, :rows, :cols]
    return _Block(
        index=index,
        block_id=m.block_ids[index],
        drug1=m.drug1[index],
        drug2=m.drug2[index],
        conc1=np.asarray(m.conc1[index, :rows], dtype=float),
        conc2=np.asarray(m.conc2[index, :cols], dtype=float),
        response=np.asarray(m.mean_response[index, :rows, :cols], dtype=float),
        replicates=int(counts.max()) if counts.size else 0,
    )


def _scores(m: DoseMatrices, synergy: ArrayLike, view: _Block) -> np.ndarray:
    """Return the block's scores, shape (R, C), from a (B, R, C) or a block's (R, C) array."""
    array = np.asarray(synergy, dtype=float)
    rows, cols = view.conc1.size, view.conc2.size
    if array.ndim == 3 and array.shape == m.mean_response.shape:
        return array[view.index, :rows, :cols]
    if array.ndim == 2 and array.shape[0] >= rows and array.shape[1] >= cols:
        padded = m.mean_response.shape[1:]
        if array.shape in ((rows, cols), padded):
            return array[:rows, :cols]
    msg = (
        f"synergy has shape {array.shape}; expected {m.mean_response.shape} (blocks, rows, "
        f"columns, as the dose matrices) or ({rows}, {cols}) for block {view.block_id!r}"
    )
    raise ValueError(msg)


def _dose_label(dose: float) -> str:
    """``'0'`` for the control, else ``'250 nM'``."""
    return "0" if dose == 0 else format_molar(dose)


def _block_name(view: _Block) -> str:
    return f"{view.drug1} × {view.drug2} · block {view.block_id}"


def _nice_ceiling(value: float) -> float:
    """Smallest of 1, 2, 2.5, 5 x 10^k that is >= `value`."""
    if not value > 0 or not math.isfinite(value):
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if step * power >= value * (1 - 1e-12):
            return step * power
    return 10.0 * power


def _synergy_range(values: np.ndarray, vmax: float | None) -> float:
    if vmax is not None:
        if not (math.isfinite(vmax) and vmax > 0):
            msg = f"vmax must be a positive number, got {vmax}"
            raise ValueError(msg)
        return float(vmax)
    finite = np.abs(values[np.isfinite(values)])
    top = float(finite.max()) if finite.size else 0.0
    return max(MIN_SYNERGY_RANGE, _nice_ceiling(top))


def _combination_mean(scores: np.ndarray) -> float:
    """Mean over wells where both drugs are present (row and column 0 excluded)."""
    inner = scores[1:, 1:]
    finite = inner[np.isfinite(inner)]
    return float(finite.mean()) if finite.size else math.nan


# --------------------------------------------------------------------------- heat maps


def _text_color(rgba: Sequence[float]) -> str:
    """Dark text on light cells, white on dark ones (WCAG relative luminance)."""

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(float(c)) for c in rgba[:3])
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "0.12" if luminance > 0.36 else "white"


def _heatmap_size(view: _Block) -> tuple[float, float]:
    rows, cols = view.conc1.size, view.conc2.size
    cell = 0.62 if cols <= 8 else max(0.38, 5.2 / cols)
    return cols * cell + 2.6, rows * cell * 0.86 + 1.9


def _draw_matrix(
    ax: Axes,
    view: _Block,
    values: np.ndarray,
    *,
    cmap: Colormap,
    norm: Normalize,
    decimals: int,
) -> Any:
    """Draw `values` as a matrix of wells with their numbers; return the image."""
    rows, cols = values.shape
    image = ax.imshow(
        np.ma.masked_invalid(values),
        cmap=cmap.with_extremes(bad=_NO_VALUE),
        norm=norm,
        origin="lower",
        extent=(-0.5, cols - 0.5, -0.5, rows - 0.5),
        interpolation="nearest",
        aspect="auto",
        gid="matrix",
    )
    font = 8.0 if cols <= 8 else (7.0 if cols <= 12 else 6.0)
    for i in range(rows):
        for j in range(cols):
            value = values[i, j]
            if np.isfinite(value):
                color = _text_color(cmap(norm(value)))
                ax.text(
                    j,
                    i,
                    f"{value:.{decimals}f}",
                    ha="center",
                    va="center",
                    fontsize=font,
                    color=color,
                    gid="well_value",
                )
            else:
                ax.text(
                    j, i, "–", ha="center", va="center", fontsize=font, color=MUTED, gid="no_value"
                )
    ax.set_xticks(range(cols), labels=[_dose_label(c) for c in view.conc2])
    ax.set_yticks(range(rows), labels=[_dose_label(c) for c in view.conc1])
    ax.tick_params(length=0, labelsize=7.5)
    if cols > 6:
        for label in ax.get_xticklabels():
            label.set_rotation(40)
            label.set_horizontalalignment("right")
            label.set_rotation_mode("anchor")
    ax.set_xticks(np.arange(-0.5, cols, 1.0), minor=True)
    ax.set_yticks(np.arange(-0.5, rows, 1.0), minor=True)
    ax.grid(which="minor", color="white", linewidth=1.2)
    ax.tick_params(which="minor", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xlabel(view.drug2, fontsize=9)
    ax.set_ylabel(view.drug1, fontsize=9)
    return image


def _colorbar(figure: Figure, image: Any, ax: Axes, label: str, *, extend: str) -> Any:
    return add_colorbar(figure, image, label, ax=ax, shrink=0.9, aspect=22, pad=0.03, extend=extend)


def plot_response_heatmap(
    m: DoseMatrices,
    *,
    block: int | str = 0,
    ax: Axes | None = None,
    decimals: int = 1,
    cmap: str = HEATMAP_CMAP,
) -> Figure:
    """Plot a block's dose matrix: % inhibition of every well, annotated.

    Each cell is one dose pair, coloured by the replicate mean of its %
    inhibition on a fixed 0-100 scale (values outside clip to the ends of the
    colour bar, which then shows an arrow), with the mean written in it.
    Drug 1 runs up the rows (0 at the bottom), drug 2 along the columns;
    doses are labelled in molar units (``250 nM``).  Missing wells are grey
    with a dash.

    Parameters
    ----------
    m : DoseMatrices
        The combination data.
    block : int or str
        Position of the block in `m`, or its block id.
    ax : Axes, optional
        Draw on these axes instead of a new figure.
    decimals : int
        Digits after the decimal point of the annotations.
    cmap : str
        Sequential matplotlib colour map (viridis: perceptually uniform and
        colour-blind safe).

    Returns
    -------
    Figure

    Raises
    ------
    IndexError, ValueError, TypeError
        If `block` does not select a block of `m`.

    Examples
    --------
    >>> import pandas as pd
    >>> from resistlab.synergy import matrices_from_frame
    >>> t = pd.DataFrame({"block_id": 1, "drug1": "ruxolitinib", "drug2": "defactinib",
    ...                   "conc1": [0, 0, 1, 1], "conc2": [0, 1, 0, 1],
    ...                   "response": [0, 20, 30, 60], "conc_unit": "uM"})
    >>> fig = plot_response_heatmap(matrices_from_frame(t, kind="inhibition"))
    >>> sorted(t.get_text() for t in fig.axes[0].texts if t.get_gid() == "well_value")
    ['0.0', '20.0', '30.0', '60.0']
    """
    view = _block(m, block)
    figure, ax = figure_and_axes(ax, _heatmap_size(view))
    values = view.response
    finite = values[np.isfinite(values)]
    norm = Normalize(vmin=0.0, vmax=100.0)
    low = bool(finite.size and finite.min() < 0)
    high = bool(finite.size and finite.max() > 100)
    extend = {(False, False): "neither", (True, False): "min", (False, True): "max"}.get(
        (low, high), "both"
    )
    image = _draw_matrix(ax, view, values, cmap=colormaps[cmap], norm=norm, decimals=decimals)
    _colorbar(figure, image, ax, "% inhibition", extend=extend)
    replicates = (
        "no data"
        if view.replicates == 0
        else "1 replicate"
        if view.replicates == 1
        else f"mean of up to {view.replicates} replicates"
    )
    panel_title(ax, "Response", [_block_name(view), replicates])
    return figure


def plot_synergy_heatmap(
    m: DoseMatrices,
    synergy: ArrayLike,
    *,
    block: int | str = 0,
    title: str = "Synergy score",
    vmax: float | None = None,
    area: tuple[int, int] | None = None,
    area_size: int = 3,
    ax: Axes | None = None,
    decimals: int = 1,
) -> Figure:
    """Plot a block's per-well synergy scores on a diverging map centred at 0.

    Red is synergy (score > 0), blue antagonism, white additivity; the colour
    range is symmetric, ``-vmax`` to ``vmax``.  Every well carries its score;
    the subtitle gives the mean over combination wells (both doses > 0) and,
    when `area` is given, the mean of the outlined most synergistic area.

    Parameters
    ----------
    m : DoseMatrices
        The combination data (doses, drug names).
    synergy : array_like of shape (B, R, C)
        Scores in percentage points for every block and well, aligned with
        ``m.mean_response`` (positive = synergy, SynergyFinder's scale); an
        (R, C) array of this block alone is accepted too.  NaN wells are grey.
    block : int or str
        Position of the block in `m`, or its block id.
    title : str
        Heading, e.g. ``"Bliss synergy"``.
    vmax : float, optional
        Half-width of the colour range; by default the largest absolute score
        rounded up (1, 2, 2.5, 5 x 10^k), at least `MIN_SYNERGY_RANGE` (10).
    area : (int, int), optional
        ``(row, column)`` of the first (lowest-dose) well of the most
        synergistic area, as indices into the block's full matrix (row 0 is
        drug 1 at 0); the ``area_size`` x ``area_size`` wells from there are
        outlined.
    area_size : int
        Side of the area, in wells.
    ax : Axes, optional
        Draw on these axes instead of a new figure.
    decimals : int
        Digits after the decimal point of the annotations.

    Returns
    -------
    Figure

    Raises
    ------
    ValueError
        If `synergy` does not match the matrices, `vmax` is not positive or
        the area does not fit in the matrix.

    Examples
    --------
    >>> import pandas as pd
    >>> from resistlab.synergy import matrices_from_frame
    >>> t = pd.DataFrame({"block_id": 1, "drug1": "A", "drug2": "B",
    ...                   "conc1": [0, 0, 1, 1], "conc2": [0, 1, 0, 1],
    ...                   "response": [0, 20, 30, 60], "conc_unit": "uM"})
    >>> m = matrices_from_frame(t, kind="inhibition")
    >>> fig = plot_synergy_heatmap(m, [[[0.0, 0.0], [0.0, 16.0]]], title="Bliss synergy")
    >>> image = fig.axes[0].get_images()[0]
    >>> image.norm.vmin, image.norm.vmax
    (-20.0, 20.0)
    """
    view = _block(m, block)
    scores = _scores(m, synergy, view)
    limit = _synergy_range(scores, vmax)
    figure, ax = figure_and_axes(ax, _heatmap_size(view))
    norm = Normalize(vmin=-limit, vmax=limit)
    finite = np.abs(scores[np.isfinite(scores)])
    extend = "both" if finite.size and finite.max() > limit else "neither"
    image = _draw_matrix(
        ax, view, scores, cmap=colormaps[SYNERGY_CMAP], norm=norm, decimals=decimals
    )
    _colorbar(figure, image, ax, "synergy score\n(< 0 antagonism, > 0 synergy)", extend=extend)
    lines = [_block_name(view), f"mean over combination wells {_combination_mean(scores):.2f}"]
    if area is not None:
        i, j = _check_area(area, area_size, scores.shape)
        outline = Rectangle(
            (j - 0.5, i - 0.5),
            area_size,
            area_size,
            facecolor="none",
            edgecolor="0.1",
            linewidth=2.0,
            gid="synergy_area",
            zorder=4,
            clip_on=False,  # an area at the matrix edge keeps its full line
        )
        outline.set_path_effects(
            [patheffects.withStroke(linewidth=4.0, foreground="white"), patheffects.Normal()]
        )
        ax.add_patch(outline)
        window = scores[i : i + area_size, j : j + area_size]
        area_mean = float(np.nanmean(window)) if np.isfinite(window).any() else math.nan
        lines.append(f"most synergistic {area_size}×{area_size} area (outlined) {area_mean:.2f}")
    panel_title(ax, title, lines)
    return figure


def _check_area(area: tuple[int, int], size: int, shape: tuple[int, ...]) -> tuple[int, int]:
    try:
        i, j = (int(v) for v in area)
    except (TypeError, ValueError) as err:
        msg = f"area must be (row, column) indices, got {area!r}"
        raise ValueError(msg) from err
    if size < 1:
        msg = f"area_size must be a positive number of wells, got {size}"
        raise ValueError(msg)
    rows, cols = shape
    if not (0 <= i <= rows - size and 0 <= j <= cols - size):
        msg = (
            f"a {size}x{size} area at (row {i}, column {j}) does not fit in the "
            f"{rows}x{cols} matrix"
        )
        raise ValueError(msg)
    return i, j


# --------------------------------------------------------------------------- landscapes


def _log_positions(doses: np.ndarray) -> np.ndarray:
    """Axis positions of doses: log10 for positive doses, 0 one dilution step below the lowest.

    Examples
    --------
    >>> _log_positions(np.array([0.0, 1e-8, 1e-7, 1e-6])).round(6).tolist()
    [-9.0, -8.0, -7.0, -6.0]
    """
    positive = doses > 0
    logs = np.log10(np.where(positive, doses, 1.0))
    if not positive.any():
        return np.arange(doses.size, dtype=float)
    steps = np.diff(np.sort(logs[positive]))
    step = float(np.median(steps)) if steps.size else 1.0
    lowest = float(logs[positive].min())
    return np.where(positive, logs, lowest - step)


def _filled(values: np.ndarray) -> np.ndarray:
    """Fill NaN wells with the mean of their filled neighbours (for interpolation only)."""
    out = values.copy()
    if not np.isfinite(out).any():
        msg = "the block has no finite synergy score to draw"
        raise ValueError(msg)
    while not np.isfinite(out).all():
        padded = np.pad(out, 1, constant_values=np.nan)
        neighbours = np.stack(
            [padded[:-2, 1:-1], padded[2:, 1:-1], padded[1:-1, :-2], padded[1:-1, 2:]]
        )
        known = np.isfinite(neighbours)
        total = np.where(known, neighbours, 0.0).sum(axis=0)
        count = known.sum(axis=0)
        fill = ~np.isfinite(out) & (count > 0)
        out[fill] = total[fill] / count[fill]
    return out


def _interpolated(
    x: np.ndarray, y: np.ndarray, values: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Interpolate a landscape over (x, y) on a fine grid: PCHIP along x, then along y.

    Monotone piecewise-cubic in each direction (a tensor product), so the
    surface passes through every well and never leaves the range of the data.
    """
    fine_x = np.linspace(x[0], x[-1], _GRID_POINTS)
    fine_y = np.linspace(y[0], y[-1], _GRID_POINTS)
    along_x = PchipInterpolator(x, _filled(values), axis=1)(fine_x)
    z = PchipInterpolator(y, along_x, axis=0)(fine_y)
    return fine_x, fine_y, np.asarray(z, dtype=float)


def plot_synergy_contour(
    m: DoseMatrices,
    synergy: ArrayLike,
    *,
    block: int | str = 0,
    title: str = "Synergy landscape",
    vmax: float | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Plot a block's synergy as a filled contour map interpolated over log doses.

    The scores of the wells (dots; missing wells crossed, filled from their
    neighbours) are interpolated with a monotone cubic (PCHIP, along each
    dose) over ``log10`` of both doses, so the map passes through every well
    and stays within the range of the scores (no ringing between wells).
    Dose 0 sits one dilution step below the lowest dose.  Colours as
    `plot_synergy_heatmap`: red synergy, blue antagonism, white additivity,
    symmetric about 0.

    Parameters
    ----------
    m, synergy, block, vmax, ax
        As for `plot_synergy_heatmap`.
    title : str
        Heading.

    Returns
    -------
    Figure

    Raises
    ------
    ValueError
        If `synergy` does not match the matrices or the block has no finite
        score.

    Examples
    --------
    >>> import pandas as pd
    >>> from resistlab.synergy import matrices_from_frame
    >>> t = pd.DataFrame({"block_id": 1, "drug1": "A", "drug2": "B",
    ...                   "conc1": [0, 0, 0, 1, 1, 1, 2, 2, 2],
    ...                   "conc2": [0, 1, 2] * 3, "response": 0, "conc_unit": "uM"})
    >>> m = matrices_from_frame(t, kind="inhibition")
    >>> fig = plot_synergy_contour(m, np.arange(9.0).reshape(1, 3, 3))
    >>> fig.axes[0].get_xlabel()
    'B'
    """
    view = _block(m, block)
    scores = _scores(m, synergy, view)
    limit = _synergy_range(scores, vmax)
    x = _log_positions(view.conc2)
    y = _log_positions(view.conc1)
    if x.size < 2 or y.size < 2:
        msg = f"block {view.block_id!r} needs at least 2 doses of each drug for a contour map"
        raise ValueError(msg)
    figure, ax = figure_and_axes(ax, (5.6, 4.4))
    fine_x, fine_y, z = _interpolated(x, y, scores)
    levels = np.linspace(-limit, limit, 21)
    filled = ax.contourf(
        fine_x,
        fine_y,
        np.clip(z, -limit, limit),
        levels=levels,
        cmap=colormaps[SYNERGY_CMAP],
        norm=Normalize(vmin=-limit, vmax=limit),
    )
    filled.set_gid("landscape")
    grid_x, grid_y = np.meshgrid(x, y)
    measured = np.isfinite(scores)
    ax.plot(
        grid_x[measured],
        grid_y[measured],
        linestyle="none",
        marker="o",
        markersize=2.6,
        color="0.15",
        clip_on=False,
        gid="wells",
    )
    if (~measured).any():
        ax.plot(
            grid_x[~measured],
            grid_y[~measured],
            linestyle="none",
            marker="x",
            markersize=5,
            color="0.15",
            clip_on=False,
            gid="missing_wells",
        )
    ax.set_xticks(x, labels=[_dose_label(c) for c in view.conc2])
    ax.set_yticks(y, labels=[_dose_label(c) for c in view.conc1])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_minor_locator(NullLocator())
    ax.tick_params(labelsize=7.5)
    if x.size > 6:
        for label in ax.get_xticklabels():
            label.set_rotation(40)
            label.set_horizontalalignment("right")
            label.set_rotation_mode("anchor")
    ax.set_xlabel(view.drug2, fontsize=9)
    ax.set_ylabel(view.drug1, fontsize=9)
    colorbar = add_colorbar(
        figure,
        filled,
        "synergy score\n(< 0 antagonism, > 0 synergy)",
        ax=ax,
        shrink=0.9,
        aspect=22,
        pad=0.03,
    )
    colorbar.set_ticks(MaxNLocator(nbins=8, symmetric=True))
    panel_title(
        ax,
        title,
        [_block_name(view), f"mean over combination wells {_combination_mean(scores):.2f}"],
    )
    return figure


def _plotly_colorscale(name: str, steps: int = 11) -> list[list[float | str]]:
    """Convert a matplotlib colour map to a plotly colour scale (the same colours in both)."""
    cmap = colormaps[name]
    scale: list[list[float | str]] = []
    for k in range(steps):
        t = k / (steps - 1)
        r, g, b, _ = cmap(t)
        scale.append([t, f"rgb({round(255 * r)},{round(255 * g)},{round(255 * b)})"])
    return scale


def _json_values(values: np.ndarray) -> list[list[float | None]]:
    """Nested lists with None for NaN: plotly writes them as plain JSON numbers and null."""
    return [[float(v) if np.isfinite(v) else None for v in row] for row in values]


def synergy_surface_html(
    m: DoseMatrices,
    synergy: ArrayLike,
    *,
    block: int | str = 0,
    title: str = "Synergy landscape",
    vmax: float | None = None,
    include_plotlyjs: bool = True,
    full_html: bool = True,
    div_id: str | None = None,
) -> str:
    """Render a block's synergy as an interactive 3D surface (plotly), as HTML.

    The surface joins the wells' scores over ``log10`` doses (dose 0 one
    dilution step below the lowest, as in `plot_synergy_contour`), coloured
    on the same diverging scale (red synergy, blue antagonism, centred at 0);
    the wells are marked, and hovering one shows both doses, the observed %
    inhibition and the score.  It can be rotated and zoomed in a browser.

    Parameters
    ----------
    m, synergy, block, vmax
        As for `plot_synergy_heatmap`.
    title : str
        Heading.
    include_plotlyjs : bool
        Inline plotly.js (about 4.6 MB), so the HTML works offline and
        alone.  Pass False for a report that includes plotly.js once for
        several surfaces; the JavaScript is never loaded from the network.
    full_html : bool
        A complete page (``<html>...``); False gives a ``<div>`` to embed.
    div_id : str, optional
        Id of the plot's ``<div>``; a random one by default.

    Returns
    -------
    str
        The HTML.

    Raises
    ------
    ImportError
        If plotly is not installed.
    ValueError
        If `synergy` does not match the matrices.

    Examples
    --------
    >>> import pandas as pd
    >>> from resistlab.synergy import matrices_from_frame
    >>> t = pd.DataFrame({"block_id": 1, "drug1": "A", "drug2": "B",
    ...                   "conc1": [0, 0, 1, 1], "conc2": [0, 1, 0, 1],
    ...                   "response": [0, 20, 30, 60], "conc_unit": "uM"})
    >>> m = matrices_from_frame(t, kind="inhibition")
    >>> html = synergy_surface_html(m, [[[0, 0], [0, 16.5]]], include_plotlyjs=False)
    >>> "plotly-graph-div" in html and "16.5" in html
    True
    """
    try:
        import plotly.graph_objects as go
    except ImportError as err:  # pragma: no cover - plotly ships with the dev environment
        msg = "synergy_surface_html needs plotly (pip install plotly)"
        raise ImportError(msg) from err
    if not isinstance(include_plotlyjs, bool):
        msg = "include_plotlyjs must be True (inline) or False (none); nothing is fetched online"
        raise TypeError(msg)
    view = _block(m, block)
    scores = _scores(m, synergy, view)
    limit = _synergy_range(scores, vmax)
    x = _log_positions(view.conc2)
    y = _log_positions(view.conc1)
    # names come from user files: plotly renders its text as HTML
    drug1, drug2 = html.escape(view.drug1), html.escape(view.drug2)
    name = html.escape(_block_name(view))
    labels1 = [_dose_label(c) for c in view.conc1]
    labels2 = [_dose_label(c) for c in view.conc2]
    hover = [
        [
            [labels1[i], labels2[j], _hover_number(view.response[i, j])]
            for j in range(view.conc2.size)
        ]
        for i in range(view.conc1.size)
    ]
    grid_x, grid_y = np.meshgrid(x, y)
    measured = np.isfinite(scores)
    surface = go.Surface(
        x=x.tolist(),
        y=y.tolist(),
        z=_json_values(scores),
        surfacecolor=_json_values(scores),
        colorscale=_plotly_colorscale(SYNERGY_CMAP),
        cmin=-limit,
        cmax=limit,
        customdata=hover,
        hovertemplate=(
            f"{drug1}: %{{customdata[0]}}<br>{drug2}: %{{customdata[1]}}<br>"
            "inhibition: %{customdata[2]}<br>synergy: %{z:.2f}<extra></extra>"
        ),
        colorbar={"title": {"text": "synergy"}, "thickness": 14},
        contours={"z": {"show": True, "usecolormap": True, "width": 2, "project": {"z": True}}},
        opacity=0.95,
        name="synergy",
    )
    wells = go.Scatter3d(
        x=grid_x[measured].tolist(),
        y=grid_y[measured].tolist(),
        z=scores[measured].tolist(),
        mode="markers",
        marker={"size": 3, "color": "#222222"},
        hoverinfo="skip",
        name="wells",
        showlegend=False,
    )
    axis = {"backgroundcolor": "white", "gridcolor": "#dddddd", "showbackground": True}
    figure = go.Figure(data=[surface, wells])
    figure.update_layout(
        template="plotly_white",
        title={
            "text": (
                f"{html.escape(title)}<br><sup>{name} · mean over combination wells "
                f"{_combination_mean(scores):.2f}</sup>"
            )
        },
        scene={
            "xaxis": {
                **axis,
                "title": {"text": drug2},
                "tickvals": x.tolist(),
                "ticktext": labels2,
            },
            "yaxis": {
                **axis,
                "title": {"text": drug1},
                "tickvals": y.tolist(),
                "ticktext": labels1,
            },
            "zaxis": {**axis, "title": {"text": "synergy score"}, "range": [-limit, limit]},
            "camera": {"eye": {"x": -1.5, "y": -1.5, "z": 1.0}},
            "aspectmode": "manual",
            "aspectratio": {"x": 1, "y": 1, "z": 0.6},
        },
        margin={"l": 0, "r": 0, "t": 60, "b": 0},
        width=None,
        height=560,
    )
    page: str = figure.to_html(
        include_plotlyjs=include_plotlyjs,
        full_html=full_html,
        div_id=div_id,
        config={"displaylogo": False, "responsive": True},
    )
    return page


def _hover_number(value: float) -> str:
    return f"{value:.1f} %" if np.isfinite(value) else "missing"


# --------------------------------------------------------------------------- isobologram


def _display_unit(high: float) -> tuple[str, float]:
    """Return the molar unit (label, factor) in which `high` reads between 1 and 1000."""
    for unit, label in (("M", "M"), ("mM", "mM"), ("uM", "µM"), ("nM", "nM")):
        if high >= MOLAR_PER_UNIT[unit]:
            return label, MOLAR_PER_UNIT[unit]
    return "pM", MOLAR_PER_UNIT["pM"]


def _positive_scalar(value: float, name: str) -> float:
    number = float(value)
    if not (math.isfinite(number) and number > 0):
        msg = f"{name} must be a positive dose in molar, got {value!r}"
        raise ValueError(msg)
    return number


def _ci_range(ci: np.ndarray) -> float:
    """Top of the CI colour scale, which runs from 1 / top to top (symmetric in log about 1)."""
    finite = ci[np.isfinite(ci) & (ci > 0)]
    spread = float(np.max(np.abs(np.log10(finite)))) if finite.size else 0.0
    return max(2.0, _nice_ceiling(10.0**spread))


def plot_isobologram(
    d1_x: float,
    d2_x: float,
    combos: ArrayLike,
    *,
    level: float = 50.0,
    ci: ArrayLike | None = None,
    normalized: bool = False,
    drug1: str = "Drug 1",
    drug2: str = "Drug 2",
    annotate: bool = True,
    ax: Axes | None = None,
) -> Figure:
    """Plot an isobologram: combinations reaching one effect level against additivity.

    The straight line from ``(d1_x, 0)`` to ``(0, d2_x)`` joins the single
    agents' doses for the effect level (their ICx): the Loewe additivity
    isobole.  Each combination that reaches the same effect is a point at its
    two doses, coloured by its combination index (red below 1, synergy; blue
    above 1, antagonism; log scale centred at 1); points below the line are
    synergistic.

    Parameters
    ----------
    d1_x, d2_x : float
        Molar doses of drug 1 and drug 2 alone that give the effect `level`.
    combos : array_like of shape (N, 2)
        Molar ``(dose of drug 1, dose of drug 2)`` of combinations that give
        the same effect.
    level : float
        The effect level in % (50 for IC50), for labels.
    ci : array_like of shape (N,), optional
        Combination index of each combination (e.g. Chou-Talalay's); by
        default the Loewe index ``d1 / d1_x + d2 / d2_x``.
    normalized : bool
        Axes in units of each drug's ICx (the line then runs from 1 to 1)
        instead of molar doses (labelled in nM/µM).
    drug1, drug2 : str
        Drug names for the axis labels.
    annotate : bool
        Write each point's CI next to it.
    ax : Axes, optional
        Draw on these axes instead of a new figure.

    Returns
    -------
    Figure

    Raises
    ------
    ValueError
        If an ICx is not a positive dose, `combos` is not (N, 2) non-negative
        or `ci` does not match it.

    Examples
    --------
    >>> fig = plot_isobologram(2e-6, 5e-7, [[5e-7, 1e-7], [1e-6, 5e-8]], drug1="A", drug2="B")
    >>> line = [a for a in fig.axes[0].lines if a.get_gid() == "additivity"][0]
    >>> line.get_xdata().tolist(), line.get_ydata().tolist()
    ([2e-06, 0.0], [0.0, 5e-07])
    """
    x1 = _positive_scalar(d1_x, "d1_x")
    x2 = _positive_scalar(d2_x, "d2_x")
    doses = np.asarray(combos, dtype=float)
    if doses.size == 0:
        doses = doses.reshape(0, 2)
    if doses.ndim != 2 or doses.shape[1] != 2:
        msg = f"combos must have shape (N, 2): doses of drug 1 and drug 2, got {doses.shape}"
        raise ValueError(msg)
    if (doses[np.isfinite(doses)] < 0).any():
        msg = "combos holds a negative dose"
        raise ValueError(msg)
    loewe = doses[:, 0] / x1 + doses[:, 1] / x2
    if ci is None:
        index = loewe
    else:
        index = np.asarray(ci, dtype=float).reshape(-1)
        if index.shape != (doses.shape[0],):
            msg = f"ci has {index.size} values for {doses.shape[0]} combinations"
            raise ValueError(msg)
    figure, ax = figure_and_axes(ax, (5.4, 4.6))
    scale = (x1, x2) if normalized else (1.0, 1.0)
    points = doses / np.asarray(scale)
    end1, end2 = x1 / scale[0], x2 / scale[1]
    name = f"IC{level:g}"
    ax.plot(
        [end1, 0.0],
        [0.0, end2],
        color="0.2",
        linewidth=1.6,
        label="additivity (Loewe isobole)",
        gid="additivity",
        zorder=2,
    )
    ax.fill_between(
        [0.0, end1],
        [end2, 0.0],
        0.0,
        color=_SYNERGY_COLOR,
        alpha=0.06,
        linewidth=0,
        label="below the line: synergy",
        gid="synergy_region",
    )
    ax.plot(
        [end1, 0.0],
        [0.0, end2],
        linestyle="none",
        marker="D",
        markersize=6,
        color="0.2",
        clip_on=False,
        gid="single_agents",
        zorder=3,
    )
    unit1, factor1 = _display_unit(x1 if normalized else max(x1, np.nanmax(doses[:, 0], initial=0)))
    unit2, factor2 = _display_unit(x2 if normalized else max(x2, np.nanmax(doses[:, 1], initial=0)))
    label1 = f"{name} {format_molar(x1)}"
    label2 = f"{name} {format_molar(x2)}"
    ax.annotate(
        label1, (end1, 0.0), xytext=(5, 5), textcoords="offset points", ha="left", fontsize=7.5
    )
    ax.annotate(
        label2, (0.0, end2), xytext=(6, 0), textcoords="offset points", va="center", fontsize=7.5
    )
    top = _ci_range(index)
    norm = LogNorm(vmin=1.0 / top, vmax=top)
    finite = np.isfinite(points).all(axis=1)
    scatter = ax.scatter(
        points[finite, 0],
        points[finite, 1],
        c=np.clip(index[finite], 1.0 / top, top),
        cmap=colormaps["RdBu"],
        norm=norm,
        s=46,
        edgecolors="0.15",
        linewidths=0.7,
        label=f"combinations at {level:g} % effect",
        gid="combinations",
        zorder=4,
    )
    if annotate:
        for (px, py), value in zip(points[finite], index[finite], strict=True):
            ax.annotate(
                f"{value:.2g}",
                (px, py),
                xytext=(5, 4),
                textcoords="offset points",
                fontsize=7,
                color=MUTED,
                gid="ci_label",
            )
    high_x = max(end1, float(np.nanmax(points[:, 0], initial=0.0)))
    high_y = max(end2, float(np.nanmax(points[:, 1], initial=0.0)))
    ax.set_xlim(0.0, 1.18 * high_x)
    ax.set_ylim(0.0, 1.18 * high_y)
    if normalized:
        ax.set_xlabel(f"{drug1} (dose / {name})", fontsize=9)
        ax.set_ylabel(f"{drug2} (dose / {name})", fontsize=9)
    else:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=6))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / factor1:.4g}"))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / factor2:.4g}"))
        ax.set_xlabel(f"{drug1} ({unit1})", fontsize=9)
        ax.set_ylabel(f"{drug2} ({unit2})", fontsize=9)
    despine(ax)
    colorbar = add_colorbar(
        figure, scatter, "combination index", ax=ax, shrink=0.85, aspect=22, pad=0.03
    )
    _ci_ticks(colorbar.ax.yaxis, 1.0 / top, top)
    legend = ax.legend(loc="best", fontsize=7.5, frameon=False)
    handle = legend.legend_handles[-1]
    if isinstance(handle, Collection):  # colour means CI, not this entry
        handle.set_array(None)
        handle.set_facecolor("0.75")
    ax.set_title(f"Isobologram at {level:g} % effect", loc="left", fontsize=10.5, fontweight="bold")
    return figure


def _ci_ticks(axis: Any, low: float, high: float) -> None:
    """Put ticks 0.1, 0.2, 0.5, 1, 2, 5, 10 ... within ``[low, high]``, written plainly."""
    ticks = [
        m * 10.0**k
        for k in range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1)
        for m in (1.0, 2.0, 5.0)
        if low * (1 - 1e-9) <= m * 10.0**k <= high * (1 + 1e-9)
    ]
    axis.set_major_locator(FixedLocator(ticks))
    axis.set_minor_locator(NullLocator())
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))


# --------------------------------------------------------------------------- Fa-CI


def plot_fa_ci(
    fa: ArrayLike,
    ci: ArrayLike,
    *,
    ci_interval: tuple[ArrayLike, ArrayLike] | None = None,
    curve: tuple[ArrayLike, ArrayLike] | None = None,
    labels: Sequence[str] | None = None,
    title: str = "Combination index",
    ax: Axes | None = None,
) -> Figure:
    """Plot combination index against fraction affected (the Chou-Talalay Fa-CI plot).

    Each combination is a point at its fraction affected (x, 0 to 1) and
    combination index (y, log scale symmetric about 1).  The dashed line is
    CI = 1 (additivity); below it (red tint) is synergy, above (blue tint)
    antagonism.  A model's CI over the whole Fa range can be drawn as a
    curve, and confidence intervals as error bars.

    Parameters
    ----------
    fa : array_like of shape (N,)
        Fraction affected of each combination, in [0, 1] (not percent).
    ci : array_like of shape (N,)
        Combination index of each, > 0; NaN points are skipped.
    ci_interval : (array_like, array_like), optional
        Lower and upper confidence limits of each CI.
    curve : (array_like, array_like), optional
        ``(fa, ci)`` of a simulated line, e.g. the median-effect model's CI
        at fixed ratio over Fa 0.05-0.95.
    labels : sequence of str, optional
        Text next to each point (e.g. the dose pair).
    title : str
        Heading.
    ax : Axes, optional
        Draw on these axes instead of a new figure.

    Returns
    -------
    Figure

    Raises
    ------
    ValueError
        If lengths differ, an Fa is outside [0, 1] or a CI is not positive.

    Examples
    --------
    >>> fig = plot_fa_ci([0.25, 0.5, 0.75, 0.9], [1.3, 0.8, 0.55, 0.4])
    >>> fig.axes[0].get_yscale()
    'log'
    """
    fractions = np.asarray(fa, dtype=float).reshape(-1)
    index = np.asarray(ci, dtype=float).reshape(-1)
    if fractions.shape != index.shape:
        msg = f"fa has {fractions.size} values and ci {index.size}; give one CI per Fa"
        raise ValueError(msg)
    _check_fa_ci(fractions, index, "")
    if labels is not None and len(labels) != fractions.size:
        msg = f"labels has {len(labels)} entries for {fractions.size} points"
        raise ValueError(msg)
    figure, ax = figure_and_axes(ax, (5.4, 4.0))
    shown = np.isfinite(fractions) & np.isfinite(index)
    values = [index[shown]]
    if ci_interval is not None:
        low = np.asarray(ci_interval[0], dtype=float).reshape(-1)
        high = np.asarray(ci_interval[1], dtype=float).reshape(-1)
        if low.shape != index.shape or high.shape != index.shape:
            msg = "ci_interval must be (lower, upper) with one value per point each"
            raise ValueError(msg)
        _check_fa_ci(fractions, low, "lower limit of ")
        _check_fa_ci(fractions, high, "upper limit of ")
        ok = shown & np.isfinite(low) & np.isfinite(high)
        ax.errorbar(
            fractions[ok],
            index[ok],
            yerr=np.vstack([index[ok] - low[ok], high[ok] - index[ok]]),
            fmt="none",
            ecolor=LINE_COLORS[0],
            elinewidth=1.0,
            capsize=2.5,
            alpha=0.8,
            gid="ci_interval",
        )
        values += [low[ok], high[ok]]
    if curve is not None:
        curve_fa = np.asarray(curve[0], dtype=float).reshape(-1)
        curve_ci = np.asarray(curve[1], dtype=float).reshape(-1)
        if curve_fa.shape != curve_ci.shape:
            msg = "curve must be (fa, ci) of equal length"
            raise ValueError(msg)
        _check_fa_ci(curve_fa, curve_ci, "curve ")
        ok = np.isfinite(curve_fa) & np.isfinite(curve_ci)
        ax.plot(
            curve_fa[ok],
            curve_ci[ok],
            color=OKABE_ITO["bluish_green"],
            linewidth=1.6,
            label="model",
            gid="ci_curve",
        )
        values.append(curve_ci[ok])
    ax.plot(
        fractions[shown],
        index[shown],
        linestyle="none",
        marker="o",
        markersize=6,
        color=LINE_COLORS[0],
        markeredgecolor="white",
        label="combinations",
        gid="combinations",
        zorder=3,
    )
    if labels is not None:
        for k in np.flatnonzero(shown):
            ax.annotate(
                str(labels[int(k)]),
                (fractions[k], index[k]),
                xytext=(5, 4),
                textcoords="offset points",
                fontsize=7,
                color=MUTED,
                gid="point_label",
            )
    everything = np.concatenate(values)
    spread = float(np.max(np.abs(np.log10(everything)))) if everything.size else 0.0
    span = max(math.log10(3.0), spread * 1.15)
    low_y, high_y = 10.0**-span, 10.0**span
    ax.set_yscale("log")
    ax.set_xlim(0.0, 1.0)
    ax.set_ylim(low_y, high_y)
    ax.axhspan(low_y, 1.0, color=_SYNERGY_COLOR, alpha=0.05, linewidth=0)
    ax.axhspan(1.0, high_y, color=_ANTAGONISM_COLOR, alpha=0.05, linewidth=0)
    ax.axhline(1.0, color="0.25", linestyle="--", linewidth=1.0, gid="additive_line", zorder=1)
    for text, y, color in (
        ("synergy", math.sqrt(low_y), _SYNERGY_COLOR),
        ("antagonism", math.sqrt(high_y), _ANTAGONISM_COLOR),
    ):
        ax.text(
            1.01,
            y,
            text,
            transform=ax.get_yaxis_transform(),
            rotation=90,
            ha="left",
            va="center",
            fontsize=8,
            color=color,
        )
    _ci_ticks(ax.yaxis, low_y, high_y)
    ax.set_xlabel("Fraction affected (Fa)", fontsize=9)
    ax.set_ylabel("Combination index (CI)", fontsize=9)
    despine(ax)
    if curve is not None:
        handles = [h for h in ax.get_lines() if h.get_gid() in ("combinations", "ci_curve")]
        ax.legend(handles=handles, fontsize=7.5, frameon=False, loc="best")
    ax.set_title(title, loc="left", fontsize=10.5, fontweight="bold")
    return figure


def _check_fa_ci(fa: np.ndarray, ci: np.ndarray, what: str) -> None:
    finite_fa = fa[np.isfinite(fa)]
    if ((finite_fa < 0) | (finite_fa > 1)).any():
        msg = (
            f"{what}fa must be fractions in [0, 1], got values from {finite_fa.min():g} to "
            f"{finite_fa.max():g} (divide percentages by 100)"
        )
        raise ValueError(msg)
    finite_ci = ci[np.isfinite(ci)]
    if (finite_ci <= 0).any():
        msg = f"{what}ci must be positive (a log axis), got {finite_ci.min():g}"
        raise ValueError(msg)
