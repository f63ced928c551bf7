"""Densitometry analyses: hand arithmetic, planted fold changes recovered, RTK arrays."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from resistlab.errors import InputError
from resistlab.imaging import (
    DENSITOMETRY_EVIDENCE_COLUMNS,
    NORMALIZED_COLUMNS,
    canonical_target,
    compare_conditions,
    normalize_bands,
    phospho_pairs,
    rtk_array_fold_changes,
)
from resistlab.io import read_densitometry


def _bands(rng, *, fold_p=4.0, fold_total=1.0, blots=3, lanes_per_condition=2, noise=0.15):
    """Synthetic blots: loading, exposure and lane noise around planted fold changes."""
    rows = []
    for b in range(blots):
        exposure = rng.lognormal(0, 0.8)  # blots differ a lot in absolute signal
        lane = 0
        for condition, fp, ft in (("parental", 1.0, 1.0), ("resistant", fold_p, fold_total)):
            for rep in range(lanes_per_condition):
                lane += 1
                loading = rng.lognormal(0, 0.3)
                total = 5000 * ft * loading * exposure * rng.lognormal(0, noise)
                phospho = 800 * fp * ft * loading * exposure * rng.lognormal(0, noise)
                gapdh = 20000 * loading * exposure * rng.lognormal(0, noise / 2)
                for target, signal in (
                    ("p-STAT3 (Tyr705)", phospho),
                    ("total STAT3", total),
                    ("GAPDH", gapdh),
                ):
                    rows.append(
                        {
                            "blot": f"B{b + 1}",
                            "lane": str(lane),
                            "condition": condition,
                            "replicate": str(rep + 1),
                            "target": target,
                            "signal": signal,
                        }
                    )
    return pd.DataFrame(rows)


def test_names_and_pairs_come_from_the_data_file():
    assert canonical_target("phospho-STAT3 Y705") == "pSTAT3_Y705"
    assert canonical_target("pSTAT3 (Y705)") == "pSTAT3_Y705"
    assert canonical_target("FAK") == "PTK2"
    assert canonical_target("Vinculin") == "VCL"
    assert phospho_pairs()["pERK"] == "ERK"


def test_normalisation_matches_hand_computation():
    bands = pd.DataFrame(
        {
            "file": "blot.csv",
            "row": [2, 3, 4, 5, 6, 7],
            "blot": "B1",
            "lane": ["1", "1", "1", "2", "2", "2"],
            "condition": ["parental"] * 3 + ["resistant"] * 3,
            "target": ["pSTAT3", "STAT3", "beta-actin"] * 2,
            "signal": [300.0, 1200.0, 6000.0, 1500.0, 1000.0, 4000.0],
        }
    )
    out = normalize_bands(bands, loading_control="ACTB")
    assert list(out.columns) == NORMALIZED_COLUMNS
    got = {(r["lane"], r["target"], r["measure"]): r["value"] for r in out.to_dict("records")}
    assert got == pytest.approx(
        {
            ("1", "pSTAT3_Y705", "to_loading_control"): 300 / 6000,
            ("1", "STAT3", "to_loading_control"): 1200 / 6000,
            ("2", "pSTAT3_Y705", "to_loading_control"): 1500 / 4000,
            ("2", "STAT3", "to_loading_control"): 1000 / 4000,
            ("1", "pSTAT3_Y705", "to_total"): (300 / 6000) / (1200 / 6000),
            ("2", "pSTAT3_Y705", "to_total"): (1500 / 4000) / (1000 / 4000),
        }
    )
    ratio = out[out["measure"] == "to_total"].iloc[0]
    assert ratio["source"] == "blot.csv, row 2 / blot.csv, row 3"
    assert ratio["total_target"] == "STAT3"
    assert ratio["loading_control_signal"] == 6000.0
    # one blot: log2 of (1.5 / 0.25) with n = 1, no p-value
    res = compare_conditions(out, paired_by="blot").to_frame().set_index(["target", "measure"])
    assert res.loc[("pSTAT3_Y705", "to_total"), "log2_fold_change"] == pytest.approx(
        math.log2(1.5 / 0.25)
    )
    assert res.loc[("STAT3", "to_loading_control"), "n"] == 1
    assert math.isnan(res.loc[("STAT3", "to_loading_control"), "p_value"])


def test_unnormalised_and_custom_pairs():
    bands = pd.DataFrame(
        {"blot": "B", "lane": ["1", "1"], "target": ["pX", "X"], "signal": [2.0, 8.0]}
    )
    out = normalize_bands(bands, loading_control=None, pairs={"pX": "X"})
    assert out["measure"].tolist() == ["unnormalized", "unnormalized", "to_total"]
    assert out["value"].tolist() == [2.0, 8.0, 0.25]


@pytest.mark.parametrize("paired_by", ["blot", None])
def test_planted_fourfold_phospho_over_total_is_recovered(rng, paired_by):
    bands = _bands(rng, fold_p=4.0)
    result = compare_conditions(normalize_bands(bands), paired_by=paired_by)
    table = result.to_frame().set_index(["target", "measure"])
    ratio = table.loc[("pSTAT3_Y705", "to_total")]
    assert ratio["log2_fold_change"] == pytest.approx(2.0, abs=0.35)
    assert ratio["p_value"] < 0.05
    assert ratio["n"] == (3 if paired_by == "blot" else 12)
    assert ratio["se"] > 0
    total = table.loc[("STAT3", "to_loading_control")]
    assert abs(total["log2_fold_change"]) < 0.5
    evidence = result.to_evidence(assay="western")
    assert list(evidence.columns) == list(DENSITOMETRY_EVIDENCE_COLUMNS)
    assert evidence["target"].tolist() == ["pSTAT3_Y705", "STAT3"]
    row = evidence.iloc[0]
    assert row["comparison"] == "resistant_vs_parental"
    assert row["log2_fold_change"] == ratio["log2_fold_change"]  # to_total preferred
    assert "phospho/total" in row["source"]


def test_sham_comparison_is_rarely_significant(rng):
    p_values = []
    for _ in range(200):
        bands = _bands(rng, fold_p=1.0)
        table = compare_conditions(normalize_bands(bands)).to_frame()
        p_values.append(
            table.set_index(["target", "measure"]).loc[("pSTAT3_Y705", "to_total"), "p_value"]
        )
    p_values = np.asarray(p_values)
    assert np.mean(p_values < 0.05) < 0.1
    assert np.mean(p_values > 0.05) > 0.9


def test_normalisation_errors_name_file_and_row():
    bands = pd.DataFrame(
        {
            "file": "b.csv",
            "row": [2, 3, 4],
            "blot": "B1",
            "lane": ["1", "1", "2"],
            "target": ["STAT3", "GAPDH", "STAT3"],
            "signal": [10.0, 100.0, 12.0],
        }
    )
    with pytest.raises(InputError, match=r"b\.csv, row 4: blot 'B1', lane '2' has no GAPDH"):
        normalize_bands(bands)
    with pytest.raises(InputError, match=r"no 'ACTB' bands"):
        normalize_bands(bands, loading_control="ACTB")
    twice = bands.assign(lane="1")
    with pytest.raises(InputError, match=r"b\.csv, row 4: .* STAT3 twice"):
        normalize_bands(twice)
    zero = pd.DataFrame(
        {
            "blot": "B1",
            "lane": "1",
            "condition": ["parental", "resistant"],
            "target": "STAT3",
            "measure": "to_loading_control",
            "value": [0.0, 1.0],
            "source": ["a.csv, row 2", "a.csv, row 3"],
        }
    )
    with pytest.raises(InputError, match=r"a\.csv, row 2: normalised signal 0.0 has no log2"):
        compare_conditions(zero)
    with pytest.raises(InputError, match="no lanes with condition 'sensitive'"):
        compare_conditions(zero, denominator="sensitive")


def test_end_to_end_from_imagej_exports(tmp_path, rng):
    bands = _bands(rng, fold_p=4.0, lanes_per_condition=1)
    lanes = ["file,lane,blot,condition"]
    files = []
    for target, group in bands.groupby("target", sort=False):
        name = {"p-STAT3 (Tyr705)": "pSTAT3", "total STAT3": "STAT3", "GAPDH": "GAPDH"}[target]
        for blot, on_blot in group.groupby("blot"):
            path = tmp_path / f"{name}_{blot}.csv"
            path.write_text(
                " ,Area,Percent\n"
                + "".join(
                    f"{ln},{s:.4f},0\n"
                    for ln, s in zip(on_blot["lane"], on_blot["signal"], strict=True)
                )
            )
            files.append(path)
            for ln, cond in zip(on_blot["lane"], on_blot["condition"], strict=True):
                lanes.append(f"{path.name},{ln},{blot},{cond}")
    (tmp_path / "lanes.csv").write_text("\n".join(lanes) + "\n")
    targets = {p.name: p.stem.split("_")[0] for p in files}
    table = read_densitometry(files, lanes=tmp_path / "lanes.csv", target=targets)
    result = compare_conditions(normalize_bands(table))
    row = result.to_frame().set_index(["target", "measure"]).loc[("pSTAT3_Y705", "to_total")]
    assert row["log2_fold_change"] == pytest.approx(2.0, abs=0.4)
    assert row["n"] == 3
    evidence = result.to_evidence()
    assert evidence.iloc[0]["source"].startswith("pSTAT3_B1.csv")


# --------------------------------------------------------------------------- RTK arrays

RTKS = {"EGFR": 8.0, "ERBB2": 4.0, "MET": 1.0, "AXL": 1.0, "INSR": 1.0}
BASE = {"EGFR": 0.1, "ERBB2": 0.2, "MET": 0.3, "AXL": 0.15, "INSR": 0.002}


def _membranes(rng, membranes_per_condition=1):
    rows = []
    coords = {t: (f"C{2 * i + 1}", f"C{2 * i + 2}") for i, t in enumerate(RTKS)}
    for condition in ("parental", "resistant"):
        for m in range(membranes_per_condition):
            membrane = f"{condition[0].upper()}{m + 1}"
            exposure = rng.lognormal(0, 0.5)
            background = 50.0
            spots = [("A1", "Reference", 1.0), ("A2", "Reference", 1.0)]
            spots += [("F1", "PBS", 0.0), ("F2", "PBS", 0.0)]
            for target, (c1, c2) in coords.items():
                level = BASE[target] * (RTKS[target] if condition == "resistant" else 1.0)
                spots += [(c1, target, level), (c2, target, level)]
            for coord, target, level in spots:
                signal = background + 10000 * exposure * level * rng.lognormal(0, 0.05)
                rows.append(
                    {
                        "blot": membrane,
                        "lane": coord,
                        "condition": condition,
                        "target": target,
                        "signal": signal,
                    }
                )
    return pd.DataFrame(rows)


def test_rtk_array_recovers_planted_hits(rng):
    spots = _membranes(rng, membranes_per_condition=2)
    result = rtk_array_fold_changes(spots)
    table = result.to_frame().set_index("target")
    assert table.loc["EGFR", "log2_fold_change"] == pytest.approx(3.0, abs=0.2)
    assert table.loc["ERBB2", "log2_fold_change"] == pytest.approx(2.0, abs=0.2)
    assert abs(table.loc["MET", "log2_fold_change"]) < 0.3
    assert table.loc["EGFR", "level_denominator"] == pytest.approx(0.1, rel=0.1)
    assert table.loc["EGFR", "p_value"] < 0.05
    assert table.loc["EGFR", "n"] == 4
    assert result.hits() == ["EGFR", "ERBB2"]
    assert not table.loc["INSR", "detected"]
    evidence = result.to_evidence()
    assert evidence["assay"].unique().tolist() == ["rtk_array"]
    assert "INSR" not in evidence["target"].tolist()
    assert set(evidence["target"]) == {"EGFR", "ERBB2", "MET", "AXL"}


def test_rtk_array_hand_computation_and_spot_map():
    spots = pd.DataFrame(
        {
            "blot": ["P"] * 6 + ["R"] * 6,
            "condition": ["parental"] * 6 + ["resistant"] * 6,
            "lane": ["A1", "A2", "C1", "C2", "F1", "F2"] * 2,
            "signal": [1020, 980, 120, 100, 20, 20, 2020, 1980, 420, 380, 20, 20],
        }
    )
    spot_map = pd.DataFrame(
        {
            "lane": ["A1", "A2", "C1", "C2", "F1", "F2"],
            "target": ["Ref", "Ref", "EGFR"] * 1 + ["EGFR", "PBS", "PBS"],
        }
    )
    result = rtk_array_fold_changes(spots, spot_map=spot_map)
    row = result.to_frame().iloc[0]
    parental = (110 - 20) / (1000 - 20)
    resistant = (400 - 20) / (2000 - 20)
    assert row["level_denominator"] == pytest.approx(parental)
    assert row["level_numerator"] == pytest.approx(resistant)
    assert row["log2_fold_change"] == pytest.approx(math.log2(resistant / parental))
    assert math.isnan(row["p_value"])
    assert row["n"] == 2
    with pytest.raises(InputError, match="spot 'A1' is not in spot_map"):
        rtk_array_fold_changes(spots, spot_map={"C1": "EGFR"})
    no_ref = spot_map.assign(target=["EGFR"] * 4 + ["PBS"] * 2)
    with pytest.raises(InputError, match="membrane 'P' has no reference spots"):
        rtk_array_fold_changes(spots, spot_map=no_ref)
    with pytest.raises(InputError, match="has no negative-control spots"):
        rtk_array_fold_changes(spots, spot_map=spot_map, negative=["NC"])
