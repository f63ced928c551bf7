"""IC50 folds (resistant vs parental, drug holiday) as evidence rows, scored end to end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from resistlab.dose_response import CurveFits, fit_curves, fold_resistance, log_logistic
from resistlab.dose_response.evidence import (
    drug_holiday_evidence,
    drug_response_target,
    fold_resistance_evidence,
)
from resistlab.errors import InputError
from resistlab.mechanism import EVIDENCE_COLUMNS, score_mechanisms

DOSES = np.repeat(1e-5 / 3.0 ** np.arange(10), 3)  # molar, triplicates
PARENTAL_IC50 = 1e-8


def _fit(rng: np.random.Generator, ec50: float) -> CurveFits:
    truth = log_logistic(DOSES, ec50=ec50, hill_slope=1.1, bottom=3.0, top=100.0)
    return fit_curves(DOSES, truth + rng.normal(0, 3.0, DOSES.shape))


def test_holiday_fourfold_fall_is_log2_minus_two_with_ci_below_zero(rng):
    on_drug = _fit(rng, 8 * PARENTAL_IC50)
    holiday = _fit(rng, 2 * PARENTAL_IC50)
    evidence = drug_holiday_evidence(holiday, on_drug, source="holiday.csv")
    assert list(evidence.columns) == list(EVIDENCE_COLUMNS)
    row = evidence.iloc[0]
    assert row["assay"] == "dose_response"
    assert row["target"] == "defactinib_ic50"
    assert row["comparison"] == "after_drug_holiday_vs_resistant"
    assert row["log2_fold_change"] == pytest.approx(-2.0, abs=0.25)
    assert row["log2_fold_change"] + 1.96 * row["se"] < 0  # the CI excludes no change
    assert row["p_value"] < 0.01
    assert row["source"].startswith("holiday.csv")


def test_holiday_fall_supports_a_drug_tolerant_state_and_persistence_contradicts_it(rng):
    on_drug = _fit(rng, 8 * PARENTAL_IC50)
    fell = drug_holiday_evidence(_fit(rng, 2 * PARENTAL_IC50), on_drug)
    kept = drug_holiday_evidence(_fit(rng, 8 * PARENTAL_IC50), on_drug)
    fell_rank = score_mechanisms(fell).table.set_index("mechanism")
    kept_rank = score_mechanisms(kept).table.set_index("mechanism")
    assert fell_rank.loc["drug_tolerant_state", "score"] > 1.5
    # one clear marker alone: more likely than not (the calibration's frequency for such
    # scores), but not "supported" on a single assay
    assert 0.6 <= fell_rank.loc["drug_tolerant_state", "confidence"] < 0.9
    assert kept_rank.loc["drug_tolerant_state", "score"] < 0
    assert kept_rank.loc["drug_tolerant_state", "verdict"] == "contradicted"


def test_fold_resistance_evidence_names_the_canonical_target(rng):
    fold = fold_resistance(_fit(rng, PARENTAL_IC50), _fit(rng, 8 * PARENTAL_IC50))
    row = fold_resistance_evidence(fold, drug="VS-6063").iloc[0]
    assert row["target"] == "defactinib_ic50"
    assert row["comparison"] == "resistant_vs_parental"
    assert row["log2_fold_change"] == pytest.approx(3.0, abs=0.25)
    assert row["se"] == pytest.approx(fold.se_log2[0])


def test_fold_resistance_table_of_the_fit_command(rng):
    table = fold_resistance(_fit(rng, PARENTAL_IC50), _fit(rng, 8 * PARENTAL_IC50)).to_frame()
    table.insert(0, "drug", "Defactinib")
    table.insert(1, "reference_line", "P")
    table.insert(2, "cell_line", "R")
    evidence = fold_resistance_evidence(table, source="fold_resistance.csv")
    row = evidence.iloc[0]
    assert row["target"] == "defactinib_ic50"
    assert row["source"] == "fold_resistance.csv, row 2 (ic50, R vs P)"
    assert row["log2_fold_change"] == pytest.approx(table["log2_fold"].iloc[0])
    with pytest.raises(InputError, match="lacks column"):
        fold_resistance_evidence(table.drop(columns="se_log2"))


def test_unknown_drug_keeps_a_readable_target():
    assert drug_response_target("Trametinib") == "trametinib_ic50"
    assert drug_response_target("defactinib", metric="ec50") == "defactinib_ec50"


def test_only_fold_results_are_accepted():
    with pytest.raises(TypeError, match="FoldResistance or a DataFrame"):
        fold_resistance_evidence(pd.Series([1.0]))  # type: ignore[arg-type]
