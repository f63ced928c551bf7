"""The campaign commands end to end on a SQLite file: plan, record, steer, export."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from resistlab.cli.main import app
from resistlab.store import Store

runner = CliRunner()


def run(*args: str, db: str):
    result = runner.invoke(app, [*args, "--db", db])
    return result


@pytest.fixture
def db(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'lab.db'}"


def test_plan_prints_the_published_ladder():
    result = runner.invoke(
        app,
        [
            "campaign",
            "plan",
            "--ic50",
            "1",
            "--unit",
            "uM",
            "--factor",
            "1.5",
            "--target-fold",
            "5",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Start at IC20 = 250 nM" in result.output
    assert "8 escalations" in result.output  # ceil(ln 20 / ln 1.5)


def test_a_campaign_from_creation_to_escalation(db):
    assert (
        run(
            "campaign",
            "new",
            "DefR",
            "--cell-line",
            "MDA-MB-231",
            "--drug",
            "defactinib",
            "--ic50",
            "1",
            "--unit",
            "uM",
            "--doubling-hours",
            "24",
            "--date",
            "2024-05-01",
            db=db,
        ).exit_code
        == 0
    )
    # two passages growing as fast as the parent (3 doublings in 3 days)
    for day in ("2024-05-04", "2024-05-07", "2024-05-10"):
        out = run(
            "campaign",
            "log",
            "passage",
            "DefR",
            "--count",
            "8e6",
            "--seeded",
            "1e6",
            "--viability",
            "95",
            "--date",
            day,
            db=db,
        )
        assert out.exit_code == 0, out.output
    status = run("campaign", "status", "DefR", "--date", "2024-05-10", db=db)
    assert "freeze_vials" in status.output
    assert (
        run(
            "campaign",
            "log",
            "freeze",
            "DefR",
            "--vial",
            "V1",
            "--vial",
            "V2",
            "--box",
            "B1",
            "--date",
            "2024-05-10",
            db=db,
        ).exit_code
        == 0
    )
    status = run("campaign", "status", "DefR", "--date", "2024-05-10", db=db)
    assert "escalate" in status.output and "500 nM" in status.output
    out = run("campaign", "log", "step", "DefR", "--dose", "0.5", "--date", "2024-05-10", db=db)
    assert "step 2 of DefR: 500 nM" in out.output
    record = Store(db).load_campaign("DefR")
    assert [s.dose for s in record.steps] == pytest.approx([2.5e-7, 5e-7])
    assert record.steps[1].cell_line == "DefR-s2"
    assert len(record.passages) == 3
    assert {v.vial_id for v in record.cryostocks} == {"V1", "V2"}


def test_bad_input_is_one_line_and_changes_nothing(db):
    run("campaign", "new", "C", "--cell-line", "L", "--drug", "D", "--ic50", "1", db=db)
    before = Store(db).load_campaign("C")
    out = run("campaign", "log", "passage", "C", "--count", "-5", "--date", "2024-06-01", db=db)
    assert out.exit_code == 1
    assert "InputError" in out.output and "negative" in out.output
    out = run("campaign", "log", "step", "C", "--dose", "1", "--unit", "furlongs", db=db)
    assert out.exit_code == 1 and "unknown concentration unit 'furlongs'" in out.output
    out = run("campaign", "status", "missing", db=db)
    assert out.exit_code == 1 and "'missing'" in out.output
    assert Store(db).load_campaign("C") == before


def test_export_import_round_trip(db, tmp_path):
    run("campaign", "new", "C", "--cell-line", "L", "--drug", "D", "--ic50", "2", db=db)
    run(
        "campaign",
        "log",
        "passage",
        "C",
        "--count",
        "2e6",
        "--seeded",
        "5e5",
        "--date",
        "2030-01-03",
        db=db,
    )
    first = tmp_path / "a.json"
    assert run("export", str(first), db=db).exit_code == 0
    other = f"sqlite:///{tmp_path / 'copy.db'}"
    assert run("import", str(first), db=other).exit_code == 0
    second = tmp_path / "b.json"
    run("export", str(second), db=other)
    assert json.loads(first.read_text())["tables"] == json.loads(second.read_text())["tables"]
    backup = run("backup", str(tmp_path / "backups"), db=db)
    assert backup.exit_code == 0 and "backup written" in backup.output


def test_timeline_writes_a_png(db, tmp_path):
    run(
        "campaign",
        "new",
        "C",
        "--cell-line",
        "L",
        "--drug",
        "D",
        "--ic50",
        "2",
        "--date",
        "2024-01-01",
        db=db,
    )
    out = run("campaign", "timeline", "C", "-o", str(tmp_path / "t.png"), db=db)
    assert out.exit_code == 0, out.output
    assert (tmp_path / "t.png").read_bytes()[:4] == b"\x89PNG"


def test_simulate_writes_one_row_per_strategy(tmp_path):
    out_csv = tmp_path / "sim.csv"
    result = runner.invoke(
        app,
        [
            "campaign",
            "simulate",
            "--ic50",
            "1",
            "--unit",
            "uM",
            "--runs",
            "8",
            "--seed",
            "3",
            "-o",
            str(out_csv),
        ],
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out_csv)
    for column in (
        "strategy",
        "weeks_to_target_median",
        "weeks_to_target_p05",
        "weeks_to_target_p95",
        "p_culture_lost",
    ):
        assert column in table.columns
    assert table["strategy"].is_unique and len(table) >= 4
    assert table["p_culture_lost"].between(0, 1).all()
    assert out_csv.with_suffix(".png").exists()


def test_retest_links_a_fit_results_row_and_status_shows_growth(db, tmp_path):
    run(
        "campaign",
        "new",
        "C",
        "--cell-line",
        "L",
        "--drug",
        "D",
        "--ic50",
        "1",
        "--date",
        "2024-01-01",
        db=db,
    )
    results = tmp_path / "curves.csv"
    pd.DataFrame(
        {
            "cell_line": ["L-R"],
            "ic50": [7.5e-6],
            "ic50_ci_low": [6e-6],
            "ic50_ci_high": [9e-6],
            "ic50_censor": [""],
        }
    ).to_csv(results, index=False)
    out = run(
        "campaign",
        "log",
        "retest",
        "C",
        "--results",
        str(results),
        "--row",
        "0",
        "--drug-free-passages",
        "4",
        "--date",
        "2024-03-01",
        db=db,
    )
    assert out.exit_code == 0, out.output
    (link,) = Store(db).load_campaign("C").dose_responses
    assert (link.ic50, link.ic50_low, link.ic50_high) == (7.5e-6, 6e-6, 9e-6)
    assert link.source == f"{results}, row 0"
    assert "stable resistance: IC50 7.5-fold parental" in out.output
    run(
        "campaign",
        "log",
        "passage",
        "C",
        "--count",
        "1e6",
        "--seeded",
        "1e6",
        "--date",
        "2024-01-02",
        db=db,
    )
    run(
        "campaign",
        "log",
        "passage",
        "C",
        "--count",
        "4e6",
        "--seeded",
        "1e6",
        "--date",
        "2024-01-04",
        db=db,
    )
    status = run("campaign", "status", "C", "--date", "2024-01-05", db=db)
    assert "2.0 cumulative population doublings" in status.output
