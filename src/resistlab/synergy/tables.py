"""Per-well and per-block synergy tables for many blocks at once (what ``blocks.csv`` holds).

`score_blocks` runs the chosen models over every block of a `DoseMatrices`, with block
means, the most synergistic 3x3 area, replicate-bootstrap CIs and p-values, and
SynergyFinder's sensitivity scores; ``resistlab synergy`` and the study report both use it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from resistlab.synergy import DoseMatrices

__all__ = ["model_scorers", "quiet_all_nan", "score_blocks", "well_scores"]


def well_scores(m: DoseMatrices, wells: pd.DataFrame, name: str) -> np.ndarray:
    """Return model `name`'s per-well scores of `wells` (from `score_blocks`) as (B, R, C).

    The array is aligned with ``m.mean_response``, NaN where a well has no score; the
    figures of `resistlab.report.synergy_figures` take it as ``synergy``.
    """
    b, r, c = m.mean_response.shape
    out = np.full((b, r, c), np.nan)
    for i, block in enumerate(m.block_ids):
        part = wells[(wells["block_id"] == block) & wells["conc1"].notna() & wells["conc2"].notna()]
        rows = np.searchsorted(m.conc1[i][np.isfinite(m.conc1[i])], part["conc1"])
        cols = np.searchsorted(m.conc2[i][np.isfinite(m.conc2[i])], part["conc2"])
        out[i, rows, cols] = part[f"{name}_synergy"].to_numpy()
    return out


def model_scorers() -> dict[str, object]:
    """Return the synergy models by name (hsa, bliss, loewe, zip)."""
    from resistlab.synergy import models

    return {
        "hsa": models.hsa,
        "bliss": models.bliss,
        "loewe": models.loewe,
        "zip": models.zip_score,
    }


def score_blocks(
    m: DoseMatrices,
    names: tuple[str, ...],
    *,
    n_boot: int,
    seed: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-well and per-block tables for the chosen models."""
    from resistlab.synergy.sensitivity import sensitivity_scores
    from resistlab.synergy.summary import (
        bootstrap_synergy,
        combination_mean,
        most_synergistic_area,
    )

    scorers = model_scorers()
    b, r, c = m.mean_response.shape
    idx_b, idx_r, idx_c = np.meshgrid(np.arange(b), np.arange(r), np.arange(c), indexing="ij")
    wells = pd.DataFrame(
        {
            "block_id": np.asarray(m.block_ids, dtype=object)[idx_b.ravel()],
            "cell_line": np.asarray(m.cell_line, dtype=object)[idx_b.ravel()],
            "drug1": np.asarray(m.drug1, dtype=object)[idx_b.ravel()],
            "drug2": np.asarray(m.drug2, dtype=object)[idx_b.ravel()],
            "conc1": m.conc1[idx_b, idx_r].ravel(),
            "conc2": m.conc2[idx_b, idx_c].ravel(),
            "conc_unit": "M",
            "response": m.mean_response.ravel(),
            "n": m.n_replicates.ravel(),
        }
    )
    blocks = pd.DataFrame(
        {
            "block_id": list(m.block_ids),
            "cell_line": list(m.cell_line),
            "drug1": list(m.drug1),
            "drug2": list(m.drug2),
        }
    )
    replicated = bool((m.n_replicates > 1).any())
    for name in names:
        score = scorers[name]
        result = score(m)  # type: ignore[operator]
        wells[f"{name}_expected"] = result.expected.ravel()
        wells[f"{name}_synergy"] = result.synergy.ravel()
        blocks[f"{name}_mean"] = combination_mean(m, result.synergy)
        area, row, col = most_synergistic_area(m, result.synergy)
        blocks[f"{name}_max_area"] = area
        blocks[f"{name}_max_area_row"] = row
        blocks[f"{name}_max_area_col"] = col
        if replicated and n_boot > 0:
            with quiet_all_nan():
                boot = bootstrap_synergy(m, score, n_boot=n_boot, seed=seed)  # type: ignore[arg-type]
            scored = np.isfinite(boot.low) & np.isfinite(boot.high)
            blocks[f"{name}_ci_low"] = boot.low
            blocks[f"{name}_ci_high"] = boot.high
            # no resample scored: the p-value's share of NaN differences means nothing
            blocks[f"{name}_p_value"] = np.where(scored, boot.p_value, np.nan)
        else:
            blocks[f"{name}_ci_low"] = np.nan
            blocks[f"{name}_ci_high"] = np.nan
            blocks[f"{name}_p_value"] = np.nan
    wells = wells[np.isfinite(wells["conc1"]) & np.isfinite(wells["conc2"])]
    sens = sensitivity_scores(m).to_frame().drop(columns=["block_id"])
    blocks = pd.concat([blocks, sens], axis=1)
    return wells.reset_index(drop=True), blocks


@contextmanager
def quiet_all_nan() -> Iterator[None]:
    """Silence numpy's "All-NaN slice" warning: blocks whose resamples all fail get NaN CIs."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "All-NaN slice encountered", RuntimeWarning)
        yield
