"""Gene-set collections as values: `GeneSets` and `as_gene_sets`.

`GeneSets` is an immutable mapping of set name to a tuple of gene symbols,
with a description per set and the collection's ``source``, ``licence`` and
``url`` (so a report can attribute what it used); `as_gene_sets` wraps a
plain mapping. Both are pure: nothing here reads or downloads files.
`resistlab.io.genesets` loads the shipped collections (curated resistance
signatures, WikiPathways, PROGENy), MSigDB Hallmark and any GMT file;
`resistlab.io.gmt` reads and writes GMT.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import pandas as pd

from resistlab.errors import InputError

__all__ = ["GeneSets", "as_gene_sets"]


@dataclass(frozen=True, eq=False)
class GeneSets(Mapping[str, tuple[str, ...]]):
    """An immutable collection of named gene sets.

    Behaves as a read-only mapping ``name -> tuple of genes`` (in collection
    order; genes keep their order, duplicates dropped).

    Attributes
    ----------
    sets : mapping of str to tuple of str
        The gene sets.
    descriptions : mapping of str to str
        One description per set ("" when none).
    source : str
        Where the collection comes from (publication, database, file).
    licence : str
        Its licence, e.g. ``"CC0"``, ``"CC BY 4.0"``.
    url : str
        Where it can be obtained.

    Examples
    --------
    >>> sets = GeneSets({"RTK": ("EGFR", "ERBB2", "EGFR")}, licence="CC0")
    >>> sets["RTK"], len(sets), sets.descriptions["RTK"]
    (('EGFR', 'ERBB2'), 1, '')
    """

    sets: Mapping[str, tuple[str, ...]]
    descriptions: Mapping[str, str] = field(default_factory=dict)
    source: str = ""
    licence: str = ""
    url: str = ""

    def __post_init__(self) -> None:
        sets: dict[str, tuple[str, ...]] = {}
        for name, genes in self.sets.items():
            if not isinstance(name, str) or not name:
                msg = f"gene set names must be non-empty strings, got {name!r}"
                raise InputError(msg)
            if isinstance(genes, str):
                msg = f"gene set {name!r}: genes must be a collection of symbols, not a string"
                raise TypeError(msg)
            clean = tuple(dict.fromkeys(str(g).strip() for g in genes if str(g).strip()))
            if not clean:
                msg = f"gene set {name!r} has no genes"
                raise InputError(msg)
            sets[name] = clean
        unknown = set(self.descriptions) - set(sets)
        if unknown:
            msg = f"descriptions given for unknown gene sets: {', '.join(sorted(unknown))}"
            raise InputError(msg)
        descriptions = {name: str(self.descriptions.get(name, "")) for name in sets}
        object.__setattr__(self, "sets", MappingProxyType(sets))
        object.__setattr__(self, "descriptions", MappingProxyType(descriptions))

    def __getitem__(self, name: str) -> tuple[str, ...]:
        return self.sets[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.sets)

    def __len__(self) -> int:
        return len(self.sets)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GeneSets):
            return NotImplemented
        return (
            dict(self.sets) == dict(other.sets)
            and dict(self.descriptions) == dict(other.descriptions)
            and (self.source, self.licence, self.url) == (other.source, other.licence, other.url)
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        label = f" from {self.source}" if self.source else ""
        return f"<GeneSets: {len(self)} sets{label}>"

    @property
    def genes(self) -> tuple[str, ...]:
        """Every gene of every set, sorted."""
        return tuple(sorted({g for genes in self.sets.values() for g in genes}))

    def sizes(self) -> pd.Series:
        """Count the genes of each set; a Series indexed by set name."""
        return pd.Series({name: len(genes) for name, genes in self.sets.items()}, dtype=int)

    def filter(
        self,
        *,
        min_size: int = 15,
        max_size: int = 500,
        universe: Iterable[str] | None = None,
    ) -> GeneSets:
        """Keep sets with `min_size` to `max_size` genes, counted within `universe`.

        Parameters
        ----------
        min_size, max_size : int
            Inclusive bounds on the number of genes (GSEA's defaults).
        universe : iterable of str, optional
            The measured genes; when given, each set is first restricted to
            them, so sizes are those an analysis would see.

        Returns
        -------
        GeneSets
            The kept sets (restricted to `universe` when given), same metadata.

        Examples
        --------
        >>> sets = GeneSets({"A": ["x", "y", "z"], "B": ["x"]})
        >>> dict(sets.filter(min_size=2, universe=["x", "y", "w"]))
        {'A': ('x', 'y')}
        """
        if min_size < 1 or max_size < min_size:
            msg = f"need 1 <= min_size <= max_size, got min_size={min_size}, max_size={max_size}"
            raise ValueError(msg)
        keep = None if universe is None else set(universe)
        kept: dict[str, tuple[str, ...]] = {}
        for name, genes in self.sets.items():
            restricted = genes if keep is None else tuple(g for g in genes if g in keep)
            if min_size <= len(restricted) <= max_size:
                kept[name] = restricted
        return GeneSets(
            kept,
            descriptions={name: self.descriptions[name] for name in kept},
            source=self.source,
            licence=self.licence,
            url=self.url,
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per (set, gene): ``term``, ``description``, ``gene``."""
        rows = [
            (name, self.descriptions[name], gene)
            for name, genes in self.sets.items()
            for gene in genes
        ]
        return pd.DataFrame(rows, columns=["term", "description", "gene"])


def as_gene_sets(gene_sets: GeneSets | Mapping[str, Iterable[str]]) -> GeneSets:
    """Return `gene_sets` as `GeneSets` (a plain mapping is wrapped, no metadata).

    Examples
    --------
    >>> as_gene_sets({"S": ["A", "B"]})["S"]
    ('A', 'B')
    """
    if isinstance(gene_sets, GeneSets):
        return gene_sets
    if not isinstance(gene_sets, Mapping):
        msg = (
            "gene_sets must be a GeneSets or a mapping of set name to genes, "
            f"got {type(gene_sets).__name__}"
        )
        raise TypeError(msg)
    return GeneSets({name: tuple(genes) for name, genes in gene_sets.items()})
