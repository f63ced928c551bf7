from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from resistlab.wells import (
    PLATE_FORMATS,
    check_in_plate,
    describe_format,
    parse_columns_spec,
    parse_rows_spec,
    parse_well,
    row_index,
    row_label,
    smallest_format,
    well_name,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("A1", (0, 0)), ("a01", (0, 0)), ("H12", (7, 11)), ("P24", (15, 23)), ("AF48", (31, 47))],
)
def test_parse_well_known_names(name, expected):
    assert parse_well(name) == expected


@pytest.mark.parametrize("bad", ["", "1A", "A0", "ABC1", "B1O", "A-1"])
def test_parse_well_rejects(bad):
    with pytest.raises(ValueError, match="is not a well name"):
        parse_well(bad)


def test_row_labels_of_1536_plate_run_to_af():
    assert [row_label(i) for i in (0, 25, 26, 27, 31)] == ["A", "Z", "AA", "AB", "AF"]
    assert row_index("AA") == 26


@given(st.sampled_from(sorted(PLATE_FORMATS)), st.data())
def test_well_name_round_trips(wells, data):
    rows, cols = PLATE_FORMATS[wells]
    r = data.draw(st.integers(0, rows - 1))
    c = data.draw(st.integers(0, cols - 1))
    name = well_name(r, c)
    assert parse_well(name) == (r, c)
    assert not name[len(name.rstrip("0123456789")) :].startswith("0")  # no zero padding
    check_in_plate(r, c, wells)


def test_check_in_plate_names_the_well_and_plate():
    with pytest.raises(ValueError, match=r"well Q1 is outside the 8x12 \(96-well\) plate"):
        check_in_plate(16, 0, 96)


def test_smallest_format_and_description():
    assert smallest_format(7, 11) == 96
    assert smallest_format(15, 12) == 384
    assert smallest_format(31, 47) == 1536
    assert describe_format(384) == "16x24 (384-well)"
    with pytest.raises(ValueError, match="does not fit any plate format"):
        smallest_format(40, 0)


def test_row_and_column_specs():
    assert parse_rows_spec("B-G") == [1, 2, 3, 4, 5, 6]
    assert parse_rows_spec("G-B") == [6, 5, 4, 3, 2, 1]
    assert parse_rows_spec(["H", "A"]) == [7, 0]
    assert parse_rows_spec("B, D, F") == [1, 3, 5]
    assert parse_columns_spec("2-10") == list(range(1, 10))
    assert parse_columns_spec([11]) == [10]
    assert parse_columns_spec("1..3") == [0, 1, 2]
    with pytest.raises(ValueError, match="repeat"):
        parse_columns_spec("1-3, 2")
    with pytest.raises(ValueError, match="not a column number"):
        parse_columns_spec("0")
