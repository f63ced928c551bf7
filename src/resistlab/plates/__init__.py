"""Processing and quality control of viability plates.

Pure functions over the tidy assay table that `resistlab.io` readers produce
(one row per well and read): no files, no printing.

* `normalize_plate` - blank subtraction and % of vehicle, well by well.
* `plate_qc` - Z'-factor, vehicle CV, signal window, edge effect,
  saturation and out-of-range reads, as a `PlateQC` with `QCIssue` findings.
* `flag_saturated` - mark plateau / over-range wells so they are left out.
* `run_variability` - run-to-run spread of IC50 and the metadata that
  differ between runs, as a `RunVariability`.
"""

from __future__ import annotations

from resistlab.plates.normalize import NORMALIZED_COLUMNS, normalize_plate
from resistlab.plates.qc import SATURATION_FLAG, PlateQC, QCIssue, flag_saturated, plate_qc
from resistlab.plates.variability import DEFAULT_METADATA, RunVariability, run_variability

__all__ = [
    "DEFAULT_METADATA",
    "NORMALIZED_COLUMNS",
    "SATURATION_FLAG",
    "PlateQC",
    "QCIssue",
    "RunVariability",
    "flag_saturated",
    "normalize_plate",
    "plate_qc",
    "run_variability",
]
