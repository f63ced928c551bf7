"""Reading combination dose matrices: lab matrix layouts and SynergyFinder long tables.

The sample files in ``tests/data/synergy/`` are small and hand-typed (see its
README); every expected number below is read off the file.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from resistlab.errors import FileFormatError, InputError, UnitError
from resistlab.io.synergy import read_combination_table, read_matrix_layout

DATA = Path(__file__).resolve().parents[1] / "data" / "synergy"
NAN = math.nan


def _write(tmp_path: Path, text: str, name: str = "layout.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _number(text: str) -> object:
    try:
        return float(text)
    except ValueError:
        return text or None


def _csv_to_xlsx(source: Path, target: Path, sheets: dict[str, Path] | None = None) -> Path:
    """Copy CSV files into a workbook (numbers as numeric cells, as Excel stores them)."""
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, path in (sheets or {"Sheet1": source}).items():
        sheet = workbook.create_sheet(name)
        with open(path, newline="") as handle:
            for row in csv.reader(handle):
                sheet.append([_number(c) for c in row])
    workbook.save(target)
    return target


# --------------------------------------------------------------------------- matrix layout


def test_lab_layout_blocks_replicates_and_missing_wells():
    m = read_matrix_layout(DATA / "lab_matrix.csv", kind="inhibition")
    assert m.block_ids == ("rux_def", "stattic_def")
    assert m.drug1 == ("ruxolitinib", "Stattic")
    assert m.drug2 == ("defactinib", "defactinib")
    np.testing.assert_array_equal(m.conc1[0], [0.0, 2.5e-7, 1e-6, 4e-6])  # rows sorted up
    np.testing.assert_array_equal(m.conc2[0], [0.0, 1e-7, 3e-7, 1e-6, 3e-6])
    np.testing.assert_array_equal(m.conc1[1], [0.0, 5e-7, 2e-6, NAN])  # nM in the corner
    np.testing.assert_array_equal(m.conc2[1], [0.0, 3e-8, 1e-7, 3e-7, NAN])
    assert m.response.shape == (2, 2, 4, 5)
    # replicate 1, the grid's bottom row (rux 0) and top row (rux 4 uM)
    np.testing.assert_array_equal(m.response[0, 0, 0], [0, 5.1, 15.2, 33.0, 60.1])
    np.testing.assert_array_equal(m.response[0, 0, 3], [40.1, 45.0, 55.2, 70.3, 85.0])
    # replicate 2: an empty cell and an "NA" are missing wells
    np.testing.assert_array_equal(m.response[0, 1, 3], [42.0, 47.9, NAN, 72.1, 86.3])
    np.testing.assert_array_equal(m.response[0, 1, 1], [9.2, 13.0, 24.1, NAN, 65.2])
    assert m.mean_response[0, 1, 3] == pytest.approx(44.8)  # one replicate left
    # the 3x4 Stattic block: one replicate, padded with NaN
    np.testing.assert_array_equal(m.response[1, 0, 2, :4], [35, 44, 58, 69])
    assert np.isnan(m.response[1, 1]).all()
    assert np.isnan(m.response[1, 0, 3]).all() and np.isnan(m.response[1, 0, :, 4]).all()


def test_synergyfinder_matrix_format_as_viability():
    m = read_matrix_layout(DATA / "synergyfinder_matrix.csv", kind="viability")
    assert m.block_ids == ("1", "2")  # each matrix with its own Drug1/Drug2 lines is a block
    assert m.drug1 == ("ispinesib", "canertinib")
    assert m.drug2 == ("ibrutinib", "ibrutinib")
    np.testing.assert_array_equal(m.conc1[0], [0.0, 6.25e-7, 2.5e-6])  # written descending
    np.testing.assert_array_equal(m.conc2[0], [0.0, 7.8e-10, 3.125e-9, 1.25e-8, 5e-8])
    np.testing.assert_allclose(m.response[0, 0, 0], 100 - np.array([100, 97.5, 92.0, 81.3, 66.0]))
    np.testing.assert_allclose(m.response[1, 0, 2], 100 - np.array([61.5, 60.0, 55.2, 47.7, 40.0]))


def test_side_by_side_grids_are_replicates_of_one_block():
    m = read_matrix_layout(DATA / "side_by_side.tsv", kind="inhibition")
    assert m.block_ids == ("1",) and m.drug1 == ("defactinib",) and m.drug2 == ("trametinib",)
    np.testing.assert_array_equal(m.conc1[0], [0, 5e-8, 5e-7])
    np.testing.assert_array_equal(m.response[0, 0], [[0, 12, 30], [21, 40, 61], [48, 70, 88]])
    np.testing.assert_array_equal(m.response[0, 1], [[2, 10, 33], [19, 44, 58], [50, NAN, 90]])


def test_side_by_side_grids_with_their_own_block_lines(tmp_path):
    path = _write(
        tmp_path,
        "block: A,,,,block: B\n"
        "drug1: rux (uM),,,,drug1: stattic (uM)\n"
        "drug2: def (uM),,,,drug2: def (uM)\n"
        ",0,1,,,0,1\n"
        "0,0,10,,0,0,5\n"
        "2,20,50,,2,30,60\n",
    )
    m = read_matrix_layout(path, kind="inhibition")
    assert m.block_ids == ("A", "B") and m.drug1 == ("rux", "stattic")
    np.testing.assert_array_equal(m.mean_response[1], [[0, 5], [30, 60]])


def test_xlsx_reads_like_csv_and_block_ids_join_sheets(tmp_path):
    csv_result = read_matrix_layout(DATA / "lab_matrix.csv", kind="inhibition")
    book = _csv_to_xlsx(DATA / "lab_matrix.csv", tmp_path / "lab.xlsx")
    xlsx_result = read_matrix_layout(book, kind="inhibition")
    assert xlsx_result.block_ids == csv_result.block_ids
    np.testing.assert_array_equal(xlsx_result.response, csv_result.response)
    np.testing.assert_array_equal(xlsx_result.conc1, csv_result.conc1)
    # the same block id on two sheets: replicates of one block
    one = _write(tmp_path, "block: 7\nuM,0,1\n0,0,10\n1,20,45\n", "one.csv")
    two = _write(tmp_path, "block: 7\nuM,0,1\n0,1,12\n1,22,41\n", "two.csv")
    book = _csv_to_xlsx(one, tmp_path / "two_sheets.xlsx", {"plate 1": one, "plate 2": two})
    m = read_matrix_layout(book, kind="inhibition")
    assert m.block_ids == ("7",) and m.response.shape == (1, 2, 2, 2)
    np.testing.assert_array_equal(m.response[0, :, 1, 1], [45, 41])
    only = read_matrix_layout(book, kind="inhibition", sheet="plate 2")
    np.testing.assert_array_equal(only.response[0, 0], [[1, 12], [22, 41]])


@pytest.mark.parametrize(
    ("corner", "names", "conc1", "conc2"),
    [
        ("uM", ("drug1", "drug2"), 1e-6, 1e-6),
        ("µM", ("drug1", "drug2"), 1e-6, 1e-6),
        ("conc (nM)", ("drug1", "drug2"), 1e-9, 1e-9),
        ("rux \\ def (uM)", ("rux", "def"), 1e-6, 1e-6),
        ("rux (uM) \\ def (nM)", ("rux", "def"), 1e-6, 1e-9),
        ("uM | nM", ("drug1", "drug2"), 1e-6, 1e-9),
    ],
)
def test_units_and_names_in_the_corner_cell(tmp_path, corner, names, conc1, conc2):
    path = _write(tmp_path, f'"{corner}",0,1,2\n0,0,1,2\n3,3,4,5\n')
    m = read_matrix_layout(path, kind="inhibition")
    assert (m.drug1[0], m.drug2[0]) == names
    assert m.conc1[0, 1] == pytest.approx(3 * conc1, rel=1e-12)
    assert m.conc2[0, 2] == pytest.approx(2 * conc2, rel=1e-12)


def test_units_written_in_cells_lines_and_default(tmp_path):
    cells = _write(tmp_path, ",0 nM,100 nM,1 uM\n0 uM,0,1,2\n0.5 uM,3,4,5\n", "cells.csv")
    m = read_matrix_layout(cells, kind="inhibition")
    np.testing.assert_array_equal(m.conc2[0], [0, 1e-7, 1e-6])
    np.testing.assert_array_equal(m.conc1[0], [0, 5e-7])
    lines = _write(tmp_path, "ConcUnit:,nM\nDrug1:,A\nDrug2:,B\n,0,10\n0,0,1\n5,2,3\n", "sf.csv")
    assert read_matrix_layout(lines, kind="inhibition").conc1[0, 1] == 5e-9
    bare = _write(tmp_path, ",0,10\n0,0,1\n5,2,3\n", "bare.csv")
    assert read_matrix_layout(bare, kind="inhibition", default_unit="nM").conc2[0, 1] == 1e-8
    # a unit holds for the next grids of the sheet until another is given
    carried = _write(
        tmp_path,
        "unit: uM\nblock: 1\n,0,1\n0,0,1\n1,2,3\n\nblock: 2\n,0,2\n0,0,1\n2,2,3\n",
        "carried.csv",
    )
    m = read_matrix_layout(carried, kind="inhibition")
    assert m.block_ids == ("1", "2") and m.conc2[1, 1] == 2e-6


def test_semicolon_csv_with_decimal_commas(tmp_path):
    path = _write(
        tmp_path, "drug1: A;;\ndrug2: B;;\nµM;0;0,5 µM;2,5\n0;0;10,5;30\n1,5;20;45,25;70\n"
    )
    m = read_matrix_layout(path, kind="inhibition")
    np.testing.assert_array_equal(m.conc2[0], [0, 5e-7, 2.5e-6])
    np.testing.assert_array_equal(m.conc1[0], [0, 1.5e-6])
    np.testing.assert_array_equal(m.mean_response[0], [[0, 10.5, 30], [20, 45.25, 70]])


def test_corner_names_do_not_split_replicates_and_a_replicate_line_keeps_the_block(tmp_path):
    path = _write(
        tmp_path,
        "rux \\ def (uM),0,1\n0,0,10\n1,20,45\n\n"
        "rux \\ def (uM),0,1\n0,2,12\n1,21,47\n\n"
        "replicate: 3\ndrug1: rux\ndrug2: def\nuM,0,1\n0,1,11\n1,19,46\n",
    )
    m = read_matrix_layout(path, kind="inhibition")
    assert m.block_ids == ("1",) and m.response.shape == (1, 3, 2, 2)
    np.testing.assert_array_equal(m.response[0, :, 1, 1], [45, 47, 46])


def test_different_doses_in_replicate_grids_take_the_union(tmp_path):
    path = _write(
        tmp_path, "block: 1\nuM,0,1\n0,0,10\n1,20,45\n\nblock: 1\nuM,0,3\n0,1,15\n1,22,60\n"
    )
    m = read_matrix_layout(path, kind="inhibition")
    np.testing.assert_array_equal(m.conc2[0], [0, 1e-6, 3e-6])
    np.testing.assert_array_equal(m.response[0, 0], [[0, 10, NAN], [20, 45, NAN]])
    np.testing.assert_array_equal(m.response[0, 1], [[1, NAN, 15], [22, NAN, 60]])


def test_a_grid_right_below_another_needs_a_unit_corner(tmp_path):
    stacked = _write(tmp_path, "uM,0,1\n0,0,10\n1,20,45\nuM,0,1\n0,2,11\n1,21,44\n")
    m = read_matrix_layout(stacked, kind="inhibition")
    assert m.response.shape == (1, 2, 2, 2)  # a bare repeat: a replicate
    np.testing.assert_array_equal(m.response[0, 1], [[2, 11], [21, 44]])


@pytest.mark.parametrize(
    ("text", "error", "match"),
    [
        (
            ",0,1\n0,0,10\n1,20,45\n",
            UnitError,
            r"layout\.csv, row 1, column A: no concentration unit",
        ),
        (
            "ConcUnit: ug/mL\n,0,1\n0,0,10\n1,20,45\n",
            UnitError,
            r"row 1, column A: unknown .*ug/mL",
        ),
        ("uM,0,1\n0,0,abc\n1,20,45\n", FileFormatError, r"row 2, column C: response 'abc' is not"),
        (
            "uM,0,1\n0,0,10\n,20,45\n",
            FileFormatError,
            r"row 3, column A: this grid row has responses but no drug-1 concentration",
        ),
        ("uM,0,1,1\n0,0,10,11\n1,20,45,46\n", FileFormatError, r"column D: drug-2 .* 1 repeats"),
        ("uM,0.1,1\n0,0,10\n1,20,45\n", FileFormatError, r"no drug-2 concentration 0"),
        ("uM,0,1\n0.5,0,10\n1,20,45\n", FileFormatError, r"no drug-1 concentration 0"),
        ("uM,0,1\n0,0,10,5\n1,20,45\n", FileFormatError, r"row 2, column D: '5' lies right"),
        ("uM,0,1\n0,0,10\n\n1,20,45\n", FileFormatError, r"row 4, column A: a row of numbers"),
        ("uM,0,1\n-1,0,10\n0,20,45\n", FileFormatError, r"row 2, column A: concentration -1"),
        ("uM,0,1\n0,0,10\nx,20,45\n", FileFormatError, r"row 3, column A: 'x' is not a drug-1"),
        ("just a note\n", FileFormatError, r"layout\.csv: no dose matrix found"),
        (
            "ConcUnit: uM\ndrug1: A (nM)\n,0,1\n0,0,10\n1,20,45\n",
            UnitError,
            r"row 2, column A: unit 'nM' for drug 1 contradicts 'uM' given at layout\.csv, row 1",
        ),
        (
            "drug1: A (uM)\ndrug1: B (uM)\n,0,1\n0,0,10\n1,20,45\n",
            FileFormatError,
            r"row 2, column A: drug1 'B \(uM\)' contradicts 'A \(uM\)' in row 1",
        ),
        ("nM,0,1\n0,0,10\n1,20,45\n", None, None),
        (
            "block: 1\ndrug1: A\nuM,0,1\n0,0,10\n1,20,45\n\nblock: 1\ndrug1: B\nuM,0,1\n0,0,10\n",
            FileFormatError,
            r"row 9, column A: drug 1 is 'B' here but 'A'",
        ),
        ("uM,0,1\n0,,10\n1,20,45\n", InputError, r"no control well"),
    ],
)
def test_layout_errors_name_file_row_and_column(tmp_path, text, error, match):
    if error is None:  # the control case: the same file, correct
        read_matrix_layout(_write(tmp_path, text), kind="inhibition")
        return
    with pytest.raises(error, match=match):
        read_matrix_layout(_write(tmp_path, text), kind="inhibition")


def test_kind_is_required_and_checked():
    with pytest.raises(TypeError):
        read_matrix_layout(DATA / "lab_matrix.csv")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="kind must be 'inhibition' or 'viability'"):
        read_matrix_layout(DATA / "lab_matrix.csv", kind="percent")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="kind must be"):
        read_combination_table(DATA / "combination_table.csv", kind="Viability")  # type: ignore[arg-type]


def test_missing_file_is_a_file_format_error(tmp_path):
    with pytest.raises(FileFormatError, match="no such file"):
        read_matrix_layout(tmp_path / "absent.csv", kind="inhibition")


# --------------------------------------------------------------------------- long tables


def test_synergyfinder_table_with_a_unit_per_drug_and_replicates():
    m = read_combination_table(DATA / "combination_table.csv", kind="inhibition")
    assert m.block_ids == ("1", "2") and m.drug1 == ("ruxolitinib", "Stattic")
    np.testing.assert_array_equal(m.conc1[0], [0, 1e-6, NAN])  # conc_unit1 = uM
    np.testing.assert_array_equal(m.conc2[0], [0, 1e-7, 1e-6])  # conc_unit2 = nM
    np.testing.assert_array_equal(m.response[0, 0, :2], [[0, 10, 30], [20, 45, 70]])
    np.testing.assert_array_equal(m.response[0, 1, :2], [[2, 12, NAN], [22, 41, 74]])
    np.testing.assert_array_equal(m.conc1[1], [0, 2.5e-6, 5e-6])
    np.testing.assert_array_equal(m.mean_response[1, :, :2], [[0, 9], [15, 31], [33, 52]])


def test_old_synergyfinder_column_names_comment_lines_and_gaps():
    m = read_combination_table(DATA / "pairindex_table.csv", kind="viability")
    assert m.block_ids == ("1",) and m.drug1 == ("AT-406",) and m.drug2 == ("Navitoclax",)
    np.testing.assert_array_equal(m.conc1[0], [0, 3e-8, 3e-7])
    np.testing.assert_allclose(
        m.mean_response[0],
        100 - np.array([[100, 91.5, 70.2], [88.0, 72.4, 40.9], [60.3, 41.0, NAN]]),
    )


def test_table_from_xlsx_and_default_unit(tmp_path):
    book = _csv_to_xlsx(DATA / "combination_table.csv", tmp_path / "table.xlsx")
    from_csv = read_combination_table(DATA / "combination_table.csv", kind="inhibition")
    from_xlsx = read_combination_table(book, kind="inhibition")
    np.testing.assert_array_equal(from_xlsx.response, from_csv.response)
    np.testing.assert_array_equal(from_xlsx.conc2, from_csv.conc2)
    no_unit = _write(
        tmp_path, "drug_row,drug_col,conc_r,conc_c,block_id,inhibition\nA,B,0,0,x,0\nA,B,2,3,x,50\n"
    )
    with pytest.raises(UnitError, match="no concentration unit column"):
        read_combination_table(no_unit, kind="inhibition")
    m = read_combination_table(no_unit, kind="inhibition", default_unit="uM")
    assert m.conc1[0].tolist() == [0, 2e-6] and m.conc2[0].tolist() == [0, 3e-6]


HEADER = "block_id,drug1,drug2,conc1,conc2,response,conc_unit\n"


@pytest.mark.parametrize(
    ("text", "kind", "error", "match"),
    [
        (
            "a,b\n1,2\n",
            "inhibition",
            FileFormatError,
            r"table\.csv: no header row with the columns",
        ),
        (
            HEADER + "1,A,B,0,0,0,uM\n1,A,B,x,1,5,uM\n",
            "inhibition",
            FileFormatError,
            r"table\.csv, row 3, column D \('conc1'\): 'x' is not a number",
        ),
        (
            HEADER + "1,A,B,0,0,0,uM\n1,A,B,0,-1,5,uM\n",
            "inhibition",
            FileFormatError,
            r"row 3, column E \('conc2'\): concentration -1 is negative",
        ),
        (
            HEADER + "1,A,B,0,0,0,uM\n1,A,B,,1,5,uM\n",
            "inhibition",
            FileFormatError,
            r"row 3, column D \('conc1'\): the concentration is missing",
        ),
        (
            HEADER + "1,A,B,0,0,0,uM\n1,A,B,0,1,5,ug\n",
            "inhibition",
            UnitError,
            r"row 3, column G \('conc_unit'\): unknown concentration unit 'ug'",
        ),
        (
            HEADER + "1,A,B,0,0,0,uM\n1,A,C,0,1,5,uM\n",
            "inhibition",
            FileFormatError,
            r"row 3, column C \('drug2'\): block 1 has drug2 'C' here but 'B'",
        ),
        (
            "block_id,drug1,drug2,conc1,conc2,viability,conc_unit\n1,A,B,0,0,100,uM\n",
            "inhibition",
            InputError,
            r"column F: the response column is named 'viability' but kind='inhibition'",
        ),
        (
            HEADER.rstrip() + ",response_type\n1,A,B,0,0,100,uM,viability_percent\n",
            "inhibition",
            InputError,
            r"row 2, column H \('response_type'\): 'viability_percent' contradicts",
        ),
        (
            "block_id,PairIndex,drug1,drug2,conc1,conc2,response,conc_unit\n1,1,A,B,0,0,0,uM\n",
            "inhibition",
            FileFormatError,
            r"columns 'block_id' \(column A\), 'PairIndex' \(column B\) all mean 'block_id'",
        ),
        (HEADER + "1,A,B,1,1,5,uM\n", "inhibition", InputError, r"no monotherapy wells"),
    ],
)
def test_table_errors_name_file_row_and_column(tmp_path, text, kind, error, match):
    with pytest.raises(error, match=match):
        read_combination_table(_write(tmp_path, text, "table.csv"), kind=kind)


# --------------------------------------------------------------------------- reference data


@pytest.mark.reference
def test_synergyfinder_example_data(reference_dir):
    folder = reference_dir / "synergy"
    mathews = read_combination_table(
        folder / "synergyfinder_mathews_screening_data.csv", kind="viability"
    )
    assert mathews.block_ids == ("1", "2") and mathews.response.shape == (2, 1, 6, 6)
    assert mathews.mean_response[0, 0, 0] == pytest.approx(100 - 122.96, abs=0.01)
    with pytest.raises(InputError, match="viability_percent"):
        read_combination_table(
            folder / "synergyfinder_mathews_screening_data.csv", kind="inhibition"
        )
    web = read_combination_table(
        folder / "synergyfinder2web_replicates_input.csv", kind="inhibition"
    )
    assert web.response.shape == (2, 3, 8, 8) and not np.isnan(web.response).any()
