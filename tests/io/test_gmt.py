from __future__ import annotations

import pytest

from resistlab.errors import FileFormatError
from resistlab.io.gmt import read_gmt, write_gmt
from resistlab.rnaseq.genesets import GeneSets


def _gmt(tmp_path, text, name="sets.gmt"):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def test_reads_sets_descriptions_and_order(tmp_path):
    path = _gmt(
        tmp_path,
        "RTK\thttp://example.org/rtk\tEGFR\tERBB2\tMET\n\nSTAT3\t\tSOCS3\tBCL3\tSOCS3\t\t\r\n",
    )
    sets = read_gmt(path, licence="CC0", url="u")
    assert list(sets) == ["RTK", "STAT3"]
    assert sets["RTK"] == ("EGFR", "ERBB2", "MET")
    assert sets["STAT3"] == ("SOCS3", "BCL3")  # duplicate gene kept once, CRLF and trailing tabs
    assert sets.descriptions == {"RTK": "http://example.org/rtk", "STAT3": ""}
    assert (sets.source, sets.licence, sets.url) == ("sets.gmt", "CC0", "u")


def test_byte_order_mark_is_tolerated(tmp_path):
    path = tmp_path / "bom.gmt"
    path.write_bytes("\ufeffA\t\tX\tY\n".encode())
    assert list(read_gmt(path)) == ["A"]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("A\t\tX\nB_without_tabs\n", 2, "expected at least 3 tab-separated fields"),
        ("A\t\tX\nB\tdescription only\n", 2, "gene set 'B' has no genes"),
        ("A\t\tX\nB\tdesc\t\t \t\n", 2, "gene set 'B' has no genes"),
        ("A\t\tX\n\t\tY\n", 2, "the gene set name \\(first field\\) is empty"),
        ("A\t\tX\nB\t\tY\nA\t\tZ\n", 3, "gene set 'A' is already defined on line 1"),
    ],
)
def test_errors_name_file_and_line(tmp_path, text, line, message):
    path = _gmt(tmp_path, text, name="broken.gmt")
    with pytest.raises(FileFormatError, match=rf"broken\.gmt, line {line}: {message}"):
        read_gmt(path)


def test_empty_and_binary_files_are_rejected(tmp_path):
    with pytest.raises(FileFormatError, match=r"empty\.gmt: no gene sets"):
        read_gmt(_gmt(tmp_path, "\n\n", name="empty.gmt"))
    binary = tmp_path / "binary.gmt"
    binary.write_bytes(b"A\t\t\xff\xfe\n")
    with pytest.raises(FileFormatError, match=r"binary\.gmt: not a UTF-8 text file"):
        read_gmt(binary)


def test_round_trip_keeps_everything_and_leaves_no_temporary(tmp_path):
    sets = GeneSets(
        {"UP": ("EGFR", "ERBB2"), "DOWN": ("TP53",)},
        descriptions={"UP": "genes up"},
    )
    path = tmp_path / "out.gmt"
    write_gmt(sets, path)
    back = read_gmt(path)
    assert dict(back) == dict(sets)
    assert dict(back.descriptions) == {"UP": "genes up", "DOWN": ""}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.gmt"]


def test_write_rejects_tabs_and_keeps_the_old_file(tmp_path):
    path = tmp_path / "out.gmt"
    write_gmt({"A": ["X"]}, path)
    with pytest.raises(ValueError, match="gene set 'B': gene 'Y\\\\tZ' contains a tab"):
        write_gmt({"A": ["X"], "B": ["Y\tZ"]}, path)
    assert path.read_text() == "A\t\tX\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.gmt"]
