from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from resistlab.errors import InputError
from resistlab.plates import DEFAULT_METADATA, RunVariability, run_variability


def make_fits(
    rng: np.random.Generator,
    *,
    n_runs: int,
    ic50: float = 1e-6,
    sd_log10: float = 0.2,
    cell_line: str = "OVCAR-8",
    drug: str = "defactinib",
) -> pd.DataFrame:
    """Per-run IC50s drawn log-normally around a known geometric mean."""
    return pd.DataFrame(
        {
            "cell_line": cell_line,
            "drug": drug,
            "plate": [f"R{k + 1}" for k in range(n_runs)],
            "ic50": 10.0 ** rng.normal(np.log10(ic50), sd_log10, n_runs),
            "ic50_censor": "",
            "readout": "CellTiter-Glo",
            "culture": "3D",
            "matrigel_lot": "A12",
            "matrigel_percent": 2.0,
            "seeding_density": 3000,
            "incubation_hours": 96.0,
        }
    )


def test_statistics_equal_independent_computation(rng):
    fits = pd.concat(
        [make_fits(rng, n_runs=7), make_fits(rng, n_runs=5, cell_line="OVCAR-8-R", ic50=8e-6)],
        ignore_index=True,
    )
    summary = run_variability(fits).to_frame().set_index("cell_line")
    for line, runs in fits.groupby("cell_line"):
        logs = np.log10(runs["ic50"].to_numpy())
        row = summary.loc[line]
        assert row["n_runs"] == row["n_used"] == len(runs)
        assert row["geometric_mean_ic50"] == pytest.approx(10 ** logs.mean(), rel=1e-12)
        assert row["sd_log10_ic50"] == pytest.approx(logs.std(ddof=1), rel=1e-12)
        assert row["fold_range"] == pytest.approx(runs["ic50"].max() / runs["ic50"].min())
        sd_ln = logs.std(ddof=1) * np.log(10)
        assert row["cv_percent"] == pytest.approx(100 * np.sqrt(np.exp(sd_ln**2) - 1))
        assert row["min_ic50"] == runs["ic50"].min() and row["max_ic50"] == runs["ic50"].max()


def test_statistics_recover_known_truth(rng):
    # 400 runs, true geometric mean 1 uM and SD 0.2 log10 (geometric CV 48.4 %);
    # standard errors: 0.01 log10 for the mean, 0.007 for the SD; tolerances ~4 SE
    row = run_variability(make_fits(rng, n_runs=400)).to_frame().iloc[0]
    assert np.log10(row["geometric_mean_ic50"]) == pytest.approx(-6.0, abs=0.04)
    assert row["sd_log10_ic50"] == pytest.approx(0.2, abs=0.03)
    assert row["cv_percent"] == pytest.approx(48.4, abs=8)


def test_message_names_fold_range_and_differing_metadata():
    fits = pd.DataFrame(
        {
            "cell_line": "OVCAR-8",
            "drug": "defactinib",
            "plate": ["R1", "R2", "R3"],
            "ic50": [1.0e-6, 2.0e-6, 4.1e-6],
            "culture": "3D",
            "matrigel_lot": ["A12", "A12", "B07"],
            "seeding_density": [3000, 3000, 3000],
        }
    )
    result = run_variability(fits)
    row = result.to_frame().iloc[0]
    assert row["message"] == "IC50 varies 4.1-fold across 3 runs; matrigel_lot differs (A12, B07)"
    assert row["differing_metadata"] == "matrigel_lot"
    assert result.messages == (f"OVCAR-8 / defactinib: {row['message']}",)
    assert result.metadata == ("culture", "matrigel_lot", "seeding_density")
    assert result.metadata_missing == ("readout", "matrigel_percent", "incubation_hours")
    differences = result.differences
    assert differences[["column", "value", "n_runs", "runs"]].values.tolist() == [
        ["matrigel_lot", "A12", 2, "R1, R2"],
        ["matrigel_lot", "B07", 1, "R3"],
    ]
    assert differences["geometric_mean_ic50"].tolist() == pytest.approx([np.sqrt(2e-12), 4.1e-6])


def test_several_differences_missing_values_and_numbers(rng):
    fits = make_fits(rng, n_runs=4)
    fits["matrigel_lot"] = ["A12", None, "B07", "A12"]
    fits["seeding_density"] = [3000, 3000, 5000, 3000]
    fits["matrigel_percent"] = [2, 2.0, 2, 2]  # same number, written differently
    row = run_variability(fits).to_frame().iloc[0]
    assert row["differing_metadata"] == "matrigel_lot, seeding_density"
    assert row["message"].endswith(
        "across 4 runs; matrigel_lot differs (A12, missing, B07); "
        "seeding_density differs (3000, 5000)"
    )


def test_identical_metadata_are_said_to_be_identical(rng):
    row = run_variability(make_fits(rng, n_runs=3)).to_frame().iloc[0]
    assert row["message"].endswith("runs; the recorded metadata are identical")
    assert row["differing_metadata"] == ""


def test_censored_ic50s_are_counted_and_excluded(rng):
    fits = make_fits(rng, n_runs=5)
    fits.loc[3, ["ic50", "ic50_censor"]] = [1e-5, ">"]
    fits.loc[4, ["ic50", "ic50_censor"]] = [1e-9, "<"]
    row = run_variability(fits).to_frame().iloc[0]
    used = np.log10(fits["ic50"].iloc[:3].to_numpy())
    assert (row["n_runs"], row["n_used"], row["n_censored"]) == (5, 3, 2)
    assert row["sd_log10_ic50"] == pytest.approx(used.std(ddof=1))
    assert row["geometric_mean_ic50"] == pytest.approx(10 ** used.mean())
    assert row["max_ic50"] < 1e-5
    assert "across 3 runs" in row["message"]
    assert (
        "2 censored IC50(s) (R4: > 10 µM, R5: < 1 nM) excluded from the statistics"
        in (row["message"])
    )


def test_missing_censor_column_and_failed_fits(rng):
    fits = make_fits(rng, n_runs=3).drop(columns="ic50_censor")
    fits.loc[2, "ic50"] = np.nan
    row = run_variability(fits).to_frame().iloc[0]
    assert (row["n_used"], row["n_missing"]) == (2, 1)
    assert row["message"].endswith("1 run(s) without an IC50 (R3)")


def test_single_run_and_no_usable_run(rng):
    one = run_variability(make_fits(rng, n_runs=1)).to_frame().iloc[0]
    assert np.isnan(one["sd_log10_ic50"]) and np.isnan(one["cv_percent"])
    assert one["fold_range"] == 1.0
    assert one["message"].startswith("only 1 run with an uncensored IC50")
    fits = make_fits(rng, n_runs=2).assign(ic50_censor=">")
    none = run_variability(fits).to_frame().iloc[0]
    assert none["n_used"] == 0 and np.isnan(none["geometric_mean_ic50"])
    assert none["message"].startswith("no run with an uncensored IC50")


def test_large_fold_range_is_written_without_decimals():
    fits = pd.DataFrame(
        {"cell_line": "A", "drug": "d", "plate": ["R1", "R2"], "ic50": [1e-8, 2.5e-7]}
    )
    assert (
        run_variability(fits)
        .to_frame()
        .loc[0, "message"]
        .startswith("IC50 varies 25-fold across 2 runs")
    )


def test_groups_by_cell_line_and_drug(rng):
    fits = pd.concat(
        [make_fits(rng, n_runs=3, drug=d, cell_line=c) for c in ("A", "B") for d in ("x", "y")],
        ignore_index=True,
    )
    summary = run_variability(fits).to_frame()
    assert summary[["cell_line", "drug"]].values.tolist() == [
        ["A", "x"],
        ["A", "y"],
        ["B", "x"],
        ["B", "y"],
    ]
    assert summary["n_runs"].eq(3).all()


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        (lambda f: f.drop(columns="ic50"), InputError, r"lacks the column\(s\) ic50"),
        (
            lambda f: f.assign(ic50=[1e-6, 0.0, 2e-6]),
            InputError,
            r"OVCAR-8 / defactinib, plate R2: ic50 0 is not positive",
        ),
        (
            lambda f: f.assign(ic50_censor=["", ">=", ""]),
            InputError,
            r"plate R2: ic50_censor '>=' is not one of '', '>', '<'",
        ),
        (
            lambda f: f.assign(plate=["R1", "R1", "R2"]),
            InputError,
            r"plate R1 has more than one fit",
        ),
        (
            lambda f: f.assign(ic50=["1e-6", "n.d.", "2e-6"]),
            InputError,
            r"plate R2: ic50 'n\.d\.' is not a number",
        ),
        (lambda f: f.to_dict(), TypeError, r"fits must be a pandas DataFrame"),
    ],
)
def test_bad_fits_are_rejected(rng, change, error, match):
    with pytest.raises(error, match=match):
        run_variability(change(make_fits(rng, n_runs=3)))


def test_metadata_is_keyword_only_and_a_sequence(rng):
    fits = make_fits(rng, n_runs=2)
    with pytest.raises(TypeError, match="sequence of column names, not the string"):
        run_variability(fits, metadata="matrigel_lot")
    with pytest.raises(TypeError, match="positional"):
        run_variability(fits, ("culture",))  # type: ignore[misc]
    assert run_variability(fits).metadata == DEFAULT_METADATA


def test_result_is_frozen_and_input_untouched(rng):
    fits = make_fits(rng, n_runs=3)
    before = fits.copy(deep=True)
    result = run_variability(fits)
    pd.testing.assert_frame_equal(fits, before)
    assert isinstance(result, RunVariability)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.summary = pd.DataFrame()  # type: ignore[misc]
