from __future__ import annotations

import gzip

import numpy as np
import openpyxl
import pandas as pd
import pytest

from resistlab.errors import FileFormatError
from resistlab.io import SPECIAL_COUNT_ROWS, read_counts, read_sample_sheet

GENES = [
    "ENSG00000169398.20",  # PTK2
    "ENSG00000168610.15",  # STAT3
    "ENSG00000141736.14",  # ERBB2
    "ENSG00000146648.18",  # EGFR
    "ENSG00000182378.14",  # PLCXD1 (X)
    "ENSG00000182378.14_PAR_Y",  # PLCXD1 (Y copy)
    "ENSG00000223972.5",
]
STRIPPED = [
    "ENSG00000169398",
    "ENSG00000168610",
    "ENSG00000141736",
    "ENSG00000146648",
    "ENSG00000182378",
    "ENSG00000182378_PAR_Y",
    "ENSG00000223972",
]
BAMS = [
    "/data/run1/bam/P1.sorted.bam",
    "/data/run1/bam/P2_Aligned.sortedByCoord.out.bam",
    "R1.Aligned.sortedByCoord.out.markdup.bam",
    r"C:\seq\R2.bam",
]
SAMPLES = ["P1", "P2", "R1", "R2"]


def _matrix(rng, n_genes=7, n_samples=4):
    return rng.negative_binomial(2, 0.002, size=(n_genes, n_samples)).astype(np.int64)


def _featurecounts_text(genes, bams, values):
    command = " ".join(
        f'"{a}"' for a in ["featureCounts", "-T", "4", "-p", "-a", "gencode.gtf", "-o", "fc.txt"]
    )
    command += " " + " ".join(f'"{b}"' for b in bams) + " "
    lines = [
        f"# Program:featureCounts v2.0.3; Command:{command}",
        "\t".join(["Geneid", "Chr", "Start", "End", "Strand", "Length", *bams]),
    ]
    for k, (gene, row) in enumerate(zip(genes, values, strict=True)):
        start, end = 11869 + 1000 * k, 12227 + 1000 * k
        annotation = ["chr1;chr1", f"{start};{start + 50}", f"{end - 50};{end}", "+;+", "1735"]
        lines.append("\t".join([gene, *annotation, *map(str, row)]))
    return "\n".join(lines) + "\n"


def _table_text(header, genes, values, sep=","):
    rows = [sep.join(header)]
    rows += [sep.join([g, *map(str, r)]) for g, r in zip(genes, values, strict=True)]
    return "\n".join(rows) + "\n"


# --------------------------------------------------------------------------- featureCounts


def test_featurecounts_output_gives_named_samples_and_integer_counts(tmp_path, rng):
    values = _matrix(rng)
    path = tmp_path / "fc.txt"
    path.write_text(_featurecounts_text(GENES, BAMS, values))
    counts = read_counts(path)
    assert counts.columns.tolist() == SAMPLES
    assert counts.columns.name == "sample"
    assert counts.index.name == "gene"
    assert counts.index.tolist() == STRIPPED
    assert (counts.dtypes == np.int64).all()
    np.testing.assert_array_equal(counts.to_numpy(), values)
    assert counts.loc["ENSG00000182378_PAR_Y", "R1"] == values[5, 2]


def test_featurecounts_without_its_comment_line_is_still_recognised(tmp_path, rng):
    values = _matrix(rng)
    path = tmp_path / "fc_nocomment.txt"
    path.write_text(_featurecounts_text(GENES, BAMS, values).split("\n", 1)[1])
    counts = read_counts(path)
    assert counts.columns.tolist() == SAMPLES
    np.testing.assert_array_equal(counts.to_numpy(), values)


def test_featurecounts_bam_names_that_collide_are_an_error(tmp_path, rng):
    bams = ["/a/S1.bam", "/b/S1.sorted.bam"]
    path = tmp_path / "fc.txt"
    path.write_text(_featurecounts_text(GENES[:2], bams, _matrix(rng, 2, 2)))
    with pytest.raises(FileFormatError, match=r"fc\.txt.*'/a/S1\.bam'.*'/b/S1\.sorted\.bam'.*'S1'"):
        read_counts(path)


def test_featurecounts_summary_passed_by_mistake(tmp_path):
    path = tmp_path / "fc.txt.summary"
    path.write_text(
        "Status\t/data/P1.bam\t/data/P2.bam\n"
        "Assigned\t2345678\t2456789\n"
        "Unassigned_Unmapped\t0\t0\n"
        "Unassigned_NoFeatures\t345678\t356789\n"
    )
    with pytest.raises(FileFormatError, match=r"fc\.txt\.summary: .*\.summary file.*not a count"):
        read_counts(path)


def test_featurecounts_with_a_wrong_annotation_header(tmp_path):
    path = tmp_path / "fc.txt"
    path.write_text(
        "# Program:featureCounts v2.0.3; Command:...\nGeneid\tChr\tStart\tEnd\tLength\tS1.bam\n"
        "g1\tchr1\t1\t10\t10\t5\n"
    )
    with pytest.raises(FileFormatError, match=r"fc\.txt, row 2: featureCounts output"):
        read_counts(path)


# --------------------------------------------------------------------------- plain tables


@pytest.mark.parametrize(
    ("name", "sep"), [("c.csv", ","), ("c.tsv", "\t"), ("c.txt", ";"), ("c.dat", "  ")]
)
def test_plain_tables_with_any_delimiter(tmp_path, rng, name, sep):
    values = _matrix(rng)
    path = tmp_path / name
    path.write_text(_table_text(["gene_id", *SAMPLES], GENES, values, sep=sep))
    counts = read_counts(path)
    assert counts.columns.tolist() == SAMPLES
    assert counts.index.tolist() == STRIPPED
    np.testing.assert_array_equal(counts.to_numpy(), values)


def test_gzipped_table_with_comments_float_integers_and_special_rows(tmp_path, rng):
    values = _matrix(rng, 3, 2)
    text = "# counts from htseq-count, merged\n" + _table_text(
        ["", "S1", "S2"], GENES[:3], values, sep="\t"
    )
    text = text.replace(f"\t{values[1, 0]}\t", f"\t{values[1, 0]}.0\t")  # "12.0" is 12
    special = "".join(
        f"{name}\t{k}\t{k + 1}\n" for k, name in enumerate(sorted(SPECIAL_COUNT_ROWS))
    )
    path = tmp_path / "htseq_merged.tsv.gz"
    path.write_bytes(gzip.compress((text + special).encode()))
    counts = read_counts(path)
    assert counts.index.tolist() == STRIPPED[:3]
    np.testing.assert_array_equal(counts.to_numpy(), values)


def test_gene_column_by_name(tmp_path, rng):
    values = _matrix(rng, 3, 2)
    lines = ["S1,ensembl,S2"] + [
        f"{v[0]},{g},{v[1]}" for g, v in zip(GENES[:3], values, strict=True)
    ]
    path = tmp_path / "middle.csv"
    path.write_text("\n".join(lines) + "\n")
    counts = read_counts(path, gene_column="ensembl")
    assert counts.columns.tolist() == ["S1", "S2"]
    assert counts.index.tolist() == STRIPPED[:3]
    np.testing.assert_array_equal(counts.to_numpy(), values)
    with pytest.raises(FileFormatError, match=r"middle\.csv: no gene column 'gene'.*'ensembl'"):
        read_counts(path, gene_column="gene")


def test_trailing_empty_columns_and_blank_lines_are_ignored(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_text("gene,S1,S2,\ng1,1,2,\n\ng2,3,4,\n,,,\n")
    counts = read_counts(path)
    assert counts.to_dict() == {"S1": {"g1": 1, "g2": 3}, "S2": {"g1": 2, "g2": 4}}


def test_xlsx_count_matrix(tmp_path, rng):
    values = _matrix(rng, 4, 3)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["gene", "A", "B", "C"])
    for gene, row in zip(GENES[:4], values, strict=True):
        sheet.append([gene, *(int(v) for v in row)])
    path = tmp_path / "counts.xlsx"
    workbook.save(path)
    counts = read_counts(path)
    assert counts.columns.tolist() == ["A", "B", "C"]
    assert counts.index.tolist() == STRIPPED[:4]
    np.testing.assert_array_equal(counts.to_numpy(), values)


# --------------------------------------------------------------------------- errors


def _bad_table(tmp_path, cell, row=3, column=2, name="bad.csv"):
    genes = ["ENSG00000169398.20", "ENSG00000168610.15", "ENSG00000141736.14"]
    table = [["gene", "P1", "P2", "R1"]] + [[g, "10", "20", "30"] for g in genes]
    table[row - 1][column] = cell
    path = tmp_path / name
    path.write_text("\n".join(",".join(r) for r in table) + "\n")
    return path


@pytest.mark.parametrize(
    ("cell", "pattern"),
    [
        ("12.5", r"count 12\.5 is not an integer; DESeq2 needs integer.*read_salmon"),
        ("-3", r"negative count -3"),
        ("", r"missing count"),
        ("NA", r"missing count"),
        ("abc", r"'abc' is not a count"),
        ("inf", r"'inf' is not a count"),
    ],
)
def test_bad_cells_name_file_row_gene_and_sample(tmp_path, cell, pattern):
    path = _bad_table(tmp_path, cell, row=3, column=2)
    with pytest.raises(
        FileFormatError, match=r"^bad\.csv, row 3: gene 'ENSG00000168610', sample 'P2': " + pattern
    ):
        read_counts(path)


def test_fractional_counts_report_how_many(tmp_path):
    path = tmp_path / "est.csv"
    path.write_text("gene,S1,S2\ng1,1.5,2\ng2,3,4.25\ng3,0.5,1\n")
    with pytest.raises(FileFormatError, match=r"est\.csv, row 2: gene 'g1', sample 'S1': .*2 more"):
        read_counts(path)


def test_duplicated_gene_names_both_rows(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("gene,S1\ng1,1\ng2,2\ng1,3\n")
    with pytest.raises(
        FileFormatError, match=r"dup\.csv: gene 'g1' is duplicated \(rows 2 and 4\)"
    ):
        read_counts(path)


def test_gene_ids_equal_without_version(tmp_path):
    path = tmp_path / "versions.tsv"
    path.write_text("gene\tS1\nENSG00000141510.16\t1\nENSG00000141510.17\t2\n")
    with pytest.raises(
        FileFormatError,
        match=r"versions\.tsv: gene ids 'ENSG00000141510\.16' \(row 2\) and "
        r"'ENSG00000141510\.17' \(row 3\) are both 'ENSG00000141510'",
    ):
        read_counts(path)


def test_duplicated_sample_names(tmp_path):
    path = tmp_path / "dups.csv"
    path.write_text("gene,S1,S2,S1\ng1,1,2,3\n")
    with pytest.raises(
        FileFormatError, match=r"dups\.csv, row 1: sample 'S1' is duplicated \(columns 2 and 4\)"
    ):
        read_counts(path)


def test_no_sample_columns(tmp_path):
    path = tmp_path / "genes.csv"
    path.write_text("gene\ng1\ng2\n")
    with pytest.raises(FileFormatError, match=r"genes\.csv: no sample columns"):
        read_counts(path)


def test_ragged_row_and_empty_gene_id(tmp_path):
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("gene,S1,S2\ng1,1,2\ng2,3,4,5\n")
    with pytest.raises(FileFormatError, match=r"ragged\.csv, row 3: 4 fields, but the header"):
        read_counts(ragged)
    empty = tmp_path / "noid.csv"
    empty.write_text("gene,S1\ng1,1\n,2\n")
    with pytest.raises(FileFormatError, match=r"noid\.csv, row 3: no gene id"):
        read_counts(empty)


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(FileFormatError, match=r"absent\.csv: no such file"):
        read_counts(tmp_path / "absent.csv")
    (tmp_path / "empty.csv").write_text("\n\n")
    with pytest.raises(FileFormatError, match=r"empty\.csv: the file is empty"):
        read_counts(tmp_path / "empty.csv")
    (tmp_path / "header.csv").write_text("gene,S1,S2\n")
    with pytest.raises(FileFormatError, match=r"header\.csv: no gene rows below the header"):
        read_counts(tmp_path / "header.csv")


# --------------------------------------------------------------------------- reference data


@pytest.mark.reference
def test_pasilla_counts_match_plain_pandas(reference_dir):
    folder = reference_dir / "rnaseq" / "pasilla"
    tsv = read_counts(folder / "pasilla_gene_counts.tsv")
    csv = read_counts(folder / "pasilla_counts.csv")
    assert tsv.shape == (14599, 7)
    pd.testing.assert_frame_equal(tsv, csv)
    plain = pd.read_csv(folder / "pasilla_gene_counts.tsv", sep="\t", index_col=0)
    assert (
        tsv.columns.tolist()
        == plain.columns.tolist()
        == [
            "untreated1",
            "untreated2",
            "untreated3",
            "untreated4",
            "treated1",
            "treated2",
            "treated3",
        ]
    )
    assert tsv.index.tolist() == plain.index.tolist()
    assert tsv.sum().tolist() == plain.sum().tolist()
    assert tsv.loc["FBgn0000008"].tolist() == [92, 161, 76, 70, 140, 88, 70]
    assert int(tsv.to_numpy().sum()) == int(plain.to_numpy().sum())
    assert (tsv.sum(axis=1) == 0).sum() == (plain.sum(axis=1) == 0).sum()


@pytest.mark.reference
def test_pasilla_metadata_written_by_r_is_a_sample_sheet(reference_dir):
    folder = reference_dir / "rnaseq" / "pasilla"
    counts = read_counts(folder / "pasilla_counts.csv")
    reversed_order = counts.columns[::-1]
    sheet = read_sample_sheet(
        folder / "pasilla_metadata.csv", samples=reversed_order, required=["condition", "type"]
    )
    assert sheet.index.tolist() == reversed_order.tolist()
    assert sheet.index.name == "sample"
    assert sheet.columns.tolist() == ["condition", "type"]
    assert sheet["condition"].value_counts().to_dict() == {"untreated": 4, "treated": 3}
    assert sheet.loc["treated1", "type"] == "single_read"


# --------------------------------------------------------------------------- sample sheets


def test_sample_sheet_reordered_with_label_and_numeric_columns(tmp_path):
    path = tmp_path / "design.csv"
    path.write_text(
        "Sample ID,Condition,batch,replicate,passage,dose_nM\n"
        "R2, resistant ,2,2,14,300\n"
        "P1,parental,1,1,10,0\n"
        "R1,resistant,1,1,12,300\n"
        "P2,parental,2,2,11,\n"
        ",,,,,\n"
    )
    sheet = read_sample_sheet(path, samples=["P1", "P2", "R1", "R2"], required=["condition"])
    assert sheet.index.tolist() == ["P1", "P2", "R1", "R2"]
    assert sheet.columns.tolist() == ["Condition", "batch", "replicate", "passage", "dose_nM"]
    assert sheet["Condition"].tolist() == ["parental", "parental", "resistant", "resistant"]
    assert sheet["batch"].tolist() == ["1", "2", "1", "2"]
    assert sheet["replicate"].tolist() == ["1", "2", "1", "2"]
    assert sheet["passage"].dtype == np.int64
    assert sheet["passage"].tolist() == [10, 11, 12, 14]
    assert sheet["dose_nM"].dtype == np.float64
    assert np.isnan(sheet.loc["P2", "dose_nM"])
    assert sheet.loc["R1", "dose_nM"] == 300.0


def test_sample_sheet_without_samples_keeps_file_order_and_reads_xlsx(tmp_path):
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.append(["sample", "condition", "batch", "RIN"])
    ws.append(["S10", "resistant", 1, 9.1])
    ws.append(["S2", "parental", 2, 8.7])
    path = tmp_path / "design.xlsx"
    workbook.save(path)
    sheet = read_sample_sheet(path)
    assert sheet.index.tolist() == ["S10", "S2"]
    assert sheet["batch"].tolist() == ["1", "2"]
    assert sheet["RIN"].tolist() == [9.1, 8.7]


def test_sample_sheet_tsv_with_numeric_sample_names(tmp_path):
    path = tmp_path / "design.tsv"
    path.write_text("sample\tcondition\n1\tA\n2\tB\n")
    sheet = read_sample_sheet(path, samples=["2", "1"])
    assert sheet.index.tolist() == ["2", "1"]
    assert sheet["condition"].tolist() == ["B", "A"]


def _sheet(tmp_path, text, name="design.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_sample_sheet_errors_name_file_sample_and_column(tmp_path):
    no_sample = _sheet(tmp_path, "name_of_mouse,condition\nm1,A\n")
    with pytest.raises(FileFormatError, match=r"design\.csv: no sample column.*'name_of_mouse'"):
        read_sample_sheet(no_sample)

    duplicated = _sheet(tmp_path, "sample,condition\nS1,A\nS2,B\nS1,C\n")
    with pytest.raises(
        FileFormatError, match=r"design\.csv: sample 'S1' is duplicated \(rows 2 and 4\)"
    ):
        read_sample_sheet(duplicated)

    empty_required = _sheet(tmp_path, "sample,condition\nS1,A\nS2,\nS3,\n")
    with pytest.raises(
        FileFormatError,
        match=r"design\.csv, row 3: sample 'S2' has no 'condition', which is required "
        r"\(1 more samples lack it\)",
    ):
        read_sample_sheet(empty_required, required=["condition"])

    with pytest.raises(FileFormatError, match=r"design\.csv: no column 'batch', which is required"):
        read_sample_sheet(empty_required, required=["batch"])

    no_name = _sheet(tmp_path, "sample,condition\nS1,A\n,B\n")
    with pytest.raises(FileFormatError, match=r"design\.csv, row 3: no sample name"):
        read_sample_sheet(no_name)

    twice = _sheet(tmp_path, "sample,condition,Condition\nS1,A,B\n")
    with pytest.raises(
        FileFormatError, match=r"design\.csv, row 1: column 'Condition' appears twice"
    ):
        read_sample_sheet(twice)


def test_sample_sheet_against_count_columns(tmp_path):
    path = _sheet(tmp_path, "sample,condition\nS1,A\nS2,A\nS3,B\nS4,B\n")
    with pytest.raises(
        FileFormatError,
        match=r"design\.csv: samples of the counts with no row in the sample sheet: 'S5', 'S6'$",
    ):
        read_sample_sheet(path, samples=["S1", "S2", "S3", "S4", "S5", "S6"])
    with pytest.raises(
        FileFormatError,
        match=r"design\.csv: sample sheet rows for samples the counts do not have: 'S2', 'S4' "
        r"\(pass drop_extra=True",
    ):
        read_sample_sheet(path, samples=["S3", "S1"])
    kept = read_sample_sheet(path, samples=["S3", "S1"], drop_extra=True)
    assert kept.index.tolist() == ["S3", "S1"]
    assert kept["condition"].tolist() == ["B", "A"]
    with pytest.raises(FileFormatError, match=r"'s1'.*differ only in upper/lower case"):
        read_sample_sheet(path, samples=["s1", "S2", "S3", "S4"])
