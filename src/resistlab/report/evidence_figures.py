"""Forest plots of evidence rows: log2 fold changes with their 95 % confidence intervals.

One panel per comparison (e.g. resistant vs parental, drug vs vehicle), one line per
target, the interval from the row's standard error (Student's t with n - 1 degrees of
freedom when ``n`` is known, else the normal quantile). Filled markers are rows with
p < 0.05; dashed lines mark a two-fold change. Used for Western blots and phospho-RTK
arrays in the study report.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from resistlab.report._style import LINE_COLORS, MUTED, despine, panel_title

__all__ = ["confidence_interval", "plot_fold_changes"]


def confidence_interval(
    log2_fold_change: np.ndarray, se: np.ndarray, n: np.ndarray, *, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Return the (low, high) interval of each row: t with n - 1 df, normal without n.

    >>> low, high = confidence_interval(np.array([1.0]), np.array([0.1]), np.array([np.nan]))
    >>> round(float(high[0] - 1.0), 4)
    0.196
    """
    lfc = np.asarray(log2_fold_change, dtype=float)
    se = np.asarray(se, dtype=float)
    n = np.asarray(n, dtype=float)
    tail = 0.5 + level / 2.0
    quantile = np.where(
        np.isfinite(n) & (n > 1),
        stats.t.ppf(tail, np.where(n > 1, n - 1, 1)),
        stats.norm.ppf(tail),
    )
    return lfc - quantile * se, lfc + quantile * se


def plot_fold_changes(
    evidence: pd.DataFrame,
    *,
    comparisons: Sequence[str] | None = None,
    title: str = "",
) -> Figure:
    """Plot evidence rows as log2 fold changes with 95 % CIs, one panel per comparison.

    Parameters
    ----------
    evidence : DataFrame
        Evidence rows (DESIGN.md): ``target``, ``comparison``, ``log2_fold_change``,
        ``se``, ``n``, ``p_value``.
    comparisons : sequence of str, optional
        Panels, in order; by default every comparison in the table.
    title : str
        Figure heading.

    Returns
    -------
    Figure

    Raises
    ------
    ValueError
        If no row belongs to the comparisons asked for.
    """
    order = list(comparisons or dict.fromkeys(evidence["comparison"].astype(str)))
    panels = [evidence[evidence["comparison"].astype(str) == c] for c in order]
    if not any(len(p) for p in panels):
        msg = f"no evidence row in the comparisons {order}"
        raise ValueError(msg)
    height = 0.32 * max(len(p) for p in panels) + 1.4
    figure = Figure(figsize=(4.6 * len(order), height), layout="constrained")
    axes = np.atleast_1d(figure.subplots(1, len(order), squeeze=False)[0])
    for ax, name, rows in zip(axes, order, panels, strict=True):
        lfc = rows["log2_fold_change"].to_numpy(dtype=float)
        low, high = confidence_interval(lfc, rows["se"].to_numpy(), rows["n"].to_numpy())
        y = np.arange(len(rows))[::-1]
        significant = rows["p_value"].to_numpy(dtype=float) < 0.05
        colour = LINE_COLORS[0]
        ax.hlines(y, low, high, color=colour, linewidth=1.5)
        ax.scatter(lfc[significant], y[significant], color=colour, zorder=3, s=28)
        ax.scatter(
            lfc[~significant], y[~significant], facecolor="white", edgecolor=colour, zorder=3, s=28
        )
        ax.axvline(0.0, color=MUTED, linewidth=0.8)
        for edge in (-1.0, 1.0):
            ax.axvline(edge, color=MUTED, linewidth=0.6, linestyle="--")
        ax.set_yticks(y, labels=rows["target"].astype(str))
        ax.set_xlabel("log2 fold change (95 % CI)")
        despine(ax)
        panel_title(ax, name.replace("_vs_", " vs ").replace("_", " "), "filled: p < 0.05")
    if title:
        figure.suptitle(title, fontsize=11)
    return figure
