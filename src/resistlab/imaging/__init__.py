"""Imaging analyses: Western blot and phospho-RTK array densitometry.

`normalize_bands` (to the lane's loading control, phospho to total),
`compare_conditions` (log2 fold changes with replicate statistics) and
`rtk_array_fold_changes` (membranes normalised to their reference spots) take
the tidy band table of `resistlab.io.read_densitometry` and give results
whose ``to_evidence()`` rows feed mechanism inference.
"""

from resistlab.imaging.densitometry import (
    DENSITOMETRY_EVIDENCE_COLUMNS,
    NORMALIZED_COLUMNS,
    DensitometryComparison,
    RtkArrayFoldChanges,
    canonical_target,
    compare_conditions,
    normalize_bands,
    phospho_pairs,
    rtk_array_fold_changes,
)

__all__ = [
    "DENSITOMETRY_EVIDENCE_COLUMNS",
    "NORMALIZED_COLUMNS",
    "DensitometryComparison",
    "RtkArrayFoldChanges",
    "canonical_target",
    "compare_conditions",
    "normalize_bands",
    "phospho_pairs",
    "rtk_array_fold_changes",
]
