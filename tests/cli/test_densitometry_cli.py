"""`resistlab densitometry` turns band exports into evidence that `mechanisms` ranks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from resistlab.cli.main import app
from resistlab.mechanism import EVIDENCE_COLUMNS

runner = CliRunner()


def _western(folder: Path, rng: np.random.Generator, rise: float = 4.0) -> Path:
    """Three blots, two parental and two resistant lanes each; pSTAT3/STAT3 up `rise`-fold."""
    rows = []
    for blot in ("B1", "B2", "B3"):
        exposure = rng.uniform(0.5, 2.0)  # each membrane develops differently
        for lane in range(1, 5):
            condition = "parental" if lane <= 2 else "resistant"
            load = rng.uniform(0.7, 1.3)  # unequal loading, corrected by GAPDH
            total = 800.0 * rng.lognormal(0, 0.05)
            phospho = 200.0 * (rise if condition == "resistant" else 1.0) * rng.lognormal(0, 0.1)
            for target, signal in (
                ("p-STAT3 Tyr705", phospho),
                ("STAT3", total),
                ("GAPDH", 1000.0 * rng.lognormal(0, 0.03)),
            ):
                rows.append(
                    {
                        "blot": blot,
                        "lane": lane,
                        "condition": condition,
                        "target": target,
                        "signal": round(signal * load * exposure, 1),
                    }
                )
    path = folder / "bands.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_planted_pstat3_rise_ranks_stat3_hyperactivation_first(tmp_path, rng):
    export = _western(tmp_path, rng)
    out = tmp_path / "blots"
    result = runner.invoke(app, ["densitometry", str(export), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "pSTAT3_Y705" in result.output  # the Rich table of fold changes
    for name in ("bands.csv", "comparisons.csv", "evidence.csv"):
        assert (out / name).exists()
    bands = pd.read_csv(out / "bands.csv")
    assert set(bands["measure"]) == {"to_loading_control", "to_total"}
    evidence = pd.read_csv(out / "evidence.csv")
    assert list(evidence.columns) == list(EVIDENCE_COLUMNS)
    row = evidence.set_index("target").loc["pSTAT3_Y705"]
    assert row["assay"] == "western"
    assert row["comparison"] == "resistant_vs_parental"
    assert row["log2_fold_change"] == pytest.approx(2.0, abs=0.3)
    assert row["n"] == 3  # blots
    assert row["p_value"] < 0.05

    ranking_path = tmp_path / "ranking.csv"
    result = runner.invoke(app, ["mechanisms", str(out / "evidence.csv"), "-o", str(ranking_path)])
    assert result.exit_code == 0, result.output
    ranking = pd.read_csv(ranking_path)
    assert ranking.iloc[0]["mechanism"] == "stat3_hyperactivation"
    # one marker alone, however clear, calibrates to "weakly supported" (see test_scoring)
    assert ranking.iloc[0]["verdict"] in ("supported", "weakly supported")


def test_drug_vs_vehicle_comparison_name(tmp_path, rng):
    table = pd.read_csv(_western(tmp_path, rng))
    table["condition"] = table["condition"].map({"parental": "DMSO", "resistant": "defactinib"})
    table.to_csv(tmp_path / "treated.csv", index=False)
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "densitometry",
            str(tmp_path / "treated.csv"),
            "--numerator",
            "defactinib",
            "--denominator",
            "DMSO",
            "--comparison",
            "drug_vs_vehicle",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert set(pd.read_csv(out / "evidence.csv")["comparison"]) == {"drug_vs_vehicle"}


def test_rtk_array_spots_become_phospho_rtk_evidence(tmp_path):
    rows = []
    for membrane, condition, egfr in (("P", "parental", 120.0), ("R", "resistant", 900.0)):
        for spot, target, signal in (
            ("A1", "Reference", 1010.0),
            ("A2", "Reference", 990.0),
            ("C3", "EGFR", egfr),
            ("C4", "EGFR", egfr + 20),
            ("D1", "HER2", 400.0),
            ("D2", "HER2", 420.0),
            ("F1", "PBS", 10.0),
            ("F2", "PBS", 10.0),
        ):
            rows.append(
                {"membrane": membrane, "lane": spot, "condition": condition}
                | {"target": target, "signal": signal}
            )
    path = tmp_path / "array.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    out = tmp_path / "out"
    result = runner.invoke(app, ["densitometry", str(path), "--assay", "rtk_array", "-o", str(out)])
    assert result.exit_code == 0, result.output
    evidence = pd.read_csv(out / "evidence.csv").set_index("target")
    assert set(evidence.index) == {"pEGFR", "pERBB2"}
    assert (evidence["assay"] == "rtk_array").all()
    assert evidence.loc["pEGFR", "log2_fold_change"] == pytest.approx(np.log2(900 / 120), abs=1e-9)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--assay", "elisa"], "--assay must be western or rtk_array"),
        (["--layout", "odd"], "--layout must be one of"),
        (["--numerator", "parental"], "are both 'parental'"),
        (["--denominator", "sham"], "no lanes with condition 'sham'"),
        (["--target", "a.csv"], None),
        (["--target", "a.csv=x", "--target", "b.csv"], "FILE=TARGET"),
    ],
)
def test_bad_options_are_one_line_errors(tmp_path, rng, extra, message):
    export = _western(tmp_path, rng)
    result = runner.invoke(app, ["densitometry", str(export), *extra, "-o", str(tmp_path / "o")])
    if message is None:  # a single plain --target only fills bands without one: still fine
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 1
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "o" / "evidence.csv").exists()


def test_missing_file_is_named(tmp_path):
    result = runner.invoke(app, ["densitometry", str(tmp_path / "nope.csv"), "-o", str(tmp_path)])
    assert result.exit_code == 1
    assert "nope.csv: no such file" in result.output
