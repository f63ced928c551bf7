"""`resistlab synergy` writes the documented tables, with replicate statistics."""

from __future__ import annotations

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from resistlab.cli.main import app

runner = CliRunner()
DOSES = [0.0, 0.01, 0.03, 0.1, 0.3, 1.0]


def inhibition(dose, ec50):
    return 100.0 * dose / (dose + ec50)


def long_table(rng, extra: float) -> pd.DataFrame:
    rows = []
    for block, bonus in (("parental", 0.0), ("resistant", extra)):
        for c1 in DOSES:
            for c2 in DOSES:
                y1, y2 = inhibition(c1, 0.1), inhibition(c2, 0.3)
                bliss = y1 + y2 - y1 * y2 / 100
                for _ in range(3):
                    y = bliss + (bonus if c1 > 0 and c2 > 0 else 0.0) + rng.normal(0, 2)
                    rows.append(
                        {
                            "block_id": block,
                            "drug1": "defactinib",
                            "drug2": "ruxolitinib",
                            "conc1": c1,
                            "conc2": c2,
                            "response": 100 - y,
                            "conc_unit": "uM",
                        }
                    )
    return pd.DataFrame(rows)


def test_synergy_tables_recover_the_added_bliss_excess(tmp_path, rng):
    src = tmp_path / "combo.csv"
    long_table(rng, 12.0).to_csv(src, index=False)
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "synergy",
            str(src),
            "--kind",
            "viability",
            "--bootstrap",
            "300",
            "--no-figures",
            "--xlsx",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    blocks = pd.read_csv(out / "blocks.csv").set_index("block_id")
    for model in ("hsa", "bliss", "loewe", "zip"):
        for column in ("mean", "ci_low", "ci_high", "p_value", "max_area"):
            assert f"{model}_{column}" in blocks.columns
    assert abs(blocks.loc["parental", "bliss_mean"]) < 2.0
    resistant = blocks.loc["resistant"]
    assert abs(resistant["bliss_mean"] - 12.0) < 1.5  # the added excess (coverage: test_summary)
    assert resistant["bliss_ci_low"] < resistant["bliss_mean"] < resistant["bliss_ci_high"]
    assert blocks.loc["resistant", "bliss_p_value"] < 0.01
    assert "css" in blocks.columns
    wells = pd.read_csv(out / "wells.csv")
    assert len(wells) == 2 * len(DOSES) ** 2
    # Bliss expected from the observed monotherapies, per well
    assert (wells["conc_unit"] == "M").all()  # doses in molar, whatever the input unit
    w = wells[wells["block_id"] == "parental"].copy()
    w["c1"] = (w["conc1"] * 1e6).round(6)
    w["c2"] = (w["conc2"] * 1e6).round(6)
    w = w.set_index(["c1", "c2"])
    y1 = w.loc[(DOSES[3], 0.0), "response"]
    y2 = w.loc[(0.0, DOSES[2]), "response"]
    expected = y1 + y2 - y1 * y2 / 100
    assert np.isclose(w.loc[(DOSES[3], DOSES[2]), "bliss_expected"], expected)
    assert (out / "blocks.xlsx").exists()


def test_synergy_bad_model_and_kind_are_one_line_errors(tmp_path, rng):
    src = tmp_path / "combo.csv"
    long_table(rng, 0.0).to_csv(src, index=False)
    result = runner.invoke(app, ["synergy", str(src), "--models", "bliss,foo", "-o", str(tmp_path)])
    assert result.exit_code == 1 and "unknown model(s) foo" in result.output
    result = runner.invoke(app, ["synergy", str(src), "--kind", "percent", "-o", str(tmp_path)])
    assert result.exit_code == 1 and "--kind must be" in result.output
