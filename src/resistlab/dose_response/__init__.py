"""Dose-response analysis: batch log-logistic fits, ICx with confidence, comparisons.

Pure functions over arrays and DataFrames; no files, no printing.
"""

from __future__ import annotations

from resistlab.dose_response._model import (
    log_logistic,
    log_logistic_area,
    log_logistic_inverse,
)
from resistlab.dose_response.bootstrap import BootstrapIntervals, bootstrap_effective_dose
from resistlab.dose_response.compare import (
    CurveComparison,
    FoldResistance,
    compare_curves,
    fold_resistance,
)
from resistlab.dose_response.fit import (
    FLAG_REASONS,
    CurveFits,
    EffectiveDose,
    fit_curves,
    fit_hill,
)
from resistlab.dose_response.gr import GRMetrics, gr_metrics, gr_values
from resistlab.dose_response.table import CurveTable, curves_from_frame, fit_frame

__all__ = [
    "FLAG_REASONS",
    "BootstrapIntervals",
    "CurveComparison",
    "CurveFits",
    "CurveTable",
    "EffectiveDose",
    "FoldResistance",
    "GRMetrics",
    "bootstrap_effective_dose",
    "compare_curves",
    "curves_from_frame",
    "fit_curves",
    "fit_frame",
    "fit_hill",
    "fold_resistance",
    "gr_metrics",
    "gr_values",
    "log_logistic",
    "log_logistic_area",
    "log_logistic_inverse",
]
