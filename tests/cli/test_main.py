"""The command line: table mode, plate mode, the demo, and one-line errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from resistlab.cli.main import app
from resistlab.dose_response import log_logistic

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
runner = CliRunner()


def long_table(rng: np.random.Generator) -> tuple[pd.DataFrame, dict[str, float]]:
    doses_um = 30 / 3.0 ** np.arange(8)
    truth = {"parental": 0.4, "resistant": 4.0}
    rows = []
    for line, ec50 in truth.items():
        for rep in range(3):
            rows.append(
                {"line": line, "rep": rep, "dose_uM": 0.0, "viability": 100 + rng.normal(0, 2)}
            )
            for d in doses_um:
                y = log_logistic(d, hill_slope=1.2, bottom=5.0, top=100.0, ec50=ec50) + rng.normal(
                    0, 2
                )
                rows.append({"line": line, "rep": rep, "dose_uM": d, "viability": y})
    return pd.DataFrame(rows), truth


def test_fit_table_writes_one_row_per_curve_with_the_documented_columns(tmp_path, rng):
    table, truth = long_table(rng)
    src = tmp_path / "table.csv"
    table.to_csv(src, index=False)
    out = tmp_path / "results.csv"
    result = runner.invoke(
        app,
        [
            "fit",
            str(src),
            "--dose",
            "dose_uM",
            "--response",
            "viability",
            "--by",
            "line",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    res = pd.read_csv(out, keep_default_na=False, na_values=[""])
    required = [
        "ec50",
        "hill",
        "bottom",
        "top",
        "ic50",
        "ic50_ci_low",
        "ic50_ci_high",
        "ic10",
        "ic20",
        "emax",
        "auc",
        "rse",
        "converged",
        "flag",
    ]
    assert set(required) <= set(res.columns)
    assert list(res["line"]) == ["parental", "resistant"]
    # doses stay in the input unit (uM): ec50 near the truth in uM
    for line, ec50 in truth.items():
        got = res.loc[res["line"] == line, "ec50"].iloc[0]
        assert abs(np.log10(got / ec50)) < 0.1
    # vehicle rows set the 100 % level: absolute IC50 solves f(x) = control / 2
    row = res.iloc[0]
    expected = row["ec50"] * (
        (row["top"] - row["control_response"] / 2) / (row["control_response"] / 2 - row["bottom"])
    ) ** (1 / row["hill"])
    assert row["ic50"] == pytest.approx(expected, rel=1e-9)
    assert (res["control_source"] == "vehicle rows").all()


def test_fit_table_error_names_file_row_and_column(tmp_path, rng):
    table, _ = long_table(rng)
    table["dose_uM"] = table["dose_uM"].astype(object)
    table.loc[5, "dose_uM"] = "ten"
    src = tmp_path / "bad.csv"
    table.to_csv(src, index=False)
    result = runner.invoke(
        app,
        [
            "fit",
            str(src),
            "--dose",
            "dose_uM",
            "--response",
            "viability",
            "-o",
            str(tmp_path / "r.csv"),
        ],
    )
    assert result.exit_code == 1
    assert "InputError" in result.output
    assert "bad.csv, row 7: 'ten' in column 'dose_uM' is not a number" in result.output
    assert not (tmp_path / "r.csv").exists()


def test_fit_table_unknown_column_is_one_clear_line(tmp_path, rng):
    table, _ = long_table(rng)
    src = tmp_path / "t.csv"
    table.to_csv(src, index=False)
    result = runner.invoke(
        app,
        [
            "fit",
            str(src),
            "--dose",
            "conc",
            "--response",
            "viability",
            "-o",
            str(tmp_path / "r.csv"),
        ],
    )
    assert result.exit_code == 1
    assert "column(s) 'conc' not found" in result.output


def test_plate_mode_on_the_example_runs_recovers_the_simulated_shift(tmp_path):
    folder = tmp_path / "examples"
    shutil.copytree(EXAMPLES, folder)
    out = tmp_path / "out"
    result = runner.invoke(app, ["demo", str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    fold = pd.read_csv(out / "dose_response" / "fold_resistance.csv")
    assert fold.loc[0, "cell_line"] == "MDA-MB-231-DefR"
    assert fold.loc[0, "fold_ci_low"] > 5  # a real shift
    gr = pd.read_csv(out / "dose_response" / "gr_metrics.csv")
    truth = {"MDA-MB-231": 1.2e-6, "MDA-MB-231-DefR": 7.5e-6}  # examples/make_examples.py
    for line, gec50 in truth.items():
        got = gr.loc[gr["cell_line"] == line, "GEC50"].iloc[0]
        assert abs(np.log10(got / gec50)) < 0.15
    variability = pd.read_csv(out / "dose_response" / "run_variability.csv")
    assert variability["message"].str.contains("matrigel_lot differs").all()


def test_plate_mode_map_that_disagrees_with_data_fails_cleanly(tmp_path):
    bad_map = tmp_path / "map.yaml"
    bad_map.write_text("plate: {format: 384}\nblocks:\n  - {role: blank, rows: B-G, columns: 12}\n")
    result = runner.invoke(
        app,
        [
            "fit",
            str(EXAMPLES / "dose_response" / "run1.txt"),
            "--map",
            str(bad_map),
            "-o",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 1
    assert "PlateMapError" in result.output
    assert not (tmp_path / "out").exists()


def test_fit_table_bootstrap_option_adds_percentile_intervals(tmp_path, rng):
    table, _ = long_table(rng)
    src = tmp_path / "table.csv"
    table.to_csv(src, index=False)
    out = tmp_path / "results.csv"
    result = runner.invoke(
        app,
        [
            "fit",
            str(src),
            "--dose",
            "dose_uM",
            "--response",
            "viability",
            "--by",
            "line",
            "--bootstrap",
            "200",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    res = pd.read_csv(out)
    assert (res["n_boot"] == 200).all()
    for level in ("ic50", "ic10", "ic20"):
        assert (res[f"{level}_boot_low"] < res[level]).all()
        assert (res[level] < res[f"{level}_boot_high"]).all()
    # bootstrap and delta-method intervals describe the same uncertainty
    width_boot = np.log(res["ic50_boot_high"] / res["ic50_boot_low"])
    width_delta = np.log(res["ic50_ci_high"] / res["ic50_ci_low"])
    assert np.all((width_boot / width_delta).between(0.6, 1.6))
