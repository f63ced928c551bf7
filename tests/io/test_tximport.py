from __future__ import annotations

import gzip
import math

import numpy as np
import pandas as pd
import pytest

from resistlab.errors import FileFormatError, InputError
from resistlab.io import QUANT_COLUMNS, Tximport, read_salmon, read_tx2gene

# transcript -> gene; G3 is silent in sample B only, G4 in every sample
TX2GENE = {
    "ENST00000000011.1": "ENSG00000000001.3",
    "ENST00000000012.2": "ENSG00000000001.3",
    "ENST00000000013.1": "ENSG00000000001.3",
    "ENST00000000021.4": "ENSG00000000002.1",
    "ENST00000000022.1": "ENSG00000000002.1",
    "ENST00000000031.2": "ENSG00000000003.7",
    "ENST00000000041.1": "ENSG00000000004.2",
    "ENST00000000042.3": "ENSG00000000004.2",
}
TRANSCRIPTS = list(TX2GENE)
SAMPLES = ["C", "A", "B"]  # not sorted: input order must be kept
GENE_IDS = ["ENSG00000000001", "ENSG00000000002", "ENSG00000000003", "ENSG00000000004"]


def _truth(rng):
    """Per-sample quant.sf tables with known values (as Salmon computes TPM)."""
    lengths = rng.integers(600, 4000, size=len(TRANSCRIPTS)).astype(float)
    tables = {}
    for sample in SAMPLES:
        effective = lengths - rng.uniform(150.0, 250.0, size=len(TRANSCRIPTS))
        reads = rng.gamma(2.0, 300.0, size=len(TRANSCRIPTS))
        reads[[6, 7]] = 0.0  # G4 silent everywhere
        if sample == "B":
            reads[5] = 0.0  # G3 silent in B
        rate = reads / effective
        tpm = rate / rate.sum() * 1e6
        tables[sample] = pd.DataFrame(
            {
                "Name": TRANSCRIPTS,
                "Length": lengths,
                "EffectiveLength": effective,
                "TPM": tpm,
                "NumReads": reads,
            }
        )
    return tables


def _write_quant(folder, table, names=None):
    folder.mkdir(parents=True, exist_ok=True)
    table = table.copy()
    if names is not None:
        table["Name"] = names
    lines = ["\t".join(QUANT_COLUMNS)]
    for row in table.itertuples(index=False):
        lines.append("\t".join([row.Name, *(repr(float(v)) for v in row[1:])]))
    (folder / "quant.sf").write_text("\n".join(lines) + "\n")
    return folder


def _write_tx2gene(path, mapping=TX2GENE, header="TXNAME\tGENEID"):
    lines = ([header] if header else []) + [f"{t}\t{g}" for t, g in mapping.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def _expected(tables):
    """tximport's summarizeToGene written out gene by gene, sample by sample."""
    genes = {
        g: [i for i, t in enumerate(TRANSCRIPTS) if TX2GENE[t].startswith(g)] for g in GENE_IDS
    }
    counts, abundance, length = {}, {}, {}
    for gene, rows in genes.items():
        for sample in SAMPLES:
            t = tables[sample]
            counts[gene, sample] = sum(t["NumReads"][i] for i in rows)
            abundance[gene, sample] = sum(t["TPM"][i] for i in rows)
            weighted = sum(t["TPM"][i] * t["EffectiveLength"][i] for i in rows)
            total = abundance[gene, sample]
            length[gene, sample] = weighted / total if total > 0 else None
        known = [length[gene, s] for s in SAMPLES if length[gene, s] is not None]
        for sample in SAMPLES:
            if length[gene, sample] is None:
                if known:
                    length[gene, sample] = math.exp(sum(math.log(v) for v in known) / len(known))
                else:
                    per_tx = [
                        sum(tables[s]["EffectiveLength"][i] for s in SAMPLES) / len(SAMPLES)
                        for i in rows
                    ]
                    length[gene, sample] = sum(per_tx) / len(per_tx)

    def frame(values):
        return pd.DataFrame(
            [[values[g, s] for s in SAMPLES] for g in GENE_IDS], index=GENE_IDS, columns=SAMPLES
        )

    return frame(counts), frame(abundance), frame(length)


@pytest.fixture
def salmon(tmp_path, rng):
    tables = _truth(rng)
    folders = [_write_quant(tmp_path / "salmon" / s, tables[s]) for s in SAMPLES]
    tx2gene = _write_tx2gene(tmp_path / "tx2gene.tsv")
    return tables, folders, tx2gene


def _assert_values(frame, expected):
    assert frame.index.tolist() == expected.index.tolist()
    assert frame.columns.tolist() == expected.columns.tolist()
    np.testing.assert_allclose(frame.to_numpy(), expected.to_numpy(), rtol=1e-12)


def test_gene_sums_weighted_lengths_and_missing_length_replacement(salmon):
    tables, folders, tx2gene = salmon
    txi = read_salmon(folders, tx2gene)
    counts, abundance, length = _expected(tables)
    assert isinstance(txi, Tximport)
    assert txi.counts_from_abundance == "no"
    assert txi.counts.index.name == "gene"
    assert txi.counts.columns.name == "sample"
    _assert_values(txi.counts, counts)
    _assert_values(txi.abundance, abundance)
    _assert_values(txi.length, length)
    # G3 in B: the geometric mean of its lengths in C and A
    g3 = txi.length.loc["ENSG00000000003"]
    assert g3["B"] == pytest.approx(math.sqrt(g3["C"] * g3["A"]), rel=1e-12)
    # G4: mean over its two transcripts of their mean effective length over samples
    mean_41 = np.mean([tables[s]["EffectiveLength"][6] for s in SAMPLES])
    mean_42 = np.mean([tables[s]["EffectiveLength"][7] for s in SAMPLES])
    assert txi.length.loc["ENSG00000000004"].tolist() == pytest.approx(
        [(mean_41 + mean_42) / 2] * 3, rel=1e-12
    )
    assert txi.counts.loc["ENSG00000000004"].tolist() == [0.0, 0.0, 0.0]


def test_mapping_names_samples_and_accepts_quant_sf_files(salmon):
    tables, folders, tx2gene = salmon
    by_name = read_salmon({"resistant": folders[0] / "quant.sf", "parental": folders[1]}, tx2gene)
    assert by_name.counts.columns.tolist() == ["resistant", "parental"]
    counts, _, _ = _expected(tables)
    np.testing.assert_allclose(by_name.counts.to_numpy(), counts[["C", "A"]].to_numpy(), rtol=1e-12)


@pytest.mark.parametrize("how", ["scaledTPM", "lengthScaledTPM"])
def test_counts_from_abundance(salmon, how):
    tables, folders, tx2gene = salmon
    txi = read_salmon(folders, tx2gene, counts_from_abundance=how)
    counts, abundance, length = _expected(tables)
    new = abundance.copy()
    if how == "lengthScaledTPM":
        new = abundance.mul(length.mean(axis=1), axis=0)
    for sample in SAMPLES:
        new[sample] = new[sample] * counts[sample].sum() / new[sample].sum()
    assert txi.counts_from_abundance == how
    _assert_values(txi.counts, new)
    np.testing.assert_allclose(txi.counts.sum().to_numpy(), counts.sum().to_numpy(), rtol=1e-12)
    _assert_values(txi.abundance, abundance)
    assert txi.normalization_matrix() is None


def test_rounded_counts_and_deseq2_normalization_matrix(salmon):
    tables, folders, tx2gene = salmon
    txi = read_salmon(folders, tx2gene)
    rounded = txi.rounded_counts()
    assert (rounded.dtypes == np.int64).all()
    np.testing.assert_array_equal(rounded.to_numpy(), np.round(txi.counts.to_numpy()))
    _, _, length = _expected(tables)
    matrix = txi.normalization_matrix()
    assert matrix is not None
    geometric_mean = np.exp(np.log(length).mean(axis=1))
    _assert_values(matrix, length.div(geometric_mean, axis=0))
    np.testing.assert_allclose(np.exp(np.log(matrix).mean(axis=1)), 1.0, rtol=1e-12)


def test_rounding_halves_to_even_as_r_does():
    index = pd.Index(["g1", "g2", "g3"], name="gene")
    counts = pd.DataFrame({"S": [2.5, 3.5, 0.49]}, index=index)
    txi = Tximport(counts, counts, counts + 1000.0)
    assert txi.rounded_counts()["S"].tolist() == [2, 4, 0]


def test_to_frame_is_tidy(salmon):
    _, folders, tx2gene = salmon
    txi = read_salmon(folders, tx2gene)
    tidy = txi.to_frame()
    assert tidy.columns.tolist() == ["gene", "sample", "counts", "abundance", "length"]
    assert len(tidy) == 4 * 3
    row = tidy[(tidy["gene"] == "ENSG00000000002") & (tidy["sample"] == "B")].iloc[0]
    assert row["counts"] == txi.counts.loc["ENSG00000000002", "B"]
    assert row["length"] == txi.length.loc["ENSG00000000002", "B"]


def test_transcripts_in_another_order_in_one_sample(tmp_path, salmon):
    tables, folders, tx2gene = salmon
    shuffled = tables["B"].iloc[[7, 3, 0, 5, 1, 6, 2, 4]].reset_index(drop=True)
    other = _write_quant(tmp_path / "shuffled" / "B", shuffled)
    txi = read_salmon([folders[0], folders[1], other], tx2gene)
    counts, _, length = _expected(tables)
    _assert_values(txi.counts, counts)
    _assert_values(txi.length, length)


@pytest.mark.parametrize("side", ["tx2gene without versions", "quant without versions", "bars"])
def test_transcript_versions_and_gencode_headers_are_matched(tmp_path, salmon, side):
    tables, _, _ = salmon
    if side == "tx2gene without versions":
        names = TRANSCRIPTS
        mapping = {t.split(".")[0]: g for t, g in TX2GENE.items()}
    elif side == "quant without versions":
        names = [t.split(".")[0] for t in TRANSCRIPTS]
        mapping = TX2GENE
    else:
        names = [
            f"{t}|{TX2GENE[t]}|OTTHUMG0001|-|NAME-201|NAME|1200|protein_coding|"
            for t in TRANSCRIPTS
        ]
        mapping = TX2GENE
    folders = [_write_quant(tmp_path / side / s, tables[s], names) for s in SAMPLES]
    tx2gene = _write_tx2gene(tmp_path / "t2g.csv", mapping, header="")
    txi = read_salmon(folders, tx2gene)
    counts, _, length = _expected(tables)
    _assert_values(txi.counts, counts)
    _assert_values(txi.length, length)


def test_tx2gene_as_dataframe_and_dropping_unknown_transcripts(salmon):
    tables, folders, _ = salmon
    frame = pd.DataFrame({"tx": TRANSCRIPTS[1:], "gene": [TX2GENE[t] for t in TRANSCRIPTS[1:]]})
    with pytest.raises(
        FileFormatError,
        match=r"tx2gene: 1 of the 8 transcripts of C/quant\.sf are not in tx2gene: "
        r"'ENST00000000011\.1'",
    ):
        read_salmon(folders, frame)
    txi = read_salmon(folders, frame, missing_transcripts="drop")
    g1 = [1, 2]  # ENST..12, ENST..13
    for sample in SAMPLES:
        reads = tables[sample]["NumReads"]
        assert txi.counts.loc["ENSG00000000001", sample] == pytest.approx(
            sum(reads[i] for i in g1), rel=1e-12
        )


# --------------------------------------------------------------------------- tx2gene files


def test_read_tx2gene_formats(tmp_path):
    plain = tmp_path / "plain.csv"
    plain.write_text("ENST1.1,ENSG1.1\nENST2.1,ENSG1.1\nENST3.2,ENSG2.5\n")
    table = read_tx2gene(plain)
    assert table.columns.tolist() == ["transcript", "gene"]
    assert table["transcript"].tolist() == ["ENST1.1", "ENST2.1", "ENST3.2"]
    assert table["gene"].tolist() == ["ENSG1.1", "ENSG1.1", "ENSG2.5"]

    biomart = tmp_path / "mart_export.txt.gz"
    biomart.write_bytes(
        gzip.compress(
            b"Gene stable ID\tTranscript stable ID\tGene name\n"
            b"ENSG00000141510\tENST00000269305\tTP53\n"
            b"ENSG00000141510\tENST00000445888\tTP53\n"
            b"ENSG00000141510\tENST00000445888\tTP53\n"  # repeated row: kept once
        )
    )
    mart = read_tx2gene(biomart)
    assert mart["transcript"].tolist() == ["ENST00000269305", "ENST00000445888"]
    assert mart["gene"].tolist() == ["ENSG00000141510", "ENSG00000141510"]


def test_read_tx2gene_errors(tmp_path):
    conflict = tmp_path / "conflict.tsv"
    conflict.write_text("tx\tgene\nT1\tG1\nT2\tG1\nT1\tG2\n")
    with pytest.raises(
        FileFormatError,
        match=r"conflict\.tsv: transcript 'T1' maps to two genes: "
        r"'G1' \(row 2\) and 'G2' \(row 4\)",
    ):
        read_tx2gene(conflict)
    one_column = tmp_path / "one.tsv"
    one_column.write_text("T1\nT2\n")
    with pytest.raises(FileFormatError, match=r"one\.tsv, row 1: a tx2gene table needs two"):
        read_tx2gene(one_column)
    empty_id = tmp_path / "empty_id.csv"
    empty_id.write_text("T1,G1\nT2,\n")
    with pytest.raises(FileFormatError, match=r"empty_id\.csv, row 2: a transcript or gene id"):
        read_tx2gene(empty_id)


# --------------------------------------------------------------------------- errors


def test_unmapped_transcripts_name_how_many_and_which(salmon, tmp_path):
    _, folders, _ = salmon
    partial = _write_tx2gene(tmp_path / "partial.tsv", dict(list(TX2GENE.items())[:4]))
    with pytest.raises(
        FileFormatError,
        match=r"partial\.tsv: 4 of the 8 transcripts of C/quant\.sf are not in tx2gene: "
        r"'ENST00000000022\.1', 'ENST00000000031\.2', 'ENST00000000041\.1', \.\.\.",
    ):
        read_salmon(folders, partial)
    unrelated = _write_tx2gene(tmp_path / "mouse.tsv", {"ENSMUST00000000001.4": "ENSMUSG01"})
    with pytest.raises(FileFormatError, match=r"mouse\.tsv: none of the 8 transcripts"):
        read_salmon(folders, unrelated)


def test_samples_with_different_transcripts(tmp_path, salmon):
    tables, folders, tx2gene = salmon
    fewer = _write_quant(tmp_path / "other" / "B", tables["B"].iloc[:-1])
    with pytest.raises(
        FileFormatError,
        match=r"B/quant\.sf: sample 'B' has different transcripts from sample 'C' .*lacks 1 "
        r"transcripts of 'C' \(first 'ENST00000000042\.3'\)",
    ):
        read_salmon([folders[0], fewer], tx2gene)


def test_quant_sf_problems(tmp_path, salmon):
    tables, folders, tx2gene = salmon
    bad = tmp_path / "bad" / "S9"
    bad.mkdir(parents=True)
    (bad / "quant.sf").write_text("Name\tLength\tTPM\tNumReads\nT1\t100\t5\t3\n")
    with pytest.raises(
        FileFormatError,
        match=r"S9/quant\.sf: not a Salmon quant\.sf: missing the columns \['EffectiveLength'\]",
    ):
        read_salmon([bad], tx2gene)

    negative = tables["A"].copy()
    negative.loc[3, "NumReads"] = -2.0
    folder = _write_quant(tmp_path / "neg" / "N1", negative)
    with pytest.raises(
        FileFormatError,
        match=r"N1/quant\.sf, row 5: transcript 'ENST00000000021\.4': NumReads .*-2\.0",
    ):
        read_salmon([folder], tx2gene)

    empty = tmp_path / "nothing" / "S1"
    empty.mkdir(parents=True)
    with pytest.raises(FileFormatError, match=r"S1: no quant\.sf in the folder"):
        read_salmon([empty], tx2gene)

    twin = _write_quant(tmp_path / "run2" / "C", tables["C"])
    with pytest.raises(InputError, match=r"both give the sample name 'C'; pass a mapping"):
        read_salmon([folders[0], twin], tx2gene)

    with pytest.raises(InputError, match=r"counts_from_abundance must be"):
        read_salmon(folders, tx2gene, counts_from_abundance="TPM")  # type: ignore[arg-type]


def test_gene_versions_that_collide(tmp_path, salmon):
    _, folders, _ = salmon
    mapping = dict(TX2GENE)
    mapping["ENST00000000022.1"] = "ENSG00000000002.2"  # another version of the same gene
    tx2gene = _write_tx2gene(tmp_path / "mixed.tsv", mapping)
    with pytest.raises(
        InputError,
        match=r"mixed\.tsv: gene ids 'ENSG00000000002\.1' and 'ENSG00000000002\.2' are both",
    ):
        read_salmon(folders, tx2gene)
