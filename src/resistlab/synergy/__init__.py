"""Drug combinations: dose matrices, reference models and synergy scores (pure)."""

from __future__ import annotations

from resistlab.synergy.data import DoseMatrices, matrices_from_frame

__all__ = ["DoseMatrices", "matrices_from_frame"]
