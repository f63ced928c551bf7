"""Unit conversion for readers: molar values that print the way they were written."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
from numpy.typing import ArrayLike

from resistlab.units import unit_factor

__all__ = ["molar"]


def molar(values: ArrayLike, unit: str | None, *, context: str = "") -> np.ndarray:
    """Convert concentrations in `unit` to molar by shifting the decimal point.

    ``3.3 * 1e-6`` is ``3.2999999999999997e-06`` in floating point; shifting
    the decimal digits of ``3.3`` gives ``3.3e-06``, so a dose typed as
    "3.3 uM" stays equal to the molar value a person would write.

    Raises
    ------
    UnitError
        If `unit` is missing or unknown (message prefixed by `context`).

    Examples
    --------
    >>> molar([10, 3.3], "uM").tolist()
    [1e-05, 3.3e-06]
    """
    factor = unit_factor(unit, context=context)
    array = np.asarray(values, dtype=float)
    exponent = round(math.log10(factor))
    if 10.0**exponent != factor:
        return array * factor
    flat = [
        float(Decimal(repr(float(x))).scaleb(exponent)) if math.isfinite(x) else float(x)
        for x in array.ravel()
    ]
    return np.array(flat, dtype=float).reshape(array.shape)
