from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from io_samples import DATA_DIR, write_rows_xlsx

from resistlab.errors import PlateMapError, UnitError
from resistlab.io import MAP_COLUMNS, PlateMap, read_plate_map

DEFACTINIB_DOSES = [10e-6 / 3**k for k in range(9)]  # columns 2..10


def _wells(plate_map):
    return plate_map.wells.set_index("well")


def test_yaml_layout_of_the_brief_expands_to_known_wells():
    plate_map = read_plate_map(DATA_DIR / "map_defactinib.yaml")
    wells = _wells(plate_map)
    assert len(wells) == 96
    assert list(plate_map.wells.columns) == MAP_COLUMNS
    assert wells.loc["B2", "concentration"] == pytest.approx(1e-5)
    assert wells.loc["B3", "concentration"] == pytest.approx(1e-5 / 3)
    np.testing.assert_allclose(
        [wells.loc[f"E{c}", "concentration"] for c in range(2, 11)], DEFACTINIB_DOSES
    )
    assert wells.loc["G10", ["role", "drug", "cell_line", "replicate"]].tolist() == [
        "sample",
        "defactinib",
        "MDA-MB-231",
        6,
    ]
    assert wells.loc["C11", ["role", "concentration", "replicate"]].tolist() == ["vehicle", 0.0, 2]
    assert wells.loc["D12", "role"] == "blank"
    assert math.isnan(wells.loc["D12", "concentration"])
    assert pd.isna(wells.loc["D12", "cell_line"])
    for empty in ("A1", "A5", "H12", "B1"):
        assert wells.loc[empty, "role"] == "empty"
        assert pd.isna(wells.loc[empty, "replicate"])
    assert (plate_map.wells["role"].value_counts().to_dict()) == {
        "sample": 54,
        "empty": 30,
        "vehicle": 6,
        "blank": 6,
    }
    assert wells.loc["B2", "map_source"] == "map_defactinib.yaml, row 6"
    assert plate_map.metadata == {
        "readout": "CellTiter-Glo",
        "culture": "3D",
        "matrigel_lot": "1234",
        "matrigel_percent": 2.0,
        "seeding_density": 2000.0,
        "incubation_hours": 72.0,
        "time_zero": False,
        "format": 96,
    }
    assert plate_map.plates == []


def test_csv_and_yaml_forms_give_the_same_table():
    from_yaml = read_plate_map(DATA_DIR / "map_defactinib.yaml")
    from_csv = read_plate_map(DATA_DIR / "map_defactinib.csv")
    columns = [c for c in MAP_COLUMNS if c != "map_source"]
    pd.testing.assert_frame_equal(
        from_yaml.wells[columns], from_csv.wells[columns], check_exact=False, rtol=1e-12
    )
    assert from_yaml.metadata == from_csv.metadata
    # the CSV's extra column passes through
    assert _wells(from_csv).loc["B11", "note"] == "DMSO 0.1%"
    assert _wells(from_csv).loc["B2", "map_source"] == "map_defactinib.csv, row 8"


def test_yaml_schema_vertical_series_direction_controls_and_extras():
    wells = _wells(read_plate_map(DATA_DIR / "map_two_lines.yaml"))
    # parental: top dose 30000 nM in row B, down to row G, 1:4
    np.testing.assert_allclose(
        [wells.loc[f"{r}3", "concentration"] for r in "BCDEFG"],
        [30e-6 / 4**k for k in range(6)],
    )
    assert [wells.loc[f"B{c}", "replicate"] for c in (2, 3, 4)] == [1, 2, 3]  # by_column
    # resistant: direction up, so row G holds the top dose
    assert wells.loc["G6", "concentration"] == pytest.approx(30e-6)
    assert wells.loc["B6", "concentration"] == pytest.approx(30e-6 / 4**5)
    assert wells.loc["G6", "cell_line"] == "MDA-MB-231-DefR"
    assert wells.loc["H5", ["role", "drug", "concentration"]].tolist() == ["vehicle", "DMSO", 0.0]
    assert [wells.loc[w, "replicate"] for w in ("H5", "H6", "H7")] == [1, 2, 3]  # sequential
    assert wells.loc["C9", ["role", "drug", "replicate"]].tolist() == [
        "positive_control",
        "staurosporine",
        2,
    ]
    assert wells.loc["C9", "concentration"] == pytest.approx(1e-6)
    assert wells.loc["D11", ["role", "medium"]].tolist() == ["blank", "RPMI"]
    assert pd.isna(wells.loc["B2", "medium"])
    # explicit doses along columns listed 12, 11, 10
    assert [wells.loc[w, "concentration"] for w in ("A12", "A11", "A10")] == [1e-9, 2e-9, 3e-9]
    assert wells.loc["A10", "replicate"] == 7


def test_yaml_plate_metadata_parsing():
    plate_map = read_plate_map(DATA_DIR / "map_two_lines.yaml")
    assert plate_map.metadata["readout"] == "MTT"
    assert plate_map.metadata["seeding_density"] == 3000.0
    assert plate_map.metadata["incubation_hours"] == 72.0
    assert plate_map.metadata["time_zero"] is False
    assert plate_map.metadata["matrigel_lot"] is None


def _write_yaml(tmp_path, body, name="map.yaml"):
    path = tmp_path / name
    path.write_text(body)
    return path


def test_yaml_label_time_zero_and_wells_list(tmp_path):
    path = _write_yaml(
        tmp_path,
        "plate: {format: 384, label: Day0, time_zero: true, readout: cck8}\n"
        "cell_line: HCC1937\n"
        "blocks:\n"
        "  - {role: vehicle, wells: [A1, P24]}\n",
    )
    plate_map = read_plate_map(path)
    assert plate_map.format == 384
    assert plate_map.plates == ["Day0"]
    assert plate_map.metadata["time_zero"] is True
    assert plate_map.metadata["readout"] == "CCK-8"
    assert len(plate_map.wells) == 384
    assert _wells(plate_map).loc["P24", "role"] == "vehicle"


def test_csv_map_with_unit_in_header_and_inline_units(tmp_path):
    path = tmp_path / "map.csv"
    path.write_text(
        "# format: 384\n# culture: 2d\n"
        "Well,Cell line,Compound,Conc (uM),Type\n"
        "A1,MCF7,defactinib,10,sample\nA2,MCF7,defactinib,500 nM,sample\n"
        "A3,MCF7,,0,vehicle\nP24,,,,blank\n"
    )
    plate_map = read_plate_map(path)
    wells = _wells(plate_map)
    assert plate_map.format == 384
    assert plate_map.metadata["culture"] == "2D"
    assert wells.loc["A1", "concentration"] == 1e-5
    assert wells.loc["A2", "concentration"] == 5e-7
    assert wells.loc["P24", "role"] == "blank"
    assert wells.loc["A1", "replicate"] == 1


def test_csv_without_role_or_replicate_columns_infers_them(tmp_path):
    path = tmp_path / "bare.csv"
    path.write_text(
        "well,drug,concentration,unit,cell_line\n"
        "A1,SN-38,1,nM,HT29\nB1,SN-38,1,nM,HT29\nA2,,0,nM,HT29\nB2,,0,nM,HT29\n"
    )
    wells = _wells(read_plate_map(path))
    assert wells.loc["A1", "role"] == "sample"
    assert wells.loc["A2", "role"] == "vehicle"
    assert [wells.loc[w, "replicate"] for w in ("A1", "B1", "A2", "B2")] == [1, 2, 1, 2]


def test_xlsx_map_with_metadata_rows(tmp_path):
    rows = [
        ["# readout: MTT"],
        ["well", "role", "cell_line", "drug", "concentration", "unit"],
        ["B2", "sample", "A549", "defactinib", 2.5, "uM"],
        ["B3", "vehicle", "A549", None, 0, None],
    ]
    path = write_rows_xlsx(tmp_path / "map.xlsx", {"Map": rows})
    plate_map = read_plate_map(path)
    assert plate_map.metadata["readout"] == "MTT"
    assert _wells(plate_map).loc["B2", "concentration"] == 2.5e-6
    assert _wells(plate_map).loc["B2", "map_source"] == "map.xlsx, sheet 'Map', row 3"


def test_from_frame_matches_csv_reader():
    table = pd.DataFrame(
        {
            "well": ["C3", "C4"],
            "role": ["sample", "vehicle"],
            "cell_line": ["T47D", "T47D"],
            "drug": ["defactinib", None],
            "concentration": ["3 uM", None],
        }
    )
    plate_map = PlateMap.from_frame(table, metadata={"culture": "3D"}, file="layout")
    assert _wells(plate_map).loc["C3", "concentration"] == 3e-6
    assert _wells(plate_map).loc["C3", "map_source"] == "layout, row 2"
    assert plate_map.metadata["culture"] == "3D"


# --------------------------------------------------------------------------- errors


def _csv(tmp_path, body, name="map.csv"):
    path = tmp_path / name
    path.write_text("well,role,cell_line,drug,concentration,unit\n" + body)
    return path


VEHICLE = "H1,vehicle,MCF7,,0,uM\n"


def test_unknown_well_on_96_well_plate(tmp_path):
    path = _csv(tmp_path, "A1,sample,MCF7,d,1,uM\nQ1,sample,MCF7,d,1,uM\n" + VEHICLE)
    with pytest.raises(
        PlateMapError, match=r"map\.csv, row 3, well Q1: well Q1 is outside the 8x12 \(96-well\)"
    ):
        read_plate_map(path)


def test_invalid_well_name(tmp_path):
    path = _csv(tmp_path, "A1,sample,MCF7,d,1,uM\nA-1,sample,MCF7,d,1,uM\n" + VEHICLE)
    with pytest.raises(PlateMapError, match=r"map\.csv, row 3, well A-1: 'A-1' is not a well"):
        read_plate_map(path)


def test_duplicated_wells_csv(tmp_path):
    path = _csv(tmp_path, "B2,sample,MCF7,d,1,uM\nB02,sample,MCF7,d,2,uM\n" + VEHICLE)
    with pytest.raises(
        PlateMapError,
        match=r"map\.csv, row 3, well B2: duplicated well \(first defined at map\.csv, row 2\)",
    ):
        read_plate_map(path)


def test_duplicated_wells_overlapping_yaml_blocks(tmp_path):
    path = _write_yaml(
        tmp_path,
        "cell_line: MCF7\nblocks:\n"
        "  - {drug: d, rows: B-C, columns: 2-4, top_dose: 1 uM, dilution: 2}\n"
        "  - {role: vehicle, rows: C, columns: 4-5}\n",
    )
    with pytest.raises(
        PlateMapError,
        match=r"map\.yaml, row 4, well C4: duplicated well \(first defined at map\.yaml, row 3\)",
    ):
        read_plate_map(path)


def test_unknown_role(tmp_path):
    path = _csv(tmp_path, "B2,treated_cells,MCF7,d,1,uM\n" + VEHICLE)
    with pytest.raises(
        PlateMapError, match=r"map\.csv, row 2, well B2: unknown role 'treated_cells'"
    ):
        read_plate_map(path)


def test_negative_dose_csv_and_yaml(tmp_path):
    path = _csv(tmp_path, "B2,sample,MCF7,d,-1,uM\n" + VEHICLE)
    with pytest.raises(PlateMapError, match=r"map\.csv, row 2, well B2: negative dose"):
        read_plate_map(path)
    yaml_path = _write_yaml(
        tmp_path,
        "cell_line: MCF7\nblocks:\n"
        "  - {role: vehicle, rows: A, columns: 1}\n"
        "  - {drug: d, rows: B, columns: 2-4, top_dose: -5 uM, dilution: 3}\n",
    )
    with pytest.raises(PlateMapError, match=r"map\.yaml, row 4, well B2: negative dose '-5 uM'"):
        read_plate_map(yaml_path)


def test_missing_and_unknown_units(tmp_path):
    path = _csv(tmp_path, "B2,sample,MCF7,d,10,\n" + VEHICLE, name="nounit.csv")
    with pytest.raises(
        UnitError, match=r"nounit\.csv, row 2, well B2: concentration unit is missing"
    ):
        read_plate_map(path)
    path = _csv(tmp_path, "B2,sample,MCF7,d,10,ug/ml\n" + VEHICLE, name="ugml.csv")
    with pytest.raises(
        UnitError, match=r"ugml\.csv, row 2, well B2: unknown concentration unit 'ug/ml'"
    ):
        read_plate_map(path)
    yaml_path = _write_yaml(
        tmp_path,
        "cell_line: MCF7\nblocks:\n"
        "  - {role: vehicle, rows: H, columns: 1}\n"
        "  - drug: d\n    rows: B-C\n    columns: 2-5\n    top_dose: 10\n    dilution: 3\n",
    )
    with pytest.raises(
        UnitError, match=r"map\.yaml, row 4, well B2: concentration unit is missing"
    ):
        read_plate_map(yaml_path)


def test_cell_line_without_vehicle_wells(tmp_path):
    path = _csv(tmp_path, "B2,sample,MCF7,d,1,uM\nB3,sample,MCF7,d,2,uM\nB4,vehicle,T47D,,0,uM\n")
    with pytest.raises(
        PlateMapError,
        match=r"map\.csv, row 2, well B2: cell line 'MCF7' has 2 sample wells but no vehicle",
    ):
        read_plate_map(path)


def test_sample_without_dose_and_vehicle_with_dose(tmp_path):
    path = _csv(tmp_path, "B2,sample,MCF7,d,,uM\n" + VEHICLE)
    with pytest.raises(PlateMapError, match=r"row 2, well B2: sample well has no concentration"):
        read_plate_map(path)
    path = _csv(tmp_path, "B2,sample,MCF7,d,1,uM\nB3,vehicle,MCF7,,5,uM\n")
    with pytest.raises(PlateMapError, match=r"row 3, well B3: vehicle well with a non-zero"):
        read_plate_map(path)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "blocks:\n  - {drug: d, rows: B, columns: 2-4, top_dose: 1 uM, dillution: 3}\n",
            r"map\.yaml, row 2: block 1 has unknown keys \['dillution'\]",
        ),
        (
            "blocks:\n  - {drug: d, rows: B, columns: 2-6, top_column: 4, top_dose: 1 uM,"
            " dilution: 3}\n",
            r"row 2: top_column 4 is not at an end of columns '2-6'",
        ),
        (
            "blocks:\n  - {drug: d, rows: B, columns: 2-4, top_dose: 1 uM, dilution: 0.5}\n",
            r"row 2, well B2: dilution must be a factor > 1",
        ),
        (
            "blocks:\n  - {drug: d, rows: B, columns: 10-14, top_dose: 1 uM, dilution: 2}\n",
            r"row 2: columns '10-14' reach beyond the plate",
        ),
        ("plate: {culture: 4D}\nblocks: [{role: blank}]\n", r"row 1: culture must be 2D or 3D"),
        ("plate: {format: 100}\nblocks: [{role: blank}]\n", r"plate format must be 96, 384"),
        ("plates: {format: 96}\nblocks: [{role: blank}]\n", r"unknown top-level keys"),
        ("blocks:\n  - {drug: d, rows: B\n", r"map\.yaml, row \d: invalid YAML"),
        ("blocks: []\n", r"'blocks' must be a non-empty list"),
        (
            "blocks:\n  - {role: vehicle, rows: B, columns: 2-4, top_dose: 1 uM, dilution: 2}\n",
            r"a vehicle block cannot have a dilution series",
        ),
        (
            "blocks:\n  - {drug: d, rows: B, columns: 2-4, doses: [1, 2]}\n",
            r"doses must be a list of 3 values",
        ),
    ],
)
def test_yaml_schema_errors(tmp_path, body, message):
    with pytest.raises(PlateMapError, match=message):
        read_plate_map(_write_yaml(tmp_path, body))


def test_csv_without_well_column(tmp_path):
    path = tmp_path / "nowell.csv"
    path.write_text("position_x,role\n1,sample\n")
    with pytest.raises(PlateMapError, match=r"nowell\.csv: a per-well plate map needs a 'well'"):
        read_plate_map(path)


@settings(max_examples=25, deadline=None)
@given(
    top_nm=st.integers(1, 100_000),
    dilution=st.sampled_from([2, 3, 4, 10]),
    first=st.integers(1, 6),
    steps=st.integers(2, 6),
    backwards=st.booleans(),
)
def test_dilution_series_property(tmp_path_factory, top_nm, dilution, first, steps, backwards):
    last = first + steps - 1
    direction = "left" if backwards else "right"
    path = tmp_path_factory.mktemp("series") / "series.yaml"
    path.write_text(
        "cell_line: MCF7\nblocks:\n"
        f"  - {{drug: d, rows: C, columns: {first}-{last}, direction: {direction},"
        f" top_dose: {top_nm} nM, dilution: {dilution}}}\n"
        "  - {role: vehicle, rows: H, columns: 12}\n"
    )
    wells = _wells(read_plate_map(path))
    doses = [wells.loc[f"C{c}", "concentration"] for c in range(first, last + 1)]
    if backwards:
        doses = doses[::-1]
    assert doses[0] == pytest.approx(top_nm * 1e-9, rel=1e-12)
    np.testing.assert_allclose(np.divide(doses[:-1], doses[1:]), dilution, rtol=1e-12)
    assert wells.loc[f"C{first}", "replicate"] == 1  # one row: replicate 1 everywhere


def test_yaml_example_in_the_module_documentation_is_valid(tmp_path):
    import resistlab.io.plate_map as module

    doc = module.__doc__ or ""
    block = doc.split(".. code-block:: yaml\n\n", 1)[1].split("\n\n", 1)[0]
    path = _write_yaml(tmp_path, "\n".join(line[4:] for line in block.splitlines()))
    plate_map = read_plate_map(path)
    wells = _wells(plate_map)
    assert plate_map.plates == ["Plate 1"]
    assert wells.loc["B10", "concentration"] == pytest.approx(1e-5 / 3**8)
    assert wells.loc["G1", ["cell_line", "drug"]].tolist() == ["HCT116", "SN-38"]
    assert wells.loc["G1", "concentration"] == pytest.approx(1e-6 / 10**5)
    assert wells.loc["H3", "role"] == "positive_control"
