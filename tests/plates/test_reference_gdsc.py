"""Real 1536-well CellTiter-Glo plates from GDSC (gdscIC50 example data).

gdscIC50 normalises as ``(INTENSITY - mean(B)) / (mean(NC-1) - mean(B))`` with
B the blank (medium) wells and NC-1 the DMSO wells (``normalizeData``,
CancerRxGene/gdscIC50); positions are numbered row-wise, 48 columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from resistlab.plates import normalize_plate, plate_qc

from .synth import well_name

ROLE = {"B": "blank", "NC-1": "vehicle", "PC-1": "positive_control", "UN-USED": "empty"}


def gdsc_assay_table(raw: pd.DataFrame) -> pd.DataFrame:
    sample = raw["TAG"].str.match(r"^L\d+-D\d+-S$")
    raw = raw[sample | raw["TAG"].isin(list(ROLE))].reset_index(drop=True)
    position = raw["POSITION"].astype(int) - 1
    role = raw["TAG"].map(ROLE).fillna("sample")
    cells = role.isin(["sample", "vehicle", "positive_control"])
    return pd.DataFrame(
        {
            "plate": raw["SCAN_ID"].astype(str),
            "read": "Glo",
            "well": [well_name(p // 48, p % 48) for p in position],
            "row": position // 48,
            "col": position % 48,
            "value": raw["INTENSITY"].astype(float),
            "read_flag": "",
            "role": role,
            "cell_line": raw["CELL_LINE_NAME"].where(cells),
            "drug": raw["TAG"].str.extract(r"^(L\d+)", expand=False),
            "concentration": np.where(role == "vehicle", 0.0, raw["CONC"] * 1e-6),
            "source": [f"gdsc_example_first5plates.csv, row {i + 2}" for i in raw.index],
        }
    )


@pytest.mark.reference
def test_gdsc_plates_normalise_like_gdscic50(reference_dir):
    raw = pd.read_csv(
        reference_dir / "dose_response" / "gdsc_raw" / "gdsc_example_first5plates.csv"
    )
    table = gdsc_assay_table(raw)
    out = normalize_plate(table)
    for scan, plate in raw.groupby("SCAN_ID"):
        blank = plate.loc[plate["TAG"] == "B", "INTENSITY"].mean()
        vehicle = plate.loc[plate["TAG"] == "NC-1", "INTENSITY"].mean()
        mine = out[(out["plate"] == str(scan)) & (out["role"] == "sample")]
        expected = (mine["value"] - blank) / (vehicle - blank)
        np.testing.assert_allclose(mine["viability"] / 100.0, expected, rtol=1e-12)
    assert table["col"].max() == 47  # so plate_qc infers the 32 x 48 format

    qc = plate_qc(table)
    metrics = qc.to_frame()
    assert len(metrics) == 5
    assert (metrics["n_blank"] == 28).all() and (metrics["n_vehicle"] == 110).all()
    for row in metrics.itertuples():
        plate = table[table["plate"] == row.plate]
        v = plate.loc[plate["role"] == "vehicle", "value"]
        p = plate.loc[plate["role"] == "positive_control", "value"]
        z = 1 - 3 * (v.std() + p.std()) / abs(v.mean() - p.mean())
        assert row.z_prime == pytest.approx(z, rel=1e-10)
    # GDSC's PC-1 leaves ~10 % signal: Z' 0.37-0.57 on these published plates, so three
    # get the Z' < 0.5 warning, none an error
    assert metrics["z_prime"].round(2).tolist() == [0.57, 0.37, 0.46, 0.37, 0.56]
    assert metrics["status"].tolist() == ["pass", "warning", "warning", "warning", "pass"]
    assert metrics["edge_n_groups"].eq(0).all()  # no replicate group straddles the edge
