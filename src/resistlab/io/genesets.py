"""Read gene-set collections: the shipped ones, any GMT file, MSigDB Hallmark on request.

The I/O side of `resistlab.rnaseq.genesets.GeneSets`: this module reads the
collection files shipped in ``resistlab/rnaseq/data``, reads GMT files
(through `resistlab.io.gmt.read_gmt`), and downloads and caches MSigDB
Hallmark. `load_gene_sets` gives:

``"resistance"``
    ResistLab's curated resistance signatures (``data/resistance_signatures.yaml``):
    STAT3 targets, ERBB/RTK receptors and ligands, PI3K/AKT output (FOXO
    targets, mTORC1-SREBP targets), MEK/ERK transcriptional output,
    Wnt/beta-catenin targets, TGF-beta response and the integrin adhesome,
    each with a rationale and literature references
    (`resistance_signatures` lists them).
``"wikipathways"``
    WikiPathways 2023 human (801 pathways, CC0), as Enrichr distributes it.
``"progeny"``
    PROGENy footprints (Schubert et al. 2018, Apache-2.0) as sets for
    over-representation: for each of the 14 pathways the top 100 genes by
    p-value, split by the sign of their weight into ``"<pathway> up"`` and
    ``"<pathway> down"``.
``"hallmark"``
    MSigDB Hallmark, only once `download_hallmark` has cached it.
a path
    Any GMT file (`resistlab.io.gmt.read_gmt`).

MSigDB Hallmark (Liberzon et al. 2015, Cell Syst 1:417; CC BY 4.0 since
MSigDB 2023) is not shipped: `download_hallmark` fetches the human-symbol GMT
on request into a cache (``~/.cache/resistlab``, or ``$RESISTLAB_CACHE_DIR``)
and reuses it afterwards. KEGG gene sets are never bundled: their licence
forbids redistribution; a user who holds a KEGG licence can pass their own
GMT file.
"""

from __future__ import annotations

import functools
import os
import shutil
import urllib.parse
import urllib.request
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from resistlab._atomic import atomic_path
from resistlab.errors import FileFormatError, InputError
from resistlab.io.gmt import read_gmt
from resistlab.rnaseq.genesets import GeneSets
from resistlab.rnaseq.progeny import progeny_model

__all__ = [
    "COLLECTIONS",
    "HALLMARK_URL",
    "download_hallmark",
    "load_gene_sets",
    "resistance_signatures",
]

#: Collection names `load_gene_sets` knows.
COLLECTIONS = ("resistance", "wikipathways", "progeny", "hallmark")

#: MSigDB Hallmark, human gene symbols, release 2024.1.Hs.
HALLMARK_URL = (
    "https://data.broadinstitute.org/gsea-msigdb/msigdb/release/2024.1.Hs/"
    "h.all.v2024.1.Hs.symbols.gmt"
)
_HALLMARK_SOURCE = (
    "MSigDB Hallmark gene sets (Liberzon A et al. 2015, Cell Systems 1:417-425, "
    "doi:10.1016/j.cels.2015.12.004), Broad Institute / UC San Diego"
)
_HALLMARK_LICENCE = "CC BY 4.0"

_RESISTANCE_FILE = "resistance_signatures.yaml"
_WIKIPATHWAYS_FILE = "wikipathways_2023_human.gmt"

Fetch = Callable[[str, Path], None]


def _data_path(name: str) -> Any:
    return resources.files("resistlab.rnaseq").joinpath("data", name)


@functools.cache
def _resistance_yaml() -> dict[str, Any]:
    source = _data_path(_RESISTANCE_FILE)
    with resources.as_file(source) as path:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return dict(document)


def resistance_signatures() -> pd.DataFrame:
    """Describe the curated resistance signatures, one row per set.

    Returns
    -------
    DataFrame
        Columns ``term``, ``mechanism`` (the resistance mechanism the set
        reports on), ``direction`` (``"up"``: the set rises when the
        mechanism is active; ``"down"``: it falls), ``size``, ``rationale``
        and ``references`` (``"; "``-joined PMIDs / DOIs).

    Examples
    --------
    >>> table = resistance_signatures()
    >>> "STAT3_TARGETS" in set(table["term"])
    True
    """
    document = _resistance_yaml()
    rows = [
        {
            "term": name,
            "mechanism": entry["mechanism"],
            "direction": entry["direction"],
            "size": len(entry["genes"]),
            "rationale": entry["rationale"],
            "references": "; ".join(entry["references"]),
        }
        for name, entry in document["sets"].items()
    ]
    return pd.DataFrame(rows)


@functools.cache
def _load_shipped(name: str) -> GeneSets:
    if name == "resistance":
        document = _resistance_yaml()
        entries = document["sets"]
        return GeneSets(
            {key: tuple(entry["genes"]) for key, entry in entries.items()},
            descriptions={key: entry["rationale"] for key, entry in entries.items()},
            source=document["source"],
            licence=document["licence"],
            url=document.get("url", ""),
        )
    if name == "wikipathways":
        with resources.as_file(_data_path(_WIKIPATHWAYS_FILE)) as path:
            return read_gmt(
                path,
                source="WikiPathways 2023 human (Enrichr library WikiPathway_2023_Human)",
                licence="CC0 1.0",
                url="https://www.wikipathways.org",
            )
    # progeny
    model = progeny_model(top=100)
    sets: dict[str, tuple[str, ...]] = {}
    descriptions: dict[str, str] = {}
    for pathway in model.columns:
        weights = model[pathway]
        for label, chosen in (("up", weights > 0), ("down", weights < 0)):
            genes = tuple(weights[chosen].abs().sort_values(ascending=False, kind="stable").index)
            if genes:
                key = f"{pathway} {label}"
                sets[key] = genes
                descriptions[key] = (
                    f"PROGENy {pathway} footprint, top 100 genes by p-value, weight "
                    f"{'> 0 (rise with pathway activity)' if label == 'up' else '< 0 (fall)'}"
                )
    return GeneSets(
        sets,
        descriptions=descriptions,
        source="PROGENy (Schubert M et al. 2018, Nat Commun 9:20), model_human_full, top 100",
        licence="Apache-2.0",
        url="https://saezlab.github.io/progeny/",
    )


def load_gene_sets(name_or_path: str | os.PathLike[str]) -> GeneSets:
    """Load a shipped collection by name, the cached MSigDB Hallmark, or a GMT file.

    Parameters
    ----------
    name_or_path : str or path-like
        ``"resistance"``, ``"wikipathways"``, ``"progeny"``, ``"hallmark"``
        (after `download_hallmark`), or the path of a GMT file.

    Returns
    -------
    GeneSets

    Raises
    ------
    InputError
        For an unknown name, or ``"hallmark"`` before it was downloaded.
    FileFormatError
        For a malformed GMT file (naming file and line).

    Examples
    --------
    >>> load_gene_sets("resistance")["MAPK_ERK_OUTPUT"][:4]
    ('PHLDA1', 'SPRY2', 'SPRY4', 'DUSP4')
    >>> len(load_gene_sets("wikipathways"))
    801
    """
    if isinstance(name_or_path, str) and name_or_path.lower() in COLLECTIONS:
        name = name_or_path.lower()
        if name == "hallmark":
            cached = _cache_dir(None) / _file_name(HALLMARK_URL)
            if not cached.is_file():
                msg = (
                    f"MSigDB Hallmark is not in the cache ({cached}); call "
                    "resistlab.io.genesets.download_hallmark() once to download it"
                )
                raise InputError(msg)
            return _read_hallmark(cached, HALLMARK_URL)
        return _load_shipped(name)
    path = Path(name_or_path)
    if not path.exists() and isinstance(name_or_path, str) and path.suffix == "":
        msg = (
            f"unknown gene-set collection {name_or_path!r}: expected one of "
            f"{', '.join(COLLECTIONS)} or the path of a GMT file"
        )
        raise InputError(msg)
    return read_gmt(path)


def _cache_dir(cache_dir: str | os.PathLike[str] | None) -> Path:
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get("RESISTLAB_CACHE_DIR")
    if env:
        return Path(env)
    return Path.home() / ".cache" / "resistlab"


def _file_name(url: str) -> str:
    name = Path(urllib.parse.urlparse(url).path).name
    return name or "hallmark.gmt"


def _urllib_fetch(url: str, destination: Path) -> None:
    """Stream `url` into `destination`."""
    with urllib.request.urlopen(url, timeout=60) as response, open(destination, "wb") as out:
        shutil.copyfileobj(response, out)


def _read_hallmark(path: Path, url: str) -> GeneSets:
    return read_gmt(path, source=_HALLMARK_SOURCE, licence=_HALLMARK_LICENCE, url=url)


def download_hallmark(
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    url: str = HALLMARK_URL,
    fetch: Fetch | None = None,
) -> GeneSets:
    """Download MSigDB Hallmark (human symbols) once, then read it from the cache.

    The 50 Hallmark gene sets (Liberzon et al. 2015, Cell Syst 1:417) are
    licensed CC BY 4.0: attribute them as the returned ``source`` says. The
    download goes to a temporary file in the cache folder, is checked to
    parse as GMT, and only then renamed to its final name, so an interrupted
    or corrupt download leaves nothing behind.

    Parameters
    ----------
    cache_dir : str or path-like, optional
        Where to keep the file; default ``$RESISTLAB_CACHE_DIR`` if set,
        else ``~/.cache/resistlab``.
    url : str
        The GMT to fetch; the cached file is named after its last path part.
    fetch : callable, optional
        ``fetch(url, destination)`` writes the content at `url` to the path
        `destination`; default streams it with `urllib.request`. Tests pass a
        function that copies a local file.

    Returns
    -------
    GeneSets
        With ``source``, ``licence`` (``"CC BY 4.0"``) and ``url`` set.

    Raises
    ------
    FileFormatError
        If the downloaded file is not a valid GMT (nothing is cached).
    OSError
        If the download fails (nothing is cached).
    """
    folder = _cache_dir(cache_dir)
    target = folder / _file_name(url)
    if target.is_file():
        return _read_hallmark(target, url)
    folder.mkdir(parents=True, exist_ok=True)
    get = _urllib_fetch if fetch is None else fetch
    with atomic_path(target) as temporary:
        get(url, temporary)
        try:
            _read_hallmark(temporary, url)
        except FileFormatError as err:
            msg = f"the file downloaded from {url} is not a valid GMT file: {err}"
            raise FileFormatError(msg) from err
    return _read_hallmark(target, url)
