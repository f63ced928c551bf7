"""Drug combinations: dose matrices, reference models and synergy scores (pure)."""

from __future__ import annotations

from resistlab.synergy.ci import CombinationIndex, combination_index, median_effect_dose
from resistlab.synergy.data import DoseMatrices, matrices_from_frame
from resistlab.synergy.models import SynergyScores, bliss, hsa, loewe, loewe_expectation, zip_score
from resistlab.synergy.musyc import MuSyCFit, fit_musyc, musyc_surface

__all__ = [
    "CombinationIndex",
    "DoseMatrices",
    "MuSyCFit",
    "SynergyScores",
    "bliss",
    "combination_index",
    "fit_musyc",
    "hsa",
    "loewe",
    "loewe_expectation",
    "matrices_from_frame",
    "median_effect_dose",
    "musyc_surface",
    "zip_score",
]
