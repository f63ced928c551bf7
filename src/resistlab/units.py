"""Concentration units: molar inside, whatever the lab writes at the edges."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from resistlab.errors import UnitError

__all__ = ["MOLAR_PER_UNIT", "format_molar", "to_molar", "unit_factor"]

#: Multiplier from each accepted unit to molar.
MOLAR_PER_UNIT: dict[str, float] = {
    "M": 1.0,
    "mM": 1e-3,
    "uM": 1e-6,
    "nM": 1e-9,
    "pM": 1e-12,
}

_ALIASES = {
    "m": "M",
    "mol/l": "M",
    "mm": "mM",
    "mmol/l": "mM",
    "um": "uM",
    "µm": "uM",
    "μm": "uM",
    "umol/l": "uM",
    "µmol/l": "uM",
    "micromolar": "uM",
    "nm": "nM",
    "nmol/l": "nM",
    "nanomolar": "nM",
    "pm": "pM",
    "pmol/l": "pM",
    "molar": "M",
    "millimolar": "mM",
    "picomolar": "pM",
}


def unit_factor(unit: str | None, *, context: str = "") -> float:
    """Return the factor that converts a concentration in `unit` to molar.

    Parameters
    ----------
    unit : str
        One of M, mM, uM (also µM, μM), nM, pM, case-insensitive.
    context : str, optional
        Location prefix for the error message (see `resistlab.errors.where`).

    Raises
    ------
    UnitError
        If the unit is missing or not a molar concentration unit.

    Examples
    --------
    >>> unit_factor("µM")
    1e-06
    """
    if unit is None or (isinstance(unit, float) and math.isnan(unit)) or not str(unit).strip():
        msg = f"{context}concentration unit is missing; give one of {', '.join(MOLAR_PER_UNIT)}"
        raise UnitError(msg)
    key = str(unit).strip()
    canonical = key if key in MOLAR_PER_UNIT else _ALIASES.get(key.lower())
    if canonical is None:
        msg = (
            f"{context}unknown concentration unit {key!r}; give one of {', '.join(MOLAR_PER_UNIT)}"
        )
        raise UnitError(msg)
    return MOLAR_PER_UNIT[canonical]


def to_molar(values: ArrayLike, unit: str, *, context: str = "") -> np.ndarray:
    """Convert concentrations in `unit` to molar.

    Examples
    --------
    >>> to_molar([1, 10], "nM")
    array([1.e-09, 1.e-08])
    """
    return np.asarray(values, dtype=float) * unit_factor(unit, context=context)


def format_molar(value: float, digits: int = 3) -> str:
    """Format a molar concentration for display, e.g. ``1.2e-9`` as ``'1.2 nM'``.

    Examples
    --------
    >>> format_molar(1.2e-9)
    '1.2 nM'
    >>> format_molar(2.5e-5)
    '25 µM'
    """
    if not np.isfinite(value):
        return str(value)
    if value == 0:
        return "0 M"
    for unit, label in (("M", "M"), ("mM", "mM"), ("uM", "µM"), ("nM", "nM")):
        if abs(value) >= MOLAR_PER_UNIT[unit]:
            return f"{value / MOLAR_PER_UNIT[unit]:.{digits}g} {label}"
    return f"{value / MOLAR_PER_UNIT['pM']:.{digits}g} pM"
