from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from resistlab.errors import InputError
from resistlab.plates import PlateQC, flag_saturated, normalize_plate, plate_qc

from .synth import make_plates, well_name


def checks(qc: PlateQC, severity: str | None = None) -> list[str]:
    return [i.check for i in qc.issues if severity is None or i.severity == severity]


def test_one_row_per_plate_read_and_cell_line(rng):
    table = make_plates(
        rng, plates=("P1", "P2"), reads=("A570", "A630"), cell_lines=("PC-9", "H1975")
    ).table
    before = table.copy(deep=True)
    metrics = plate_qc(table).to_frame()
    pd.testing.assert_frame_equal(table, before)
    assert len(metrics) == 8
    assert not metrics.duplicated(["plate", "read", "cell_line"]).any()
    assert metrics[["n_vehicle", "n_positive", "n_blank", "n_wells"]].eq([6, 4, 6, 34]).all().all()


def test_control_metrics_equal_independent_computation(rng):
    table = make_plates(rng, plates=("P1", "P2"), cell_lines=("PC-9", "H1975")).table
    metrics = plate_qc(table).to_frame().set_index(["plate", "cell_line"])
    for (plate, line), row in metrics.iterrows():
        wells = table[table["plate"] == plate]
        blank = wells.loc[wells["role"] == "blank", "value"].to_numpy()
        mine = wells[wells["cell_line"] == line]
        vehicle = mine.loc[mine["role"] == "vehicle", "value"].to_numpy()
        positive = mine.loc[mine["role"] == "positive_control", "value"].to_numpy()
        sd_v, sd_p = vehicle.std(ddof=1), positive.std(ddof=1)
        separation = abs(vehicle.mean() - positive.mean())
        assert row["z_prime"] == pytest.approx(1 - 3 * (sd_v + sd_p) / separation, rel=1e-10)
        assert row["vehicle_cv_percent"] == pytest.approx(
            100 * sd_v / (vehicle.mean() - blank.mean()), rel=1e-10
        )
        assert row["signal_window"] == pytest.approx(
            (separation - 3 * (sd_v + sd_p)) / sd_v, rel=1e-10
        )
        assert row["signal_to_background"] == pytest.approx(vehicle.mean() / blank.mean())
        assert row["blank_sd"] == pytest.approx(blank.std(ddof=1))


def test_z_prime_and_cv_recover_known_truth(rng):
    # truth: vehicle signal 1.0 with CV 5 %, positive controls at the blank (noise 0.005):
    # Z' = 1 - 3 (0.05 + 0.005) / 1.0 = 0.835; vehicle CV ~ sqrt(5^2 + 0.5^2 * 7/6) = 5.03 %
    table = make_plates(rng, plates=[f"P{i}" for i in range(60)], n_vehicle=12).table
    metrics = plate_qc(table).to_frame()
    assert metrics["z_prime"].median() == pytest.approx(0.835, abs=0.015)
    assert metrics["vehicle_cv_percent"].median() == pytest.approx(5.03, abs=0.3)
    assert metrics["signal_to_background"].median() == pytest.approx(1.08 / 0.08, rel=0.02)


def test_good_plate_passes(rng):
    qc = plate_qc(make_plates(rng, plates=("P1", "P2")).table)
    assert qc.passed
    assert checks(qc) == []
    assert qc.to_frame()["status"].eq("pass").all()


def test_noisy_vehicle_and_poor_z_prime_are_reported(rng):
    qc = plate_qc(make_plates(rng, cell_cv=0.25).table)
    row = qc.to_frame().iloc[0]
    assert row["vehicle_cv_percent"] > 20
    assert not qc.passed
    cv_issue = next(i for i in qc.issues if i.check == "vehicle_cv")
    assert cv_issue.severity == "warning"
    assert cv_issue.message.startswith("plate P1, read A570, cell line PC-9: vehicle CV ")
    assert "exceeds 20 %" in cv_issue.message
    z_issue = next(i for i in qc.issues if i.check == "z_prime")
    assert z_issue.severity == ("error" if row["z_prime"] < 0 else "warning")
    assert row["status"] == z_issue.severity


def test_overlapping_controls_are_an_error(rng):
    qc = plate_qc(make_plates(rng, cell_cv=0.6).table)
    row = qc.to_frame().iloc[0]
    assert row["z_prime"] < 0
    assert "z_prime" in checks(qc, "error")
    assert row["status"] == "error"
    assert qc.issues[0].severity == "error"  # errors come first


def test_thresholds_are_keyword_options(rng):
    table = make_plates(rng).table
    strict = plate_qc(table, max_vehicle_cv=1.0, min_z_prime=0.99, min_signal_window=1e6)
    assert {"vehicle_cv", "z_prime", "signal_window"} <= set(checks(strict, "warning"))
    assert strict.thresholds["max_vehicle_cv"] == 1.0
    with pytest.raises(InputError, match=r"edge_alpha must lie between 0 and 1, got 1.5"):
        plate_qc(table, edge_alpha=1.5)
    with pytest.raises(InputError, match=r"plateau_min_wells must be at least 2"):
        plate_qc(table, plateau_min_wells=1)
    with pytest.raises(TypeError, match="positional"):
        plate_qc(table, 0.5)  # type: ignore[misc]


def test_without_positive_controls_z_prime_is_not_computed(rng):
    qc = plate_qc(make_plates(rng, n_positive=0).table)
    row = qc.to_frame().iloc[0]
    assert np.isnan(row["z_prime"]) and np.isnan(row["signal_window"])
    assert checks(qc) == ["z_prime"]
    assert qc.issues[0].severity == "info"
    assert "no positive-control wells" in qc.issues[0].message
    assert qc.passed


# ----------------------------------------------------------------------------- edge effect


def test_edge_effect_is_detected_with_its_size(rng):
    table = make_plates(rng, plates=("P1", "P2"), edge_factor=0.75).table
    qc = plate_qc(table)
    metrics = qc.to_frame()
    assert metrics["edge_ratio"].to_numpy() == pytest.approx([0.75, 0.75], abs=0.04)
    assert (metrics["edge_p_value"] < 0.01).all()  # the default edge_alpha
    edge_issues = [i for i in qc.issues if i.check == "edge_effect"]
    assert len(edge_issues) == 2 and edge_issues[0].severity == "warning"
    assert "edge wells read 2" in edge_issues[0].message and "% low" in edge_issues[0].message


def test_edge_test_is_calibrated_and_unbiased_under_no_edge_effect(rng):
    table = make_plates(rng, plates=[f"P{i}" for i in range(150)], cell_lines=("A", "B")).table
    metrics = plate_qc(table).to_frame()
    p = metrics["edge_p_value"].dropna()
    assert len(p) >= 290
    # 300 tests at alpha 0.05: binomial 99.9 % range is about 5 to 27 rejections
    assert 5 <= (p < 0.05).sum() <= 27
    assert stats.kstest(p, "uniform").pvalue > 0.001
    assert metrics["edge_ratio"].median() == pytest.approx(1.0, abs=0.01)


def test_edge_p_value_single_group_equals_mann_whitney(rng):
    # vehicle only: one replicate group, so van Elteren reduces to the rank-sum test
    table = make_plates(rng, doses=(), n_positive=0, n_vehicle=40, edge_factor=0.97).table
    qc = plate_qc(table)
    row = qc.to_frame().iloc[0]
    vehicle = table[table["role"] == "vehicle"]
    edge = vehicle["row"].isin([0, 7]) | vehicle["col"].isin([0, 11])
    expected = stats.mannwhitneyu(
        vehicle.loc[edge, "value"],
        vehicle.loc[~edge, "value"],
        method="asymptotic",
        use_continuity=False,
    )
    assert row["edge_n_groups"] == 1
    assert row["edge_n_edge"] == edge.sum() and row["edge_n_interior"] == (~edge).sum()
    assert row["edge_p_value"] == pytest.approx(expected.pvalue, rel=1e-9)
    assert row["edge_ratio"] == pytest.approx(
        (vehicle.loc[edge, "value"].mean() - row["blank_mean"])
        / (vehicle.loc[~edge, "value"].mean() - row["blank_mean"]),
        rel=1e-10,
    )


def test_edge_p_value_many_groups_equals_van_elteren_by_hand(rng):
    table = make_plates(rng, edge_factor=0.9, decimals=2).table  # rounding makes ties
    row = plate_qc(table).to_frame().iloc[0]
    out = normalize_plate(table)
    cells = out[out["role"].isin(["vehicle", "sample"])].copy()
    cells["edge"] = cells["row"].isin([0, 7]) | cells["col"].isin([0, 11])
    cells["group"] = cells["concentration"]
    statistic = variance = 0.0
    log_ratios, weights = [], []
    n_groups = 0
    for _, group in cells.groupby("group"):
        n_edge = int(group["edge"].sum())
        n = len(group)
        if group["viability"].mean() < 20 or n_edge in (0, n):
            continue
        n_groups += 1
        ranks = stats.rankdata(group["signal"])
        rank_sum = ranks[group["edge"].to_numpy()].sum()
        tie = stats.tiecorrect(ranks)
        statistic += (rank_sum - n_edge * (n + 1) / 2) / (n + 1)
        variance += n_edge * (n - n_edge) * (n + 1) / 12 * tie / (n + 1) ** 2
        ratio = (
            group.loc[group["edge"], "signal"].mean() / group.loc[~group["edge"], "signal"].mean()
        )
        log_ratios.append(np.log(ratio))
        weights.append(n_edge * (n - n_edge) / n)
    assert n_groups == row["edge_n_groups"] >= 3
    expected_p = 2 * stats.norm.sf(abs(statistic) / np.sqrt(variance))
    assert row["edge_p_value"] == pytest.approx(expected_p, rel=1e-9)
    assert row["edge_ratio"] == pytest.approx(np.exp(np.average(log_ratios, weights=weights)))


def _layout_table(cells: list[tuple[str, str, float]]) -> pd.DataFrame:
    """A 96-well table from (well, role, concentration); signal from a simple curve."""
    rows = []
    for well, role, concentration in cells:
        viability = 1.0 if role == "vehicle" else 1.0 / (1.0 + concentration / 1e-7)
        value = 0.1 + viability if role != "blank" else 0.1
        rows.append((well, role, concentration, value))
    frame = pd.DataFrame(rows, columns=["well", "role", "concentration", "value"])
    frame["value"] += np.linspace(0.0, 0.01, len(frame))  # distinct values
    frame["plate"], frame["read"] = "P1", "A570"
    frame["cell_line"] = np.where(frame["role"] == "blank", None, "PC-9")
    frame["drug"] = "defactinib"
    return frame


def test_edge_effect_untestable_and_vehicle_on_edge_are_reported():
    cells = [(well_name(r, 0), "vehicle", 0.0) for r in range(8)]
    cells += [(well_name(r, 11), "blank", np.nan) for r in range(8)]
    cells += [(well_name(r, c), "sample", 1e-9 * 3**c) for r in range(2, 5) for c in range(1, 10)]
    qc = plate_qc(_layout_table(cells))
    row = qc.to_frame().iloc[0]
    assert row["edge_n_groups"] == 0 and np.isnan(row["edge_p_value"])
    assert row["vehicle_edge_fraction"] == 1.0
    found = {(i.check, i.severity) for i in qc.issues}
    assert ("edge_effect", "info") in found
    assert ("vehicle_on_edge", "warning") in found


@pytest.mark.parametrize(("shape", "n_vehicle", "n_edge"), [((8, 12), 30, 36), ((16, 24), 200, 76)])
def test_plate_format_is_inferred_for_the_edge(rng, shape, n_vehicle, n_edge):
    synthetic = make_plates(rng, shape=shape, n_vehicle=n_vehicle)
    row = plate_qc(synthetic.table).to_frame().iloc[0]
    vehicle = synthetic.table["role"].eq("vehicle").to_numpy()
    assert row["vehicle_edge_fraction"] == pytest.approx(synthetic.truth["edge"][vehicle].mean())
    assert synthetic.truth["edge"].sum() == n_edge
    with pytest.raises(InputError, match=r"outside plate_shape \(4, 6\)"):
        plate_qc(synthetic.table, plate_shape=(4, 6))


# ----------------------------------------------------------------------------- wells


def test_overflow_flags_are_saturation(rng):
    table = make_plates(rng, overflow_wells=2).table
    qc = plate_qc(table)
    assert qc.to_frame()["n_saturated"].iloc[0] == 2
    issue = next(i for i in qc.issues if i.check == "saturation")
    overflowed = set(table.loc[table["read_flag"] == "overflow", "well"])
    assert set(issue.wells) == overflowed
    assert "reader flag 'overflow'" in issue.message
    flagged = qc.flagged_wells[qc.flagged_wells["check"] == "saturation"]
    assert flagged["source"].str.match(r"P1_A570\.csv, row \d+").all()


def test_plateau_at_the_plate_maximum_is_saturation(rng):
    synthetic = make_plates(rng, saturate_at=0.95)
    clipped = synthetic.table["value"].eq(0.95)
    assert clipped.sum() >= 3
    qc = plate_qc(synthetic.table)
    issue = next(i for i in qc.issues if i.check == "saturation")
    assert set(issue.wells) == set(synthetic.table.loc[clipped, "well"])
    assert "plateau at the plate maximum 0.95" in issue.message
    flagged = flag_saturated(synthetic.table)
    assert flagged["read_flag"].eq("saturated").sum() == clipped.sum()
    out = normalize_plate(flagged)
    assert out.loc[clipped, "viability"].isna().all()


def test_no_plateau_in_ordinary_rounded_reads(rng):
    table = make_plates(rng, plates=[f"P{i}" for i in range(40)], decimals=3).table
    metrics = plate_qc(table).to_frame()
    assert metrics["n_saturated"].sum() == 0


def test_max_signal_flags_reads_above_the_linear_range(rng):
    table = make_plates(rng).table
    qc = plate_qc(table, max_signal=1.1)
    above = table.loc[table["value"] >= 1.1, "well"]
    assert 0 < len(above) == qc.to_frame()["n_saturated"].iloc[0]
    assert "at or above max_signal 1.1" in next(
        i.message for i in qc.issues if i.check == "saturation"
    )
    marked = flag_saturated(table, max_signal=1.1, flag="over_range")
    assert set(marked.loc[marked["read_flag"] == "over_range", "well"]) == set(above)


def test_negative_and_high_reads_are_out_of_range(rng):
    table = make_plates(rng).table
    samples = table.index[table["role"] == "sample"]
    table.loc[samples[0], "value"] = 0.0  # 0.08 below the blank, blank noise 0.005
    table.loc[samples[1], "value"] = 2.6  # 250 % of vehicle
    qc = plate_qc(table)
    flagged = qc.flagged_wells.set_index("check")
    assert flagged.loc["negative_signal", "well"] == table.loc[samples[0], "well"]
    assert flagged.loc["high_viability", "well"] == table.loc[samples[1], "well"]
    assert flagged.loc["high_viability", "viability"] == pytest.approx(250, abs=15)
    metrics = qc.to_frame().iloc[0]
    assert (metrics["n_negative"], metrics["n_high_viability"]) == (1, 1)
    assert {"negative_signal", "high_viability"} <= set(checks(qc, "warning"))


def test_negative_check_rarely_fires_on_dead_wells_at_the_blank(rng):
    # positive controls and top doses read at the blank level: the t prediction limit
    # should flag about 0.13 % of them (the 3-SD tail), not a few per plate
    table = make_plates(rng, plates=[f"P{i}" for i in range(50)], n_positive=12).table
    metrics = plate_qc(table).to_frame()
    assert metrics["n_negative"].sum() <= 5


def test_missing_vehicle_is_reported_not_raised(rng):
    table = make_plates(rng, cell_lines=("PC-9", "H1975")).table
    table = table[~(table["role"].eq("vehicle") & table["cell_line"].eq("H1975"))]
    qc = plate_qc(table)
    metrics = qc.to_frame().set_index("cell_line")
    assert metrics.loc["H1975", "status"] == "error"
    assert metrics.loc["PC-9", "status"] == "pass"
    issue = qc.issues[0]
    assert (issue.severity, issue.check, issue.cell_line) == ("error", "vehicle_missing", "H1975")
    assert issue.message.startswith("plate P1, read A570, cell line H1975: 24 sample well(s)")


def test_missing_blanks_and_unusable_wells_are_reported(rng):
    table = make_plates(rng).table
    table = table[table["role"] != "blank"].copy()
    table.loc[table.index[table["role"] == "sample"][:2], ["value", "read_flag"]] = [
        np.nan,
        "unreadable",
    ]
    qc = plate_qc(table)
    found = {(i.check, i.severity) for i in qc.issues}
    assert ("no_blank", "warning") in found
    assert ("unusable_well", "info") in found
    assert qc.to_frame()["status"].iloc[0] == "warning"
    frame = qc.issues_frame()
    assert list(frame.columns) == [
        "severity",
        "check",
        "plate",
        "read",
        "cell_line",
        "message",
        "wells",
    ]
    assert frame.loc[frame["check"] == "no_blank", "cell_line"].isna().all()


def test_time_zero_plate_is_checked_without_errors(rng):
    table = make_plates(rng, n_vehicle=0, n_positive=0).table.assign(time_zero=True)
    qc = plate_qc(table)
    assert "error" not in {i.severity for i in qc.issues}
    assert bool(qc.to_frame()["time_zero"].iloc[0])


def test_results_are_frozen(rng):
    qc = plate_qc(make_plates(rng).table)
    with pytest.raises(dataclasses.FrozenInstanceError):
        qc.metrics = pd.DataFrame()  # type: ignore[misc]
    frame = qc.to_frame()
    frame.loc[0, "z_prime"] = 0.0
    assert qc.metrics.loc[0, "z_prime"] != 0.0


def test_flag_saturated_needs_a_flag(rng):
    with pytest.raises(InputError, match="flag must be a non-empty read flag"):
        flag_saturated(make_plates(rng).table, flag=" ")


def test_positions_are_parsed_from_well_names_when_row_and_col_are_missing(rng):
    table = make_plates(rng, edge_factor=0.8).table
    expected = plate_qc(table).to_frame()
    parsed = plate_qc(table.drop(columns=["row", "col"])).to_frame()
    pd.testing.assert_frame_equal(parsed, expected)
