"""The logarithmic dose axis, with vehicle wells left of a break (private).

GraphPad Prism draws dose 0 (vehicle) on a log axis by moving it to a
position left of the lowest dose and breaking the axis in between.  This
module does the same on one matplotlib `Axes`: it fixes the x limits, places
decade ticks labelled in molar units (``1 nM``, ``10 µM``) or in a given
unit, labels the vehicle position ``0`` and draws the broken spine.

Curves drawn one after another on the same axes (an overlay) widen the axis
to cover all of them; vehicle points already drawn move with it.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import NullFormatter

from resistlab.errors import UnitError
from resistlab.units import format_molar, unit_factor

#: Decades (log10 units) that the vehicle position lies left of the lowest dose.
_VEHICLE_OFFSET = (0.7, 1.1)
#: Slanted stroke drawn across the spine at each end of the break.
_BREAK_MARK = [(-0.5, -1.0), (0.5, 1.0)]


@dataclass(frozen=True)
class DoseScale:
    """How doses are labelled: molar (formatted nM/µM) or a plain unit.

    Attributes
    ----------
    unit : str
        The unit the doses are in, as given.
    to_molar : float or None
        Factor to molar when `unit` is a molar concentration unit, else None.
    """

    unit: str
    to_molar: float | None

    def format(self, dose: float) -> str:
        """Return ``'12.3 nM'`` (molar) or ``'12.3 µg/mL'`` for one dose."""
        if self.to_molar is not None:
            return format_molar(dose * self.to_molar)
        return f"{dose:.3g} {self.unit}".rstrip()

    def tick_label(self, dose: float) -> str:
        """Return a tick label: ``'10 nM'`` when molar, else the bare number (unit on the axis)."""
        if self.to_molar is not None:
            return format_molar(dose * self.to_molar)
        return f"{dose:.3g}"

    def format_range(self, low: float, high: float) -> str:
        """Return ``'8.1–19 nM'``, or ``'800 nM–1.2 µM'`` when the units differ."""
        left, right = self.format(low), self.format(high)
        left_number, _, left_unit = left.partition(" ")
        right_number, _, right_unit = right.partition(" ")
        if left_unit == right_unit:
            return f"{left_number}–{right_number} {right_unit}".rstrip()
        return f"{left}–{right}"

    @property
    def axis_label(self) -> str:
        """Label of the dose axis."""
        if self.to_molar is not None:
            return "Concentration"
        return f"Dose ({self.unit})" if self.unit else "Dose"


def dose_scale(dose_unit: str) -> DoseScale:
    """Return the `DoseScale` for `dose_unit`: molar units are recognised, others kept.

    Examples
    --------
    >>> dose_scale("M").format(2.5e-8), dose_scale("nM").format(25.0)
    ('25 nM', '25 nM')
    >>> dose_scale("µg/mL").format(0.5)
    '0.5 µg/mL'
    """
    try:
        factor: float | None = unit_factor(dose_unit)
    except UnitError:
        factor = None
    return DoseScale(unit=str(dose_unit), to_molar=factor)


@dataclass
class DoseAxis:
    """What one axes shows on its dose axis, widened by every curve drawn on it."""

    scale: DoseScale
    low: float
    high: float
    vehicle: bool
    max_labels: int
    vehicle_artists: list[Line2D] = field(default_factory=list)
    furniture: list[Line2D] = field(default_factory=list)

    @property
    def vehicle_x(self) -> float:
        """Position (in dose units) where dose-0 points are drawn."""
        return float(10.0 ** (math.log10(self.low) - self._vehicle_offset))

    @property
    def break_bounds(self) -> tuple[float, float]:
        """Dose positions of the two ends of the axis break."""
        lo = math.log10(self.low)
        offset = self._vehicle_offset
        return 10.0 ** (lo - 0.55 * offset), 10.0 ** (lo - 0.3 * offset)

    @property
    def limits(self) -> tuple[float, float]:
        """The x limits of the axes."""
        lo, hi = math.log10(self.low), math.log10(self.high)
        pad = min(0.3, 0.06 * max(hi - lo, 1.0) + 0.12)
        left = lo - self._vehicle_offset - pad if self.vehicle else lo - pad
        return 10.0**left, 10.0 ** (hi + pad)

    @property
    def _vehicle_offset(self) -> float:
        span = math.log10(self.high) - math.log10(self.low)
        return float(np.clip(0.18 * span, *_VEHICLE_OFFSET))


_AXES: weakref.WeakKeyDictionary[Axes, DoseAxis] = weakref.WeakKeyDictionary()


def dose_axis(
    ax: Axes,
    low: float,
    high: float,
    *,
    vehicle: bool,
    scale: DoseScale,
    max_labels: int = 7,
) -> DoseAxis:
    """Make `ax` a dose axis covering ``[low, high]`` (and any curves already on it).

    Returns the axis state; draw vehicle points at ``state.vehicle_x`` and
    register them with `add_vehicle_artist` so they follow later widening.

    Raises
    ------
    ValueError
        If the range is not positive and finite, or `ax` already shows doses
        in another unit.
    """
    if not (np.isfinite(low) and np.isfinite(high) and 0 < low <= high):
        msg = f"dose range must be positive and finite, got [{low}, {high}]"
        raise ValueError(msg)
    state = _AXES.get(ax)
    if state is None:
        state = DoseAxis(scale, low, high, vehicle, max_labels)
        _AXES[ax] = state
    else:
        if state.scale != scale:
            msg = (
                f"these axes show doses in {state.scale.unit!r}; cannot add a curve "
                f"with doses in {scale.unit!r}"
            )
            raise ValueError(msg)
        state.low = min(state.low, low)
        state.high = max(state.high, high)
        state.vehicle = state.vehicle or vehicle
        state.max_labels = min(state.max_labels, max_labels)
    _apply(ax, state)
    return state


def add_vehicle_artist(ax: Axes, artist: Line2D) -> None:
    """Register vehicle points, so they move when the axis widens."""
    _AXES[ax].vehicle_artists.append(artist)


def _ticks(state: DoseAxis) -> tuple[list[float], list[str], list[float]]:
    """Major tick positions and labels, and minor tick positions."""
    left, right = state.limits
    start = state.break_bounds[1] if state.vehicle else left
    k_lo, k_hi = math.ceil(math.log10(start) - 1e-9), math.floor(math.log10(right) + 1e-9)
    decades = [10.0**k for k in range(k_lo, k_hi + 1)]
    if len(decades) >= 2:
        major = decades
    else:  # less than a decade shown: 1-2-5 steps
        major = [
            m * 10.0**k
            for k in range(k_lo - 1, k_hi + 1)
            for m in (1.0, 2.0, 5.0)
            if start <= m * 10.0**k <= right
        ]
    step = max(1, math.ceil(len(major) / max(state.max_labels, 1)))
    labels = [state.scale.tick_label(x) if i % step == 0 else "" for i, x in enumerate(major)]
    minor = [
        m * 10.0**k
        for k in range(k_lo - 1, k_hi + 1)
        for m in range(2, 10)
        if start <= m * 10.0**k <= right and not any(np.isclose(m * 10.0**k, major))
    ]
    if state.vehicle:
        major.insert(0, state.vehicle_x)
        labels.insert(0, "0")
    return major, labels, minor


def _apply(ax: Axes, state: DoseAxis) -> None:
    """Set scale, limits, ticks and the broken spine of `ax` from `state`."""
    ax.set_xscale("log")
    ax.set_xlim(*state.limits)
    major, labels, minor = _ticks(state)
    ax.set_xticks(major, labels=labels)
    ax.set_xticks(minor, minor=True)
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(state.scale.axis_label)
    vehicle_x = state.vehicle_x
    for artist in state.vehicle_artists:
        artist.set_xdata(np.full(np.size(artist.get_ydata()), vehicle_x))
    if not state.vehicle:
        return
    spine = ax.spines["bottom"]
    spine.set_visible(False)
    left, right = state.limits
    gap_left, gap_right = state.break_bounds
    segments = ([left, gap_left], [gap_right, right])
    if not state.furniture:
        style: dict[str, Any] = {
            "color": spine.get_edgecolor(),
            "linewidth": spine.get_linewidth(),
            "transform": ax.get_xaxis_transform(),
            "clip_on": False,
            "gid": "axis_break",
            "zorder": 2.5,
        }
        for xs in segments:
            (line,) = ax.plot(xs, [0.0, 0.0], solid_capstyle="butt", **style)
            state.furniture.append(line)
        (marks,) = ax.plot(
            [gap_left, gap_right],
            [0.0, 0.0],
            linestyle="none",
            marker=_BREAK_MARK,
            markersize=7,
            markeredgewidth=spine.get_linewidth(),
            **style,
        )
        state.furniture.append(marks)
        ax.set_xlim(*state.limits)
    else:
        state.furniture[0].set_xdata(segments[0])
        state.furniture[1].set_xdata(segments[1])
        state.furniture[2].set_xdata([gap_left, gap_right])
