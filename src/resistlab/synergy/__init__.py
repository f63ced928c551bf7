"""Drug combinations: dose matrices, reference models and synergy scores (pure)."""

from __future__ import annotations

from resistlab.synergy.ci import CombinationIndex, combination_index, median_effect_dose
from resistlab.synergy.data import DoseMatrices, matrices_from_frame
from resistlab.synergy.models import SynergyScores, bliss, hsa, loewe, loewe_expectation, zip_score
from resistlab.synergy.musyc import MuSyCFit, fit_musyc, musyc_surface
from resistlab.synergy.qc import (
    BaselineWarning,
    combination_qc,
    correct_baseline,
    flag_outliers,
    single_agent_warnings,
)

__all__ = [
    "BaselineWarning",
    "CombinationIndex",
    "DoseMatrices",
    "MuSyCFit",
    "SynergyScores",
    "bliss",
    "combination_index",
    "combination_qc",
    "correct_baseline",
    "fit_musyc",
    "flag_outliers",
    "hsa",
    "loewe",
    "loewe_expectation",
    "matrices_from_frame",
    "median_effect_dose",
    "musyc_surface",
    "single_agent_warnings",
    "zip_score",
]
