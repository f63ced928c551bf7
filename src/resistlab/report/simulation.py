"""Figures of simulated campaigns: strategies compared by Monte Carlo."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from resistlab.campaign.simulate import EnsembleResult

__all__ = ["plot_strategies"]

_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442")


def plot_strategies(result: EnsembleResult) -> Figure:
    """Compare strategies: weeks to target (distribution) and how runs ended.

    Left: each strategy's weeks to target as a box (5th-95th percentile
    whiskers) over the runs that reached it, with the median marked. Right:
    the share of runs that ended done, reversible, lost or timed out.

    Parameters
    ----------
    result : EnsembleResult
        From `resistlab.campaign.simulate.simulate_ensemble`.

    Returns
    -------
    Figure
    """
    runs = result.runs
    names = [s.name for s in result.strategies]
    figure = Figure(figsize=(10.0, 0.6 * len(names) + 2.2), layout="constrained")
    ax_weeks, ax_end = figure.subplots(1, 2, width_ratios=(3.0, 2.0), sharey=True)
    positions = np.arange(len(names))[::-1]
    data = []
    for name in names:
        weeks = runs.loc[runs["strategy"] == name, "weeks_to_target"].to_numpy(float)
        data.append(weeks[np.isfinite(weeks)])
    ax_weeks.boxplot(
        [d if d.size else np.array([np.nan]) for d in data],
        positions=positions,
        orientation="horizontal",
        whis=(5, 95),
        showfliers=False,
        widths=0.5,
        patch_artist=True,
        boxprops={"facecolor": "#DCE9F5", "edgecolor": "#0072B2"},
        medianprops={"color": "#D55E00", "linewidth": 2},
    )
    ax_weeks.set_yticks(positions, labels=names)
    ax_weeks.set_xlabel("weeks to target (runs that reached it)")
    ax_weeks.grid(axis="x", alpha=0.3)
    outcomes = ("done", "reversible", "timeout", "lost")
    left = np.zeros(len(names))
    for colour, outcome in zip(("#009E73", "#E69F00", "#999999", "#D55E00"), outcomes, strict=True):
        share = np.array(
            [float((runs.loc[runs["strategy"] == n, "status"] == outcome).mean()) for n in names]
        )
        ax_end.barh(positions, share, left=left, color=colour, label=outcome, height=0.55)
        left += share
    ax_end.set_xlim(0, 1)
    ax_end.set_xlabel("share of runs")
    ax_end.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize=8, ncols=4, frameon=False
    )
    figure.suptitle(f"Escalation strategies, {result.n_runs} simulated runs each", fontsize=11)
    for ax in (ax_weeks, ax_end):
        ax.spines[["top", "right"]].set_visible(False)
    return figure
