"""The cell line of each block: carried by DoseMatrices, read from tables, kept by resampling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from resistlab.errors import FileFormatError, InputError
from resistlab.io.synergy import read_combination_table, read_matrix_layout
from resistlab.synergy import DoseMatrices, matrices_from_frame
from resistlab.synergy.summary import resample_replicates

DOSES = np.array([0.0, 1e-7, 1e-6])


def three_blocks(rng) -> DoseMatrices:
    return DoseMatrices(
        ("p", "r", "x"),
        ("A", "A", "A"),
        ("B", "B", "C"),
        np.tile(DOSES, (3, 1)),
        np.tile(DOSES, (3, 1)),
        rng.uniform(0, 100, (3, 2, 3, 3)),
        cell_line=("parental", "resistant", "parental"),
    )


def long_frame(lines: dict[str, str], column: str = "cell_line") -> pd.DataFrame:
    rows = []
    for block, line in lines.items():
        for c1 in (0.0, 1.0):
            for c2 in (0.0, 1.0):
                rows.append(
                    {
                        "block_id": block,
                        "drug1": "A",
                        "drug2": "B",
                        "conc1": c1,
                        "conc2": c2,
                        "response": 100.0 - 20 * (c1 + c2),
                        column: line,
                    }
                )
    return pd.DataFrame(rows)


def test_cell_line_defaults_to_empty_strings_so_old_constructors_work():
    m = DoseMatrices(("a", "b"), ("A", "A"), ("B", "B"), np.zeros((2, 3)), np.zeros((2, 3)),
                     np.zeros((2, 1, 3, 3)))  # fmt: skip
    assert m.cell_line == ("", "")
    assert DoseMatrices((), (), (), np.zeros((0, 3)), np.zeros((0, 3)), np.zeros((0, 1, 3, 3))
                        ).cell_line == ()  # fmt: skip


def test_cell_line_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="cell_line has 1 entries but there are 2 blocks"):
        DoseMatrices(("a", "b"), ("A", "A"), ("B", "B"), np.zeros((2, 3)), np.zeros((2, 3)),
                     np.zeros((2, 1, 3, 3)), cell_line=("x",))  # fmt: skip


def test_take_and_resample_carry_the_cell_line(rng):
    m = three_blocks(rng)
    assert m.take([2, 1]).cell_line == ("parental", "resistant")
    stacked = resample_replicates(m, 4, np.random.default_rng(0))
    assert stacked.cell_line == ("parental",) * 4 + ("resistant",) * 4 + ("parental",) * 4
    assert stacked.block_ids[4] == "r#0"


@pytest.mark.parametrize("column", ["cell_line", "cell_line_name"])
def test_matrices_from_frame_reads_the_cell_line_column(column):
    frame = long_frame({"1": "MDA-MB-231", "2": "MDA-MB-231-DefR"}, column)
    m = matrices_from_frame(frame, kind="viability", default_unit="uM")
    assert m.block_ids == ("1", "2")
    assert m.cell_line == ("MDA-MB-231", "MDA-MB-231-DefR")


def test_matrices_from_frame_without_a_line_column_gives_empty_lines():
    frame = long_frame({"1": "x"}).drop(columns="cell_line")
    assert matrices_from_frame(frame, kind="viability", default_unit="uM").cell_line == ("",)


def test_a_block_mixing_cell_lines_is_an_error_naming_the_block():
    frame = long_frame({"7": "parental"})
    frame.loc[3, "cell_line"] = "resistant"
    with pytest.raises(InputError, match=r"combo\.csv: block 7 mixes cell lines 'parental', "):
        matrices_from_frame(frame, kind="viability", default_unit="uM", source="combo.csv")


def test_combination_table_passes_synergyfinder_cell_line_name_through(tmp_path):
    path = tmp_path / "sf.csv"
    frame = long_frame({"1": "A549", "2": "H1299"}, "cell_line_name")
    frame.assign(conc_unit="uM").to_csv(path, index=False)
    m = read_combination_table(path, kind="viability")
    assert m.cell_line == ("A549", "H1299")
    frame.loc[2, "cell_line_name"] = "PC-9"
    frame.assign(conc_unit="uM").to_csv(path, index=False)
    with pytest.raises(FileFormatError, match=r"sf\.csv, row 4, column G .*block 1 has cell_line"):
        read_combination_table(path, kind="viability")


def test_matrix_layout_reads_a_cell_line_line(tmp_path):
    path = tmp_path / "grid.csv"
    path.write_text(
        "cell line: MCF7\ndrug1: A (uM)\ndrug2: B (uM)\n,0,1\n0,0,10\n1,20,40\n\n"
        ",0,1\n0,1,11\n1,21,41\n\n"
        "cell line: T47D\ndrug1: A (uM)\ndrug2: B (uM)\n,0,1\n0,0,12\n1,22,42\n"
    )
    m = read_matrix_layout(path, kind="inhibition")
    assert m.block_ids == ("1", "2")
    assert m.cell_line == ("MCF7", "T47D")
    assert m.n_replicates[0, 0, 0] == 2  # the second grid repeats block 1
