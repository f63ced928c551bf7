from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from io_samples import DATA_DIR, absorbance_truth, gen5_two_plates_rows

from resistlab.errors import PlateMapError
from resistlab.io import (
    ASSAY_COLUMNS,
    PlateBlock,
    assemble_plate,
    empty_assay_table,
    read_plate,
    read_plate_map,
    read_plate_table,
)

CONTRACT = [
    "plate",
    "read",
    "well",
    "row",
    "col",
    "value",
    "read_flag",
    "role",
    "cell_line",
    "drug",
    "concentration",
    "replicate",
    "source",
    "readout",
    "culture",
    "matrigel_lot",
    "matrigel_percent",
    "seeding_density",
    "incubation_hours",
    "time_zero",
]


def test_assay_columns_are_the_contract():
    assert ASSAY_COLUMNS == CONTRACT
    assert list(empty_assay_table().columns) == CONTRACT


def test_read_plate_table_gen5_with_yaml_map():
    table = read_plate_table(DATA_DIR / "gen5_two_plates.txt", DATA_DIR / "map_defactinib.yaml")
    assert list(table.columns) == CONTRACT
    assert len(table) == 2 * 96
    assert table.dtypes.to_dict() == {
        "plate": "str",
        "read": "str",
        "well": "str",
        "row": "int64",
        "col": "int64",
        "value": "float64",
        "read_flag": "str",
        "role": "str",
        "cell_line": "str",
        "drug": "str",
        "concentration": "float64",
        "replicate": "Int64",
        "source": "str",
        "readout": "str",
        "culture": "str",
        "matrigel_lot": "str",
        "matrigel_percent": "float64",
        "seeding_density": "float64",
        "incubation_hours": "float64",
        "time_zero": "bool",
    }
    rows = table.set_index(["plate", "well"])
    d4 = rows.loc[("Plate 2", "D4")]
    assert d4["value"] == pytest.approx(absorbance_truth(1, 0, 3, 3))
    assert (d4["role"], d4["drug"], d4["cell_line"], d4["replicate"]) == (
        "sample",
        "defactinib",
        "MDA-MB-231",
        3,
    )
    assert d4["concentration"] == pytest.approx(1e-5 / 9)
    assert (d4["readout"], d4["culture"], d4["matrigel_lot"]) == ("CellTiter-Glo", "3D", "1234")
    assert (d4["matrigel_percent"], d4["seeding_density"], d4["incubation_hours"]) == (
        2.0,
        2000.0,
        72.0,
    )
    assert not d4["time_zero"]
    line = [i + 1 for i, r in enumerate(gen5_two_plates_rows()) if r and r[0] == "D"][3]
    assert d4["source"] == f"gen5_two_plates.txt, row {line}"
    # the OVRFLW sample well keeps its role, has no value and says why
    b9 = rows.loc[("Plate 1", "B9")]
    assert (b9["role"], b9["read_flag"]) == ("sample", "overflow")
    assert math.isnan(b9["value"])
    vehicle = table[table["role"] == "vehicle"]
    assert (vehicle["concentration"] == 0.0).all() and len(vehicle) == 12
    blank = table[table["role"] == "blank"]
    assert blank["concentration"].isna().all() and len(blank) == 12
    assert table.loc[table["role"] == "empty", "replicate"].isna().all()


def test_assemble_single_block_with_source_override():
    export = read_plate(DATA_DIR / "plain_96.csv")
    plate_map = read_plate_map(DATA_DIR / "map_defactinib.csv")
    table = assemble_plate(export.blocks[0], plate_map, source="raw/plain_96.csv")
    row = table.set_index("well").loc["B2"]
    assert row["source"] == "raw/plain_96.csv, row 4"
    assert row["value"] == pytest.approx(absorbance_truth(0, 0, 1, 1))
    assert row["concentration"] == pytest.approx(1e-5)
    assert "note" in table.columns  # pass-through column of the map
    assert table.set_index("well").loc["C11", "note"] == "DMSO 0.1%"


def test_map_with_plate_label_joins_only_that_plate(tmp_path):
    path = tmp_path / "p2.yaml"
    path.write_text(
        "plate: {label: Plate 2}\ncell_line: A549\nblocks:\n"
        "  - {drug: d, rows: B, columns: 2-4, top_dose: 1 uM, dilution: 10}\n"
        "  - {role: vehicle, rows: B, columns: 5}\n"
    )
    export = read_plate(DATA_DIR / "gen5_two_plates.txt")
    table = assemble_plate(export.block(plate="Plate 2"), read_plate_map(path))
    assert table.set_index("well").loc["B4", "concentration"] == pytest.approx(1e-8)
    with pytest.raises(
        PlateMapError, match=r"p2\.yaml: the plate map has no wells for plate 'Plate 1'"
    ):
        assemble_plate(export, read_plate_map(path))


def test_map_and_data_of_different_plate_sizes():
    export = read_plate(DATA_DIR / "bmg_mars_384.csv")
    with pytest.raises(
        PlateMapError,
        match=r"map_defactinib\.yaml: the plate map is 8x12 \(96-well\) but plate "
        r"'bmg_mars_384', read '544/590' in bmg_mars_384\.csv is 16x24 \(384-well\)",
    ):
        assemble_plate(export, read_plate_map(DATA_DIR / "map_defactinib.yaml"))


def test_map_wells_absent_from_data(tmp_path):
    values = np.ones((8, 12))
    values[5:, :] = np.nan  # rows F-H were not read
    block = PlateBlock(plate="P1", read="570", values=values, file="partial.csv")
    with pytest.raises(
        PlateMapError,
        match=r"map_defactinib\.yaml, row 6, well F2: the map assigns role 'sample' but "
        r"partial\.csv has no value for F2 \(plate 'P1', read '570'\) \(and 21 more wells\)",
    ):
        assemble_plate(block, read_plate_map(DATA_DIR / "map_defactinib.yaml"))


def test_unread_wells_that_the_map_leaves_empty_are_fine():
    values = np.ones((8, 12))
    values[7, :] = np.nan  # row H is empty in the map
    block = PlateBlock(plate="P1", read="570", values=values)
    table = assemble_plate(block, read_plate_map(DATA_DIR / "map_defactinib.yaml"))
    h1 = table.set_index("well").loc["H1"]
    assert (h1["role"], h1["read_flag"], h1["source"]) == ("empty", "missing", "")


def test_time_zero_plate_metadata_column(tmp_path):
    path = tmp_path / "t0.yaml"
    path.write_text(
        "plate: {time_zero: yes, readout: CellTiter-Glo}\ncell_line: A549\n"
        "blocks: [{role: vehicle, rows: A-H, columns: 1-12}]\n"
    )
    block = PlateBlock(plate="T0", read="Lum", values=np.full((8, 12), 5000.0))
    table = assemble_plate(block, read_plate_map(path))
    assert table["time_zero"].all()
    assert pd.isna(table["culture"]).all()
    assert table["replicate"].tolist() == list(range(1, 97))


def test_per_plate_csv_map_with_long_table(tmp_path):
    path = tmp_path / "two_plates.csv"
    path.write_text(
        "plate,well,role,cell_line,drug,concentration,unit\n"
        "P1,A1,sample,MCF7,defactinib,1,uM\nP1,A2,vehicle,MCF7,,0,uM\n"
        "P2,A1,sample,MCF7-DefR,defactinib,5,uM\nP2,A2,vehicle,MCF7-DefR,,0,uM\n"
    )
    table = read_plate_table(DATA_DIR / "long_table.csv", path)
    rows = table.set_index(["plate", "well"])
    assert rows.loc[("P1", "A1"), "cell_line"] == "MCF7"
    assert rows.loc[("P2", "A1"), "cell_line"] == "MCF7-DefR"
    assert rows.loc[("P2", "A1"), "concentration"] == 5e-6
    assert rows.loc[("P2", "A1"), "value"] == pytest.approx(absorbance_truth(1, 0, 0, 0))
    assert rows.loc[("P1", "B1"), "role"] == "empty"
    assert len(table) == 192
