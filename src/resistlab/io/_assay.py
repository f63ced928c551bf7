"""The assay table: plate-reader data joined with the plate map, one row per well and read.

Columns (the contract other packages code against):

====================  ===========================================================
``plate``             plate label (str)
``read``              read label (str)
``well``              canonical well name, ``"A1"``, ``"P24"``, ``"AF48"``
``row``, ``col``      0-based position (int)
``value``             raw signal (float); NaN when unreadable or missing
``read_flag``         ``""`` or ``"overflow"`` / ``"unreadable"`` / ``"missing"``
``role``              sample, vehicle, blank, positive_control, empty
``cell_line``         str or missing
``drug``              str or missing
``concentration``     molar float; 0.0 for vehicle; NaN for blank / empty
``replicate``         nullable integer
``source``            where the value came from: ``"file.csv, row 12"``
``readout`` ...       plate metadata: ``readout``, ``culture``, ``matrigel_lot``,
                      ``matrigel_percent``, ``seeding_density``,
                      ``incubation_hours``, ``time_zero``
====================  ===========================================================

Pass-through columns of the plate map follow.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from resistlab.errors import PlateMapError, where
from resistlab.io.plate_map import MAP_COLUMNS, PLATE_METADATA_KEYS, PlateMap, read_plate_map
from resistlab.io.plate_reader import PlateBlock, PlateExport, read_plate
from resistlab.wells import describe_format

__all__ = ["ASSAY_COLUMNS", "assemble_plate", "empty_assay_table", "read_plate_table"]

#: Column order of the assay table.
ASSAY_COLUMNS = [
    "plate",
    "read",
    "well",
    "row",
    "col",
    "value",
    "read_flag",
    "role",
    "cell_line",
    "drug",
    "concentration",
    "replicate",
    "source",
    *PLATE_METADATA_KEYS,
]

ASSAY_DTYPES: dict[str, str] = {
    "plate": "str",
    "read": "str",
    "well": "str",
    "row": "int64",
    "col": "int64",
    "value": "float64",
    "read_flag": "str",
    "role": "str",
    "cell_line": "str",
    "drug": "str",
    "concentration": "float64",
    "replicate": "Int64",
    "source": "str",
    "readout": "str",
    "culture": "str",
    "matrigel_lot": "str",
    "matrigel_percent": "float64",
    "seeding_density": "float64",
    "incubation_hours": "float64",
    "time_zero": "bool",
}


def empty_assay_table() -> pd.DataFrame:
    """Return an assay table with no rows and the contract's columns and dtypes.

    Examples
    --------
    >>> empty_assay_table().columns[:4].tolist()
    ['plate', 'read', 'well', 'row']
    """
    return pd.DataFrame({c: pd.Series(dtype=ASSAY_DTYPES[c]) for c in ASSAY_COLUMNS})


def _map_for_plate(plate_map: PlateMap, block: PlateBlock) -> pd.DataFrame:
    wells = plate_map.wells
    specific = wells[wells["plate"] == block.plate]
    if len(specific):
        return specific
    general = wells[wells["plate"].isna()]
    if len(general):
        return general
    msg = (
        f"{where(plate_map.file)}the plate map has no wells for plate {block.plate!r} "
        f"of {block.file or 'the data'}; the map names plates {plate_map.plates}"
    )
    raise PlateMapError(msg)


def _assemble_block(block: PlateBlock, plate_map: PlateMap, source: str | None) -> pd.DataFrame:
    if block.format != plate_map.format:
        msg = (
            f"{where(plate_map.file)}the plate map is {describe_format(plate_map.format)} but "
            f"plate {block.plate!r}, read {block.read!r} in {block.file or 'the data'} is "
            f"{describe_format(block.format)}"
        )
        raise PlateMapError(msg)
    wells = _map_for_plate(plate_map, block)
    data = block.to_frame()
    if source is not None:
        rows = np.asarray(block.file_rows)
        data["source"] = [f"{source}, row {n}" if n else source for n in rows.ravel()]

    flags = np.asarray(block.flags)
    used = wells[wells["role"] != "empty"]
    absent = used[flags[used["row"].to_numpy(), used["col"].to_numpy()] == "missing"]
    if len(absent):
        first = absent.iloc[0]
        others = "" if len(absent) == 1 else f" (and {len(absent) - 1} more wells)"
        msg = (
            f"{first['map_source']}, well {first['well']}: the map assigns role "
            f"{first['role']!r} but {block.file or 'the data'} has no value for "
            f"{first['well']} (plate {block.plate!r}, read {block.read!r}){others}"
        )
        raise PlateMapError(msg)

    extras = [c for c in wells.columns if c not in MAP_COLUMNS]
    keep = ["row", "col", "role", "cell_line", "drug", "concentration", "replicate", *extras]
    table = data.merge(wells[keep], on=["row", "col"], how="left", validate="one_to_one")
    table["role"] = table["role"].fillna("empty")
    for key in PLATE_METADATA_KEYS:
        table[key] = plate_map.metadata.get(key)
    table["time_zero"] = bool(plate_map.metadata.get("time_zero") or False)
    # any other plate-level key of the map (e.g. run, operator) travels as a column too
    more = [
        k
        for k in plate_map.metadata
        if k not in PLATE_METADATA_KEYS and k not in ("format", "label") and k not in table
    ]
    for key in more:
        table[key] = plate_map.metadata[key]
    table = table[[*ASSAY_COLUMNS, *extras, *more]]
    return table.astype({c: ASSAY_DTYPES[c] for c in ASSAY_COLUMNS})


def assemble_plate(
    export_or_block: PlateExport | PlateBlock,
    plate_map: PlateMap,
    *,
    source: str | None = None,
) -> pd.DataFrame:
    """Join plate-reader data with a plate map into the assay table.

    Parameters
    ----------
    export_or_block : PlateExport or PlateBlock
        Data from `read_plate`; every block of an export is joined.
    plate_map : PlateMap
        From `read_plate_map`. A map whose wells name a plate joins only the
        data plate with that label; a map without plate labels joins every
        plate.
    source : str, optional
        File label for the ``source`` column instead of the data file name
        (e.g. a path relative to the study folder).

    Returns
    -------
    DataFrame
        One row per well and read, columns `ASSAY_COLUMNS` then any
        pass-through columns of the map.

    Raises
    ------
    PlateMapError
        If the plate sizes differ, the map has no wells for a data plate, or
        a well the map uses (any role but empty) has no value in the data.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> block = PlateBlock(plate="P1", read="570", values=np.linspace(0, 1, 96).reshape(8, 12))
    >>> plate_map = PlateMap.from_frame(
    ...     pd.DataFrame(
    ...         {
    ...             "well": ["A1", "A2", "A3"],
    ...             "role": ["sample", "vehicle", "blank"],
    ...             "cell_line": "MCF7",
    ...             "drug": ["defactinib", None, None],
    ...             "concentration": ["100 nM", None, None],
    ...         }
    ...     )
    ... )
    >>> table = assemble_plate(block, plate_map)
    >>> table.loc[:2, ["well", "role", "concentration"]]
      well     role  concentration
    0   A1   sample   1.000000e-07
    1   A2  vehicle   0.000000e+00
    2   A3    blank            NaN
    """
    blocks = (
        export_or_block.blocks if isinstance(export_or_block, PlateExport) else (export_or_block,)
    )
    if not blocks:
        return empty_assay_table()
    tables = [_assemble_block(b, plate_map, source) for b in blocks]
    return pd.concat(tables, ignore_index=True)


def read_plate_table(
    data_path: str | Path,
    map_path: str | Path,
    *,
    sheet: str | int | None = None,
    plate_format: int | None = None,
) -> pd.DataFrame:
    r"""Read a plate-reader export and its plate map, and return the assay table.

    Parameters
    ----------
    data_path : str or Path
        Plate-reader export (see `read_plate`).
    map_path : str or Path
        Plate map (see `read_plate_map`).
    sheet : str or int, optional
        Workbook sheet of the export.
    plate_format : {96, 384, 1536}, optional
        Expected plate size of the export.

    Returns
    -------
    DataFrame
        The assay table for every plate and read in the export.

    Raises
    ------
    FileFormatError, PlateMapError, UnitError
        As `read_plate`, `read_plate_map` and `assemble_plate`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> rows = ["well,value"] + [f"{r}{c},{0.1 * c:.1f}" for r in "AB" for c in range(1, 4)]
    >>> _ = (folder / "od.csv").write_text("\n".join(rows))
    >>> _ = (folder / "map.yaml").write_text(
    ...     "plate: {readout: MTT}\ncell_line: MCF7\nblocks:\n"
    ...     "  - {drug: defactinib, rows: A-B, columns: 1-2, top_dose: 1 uM, dilution: 10}\n"
    ...     "  - {role: vehicle, rows: A-B, columns: 3}\n"
    ... )
    >>> table = read_plate_table(folder / "od.csv", folder / "map.yaml")
    >>> table.loc[table["well"] == "B2", ["value", "concentration", "replicate", "source"]]
        value  concentration  replicate         source
    13    0.2   1.000000e-07          2  od.csv, row 6
    """
    export = read_plate(data_path, sheet=sheet, plate_format=plate_format)
    return assemble_plate(export, read_plate_map(map_path))
