"""Sensitivity scores of combination blocks: RI and CSS, as SynergyFinder defines them.

- **RI** (relative inhibition) of a drug: the mean of its fitted LL.4 %
  inhibition curve over log dose, from the lowest non-zero to the highest
  tested dose (the area under the log-dose curve divided by the range; a
  DSS with threshold 0).
- **IC50** of a drug: the relative EC50 of its single-agent LL.4 fit, capped
  at the highest tested dose.
- **CSS** (combination sensitivity score, Malyutina et al. 2019): CSS1 is the
  RI of drug 1's curve when drug 2 is held at its IC50 (each row's response
  at that dose predicted from an LL.4 fit across the row; with a single
  non-zero column, that column's response); CSS2 likewise; CSS their mean.

Every fit of every block is one batch call of the compiled kernel
(`resistlab.dose_response.fit_curves`): rows, columns, single agents.
Source of the definitions: SynergyFinder's ``CalculateSensitivity``,
``CalculateCSS`` and ``CalculateRI`` (R package, Zheng et al. 2022).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from resistlab.dose_response import fit_curves, log_logistic
from resistlab.synergy.data import DoseMatrices

__all__ = ["SensitivityScores", "sensitivity_scores"]


@dataclass(frozen=True)
class SensitivityScores:
    """RI, IC50 and CSS of each block (arrays of shape (B,), doses molar)."""

    block_ids: tuple[str, ...]
    ri1: np.ndarray
    ri2: np.ndarray
    ic50_1: np.ndarray
    ic50_2: np.ndarray
    css1: np.ndarray
    css2: np.ndarray

    @property
    def css(self) -> np.ndarray:
        """Mean of CSS1 and CSS2."""
        return (self.css1 + self.css2) / 2.0

    def to_frame(self) -> pd.DataFrame:
        """One row per block."""
        return pd.DataFrame(
            {
                "block_id": list(self.block_ids),
                "ri_1": self.ri1,
                "ri_2": self.ri2,
                "ic50_1": self.ic50_1,
                "ic50_2": self.ic50_2,
                "css1_ic502": self.css1,
                "css2_ic501": self.css2,
                "css": self.css,
            }
        )


def _ri(doses: np.ndarray, responses: np.ndarray) -> np.ndarray:
    """RI of many curves: mean fitted % inhibition over the non-zero log-dose range."""
    x = np.where(doses > 0, doses, np.nan)
    y = np.where(np.isfinite(x), responses, np.nan)
    fits = fit_curves(x, y, control_response=100.0)
    ri = 100.0 * fits.auc()
    # a single non-zero dose: its response, as SynergyFinder does
    single = np.sum(np.isfinite(x) & np.isfinite(y), axis=1) == 1
    only = np.nansum(np.where(np.isfinite(x), y, np.nan), axis=1)
    return np.where(single, only, ri)


def _ic50(doses: np.ndarray, responses: np.ndarray) -> np.ndarray:
    """Relative EC50 of single-agent fits (vehicle included), capped at the top dose."""
    fits = fit_curves(doses, responses, control_response=100.0)
    top = np.nanmax(doses, axis=1)
    return np.minimum(fits.ec50, top)


def sensitivity_scores(m: DoseMatrices) -> SensitivityScores:
    """RI, IC50 and CSS of every block (SynergyFinder's definitions, batched fits).

    Parameters
    ----------
    m : DoseMatrices
        Responses in % inhibition; the replicate mean of each well is used.

    Returns
    -------
    SensitivityScores
    """
    y = m.mean_response  # (B, R, C)
    b, r, c = y.shape
    d1 = m.conc1  # rows
    d2 = m.conc2  # columns
    mono1 = y[:, :, 0]  # drug 1 alone: column 0, over rows
    mono2 = y[:, 0, :]  # drug 2 alone: row 0, over columns
    ri1 = _ri(d1, mono1)
    ri2 = _ri(d2, mono2)
    ic50_1 = _ic50(d1, mono1)
    ic50_2 = _ic50(d2, mono2)

    # CSS1: each row's response with drug 2 at its IC50, then the RI over drug 1
    rows_x = np.repeat(d2, r, axis=0)  # (B*R, C)
    rows_y = y.reshape(b * r, c)
    at2 = np.repeat(ic50_2, r)
    on_row = _predict_rows(rows_x, rows_y, at2).reshape(b, r)
    # CSS2: each column's response with drug 1 at its IC50, then the RI over drug 2
    cols_x = np.repeat(d1, c, axis=0)  # (B*C, R)
    cols_y = np.transpose(y, (0, 2, 1)).reshape(b * c, r)
    at1 = np.repeat(ic50_1, c)
    on_col = _predict_rows(cols_x, cols_y, at1).reshape(b, c)
    css1 = _ri(d1, on_row)
    css2 = _ri(d2, on_col)
    return SensitivityScores(
        block_ids=m.block_ids,
        ri1=ri1,
        ri2=ri2,
        ic50_1=ic50_1,
        ic50_2=ic50_2,
        css1=css1,
        css2=css2,
    )


def _predict_rows(doses: np.ndarray, responses: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Response of each row at dose `at`: fitted, or the one non-zero well's value."""
    valid = np.isfinite(doses) & np.isfinite(responses)
    n_points = valid.sum(axis=1)
    fits = fit_curves(
        np.where(valid, doses, np.nan), np.where(valid, responses, np.nan), control_response=100.0
    )
    predicted = log_logistic(
        at, hill_slope=fits.hill_slope, bottom=fits.bottom, top=fits.top, ec50=fits.ec50
    )
    # two points (control and one dose): SynergyFinder takes the second response
    second = np.where(valid & (doses > 0), responses, np.nan)
    two = np.nanmax(np.where(np.isfinite(second), second, -np.inf), axis=1)
    return np.where(n_points == 2, two, predicted)
