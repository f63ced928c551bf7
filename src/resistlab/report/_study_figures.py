"""Figures of a plate study (placeholder until the figure module lands)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def write_study_figures(study: Any, out: Path) -> list[Path]:
    """Write the study's figures; returns the paths written."""
    return []
