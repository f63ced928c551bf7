"""The plots a bench scientist looks at: dose-response curves and plate heat maps.

Every function takes data and result objects and returns a matplotlib
`~matplotlib.figure.Figure`; nothing is shown or saved as a side effect
(`save_figure` writes one atomically).  Figures are built with the
object-oriented API, without pyplot, so they render on any backend,
headless servers included.

* `plot_curve` - one fitted curve: replicate points, vehicle left of an axis
  break, the fit over the tested range, its 95 % confidence band, IC50 with
  its confidence interval, and the fit's flag.
* `plot_overlay` - parental and resistant lines on one axis, with the fold
  resistance in the title.
* `plot_curve_grid` - small multiples, a plate's worth of curves.
* `plot_plate_heatmap` - raw or normalised values on the plate layout, with
  controls outlined, flagged reads hatched and QC findings circled.

Colours are the Okabe-Ito palette (safe for colour-vision deficiencies) with
distinct markers per line; heat maps use viridis.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from numpy.typing import ArrayLike

from resistlab._atomic import atomic_path
from resistlab.dose_response import CurveFits, EffectiveDose, log_logistic
from resistlab.report import _curves, _plate
from resistlab.report._curves import named
from resistlab.report._dose_axis import DoseScale, add_vehicle_artist, dose_axis, dose_scale
from resistlab.report._heatmap import cell_size, draw_plate, legend_handles
from resistlab.report._style import (
    HEATMAP_CMAP,
    LINE_COLORS,
    MARKERS,
    WARNING_COLOR,
    add_colorbar,
    despine,
    figure_and_axes,
    short_flag,
    wrap,
)

__all__ = [
    "FoldLike",
    "plot_curve",
    "plot_curve_grid",
    "plot_overlay",
    "plot_plate_heatmap",
    "save_figure",
]

#: Points along a fitted curve.
_CURVE_POINTS = 256
#: File formats `save_figure` writes, by suffix.
_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
#: Background of text written over data: readable, without hiding the points.
_TEXT_BOX = {"facecolor": "white", "alpha": 0.75, "edgecolor": "none", "pad": 1.0}

ICKind = Literal["absolute", "relative"]


class FoldLike(Protocol):
    """A fold-resistance estimate: ``fold`` with confidence limits (and a censor)."""

    @property
    def fold(self) -> Any:
        """The fold change (resistant IC50 / parental IC50)."""

    @property
    def lower(self) -> Any:
        """Lower confidence limit."""

    @property
    def upper(self) -> Any:
        """Upper confidence limit."""


@dataclass(frozen=True)
class _Style:
    """Sizes of one kind of panel (full-size or a small multiple)."""

    marker_size: float = 5.5
    line_width: float = 1.8
    font_size: float = 9.0
    small_font: float = 7.5
    max_labels: int = 7
    flag_width: int = 60


_FULL = _Style()
_COMPACT = _Style(
    marker_size=3.2, line_width=1.3, font_size=7.0, small_font=6.0, max_labels=4, flag_width=34
)


@dataclass(frozen=True)
class _Drawn:
    """What `_draw_curve` reports back for legends and annotations."""

    ic50_text: str
    censor: str
    flag: str
    falling: bool


# --------------------------------------------------------------------------- curves


def _tidy_axes(ax: Axes, style: _Style) -> None:
    despine(ax, labelsize=style.font_size - 0.5)
    ax.xaxis.label.set_fontsize(style.font_size)
    ax.yaxis.label.set_fontsize(style.font_size)


def _control(fits: CurveFits) -> np.ndarray:
    """Control response of each curve (a scalar in older `CurveFits`), shape (N,)."""
    return np.broadcast_to(np.asarray(fits.control_response, dtype=float), (len(fits),))


def _response_label(controls: Iterable[float], response_label: str | None) -> str:
    if response_label is not None:
        return response_label
    if all(control == 100.0 for control in controls):
        return "Response (% of control)"
    return "Response"


def _ic50_name(kind: str) -> str:
    return "IC50" if kind == "absolute" else "relative IC50"


def _check_options(kind: str, confidence: float) -> None:
    if kind not in ("absolute", "relative"):
        msg = f"ic50_kind must be 'absolute' or 'relative', got {kind!r}"
        raise ValueError(msg)
    if not 0.0 < confidence < 1.0:
        msg = f"confidence must be a coverage strictly between 0 and 1, got {confidence}"
        raise ValueError(msg)


def _draw_curve(
    ax: Axes,
    fits: CurveFits,
    index: int,
    doses: ArrayLike,
    responses: ArrayLike,
    *,
    color: str,
    marker: str,
    label: str | None,
    band: bool,
    show_ic50: bool,
    scale: DoseScale,
    confidence: float,
    ic50_kind: ICKind,
    effective: EffectiveDose | None,
    style: _Style,
) -> _Drawn:
    """Draw one curve's points, fit, band and IC50 on `ax` (no annotations)."""
    i = _curves.curve_index(fits, index)
    x, y = _curves.curve_data(doses, responses, i)
    positive = x > 0
    if not positive.any() and not np.isfinite(fits.dose_min[i]):
        msg = f"curve {i} has no positive dose to draw"
        raise ValueError(msg)
    low = float(fits.dose_min[i]) if np.isfinite(fits.dose_min[i]) else float(x[positive].min())
    high = float(fits.dose_max[i]) if np.isfinite(fits.dose_max[i]) else float(x[positive].max())
    if positive.any():
        low, high = min(low, float(x[positive].min())), max(high, float(x[positive].max()))
    state = dose_axis(
        ax, low, high, vehicle=bool((~positive).any()), scale=scale, max_labels=style.max_labels
    )
    _tidy_axes(ax, style)
    point_style: dict[str, Any] = {
        "linestyle": "none",
        "marker": marker,
        "markersize": style.marker_size,
        "markerfacecolor": color,
        "markeredgecolor": "white",
        "markeredgewidth": 0.5,
        "alpha": 0.85,
        "zorder": 3,
    }
    ax.plot(x[positive], y[positive], gid="points", **point_style)
    if (~positive).any():
        (vehicle_points,) = ax.plot(
            np.full(int((~positive).sum()), state.vehicle_x),
            y[~positive],
            gid="vehicle",
            clip_on=False,
            **point_style,
        )
        add_vehicle_artist(ax, vehicle_points)

    params = _curves.parameters(fits, i)
    curve_low, curve_high = float(fits.dose_min[i]), float(fits.dose_max[i])
    fitted = np.all(np.isfinite(params)) and np.isfinite(curve_low) and np.isfinite(curve_high)
    if fitted:
        xs = np.geomspace(curve_low, curve_high, _CURVE_POINTS)
        ax.plot(
            xs,
            log_logistic(xs, **named(params)),
            color=color,
            linewidth=style.line_width,
            label=label if label is not None else "_nolegend_",
            gid="fit",
            zorder=2,
        )
        limits = _curves.mean_response_band(fits, i, xs, confidence=confidence) if band else None
        if limits is not None:
            # the polygon runs along the lower limit and back along the upper one; it
            # does not take part in autoscaling, so a wild band cannot squash the data
            outline = np.concatenate(
                [np.column_stack([xs, limits[1]]), np.column_stack([xs[::-1], limits[2][::-1]])]
            )
            polygon = PolyCollection(
                [outline], facecolor=color, alpha=0.18, linewidth=0, gid="band", zorder=1
            )
            ax.add_collection(polygon, autolim=False)

    flag = fits.flags[i] if i < len(fits.flags) else ""
    # annotations go in the corners a falling curve leaves empty, unless the curve
    # clearly rises over the tested range (a flat one keeps the default layout)
    change = log_logistic(np.array([curve_low, curve_high]), **named(params))
    falling = not (change[1] - change[0] > 0.1 * abs(float(_control(fits)[i])))
    if not show_ic50:
        return _Drawn("", "", flag, falling)
    if effective is None:
        effective = fits.effective_dose(50.0, kind=ic50_kind, confidence=confidence)
    estimate, lower, upper = (
        float(effective.estimate[i]),
        float(effective.lower[i]),
        float(effective.upper[i]),
    )
    censor = str(effective.censor[i])
    name = _ic50_name(ic50_kind)
    if ic50_kind == "absolute":
        target = float(_control(fits)[i]) * 0.5
    else:
        target = float(log_logistic(estimate, **named(params)))
    marker_style: dict[str, Any] = {
        "color": color,
        "markersize": style.marker_size + 1.5,
        "markerfacecolor": "white",
        "markeredgecolor": color,
        "markeredgewidth": 1.6,
        "linestyle": "none",
        "zorder": 5,
        "gid": "ic50",
        "clip_on": False,
    }
    if not np.isfinite(estimate):
        return _Drawn(f"{name} not estimated", censor, flag, falling)
    if censor in (">", "<"):
        ax.plot([estimate], [target], marker=censor, **marker_style)
        edge = "top dose" if censor == ">" else "lowest dose"
        text = f"{name} {censor} {scale.format(estimate)} ({edge})"
        return _Drawn(text, censor, flag, falling)
    if np.isfinite(lower) and np.isfinite(upper):
        # the bar stays in the dose range shown; an arrow head marks a limit beyond it
        shown_low = state.break_bounds[1] if state.vehicle else state.limits[0]
        shown_high = state.limits[1]
        left, right = max(lower, shown_low), min(upper, shown_high)
        bar: dict[str, Any] = {"color": color, "zorder": 4, "clip_on": False}
        ax.plot(
            [left, right],
            [target, target],
            linewidth=style.line_width * 0.9,
            solid_capstyle="butt",
            gid="ic50_ci",
            **bar,
        )
        for end, clipped, arrow in ((left, left > lower, "<"), (right, right < upper, ">")):
            ax.plot(
                [end],
                [target],
                linestyle="none",
                marker=arrow if clipped else "|",
                markersize=(style.marker_size - 1.0) if clipped else (style.marker_size + 1.5),
                markeredgewidth=style.line_width * 0.9,
                gid="ic50_ci_end",
                **bar,
            )
        interval = f" ({confidence * 100:g} % CI {scale.format_range(lower, upper)})"
    else:
        interval = " (CI undefined)"
    ax.plot([estimate], [target], marker="D", **marker_style)
    return _Drawn(f"{name} {scale.format(estimate)}{interval}", censor, flag, falling)


def _annotate(ax: Axes, drawn: _Drawn, style: _Style) -> None:
    """Write the IC50 and the flag in the empty corners of a single-curve panel."""
    # a falling curve leaves the top right and bottom left empty; a rising one the others
    right = 0.98 if drawn.falling else 0.02
    align = "right" if drawn.falling else "left"
    if drawn.ic50_text:
        text = drawn.ic50_text
        if style is _COMPACT:
            text = text.replace(" (", "\n(", 1)
        ax.text(
            right,
            0.98,
            text,
            transform=ax.transAxes,
            ha=align,
            va="top",
            fontsize=style.small_font,
            color="black",
            gid="ic50_censored" if drawn.censor else "ic50_text",
            zorder=6,
            bbox=_TEXT_BOX,
        )
    if drawn.flag:
        flag = short_flag(drawn.flag) if style is _COMPACT else drawn.flag
        ax.text(
            1.0 - right,
            0.02,
            wrap(f"flag: {flag}", style.flag_width),
            transform=ax.transAxes,
            ha="left" if drawn.falling else "right",
            va="bottom",
            fontsize=style.small_font,
            color=WARNING_COLOR,
            gid="flag",
            zorder=6,
            linespacing=1.1,
            bbox=_TEXT_BOX,
        )


def plot_curve(
    fits: CurveFits,
    doses: ArrayLike,
    responses: ArrayLike,
    *,
    index: int = 0,
    ax: Axes | None = None,
    label: str | None = None,
    band: bool = True,
    show_ic50: bool = True,
    dose_unit: str = "M",
    response_label: str | None = None,
    confidence: float = 0.95,
    ic50_kind: ICKind = "absolute",
    color: str | None = None,
) -> Figure:
    """Plot one fitted dose-response curve with its data, confidence band and IC50.

    Replicates are drawn as individual points.  Vehicle (dose 0) points sit at
    ``0`` left of a break in the log dose axis, as GraphPad Prism draws them.
    The fit is drawn over the tested range only, with a pointwise confidence
    band for the fitted mean response (delta method: the response's gradient
    with respect to (hill_slope, bottom, top, ec50) and their covariance, with
    the t quantile on the residual degrees of freedom).  The IC50 is a
    diamond with its confidence interval as a horizontal bar; a censored IC50
    is a tick at the dose-range edge and the text ``IC50 > <top dose>``.  The
    curve's flag, if any, is written in small text.

    Parameters
    ----------
    fits : CurveFits
        Fitted curves, from `resistlab.dose_response.fit_curves`.
    doses, responses : array_like of shape (M,) or (N, M)
        The curve's points, or the whole batch given to `fit_curves` (row
        `index` is then drawn).  NaN points are skipped.
    index : int
        Which curve of `fits` to draw (default: the first).
    ax : Axes, optional
        Draw on these axes (e.g. a panel of a larger figure).  Curves drawn
        one after another on the same axes share a widened dose axis.
    label : str, optional
        Name of the curve: legend entry of the fitted line and, on a new
        figure, the title.
    band : bool
        Draw the confidence band of the fitted mean response.
    show_ic50 : bool
        Draw the IC50 marker, its interval and its value.
    dose_unit : str
        Unit of `doses`.  Molar units (``"M"``, ``"nM"``, ``"µM"``, ...) are
        labelled like ``10 nM`` / ``1 µM``; any other string (``"µg/mL"``)
        is used as the axis label with plain numbers.
    response_label : str, optional
        Y-axis label; by default ``"Response (% of control)"`` when the
        control response is 100, else ``"Response"``.
    confidence : float
        Coverage of the band and of the IC50 interval.
    ic50_kind : {"absolute", "relative"}
        Absolute IC50 (the response crosses 50 % of control; the bench
        meaning) or relative (half-way between the fitted asymptotes).
    color : str, optional
        Colour of the curve; Okabe-Ito blue by default.

    Returns
    -------
    Figure
        The figure holding `ax` (a new one when `ax` is None).

    Raises
    ------
    IndexError
        If `index` is outside the fitted curves.
    ValueError
        If the data shapes do not match, a dose is negative, or `ax` already
        shows doses in another unit.

    Examples
    --------
    >>> from resistlab.dose_response import fit_curves
    >>> doses = np.repeat([0, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5], 2)
    >>> responses = [101, 99, 98, 97, 90, 88, 52, 49, 12, 14, 5, 6]
    >>> fig = plot_curve(fit_curves(doses, responses), doses, responses, index=0)
    >>> fig.axes[0].get_xlabel()
    'Concentration'
    """
    _check_options(ic50_kind, confidence)
    new = ax is None
    figure, ax = figure_and_axes(ax, (5.2, 3.8))
    drawn = _draw_curve(
        ax,
        fits,
        index,
        doses,
        responses,
        color=color or LINE_COLORS[0],
        marker=MARKERS[0],
        label=label,
        band=band,
        show_ic50=show_ic50,
        scale=dose_scale(dose_unit),
        confidence=confidence,
        ic50_kind=ic50_kind,
        effective=None,
        style=_FULL,
    )
    _annotate(ax, drawn, _FULL)
    ax.set_ylabel(
        _response_label(_control(fits)[[_curves.curve_index(fits, index)]], response_label)
    )
    if new and label is not None:
        ax.set_title(label, fontsize=_FULL.font_size + 1)
    return figure


# --------------------------------------------------------------------------- overlay


def _scalar(value: Any, name: str) -> float:
    array = np.asarray(value, dtype=float).ravel()
    if array.size != 1:
        msg = f"fold {name} must be a single number, got {array.size} values"
        raise ValueError(msg)
    return float(array[0])


def _fold_text(fold: float | Sequence[float] | FoldLike, confidence: float) -> str:
    """Format a fold resistance for the title, e.g. ``'Fold resistance 8.3× (95 % CI 5.1–13)'``.

    Examples
    --------
    >>> _fold_text(8.31, 0.95)
    'Fold resistance 8.31×'
    >>> _fold_text((8.31, 5.12, 13.4), 0.95)
    'Fold resistance 8.31× (95 % CI 5.12–13.4)'
    """
    censor = ""
    if hasattr(fold, "fold"):
        value = _scalar(fold.fold, "value")
        lower = _scalar(getattr(fold, "lower", np.nan), "lower limit")
        upper = _scalar(getattr(fold, "upper", np.nan), "upper limit")
        raw = getattr(fold, "censor", "")
        raw = np.asarray(raw, dtype=object).ravel()
        censor = str(raw[0]) if raw.size else ""
        confidence = float(getattr(fold, "confidence", confidence))
    elif isinstance(fold, Sequence) and not isinstance(fold, str):
        if len(fold) != 3:
            msg = f"fold must be a number, (fold, lower, upper) or an object; got {fold!r}"
            raise ValueError(msg)
        value, lower, upper = (_scalar(v, "value") for v in fold)
    else:
        value, lower, upper = _scalar(fold, "value"), np.nan, np.nan
    censor = censor.strip() if censor in (">", "<", ">=", "<=") else ""
    text = f"Fold resistance {censor + ' ' if censor else ''}{value:.3g}×"
    if censor:
        return text + " (an IC50 is censored)"
    if np.isfinite(lower) and np.isfinite(upper):
        text += f" ({confidence * 100:g} % CI {lower:.3g}–{upper:.3g})"
    return text


def plot_overlay(
    fits_by_line: Mapping[str, tuple[CurveFits, int, ArrayLike, ArrayLike]],
    *,
    fold: float | Sequence[float] | FoldLike | None = None,
    ax: Axes | None = None,
    band: bool = True,
    dose_unit: str = "M",
    response_label: str | None = None,
    confidence: float = 0.95,
    ic50_kind: ICKind = "absolute",
) -> Figure:
    """Plot two or more cell lines' curves on one axis, e.g. parental vs resistant.

    Each line gets its own colour and marker (Okabe-Ito, in mapping order),
    its points, fit, band and IC50 marker with interval; the legend names the
    line with its IC50.  When `fold` is given the title states the fold
    resistance with its confidence interval.

    Parameters
    ----------
    fits_by_line : mapping of str to (CurveFits, int, doses, responses)
        Per cell line (in drawing order, parental first): the fits, the index
        of its curve and its data, as `plot_curve` takes them.
    fold : float, (fold, lower, upper) or object, optional
        Fold resistance.  An object needs ``fold``, ``lower``, ``upper`` and
        may have ``censor`` (``">"``: a lower bound, an IC50 was censored) and
        ``confidence``.
    ax : Axes, optional
        Draw on these axes instead of a new figure.
    band, dose_unit, response_label, confidence, ic50_kind
        As for `plot_curve`.

    Returns
    -------
    Figure

    Raises
    ------
    ValueError
        If `fits_by_line` is empty or `fold` is not understood.

    Examples
    --------
    >>> from resistlab.dose_response import fit_curves
    >>> doses = np.array([1e-9, 1e-8, 1e-7, 1e-6, 1e-5])
    >>> fits = fit_curves(doses, [[98, 90, 50, 10, 4], [99, 97, 90, 50, 9]])
    >>> fig = plot_overlay(
    ...     {"parental": (fits, 0, doses, fits.predict(doses)[0]),
    ...      "resistant": (fits, 1, doses, fits.predict(doses)[1])},
    ...     fold=(10.2, 7.9, 13.1),
    ... )
    >>> fig.axes[0].get_title()
    'Fold resistance 10.2× (95 % CI 7.9–13.1)'
    """
    _check_options(ic50_kind, confidence)
    if not fits_by_line:
        msg = "fits_by_line is empty; give at least one cell line"
        raise ValueError(msg)
    figure, ax = figure_and_axes(ax, (5.8, 4.2))
    scale = dose_scale(dose_unit)
    handles = []
    controls: list[float] = []
    for k, (name, entry) in enumerate(fits_by_line.items()):
        try:
            fits, index, doses, responses = entry
        except (TypeError, ValueError) as err:
            msg = f"fits_by_line[{name!r}] must be (CurveFits, index, doses, responses)"
            raise TypeError(msg) from err
        controls.append(float(_control(fits)[_curves.curve_index(fits, index)]))
        color, marker = LINE_COLORS[k % len(LINE_COLORS)], MARKERS[k % len(MARKERS)]
        drawn = _draw_curve(
            ax,
            fits,
            index,
            doses,
            responses,
            color=color,
            marker=marker,
            label=None,
            band=band,
            show_ic50=True,
            scale=scale,
            confidence=confidence,
            ic50_kind=ic50_kind,
            effective=None,
            style=_FULL,
        )
        text = f"{name}: {drawn.ic50_text}"
        if drawn.flag:
            text += f"\n  flag: {short_flag(drawn.flag)}"
        handles.append(
            Line2D(
                [],
                [],
                color=color,
                marker=marker,
                markersize=_FULL.marker_size,
                markeredgecolor="white",
                linewidth=_FULL.line_width,
                label=text,
            )
        )
    ax.set_ylabel(_response_label(controls, response_label))
    legend = ax.legend(
        handles=handles,
        loc="best",
        fontsize=_FULL.small_font,
        framealpha=0.85,
        edgecolor="none",
        handlelength=2.2,
    )
    legend.set_zorder(7)
    if fold is not None:
        ax.set_title(_fold_text(fold, confidence), fontsize=_FULL.font_size + 1)
    return figure


# --------------------------------------------------------------------------- grid


def plot_curve_grid(
    fits: CurveFits,
    doses: ArrayLike,
    responses: ArrayLike,
    *,
    labels: Sequence[str],
    ncols: int = 4,
    band: bool = True,
    show_ic50: bool = True,
    dose_unit: str = "M",
    response_label: str | None = None,
    confidence: float = 0.95,
    ic50_kind: ICKind = "absolute",
) -> Figure:
    """Plot many fitted curves as small multiples, one panel per curve.

    Each panel is a compact `plot_curve`: points, fit, band, IC50 (value in
    the corner) and the headline of the curve's flag.  Panels share the
    response axis, so curves compare at a glance.

    Parameters
    ----------
    fits : CurveFits
        N fitted curves.
    doses, responses : array_like of shape (N, M), or doses of shape (M,)
        The batch given to `fit_curves`.
    labels : sequence of str, length N
        Panel titles (e.g. drug, cell line or well range).
    ncols : int
        Panels per row.
    band, show_ic50, dose_unit, response_label, confidence, ic50_kind
        As for `plot_curve`.

    Returns
    -------
    Figure

    Raises
    ------
    ValueError
        If the number of labels differs from the number of curves, or
        `ncols` is not positive.

    Examples
    --------
    >>> from resistlab.dose_response import fit_curves
    >>> doses = np.array([1e-9, 1e-8, 1e-7, 1e-6, 1e-5])
    >>> fits = fit_curves(doses, [[98, 90, 50, 10, 4], [99, 97, 90, 50, 9]])
    >>> fig = plot_curve_grid(fits, doses, fits.predict(doses), labels=["A", "B"], ncols=2)
    >>> [ax.get_title() for ax in fig.axes]
    ['A', 'B']
    """
    _check_options(ic50_kind, confidence)
    n = len(fits)
    if len(labels) != n:
        msg = f"labels has {len(labels)} entries for {n} fitted curves"
        raise ValueError(msg)
    if n == 0:
        msg = "fits holds no curves"
        raise ValueError(msg)
    if ncols < 1:
        msg = f"ncols must be a positive number of panels per row, got {ncols}"
        raise ValueError(msg)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    figure = Figure(figsize=(2.45 * ncols, 2.05 * nrows + 0.2), layout="constrained")
    axes = figure.subplots(nrows, ncols, sharey=True, squeeze=False)
    scale = dose_scale(dose_unit)
    effective = fits.effective_dose(50.0, kind=ic50_kind, confidence=confidence)
    ylabel = _response_label(_control(fits), response_label)
    for k, ax in enumerate(axes.ravel()):
        if k >= n:
            ax.set_visible(False)
            continue
        drawn = _draw_curve(
            ax,
            fits,
            k,
            doses,
            responses,
            color=LINE_COLORS[0],
            marker=MARKERS[0],
            label=None,
            band=band,
            show_ic50=show_ic50,
            scale=scale,
            confidence=confidence,
            ic50_kind=ic50_kind,
            effective=effective,
            style=_COMPACT,
        )
        _annotate(ax, drawn, _COMPACT)
        ax.set_title(str(labels[k]), fontsize=_COMPACT.font_size + 1)
        ax.set_xlabel(scale.axis_label if k + ncols >= n else "")
        ax.set_ylabel(ylabel if k % ncols == 0 else "")
    return figure


# --------------------------------------------------------------------------- plates


def plot_plate_heatmap(
    table: Any,
    *,
    value: str = "value",
    qc_issues: Iterable[Any] | None = None,
    plate_shape: tuple[int, int] | None = None,
    annotate: bool = False,
    ncols: int | None = None,
    cmap: str = HEATMAP_CMAP,
) -> Figure:
    """Plot the plate layout coloured by a value, one panel per plate and read.

    Rows are labelled A, B, … (AA … AF on 1536-well plates) and columns 1, 2, …
    Control wells are outlined (vehicle vermillion, positive control reddish
    purple, blank sky blue, each on a white halo so they show on any colour);
    wells with a non-empty ``read_flag`` are hatched; wells named in
    `qc_issues` are circled in black and listed under the panel.  Wells with
    no value are light grey.  Each panel has its own colour bar, as reads
    differ in scale.

    Parameters
    ----------
    table : DataFrame
        The tidy assay table: one row per well and read, with columns
        ``plate``, ``well`` and `value`; ``read``, ``row`` and ``col``
        (0-based; parsed from ``well`` when absent), ``role`` and
        ``read_flag`` are used when present.
    value : str
        Column to colour by, e.g. ``"value"`` (raw) or ``"viability"``.
    qc_issues : iterable, optional
        Findings to circle: ``(plate, well, text)`` tuples, or objects with
        ``plate``, ``wells`` (and ``read``, ``message``) such as
        `resistlab.plates.QCIssue`.  Plates not in `table` are ignored.
    plate_shape : (int, int), optional
        (rows, columns); by default the smallest standard format that holds
        every well of the plate (96, 384 or 1536 wells, or smaller).
    annotate : bool
        Write each well's value in it (readable up to 384 wells).
    ncols : int, optional
        Panels per row; by default 2 for plates up to 384 wells, else 1.
    cmap : str
        Matplotlib colour map; the default viridis is perceptually uniform
        and colour-blind safe.

    Returns
    -------
    Figure

    Raises
    ------
    TypeError
        If `table` is not a DataFrame or an issue is not understood.
    resistlab.errors.InputError
        If columns are missing, a value is not numeric, a well repeats or lies
        outside the plate.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({
    ...     "plate": "P1", "read": "A570", "well": ["A1", "A2", "B1", "H12"],
    ...     "value": [1.2, 1.1, 0.05, 0.6], "read_flag": ["", "", "", "overflow"],
    ...     "role": ["vehicle", "vehicle", "blank", "sample"],
    ... })
    >>> fig = plot_plate_heatmap(table, qc_issues=[("P1", "A2", "outlier")])
    >>> fig.axes[0].get_title(loc="left")
    'P1 · A570'
    """
    panels = _plate.plate_panels(table, value=value, plate_shape=plate_shape)
    if qc_issues is not None:
        _plate.attach_issues(panels, qc_issues)
    shape = max((panel.shape for panel in panels), key=lambda s: s[0] * s[1])
    if ncols is None:
        ncols = 2 if shape[1] <= 24 and len(panels) > 1 else 1
    if ncols < 1:
        msg = f"ncols must be a positive number of panels per row, got {ncols}"
        raise ValueError(msg)
    ncols = min(ncols, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    cell = cell_size(shape)
    most_issues = max(min(len(p.issues), 7) for p in panels)
    panel_width = shape[1] * cell + 1.3
    panel_height = shape[0] * cell + 0.7 + 0.16 * most_issues
    figure = Figure(
        figsize=(ncols * panel_width, nrows * panel_height + 0.45), layout="constrained"
    )
    axes = figure.subplots(nrows, ncols, squeeze=False)
    for k, ax in enumerate(axes.ravel()):
        if k >= len(panels):
            ax.set_visible(False)
            continue
        image = draw_plate(ax, panels[k], cmap=cmap, annotate=annotate)
        add_colorbar(figure, image, value, ax=ax, shrink=0.85, aspect=25, pad=0.02)
    handles = legend_handles(panels)
    if not handles:
        return figure
    figure.legend(
        handles=handles,
        loc="outside lower center",
        ncols=len(handles),
        fontsize=8,
        frameon=False,
        handlelength=1.4,
    )
    return figure


# --------------------------------------------------------------------------- saving


def save_figure(figure: Figure, path: str | os.PathLike[str], *, dpi: float = 200) -> Path:
    """Write `figure` to `path` atomically: to a temporary file, then renamed.

    The format follows the suffix: ``.png``, ``.svg`` or ``.pdf``.  If
    rendering fails, the temporary file is removed and any existing file at
    `path` is left as it was.  SVG and PDF carry no creation date.

    Parameters
    ----------
    figure : Figure
        The figure to write.
    path : str or path-like
        Destination; its folder must exist.
    dpi : float
        Resolution of PNG output.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    ValueError
        If the suffix is not .png, .svg or .pdf.
    FileNotFoundError
        If the folder does not exist.
    """
    target = Path(path)
    fmt = _FORMATS.get(target.suffix.lower())
    if fmt is None:
        msg = f"cannot tell the figure format from {target.name!r}; use a .png, .svg or .pdf suffix"
        raise ValueError(msg)
    if not target.parent.is_dir():
        msg = f"folder {target.parent} does not exist"
        raise FileNotFoundError(msg)
    metadata: dict[str, Any] = {"svg": {"Date": None}, "pdf": {"CreationDate": None}}.get(fmt, {})
    with atomic_path(target) as temporary, open(temporary, "wb") as handle:
        figure.savefig(handle, format=fmt, dpi=dpi, metadata=metadata)
    return target
