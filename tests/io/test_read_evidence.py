"""`read_evidence`: hand-written evidence tables, cited by file and row, checked row by row."""

from __future__ import annotations

from pathlib import Path

import pytest

from resistlab.errors import FileFormatError
from resistlab.io.evidence import read_evidence

HEAD = "assay,target,comparison,log2_fold_change,p_value,source\n"


def test_rows_cite_their_file_and_spreadsheet_row(tmp_path: Path) -> None:
    folder = tmp_path / "study" / "evidence"
    folder.mkdir(parents=True)
    path = folder / "ihc.csv"
    path.write_text(
        HEAD + "IHC,pSTAT3_Y705,resistant_vs_parental,1.1,0.01,H-score 40 -> 95\n"
        "spheroid,defactinib_ic50,resistant_vs_parental,2.5,,\n"
    )
    table = read_evidence([path], relative_to=tmp_path / "study")
    assert list(table["assay"]) == ["IHC", "spheroid"]  # case is normalised by the scorer
    assert list(table["source"]) == [
        "evidence/ihc.csv, row 2 (H-score 40 -> 95)",
        "evidence/ihc.csv, row 3",
    ]
    assert read_evidence([path])["source"].iloc[1] == "ihc.csv, row 3"  # by name otherwise


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("blot,pERK,resistant_vs_parental,1.0,,", r"row 3, column assay: 'blot' is not a known"),
        ("western,pERK,resistant_vs_parental,up,,", r"row 3, column log2_fold_change: 'up'"),
        ("western,pERK,resistant_vs_parental,1.0,p<0.05,", r"row 3, column p_value: 'p<0.05'"),
        ("western,,resistant_vs_parental,1.0,,", r"row 3, column target: is empty"),
    ],
)
def test_a_bad_row_is_named_by_file_row_and_column(tmp_path: Path, row: str, message: str) -> None:
    path = tmp_path / "ev.csv"
    path.write_text(HEAD + "western,pSTAT3_Y705,resistant_vs_parental,1.2,0.01,\n" + row + "\n")
    with pytest.raises(FileFormatError, match=rf"ev\.csv, {message}"):
        read_evidence([path])
