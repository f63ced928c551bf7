"""Colours, markers, text sizes and axes set-up shared by the figures (private).

The line colours are the Okabe-Ito palette (Okabe & Ito 2008, "Color
Universal Design"), distinguishable with every common colour-vision
deficiency; markers differ as well, so curves stay apart in greyscale print.

The helpers at the end build and dress axes the same way in every figure
module: a new constrained-layout figure or the one holding given axes, the
bold left title with its grey subtitle, open top and right spines, and
colour bars without an outline.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colorbar import Colorbar
from matplotlib.figure import Figure

#: Okabe-Ito colours by name.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

#: Order in which curves take colours: parental blue, resistant vermillion, ...
#: (yellow last: it is faint on white).
LINE_COLORS: tuple[str, ...] = (
    OKABE_ITO["blue"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["bluish_green"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["orange"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["black"],
    OKABE_ITO["yellow"],
)

#: Markers in the same order as `LINE_COLORS`.
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X", "h")

#: Sequential colour map of the plate heat maps (perceptually uniform, CVD-safe).
HEATMAP_CMAP = "viridis"

#: Colour of text that reports a problem (curve flags, QC findings).
WARNING_COLOR = "#A33D00"  # a darker vermillion, readable as small text

#: Grey of secondary text and axis furniture.
MUTED = "0.35"


def short_flag(flag: str) -> str:
    """Shorten a `CurveFits` flag to its headlines, for small panels.

    Each ``"; "``-separated reason is cut at its first colon or parenthesis.

    Examples
    --------
    >>> short_flag("flat: no significant dose effect (F test p > 0.05); ic50 > top dose (50 %)")
    'flat; ic50 > top dose'
    """
    heads = []
    for reason in flag.split("; "):
        head = reason.split(":", 1)[0].split(" (", 1)[0].strip()
        if head:
            heads.append(head)
    return "; ".join(heads)


def wrap(text: str, width: int) -> str:
    """Wrap `text` to lines of at most `width` characters (long words kept whole)."""
    return "\n".join(
        textwrap.fill(part, width, break_long_words=False) for part in text.split("\n")
    )


def new_axes(figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """Make a constrained-layout figure of `figsize` inches with one axes.

    Parameters
    ----------
    figsize : (float, float)
        Width and height in inches.

    Returns
    -------
    (Figure, Axes)
        The new figure and its only axes.

    Examples
    --------
    >>> figure, ax = new_axes((4.0, 3.0))
    >>> figure.get_size_inches().tolist(), figure.axes == [ax]
    ([4.0, 3.0], True)
    """
    figure = Figure(figsize=figsize, layout="constrained")
    return figure, figure.add_subplot()


def root_figure(ax: Axes) -> Figure:
    """Return the top-level figure holding `ax`.

    Parameters
    ----------
    ax : Axes
        Axes of a matplotlib figure (possibly of one of its subfigures).

    Returns
    -------
    Figure

    Raises
    ------
    TypeError
        If `ax` belongs to no figure.
    """
    figure = ax.get_figure(root=True)
    if not isinstance(figure, Figure):
        msg = "ax must belong to a matplotlib Figure"
        raise TypeError(msg)
    return figure


def figure_and_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """Return the figure of `ax` and `ax`, or a new figure of `figsize` when `ax` is None.

    Parameters
    ----------
    ax : Axes or None
        Axes to draw on, or None for a new figure.
    figsize : (float, float)
        Size in inches of a new figure (ignored when `ax` is given).

    Returns
    -------
    (Figure, Axes)

    Examples
    --------
    >>> figure, ax = figure_and_axes(None, (4.0, 3.0))
    >>> figure_and_axes(ax, (9.0, 9.0)) == (figure, ax)
    True
    """
    if ax is None:
        return new_axes(figsize)
    return root_figure(ax), ax


def panel_title(ax: Axes, title: str, subtitle: str | Sequence[str] = ()) -> None:
    """Write a bold title at the left of `ax`, with grey subtitle lines under it.

    Parameters
    ----------
    ax : Axes
        The panel.
    title : str
        The heading.
    subtitle : str or sequence of str
        One line (a string; empty for none) or several lines between the
        title and the axes, as an annotation with ``gid="subtitle"``.

    Examples
    --------
    >>> _, ax = new_axes((4.0, 3.0))
    >>> panel_title(ax, "Volcano plot", "12 up, 3 down")
    >>> ax.get_title(loc="left"), [t.get_text() for t in ax.texts]
    ('Volcano plot', ['12 up, 3 down'])
    """
    if isinstance(subtitle, str):
        lines: Sequence[str] = [subtitle] if subtitle else []
    else:
        lines = subtitle
    ax.set_title(title, loc="left", fontsize=10.5, fontweight="bold", pad=6 + 11 * len(lines))
    if lines:
        ax.annotate(
            "\n".join(lines),
            (0.0, 1.0),
            xycoords="axes fraction",
            xytext=(0, 4),
            textcoords="offset points",
            ha="left",
            va="bottom",
            fontsize=8,
            color=MUTED,
            gid="subtitle",
        )


def despine(ax: Axes, labelsize: float = 8.0) -> None:
    """Hide the top and right spines of `ax` and size its tick labels.

    Parameters
    ----------
    ax : Axes
        The panel.
    labelsize : float
        Font size of the tick labels, in points.
    """
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=labelsize)


def add_colorbar(figure: Figure, mappable: ScalarMappable, label: str, **options: Any) -> Colorbar:
    """Add a colour bar with a small label and tick labels and no outline.

    Parameters
    ----------
    figure : Figure
        The figure to add it to.
    mappable : ScalarMappable
        What the bar explains (an image, a scatter, a filled contour).
    label : str
        The bar's label (8 pt; ticks are 7 pt).
    **options
        Passed to `Figure.colorbar` (``ax``, ``cax``, ``shrink``, ...).

    Returns
    -------
    Colorbar
    """
    colorbar = figure.colorbar(mappable, **options)
    colorbar.set_label(label, fontsize=8)
    colorbar.ax.tick_params(labelsize=7)
    colorbar.outline.set_visible(False)
    return colorbar
