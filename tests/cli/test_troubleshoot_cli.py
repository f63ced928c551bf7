"""`resistlab troubleshoot`: list guides, walk one, ask at open steps and log the answers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml
from typer.testing import CliRunner

from resistlab.cli.main import app

runner = CliRunner()


def _evidence(path: Path) -> Path:
    pd.DataFrame(
        [
            ("western", "p-FAK Tyr397", "drug_vs_vehicle", -0.1, 0.2),
            ("western", "pSTAT3 (Y705)", "resistant_vs_parental", 1.6, 0.3),
        ],
        columns=["assay", "target", "comparison", "log2_fold_change", "se"],
    ).to_csv(path, index=False)
    return path


def _facts(path: Path, **values: object) -> Path:
    path.write_text(yaml.safe_dump(values), encoding="utf-8")
    return path


def test_list_shows_every_guide_and_which_fits(tmp_path: Path) -> None:
    facts = _facts(tmp_path / "facts.yaml", fold_resistance=3.5)
    result = runner.invoke(
        app, ["troubleshoot", "--list", "--facts", str(facts)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    for guide in ("decreased_efficacy", "inconsistent_3d", "growth_rate_bias", "no_synergy"):
        assert guide in result.output
    assert "fold_resistance >= 2" in result.output
    assert "suggested: resistlab troubleshoot decreased_efficacy" in result.output


def test_no_arguments_lists_the_guides() -> None:
    result = runner.invoke(app, ["troubleshoot"])
    assert result.exit_code == 0, result.output
    assert "rnaseq_no_change" in result.output
    assert "suggested" not in result.output


def test_walk_skips_answered_steps_and_prints_the_plan(tmp_path: Path) -> None:
    evidence = _evidence(tmp_path / "blot.csv")
    facts = _facts(
        tmp_path / "facts.yaml",
        fold_resistance=4.2,
        fold_resistance_ci_low=3.1,
        fold_resistance_ci_high=5.6,
    )
    result = runner.invoke(
        app,
        [
            "troubleshoot",
            "decreased_efficacy",
            "-e",
            str(evidence),
            "-f",
            str(facts),
            "--no-interactive",
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "3 of 8 steps answered by the data; 5 to do." in out
    assert "pFAK_Y397 under Defactinib: log2FC -0.1 (se 0.2) in blot.csv, row 2 -> persists" in out
    assert "fold resistance 4.2 (95% CI 3.1-5.6) -> confirmed" in out
    plan = out.split("Remaining plan:")[1]
    assert "2. drug_stock" in plan and "6. rtk_bypass" in plan
    assert "5. pfak_under_drug" not in plan and "1. confirm_shift" not in plan


def test_interactive_asks_at_open_steps_and_writes_the_log(tmp_path: Path) -> None:
    facts = _facts(tmp_path / "facts.yaml", growth_rate_ratio=0.55, time_zero_plate="yes")
    log = tmp_path / "logs" / "walk.yaml"
    # growth_rate_bias: steps 1-2 answered; 3 (gr_metrics) done with a result; 4 not done.
    result = runner.invoke(
        app,
        [
            "troubleshoot",
            "growth_rate_bias",
            "-f",
            str(facts),
            "--interactive",
            "--log",
            str(log),
        ],
        input="y\nGR50 ratio 3.1, shift survives\nn\n",
    )
    assert result.exit_code == 0, result.output
    assert "Does the GR50 shift confirm the resistance? Done?" in result.output
    record = yaml.safe_load(log.read_text(encoding="utf-8"))
    assert record["guide"] == "growth_rate_bias"
    assert record["facts"] == str(facts)
    steps = {s["id"]: s for s in record["steps"]}
    assert steps["measure_growth"]["status"] == "answered"
    assert steps["measure_growth"]["findings"] == ["growth rate resistant/parental 0.55 -> slower"]
    assert "done" not in steps["time_zero_plate"]
    assert steps["gr_metrics"] == {
        "step": 3,
        "id": "gr_metrics",
        "status": "open",
        "done": True,
        "result": "GR50 ratio 3.1, shift survives",
    }
    assert steps["assay_length"]["done"] is False
    assert "result" not in steps["assay_length"]
    assert sorted(p.name for p in log.parent.iterdir()) == ["walk.yaml"]  # no temp files


def test_non_interactive_log_records_the_walk(tmp_path: Path) -> None:
    log = tmp_path / "walk.yaml"
    result = runner.invoke(
        app, ["troubleshoot", "no_synergy", "--no-interactive", "--log", str(log)]
    )
    assert result.exit_code == 0, result.output
    record = yaml.safe_load(log.read_text(encoding="utf-8"))
    assert [s["status"] for s in record["steps"]] == ["open"] * 6


def test_unknown_fact_is_one_line_naming_the_file(tmp_path: Path) -> None:
    facts = _facts(tmp_path / "facts.yaml", fold_resistence=3)
    result = runner.invoke(app, ["troubleshoot", "decreased_efficacy", "-f", str(facts)])
    assert result.exit_code == 1
    assert "InputError" in result.output
    assert "facts.yaml" in result.output and "fold_resistence" in result.output


def test_unknown_guide_and_bad_facts_file_fail_cleanly(tmp_path: Path) -> None:
    result = runner.invoke(app, ["troubleshoot", "no_such_guide"])
    assert result.exit_code == 1
    assert "unknown guide 'no_such_guide'" in result.output
    bad = tmp_path / "facts.yaml"
    bad.write_text("- just\n- a list\n", encoding="utf-8")
    result = runner.invoke(app, ["troubleshoot", "decreased_efficacy", "-f", str(bad)])
    assert result.exit_code == 1
    assert "FileFormatError" in result.output and "expected a mapping" in result.output
