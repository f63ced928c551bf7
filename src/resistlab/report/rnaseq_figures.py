"""Figures of an RNA-seq study: quality control, differential expression, dispersions, GSEA.

Every function takes result objects -- `~resistlab.rnaseq.DEResults` (or its
table), `~resistlab.rnaseq.qc.CountQC`, `~resistlab.rnaseq.DESeqFit`,
`~resistlab.rnaseq.GseaResult` -- and returns a matplotlib
`~matplotlib.figure.Figure` built without pyplot (headless).  Nothing is
shown or saved as a side effect; `resistlab.report.save_figure` writes one.

* `volcano_figure` - log2 fold change against -log10 p-value, significant
  genes coloured, gene groups (RTKs, STAT3 targets, ...) highlighted, the
  strongest genes labelled.
* `ma_figure` - log2 fold change against mean normalized count, as DESeq2's
  ``plotMA``: points beyond the y range drawn as triangles at its edge.
* `pca_figure` - PC1 against PC2 of the QC's PCA, coloured by group, with
  the percentage of variance on the axes and outliers marked.
* `correlation_figure` - the sample correlation matrix in clustered order,
  with its dendrogram and a colour bar.
* `library_figure` - library sizes and detected genes per sample.
* `dispersion_figure` - DESeq2's ``plotDispEsts``: gene-wise estimates,
  the fitted trend and the final estimates on log-log axes.
* `gsea_figure` - the running enrichment score of one gene set, the
  positions of its genes in the ranking and the ranking itself.

Artists carry a ``gid`` (``"genes"``, ``"highlight:<name>"``, ``"label"``,
``"clipped"``, ``"samples"``, ``"outliers"``, ``"correlation"``, ...) so
tests and callers can find what was drawn.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter
from scipy.cluster import hierarchy
from scipy.spatial.distance import squareform

from resistlab.report._style import (
    HEATMAP_CMAP,
    LINE_COLORS,
    MARKERS,
    OKABE_ITO,
    WARNING_COLOR,
    add_colorbar,
    despine,
    figure_and_axes,
    panel_title,
    root_figure,
)
from resistlab.rnaseq.deseq import DESeqFit
from resistlab.rnaseq.gsea import GseaResult
from resistlab.rnaseq.qc import LIBRARY_FRACTION, CountQC
from resistlab.rnaseq.results import DEResults

__all__ = [
    "correlation_figure",
    "dispersion_figure",
    "gsea_figure",
    "library_figure",
    "ma_figure",
    "pca_figure",
    "volcano_figure",
]

#: Colours of genes up and down at the FDR, and of the rest.
UP_COLOR = OKABE_ITO["vermillion"]
DOWN_COLOR = OKABE_ITO["blue"]
NOT_SIGNIFICANT = "0.72"
#: Colours of highlighted gene groups, in order: the line colours after blue and
#: vermillion, so distinct from up/down.
HIGHLIGHT_COLORS: tuple[str, ...] = LINE_COLORS[2:]
#: The smallest p-value drawn as a number; smaller ones (0 included) sit at the top as triangles.
_P_FLOOR = 1e-300


# --------------------------------------------------------------------------- shared


def _de_table(results: DEResults | pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    if isinstance(results, DEResults):
        table = results.table
    elif isinstance(results, pd.DataFrame):
        table = results
    else:
        msg = f"results must be DEResults or its table (a DataFrame), got {type(results).__name__}"
        raise TypeError(msg)
    missing = [c for c in columns if c not in table.columns]
    if missing:
        msg = f"results table lacks column(s) {missing}; DESeq2-style results are needed"
        raise ValueError(msg)
    return table


def _check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        msg = f"alpha must be in (0, 1), got {alpha}"
        raise ValueError(msg)


_OFFSETS = [
    (dx * r, dy * r)
    for r in (1.0, 2.2, 3.6, 5.2, 7.0)
    for dx, dy in ((1, 1), (1, -1), (-1, 1), (-1, -1), (0, 1.4), (0, -1.4), (1.6, 0), (-1.6, 0))
]


def _place_labels(
    ax: Axes,
    points: np.ndarray,
    texts: Sequence[str],
    *,
    fontsize: float = 7.0,
    colors: Sequence[str] | None = None,
    weights: Sequence[str] | None = None,
) -> list[Any]:
    """Annotate `points` (data coordinates) with `texts`, avoiding overlaps where possible.

    Greedy: each label, in the order given, takes the first of rings of
    offsets where its rendered box stays inside the axes and clear of the
    labels already placed and of the other labelled points; failing that,
    the first that is inside and clear of labels, then the first inside.
    Labels moved far from their point get a thin leader line.
    """
    figure = root_figure(ax)
    figure.draw_without_rendering()  # final layout, so display coordinates hold
    anchors = ax.transData.transform(points) if len(points) else np.empty((0, 2))
    box = ax.get_window_extent()
    placed: list[Any] = []
    out = []
    step = 5.0
    for k, text in enumerate(texts):
        annotation = ax.annotate(
            text,
            tuple(points[k]),
            xytext=(0.0, 0.0),
            textcoords="offset points",
            fontsize=fontsize,
            color=colors[k] if colors is not None else "0.15",
            fontweight=weights[k] if weights is not None else "normal",
            gid="label",
            zorder=6,
        )
        best, best_score = _OFFSETS[0], -1
        for dx, dy in _OFFSETS:
            annotation.xyann = (dx * step, dy * step)
            annotation.set_horizontalalignment(
                "left" if dx > 0 else "right" if dx < 0 else "center"
            )
            annotation.set_verticalalignment("bottom" if dy > 0 else "top" if dy < 0 else "center")
            extent = annotation.get_window_extent()
            inside = (
                extent.x0 >= box.x0
                and extent.x1 <= box.x1
                and extent.y0 >= box.y0
                and extent.y1 <= box.y1
            )
            clear = not any(extent.overlaps(other) for other in placed)
            grown = extent.padded(2.0)
            free = not any(grown.contains(qx, qy) for j, (qx, qy) in enumerate(anchors) if j != k)
            score = 4 * inside + 2 * clear + free  # inside first, then apart from labels
            if score > best_score:
                best, best_score = (dx, dy), score
            if score == 7:
                break
        dx, dy = best
        annotation.remove()  # drawn again at its place, with a leader line if far
        far = abs(dx) > 1.7 or abs(dy) > 1.7
        annotation = ax.annotate(
            text,
            tuple(points[k]),
            xytext=(dx * step, dy * step),
            textcoords="offset points",
            ha="left" if dx > 0 else "right" if dx < 0 else "center",
            va="bottom" if dy > 0 else "top" if dy < 0 else "center",
            fontsize=fontsize,
            color=colors[k] if colors is not None else "0.15",
            fontweight=weights[k] if weights is not None else "normal",
            arrowprops={"arrowstyle": "-", "color": "0.5", "linewidth": 0.5} if far else None,
            bbox={
                "boxstyle": "square,pad=0.08",
                "facecolor": "white",
                "edgecolor": "none",
                "alpha": 0.75,
            },
            gid="label",
            zorder=6,
        )
        annotation.set_in_layout(False)
        placed.append(annotation.get_window_extent())
        out.append(annotation)
    return out


# --------------------------------------------------------------------------- volcano


def volcano_figure(
    results: DEResults | pd.DataFrame,
    *,
    alpha: float = 0.1,
    lfc_threshold: float = 1.0,
    label: int = 10,
    highlight: Mapping[str, Iterable[Hashable]] | None = None,
    highlight_label: int = 5,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Plot log2 fold change against -log10 p-value, one point per tested gene.

    A gene is called up or down when ``padj < alpha`` and ``|log2 fold
    change| >= lfc_threshold`` (the dashed lines); the horizontal dashed line
    is the largest p-value with ``padj < alpha``.  Genes without a p-value
    (all-zero counts, Cook's outliers) are not drawn; p-values below 1e-300
    (0 included) are drawn as triangles at the top.

    Parameters
    ----------
    results : DEResults or DataFrame
        DESeq2-style results: ``log2FoldChange``, ``pvalue`` and ``padj``,
        indexed by gene (symbols read best).
    alpha : float
        FDR of the calls.
    lfc_threshold : float
        Smallest absolute log2 fold change of a call (0 for none).
    label : int
        Name this many called genes, smallest padj first.
    highlight : mapping of str to iterable of gene names, optional
        Gene groups drawn on top in their own colours, e.g.
        ``{"RTKs": ["EGFR", "ERBB2", "ERBB3"], "STAT3 targets": [...]}``;
        the legend gives how many of each are in the table.
    highlight_label : int
        Also name this many called genes of each highlighted group, smallest
        padj first.
    title : str, optional
        Heading; default ``"Volcano plot"``.
    ax : Axes, optional
        Draw on these axes instead of a new figure.

    Returns
    -------
    Figure

    Raises
    ------
    TypeError, ValueError
        If `results` is not a DESeq2-style table or `alpha` is not in (0, 1).

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"log2FoldChange": [3.0, -2.5, 0.1, 1.5],
    ...                       "pvalue": [1e-12, 1e-8, 0.6, 0.2],
    ...                       "padj": [1e-10, 1e-6, 0.8, 0.4]},
    ...                      index=["ERBB2", "CDH1", "ACTB", "STAT3"])
    >>> fig = volcano_figure(table, highlight={"STAT3 pathway": ["STAT3", "SOCS3"]})
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['up (1)', 'down (1)', 'not called (2)', 'STAT3 pathway (1 of 2)']
    """
    _check_alpha(alpha)
    if lfc_threshold < 0:
        msg = f"lfc_threshold must be >= 0, got {lfc_threshold}"
        raise ValueError(msg)
    table = _de_table(results, ("log2FoldChange", "pvalue", "padj"))
    lfc = table["log2FoldChange"].to_numpy(float)
    pvalue = table["pvalue"].to_numpy(float)
    padj = table["padj"].to_numpy(float)
    genes = np.array([str(g) for g in table.index])
    shown = np.isfinite(lfc) & np.isfinite(pvalue)
    with np.errstate(invalid="ignore"):
        called = shown & (padj < alpha) & (np.abs(lfc) >= lfc_threshold)
    up = called & (lfc > 0)
    down = called & (lfc < 0)
    capped = shown & (pvalue < _P_FLOOR)
    y = -np.log10(np.clip(pvalue, _P_FLOOR, 1.0))
    finite_top = float(np.max(y[shown & ~capped], initial=1.0))
    top = finite_top * 1.08 if capped.any() else finite_top
    y = np.where(capped, top, y)

    figure, ax = figure_and_axes(ax, (6.6, 4.8))
    handles: list[Any] = []
    for mask, color, name, size in (
        (shown & ~called, NOT_SIGNIFICANT, "not called", 6),
        (up, UP_COLOR, "up", 9),
        (down, DOWN_COLOR, "down", 9),
    ):
        plain = mask & ~capped
        ax.scatter(
            lfc[plain], y[plain], s=size, c=color, linewidths=0, gid="genes", rasterized=True
        )
        if (mask & capped).any():
            ax.scatter(
                lfc[mask & capped],
                y[mask & capped],
                s=size * 2.5,
                c=color,
                marker="^",
                linewidths=0,
                gid="clipped",
            )
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="o",
                markersize=5,
                markerfacecolor=color,
                markeredgewidth=0,
                label=f"{name} ({int(mask.sum())})",
            )
        )
    handles = [handles[1], handles[2], handles[0]]

    label_rows: list[int] = []
    order = np.lexsort((pvalue, np.where(called, padj, np.inf)))
    label_rows += [int(i) for i in order[: int(called.sum())][: max(label, 0)]]
    index_of = {g: i for i, g in enumerate(genes)}
    for k, (name, members) in enumerate((highlight or {}).items()):
        color = HIGHLIGHT_COLORS[k % len(HIGHLIGHT_COLORS)]
        wanted = {str(g) for g in members}
        rows = np.array(sorted(index_of[g] for g in wanted if g in index_of), int)
        rows = rows[shown[rows]] if rows.size else rows
        requested = len(wanted)
        ax.scatter(
            lfc[rows],
            y[rows],
            s=26,
            c=color,
            edgecolors="0.1",
            linewidths=0.6,
            gid=f"highlight:{name}",
            zorder=4,
        )
        found = f"{rows.size}" if rows.size == requested else f"{rows.size} of {requested}"
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="o",
                markersize=6,
                markerfacecolor=color,
                markeredgecolor="0.1",
                markeredgewidth=0.6,
                label=f"{name} ({found})",
            )
        )
        ranked = rows[np.argsort(padj[rows], kind="stable")] if rows.size else rows
        extra = [int(i) for i in ranked if called[i] and int(i) not in label_rows]
        label_rows += extra[: max(highlight_label, 0)]

    span = float(np.max(np.abs(lfc[shown]), initial=1.0)) * 1.08
    span = max(span, lfc_threshold * 1.5, 1.0)
    ax.set_xlim(-span, span)
    ax.set_ylim(0.0, top * 1.06 + 0.2)
    if lfc_threshold > 0:
        for x in (-lfc_threshold, lfc_threshold):
            ax.axvline(x, color="0.45", linestyle="--", linewidth=0.8, gid="lfc_threshold")
    with np.errstate(invalid="ignore"):
        below_fdr = shown & (padj < alpha)
    if below_fdr.any():
        largest = float(np.max(pvalue[below_fdr]))
        ax.axhline(
            -math.log10(max(largest, _P_FLOOR)),
            color="0.45",
            linestyle="--",
            linewidth=0.8,
            gid="fdr_line",
        )
    ax.set_xlabel("log2 fold change", fontsize=9)
    ax.set_ylabel("-log10 p-value", fontsize=9)
    despine(ax)
    ax.legend(
        handles=handles,
        fontsize=7.5,
        frameon=False,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        borderaxespad=0.0,
        handletextpad=0.3,
    )
    contrast = results.contrast if isinstance(results, DEResults) else ""
    threshold = f", |log2 FC| ≥ {lfc_threshold:g}" if lfc_threshold > 0 else ""
    subtitle = f"{contrast}: " if contrast else ""
    subtitle += f"{int(up.sum())} up, {int(down.sum())} down (padj < {alpha:g}{threshold})"
    panel_title(ax, title or "Volcano plot", subtitle)
    if label_rows:
        rows = np.array(label_rows)
        colors = [UP_COLOR if up[i] else (DOWN_COLOR if down[i] else "0.2") for i in rows]
        _place_labels(ax, np.column_stack([lfc[rows], y[rows]]), list(genes[rows]), colors=colors)
    return figure


# --------------------------------------------------------------------------- MA


def ma_figure(
    results: DEResults | pd.DataFrame,
    *,
    alpha: float = 0.1,
    ylim: float | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Plot log2 fold change against mean normalized count, as DESeq2's ``plotMA``.

    Genes with ``padj < alpha`` are coloured.  The y range is ``±ylim``, by
    default 1.1 times the 99th percentile of the absolute fold changes (as
    ``plotMA``); genes beyond it are drawn at its edge as triangles pointing
    out.  Genes with no counts (baseMean 0) or no fold change are not drawn.

    Parameters
    ----------
    results : DEResults or DataFrame
        DESeq2-style results with ``baseMean``, ``log2FoldChange`` and ``padj``.
    alpha : float
        FDR of the colouring.
    ylim : float, optional
        Half-height of the y range.
    title : str, optional
        Heading; default ``"MA plot"``.
    ax : Axes, optional
        Draw on these axes instead of a new figure.

    Returns
    -------
    Figure

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"baseMean": [10.0, 500.0, 2e4, 0.0],
    ...                       "log2FoldChange": [4.0, -0.2, 0.1, float("nan")],
    ...                       "padj": [0.01, 0.5, 0.9, float("nan")]})
    >>> fig = ma_figure(table, ylim=2.0)
    >>> [float(v) for v in fig.axes[0].get_ylim()]
    [-2.0, 2.0]
    """
    _check_alpha(alpha)
    table = _de_table(results, ("baseMean", "log2FoldChange", "padj"))
    mean = table["baseMean"].to_numpy(float)
    lfc = table["log2FoldChange"].to_numpy(float)
    padj = table["padj"].to_numpy(float)
    shown = np.isfinite(mean) & (mean > 0) & np.isfinite(lfc)
    with np.errstate(invalid="ignore"):
        called = shown & (padj < alpha)
    if ylim is None:
        q = float(np.quantile(np.abs(lfc[shown]), 0.99)) if shown.any() else 1.0
        ylim = 1.1 * q if q > 0 else 1.0
    elif not ylim > 0:
        msg = f"ylim must be positive, got {ylim}"
        raise ValueError(msg)
    figure, ax = figure_and_axes(ax, (6.0, 4.2))
    high = shown & (lfc > ylim)
    low = shown & (lfc < -ylim)
    inside = shown & ~high & ~low
    for mask, color, size, name in (
        (~called, NOT_SIGNIFICANT, 5, "genes"),
        (called, OKABE_ITO["blue"], 7, "called"),
    ):
        ax.scatter(
            mean[inside & mask],
            lfc[inside & mask],
            s=size,
            c=color,
            linewidths=0,
            gid=name,
            rasterized=True,
        )
        for edge, marker, sign in ((high, "^", 1.0), (low, "v", -1.0)):
            pick = edge & mask
            ax.scatter(
                mean[pick],
                np.full(int(pick.sum()), sign * ylim),
                s=size * 3,
                c=color,
                marker=marker,
                linewidths=0,
                gid="clipped",
                clip_on=False,
                zorder=3,
            )
    ax.axhline(0.0, color="0.3", linewidth=1.2, zorder=2)
    ax.set_xscale("log")
    ax.set_ylim(-ylim, ylim)
    ax.set_xlabel("mean of normalized counts", fontsize=9)
    ax.set_ylabel("log2 fold change", fontsize=9)
    despine(ax)
    handles = [
        Line2D(
            [],
            [],
            linestyle="none",
            marker="o",
            markersize=5,
            markerfacecolor=OKABE_ITO["blue"],
            markeredgewidth=0,
            label=f"padj < {alpha:g} ({int(called.sum())})",
        ),
        Line2D(
            [],
            [],
            linestyle="none",
            marker="o",
            markersize=5,
            markerfacecolor=NOT_SIGNIFICANT,
            markeredgewidth=0,
            label=f"other ({int((shown & ~called).sum())})",
        ),
    ]
    if (high | low).any():
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="^",
                markersize=5,
                markerfacecolor="0.4",
                markeredgewidth=0,
                label=f"beyond ±{ylim:.2g} ({int((high | low).sum())})",
            )
        )
    ax.legend(handles=handles, fontsize=7.5, frameon=False, loc="upper right")
    contrast = results.contrast if isinstance(results, DEResults) else ""
    panel_title(ax, title or "MA plot", contrast)
    return figure


# --------------------------------------------------------------------------- QC


def _qc_groups(qc: CountQC, group: str | Mapping[str, str] | pd.Series | None) -> pd.Series | None:
    """Group label of every sample of `qc`, or None."""
    if group is None:
        return qc.groups
    if isinstance(group, str):
        if qc.group == group and qc.groups is not None:
            return qc.groups
        known = f"group={qc.group!r}" if qc.group else "no group"
        msg = (
            f"group {group!r} is not the grouping of this QC ({known}); pass count_qc(..., "
            f"group={group!r}) or a mapping of sample to group"
        )
        raise ValueError(msg)
    labels = pd.Series(group) if isinstance(group, Mapping) else group
    missing = [s for s in qc.table.index if s not in labels.index]
    if missing:
        msg = f"group has no label for sample(s) {missing}"
        raise ValueError(msg)
    return labels.reindex(qc.table.index).astype(str)


def _check_qc(qc: CountQC) -> None:
    if not isinstance(qc, CountQC):
        msg = f"qc must be a CountQC (from count_qc), got {type(qc).__name__}"
        raise TypeError(msg)


def _group_style(levels: Sequence[str]) -> dict[str, tuple[str, str]]:
    return {
        level: (LINE_COLORS[k % len(LINE_COLORS)], MARKERS[k % len(MARKERS)])
        for k, level in enumerate(levels)
    }


def pca_figure(
    qc: CountQC,
    *,
    group: str | Mapping[str, str] | pd.Series | None = None,
    components: tuple[int, int] = (1, 2),
    label: bool | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Plot the samples on two principal components of the QC's PCA.

    The axes give each component's percentage of variance (DESeq2's
    ``plotPCA`` layout, equal scales); samples are coloured by group and
    outliers are ringed and named in the warning colour.

    Parameters
    ----------
    qc : CountQC
        From `resistlab.rnaseq.qc.count_qc`.
    group : str, mapping or Series, optional
        Colour by this grouping: the name `qc` was grouped by (the default
        when it was), or a sample -> group mapping.
    components : (int, int)
        Components on x and y, numbered from 1.
    label : bool, optional
        Name every sample; default when there are at most 16 (outliers are
        always named).
    ax : Axes, optional
        Draw on these axes instead of a new figure.

    Returns
    -------
    Figure

    Raises
    ------
    ValueError
        If `group` names another grouping or a component does not exist.
    """
    _check_qc(qc)
    labels = _qc_groups(qc, group)
    n_pc = qc.pca.shape[1]
    if len(components) != 2 or not all(1 <= int(c) <= n_pc for c in components):
        msg = f"components must be two numbers from 1 to {n_pc}, got {components}"
        raise ValueError(msg)
    cx, cy = (f"PC{int(c)}" for c in components)
    scores = qc.pca[[cx, cy]].dropna()
    outlier = qc.table["outlier"].reindex(scores.index).to_numpy(bool)
    figure, ax = figure_and_axes(ax, (5.8, 4.6))
    xy = scores.to_numpy()
    handles: list[Any] = []
    if labels is None:
        ax.scatter(
            xy[:, 0],
            xy[:, 1],
            s=42,
            c=LINE_COLORS[0],
            edgecolors="white",
            linewidths=0.6,
            gid="samples",
            zorder=3,
        )
    else:
        lab = labels.reindex(scores.index).to_numpy()
        levels = list(pd.unique(labels))
        style = _group_style(levels)
        for level in levels:
            pick = lab == level
            color, marker = style[level]
            ax.scatter(
                xy[pick, 0],
                xy[pick, 1],
                s=46,
                c=color,
                marker=marker,
                edgecolors="white",
                linewidths=0.6,
                gid="samples",
                zorder=3,
                label=f"{level} ({int(pick.sum())})",
            )
        handles = ax.get_legend_handles_labels()[0]
    if outlier.any():
        ax.scatter(
            xy[outlier, 0],
            xy[outlier, 1],
            s=190,
            facecolors="none",
            edgecolors=WARNING_COLOR,
            linewidths=1.4,
            gid="outliers",
            zorder=4,
            label="outlier",
        )
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="o",
                markersize=9,
                markerfacecolor="none",
                markeredgecolor=WARNING_COLOR,
                markeredgewidth=1.4,
                label="outlier",
            )
        )
    # DESeq2's coord_fixed: one unit is as long on both axes
    ax.margins(0.12)
    ax.set_aspect("equal", adjustable="datalim")
    var = qc.variance_explained
    ax.set_xlabel(f"{cx}: {var[cx]:.1f}% variance", fontsize=9)
    ax.set_ylabel(f"{cy}: {var[cy]:.1f}% variance", fontsize=9)
    ax.axhline(0.0, color="0.88", linewidth=0.8, zorder=1)
    ax.axvline(0.0, color="0.88", linewidth=0.8, zorder=1)
    despine(ax)
    if handles:
        title = qc.group if (labels is not None and isinstance(group, str | None)) else None
        legend = ax.legend(
            handles=handles,
            fontsize=7.5,
            frameon=False,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            borderaxespad=0.0,
            title=title,
            title_fontsize=8,
        )
        legend.get_title().set_horizontalalignment("left")
    what = {"vst": "blind VST", "log2": "log2(normalized + 1)", "given": "transformed counts"}
    subtitle = f"{qc.n_top} most variable genes, {what.get(qc.transform, qc.transform)}"
    if outlier.any():
        subtitle += f"; {int(outlier.sum())} outlier(s)"
    panel_title(ax, "Principal components", subtitle)
    names = [str(s) for s in scores.index]
    every = label if label is not None else len(names) <= 16
    rows = [i for i in range(len(names)) if every or outlier[i]]
    if rows:
        _place_labels(
            ax,
            xy[rows],
            [names[i] for i in rows],
            colors=[WARNING_COLOR if outlier[i] else "0.25" for i in rows],
            weights=["bold" if outlier[i] else "normal" for i in rows],
        )
    return figure


def _clustered_order(correlation: np.ndarray) -> tuple[np.ndarray, Any]:
    """Leaf order of average-linkage clustering on ``1 - r`` (optimal leaf ordering)."""
    n = correlation.shape[0]
    if n < 3:
        return np.arange(n), None
    distance = np.clip(1.0 - correlation, 0.0, 2.0)
    distance = (distance + distance.T) / 2.0
    np.fill_diagonal(distance, 0.0)
    condensed = squareform(distance, checks=False)
    linkage = hierarchy.optimal_leaf_ordering(
        hierarchy.linkage(condensed, method="average"), condensed
    )
    return hierarchy.leaves_list(linkage), linkage


def correlation_figure(qc: CountQC, *, annotate: bool | None = None) -> Figure:
    """Plot the sample correlation matrix in clustered order, with its dendrogram.

    Samples are ordered by average-linkage hierarchical clustering of
    ``1 - r`` (scipy, optimal leaf ordering); group colours (when `qc` has
    groups) run along the top, outliers' names are in the warning colour.

    Parameters
    ----------
    qc : CountQC
        From `resistlab.rnaseq.qc.count_qc`.
    annotate : bool, optional
        Write r in every cell; default when there are at most 14 samples.

    Returns
    -------
    Figure
    """
    _check_qc(qc)
    corr = qc.correlation.dropna(how="all").dropna(axis=1, how="all")
    names = [str(s) for s in corr.index]
    n = len(names)
    values = corr.to_numpy()
    order, linkage = _clustered_order(values)
    ordered = values[np.ix_(order, order)]
    names = [names[i] for i in order]
    group_labels = qc.groups
    groups = (
        group_labels.reindex(corr.index).to_numpy()[order] if group_labels is not None else None
    )
    outlier = qc.table["outlier"].reindex(corr.index).to_numpy(bool)[order]

    cell = 0.42 if n <= 14 else max(0.16, 6.0 / n)
    side = n * cell
    strip = 0.2 if groups is not None else 0.0
    figure = Figure(figsize=(side + 2.6, side + strip + 2.3), layout="constrained")
    ratios = [1.0, strip, side] if groups is not None else [1.0, side]
    grid = figure.add_gridspec(
        len(ratios), 2, height_ratios=ratios, width_ratios=[side, 0.9], hspace=0.0, wspace=0.02
    )
    tree_ax = figure.add_subplot(grid[0, 0])
    heat_ax = figure.add_subplot(grid[-1, 0])
    side_ax = figure.add_subplot(grid[:-1, 1])
    side_ax.axis("off")
    bar_ax = figure.add_subplot(grid[-1, 1])

    if linkage is not None:
        tree = hierarchy.dendrogram(linkage, no_plot=True)
        for xs, ys in zip(tree["icoord"], tree["dcoord"], strict=True):
            tree_ax.plot(
                (np.asarray(xs) - 5.0) / 10.0, ys, color="0.35", linewidth=0.9, gid="dendrogram"
            )
    tree_ax.set_xlim(-0.5, n - 0.5)
    tree_ax.set_ylim(bottom=0.0)
    tree_ax.axis("off")

    low = float(np.nanmin(ordered)) if n else 0.0
    vmin = min(math.floor(low * 20.0) / 20.0, 0.95)
    image = heat_ax.imshow(
        ordered,
        cmap=HEATMAP_CMAP,
        vmin=vmin,
        vmax=1.0,
        aspect="auto",
        interpolation="nearest",
        gid="correlation",
    )
    heat_ax.set_xticks(range(n), labels=names, rotation=55, ha="right", rotation_mode="anchor")
    heat_ax.set_yticks(range(n), labels=names)
    font = 8.0 if n <= 14 else (6.5 if n <= 30 else 5.0)
    heat_ax.tick_params(length=0, labelsize=font)
    for tick_labels in (heat_ax.get_xticklabels(), heat_ax.get_yticklabels()):
        for text, bad in zip(tick_labels, outlier, strict=True):
            if bad:
                text.set_color(WARNING_COLOR)
                text.set_fontweight("bold")
    for spine in heat_ax.spines.values():
        spine.set_visible(False)
    if annotate if annotate is not None else n <= 14:
        norm = image.norm
        cmap = image.get_cmap()
        for i in range(n):
            for j in range(n):
                r = ordered[i, j]
                if not np.isfinite(r):
                    continue
                red, green, blue, _ = cmap(norm(r))
                light = 0.2126 * red + 0.7152 * green + 0.0722 * blue > 0.45
                heat_ax.text(
                    j,
                    i,
                    f"{r:.2f}",
                    ha="center",
                    va="center",
                    fontsize=6.5,
                    color="0.1" if light else "white",
                    gid="cell_value",
                )
    add_colorbar(figure, image, "Pearson r", cax=bar_ax)
    bar_ax.set_box_aspect(12)

    if groups is not None and group_labels is not None:
        strip_ax = figure.add_subplot(grid[1, 0], sharex=heat_ax)
        levels = list(pd.unique(group_labels))
        style = _group_style(levels)
        codes = np.array([levels.index(g) for g in groups])
        strip_ax.imshow(
            codes[None, :],
            cmap=ListedColormap([style[lv][0] for lv in levels]),
            vmin=-0.5,
            vmax=len(levels) - 0.5,
            aspect="auto",
            interpolation="nearest",
            gid="group_strip",
        )
        strip_ax.set_xlim(-0.5, n - 0.5)
        strip_ax.axis("off")
        handles = [Patch(color=style[lv][0], label=lv) for lv in levels]
        side_ax.legend(
            handles=handles,
            fontsize=7,
            frameon=False,
            loc="lower left",
            borderaxespad=0.0,
            title=qc.group,
            title_fontsize=7.5,
            alignment="left",
        )
    panel_title(
        tree_ax,
        "Sample correlation",
        f"Pearson r, {qc.n_top} most variable genes; average-linkage clustering",
    )
    return figure


def library_figure(qc: CountQC) -> Figure:
    """Plot each sample's library size and detected genes as horizontal bars.

    Bars take the sample's group colour; the dashed line on the library
    panel is the small-library cutoff (1/5 of the median), the grey line
    the median.  Outliers' names are in the warning colour.

    Parameters
    ----------
    qc : CountQC
        From `resistlab.rnaseq.qc.count_qc`.

    Returns
    -------
    Figure
    """
    _check_qc(qc)
    table = qc.table
    names = [str(s) for s in table.index]
    n = len(names)
    library = table["library_size"].to_numpy(float)
    detected = table["detected_genes"].to_numpy(float)
    outlier = table["outlier"].to_numpy(bool)
    if qc.groups is not None:
        levels = list(pd.unique(qc.groups))
        style = _group_style(levels)
        colors = [style[g][0] for g in qc.groups]
    else:
        levels, style = [], {}
        colors = [LINE_COLORS[0]] * n
    figure = Figure(figsize=(7.6, max(2.4, 0.28 * n + 1.5)), layout="constrained")
    lib_ax, det_ax = figure.subplots(1, 2, sharey=True)
    y = np.arange(n)
    scale, unit = (1e6, "millions") if np.nanmax(library, initial=0) >= 1e5 else (1e3, "thousands")
    lib_ax.barh(y, library / scale, color=colors, height=0.72, gid="library_size")
    det_ax.barh(y, detected, color=colors, height=0.72, gid="detected_genes")
    median = float(np.median(library))
    lib_ax.axvline(median / scale, color="0.55", linewidth=1.0, gid="median")
    lib_ax.axvline(
        LIBRARY_FRACTION * median / scale,
        color=WARNING_COLOR,
        linestyle="--",
        linewidth=1.0,
        gid="cutoff",
    )
    lib_ax.set_yticks(y, labels=names)
    lib_ax.invert_yaxis()
    lib_ax.tick_params(axis="y", length=0, labelsize=8 if n <= 30 else 6)
    for text, bad in zip(lib_ax.get_yticklabels(), outlier, strict=True):
        if bad:
            text.set_color(WARNING_COLOR)
            text.set_fontweight("bold")
    lib_ax.set_xlabel(f"library size ({unit} of counts)", fontsize=9)
    det_ax.set_xlabel("detected genes (count > 0)", fontsize=9)
    det_ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    for ax in (lib_ax, det_ax):
        despine(ax)
        ax.margins(y=0.01)
    handles: list[Any] = [Patch(color=style[lv][0], label=lv) for lv in levels]
    handles += [
        Line2D([], [], color="0.55", linewidth=1.0, label="median library"),
        Line2D([], [], color=WARNING_COLOR, linestyle="--", linewidth=1.0, label="1/5 of median"),
    ]
    legend = det_ax.legend(
        handles=handles,
        fontsize=7.5,
        frameon=False,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        borderaxespad=0.0,
        title=qc.group if levels else None,
        title_fontsize=8,
        alignment="left",
    )
    legend.set_gid("legend")
    flagged = [str(s) for s in table.index[outlier]]
    shown = ", ".join(flagged[:4]) + (", ..." if len(flagged) > 4 else "")
    subtitle = f"{len(flagged)} outlier(s): {shown}" if flagged else "no outliers"
    panel_title(lib_ax, "Libraries", subtitle)
    return figure


# --------------------------------------------------------------------------- dispersions


def dispersion_figure(fit: DESeqFit, *, ax: Axes | None = None) -> Figure:
    """Plot DESeq2's dispersion estimates against mean count (``plotDispEsts``).

    Gene-wise estimates are black, the fitted trend ``a + b / mean`` is the
    red line and the final (maximum a posteriori) estimates are blue;
    dispersion outliers, whose gene-wise estimate was kept, are ringed.
    Gene-wise estimates below the lower limit (as ``plotDispEsts``:
    ``10^(floor(log10(smallest)) - 0.1)``) are drawn on it as triangles.

    Parameters
    ----------
    fit : DESeqFit
        From `resistlab.rnaseq.deseq`.
    ax : Axes, optional
        Draw on these axes instead of a new figure.

    Returns
    -------
    Figure
    """
    if not isinstance(fit, DESeqFit):
        msg = f"fit must be a DESeqFit (from deseq), got {type(fit).__name__}"
        raise TypeError(msg)
    mean = fit.base_mean
    sel = np.isfinite(mean) & (mean > 0) & np.isfinite(fit.disp_gene_est)
    x = mean[sel]
    gene = fit.disp_gene_est[sel]
    final = fit.dispersion[sel]
    outlier = fit.disp_outlier[sel].astype(bool)
    positive = gene[gene > 0]
    ymin = 10.0 ** (math.floor(math.log10(positive.min())) - 0.1) if positive.size else 1e-8
    below = gene < ymin
    figure, ax = figure_and_axes(ax, (5.8, 4.4))
    ax.scatter(
        x[~below],
        gene[~below],
        s=3,
        c="black",
        alpha=0.8,
        linewidths=0,
        gid="gene_wise",
        rasterized=True,
    )
    if below.any():
        ax.scatter(
            x[below],
            np.full(int(below.sum()), ymin),
            s=9,
            c="black",
            alpha=0.8,
            marker="v",
            linewidths=0,
            gid="gene_wise_below",
            clip_on=False,
        )
    ax.scatter(
        x[~outlier],
        final[~outlier],
        s=3,
        c=OKABE_ITO["blue"],
        alpha=0.7,
        linewidths=0,
        gid="final",
        rasterized=True,
    )
    if outlier.any():
        ax.scatter(
            x[outlier],
            final[outlier],
            s=22,
            facecolors="none",
            edgecolors=OKABE_ITO["blue"],
            linewidths=0.9,
            gid="final_outlier",
        )
    grid = np.geomspace(x.min(), x.max(), 200) if x.size else np.array([1.0, 10.0])
    ax.plot(grid, fit.trend(grid), color=OKABE_ITO["vermillion"], linewidth=1.8, gid="trend")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(bottom=ymin)
    ax.set_xlabel("mean of normalized counts", fontsize=9)
    ax.set_ylabel("dispersion", fontsize=9)
    despine(ax)
    handles = [
        Line2D(
            [],
            [],
            linestyle="none",
            marker="o",
            markersize=4,
            markerfacecolor="black",
            markeredgewidth=0,
            label="gene-wise estimate",
        ),
        Line2D([], [], color=OKABE_ITO["vermillion"], linewidth=1.8, label="fitted trend"),
        Line2D(
            [],
            [],
            linestyle="none",
            marker="o",
            markersize=4,
            markerfacecolor=OKABE_ITO["blue"],
            markeredgewidth=0,
            label="final estimate",
        ),
    ]
    if outlier.any():
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="o",
                markersize=6,
                markerfacecolor="none",
                markeredgecolor=OKABE_ITO["blue"],
                label="dispersion outlier (kept)",
            )
        )
    ax.legend(handles=handles, fontsize=7.5, loc="lower right", framealpha=0.9, edgecolor="none")
    trend = fit.trend
    panel_title(
        ax,
        "Dispersion estimates",
        f"trend {trend.asympt_disp:.3g} + {trend.extra_pois:.3g} / mean; "
        f"prior variance {fit.prior_var:.3g}; {int(outlier.sum())} outlier(s)",
    )
    return figure


# --------------------------------------------------------------------------- GSEA


def gsea_figure(result: GseaResult, term: str) -> Figure:
    """Plot the running enrichment score of one gene set (the classic GSEA plot).

    Top: the running sum along the ranking with ES marked; middle: a tick
    at each gene of the set, the leading edge shaded; bottom: the ranking
    statistic, positive (up) in red and negative in blue.

    Parameters
    ----------
    result : GseaResult
        From `resistlab.rnaseq.gsea_prerank`.
    term : str
        A tested gene set.

    Returns
    -------
    Figure

    Raises
    ------
    KeyError
        If `term` was not tested.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from resistlab.rnaseq import gsea_prerank
    >>> ranking = pd.Series(np.linspace(2, -2, 200), index=[f"G{i}" for i in range(200)])
    >>> result = gsea_prerank(ranking, {"top": [f"G{i}" for i in range(0, 40, 2)]},
    ...                       permutations=50)
    >>> fig = gsea_figure(result, "top")
    >>> len(fig.axes)
    3
    """
    if not isinstance(result, GseaResult):
        msg = f"result must be a GseaResult (from gsea_prerank), got {type(result).__name__}"
        raise TypeError(msg)
    running = result.running_sum(term)
    s = result.terms.index(term)
    ranking = result.ranking
    n = len(ranking)
    members = set(result.genes[s])
    hits = np.flatnonzero([g in members for g in ranking.index])
    es = float(result.es[s])
    peak = int(np.argmax(running)) if es >= 0 else int(np.argmin(running))
    positions = np.arange(n)

    figure = Figure(figsize=(6.2, 4.8), layout="constrained")
    grid = figure.add_gridspec(3, 1, height_ratios=[3.0, 0.55, 1.35], hspace=0.02)
    es_ax = figure.add_subplot(grid[0])
    hit_ax = figure.add_subplot(grid[1], sharex=es_ax)
    rank_ax = figure.add_subplot(grid[2], sharex=es_ax)

    color = OKABE_ITO["bluish_green"]
    es_ax.plot(positions, running, color=color, linewidth=1.6, gid="running_sum")
    es_ax.axhline(0.0, color="0.5", linewidth=0.8)
    es_ax.axhline(es, color=WARNING_COLOR, linestyle="--", linewidth=0.9, gid="es")
    es_ax.axvline(peak, color="0.6", linestyle=":", linewidth=0.9)
    right = peak < n / 2  # write ES on the side away from the peak, just inside the line
    es_ax.annotate(
        f"ES {es:+.3f}",
        (0.98 if right else 0.02, es),
        xycoords=("axes fraction", "data"),
        xytext=(0, -3 if es >= 0 else 3),
        textcoords="offset points",
        ha="right" if right else "left",
        va="top" if es >= 0 else "bottom",
        fontsize=8,
        color=WARNING_COLOR,
        gid="es_label",
    )
    es_ax.set_ylabel("running ES", fontsize=9)
    despine(es_ax)
    es_ax.tick_params(labelbottom=False)

    edge = (0, peak) if es >= 0 else (peak, n - 1)
    hit_ax.axvspan(edge[0], edge[1], color=color, alpha=0.15, linewidth=0, gid="leading_edge")
    hit_ax.vlines(hits, 0.0, 1.0, color="0.1", linewidth=0.6, gid="hits")
    hit_ax.set_ylim(0.0, 1.0)
    hit_ax.set_yticks([])
    hit_ax.tick_params(labelbottom=False, length=0)
    for spine in hit_ax.spines.values():
        spine.set_visible(False)

    values = ranking.to_numpy(float)
    rank_ax.fill_between(
        positions,
        values,
        0.0,
        where=values >= 0,
        color=UP_COLOR,
        alpha=0.55,
        linewidth=0,
        gid="ranking_up",
    )
    rank_ax.fill_between(
        positions,
        values,
        0.0,
        where=values < 0,
        color=DOWN_COLOR,
        alpha=0.55,
        linewidth=0,
        gid="ranking_down",
    )
    rank_ax.axhline(0.0, color="0.5", linewidth=0.6)
    rank_ax.set_xlim(0, n - 1)
    rank_ax.set_xlabel("rank in the gene list", fontsize=9)
    rank_ax.set_ylabel("ranking\nstatistic", fontsize=9)
    despine(rank_ax)

    fdr = result.fdr[s]
    fdr_text = f"FDR {fdr:.2g}" if np.isfinite(fdr) else "FDR n/a"
    panel_title(
        es_ax,
        term,
        f"NES {result.nes[s]:+.2f} · p {result.pvalue[s]:.2g} · {fdr_text} · "
        f"{hits.size} genes, {len(result.leading_edge[s])} in the leading edge",
    )
    return figure
