from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from resistlab.errors import FileFormatError
from resistlab.io import ASSAY_COLUMNS, read_gdsc_raw

HEADER = (
    "RESEARCH_PROJECT,BARCODE,SCAN_ID,DATE_CREATED,SCAN_DATE,CELL_ID,MASTER_CELL_ID,COSMIC_ID,"
    "CELL_LINE_NAME,SEEDING_DENSITY,DRUGSET_ID,ASSAY,DURATION,POSITION,TAG,DRUG_ID,CONC,INTENSITY"
)
PREFIX = "GDSC_SA,501,9,2015-02-12,2015-02-16,1,2,3,A375,500,159,Glo,3"


def _gdsc(tmp_path, wells, name="raw.csv"):
    """Write a GDSC raw file; each well is 'POSITION,TAG,DRUG_ID,CONC,INTENSITY'."""
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *(f"{PREFIX},{w}" for w in wells)]) + "\n")
    return path


@pytest.mark.reference
def test_gdsc_example_first_five_plates(reference_dir):
    path = reference_dir / "dose_response" / "gdsc_raw" / "gdsc_example_first5plates.csv"
    raw = pd.read_csv(path)
    table = read_gdsc_raw(path)
    assert list(table.columns[: len(ASSAY_COLUMNS)]) == ASSAY_COLUMNS
    assert len(table) == len(raw) == 2367
    assert sorted(table["plate"].unique()) == ["3230", "3236", "3242", "3266", "3277"]
    # 1536-well plate, numbered row-wise with 48 columns
    assert (table["row"] * 48 + table["col"] + 1 == table["position"]).all()
    assert table["row"].max() <= 31 and table["col"].max() <= 47
    # file row 101: POSITION 100, L1-D1-S, drug 1003 at 0.1 uM, intensity 23093
    c4 = table[(table["plate"] == "3230") & (table["well"] == "C4")].iloc[0]
    assert (c4["role"], c4["drug"], c4["tag"], c4["value"]) == ("sample", "1003", "L1-D1-S", 23093)
    assert c4["concentration"] == 1e-7
    assert c4["source"] == "gdsc_example_first5plates.csv, row 101"
    assert (c4["cell_line"], c4["replicate"], c4["readout"]) == ("PC-14", 1, "CellTiter-Glo")
    assert (c4["incubation_hours"], c4["seeding_density"]) == (96.0, 250.0)
    # roles from TAGs, counted independently on the raw file
    expected = {
        "sample": raw["TAG"].str.match(r"L\d+-D\d+-S").sum(),
        "vehicle": (raw["TAG"] == "NC-1").sum(),
        "blank": (raw["TAG"] == "B").sum(),
        "positive_control": raw["TAG"].str.startswith("PC").sum(),
        "empty": raw["TAG"].isin(["UN-USED", "NC-0"]).sum(),
    }
    assert table["role"].value_counts().to_dict() == expected
    with_untreated = read_gdsc_raw(path, untreated_as_vehicle=True)
    assert (with_untreated["role"] == "vehicle").sum() == raw["TAG"].isin(["NC-0", "NC-1"]).sum()
    assert (table.loc[table["role"] == "vehicle", "concentration"] == 0.0).all()
    assert table.loc[table["role"].isin(["blank", "empty"]), "concentration"].isna().all()
    # the 7-point titration of library drug 1 falls monotonically on every plate
    for _, plate in table[table["tag"].str.startswith("L1-D")].groupby("plate"):
        by_dose = plate.sort_values("tag")["concentration"].to_numpy()
        assert len(by_dose) == 7 and (np.diff(by_dose) < 0).all()
    # positive control PC-1 is drug 1862 at 4 uM, replicates numbered 1..20 per plate
    pc1 = table[(table["tag"] == "PC-1") & (table["plate"] == "3230")]
    assert (pc1["concentration"] == 4e-6).all() and (pc1["drug"] == "1862").all()
    assert pc1["replicate"].tolist() == list(range(1, 21))
    intensity = raw.set_index(["BARCODE", "POSITION"])["INTENSITY"]
    mine = table.set_index([table["plate"].astype(int), "position"])["value"]
    np.testing.assert_array_equal(mine.sort_index().to_numpy(), intensity.sort_index().to_numpy())


def test_small_gdsc_file_roles_and_backfill(tmp_path):
    path = _gdsc(
        tmp_path,
        [
            "49,L3-D1-S,1003,10,100",
            "49,DMSO,4000,,100",  # back-filling of the same well
            "50,L3-D2-S,1003,2.5,200",
            "51,NC-1,4000,,900",
            "52,NC-0,,,880",
            "53,B,,,20",
            "54,UN-USED,,,0",
            "55,PC-1,1862,4,30",
            "56,R1-D1-S,1010,1,400",
        ],
    )
    table = read_gdsc_raw(path, plate_format=1536)
    rows = table.set_index("well")
    assert len(table) == 8
    assert rows.loc["B1", ["role", "drug", "value"]].tolist() == ["sample", "1003", 100.0]
    assert rows.loc["B1", "concentration"] == 1e-5
    assert rows.loc["B2", "concentration"] == 2.5e-6
    assert rows.loc["B3", ["role", "concentration"]].tolist() == ["vehicle", 0.0]
    assert rows.loc["B4", "role"] == "empty" and rows.loc["B4", "tag"] == "NC-0"
    untreated = read_gdsc_raw(path, plate_format=1536, untreated_as_vehicle=True)
    both = untreated.set_index("well")
    assert both.loc["B4", ["role", "concentration"]].tolist() == ["vehicle", 0.0]
    assert [both.loc["B3", "replicate"], both.loc["B4", "replicate"]] == [1, 2]
    assert rows.loc["B5", "role"] == "blank" and pd.isna(rows.loc["B5", "cell_line"])
    assert rows.loc["B6", "role"] == "empty" and pd.isna(rows.loc["B6", "replicate"])
    assert rows.loc["B7", ["role", "drug"]].tolist() == ["positive_control", "1862"]
    assert rows.loc["B8", "role"] == "sample"  # reference compound
    assert (table["plate"] == "501").all() and (table["incubation_hours"] == 72.0).all()


def test_384_well_positions(tmp_path):
    path = _gdsc(tmp_path, ["25,L1-D1-S,1,1,5", "384,NC-1,,,9"])
    table = read_gdsc_raw(path)
    assert table["well"].tolist() == ["B1", "P24"]


@pytest.mark.parametrize(
    ("wells", "message"),
    [
        (["1,L1-D1-S,1,1,5", "2,XYZ,,,5"], r"raw\.csv, row 3: unknown GDSC TAG 'XYZ'"),
        (["1,L1-D1-C,1,1,5"], r"raw\.csv, row 2: combination treatment TAG 'L1-D1-C'"),
        (["1,A1-S,1,1,5"], r"raw\.csv, row 2: combination treatment TAG 'A1-S'"),
        (["1,L1-D1-S,1,,5"], r"raw\.csv, row 2: sample TAG 'L1-D1-S' has no CONC"),
        (["1,L1-D1-S,1,-1,5"], r"raw\.csv, row 2: negative CONC"),
        (
            ["3,L1-D1-S,1,1,5", "3,L2-D1-S,2,1,5"],
            r"raw\.csv, row 3, well A3: position 3 of plate 501 appears twice",
        ),
        (["0,B,,,5"], r"raw\.csv, row 2: POSITION 0 is not a well number"),
    ],
)
def test_gdsc_errors(tmp_path, wells, message):
    with pytest.raises(FileFormatError, match=message):
        read_gdsc_raw(_gdsc(tmp_path, wells))


def test_gdsc_position_outside_plate_and_missing_columns(tmp_path):
    with pytest.raises(
        FileFormatError, match=r"row 2: POSITION 400 is outside the 16x24 \(384-well\) plate"
    ):
        read_gdsc_raw(_gdsc(tmp_path, ["400,B,,,5"]), plate_format=384)
    path = tmp_path / "not_gdsc.csv"
    path.write_text("well,value\nA1,1\n")
    with pytest.raises(FileFormatError, match=r"not_gdsc\.csv: not a GDSC raw data file"):
        read_gdsc_raw(path)
