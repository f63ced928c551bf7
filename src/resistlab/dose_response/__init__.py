"""Dose-response analysis: batch log-logistic fits, ICx with confidence, comparisons.

Pure functions over arrays and DataFrames; no files, no printing.
"""

from __future__ import annotations

from resistlab.dose_response._model import (
    log_logistic,
    log_logistic_area,
    log_logistic_inverse,
)
from resistlab.dose_response.fit import CurveFits, EffectiveDose, fit_curves, fit_hill

__all__ = [
    "CurveFits",
    "EffectiveDose",
    "fit_curves",
    "fit_hill",
    "log_logistic",
    "log_logistic_area",
    "log_logistic_inverse",
]
