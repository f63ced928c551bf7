"""Reports: the figures (and, later, documents) a lab meeting or a paper uses.

`resistlab.report.figures` draws dose-response curves and plate heat maps
as matplotlib figures, without pyplot, so they render headless.
"""

from __future__ import annotations

from resistlab.report.figures import (
    FoldLike,
    plot_curve,
    plot_curve_grid,
    plot_overlay,
    plot_plate_heatmap,
    save_figure,
)

__all__ = [
    "FoldLike",
    "plot_curve",
    "plot_curve_grid",
    "plot_overlay",
    "plot_plate_heatmap",
    "save_figure",
]
