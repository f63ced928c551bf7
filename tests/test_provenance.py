"""`resistlab.provenance`: citations written by `cite_many` are read back by `citations`."""

from __future__ import annotations

import numpy as np

from resistlab.provenance import citations, cite, cite_many, data_row


def test_written_citations_read_back_row_for_row() -> None:
    rng = np.random.default_rng(7)
    files = ["blots/blot1_pFAK_Y397.csv", "de.csv", "plate run1.txt", "counts.txt.gz"]
    for _ in range(200):
        places = [
            (files[int(rng.integers(len(files)))], int(rng.integers(2, 60)))
            for _ in range(int(rng.integers(1, 12)))
        ]
        text = cite_many(places) + " (phospho/total; t-test e.g. on 3 blots)"
        found = citations(text)
        want: dict[str, set[int]] = {}
        for file, row in places:
            want.setdefault(file.split(" ")[-1], set()).add(row)
        assert {c.file: set(c.rows) for c in found} == want


def test_runs_are_collapsed_and_sheets_kept() -> None:
    assert cite("a.csv", [5, 2, 3, 4, 9, 10]) == "a.csv, rows 2-5, 9-10"
    (found,) = citations("book.xlsx, sheet 'Bands', rows 3-4")
    assert (found.file, found.sheet, found.rows) == ("book.xlsx", "Bands", (3, 4))


def test_plain_words_and_numbers_are_not_files() -> None:
    assert citations("PROGENy:EGFR footprint t-value 1.25, 95% CI [0.5, 2.0]") == []


def test_data_row_counts_the_header_as_row_one() -> None:
    lines = "gene,lfc\nA,1\nB,2\n".splitlines()
    assert lines[data_row(1) - 1] == "B,2"


def test_a_citation_ends_a_sentence() -> None:
    found = citations("see fold_resistance.csv. Then counts.txt.gz, row 4.")
    assert [(c.file, c.rows) for c in found] == [
        ("fold_resistance.csv", ()),
        ("counts.txt.gz", (4,)),
    ]
