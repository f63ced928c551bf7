r"""Combination plates: plate-reader exports and a two-drug plate map as dose matrices.

`read_combination_plates` reads what the bench produces for a drug
combination -- plate-reader exports and a plate map whose wells name two
drugs (``drug``/``concentration`` and ``drug2``/``concentration2``; see
`resistlab.io.plate_map`) -- and returns `~resistlab.synergy.DoseMatrices`
ready for the synergy models.

How the wells become blocks
---------------------------
1. Every export is joined with its map (`~resistlab.io.assemble_plate`),
   blanks are subtracted and cell wells expressed as % of the vehicle wells
   of the same plate and cell line (`~resistlab.plates.normalize_plate`);
   viability is then converted to percent inhibition (``100 - viability``).
2. A block is one drug pair on one cell line, within one value of each
   ``by`` key (default ``run``: the plate metadata ``run: ...`` of the map,
   when it gives one). Plates of the same block pool: each well is a
   replicate of its dose pair.
3. Wells of a block: the wells naming both drugs (in either order: the
   first order met in the map is drug 1 / drug 2); wells of one drug alone
   (no ``drug2``), which serve every pair of their cell line containing that
   drug; and the vehicle wells of the cell line, which are the control
   (both doses 0). Positive controls, blanks and empty wells are left out.

Flagged or unreadable wells stay as missing replicates (NaN).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from resistlab.errors import InputError, PlateMapError, where
from resistlab.io._assay import assemble_plate
from resistlab.io.plate_map import PAIR_COLUMNS, PlateMap, read_plate_map
from resistlab.io.plate_reader import read_plate

if TYPE_CHECKING:
    from resistlab.synergy.data import DoseMatrices

__all__ = ["read_combination_plates"]

PathLike = str | Path


def _as_list(value: object) -> list[object]:
    if isinstance(value, (str, Path, PlateMap)):
        return [value]
    if isinstance(value, Sequence):
        return list(value)
    msg = f"expected a path or a sequence of paths, got {type(value).__name__}"
    raise TypeError(msg)


def _snap(values: np.ndarray) -> np.ndarray:
    """Merge doses that differ by float rounding only (1 uM written as 1000 nM)."""
    finite = np.unique(values[np.isfinite(values)])
    if finite.size < 2:
        return values
    keep = np.concatenate([[True], np.diff(finite) > 1e-9 * finite[1:]])
    representative = finite[np.maximum.accumulate(np.where(keep, np.arange(finite.size), 0))]
    out = values.copy()
    at = np.isfinite(values)
    out[at] = representative[np.searchsorted(finite, values[at])]
    return out


def _assay_tables(
    exports: list[object],
    maps: list[object],
    *,
    read: str | None,
    sheet: str | int | None,
    plate_format: int | None,
) -> pd.DataFrame:
    """Join and normalise every export; one frame with ``map_file`` and pair columns."""
    if len(maps) not in (1, len(exports)):
        msg = (
            f"give one plate map for all exports or one per export; got {len(maps)} maps for "
            f"{len(exports)} exports"
        )
        raise InputError(msg)
    loaded: dict[str, PlateMap] = {}
    tables = []
    for i, export_path in enumerate(exports):
        path = Path(str(export_path))
        given = maps[0] if len(maps) == 1 else maps[i]
        if isinstance(given, PlateMap):
            plate_map = given
        else:
            key = str(given)
            if key not in loaded:
                loaded[key] = read_plate_map(Path(key))
            plate_map = loaded[key]
        if not path.is_file():
            msg = f"{where(path.name)}no such file: {path}"
            raise InputError(msg)
        table = assemble_plate(read_plate(path, sheet=sheet, plate_format=plate_format), plate_map)
        reads = list(dict.fromkeys(table["read"]))
        if read is None and len(reads) > 1:
            msg = (
                f"{where(path.name)}the export holds several reads ({', '.join(reads)}); "
                "choose one with read="
            )
            raise InputError(msg)
        if read is not None:
            if read not in reads:
                msg = f"{where(path.name)}no read {read!r}; the export has {', '.join(reads)}"
                raise InputError(msg)
            table = table[table["read"] == read]
        many = table["plate"].nunique() > 1
        table = table.assign(
            plate=(path.name + "/" + table["plate"]) if many else path.name,
            map_file=plate_map.file or "plate map",
        )
        if "drug2" not in table.columns:
            table["drug2"] = None
            table["concentration2"] = np.where(table["role"] == "vehicle", 0.0, np.nan)
        tables.append(table)
    assay = pd.concat(tables, ignore_index=True)
    if assay["drug2"].isna().all():
        files = ", ".join(dict.fromkeys(assay["map_file"]))
        msg = (
            f"{files}: no well names a second drug; a combination plate map gives "
            "drug2 and concentration2 (see resistlab.io.plate_map)"
        )
        raise PlateMapError(msg)
    assay[PAIR_COLUMNS[1]] = assay[PAIR_COLUMNS[1]].astype(float)
    from resistlab.plates import normalize_plate  # imported here: scipy is slow to load

    return normalize_plate(assay)


def _here(row: pd.Series) -> str:
    return f"{row['map_file']}, well {row['well']} (plate {row['plate']})"


def _block_rows(
    group: pd.DataFrame, label: str, by_text: str
) -> list[tuple[str, str, str, pd.DataFrame]]:
    """Split the cell wells of one cell line (and by-values) into blocks.

    Returns ``(block_id, drug1, drug2, wells)`` with ``conc1``/``conc2`` set.
    """
    samples = group[group["role"] == "sample"]
    paired = samples[samples["drug2"].notna()]
    alone = samples[samples["drug2"].isna()]
    vehicle = group[group["role"] == "vehicle"]
    pairs: list[tuple[str, str]] = []
    for d1, d2 in zip(paired["drug"], paired["drug2"], strict=True):
        if (d1, d2) not in pairs and (d2, d1) not in pairs:
            pairs.append((d1, d2))
    in_pairs = {d for pair in pairs for d in pair}
    orphan = alone[~alone["drug"].isin(in_pairs)]
    if len(orphan):
        first = orphan.iloc[0]
        named = ", ".join(f"{a} + {b}" for a, b in pairs) or "none"
        msg = (
            f"{_here(first)}: a sample well of {first['drug']!r} alone on {label}, but no "
            f"combination on that line uses it (pairs: {named}); check the drug name, or give "
            "the well its drug2 with concentration2 0"
        )
        raise PlateMapError(msg)
    blocks = []
    for d1, d2 in pairs:
        forward = paired[(paired["drug"] == d1) & (paired["drug2"] == d2)]
        backward = paired[(paired["drug"] == d2) & (paired["drug2"] == d1)]
        parts = [
            forward.assign(conc1=forward["concentration"], conc2=forward["concentration2"]),
            backward.assign(conc1=backward["concentration2"], conc2=backward["concentration"]),
            alone[alone["drug"] == d1].assign(conc1=lambda f: f["concentration"], conc2=0.0),
            alone[alone["drug"] == d2].assign(conc1=0.0, conc2=lambda f: f["concentration"]),
            vehicle.assign(conc1=0.0, conc2=0.0),
        ]
        wells = pd.concat([p for p in parts if len(p)], ignore_index=True)
        block_id = f"{label}/{d1}+{d2}{by_text}"
        first = (forward if len(forward) else backward).iloc[0]
        for name, mono in ((d1, wells["conc2"] == 0), (d2, wells["conc1"] == 0)):
            dosed = (wells["conc1"] > 0) | (wells["conc2"] > 0)
            if not (mono & dosed).any():
                msg = (
                    f"{_here(first)}: block {block_id} has no wells of {name!r} alone (the "
                    "other drug at 0, or no drug2); a dose matrix needs both monotherapies"
                )
                raise PlateMapError(msg)
        control = wells[(wells["conc1"] == 0) & (wells["conc2"] == 0)]
        if not np.isfinite(control["viability"]).any():
            why = next((n for n in control["viability_note"] if n), "no control wells")
            msg = f"{_here(first)}: block {block_id} has no usable control (vehicle) well ({why})"
            raise PlateMapError(msg)
        blocks.append((block_id, d1, d2, wells))
    return blocks


def read_combination_plates(
    exports: PathLike | Sequence[PathLike],
    plate_map: PathLike | PlateMap | Sequence[PathLike | PlateMap],
    *,
    by: Sequence[str] = ("run",),
    read: str | None = None,
    sheet: str | int | None = None,
    plate_format: int | None = None,
) -> DoseMatrices:
    r"""Read combination plates (exports + a two-drug plate map) as dose matrices.

    See the module docstring, `resistlab.io.combination_plates`, for how
    wells become blocks.

    Parameters
    ----------
    exports : str, Path or sequence of them
        Plate-reader exports (any layout `~resistlab.io.read_plate` reads).
    plate_map : str, Path, PlateMap or sequence of them
        One map for every export, or one per export; the wells name
        ``drug2`` and ``concentration2`` (see `resistlab.io.plate_map`).
    by : sequence of str
        Plate metadata (or assay-table columns such as ``plate``) that split
        blocks: wells with different values are different blocks. Keys the
        maps do not give are ignored.
    read : str, optional
        The read to use when an export holds several (e.g. two wavelengths).
    sheet : str or int, optional
        Workbook sheet of the exports.
    plate_format : {96, 384, 1536}, optional
        Expected plate size of the exports.

    Returns
    -------
    DoseMatrices
        One block per cell line, drug pair (and `by` values), in the order
        the map first names them; ``block_ids`` ``"<line>/<drug1>+<drug2>"``
        (``"/<value>"`` per `by` key given); molar concentrations; percent
        inhibition (100 - % of vehicle), every replicate well kept;
        ``cell_line`` from the map.

    Raises
    ------
    FileFormatError, PlateMapError, UnitError
        As `~resistlab.io.read_plate` and `~resistlab.io.read_plate_map`;
        and, naming the map and well, a map without a second drug, a
        single-drug well whose drug no pair uses, a block without both
        monotherapies or without a usable vehicle well.
    InputError
        A missing export, several reads and no `read`, vehicle wells missing
        for a cell line (from `~resistlab.plates.normalize_plate`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> signal = {"A1": 1.0, "A2": 0.8, "B1": 0.5, "B2": 0.25, "C1": 1.0, "C2": 0.0}
    >>> _ = (folder / "od.csv").write_text(
    ...     "well,value\n" + "\n".join(f"{w},{v}" for w, v in signal.items()))
    >>> _ = (folder / "map.csv").write_text(
    ...     "well,role,cell_line,drug,conc,drug2,conc2,unit\n"
    ...     "A1,vehicle,PC-9,DMSO,0,,,uM\nA2,sample,PC-9,A,0,B,1,uM\n"
    ...     "B1,sample,PC-9,A,1,B,0,uM\nB2,sample,PC-9,A,1,B,1,uM\n"
    ...     "C1,vehicle,PC-9,DMSO,0,,,uM\nC2,blank,,,,,,\n")
    >>> m = read_combination_plates(folder / "od.csv", folder / "map.csv")
    >>> m.block_ids, m.cell_line, m.conc1.tolist()
    (('PC-9/A+B',), ('PC-9',), [[0.0, 1e-06]])
    >>> m.mean_response[0].tolist()
    [[0.0, 20.0], [50.0, 75.0]]
    """
    export_list = _as_list(exports)
    map_list = _as_list(plate_map)
    if not export_list:
        msg = "no plate-reader exports given"
        raise InputError(msg)
    table = _assay_tables(export_list, map_list, read=read, sheet=sheet, plate_format=plate_format)
    keys = [key for key in by if key in table.columns and table[key].notna().any()]
    cells = table[table["role"].isin(["sample", "vehicle"])]
    group_frame = pd.DataFrame(
        {
            "cell_line": cells["cell_line"].astype(str),
            **{
                key: cells[key].astype(object).where(cells[key].notna(), "").astype(str)
                for key in keys
            },
        }
    )
    rows = []
    for values, part in group_frame.groupby(list(group_frame.columns), sort=False):
        label = str(values[0])
        by_text = "".join(f"/{v}" for v in values[1:] if v != "")
        for block_id, d1, d2, wells in _block_rows(cells.loc[part.index], label, by_text):
            rows.append(
                pd.DataFrame(
                    {
                        "block_id": block_id,
                        "cell_line": label,
                        "drug1": d1,
                        "drug2": d2,
                        "conc1": wells["conc1"].to_numpy(dtype=float),
                        "conc2": wells["conc2"].to_numpy(dtype=float),
                        "response": wells["viability"].to_numpy(dtype=float),
                    }
                )
            )
    if not rows:
        files = ", ".join(dict.fromkeys(table["map_file"]))
        msg = f"{files}: no sample well names two drugs, so there is no combination to score"
        raise PlateMapError(msg)
    frame = pd.concat(rows, ignore_index=True)
    frame["conc1"] = _snap(frame["conc1"].to_numpy())
    frame["conc2"] = _snap(frame["conc2"].to_numpy())
    source = ", ".join(dict.fromkeys(str(Path(str(p)).name) for p in export_list))
    from resistlab.synergy.data import matrices_from_frame

    return matrices_from_frame(
        frame, kind="viability", conc_unit=None, default_unit="M", source=source
    )
