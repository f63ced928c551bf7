"""Shared test fixtures: seeded generators and the team's reference data."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

#: The team's reference data (outside the repository); CI has it beside the clone.
REFERENCE_ROOT = Path(
    os.environ.get(
        "RESISTLAB_REFERENCE_DIR",
        Path(__file__).resolve().parents[2] / "shared" / "reference",
    )
)


@pytest.fixture
def rng() -> np.random.Generator:
    """A generator with a fixed seed, so known truth is reproducible."""
    return np.random.default_rng(20261121)


@pytest.fixture
def reference_dir(request: pytest.FixtureRequest) -> Path:
    """Folder of ``../shared/reference/<sub>``; skips the test when it is absent.

    Use with ``@pytest.mark.reference`` and ``@pytest.mark.parametrize`` or
    call ``reference_dir / "dose_response"`` directly.
    """
    if not REFERENCE_ROOT.is_dir():
        pytest.skip(
            f"reference data not found at {REFERENCE_ROOT} (clone ../shared beside this "
            "repository or set RESISTLAB_REFERENCE_DIR); CI runs these tests"
        )
    return REFERENCE_ROOT
