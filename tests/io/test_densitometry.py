"""read_densitometry: every export round-trips from files written in its layout."""

from __future__ import annotations

import pandas as pd
import pytest
from io_samples import write_rows_xlsx

from resistlab.errors import FileFormatError
from resistlab.io import DENSITOMETRY_COLUMNS, read_densitometry


def _write(path, text):
    path.write_text(text)
    return path


LANES = (
    "file,lane,blot,sample,condition,cell_line,replicate\n"
    ",1,B1,P-1,parental,MDA-MB-231,1\n"
    ",2,B1,R-1,resistant,MDA-MB-231,1\n"
    ",3,B1,P-2,parental,MDA-MB-231,2\n"
    ",4,B1,R-2,resistant,MDA-MB-231,2\n"
)


def test_tidy_csv_with_header_aliases(tmp_path):
    path = _write(
        tmp_path / "blot.csv",
        "# exported 2024-05-02\n"
        "Membrane,Lane,Sample,Condition,Cell line,Treatment,Rep,Antibody,Intensity\n"
        "M1,1,P-1,parental,MCF7,DMSO,1,p-STAT3 Tyr705,1200.5\n"
        "M1,2,R-1,resistant,MCF7,DMSO,1,p-STAT3 Tyr705,4800\n"
        "\n"
        "M1,1,P-1,parental,MCF7,DMSO,1,GAPDH,10000\n",
    )
    table = read_densitometry(path)
    assert list(table.columns) == DENSITOMETRY_COLUMNS
    assert table.to_dict("records")[0] == {
        "file": "blot.csv",
        "row": 3,
        "blot": "M1",
        "lane": "1",
        "sample": "P-1",
        "condition": "parental",
        "cell_line": "MCF7",
        "treatment": "DMSO",
        "replicate": "1",
        "target": "p-STAT3 Tyr705",
        "signal": 1200.5,
    }
    assert table["row"].tolist() == [3, 4, 6]
    assert table["signal"].dtype == "float64"


def test_tidy_xlsx_without_lane_uses_sample_and_file_stem_as_blot(tmp_path):
    path = write_rows_xlsx(
        tmp_path / "bands.xlsx",
        {
            "quant": [
                ["sample", "condition", "target", "signal"],
                ["P-1", "parental", "ERBB2", 310.0],
                ["R-1", "resistant", "ERBB2", 1250],
            ]
        },
    )
    table = read_densitometry(path)
    assert table["lane"].tolist() == ["P-1", "R-1"]
    assert table["blot"].tolist() == ["bands", "bands"]
    assert table["signal"].tolist() == [310.0, 1250.0]
    assert table["row"].tolist() == [2, 3]


def test_imagej_gel_analyzer_one_file_per_target_with_lanes_sheet(tmp_path):
    lanes = _write(tmp_path / "lanes.csv", LANES)
    files = []
    for target, areas in {
        "pSTAT3": [100, 400, 120, 480],
        "GAPDH": [1000, 1000, 1100, 1050],
    }.items():
        body = " ,Area,Percent\n" + "".join(
            f"{i},{a},{100 * a / sum(areas):.3f}\n" for i, a in enumerate(areas, start=1)
        )
        files.append(_write(tmp_path / f"{target}.csv", body))
    lanes_text = LANES.replace(",1,B1", ",1,").replace(",2,B1", ",2,")  # blot from the sheet name
    lanes_no_blot = _write(tmp_path / "gel7.csv", lanes_text)
    targets = {"pSTAT3.csv": "pSTAT3_Y705", "GAPDH": "GAPDH"}  # by name or stem
    table = read_densitometry(files, lanes=lanes_no_blot, layout="imagej", target=targets)
    assert set(table["blot"]) == {"B1", "gel7"}  # lanes 3, 4 keep B1 from the sheet
    table = read_densitometry(files, lanes=lanes, target=targets)
    assert len(table) == 8
    assert table["target"].tolist() == ["pSTAT3_Y705"] * 4 + ["GAPDH"] * 4
    assert table.loc[table["lane"] == "2", "signal"].tolist() == [400.0, 1000.0]
    assert table.loc[0, ["file", "row", "sample", "condition"]].tolist() == [
        "pSTAT3.csv",
        2,
        "P-1",
        "parental",
    ]


def test_imagej_measure_results_use_raw_integrated_density(tmp_path):
    path = _write(
        tmp_path / "GAPDH.csv",
        " ,Label,Area,Mean,IntDen,RawIntDen\n"
        "1,blot.tif:lane1,400,50.5,20200,20200\n"
        "2,blot.tif:lane2,400,60,24000,24001\n",
    )
    lanes = _write(tmp_path / "lanes.csv", LANES)
    table = read_densitometry(path, lanes=lanes, target="GAPDH")
    assert table["signal"].tolist() == [20200.0, 24001.0]
    assert table["target"].tolist() == ["GAPDH", "GAPDH"]
    assert table["blot"].tolist() == ["B1", "B1"]


def test_image_lab_lane_and_band_report(tmp_path):
    path = _write(
        tmp_path / "image_lab.csv",
        "Lane and Band Report\n"
        "Image: blot1.scn\n"
        "\n"
        "Lane,Band No.,Band Label,Mol. Wt. (KDa),Relative Front,Volume (Int),"
        "Adj. Vol. (Int),Rel. Quant.,Band %,Lane %\n"
        "1,1,pFAK Y397,125,0.21,50000,41000,1,60,60\n"
        "1,2,GAPDH,37,0.75,90000,80000,1,40,40\n"
        "2,1,pFAK Y397,125,0.21,70000,61000,1.48,65,65\n"
        "2,2,GAPDH,37,0.75,90500,81000,1.01,35,35\n",
    )
    lanes = _write(tmp_path / "lanes.csv", LANES)
    table = read_densitometry(path, lanes=lanes)
    assert table["signal"].tolist() == [41000.0, 80000.0, 61000.0, 81000.0]
    assert table["target"].tolist() == ["pFAK Y397", "GAPDH"] * 2
    assert table["row"].tolist() == [5, 6, 7, 8]
    assert table["condition"].tolist() == ["parental", "parental", "resistant", "resistant"]
    assert table["blot"].tolist() == ["B1"] * 4
    table = read_densitometry(path, target="ignored")  # no lanes sheet: the file is the blot
    assert table["blot"].tolist() == ["image_lab"] * 4
    assert table["target"].tolist() == ["pFAK Y397", "GAPDH"] * 2


def test_image_lab_bands_mapped_to_targets_by_the_lanes_sheet(tmp_path):
    path = _write(
        tmp_path / "il.csv",
        "Lane,Band No.,Adj. Volume (Int)\n1,1,500\n1,2,900\n2,1,700\n2,2,950\n",
    )
    lanes = _write(
        tmp_path / "lanes.csv",
        "lane,band,blot,condition,target\n"
        "1,1,B9,parental,ERBB2\n1,2,B9,parental,ACTB\n"
        "2,1,B9,resistant,ERBB2\n2,2,B9,resistant,ACTB\n",
    )
    table = read_densitometry(path, lanes=lanes)
    assert table["target"].tolist() == ["ERBB2", "ACTB", "ERBB2", "ACTB"]
    assert table["signal"].tolist() == [500.0, 900.0, 700.0, 950.0]


def test_image_studio_shapes_by_name(tmp_path):
    path = write_rows_xlsx(
        tmp_path / "studio.xlsx",
        {
            "Shapes": [
                ["Name", "Signal", "Total", "Area", "Bkgnd.", "Type"],
                ["1", 2500.0, 4500.0, 200, 10.0, "Band"],
                ["2", 9000.0, 11000.0, 200, 10.0, "Band"],
            ]
        },
    )
    lanes = _write(tmp_path / "lanes.csv", LANES)
    table = read_densitometry(path, lanes=lanes, target="pAKT_S473")
    assert table["lane"].tolist() == ["1", "2"]
    assert table["signal"].tolist() == [2500.0, 9000.0]  # Signal = Total - Bkgnd. x Area
    assert table["sample"].tolist() == ["P-1", "R-1"]


# --------------------------------------------------------------------------- errors


def test_lane_missing_from_lanes_sheet_names_file_and_row(tmp_path):
    path = _write(tmp_path / "GAPDH.csv", " ,Area\n1,100\n2,110\n3,90\n4,95\n5,99\n")
    lanes = _write(tmp_path / "lanes.csv", LANES)
    with pytest.raises(FileFormatError, match=r"GAPDH\.csv, row 6: lane '5' has no row"):
        read_densitometry(path, lanes=lanes, target="GAPDH")


@pytest.mark.parametrize(
    ("cell", "message"),
    [("abc", "signal 'abc' is not a number"), ("-5", "negative signal -5"), ("", "missing")],
)
def test_bad_signal_names_file_row_and_column(tmp_path, cell, message):
    path = _write(
        tmp_path / "bands.csv",
        f"lane,target,signal,condition\n1,GAPDH,100,parental\n2,GAPDH,{cell},resistant\n",
    )
    with pytest.raises(FileFormatError, match=rf"bands\.csv, row 3: column 'signal': .*{message}"):
        read_densitometry(path)


def test_missing_target_and_missing_header(tmp_path):
    path = _write(tmp_path / "peaks.csv", " ,Area,Percent\n1,100,50\n2,100,50\n")
    with pytest.raises(FileFormatError, match=r"peaks\.csv, row 2: lane '1' has no target"):
        read_densitometry(path)
    other = _write(tmp_path / "notes.csv", "hello,world\n1,2\n")
    with pytest.raises(FileFormatError, match=r"notes\.csv: found no a header"):
        read_densitometry(other)
    with pytest.raises(FileFormatError, match=r"Image Lab header"):
        read_densitometry(path, layout="image_lab")
    with pytest.raises(ValueError, match="layout must be one of"):
        read_densitometry(path, layout="gel")  # type: ignore[arg-type]


def test_duplicate_band_and_lanes_sheet_without_lane(tmp_path):
    path = _write(tmp_path / "dup.csv", "blot,lane,target,signal\nB1,1,GAPDH,100\nB1,1,GAPDH,120\n")
    with pytest.raises(FileFormatError, match=r"dup\.csv, row 2: .*GAPDH.*more than once"):
        read_densitometry(path)
    tidy = _write(tmp_path / "t.csv", "lane,target,signal\n1,GAPDH,100\n")
    bad_lanes = _write(tmp_path / "lanes.csv", "sample,condition\nP-1,parental\n")
    with pytest.raises(FileFormatError, match=r"lanes\.csv, row 1: .*needs a 'lane' column"):
        read_densitometry(tidy, lanes=bad_lanes)


def test_tidy_table_lanes_sheet_fills_missing_annotation(tmp_path):
    tidy = _write(tmp_path / "t.csv", "blot,lane,target,signal\nB1,1,GAPDH,100\nB1,2,GAPDH,90\n")
    lanes = _write(tmp_path / "lanes.csv", LANES)
    table = read_densitometry(tidy, lanes=lanes)
    assert table["condition"].tolist() == ["parental", "resistant"]
    assert isinstance(table, pd.DataFrame)
