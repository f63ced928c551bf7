from __future__ import annotations

import dataclasses
import inspect

import resistlab.plates as plates

PUBLIC = {
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
}


def test_exported_members():
    assert set(plates.__all__) == PUBLIC
    for name in plates.__all__:
        assert hasattr(plates, name)


def test_public_functions_take_at_most_one_positional_argument():
    for name in ("normalize_plate", "plate_qc", "flag_saturated", "run_variability"):
        parameters = inspect.signature(getattr(plates, name)).parameters.values()
        positional = [p for p in parameters if p.kind is not p.KEYWORD_ONLY]
        assert len(positional) == 1, name


def test_results_are_frozen_dataclasses_with_to_frame():
    for cls in (plates.PlateQC, plates.RunVariability, plates.QCIssue):
        assert dataclasses.is_dataclass(cls)
        assert cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
    assert callable(plates.PlateQC.to_frame) and callable(plates.RunVariability.to_frame)
