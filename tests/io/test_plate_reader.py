from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from io_samples import (
    BMG_1536_ROWS,
    DATA_DIR,
    ROWS_96,
    absorbance_truth,
    fluorescence_truth,
    gen5_two_plates_rows,
    luminescence_truth,
    spark_truth,
    write_rows_xlsx,
    write_workbook,
)

from resistlab.errors import FileFormatError
from resistlab.io import PlateBlock, PlateExport, read_long_table, read_plate


def _truth_grid(fn, shape=(8, 12)):
    return np.array([[fn(r, c) for c in range(shape[1])] for r in range(shape[0])], dtype=float)


def _line_of(rows, first_cell, last_cell, occurrence=0):
    """1-based line of the `occurrence`-th row starting/ending with the given cells."""
    hits = [
        i + 1 for i, row in enumerate(rows) if row and row[0] == first_cell and row[-1] == last_cell
    ]
    return hits[occurrence]


# --------------------------------------------------------------------------- BioTek Gen5


def test_gen5_two_plates_values_flags_and_metadata():
    export = read_plate(DATA_DIR / "gen5_two_plates.txt")
    assert export.format == "BioTek Gen5"
    assert export.plates == ["Plate 1", "Plate 2"]
    assert export.reads == ["570"]
    for plate in (0, 1):
        block = export.block(plate=f"Plate {plate + 1}")
        expected = _truth_grid(lambda r, c, p=plate: absorbance_truth(p, 0, r, c))
        good = block.flags == ""
        np.testing.assert_allclose(block.values[good], expected[good])
    first, second = export.blocks
    assert first.flags[1, 8] == "overflow" and math.isnan(first.values[1, 8])  # B9 OVRFLW
    assert second.flags[3, 4] == "unreadable" and math.isnan(second.values[3, 4])  # D5 '*'
    assert (first.flags == "").sum() == 95
    assert first.metadata["reader"] == "Synergy H1"
    assert first.metadata["software"] == "Gen5 3.12.08"
    assert first.metadata["wavelength"] == "570"
    assert first.metadata["plate_type"] == "96 WELL PLATE (Use plate lid)"
    assert first.metadata["date"] == "5/2/2024"
    assert (first.metadata["time"], second.metadata["time"]) == ("3:14:07 PM", "3:15:52 PM")
    assert export.metadata["reader"] == "Synergy H1"
    assert "time" not in export.metadata  # differs between the plates
    assert export.summary() == (
        "BioTek Gen5 export: 2 plates x 1 read, 8x12 (96-well); "
        "2 wells flagged (1 overflow, 1 unreadable)"
    )


def test_gen5_layout_section_is_not_read_as_data():
    export = read_plate(DATA_DIR / "gen5_two_plates.txt")
    assert len(export) == 2  # the two Layout grids of well IDs are skipped


def test_gen5_source_names_the_file_row_of_each_value():
    export = read_plate(DATA_DIR / "gen5_two_plates.txt")
    rows = gen5_two_plates_rows()
    frame = export.to_frame().set_index(["plate", "well"])
    line_b = _line_of(rows, "B", "MTT:570", occurrence=1)  # plate 2, row B
    assert frame.loc[("Plate 2", "B7"), "source"] == f"gen5_two_plates.txt, row {line_b}"
    assert frame.loc[("Plate 2", "B7"), "value"] == pytest.approx(absorbance_truth(1, 0, 1, 6))


def test_gen5_interleaved_reads_become_separate_blocks():
    export = read_plate(DATA_DIR / "gen5_multiread.txt")
    assert export.summary() == "BioTek Gen5 export: 1 plate x 2 reads, 8x12 (96-well)"
    for read, label in ((0, "570"), (1, "650")):
        block = export.block(read=label)
        expected = _truth_grid(lambda r, c, k=read: absorbance_truth(0, k, r, c))
        np.testing.assert_allclose(block.values, expected)
        assert block.metadata["read_label"] == f"MTT:{label}"


def test_gen5_384_workbook_with_read_section_title(tmp_path):
    export = read_plate(write_workbook("gen5_384.xlsx", tmp_path))
    block = export.block()
    assert (export.format, block.plate, block.read, block.shape) == (
        "BioTek Gen5",
        "Plate 1",
        "Lum",
        (16, 24),
    )
    np.testing.assert_array_equal(
        block.values, _truth_grid(lambda r, c: luminescence_truth(0, r, c), (16, 24))
    )
    assert block.source(15, 23).startswith("gen5_384.xlsx, sheet 'Plate 1 - Sheet1', row ")


# --------------------------------------------------------------------------- Tecan


def test_tecan_icontrol_workbook_labels_wavelengths_and_over(tmp_path):
    export = read_plate(write_workbook("tecan_icontrol.xlsx", tmp_path))
    assert export.format == "Tecan i-control"
    assert export.plates == ["RL-000123"]  # the stacker plate ID
    assert export.reads == ["Label1", "Label2"]
    label1, label2 = export.blocks
    assert (label1.metadata["wavelength"], label2.metadata["wavelength"]) == ("570", "650")
    assert label1.metadata["reader"] == "infinite 200Pro"
    assert label1.metadata["serial_number"] == "1308004231"
    assert label1.metadata["start_time"] == "2024-05-02 15:14:21"
    np.testing.assert_allclose(
        label1.values, _truth_grid(lambda r, c: absorbance_truth(0, 0, r, c))
    )
    assert label2.flags[7, 11] == "overflow"
    assert label2.values[7, 10] == pytest.approx(absorbance_truth(0, 1, 7, 10))


def test_tecan_spark_csv_with_semicolons_and_decimal_commas():
    export = read_plate(DATA_DIR / "tecan_spark_de.csv")
    block = export.block()
    assert export.format == "Tecan SparkControl"
    assert block.read == "Label1"
    assert block.metadata["mode"] == "Luminescence"
    np.testing.assert_allclose(block.values, _truth_grid(spark_truth))


def test_tecan_magellan_table_is_column_major_with_metadata_below(tmp_path):
    export = read_plate(write_workbook("magellan_table.xlsx", tmp_path))
    block = export.block()
    assert export.format == "Tecan Magellan"
    assert (block.plate, block.read) == ("MTT-P1", "Abs570")
    np.testing.assert_allclose(block.values, _truth_grid(lambda r, c: absorbance_truth(0, 0, r, c)))
    assert (block.metadata["date"], block.metadata["time"]) == ("2024-05-02", "15:14:07")
    assert block.metadata["wavelength"] == "570"
    assert block.metadata["plate_type"] == "COR96fc.pdfx"
    # B1 is the 3rd data row of the column-major table: sheet row 3 + header
    assert block.source(1, 0) == "magellan_table.xlsx, sheet 'Sheet1', row 3"


# --------------------------------------------------------------------------- BMG


def test_bmg_384_two_tables_short_rows_are_missing():
    export = read_plate(DATA_DIR / "bmg_mars_384.csv")
    assert export.format == "BMG Labtech MARS"
    assert export.reads == ["544/590", "Blank corrected based on Raw Data"]
    raw, corrected = export.blocks
    assert raw.shape == (16, 24)
    assert raw.metadata["reader"] == "CLARIOstar"
    assert raw.metadata["ID1"] == "MDA-MB-231 DefR P12"
    assert raw.metadata["protocol"] == "Resazurin 544-590"
    truth = _truth_grid(lambda r, c: fluorescence_truth(1, r, c), (16, 24))
    read = corrected.flags == ""
    np.testing.assert_array_equal(corrected.values[read], truth[read])
    assert set(zip(*np.nonzero(~read), strict=True)) == {
        (r, c) for r in (14, 15) for c in range(20, 24)
    }
    assert export.summary().endswith("; 16 wells without a value")


def test_bmg_1536_lowercase_rows_and_unread_rows():
    export = read_plate(DATA_DIR / "bmg_mars_1536.csv")
    block = export.block()
    assert (block.shape, block.read, block.metadata["reader"]) == (
        (32, 48),
        "No filter",
        "PHERAstar",
    )
    for r in BMG_1536_ROWS.values():
        np.testing.assert_array_equal(
            block.values[r], [luminescence_truth(0, r, c) for c in range(48)]
        )
    unread = [r for r in range(32) if r not in BMG_1536_ROWS.values()]
    assert (block.flags[unread] == "missing").all()
    frame = block.to_frame().set_index("well")
    assert frame.loc["AA1", "value"] == luminescence_truth(0, 26, 0)  # BMG row "a"
    assert frame.loc["AF48", "value"] == luminescence_truth(0, 31, 47)  # BMG row "f"
    assert frame.loc["AF48", "source"] == "bmg_mars_1536.csv, row 14"


# --------------------------------------------------------------------------- plain grids, tables


def test_plain_labelled_grid():
    export = read_plate(DATA_DIR / "plain_96.csv")
    block = export.block()
    assert export.summary() == "Plain grid export: 1 plate x 1 read, 8x12 (96-well)"
    assert (block.plate, block.read) == ("plain_96", "OD570 2024-05-02")
    np.testing.assert_allclose(block.values, _truth_grid(lambda r, c: absorbance_truth(0, 0, r, c)))
    assert block.source(0, 0) == "plain_96.csv, row 3"


def test_plain_bare_grid_without_labels():
    block = read_plate(DATA_DIR / "plain_96_bare.tsv").block()
    np.testing.assert_allclose(block.values, _truth_grid(lambda r, c: absorbance_truth(0, 0, r, c)))
    assert block.source(7, 11) == "plain_96_bare.tsv, row 8"
    assert block.metadata == {}


def test_row_labels_without_column_header_384():
    block = read_plate(DATA_DIR / "plain_384_rowlabels.csv").block()
    np.testing.assert_array_equal(
        block.values, _truth_grid(lambda r, c: luminescence_truth(0, r, c), (16, 24))
    )


def test_long_table_detected_with_plates_and_zero_padded_wells():
    export = read_plate(DATA_DIR / "long_table.csv")
    assert export.format == "Long table"
    assert export.plates == ["P1", "P2"]
    for plate in (0, 1):
        np.testing.assert_allclose(
            export.block(plate=f"P{plate + 1}").values,
            _truth_grid(lambda r, c, p=plate: absorbance_truth(p, 0, r, c)),
        )
    # P2 A01 is data row 98 (after the header and 96 rows of P1)
    assert export.block(plate="P2").source(0, 0) == "long_table.csv, row 98"


def test_read_long_table_explicit_columns_and_read_column(tmp_path):
    path = tmp_path / "reads.csv"
    path.write_text(
        "Sample,Well Row,Well Col,Channel,Signal\n"
        "S1,A,1,570,0.5\nS1,A,1,650,0.1\nS2,H,12,570,OVER\nS2,H,12,650,0.2\n"
    )
    export = read_long_table(path, value_column="Signal", read_column="Channel")
    assert export.reads == ["570", "650"]
    b570, b650 = export.blocks
    assert (b570.values[0, 0], b650.values[0, 0], b650.values[7, 11]) == (0.5, 0.1, 0.2)
    assert b570.flags[7, 11] == "overflow"
    assert b570.flags[0, 1] == "missing"


def test_multi_sheet_workbook_labels_plates_by_sheet(tmp_path):
    def grid(offset):
        return [[None, *range(1, 13)]] + [
            [letter, *(offset + 10 * r + c for c in range(12))] for r, letter in enumerate(ROWS_96)
        ]

    path = write_rows_xlsx(tmp_path / "two.xlsx", {"Day0": grid(0), "Day3": grid(1000)})
    export = read_plate(path)
    assert export.plates == ["Day0", "Day3"]
    assert export.block(plate="Day3").values[2, 5] == 1025.0
    assert read_plate(path, sheet="Day3").plates == ["two"]


def test_stacked_grids_without_titles_are_numbered_plates(tmp_path):
    header = ",".join(["", *map(str, range(1, 13))])
    body = [",".join([letter, *[str(r)] * 12]) for r, letter in enumerate(ROWS_96)]
    path = tmp_path / "stack.csv"
    path.write_text("\n".join([header, *body, "", header, *body]))
    export = read_plate(path)
    assert export.plates == ["stack", "stack #2"]


def test_plate_block_and_export_api():
    values = np.arange(384.0).reshape(16, 24)
    block = PlateBlock(plate="P", read="Lum", values=values)
    with pytest.raises(ValueError, match="read-only"):
        block.values[0, 0] = 1.0
    values[0, 0] = -1.0  # the block keeps its own copy
    assert block.values[0, 0] == 0.0
    export = PlateExport(blocks=(block,), format="Plain grid")
    frame = export.to_frame()
    assert list(frame.columns) == [
        "plate",
        "read",
        "well",
        "row",
        "col",
        "value",
        "read_flag",
        "source",
    ]
    assert frame.loc[383, ["well", "row", "col", "value"]].tolist() == ["P24", 15, 23, 383.0]
    with pytest.raises(KeyError, match="0 blocks match"):
        export.block(read="570")
    with pytest.raises(ValueError, match="not a standard plate"):
        PlateBlock(plate="P", read="x", values=np.zeros((8, 13)))


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.lists(
        st.floats(min_value=-1e6, max_value=1e9, allow_nan=False, width=32),
        min_size=96,
        max_size=96,
    ),
    delimiter=st.sampled_from([",", "\t"]),
)
def test_any_grid_written_as_text_reads_back_exactly(tmp_path, values, delimiter):
    grid = np.array(values, dtype=float).reshape(8, 12)
    lines = [delimiter.join(["", *map(str, range(1, 13))])]
    for r, letter in enumerate(ROWS_96):
        lines.append(delimiter.join([letter, *(repr(float(v)) for v in grid[r])]))
    path = Path(tmp_path) / "grid.txt"
    path.write_text("\n".join(lines))
    np.testing.assert_array_equal(read_plate(path).block().values, grid)


# --------------------------------------------------------------------------- errors


def _grid_file(tmp_path, name, rows_text):
    header = ",".join(["", *map(str, range(1, 13))])
    path = tmp_path / name
    path.write_text("\n".join([header, *rows_text]))
    return path


def _row(letter, cells=None):
    cells = cells or ["1"] * 12
    return ",".join([letter, *cells])


def test_non_numeric_read_names_file_row_and_well(tmp_path):
    cells = ["1"] * 12
    cells[4] = "abc"
    rows = [_row(letter) for letter in "AB"] + [_row("C", cells)] + [_row(x) for x in "DEFGH"]
    path = _grid_file(tmp_path, "bad_grid.csv", rows)
    with pytest.raises(
        FileFormatError, match=r"bad_grid\.csv, row 4, well C5: non-numeric read 'abc'"
    ):
        read_plate(path)


def test_row_label_beyond_the_plate(tmp_path):
    rows = [_row(letter) for letter in "ABCDEFGHI"]
    path = _grid_file(tmp_path, "nine_rows.csv", rows)
    with pytest.raises(
        FileFormatError,
        match=r"nine_rows\.csv, row 10, well I1: row label 'I' does not fit the 8x12 \(96-well\)",
    ):
        read_plate(path)


def test_duplicated_row_in_grid(tmp_path):
    rows = [_row(letter) for letter in "ABCC"]
    path = _grid_file(tmp_path, "dup.csv", rows)
    with pytest.raises(FileFormatError, match=r"dup\.csv, row 5, well C1: row C appears twice"):
        read_plate(path)


def test_long_table_duplicate_unknown_and_bad_wells(tmp_path):
    dup = tmp_path / "dup_long.csv"
    dup.write_text("well,value\nA1,1\nB3,2\nB03,3\n")
    with pytest.raises(
        FileFormatError, match=r"dup_long\.csv, row 4, well B3: well B3 appears twice.*also row 3"
    ):
        read_plate(dup)
    outside = tmp_path / "q1.csv"
    outside.write_text("well,value\nA1,1\nQ1,2\n")
    with pytest.raises(
        FileFormatError, match=r"q1\.csv, row 3, well Q1: well Q1 is outside the 8x12 \(96-well\)"
    ):
        read_plate(outside, plate_format=96)
    typo = tmp_path / "typo.csv"
    typo.write_text("well,value\nA1,1\nB1O,2\n")
    with pytest.raises(FileFormatError, match=r"typo\.csv, row 3: 'B1O' is not a well name"):
        read_plate(typo)
    text = tmp_path / "text.csv"
    text.write_text("well,value\nA1,1\nA2,high\n")
    with pytest.raises(
        FileFormatError, match=r"text\.csv, row 3, well A2: non-numeric read 'high'"
    ):
        read_plate(text)


def test_grid_of_other_size_than_requested(tmp_path):
    with pytest.raises(
        FileFormatError, match=r"expected 8x12 \(96-well\) plates, found a 16x24 \(384-well\) grid"
    ):
        read_plate(DATA_DIR / "plain_384_rowlabels.csv", plate_format=96)


def test_files_without_plate_data(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("\n\n")
    with pytest.raises(FileFormatError, match=r"empty\.csv: the file is empty"):
        read_plate(empty)
    notes = tmp_path / "notes.txt"
    notes.write_text("Experiment: MTT\nOperator: A. Lab\n")
    with pytest.raises(FileFormatError, match=r"notes\.txt: no plate data found"):
        read_plate(notes)
    with pytest.raises(FileFormatError, match=r"old binary \.xls"):
        (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
        read_plate(tmp_path / "old.xls")
    with pytest.raises(FileFormatError, match=r"missing\.csv: no such file"):
        read_plate(tmp_path / "missing.csv")
    with pytest.raises(FileFormatError, match=r"no sheet 'Results'"):
        read_plate(write_rows_xlsx(tmp_path / "one.xlsx", {"Data": [[1]]}), sheet="Results")


def test_grid_with_column_header_but_no_row_labels(tmp_path):
    path = tmp_path / "cols_only.csv"
    lines = ["Absorbance 570", ",".join(map(str, range(1, 13)))]
    lines += [",".join(str(absorbance_truth(0, 0, r, c)) for c in range(12)) for r in range(8)]
    path.write_text("\n".join(lines))
    block = read_plate(path).block()
    assert block.read == "Absorbance 570"
    np.testing.assert_allclose(block.values, _truth_grid(lambda r, c: absorbance_truth(0, 0, r, c)))
    assert block.source(0, 0) == "cols_only.csv, row 3"
