"""`resistlab synergy` writes the documented tables, with replicate statistics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
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


# --------------------------------------------------------------------------- plates, --reference

PARENTAL, RESISTANT, SHAM = "MDA-MB-231", "MDA-MB-231-DefR", "MDA-MB-231-sham"
DEF_UM = [0.0, 0.1, 0.3, 1.0, 3.0]  # drug 1, across columns 1-5 and 6-10 (two matrices)
RUX_UM = [0.0, 0.3, 1.0, 3.0, 10.0]  # drug 2, down rows A-E


def plate_truth(excess: float) -> np.ndarray:
    """Inhibition (%) of the (defactinib, ruxolitinib) grid: Bliss plus `excess` on combinations."""
    y1 = inhibition(np.array(DEF_UM), 3.0)[:, None]
    y2 = inhibition(np.array(RUX_UM), 10.0)[None, :]
    combo = (np.array(DEF_UM)[:, None] > 0) & (np.array(RUX_UM)[None, :] > 0)
    return y1 + y2 - y1 * y2 / 100 + excess * combo


def write_combination_plates(folder, rng, line: str, excess: float):
    """Two CellTiter-Glo plates (labelled grid CSVs) of one line, and their two-drug map."""
    blank, vehicle = 300.0, 150_000.0
    y = plate_truth(excess)
    rows = ["# readout: CellTiter-Glo", "well,role,cell_line,drug1,conc1,drug2,conc2,unit"]
    layout = np.full((8, 12), np.nan)  # expected inhibition of each well; NaN = blank
    for r, letter in enumerate("ABCDE"):
        for col in range(10):
            i = col % 5
            layout[r, col] = y[i, r]
            rows.append(
                f"{letter}{col + 1},sample,{line},defactinib,{DEF_UM[i]},ruxolitinib,{RUX_UM[r]},uM"
            )
    for letter in "ABCDEFGH":
        layout["ABCDEFGH".index(letter), 10] = 0.0
        rows.append(f"{letter}11,vehicle,{line},DMSO,0,,,uM")
        rows.append(f"{letter}12,blank,,,,,,")
    plate_map = folder / f"{line}.map.csv"
    plate_map.write_text("\n".join(rows) + "\n")
    exports = []
    for run in (1, 2):
        cells = np.where(np.isnan(layout), 0.0, vehicle * (1 - np.nan_to_num(layout) / 100))
        values = blank + cells + rng.normal(0, 0.03 * vehicle, cells.shape)  # ~3 points
        grid = [",".join(["", *map(str, range(1, 13))])]
        grid += [
            ",".join([letter, *(f"{v:.1f}" for v in values[r])])
            for r, letter in enumerate("ABCDEFGH")
        ]
        export = folder / f"{line}_plate{run}.csv"
        export.write_text("\n".join(grid) + "\n")
        exports.append(export)
    return exports, plate_map


def test_plates_with_reference_find_the_planted_synergy_and_not_the_sham(tmp_path, rng):
    args = ["synergy"]
    maps = []
    for line, excess in ((PARENTAL, 0.0), (RESISTANT, 15.0), (SHAM, 0.0)):
        exports, plate_map = write_combination_plates(tmp_path, rng, line, excess)
        args += [str(e) for e in exports]
        maps += [plate_map] * len(exports)
    for plate_map in maps:
        args += ["--map", str(plate_map)]
    args += ["--reference", PARENTAL, "--bootstrap", "400", "--seed", "3", "--no-figures"]
    out = tmp_path / "out"
    result = runner.invoke(app, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "6 export(s): 3 block(s) on 3 cell line(s)" in result.output

    blocks = pd.read_csv(out / "blocks.csv").set_index("cell_line")
    assert blocks.loc[RESISTANT, "block_id"] == f"{RESISTANT}/defactinib+ruxolitinib"
    assert abs(blocks.loc[PARENTAL, "bliss_mean"]) < 2.0
    assert abs(blocks.loc[RESISTANT, "bliss_mean"] - 15.0) < 4.0
    wells = pd.read_csv(out / "wells.csv")
    assert set(wells["cell_line"]) == {PARENTAL, RESISTANT, SHAM}
    assert wells["n"].max() == 2 * (2 + 8)  # the control: 2 plates x (2 matrix corners + 8 DMSO)
    assert wells["n"].min() == 4  # two plates x two matrices

    comparisons = pd.read_csv(out / "comparisons.csv")
    assert list(comparisons.columns[:11]) == [
        "drug1",
        "drug2",
        "reference_line",
        "cell_line",
        "model",
        "reference_mean",
        "line_mean",
        "difference",
        "ci_low",
        "ci_high",
        "p_value",
    ]
    assert len(comparisons) == 2 * 4  # two other lines x four models
    assert (comparisons["reference_line"] == PARENTAL).all()
    assert comparisons[["ci_low", "ci_high", "p_value"]].notna().all().all()
    np.testing.assert_allclose(
        comparisons["difference"], comparisons["line_mean"] - comparisons["reference_mean"]
    )
    rows = comparisons.set_index(["cell_line", "model"])
    planted = rows.loc[(RESISTANT, "bliss")]
    assert abs(planted["difference"] - 15.0) < 4.0
    assert 0 < planted["ci_low"] < 15.0 < planted["ci_high"]
    assert planted["p_value"] < 0.01
    sham = rows.loc[(SHAM, "bliss")]
    assert sham["ci_low"] < 0 < sham["ci_high"]
    assert sham["p_value"] > 0.05
    assert planted["line_mean"] == pytest.approx(blocks.loc[RESISTANT, "bliss_mean"])
    assert f"Synergy versus {PARENTAL}" in result.output


def test_reference_without_replicates_reports_the_difference_and_says_why(tmp_path, rng):
    table = long_table(rng, 12.0)
    table = table.groupby(["block_id", "conc1", "conc2"], as_index=False).first()  # one replicate
    table["cell_line_name"] = table["block_id"]
    src = tmp_path / "combo.csv"
    table.to_csv(src, index=False)
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        ["synergy", str(src), "--reference", "parental", "--models", "bliss", "--no-figures",
         "-o", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    row = pd.read_csv(out / "comparisons.csv").iloc[0]
    assert (row["cell_line"], row["model"]) == ("resistant", "bliss")
    assert abs(row["difference"] - 12.0) < 4.0
    assert np.isnan([row["ci_low"], row["ci_high"], row["p_value"]]).all()
    assert "no replicate wells in parental and resistant" in result.output


def test_reference_on_small_matrices_bootstraps_the_fitted_models(tmp_path, rng):
    """4 x 4 doses: resamples keep their replicates, so Loewe's single-drug fits work."""
    table = long_table(rng, 10.0)
    table = table[table["conc1"].isin(DOSES[:4]) & table["conc2"].isin(DOSES[:4])]
    table["cell_line"] = table["block_id"]
    src = tmp_path / "combo.csv"
    table.to_csv(src, index=False)
    out = tmp_path / "out"
    args = ["synergy", str(src), "--reference", "parental", "--models", "bliss,loewe"]
    result = runner.invoke(app, [*args, "--bootstrap", "200", "--no-figures", "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = pd.read_csv(out / "comparisons.csv").set_index("model")
    assert rows.loc["bliss", "ci_low"] > 0 and rows.loc["bliss", "p_value"] < 0.05
    loewe = rows.loc["loewe"]
    assert loewe["ci_low"] <= loewe["difference"] <= loewe["ci_high"]
    assert 0 < loewe["p_value"] <= 1
    blocks = pd.read_csv(out / "blocks.csv")
    assert blocks[["bliss_p_value", "loewe_p_value"]].notna().all().all()
    assert (out / "ci.csv").exists()  # written without figures too


def test_unknown_reference_lists_the_lines_and_writes_nothing(tmp_path, rng):
    table = long_table(rng, 0.0)
    table["cell_line"] = table["block_id"].map({"parental": "PC-9", "resistant": "PC-9-DefR"})
    src = tmp_path / "combo.csv"
    table.to_csv(src, index=False)
    out = tmp_path / "out"
    result = runner.invoke(app, ["synergy", str(src), "--reference", "A549", "-o", str(out)])
    assert result.exit_code == 1
    assert "--reference 'A549' is not a cell line of the input; the lines are 'PC-9', " in (
        result.output
    )
    assert not out.exists()
    result = runner.invoke(
        app, ["synergy", str(src), "--map", str(src), "--kind", "viability", "-o", str(out)]
    )
    assert result.exit_code == 1 and "--kind applies to tables" in result.output


# --------------------------------------------------------------------------- Chou-Talalay


def _ci_csv(tmp_path, table, *extra):
    src = tmp_path / "ci_input.csv"
    table.to_csv(src, index=False)
    out = tmp_path / "ci_out"
    result = runner.invoke(app, ["synergy", str(src), "--bootstrap", "0", *extra, "-o", str(out)])
    assert result.exit_code == 0, result.output
    return src, out, pd.read_csv(out / "ci.csv", keep_default_na=False, na_values=[""])


def test_synergy_writes_chou_talalay_figures_and_ci_table(tmp_path, rng):
    from resistlab.cli.synergy_cmd import MODEL_NAMES
    from resistlab.synergy.ci import combination_index
    from resistlab.synergy.data import matrices_from_frame

    src, out, ci = _ci_csv(tmp_path, long_table(rng, 12.0), "--kind", "viability")
    for block in ("parental", "resistant"):
        for name in ("isobologram", "fa_ci", *(f"{m}_contour" for m in MODEL_NAMES)):
            assert (out / f"block_{block}_{name}.png").stat().st_size > 10_000, name
    # the same data through the API, independently of the command
    expected = combination_index(matrices_from_frame(pd.read_csv(src), kind="viability"))
    wells = expected.to_frame()
    wells = wells[(wells["conc1"] > 0) & (wells["conc2"] > 0)]
    got = ci[ci["source"] == "well"]
    assert len(got) == len(wells) == 2 * (len(DOSES) - 1) ** 2
    merged = got.merge(wells, on=["block_id", "conc1", "conc2"], suffixes=("", "_api"))
    assert len(merged) == len(got)
    for column in ("fa", "ci", "dx1", "dx2", "dri1", "dri2"):
        np.testing.assert_allclose(merged[column], merged[f"{column}_api"], rtol=1e-12)
    undefined = merged[~np.isfinite(merged["ci"])]  # wells the +12 points pushed to 100 %
    assert len(undefined) < 10 and (undefined["note"] == "fa >= 1: CI undefined").all()
    assert (merged["note"].fillna("") == merged["note_api"]).all()
    assert (merged["conc_unit"] == "M").all()
    np.testing.assert_allclose(merged["ratio"], merged["conc1"] / merged["conc2"])
    # CI at the effect levels: one row per block, fixed-ratio series and level
    levels = expected.level_frame()
    got = ci[ci["source"] == "fixed_ratio"]
    assert sorted(got["level"].unique()) == [50.0, 75.0, 90.0]
    merged = got.merge(levels, on=["block_id", "ratio", "level"], suffixes=("", "_api"))
    assert len(merged) == len(got) == len(levels) > 0
    pairs = {"conc1": "dose1", "conc2": "dose2", "fa": "fa_api", "ci": "ci_api"}
    pairs |= {"dri1": "dri1_api", "dri2": "dri2_api", "m_combo": "m_combo_api"}
    for column, api in pairs.items():
        np.testing.assert_allclose(merged[column], merged[api], rtol=1e-12)
    assert (merged["n_wells"] == merged["n_wells_api"]).all()
    # single-agent median-effect fits on every row of a block
    fits = expected.median_effect_frame().set_index(["block_id", "position"])
    for _, row in ci.iterrows():
        for k in (1, 2):
            assert row[f"dm{k}"] == fits.loc[(row["block_id"], k), "dm"]
            assert row[f"m{k}"] == fits.loc[(row["block_id"], k), "m"]


def chou_talalay_table(c1, c2, dm, slopes, *, replicates=1, noise=0.0, rng=None):
    """Long table of a Loewe-additive surface of two median-effect drugs (CI = 1 exactly).

    Single agents follow ``fa / (1 - fa) = (D / Dm) ** m``; each combination
    well solves ``d1 / Dx1(fa) + d2 / Dx2(fa) = 1`` for its log-odds.
    """
    from scipy.optimize import brentq

    rows = []
    for a in c1:
        for b in c2:
            if a == 0 and b == 0:
                fa = 0.0
            else:

                def excess(z, a=a, b=b):
                    dx1, dx2 = (d * np.exp(z / s) for d, s in zip(dm, slopes, strict=True))
                    return a / dx1 + b / dx2 - 1.0

                fa = 1.0 / (1.0 + np.exp(-brentq(excess, -60.0, 60.0, xtol=1e-13)))
            for _ in range(replicates):
                y = 100.0 * fa + (rng.normal(0.0, noise) if noise else 0.0)
                rows.append(
                    {"block_id": "additive", "drug1": "osimertinib", "drug2": "savolitinib",
                     "conc1": a, "conc2": b, "response": y, "conc_unit": "M"}
                )  # fmt: skip
    return pd.DataFrame(rows)


def test_ci_table_is_one_on_a_loewe_additive_surface(tmp_path, rng):
    c1 = np.r_[0.0, 2e-7 * 2.0 ** np.arange(7)]  # 8 x 8, both diluted 1:2
    c2 = np.r_[0.0, 5e-8 * 2.0 ** np.arange(7)]
    dm, slopes = (1.5e-6, 4e-7), tuple(rng.uniform(0.7, 2.0, 2))
    exact = chou_talalay_table(c1, c2, dm, slopes)
    _, _, ci = _ci_csv(tmp_path, exact, "--kind", "inhibition", "--models", "bliss")
    wells = ci[ci["source"] == "well"]
    assert len(wells) == 49
    np.testing.assert_allclose(wells["ci"], 1.0, atol=1e-6)
    np.testing.assert_allclose(wells["dm1"], dm[0], rtol=1e-6)
    np.testing.assert_allclose(wells["m2"], slopes[1], rtol=1e-6)
    series = ci[ci["source"] == "fixed_ratio"]
    assert series["ratio"].nunique() == 9  # the diagonals with >= 3 wells
    # a series of two drugs with unequal slopes is only nearly a median-effect curve
    np.testing.assert_allclose(series["ci"], 1.0, atol=0.03)
    np.testing.assert_allclose(series["fa"], series["level"] / 100)
    # seeded noise, 3 replicates: still additive within the noise
    noisy = chou_talalay_table(c1, c2, dm, slopes, replicates=3, noise=1.0, rng=rng)
    _, _, ci = _ci_csv(tmp_path, noisy, "--kind", "inhibition", "--models", "bliss")
    assert abs(np.median(ci.loc[ci["source"] == "well", "ci"]) - 1.0) < 0.05
    main = ci[(ci["source"] == "fixed_ratio") & (ci["n_wells"] == 7)]
    assert len(main) == 3 and np.all(np.abs(main["ci"] - 1.0) < 0.1)


def test_blocks_without_a_ci_or_a_landscape_get_figures_that_say_why(tmp_path):
    from resistlab.cli.synergy_cmd import MODEL_NAMES

    rows = [
        {"block_id": block, "drug1": "A", "drug2": "B", "conc1": a, "conc2": b,
         "response": response(a, b), "conc_unit": "uM"}
        for block, doses, response in (
            ("flat", (0.0, 0.1, 1.0, 10.0), lambda a, b: 0.0),  # no effect: no median-effect fit
            ("dead", (0.0, 0.1, 1.0), lambda a, b: 100.0 if a + b else 0.0),  # fa = 1: no CI
            ("tiny", (0.0, 1.0), lambda a, b: 20.0 * (a + b)),  # one dose of each drug
        )
        for a in doses
        for b in doses
    ]  # fmt: skip
    _, out, ci = _ci_csv(tmp_path, pd.DataFrame(rows), "--kind", "inhibition")
    for block in ("flat", "dead", "tiny"):
        for name in ("isobologram", "fa_ci", *(f"{m}_contour" for m in MODEL_NAMES)):
            assert (out / f"block_{block}_{name}.png").exists(), (block, name)
    wells = ci[ci["source"] == "well"].set_index("block_id")
    assert wells["ci"].isna().all()
    assert (wells.loc["dead", "note"] == "fa >= 1: CI undefined").all()
    assert (wells.loc["flat", "note"] == "fa <= 0: CI undefined").all()
    assert wells.loc["tiny", "note"].startswith("drug 1 median-effect fit undefined")
    # the figures of such blocks say why they are empty
    from resistlab.cli.synergy_cmd import _fa_ci_figure, _isobologram_figure
    from resistlab.synergy.ci import combination_index
    from resistlab.synergy.data import matrices_from_frame

    result = combination_index(matrices_from_frame(pd.DataFrame(rows), kind="inhibition"))
    for i, block in enumerate(result.block_ids):
        for figure in (_isobologram_figure(result, i), _fa_ci_figure(result, i)):
            (why,) = [t.get_text() for t in figure.texts if t.get_gid() == "why_empty"]
            assert "no median-effect fit" in why, (block, why)


# --------------------------------------------------------------------------- QC


def test_qc_warnings_and_baseline_correction(tmp_path, rng):
    """A control 30 points off is reported; --baseline all applies SynergyFinder's formula."""
    table = long_table(rng, 0.0)
    control = (table["conc1"] == 0) & (table["conc2"] == 0) & (table["block_id"] == "resistant")
    table.loc[control, "response"] -= 30.0  # viability 70 %: the control reads 30 % inhibition
    src = tmp_path / "combo.csv"
    table.to_csv(src, index=False)
    out = tmp_path / "out"
    base = ["synergy", str(src), "--models", "bliss", "--bootstrap", "0", "--no-figures"]
    result = runner.invoke(app, [*base, "-o", str(out)])
    assert result.exit_code == 0, result.output
    blocks = pd.read_csv(out / "blocks.csv", keep_default_na=False).set_index("block_id")
    assert "control" in blocks.loc["resistant", "qc_warnings"]
    assert "control" not in blocks.loc["parental", "qc_warnings"]
    assert "QC, block resistant:" in result.output

    corrected = tmp_path / "corrected"
    result = runner.invoke(app, [*base, "--baseline", "all", "-o", str(corrected)])
    assert result.exit_code == 0, result.output
    before = pd.read_csv(out / "wells.csv")
    after = pd.read_csv(corrected / "wells.csv")
    b = pd.read_csv(corrected / "blocks.csv").set_index("block_id")["baseline"]
    expected = before["response"] - (100 - before["response"]) / 100 * before["block_id"].map(b)
    np.testing.assert_allclose(after["response"], expected, atol=1e-9)

    result = runner.invoke(app, [*base, "--baseline", "some", "-o", str(tmp_path / "x")])
    assert result.exit_code == 1 and "--baseline must be 'none', 'part' or 'all'" in result.output
