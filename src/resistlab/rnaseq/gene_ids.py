"""Ensembl gene ids: version suffixes, and offline Ensembl -> HGNC symbol mapping.

Count matrices from GENCODE / Ensembl annotations name genes
``ENSG00000141510.16``; gene sets and the mechanism knowledge base name them
``TP53``. `strip_version` removes the version (keeping GENCODE's
``_PAR_Y`` marker, so the X and Y copies of a pseudo-autosomal gene stay
distinct); `to_symbols` maps ids to symbols from a table shipped with the
package (no network).

The mapping is **human only**: ``ENSG`` ids from Bioconductor's
``org.Hs.eg.db`` 3.16.0 (NCBI Gene, 2022-09; see ``data/SOURCES.md``),
39,708 Ensembl genes. Ids of other species (``ENSMUSG...``) and ids the
table does not know stay unmapped. Several Ensembl ids can share one symbol
(readthrough loci, haplotype copies), so symbols are not unique.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from importlib import resources
from typing import overload

import numpy as np
import pandas as pd

__all__ = ["is_ensembl", "strip_version", "symbol_table", "to_symbols"]

#: An Ensembl stable id with optional version and GENCODE PAR_Y marker:
#: species prefix (``ENS``, ``ENSMUS``, ...), feature letter (G gene, T
#: transcript, P protein, E exon, R regulatory), 11 digits.
_ENSEMBL = re.compile(r"^ENS[A-Z]*[GTPER]\d{11}(?:\.\d+)?(?:_PAR_Y)?$")
_VERSION = r"^(ENS[A-Z]*[GTPER]\d{11})\.\d+((?:_PAR_Y)?)$"
_DATA_FILE = "ensembl2symbol.csv.gz"


@overload
def strip_version(ids: str) -> str: ...  # type: ignore[overload-overlap]
@overload
def strip_version(ids: pd.Series) -> pd.Series: ...
@overload
def strip_version(ids: Iterable[str]) -> pd.Index: ...
def strip_version(ids: str | Iterable[str]) -> str | pd.Series | pd.Index:
    """Remove the version suffix from Ensembl ids.

    ``ENSG00000141510.16`` becomes ``ENSG00000141510``; GENCODE's
    ``ENSG00000182378.14_PAR_Y`` becomes ``ENSG00000182378_PAR_Y``. Ids that
    are not Ensembl ids (``TP53``, ``FBgn0000008``, ``RP11-34P13.7``) are
    returned unchanged, so a dot inside a symbol is never cut.

    Parameters
    ----------
    ids : str or iterable of str
        One id, or many.

    Returns
    -------
    str, Series or Index
        A str for a str, a Series (same index and name) for a Series, else
        an Index (keeping the name of an Index).

    Examples
    --------
    >>> strip_version("ENSG00000141510.16")
    'ENSG00000141510'
    >>> list(strip_version(["ENSG00000182378.14_PAR_Y", "TP53", "RP11-34P13.7"]))
    ['ENSG00000182378_PAR_Y', 'TP53', 'RP11-34P13.7']
    """
    if isinstance(ids, str):
        return re.sub(_VERSION, r"\1\2", ids)
    if isinstance(ids, pd.Series):
        return ids.astype(str).str.replace(_VERSION, r"\1\2", regex=True)
    name = ids.name if isinstance(ids, pd.Index) else None
    values = pd.Series(list(ids), dtype=str)
    return pd.Index(values.str.replace(_VERSION, r"\1\2", regex=True), name=name)


@overload
def is_ensembl(ids: str) -> bool: ...  # type: ignore[overload-overlap]
@overload
def is_ensembl(ids: Iterable[str]) -> np.ndarray: ...
def is_ensembl(ids: str | Iterable[str]) -> bool | np.ndarray:
    """Tell which ids are Ensembl stable ids (any species, with or without version).

    Parameters
    ----------
    ids : str or iterable of str
        One id, or many.

    Returns
    -------
    bool or ndarray of bool of shape (N,)
        One answer per id.

    Examples
    --------
    >>> is_ensembl("ENSG00000141510.16")
    True
    >>> is_ensembl(["ENSMUSG00000059552", "TP53", "ENSG00000182378.14_PAR_Y"]).tolist()
    [True, False, True]
    """
    if isinstance(ids, str):
        return _ENSEMBL.match(ids) is not None
    return np.array([_ENSEMBL.match(str(i)) is not None for i in ids], dtype=bool)


@functools.cache
def _load_table() -> pd.Series:
    source = resources.files("resistlab.rnaseq").joinpath("data", _DATA_FILE)
    with resources.as_file(source) as path:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    table = pd.Series(
        frame["symbol"].to_numpy(),
        index=pd.Index(frame["ensembl_id"].to_numpy(), name="ensembl_id"),
        name="symbol",
    )
    return table


def symbol_table() -> pd.Series:
    """Return the packaged human Ensembl gene id -> HGNC symbol table.

    Returns
    -------
    Series
        Symbols indexed by version-less ``ENSG`` id (index named
        ``"ensembl_id"``, series named ``"symbol"``); each id once. Loaded
        once per process; every call returns a fresh copy.

    Examples
    --------
    >>> table = symbol_table()
    >>> table["ENSG00000141510"], len(table)
    ('TP53', 39708)
    """
    return _load_table().copy()


def to_symbols(ids: Iterable[str], *, keep_unmapped: bool = True) -> pd.Series:
    """Map Ensembl gene ids to HGNC symbols, offline (human genes only).

    Versions are ignored (``ENSG00000141510.16`` maps like
    ``ENSG00000141510``) and a GENCODE ``_PAR_Y`` copy maps to the symbol of
    its X-chromosome gene.

    Parameters
    ----------
    ids : iterable of str
        Gene ids, for example the index of a count matrix.
    keep_unmapped : bool
        Ids the table does not know (other species, retired or novel genes,
        symbols already) keep the id itself when True (default); they are
        missing (NaN) when False.

    Returns
    -------
    Series
        One symbol per input id, in input order, indexed by the ids as given
        (duplicates kept); named ``"symbol"``.

    Examples
    --------
    >>> to_symbols(["ENSG00000141510.16", "ENSG00000146648", "novel_1"]).tolist()
    ['TP53', 'EGFR', 'novel_1']
    >>> to_symbols(["novel_1"], keep_unmapped=False).isna().tolist()
    [True]
    """
    given = pd.Index(list(ids), dtype=str)
    keys = strip_version(given).str.removesuffix("_PAR_Y")
    symbols = _load_table().reindex(keys).to_numpy(dtype=object)
    if keep_unmapped:
        unmapped = pd.isna(symbols)
        symbols[unmapped] = np.asarray(given, dtype=object)[unmapped]
    return pd.Series(symbols, index=given, name="symbol", dtype=str)
