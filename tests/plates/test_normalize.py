from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resistlab.errors import InputError
from resistlab.plates import NORMALIZED_COLUMNS, normalize_plate

from .synth import ASSAY_COLUMNS, make_plates


@pytest.fixture
def synthetic(rng):
    return make_plates(rng, plates=("P1", "P2"), cell_lines=("PC-9", "H1975"))


def by_hand(table: pd.DataFrame) -> pd.Series:
    """Independent loop computation of viability (usable = finite value and no flag)."""
    viability = pd.Series(np.nan, index=table.index)
    for _, wells in table.groupby(["plate", "read"]):
        usable = wells["value"].notna() & wells["read_flag"].eq("")
        blanks = wells.loc[usable & wells["role"].eq("blank"), "value"].to_numpy()
        blank = blanks.mean() if blanks.size else 0.0
        for line in wells["cell_line"].dropna().unique():
            mine = wells[wells["cell_line"] == line]
            ok = usable.loc[mine.index]
            vehicle = mine.loc[ok & mine["role"].eq("vehicle"), "value"].to_numpy() - blank
            reference = vehicle.mean()
            cells = mine[ok & mine["role"].isin(["sample", "vehicle", "positive_control"])]
            viability.loc[cells.index] = 100.0 * (cells["value"] - blank) / reference
    return viability


def test_viability_equals_independent_computation(synthetic):
    out = normalize_plate(synthetic.table)
    np.testing.assert_allclose(out["viability"], by_hand(synthetic.table), rtol=1e-12)


def test_viability_recovers_known_truth(rng):
    synthetic = make_plates(rng, plates=("P1", "P2", "P3"), cell_cv=0.02, blank_sd=0.002)
    out = normalize_plate(synthetic.table)
    samples = out["role"].eq("sample").to_numpy()
    error = out["viability"].to_numpy()[samples] - synthetic.truth["true_viability"][samples]
    # per-well CV 2 %: every well within 8 points, replicate means within 3 points
    assert np.abs(error).max() < 8.0
    groups = pd.DataFrame({"error": error, "plate": out["plate"][samples].to_numpy()})
    groups["dose"] = out["concentration"].to_numpy()[samples]
    assert groups.groupby(["plate", "dose"])["error"].mean().abs().max() < 3.0
    # the helper's truth is the log-logistic curve: at 81 nM, 5 + 95 / (1 + 0.81) %
    at_81nm = np.isclose(out["concentration"], 81e-9) & samples
    assert synthetic.truth["true_viability"][at_81nm].iloc[0] == pytest.approx(5 + 95 / 1.81)


def test_blank_level_and_columns(synthetic):
    out = normalize_plate(synthetic.table)
    assert list(out.columns) == ASSAY_COLUMNS + list(NORMALIZED_COLUMNS)
    assert out["blank_subtracted"].all()
    assert out["n_blank"].eq(6).all()
    # truth: blank 0.08, reader noise 0.005, 6 blanks -> SE 0.002
    assert out["blank_mean"].sub(0.08).abs().max() < 0.007
    blanks = out[out["role"].eq("blank") & out["plate"].eq("P1")]
    assert out.loc[out["plate"].eq("P1"), "blank_mean"].iloc[0] == pytest.approx(
        blanks["value"].mean()
    )


def test_vehicle_wells_average_exactly_100(synthetic):
    out = normalize_plate(synthetic.table)
    vehicle = out[out["role"] == "vehicle"]
    means = vehicle.groupby(["plate", "read", "cell_line"])["viability"].mean()
    np.testing.assert_allclose(means, 100.0, rtol=1e-12)
    assert len(means) == 4


def test_input_untouched_and_rows_kept(synthetic):
    before = synthetic.table.copy(deep=True)
    out = normalize_plate(synthetic.table)
    pd.testing.assert_frame_equal(synthetic.table, before)
    assert out is not synthetic.table
    pd.testing.assert_index_equal(out.index, before.index)
    pd.testing.assert_frame_equal(out[ASSAY_COLUMNS], before)
    # replicates are separate rows, never averaged
    assert out["role"].eq("sample").sum() == 2 * 2 * 8 * 3


def test_flagged_wells_kept_with_nan_and_left_out_of_means(rng):
    table = make_plates(rng, overflow_wells=3).table
    vehicle = table.index[table["role"].eq("vehicle") & table["read_flag"].eq("")]
    table.loc[vehicle[0], ["value", "read_flag"]] = [50.0, "unreadable"]
    out = normalize_plate(table)
    flagged = out[out["read_flag"] != ""]
    assert len(flagged) == 4
    assert flagged["viability"].isna().all() and flagged["signal"].isna().all()
    assert sorted(flagged["viability_note"]) == [
        "read flag: overflow",
        "read flag: overflow",
        "read flag: overflow",
        "read flag: unreadable",
    ]
    assert not out["usable"][flagged.index].any()
    good_vehicle = out[out["role"].eq("vehicle") & out["read_flag"].eq("")]
    expected = (good_vehicle["value"] - out["blank_mean"].iloc[0]).mean()
    assert out.loc[vehicle[0], "vehicle_mean"] == pytest.approx(expected, rel=1e-12)
    assert out.loc[vehicle[0], "n_vehicle"] == 5


def test_no_blanks_subtracts_nothing_and_says_so(synthetic):
    table = synthetic.table[synthetic.table["role"] != "blank"]
    out = normalize_plate(table)
    assert not out["blank_subtracted"].any()
    assert out["blank_mean"].isna().all() and out["n_blank"].eq(0).all()
    np.testing.assert_array_equal(out["signal"], out["value"])
    np.testing.assert_allclose(out["viability"], by_hand(table), rtol=1e-12)


def test_flagged_blanks_count_as_missing(synthetic):
    table = synthetic.table.copy()
    table.loc[table["role"].eq("blank") & table["plate"].eq("P2"), "read_flag"] = "unreadable"
    out = normalize_plate(table)
    assert out.groupby("plate")["blank_subtracted"].all().to_dict() == {"P1": True, "P2": False}


def test_missing_vehicle_names_plate_and_cell_line(synthetic):
    table = synthetic.table
    drop = table["role"].eq("vehicle") & table["plate"].eq("P2") & table["cell_line"].eq("H1975")
    with pytest.raises(
        InputError, match=r"plate P2, read A570, cell line H1975 has 24 sample well\(s\)"
    ):
        normalize_plate(table[~drop])


def test_time_zero_plate_needs_no_vehicle(rng):
    table = make_plates(rng, plates=("T0",), n_vehicle=0, n_positive=0).table
    table["time_zero"] = True
    out = normalize_plate(table)
    samples = out[out["role"] == "sample"]
    assert samples["viability"].isna().all()
    assert samples["viability_note"].eq("no vehicle wells").all()
    np.testing.assert_allclose(samples["signal"], samples["value"] - samples["blank_mean"])


def test_vehicle_at_blank_level_gives_nan_not_sign_flips(rng):
    table = make_plates(rng).table
    table.loc[table["role"] == "vehicle", "value"] = 0.07  # below the 0.08 blank
    out = normalize_plate(table)
    cells = out[out["role"].isin(["sample", "vehicle"])]
    assert cells["viability"].isna().all()
    assert cells["viability_note"].eq("vehicle signal <= 0").all()


def test_all_vehicle_wells_unusable(rng):
    table = make_plates(rng).table
    table.loc[table["role"] == "vehicle", "read_flag"] = "unreadable"
    out = normalize_plate(table)
    samples = out[out["role"] == "sample"]
    assert samples["viability_note"].eq("no usable vehicle wells").all()


def test_reads_are_normalised_separately(synthetic):
    table = synthetic.table
    second = table.assign(read="lum", value=table["value"] * 1000.0 + 500.0)
    out = normalize_plate(pd.concat([table, second], ignore_index=True))
    first, other = out[out["read"] == "A570"], out[out["read"] == "lum"]
    np.testing.assert_allclose(other["viability"], first["viability"], rtol=1e-9)
    assert other["blank_mean"].iloc[0] == pytest.approx(
        1000.0 * first["blank_mean"].iloc[0] + 500.0
    )


@settings(max_examples=25, deadline=None)
@given(
    scale=st.floats(min_value=1e-3, max_value=1e6),
    offset=st.floats(min_value=-10.0, max_value=1e4),
)
def test_viability_invariant_to_affine_reader_scale(scale, offset):
    table = make_plates(np.random.default_rng(5)).table
    reference = normalize_plate(table)["viability"]
    transformed = normalize_plate(table.assign(value=table["value"] * scale + offset))
    np.testing.assert_allclose(transformed["viability"], reference, rtol=1e-6, atol=1e-6)


def test_minimal_table_without_optional_columns():
    table = pd.DataFrame(
        {
            "plate": "P1",
            "read": "OD",
            "well": ["A1", "A2", "A3", "B1"],
            "value": [2.0, 4.0, 1.5, 0.0],
            "role": ["vehicle", "vehicle", "sample", "blank"],
            "cell_line": ["A549", "A549", "A549", None],
        }
    )
    out = normalize_plate(table)
    assert out["viability"].tolist()[:3] == [pytest.approx(200 / 3), pytest.approx(400 / 3), 50.0]


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        (lambda t: t.drop(columns="role"), InputError, r"lacks the column\(s\) role"),
        (
            lambda t: t.assign(role=t["role"].replace("vehicle", "control")),
            InputError,
            r"well \w+ \(P1_A570\.csv, row \d+\): unknown role 'control'",
        ),
        (
            lambda t: pd.concat([t, t.iloc[[5]]], ignore_index=True),
            InputError,
            r"read 'A570' appears more than once",
        ),
        (
            lambda t: t.assign(cell_line=t["cell_line"].where(t["role"] != "sample")),
            InputError,
            r"a sample well has no cell_line",
        ),
        (
            lambda t: t.assign(value=t["value"].astype(object).where(t.index != 3, "OVRFLW")),
            InputError,
            r"well \w+ \(P1_A570\.csv, row 5\): value 'OVRFLW' is not a number",
        ),
        (lambda t: t.to_numpy(), TypeError, r"must be a pandas DataFrame"),
        (lambda t: pd.concat([t, t]), InputError, r"repeated index"),
    ],
)
def test_bad_tables_are_rejected(rng, change, error, match):
    table = make_plates(rng).table
    with pytest.raises(error, match=match):
        normalize_plate(change(table))
