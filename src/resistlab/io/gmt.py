"""Gene sets in the GMT format (Gene Matrix Transposed), as GSEA and Enrichr use it.

One gene set per line, fields separated by tabs::

    NAME<TAB>DESCRIPTION<TAB>GENE1<TAB>GENE2...

The description may be empty (WikiPathways and Enrichr libraries leave it
so) and empty trailing fields are ignored. `read_gmt` rejects a line with
fewer than three fields, a set without genes and a set name used twice,
naming the file and the line; a gene listed twice in one set is kept once.
`write_gmt` writes atomically: a temporary file beside the target, renamed
over it only once complete.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from resistlab._atomic import atomic_path
from resistlab.errors import FileFormatError
from resistlab.rnaseq.genesets import GeneSets, as_gene_sets

__all__ = ["read_gmt", "write_gmt"]


def _at(path: Path, line: int) -> str:
    return f"{path}, line {line}: "


def read_gmt(
    path: str | os.PathLike[str],
    *,
    source: str | None = None,
    licence: str = "",
    url: str = "",
) -> GeneSets:
    r"""Read a GMT file.

    Parameters
    ----------
    path : str or path-like
        The GMT file (UTF-8; a byte-order mark is tolerated).
    source, licence, url : str
        Collection metadata carried by the result; `source` defaults to the
        file name.

    Returns
    -------
    GeneSets
        The sets in file order, genes in file order.

    Raises
    ------
    FileFormatError
        With the file and line, for a line with fewer than three
        tab-separated fields, an empty name, a set without genes, a
        duplicated set name, undecodable bytes or a file without sets.

    Examples
    --------
    >>> import tempfile
    >>> gmt = Path(tempfile.mkdtemp()) / "two.gmt"
    >>> _ = gmt.write_text("UP\tgenes up\tEGFR\tERBB2\nDOWN\t\tTP53\t\n")
    >>> sets = read_gmt(gmt)
    >>> sets["UP"], sets.descriptions["DOWN"]
    (('EGFR', 'ERBB2'), '')
    """
    path = Path(path)
    sets: dict[str, tuple[str, ...]] = {}
    descriptions: dict[str, str] = {}
    first_line: dict[str, int] = {}
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        msg = f"{path}: not a UTF-8 text file ({err.reason} at byte {err.start})"
        raise FileFormatError(msg) from err
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        fields = raw.split("\t")
        while fields and not fields[-1].strip():
            fields.pop()
        name = fields[0].strip() if fields else ""
        if len(fields) < 3:
            if len(fields) == 2 or (len(fields) == 1 and "\t" in raw):
                msg = (
                    f"{_at(path, number)}gene set {name!r} has no genes; a GMT line is "
                    "NAME<TAB>DESCRIPTION<TAB>GENE..."
                )
            else:
                msg = (
                    f"{_at(path, number)}expected at least 3 tab-separated fields "
                    f"(name, description, genes), found {len(fields)}"
                )
            raise FileFormatError(msg)
        if not name:
            msg = f"{_at(path, number)}the gene set name (first field) is empty"
            raise FileFormatError(msg)
        genes = _unique(g.strip() for g in fields[2:])
        if not genes:
            msg = f"{_at(path, number)}gene set {name!r} has no genes"
            raise FileFormatError(msg)
        if name in sets:
            msg = (
                f"{_at(path, number)}gene set {name!r} is already defined on line "
                f"{first_line[name]}; set names must be unique"
            )
            raise FileFormatError(msg)
        sets[name] = genes
        descriptions[name] = fields[1].strip()
        first_line[name] = number
    if not sets:
        msg = f"{path}: no gene sets found (empty GMT file)"
        raise FileFormatError(msg)
    return GeneSets(
        sets,
        descriptions=descriptions,
        source=path.name if source is None else source,
        licence=licence,
        url=url,
    )


def _unique(genes: Iterable[str]) -> tuple[str, ...]:
    """Non-empty genes, first occurrence kept."""
    return tuple(dict.fromkeys(g for g in genes if g))


def write_gmt(
    gene_sets: GeneSets | Mapping[str, Iterable[str]], path: str | os.PathLike[str]
) -> None:
    r"""Write gene sets as a GMT file, atomically.

    Parameters
    ----------
    gene_sets : GeneSets or mapping of str to iterable of str
        The sets; a `GeneSets` writes its descriptions in the second field.
    path : str or path-like
        The target; replaced only once the new file is complete.

    Raises
    ------
    ValueError
        If a set name, description or gene contains a tab or a line break.

    Examples
    --------
    >>> import tempfile
    >>> gmt = Path(tempfile.mkdtemp()) / "out.gmt"
    >>> write_gmt({"RTK": ["EGFR", "ERBB2", "MET"]}, gmt)
    >>> gmt.read_text()
    'RTK\t\tEGFR\tERBB2\tMET\n'
    """
    sets = as_gene_sets(gene_sets)
    lines = []
    for name, genes in sets.items():
        description = sets.descriptions.get(name, "")
        for label, value in (("name", name), ("description", description)):
            _check_field(value, f"gene set {name!r}: {label}")
        for gene in genes:
            _check_field(gene, f"gene set {name!r}: gene {gene!r}")
        lines.append("\t".join((name, description, *genes)) + "\n")
    with atomic_path(path) as temporary:
        temporary.write_text("".join(lines), encoding="utf-8")


def _check_field(value: str, what: str) -> None:
    if any(c in value for c in "\t\r\n"):
        msg = f"{what} contains a tab or a line break, which GMT cannot hold"
        raise ValueError(msg)
