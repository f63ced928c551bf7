"""RNA-seq count matrices and sample sheets, checked and ready for `resistlab.rnaseq`.

`read_counts` returns a genes x samples table of ``int64`` read counts (index
``"gene"``, columns ``"sample"`` in file order) from

* **featureCounts** output -- the ``# Program:featureCounts ...`` line, then
  ``Geneid  Chr  Start  End  Strand  Length`` and one column per BAM file.
  Sample names are the BAM file names without folders, extension and the
  usual aligner suffixes: ``/data/bam/S1.sorted.bam`` -> ``S1``,
  ``S2_Aligned.sortedByCoord.out.bam`` -> ``S2``.
* **a plain table** (CSV, TSV, semicolon- or space-separated, optionally
  gzipped, or XLSX): gene ids in the first column (or `gene_column`), one
  column of counts per sample; ``#`` lines at the top are skipped.

Gene ids lose their Ensembl version (``ENSG00000141510.16`` ->
``ENSG00000141510``; GENCODE ``_PAR_Y`` copies stay distinct, see
`resistlab.rnaseq.gene_ids.strip_version`). The summary rows htseq-count
(``__no_feature``, ``__ambiguous``, ...) and STAR ``ReadsPerGene``
(``N_unmapped``, ``N_multimapping``, ``N_noFeature``, ``N_ambiguous``) add
to a table are dropped.

`read_sample_sheet` reads the design: one row per sample with a ``sample``
column (``sample_id``, ``sample_name``, or R's unnamed row-name column also
work) and any covariates. Given the count matrix's columns it checks that
both name the same samples and puts the rows in count-matrix order.

Every problem raises `~resistlab.errors.FileFormatError` naming the file,
row, gene and sample.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from resistlab.errors import FileFormatError, where
from resistlab.rnaseq.gene_ids import strip_version

__all__ = ["SPECIAL_COUNT_ROWS", "read_counts", "read_sample_sheet"]

#: Summary rows that htseq-count and STAR append to per-gene counts; dropped on read.
SPECIAL_COUNT_ROWS = frozenset(
    {
        "__no_feature",
        "__ambiguous",
        "__too_low_aQual",
        "__not_aligned",
        "__alignment_not_unique",
        "N_unmapped",
        "N_multimapping",
        "N_noFeature",
        "N_ambiguous",
    }
)

_FEATURECOUNTS_COLUMNS = ["Geneid", "Chr", "Start", "End", "Strand", "Length"]
_MISSING_TEXT = frozenset({"", "na", "nan", "n/a", "#n/a", "null", "none"})
_EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
# aligner / post-processing suffixes left on BAM names, removed repeatedly from the end
_BAM_SUFFIX = re.compile(
    r"(?:[._]?Aligned\.sortedByCoord\.out|[._]?Aligned\.toTranscriptome\.out|[._]?Aligned\.out"
    r"|[._](?:sorted|sort|srt|dedup|deduped|markdup|markdups|rmdup|filtered|primary|unique))$",
    re.IGNORECASE,
)
_SAMPLE_HEADERS = ("sample", "sample_id", "sampleid", "sample_name", "samplename", "samples")
# covariates that are labels even when written as numbers (batch 1, 2, 3)
_FACTOR_HEADERS = frozenset(
    {
        "condition",
        "group",
        "treatment",
        "batch",
        "replicate",
        "rep",
        "type",
        "genotype",
        "cell_line",
        "cellline",
        "line",
        "donor",
        "subject",
        "patient",
        "individual",
        "lane",
        "run",
        "library",
        "flowcell",
        "sex",
        "status",
        "phenotype",
    }
)


# --------------------------------------------------------------------------- text tables


@dataclass(frozen=True)
class _Table:
    """A delimited file as text: its header and a body of str cells."""

    file: str
    header: list[str]
    body: pd.DataFrame  # str cells, columns 0..n-1, index = 1-based file row
    featurecounts: bool


def _decode(raw: bytes) -> str:
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _check_file(path: Path) -> None:
    if not path.is_file():
        msg = f"{where(path.name)}no such file: {path}"
        raise FileFormatError(msg)


def _delimiter(line: str) -> str:
    if "\t" in line:
        return "\t"
    commas, semicolons = line.count(","), line.count(";")
    if commas or semicolons:
        return ";" if semicolons > commas else ","
    return r"\s+"


def _split(line: str, delimiter: str) -> list[str]:
    if delimiter == r"\s+":
        return line.split()
    return [cell.strip() for cell in next(csv.reader([line], delimiter=delimiter), [])]


def _read_text_table(path: Path) -> _Table:
    """Read a delimited text file (optionally gzipped) into header + str body."""
    text = _decode(path.read_bytes())
    lines = text.splitlines()
    start = 0
    while start < len(lines) and (not lines[start].strip() or lines[start].startswith("#")):
        start += 1
    if start == len(lines):
        msg = f"{where(path.name)}the file is empty"
        raise FileFormatError(msg)
    featurecounts = bool(lines) and lines[0].startswith("# Program:featureCounts")
    delimiter = _delimiter(lines[start])
    header = _split(lines[start], delimiter)
    following = next((line for line in lines[start + 1 :] if line.strip()), "")
    if header[:1] == ["Status"] and _split(following, delimiter)[:1] == ["Assigned"]:
        msg = (
            f"{where(path.name)}this is featureCounts' .summary file (reads assigned per BAM "
            "file), not a count matrix; read the counts file featureCounts wrote beside it "
            "(the -o name, without .summary)"
        )
        raise FileFormatError(msg)
    try:
        body = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            header=None,
            skiprows=start + 1,
            names=range(len(header)),
            dtype=str,
            na_filter=False,
            skip_blank_lines=False,
            comment=None,
        )
    except pd.errors.ParserError as err:
        found = re.search(r"line (\d+), saw (\d+)", str(err))
        if found is None:
            msg = f"{where(path.name)}cannot parse the table: {err}"
        else:
            msg = (
                f"{where(path.name, row=int(found.group(1)))}{found.group(2)} fields, but the "
                f"header (row {start + 1}) has {len(header)}"
            )
        raise FileFormatError(msg) from err
    body.index = pd.RangeIndex(start + 2, start + 2 + len(body))
    return _Table(path.name, header, body, featurecounts)


def _read_excel_table(path: Path) -> _Table:
    from resistlab.io._cells import cell_text, is_blank_row, read_sheets

    rows = read_sheets(path, sheet=0)[0].rows
    start = 0
    while start < len(rows) and (
        is_blank_row(rows[start]) or cell_text(rows[start][0]).startswith("#")
    ):
        start += 1
    if start == len(rows):
        msg = f"{where(path.name)}the workbook's first sheet has no header row"
        raise FileFormatError(msg)
    header = [cell_text(c) for c in rows[start]]
    width = max(len(header), *(len(r) for r in rows[start:]))
    header += [""] * (width - len(header))
    cells = [[cell_text(c) for c in r] + [""] * (width - len(r)) for r in rows[start + 1 :]]
    body = pd.DataFrame(cells, columns=range(width), dtype=str)
    body.index = pd.RangeIndex(start + 2, start + 2 + len(body))
    return _Table(path.name, header, body, featurecounts=False)


def _read_table(path: Path) -> _Table:
    _check_file(path)
    if path.suffix.lower() in _EXCEL_SUFFIXES:
        return _read_excel_table(path)
    if path.suffix.lower() == ".xls":
        msg = f"{where(path.name)}old binary .xls workbooks are not read; save it as .xlsx or CSV"
        raise FileFormatError(msg)
    return _read_text_table(path)


# --------------------------------------------------------------------------- counts


def _sample_from_bam(text: str) -> str:
    """``/data/S1.sorted.bam`` -> ``S1``: file name without folders, extension, suffixes."""
    name = re.split(r"[\\/]", text.strip())[-1]
    name = re.sub(r"\.(?:bam|sam|cram)$", "", name, flags=re.IGNORECASE)
    while True:
        shorter = _BAM_SUFFIX.sub("", name)
        if shorter == name or not shorter:
            return name
        name = shorter


def _sample_names(table: _Table, columns: list[int]) -> list[str]:
    """Sample names of the count columns; featureCounts BAM paths cleaned, unique."""
    if table.featurecounts:
        raw = [table.header[c] for c in columns]
        names = [_sample_from_bam(text) for text in raw]
        seen: dict[str, str] = {}
        for text, name in zip(raw, names, strict=True):
            if name in seen and seen[name] != text:
                msg = (
                    f"{where(table.file)}the BAM files {seen[name]!r} and {text!r} both give "
                    f"the sample name {name!r}; rename the BAM files or the columns"
                )
                raise FileFormatError(msg)
            seen[name] = text
    else:
        names = [table.header[c] for c in columns]
    first: dict[str, int] = {}
    for col, name in zip(columns, names, strict=True):
        if not name:
            msg = f"{where(table.file, row=_header_row(table))}column {col + 1} has no sample name"
            raise FileFormatError(msg)
        if name in first:
            msg = (
                f"{where(table.file, row=_header_row(table))}sample {name!r} is duplicated "
                f"(columns {first[name] + 1} and {col + 1})"
            )
            raise FileFormatError(msg)
        first[name] = col
    return names


def _header_row(table: _Table) -> int:
    return int(table.body.index[0]) - 1 if len(table.body) else 1


def _gene_ids(table: _Table, gene_col: int) -> pd.Series:
    """Gene ids per body row (index = file row), versions stripped, checked unique."""
    ids = table.body[gene_col].str.strip()
    empty = ids == ""
    if empty.any():
        row = int(ids.index[empty.to_numpy()][0])
        msg = f"{where(table.file, row=row)}no gene id in column {gene_col + 1}"
        raise FileFormatError(msg)
    duplicated = ids.duplicated(keep=False)
    if duplicated.any():
        gene = ids[duplicated].iloc[0]
        rows = ids.index[(ids == gene).to_numpy()][:2].tolist()
        msg = f"{where(table.file)}gene {gene!r} is duplicated (rows {rows[0]} and {rows[1]})"
        raise FileFormatError(msg)
    stripped = strip_version(ids)
    clash = stripped.duplicated(keep=False)
    if clash.any():
        gene = stripped[clash].iloc[0]
        originals = ids[(stripped == gene).to_numpy()]
        msg = (
            f"{where(table.file)}gene ids {originals.iloc[0]!r} (row {originals.index[0]}) and "
            f"{originals.iloc[1]!r} (row {originals.index[1]}) are both {gene!r} without their "
            "version; merge or remove one of them"
        )
        raise FileFormatError(msg)
    return stripped


def _first_bad(
    mask: np.ndarray, table: _Table, genes: pd.Series, names: list[str]
) -> tuple[str, int]:
    """``'row 5, gene 'X', sample 'S2''``-style location of the first True cell, and the count."""
    cells = np.argwhere(mask)
    i, j = (int(v) for v in cells[0])
    row = int(genes.index[i])
    return f"{where(table.file, row=row)}gene {genes.iloc[i]!r}, sample {names[j]!r}: ", len(cells)


def _more(count: int, what: str) -> str:
    return f" ({count - 1} more {what})" if count > 1 else ""


def _count_values(
    table: _Table, columns: list[int], genes: pd.Series, names: list[str]
) -> np.ndarray:
    text = table.body.loc[genes.index, columns]
    raw = text.to_numpy(dtype=object)
    try:
        values = raw.astype(np.float64)  # fast path: every cell a number
    except ValueError:
        values = text.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
    missing = np.zeros(values.shape, dtype=bool)
    unparsed = np.isnan(values)
    missing[unparsed] = [str(cell).strip().lower() in _MISSING_TEXT for cell in raw[unparsed]]
    if missing.any():
        place, count = _first_bad(missing, table, genes, names)
        msg = f"{place}missing count{_more(count, 'missing values')}"
        raise FileFormatError(msg)
    not_number = ~np.isfinite(values)
    if not_number.any():
        place, count = _first_bad(not_number, table, genes, names)
        cell = raw[tuple(np.argwhere(not_number)[0])]
        msg = f"{place}{cell!r} is not a count{_more(count, 'cells are not numbers')}"
        raise FileFormatError(msg)
    negative = values < 0
    if negative.any():
        place, count = _first_bad(negative, table, genes, names)
        cell = raw[tuple(np.argwhere(negative)[0])]
        msg = f"{place}negative count {cell}{_more(count, 'negative counts')}"
        raise FileFormatError(msg)
    fractional = values != np.floor(values)
    if fractional.any():
        place, count = _first_bad(fractional, table, genes, names)
        cell = raw[tuple(np.argwhere(fractional)[0])]
        msg = (
            f"{place}count {cell} is not an integer{_more(count, 'cells are not integers')}; "
            "DESeq2 needs integer read counts -- estimated counts from Salmon or kallisto "
            "go through resistlab.io.read_salmon (tximport-style), which keeps their lengths"
        )
        raise FileFormatError(msg)
    return values.astype(np.int64)


def read_counts(path: str | Path, *, gene_column: str | None = None) -> pd.DataFrame:
    r"""Read a gene x sample matrix of read counts (featureCounts output or a plain table).

    Parameters
    ----------
    path : str or Path
        featureCounts output, or a CSV / TSV / semicolon- or
        whitespace-separated table (gzipped or not), or an XLSX workbook
        (first sheet). See the module documentation for the layouts.
    gene_column : str, optional
        Header of the gene id column of a plain table (default: the first
        column); every other column is a sample.

    Returns
    -------
    DataFrame of int64, shape (genes, samples)
        Index ``"gene"`` (ids without Ensembl versions, file order), columns
        ``"sample"`` (file order).

    Raises
    ------
    FileFormatError
        A missing or empty file, a featureCounts ``.summary`` file, no sample
        columns, an unknown `gene_column`, duplicated gene ids (also when
        they become equal without versions) or sample names, and missing,
        non-numeric, negative or fractional counts -- each named by file,
        row, gene and sample.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "counts.tsv"
    >>> _ = path.write_text(
    ...     "gene_id\tparental_1\tresistant_1\n"
    ...     "ENSG00000141510.16\t120\t95\n"
    ...     "ENSG00000146648.18\t40\t310.0\n"
    ...     "__no_feature\t7\t9\n"
    ... )
    >>> counts = read_counts(path)
    >>> counts.index.tolist(), counts.columns.tolist()
    (['ENSG00000141510', 'ENSG00000146648'], ['parental_1', 'resistant_1'])
    >>> counts["resistant_1"].tolist(), counts.dtypes.unique().tolist()
    ([95, 310], [dtype('int64')])
    """
    path = Path(path)
    table = _read_table(path)
    header = table.header
    if table.featurecounts or header[:6] == _FEATURECOUNTS_COLUMNS:
        if header[:6] != _FEATURECOUNTS_COLUMNS:
            msg = (
                f"{where(table.file, row=_header_row(table))}featureCounts output should start "
                f"with the columns {_FEATURECOUNTS_COLUMNS}, found {header[:6]}"
            )
            raise FileFormatError(msg)
        table = _Table(table.file, header, table.body, featurecounts=True)
        gene_col = 0
        columns = list(range(6, len(header)))
    else:
        if gene_column is None:
            gene_col = 0
        elif gene_column in header:
            gene_col = header.index(gene_column)
        else:
            msg = f"{where(table.file)}no gene column {gene_column!r}; the columns are {header}"
            raise FileFormatError(msg)
        columns = [
            c
            for c in range(len(header))
            if c != gene_col and not (header[c] == "" and (table.body[c].str.strip() == "").all())
        ]
    if not columns:
        msg = (
            f"{where(table.file)}no sample columns: a count matrix has gene ids in one "
            "column and one column of counts per sample"
        )
        raise FileFormatError(msg)
    names = _sample_names(table, columns)
    body = table.body
    blank = (body == "").all(axis=1)
    special = body[gene_col].str.strip().isin(SPECIAL_COUNT_ROWS)
    table = _Table(table.file, header, body[~(blank | special).to_numpy()], table.featurecounts)
    if table.body.empty:
        msg = f"{where(table.file)}no gene rows below the header"
        raise FileFormatError(msg)
    genes = _gene_ids(table, gene_col)
    values = _count_values(table, columns, genes, names)
    return pd.DataFrame(
        values,
        index=pd.Index(genes.to_numpy(), name="gene", dtype=str),
        columns=pd.Index(names, name="sample", dtype=str),
    )


# --------------------------------------------------------------------------- sample sheets


def _normal(header: str) -> str:
    return re.sub(r"[\s\-.]+", "_", header.strip().lower())


def _sheet_header(path: Path) -> tuple[list[str], int, str | None]:
    """Header cells, 0-based header line and delimiter (None for a workbook)."""
    if path.suffix.lower() in _EXCEL_SUFFIXES:
        first = pd.read_excel(path, sheet_name=0, header=None, nrows=1, dtype=object)
        cells = ["" if pd.isna(v) else str(v).strip() for v in first.iloc[0]] if len(first) else []
        return cells, 0, None
    lines = _decode(path.read_bytes()).splitlines()
    start = 0
    while start < len(lines) and (not lines[start].strip() or lines[start].startswith("#")):
        start += 1
    if start == len(lines):
        msg = f"{where(path.name)}the file is empty"
        raise FileFormatError(msg)
    delimiter = _delimiter(lines[start])
    return _split(lines[start], delimiter), start, delimiter


def _sample_column(names: list[str], file: str) -> str:
    normal = [_normal(n) for n in names]
    for wanted in _SAMPLE_HEADERS:
        if wanted in normal:
            return names[normal.index(wanted)]
    if names and names[0].startswith("Unnamed: "):
        return names[0]  # R's write.csv row names: the first header is empty
    msg = f"{where(file)}no sample column; name one column 'sample' (found columns {names})"
    raise FileFormatError(msg)


def _missing_names(names: Iterable[str], limit: int = 5) -> str:
    listed = list(names)
    shown = ", ".join(repr(n) for n in listed[:limit])
    return shown + (f" and {len(listed) - limit} more" if len(listed) > limit else "")


def read_sample_sheet(
    path: str | Path,
    *,
    samples: Sequence[str] | pd.Index | None = None,
    required: Sequence[str] = (),
    drop_extra: bool = False,
) -> pd.DataFrame:
    r"""Read a sample sheet: one row per sample, its condition and covariates.

    Parameters
    ----------
    path : str or Path
        CSV / TSV (optionally gzipped) or XLSX (first sheet) with a header
        row. The sample column is found by its header, case-insensitively:
        ``sample``, ``sample_id``, ``sample_name``; or, in a table R wrote
        with row names, the first column with an empty header.
    samples : sequence of str, optional
        The samples of the count matrix (its columns). Then every sample
        must have a row, and the rows come back in this order.
    required : sequence of str
        Columns that must exist and have a value for every sample (for
        example ``["condition"]``).
    drop_extra : bool
        With `samples`, drop sheet rows of samples the counts do not have
        instead of raising (default False: a silently dropped sample is lost
        data).

    Returns
    -------
    DataFrame
        Index ``"sample"`` (str), the other columns as read. Label columns
        -- text columns and ``condition``, ``group``, ``treatment``,
        ``batch``, ``replicate``, ``type``, ``genotype``, ``cell_line``,
        ``donor``, ``lane``, ... even when written as numbers -- are str,
        stripped of surrounding spaces; other numeric columns stay numeric
        (continuous covariates).

    Raises
    ------
    FileFormatError
        No sample column, an empty or duplicated sample, a duplicated
        header, a missing `required` column or an empty cell in one (naming
        sample and column), samples of the counts missing from the sheet or
        (unless `drop_extra`) sheet rows for samples the counts lack.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "samples.csv"
    >>> _ = path.write_text(
    ...     "Sample,condition,batch,passage\n"
    ...     "R1,resistant,1,12\nP1,parental,1,10\nR2,resistant,2,14\n"
    ... )
    >>> sheet = read_sample_sheet(path, samples=["P1", "R1", "R2"], required=["condition"])
    >>> sheet.index.tolist(), sheet["condition"].tolist()
    (['P1', 'R1', 'R2'], ['parental', 'resistant', 'resistant'])
    >>> sheet["batch"].tolist(), sheet["passage"].tolist()
    (['1', '1', '2'], [10, 12, 14])
    """
    path = Path(path)
    _check_file(path)
    file = path.name
    cells, start, delimiter = _sheet_header(path)
    names = [cell or f"Unnamed: {i}" for i, cell in enumerate(cells)]
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if _normal(name) in seen:
            msg = (
                f"{where(file, row=start + 1)}column {name!r} appears twice (columns "
                f"{seen[_normal(name)] + 1} and {i + 1})"
            )
            raise FileFormatError(msg)
        seen[_normal(name)] = i
    sample_col = _sample_column(names, file)
    labels = {n for n in names if n == sample_col or _normal(n) in _FACTOR_HEADERS}
    # read every cell as text, drop blank rows, then let numeric covariates be numbers
    # (a blank row read with inference would turn an integer column into floats)
    if delimiter is None:
        frame = pd.read_excel(path, sheet_name=0, header=None, skiprows=1, names=names, dtype=str)
    else:
        frame = pd.read_csv(
            io.StringIO(_decode(path.read_bytes())),
            sep=delimiter,
            header=None,
            skiprows=start + 1,
            names=names,
            dtype=str,
            skip_blank_lines=False,
            comment=None,
        )
    frame.index = pd.RangeIndex(start + 2, start + 2 + len(frame))
    for name in frame.columns:
        text = frame[name].astype("str").str.strip()
        frame[name] = text.where(frame[name].notna() & (text != ""))
    frame = frame.dropna(how="all")
    for name in frame.columns:
        if name not in labels:
            with contextlib.suppress(ValueError, TypeError):  # else a text column
                frame[name] = pd.to_numeric(frame[name])
    unnamed = [n for n in frame.columns if n.startswith("Unnamed: ") and n != sample_col]
    frame = frame.drop(columns=[n for n in unnamed if frame[n].isna().all()])

    ids = frame[sample_col]
    if ids.isna().any():
        row = int(ids.index[ids.isna().to_numpy()][0])
        msg = f"{where(file, row=row)}no sample name in column {sample_col!r}"
        raise FileFormatError(msg)
    duplicated = ids.duplicated(keep=False)
    if duplicated.any():
        name = ids[duplicated].iloc[0]
        rows = ids.index[(ids == name).to_numpy()][:2].tolist()
        msg = f"{where(file)}sample {name!r} is duplicated (rows {rows[0]} and {rows[1]})"
        raise FileFormatError(msg)

    lower = {_normal(n): n for n in frame.columns}
    for wanted in required:
        column_name = wanted if wanted in frame.columns else lower.get(_normal(wanted))
        if column_name is None:
            msg = (
                f"{where(file)}no column {wanted!r}, which is required; the columns are "
                f"{[n for n in frame.columns if n != sample_col]}"
            )
            raise FileFormatError(msg)
        empty = frame[column_name].isna()
        if empty.any():
            row = int(frame.index[empty.to_numpy()][0])
            others = int(empty.sum()) - 1
            msg = (
                f"{where(file, row=row)}sample {ids[row]!r} has no {column_name!r}, which is "
                "required" + (f" ({others} more samples lack it)" if others else "")
            )
            raise FileFormatError(msg)

    sheet = frame.drop(columns=[sample_col])
    sheet.index = pd.Index(ids.to_numpy(), name="sample", dtype=str)
    if samples is None:
        return sheet
    wanted_order = pd.Index([str(s) for s in samples], dtype=str)
    absent = wanted_order.difference(sheet.index, sort=False)
    extra = sheet.index.difference(wanted_order, sort=False)
    case_hint = ""
    if len(absent) and {s.lower() for s in absent} & {s.lower() for s in extra}:
        case_hint = "; some names differ only in upper/lower case"
    if len(absent):
        msg = (
            f"{where(file)}samples of the counts with no row in the sample sheet: "
            f"{_missing_names(absent)}{case_hint}"
        )
        raise FileFormatError(msg)
    if len(extra) and not drop_extra:
        msg = (
            f"{where(file)}sample sheet rows for samples the counts do not have: "
            f"{_missing_names(extra)} (pass drop_extra=True to ignore them)"
        )
        raise FileFormatError(msg)
    return sheet.loc[wanted_order]
