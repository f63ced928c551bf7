"""Salmon transcript quantifications summarised to genes, as tximport does.

`read_salmon` reads one ``quant.sf`` per sample and sums transcripts to
genes with a transcript -> gene table (`read_tx2gene`), following
tximport's ``summarizeToGene`` (tximport 1.26, Soneson, Love & Robinson
2015, F1000Research 4:1521):

* ``counts`` -- estimated counts (``NumReads``) summed per gene;
* ``abundance`` -- ``TPM`` summed per gene;
* ``length`` -- the gene's effective length in each sample: the average of
  its transcripts' ``EffectiveLength`` weighted by their TPM. Where every
  transcript of a gene has TPM 0 in a sample, the geometric mean of that
  gene's lengths in the other samples; where that is so in every sample,
  the plain mean over the gene's transcripts of each transcript's mean
  length over samples (tximport's ``replaceMissingLength``).

``counts_from_abundance="scaledTPM"`` replaces the counts by TPM scaled to
each sample's total count, ``"lengthScaledTPM"`` by TPM times the gene's
mean length over samples, scaled the same way (tximport's
``makeCountsFromAbundance``).

Differential expression follows ``DESeqDataSetFromTximport``: the counts
are rounded (`Tximport.rounded_counts`) and, with
``counts_from_abundance="no"``, the lengths enter as a per-gene,
per-sample normalisation-factor offset (`Tximport.normalization_matrix`),
which corrects for a change of isoform usage between conditions.

Transcript ids are matched to ``tx2gene`` exactly; when that leaves
transcripts unmatched, ``quant.sf`` names written as a whole GENCODE FASTA
header (``ENST...|ENSG...|...``) are cut at the first ``|`` and versions
are ignored on both sides (tximport's ``ignoreAfterBar`` /
``ignoreTxVersion``), whichever matches most. Gene ids lose their Ensembl
versions, as in `resistlab.io.read_counts`, so both readers name genes alike.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from resistlab.errors import FileFormatError, InputError, where
from resistlab.io.counts import _check_file, _decode, _delimiter, _split
from resistlab.rnaseq.gene_ids import strip_version

__all__ = ["QUANT_COLUMNS", "Tximport", "read_salmon", "read_tx2gene"]

#: Columns of a Salmon ``quant.sf`` file.
QUANT_COLUMNS = ("Name", "Length", "EffectiveLength", "TPM", "NumReads")

CountsFromAbundance = Literal["no", "scaledTPM", "lengthScaledTPM"]

_TX_HEADERS = frozenset(
    {
        "tx",
        "txname",
        "tx_name",
        "tx_id",
        "txid",
        "transcript",
        "transcripts",
        "transcript_id",
        "transcriptid",
        "transcript_name",
        "transcript_stable_id",
        "transcript_stable_id_version",
        "target_id",
        "name",
    }
)
_GENE_HEADERS = frozenset(
    {
        "gene",
        "genes",
        "gene_id",
        "geneid",
        "gene_name",
        "genename",
        "gene_stable_id",
        "gene_stable_id_version",
        "gene_symbol",
        "symbol",
    }
)
# a trailing version on any id (ENST00000269305.9, NM_000546.6), keeping GENCODE's _PAR_Y
_ANY_VERSION = r"^(.+?)\.\d+((?:_PAR_Y)?)$"


@dataclass(frozen=True)
class Tximport:
    """Gene-level estimates from transcript quantifications (tximport's list).

    Every table is genes x samples (index ``"gene"``, sorted by id as
    tximport's ``rowsum`` sorts; columns ``"sample"`` in input order) of
    float64.

    Attributes
    ----------
    counts : DataFrame
        Estimated counts summed per gene (or made from abundance, see
        `counts_from_abundance`). Not integers: use `rounded_counts` for
        DESeq2.
    abundance : DataFrame
        TPM summed per gene.
    length : DataFrame
        Abundance-weighted mean effective transcript length per gene and
        sample, in bases, with missing values replaced as tximport does.
    counts_from_abundance : {"no", "scaledTPM", "lengthScaledTPM"}
        How `counts` were made.
    """

    counts: pd.DataFrame
    abundance: pd.DataFrame
    length: pd.DataFrame
    counts_from_abundance: CountsFromAbundance = "no"

    def rounded_counts(self) -> pd.DataFrame:
        """Return the counts rounded to integers, as ``DESeqDataSetFromTximport`` does.

        Returns
        -------
        DataFrame of int64
            Same shape and labels as `counts`; halves round to even, as R's
            ``round`` does.
        """
        return pd.DataFrame(
            np.rint(self.counts.to_numpy()).astype(np.int64),
            index=self.counts.index.copy(),
            columns=self.counts.columns.copy(),
        )

    def normalization_matrix(self) -> pd.DataFrame | None:
        """Return the average-transcript-length matrix DESeq2 uses as an offset.

        ``DESeqDataSetFromTximport`` stores `length` as the ``avgTxLength``
        assay and ``estimateSizeFactors`` divides each gene's row by its
        geometric mean: ``length / exp(rowMeans(log(length)))``. The
        differential-expression code (`resistlab.rnaseq`) takes this matrix
        as its per-gene, per-sample normalisation-factor matrix: it divides
        the counts by it before estimating size factors, multiplies it by
        the size factors and centres each gene's row again.

        Returns
        -------
        DataFrame or None
            Genes x samples, each row with geometric mean 1; None when
            `counts_from_abundance` is not ``"no"`` -- those counts already
            carry the length correction and DESeq2 then uses the counts
            alone.

        Raises
        ------
        InputError
            If a gene has a length of 0 (DESeq2 stops on that too).
        """
        if self.counts_from_abundance != "no":
            return None
        length = self.length.to_numpy()
        bad = ~(length > 0)
        if bad.any():
            gene = self.length.index[np.argwhere(bad)[0][0]]
            msg = f"gene {gene!r} has effective length 0; DESeq2 needs positive lengths"
            raise InputError(msg)
        log = np.log(length)
        matrix = np.exp(log - log.mean(axis=1, keepdims=True))
        return pd.DataFrame(
            matrix, index=self.length.index.copy(), columns=self.length.columns.copy()
        )

    def to_frame(self) -> pd.DataFrame:
        """Return a tidy table: one row per gene and sample.

        Returns
        -------
        DataFrame
            Columns ``gene``, ``sample``, ``counts``, ``abundance``,
            ``length``.
        """
        tables = {"counts": self.counts, "abundance": self.abundance, "length": self.length}
        long = pd.concat({name: t.stack() for name, t in tables.items()}, axis=1)
        return long.reset_index()


# --------------------------------------------------------------------------- tx2gene


def _is_header(cells: list[str]) -> bool:
    normal = [re.sub(r"[\s\-.]+", "_", c.strip().lower()) for c in cells]
    return any(c in _TX_HEADERS or c in _GENE_HEADERS for c in normal)


def read_tx2gene(path: str | Path) -> pd.DataFrame:
    r"""Read a transcript -> gene table (tximport's ``tx2gene``).

    Parameters
    ----------
    path : str or Path
        CSV / TSV (optionally gzipped), transcript ids in the first column
        and gene ids in the second; other columns are ignored. A header row
        is optional; when present, columns named like ``transcript_id`` /
        ``TXNAME`` / ``Transcript stable ID`` and ``gene_id`` / ``GENEID``
        are used wherever they are (so a BioMart export works as is).

    Returns
    -------
    DataFrame
        Columns ``transcript`` and ``gene`` (str), one row per transcript,
        file order; ids as written (versions are dealt with by
        `read_salmon`).

    Raises
    ------
    FileFormatError
        A missing file, fewer than two columns, an empty id, or a
        transcript listed twice with different genes (a transcript listed
        twice with the same gene is kept once, as tximport does).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tx2gene.tsv"
    >>> _ = path.write_text("ENST00000269305.9\tENSG00000141510.17\n"
    ...                     "ENST00000445888.6\tENSG00000141510.17\n")
    >>> read_tx2gene(path)["gene"].tolist()
    ['ENSG00000141510.17', 'ENSG00000141510.17']
    """
    path = Path(path)
    _check_file(path)
    text = _decode(path.read_bytes())
    lines = text.splitlines()
    start = 0
    while start < len(lines) and (not lines[start].strip() or lines[start].startswith("#")):
        start += 1
    if start == len(lines):
        msg = f"{where(path.name)}the file is empty"
        raise FileFormatError(msg)
    delimiter = _delimiter(lines[start])
    first = _split(lines[start], delimiter)
    header = _is_header(first)
    if len(first) < 2:
        msg = (
            f"{where(path.name, row=start + 1)}a tx2gene table needs two columns, "
            "transcript and gene"
        )
        raise FileFormatError(msg)
    tx_col, gene_col = 0, 1
    if header:
        normal = [re.sub(r"[\s\-.]+", "_", c.strip().lower()) for c in first]
        tx_col = next((i for i, c in enumerate(normal) if c in _TX_HEADERS), 0)
        gene_col = next(
            (i for i, c in enumerate(normal) if c in _GENE_HEADERS and i != tx_col),
            1 if tx_col == 0 else 0,
        )
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            header=None,
            skiprows=start + (1 if header else 0),
            usecols=[tx_col, gene_col],
            dtype=str,
            na_filter=False,
            skip_blank_lines=False,
            comment=None,
        )
    except (pd.errors.ParserError, ValueError) as err:
        msg = f"{where(path.name)}cannot parse the tx2gene table: {err}"
        raise FileFormatError(msg) from err
    first_row = start + (2 if header else 1)
    frame.index = pd.RangeIndex(first_row, first_row + len(frame))
    frame = frame[[tx_col, gene_col]].apply(lambda column: column.str.strip())
    frame.columns = pd.Index(["transcript", "gene"])
    frame = frame[(frame != "").any(axis=1)]
    empty = (frame == "").any(axis=1)
    if empty.any():
        row = int(frame.index[empty.to_numpy()][0])
        msg = f"{where(path.name, row=row)}a transcript or gene id is empty"
        raise FileFormatError(msg)
    return _dedupe_tx2gene(frame, path.name)


def _dedupe_tx2gene(frame: pd.DataFrame, file: str) -> pd.DataFrame:
    """Drop repeated identical rows; raise on a transcript with two genes."""
    repeated = frame["transcript"].duplicated(keep=False)
    if repeated.any():
        pairs = frame[repeated].drop_duplicates()
        conflict = pairs["transcript"].duplicated(keep=False)
        if conflict.any():
            tx = pairs.loc[conflict.to_numpy(), "transcript"].iloc[0]
            rows = frame[(frame["transcript"] == tx).to_numpy()]
            genes = rows["gene"].unique()[:2].tolist()
            located = [
                f"{g!r} (row {rows.index[(rows['gene'] == g).to_numpy()][0]})" for g in genes
            ]
            msg = f"{where(file)}transcript {tx!r} maps to two genes: {' and '.join(located)}"
            raise FileFormatError(msg)
        frame = frame[~frame["transcript"].duplicated(keep="first")]
    return frame.reset_index(drop=True)


def _tx2gene_frame(tx2gene: str | Path | pd.DataFrame) -> tuple[pd.DataFrame, str]:
    if isinstance(tx2gene, pd.DataFrame):
        if tx2gene.shape[1] < 2:
            msg = "tx2gene needs two columns, transcript and gene"
            raise InputError(msg)
        if tx2gene.iloc[:, :2].isna().any().any():
            msg = "tx2gene has missing transcript or gene ids"
            raise InputError(msg)
        frame = tx2gene.iloc[:, :2].astype(str)
        frame.columns = pd.Index(["transcript", "gene"])
        return _dedupe_tx2gene(frame.apply(lambda c: c.str.strip()), "tx2gene"), "tx2gene"
    path = Path(tx2gene)
    return read_tx2gene(path), path.name


# --------------------------------------------------------------------------- quant.sf


@dataclass(frozen=True)
class _Quant:
    sample: str
    file: str
    table: pd.DataFrame  # index Name; Length, EffectiveLength, TPM, NumReads as float


def _quant_path(path: Path) -> Path:
    if path.is_dir():
        for name in ("quant.sf", "quant.sf.gz"):
            if (path / name).is_file():
                return path / name
        msg = f"{where(path.name)}no quant.sf in the folder {path}"
        raise FileFormatError(msg)
    _check_file(path)
    return path


def _sample_of(path: Path) -> str:
    """Sample name of an unnamed input: the folder name (of the folder or of its quant.sf)."""
    if path.is_dir():
        return path.resolve().name
    return path.resolve().parent.name


def _read_quant(sample: str, path: Path) -> _Quant:
    file = _quant_path(path)
    label = f"{file.parent.name}/{file.name}"
    try:
        table = pd.read_csv(io.StringIO(_decode(file.read_bytes())), sep="\t", dtype={"Name": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        msg = f"{where(label)}cannot parse quant.sf: {err}"
        raise FileFormatError(msg) from err
    missing = [c for c in QUANT_COLUMNS if c not in table.columns]
    if missing:
        msg = (
            f"{where(label)}not a Salmon quant.sf: missing the columns {missing} "
            f"(found {list(table.columns)})"
        )
        raise FileFormatError(msg)
    names = table["Name"].astype(str)
    duplicated = names.duplicated()
    if duplicated.any():
        tx = names[duplicated].iloc[0]
        rows = (np.flatnonzero((names == tx).to_numpy()) + 2)[:2].tolist()
        msg = f"{where(label)}transcript {tx!r} is listed twice (rows {rows[0]} and {rows[1]})"
        raise FileFormatError(msg)
    numbers = table[list(QUANT_COLUMNS[1:])].apply(pd.to_numeric, errors="coerce")
    bad = ~np.isfinite(numbers.to_numpy(dtype=np.float64)) | (numbers.to_numpy() < 0)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        column = QUANT_COLUMNS[1 + j]
        msg = (
            f"{where(label, row=int(i) + 2)}transcript {names.iloc[i]!r}: {column} "
            f"{table[column].iloc[i]!r} is not a non-negative number"
        )
        raise FileFormatError(msg)
    numbers.index = pd.Index(names.to_numpy(), name="transcript", dtype=str)
    return _Quant(sample, label, numbers.astype(np.float64))


def _inputs(quant_files: Mapping[str, str | Path] | Sequence[str | Path]) -> list[tuple[str, Path]]:
    if isinstance(quant_files, (str, Path)):
        msg = "quant_files must be a list of quant.sf files or folders, or a mapping sample -> path"
        raise TypeError(msg)
    if isinstance(quant_files, Mapping):
        pairs = [(str(name), Path(path)) for name, path in quant_files.items()]
    else:
        pairs = [(_sample_of(Path(p)), Path(p)) for p in quant_files]
        seen: dict[str, Path] = {}
        for name, path in pairs:
            if name in seen:
                msg = (
                    f"{seen[name]} and {path} both give the sample name {name!r}; pass a "
                    "mapping {sample: path} to name the samples"
                )
                raise InputError(msg)
            seen[name] = path
    if not pairs:
        msg = "no quant.sf files given"
        raise InputError(msg)
    return pairs


# --------------------------------------------------------------------------- matching


def _lookup(table: pd.Series, keys: pd.Index) -> np.ndarray:
    """``table[key]`` for every key (object array), NaN where `table` lacks the key."""
    return table.reindex(keys).to_numpy(dtype=object)


def _match(names: pd.Index, tx2gene: pd.DataFrame, t2g_file: str) -> tuple[np.ndarray, str]:
    """Gene of every transcript name (NaN where unmatched) and how ids were matched."""
    table = pd.Series(tx2gene["gene"].to_numpy(), index=tx2gene["transcript"].to_numpy())
    exact = _lookup(table, names)
    if not pd.isna(exact).any():
        return exact, "exact"
    candidates = [(exact, "exact")]
    bar = names.str.split("|").str[0] if names.str.contains("|", regex=False).any() else names
    if bar is not names:
        candidates.append((_lookup(table, bar), "after-bar"))
    unversioned = tx2gene.assign(
        transcript=tx2gene["transcript"].str.replace(_ANY_VERSION, r"\1\2", regex=True)
    ).drop_duplicates()
    clash = unversioned["transcript"].duplicated(keep=False)
    if clash.any():
        tx = unversioned.loc[clash.to_numpy(), "transcript"].iloc[0]
        genes = unversioned.loc[(unversioned["transcript"] == tx).to_numpy(), "gene"].tolist()
        msg = (
            f"{where(t2g_file)}without versions, transcript {tx!r} maps to both {genes[0]!r} "
            f"and {genes[1]!r}; version-less matching is ambiguous"
        )
        if not any(pd.isna(c[0]).sum() == 0 for c in candidates):
            raise FileFormatError(msg)
    else:
        stripped = bar.str.replace(_ANY_VERSION, r"\1\2", regex=True)
        table_nv = pd.Series(
            unversioned["gene"].to_numpy(), index=unversioned["transcript"].to_numpy()
        )
        candidates.append((_lookup(table_nv, stripped), "version-less"))
    return min(candidates, key=lambda c: int(pd.isna(c[0]).sum()))


def _summarize(
    quants: list[_Quant], genes: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Gene-level counts, abundance and length (tximport's summarizeToGene)."""
    samples = pd.Index([q.sample for q in quants], name="sample", dtype=str)
    counts_tx = np.column_stack([q.table["NumReads"].to_numpy() for q in quants])
    tpm_tx = np.column_stack([q.table["TPM"].to_numpy() for q in quants])
    length_tx = np.column_stack([q.table["EffectiveLength"].to_numpy() for q in quants])
    codes, gene_ids = pd.factorize(pd.Index(genes, dtype=str), sort=True)
    n_genes = len(gene_ids)

    def rowsum(values: np.ndarray) -> np.ndarray:
        return np.column_stack(
            [np.bincount(codes, weights=column, minlength=n_genes) for column in values.T]
        )

    counts = rowsum(counts_tx)
    abundance = rowsum(tpm_tx)
    weighted = rowsum(tpm_tx * length_tx)
    with np.errstate(invalid="ignore", divide="ignore"):
        length = weighted / abundance
    # replaceMissingLength: geometric mean over the other samples, or the plain average
    missing = abundance == 0
    if missing.any():
        per_tx = length_tx.mean(axis=1)
        average = np.bincount(codes, weights=per_tx, minlength=n_genes) / np.bincount(
            codes, minlength=n_genes
        )
        for g in np.flatnonzero(missing.any(axis=1)):
            row = missing[g]
            if row.all():
                length[g] = average[g]
            else:
                length[g, row] = np.exp(np.mean(np.log(length[g, ~row])))
    index = pd.Index(np.asarray(gene_ids), name="gene", dtype=str)

    def frame(values: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(values, index=index, columns=samples)

    return frame(counts), frame(abundance), frame(length)


def _counts_from_abundance(
    counts: pd.DataFrame, abundance: pd.DataFrame, length: pd.DataFrame, how: str
) -> pd.DataFrame:
    """Make counts from abundance at gene level (tximport's makeCountsFromAbundance)."""
    new = abundance.to_numpy()
    if how == "lengthScaledTPM":
        new = new * length.to_numpy().mean(axis=1, keepdims=True)
    total = counts.to_numpy().sum(axis=0)
    new_total = new.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = new * np.where(new_total > 0, total / new_total, 0.0)
    return pd.DataFrame(scaled, index=counts.index.copy(), columns=counts.columns.copy())


def read_salmon(
    quant_files: Mapping[str, str | Path] | Sequence[str | Path],
    tx2gene: str | Path | pd.DataFrame,
    *,
    counts_from_abundance: CountsFromAbundance = "no",
    missing_transcripts: Literal["raise", "drop"] = "raise",
) -> Tximport:
    r"""Read Salmon ``quant.sf`` files and summarise transcripts to genes (tximport-style).

    Parameters
    ----------
    quant_files : mapping of str to path, or sequence of paths
        Per sample, a Salmon output folder (holding ``quant.sf`` or
        ``quant.sf.gz``) or the ``quant.sf`` file itself. A mapping names
        the samples by its keys; a sequence names each by its folder
        (``salmon/R1/quant.sf`` -> ``R1``). Sample order is kept.
    tx2gene : str, Path or DataFrame
        Transcript -> gene table: a file for `read_tx2gene`, or a
        DataFrame whose first two columns are transcript and gene.
    counts_from_abundance : {"no", "scaledTPM", "lengthScaledTPM"}
        ``"no"`` (default) keeps the estimated counts; the others make
        counts from TPM as tximport does (see the module documentation).
    missing_transcripts : {"raise", "drop"}
        Transcripts of the quantification that tx2gene does not list raise
        an error (default); ``"drop"`` leaves them out, as tximport does
        with a message.

    Returns
    -------
    Tximport
        Gene-level ``counts``, ``abundance`` and ``length``.

    Raises
    ------
    FileFormatError
        A missing file or folder, a ``quant.sf`` without the columns
        ``Name, Length, EffectiveLength, TPM, NumReads``, a negative or
        non-numeric value (naming file, row and transcript), samples with
        different transcript sets, transcripts missing from tx2gene (how
        many, and the first few), or an unreadable tx2gene.
    InputError
        Two inputs with the same folder name, an unknown
        `counts_from_abundance`, or gene ids that become equal without
        their versions.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for sample, reads in [("P1", (30, 10, 60)), ("R1", (0, 0, 90))]:
    ...     (root / sample).mkdir()
    ...     _ = (root / sample / "quant.sf").write_text(
    ...         "Name\tLength\tEffectiveLength\tTPM\tNumReads\n"
    ...         f"ENST01.1\t1200\t1000\t{reads[0] / 1000 * 1e4}\t{reads[0]}\n"
    ...         f"ENST02.3\t700\t500\t{reads[1] / 500 * 1e4}\t{reads[1]}\n"
    ...         f"ENST03.1\t2200\t2000\t{reads[2] / 2000 * 1e4}\t{reads[2]}\n"
    ...     )
    >>> tx2gene = pd.DataFrame({"tx": ["ENST01", "ENST02", "ENST03"],
    ...                         "gene": ["ENSG0A", "ENSG0A", "ENSG0B"]})
    >>> txi = read_salmon([root / "P1", root / "R1"], tx2gene)
    >>> txi.counts.loc["ENSG0A"].tolist()
    [40.0, 0.0]
    >>> txi.length.loc["ENSG0A"].round(6).tolist()  # (300*1000 + 200*500) / 500, twice
    [800.0, 800.0]
    """
    if counts_from_abundance not in ("no", "scaledTPM", "lengthScaledTPM"):
        msg = (
            "counts_from_abundance must be 'no', 'scaledTPM' or 'lengthScaledTPM', "
            f"got {counts_from_abundance!r}"
        )
        raise InputError(msg)
    if missing_transcripts not in ("raise", "drop"):
        msg = f"missing_transcripts must be 'raise' or 'drop', got {missing_transcripts!r}"
        raise InputError(msg)
    quants = [_read_quant(sample, path) for sample, path in _inputs(quant_files)]
    reference = quants[0]
    names = reference.table.index
    aligned = [reference]
    for q in quants[1:]:
        only_here = q.table.index.difference(names, sort=False)
        only_there = names.difference(q.table.index, sort=False)
        if len(only_here) or len(only_there):
            parts = []
            if len(only_here):
                parts.append(
                    f"{len(only_here)} transcripts that {reference.sample!r} lacks "
                    f"(first {only_here[0]!r})"
                )
            if len(only_there):
                parts.append(
                    f"lacks {len(only_there)} transcripts of {reference.sample!r} "
                    f"(first {only_there[0]!r})"
                )
            msg = (
                f"{where(q.file)}sample {q.sample!r} has different transcripts from sample "
                f"{reference.sample!r} ({reference.file}): {'; '.join(parts)}; quantify all "
                "samples against the same index"
            )
            raise FileFormatError(msg)
        aligned.append(_Quant(q.sample, q.file, q.table.loc[names]))
    quants = aligned

    t2g, t2g_file = _tx2gene_frame(tx2gene)
    genes, _how = _match(names, t2g, t2g_file)
    unmatched = pd.isna(genes)
    if unmatched.all():
        msg = (
            f"{where(t2g_file)}none of the {len(names)} transcripts of {reference.file} is in "
            f"tx2gene; check both come from the same annotation (quant.sf: "
            f"{_first(names)}; tx2gene: {_first(pd.Index(t2g['transcript']))})"
        )
        raise FileFormatError(msg)
    if unmatched.any():
        if missing_transcripts == "raise":
            msg = (
                f"{where(t2g_file)}{int(unmatched.sum())} of the {len(names)} transcripts of "
                f"{reference.file} are not in tx2gene: {_first(names[unmatched])}; use a "
                "tx2gene of the annotation Salmon's index was built from, or pass "
                "missing_transcripts='drop'"
            )
            raise FileFormatError(msg)
        keep = ~unmatched
        quants = [_Quant(q.sample, q.file, q.table[keep]) for q in quants]
        genes = genes[keep]
    gene_ids = np.asarray(genes, dtype=object).astype(str)
    stripped = strip_version(pd.Index(gene_ids))
    _check_gene_versions(pd.Index(gene_ids), stripped, t2g_file)
    counts, abundance, length = _summarize(quants, stripped.to_numpy())
    if counts_from_abundance != "no":
        counts = _counts_from_abundance(counts, abundance, length, counts_from_abundance)
    return Tximport(counts, abundance, length, counts_from_abundance)


def _first(ids: pd.Index, limit: int = 3) -> str:
    shown = ", ".join(repr(str(i)) for i in ids[:limit])
    return shown + (", ..." if len(ids) > limit else "")


def _check_gene_versions(original: pd.Index, stripped: pd.Index, file: str) -> None:
    pairs = pd.DataFrame({"original": original, "stripped": stripped}).drop_duplicates()
    clash = pairs["stripped"].duplicated(keep=False)
    if clash.any():
        gene = pairs.loc[clash.to_numpy(), "stripped"].iloc[0]
        both = pairs.loc[(pairs["stripped"] == gene).to_numpy(), "original"].tolist()
        msg = (
            f"{where(file)}gene ids {both[0]!r} and {both[1]!r} are both {gene!r} without "
            "their version; use one version of the annotation"
        )
        raise InputError(msg)
