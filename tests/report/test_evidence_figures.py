"""Forest plots of evidence rows: intervals from Student's t, markers by significance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from resistlab.report.evidence_figures import confidence_interval, plot_fold_changes


def test_interval_uses_t_with_n_minus_one_df_and_normal_without_n() -> None:
    lfc = np.array([1.0, -0.5, 2.0])
    se = np.array([0.2, 0.1, 0.3])
    n = np.array([3.0, 10.0, np.nan])
    low, high = confidence_interval(lfc, se, n)
    half = np.array([stats.t.ppf(0.975, 2) * 0.2, stats.t.ppf(0.975, 9) * 0.1, 1.959964 * 0.3])
    assert np.allclose(high - lfc, half, rtol=1e-6)
    assert np.allclose(lfc - low, half, rtol=1e-6)


def test_one_panel_per_comparison_and_filled_markers_for_p_below_005() -> None:
    rng = np.random.default_rng(5)
    rows = pd.DataFrame(
        {
            "target": ["pSTAT3_Y705", "STAT3", "ERBB2", "pFAK_Y397"],
            "comparison": ["resistant_vs_parental"] * 3 + ["drug_vs_vehicle"],
            "log2_fold_change": rng.normal(0, 1, 4),
            "se": [0.1, 0.2, 0.3, 0.2],
            "n": [3, 3, 3, 3],
            "p_value": [0.01, 0.4, 0.03, 0.2],
        }
    )
    figure = plot_fold_changes(rows, title="Western blots")
    first, second = figure.axes[:2]
    labels = [t.get_text() for t in first.get_yticklabels()]
    assert labels == ["pSTAT3_Y705", "STAT3", "ERBB2"]  # table order, the first at the top
    assert list(first.get_yticks()) == [2, 1, 0]
    filled, hollow = first.collections[1], first.collections[2]
    assert len(filled.get_offsets()) == 2 and len(hollow.get_offsets()) == 1
    assert [t.get_text() for t in second.get_yticklabels()] == ["pFAK_Y397"]
    with pytest.raises(ValueError, match="no evidence row"):
        plot_fold_changes(rows, comparisons=["after_drug_holiday_vs_resistant"])
