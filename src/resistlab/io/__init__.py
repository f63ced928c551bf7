"""Readers for what the bench produces: plate-reader exports, plate maps, GDSC raw data.

Plate data flows in three steps, or one::

    from resistlab.io import assemble_plate, read_plate, read_plate_map, read_plate_table

    export = read_plate("2024-05-02_MTT.txt")
    export.summary()  # 'BioTek Gen5 export: 2 plates x 1 read, 8x12 (96-well)'
    table = assemble_plate(export, read_plate_map("layout.yaml"))
    table = read_plate_table("2024-05-02_MTT.txt", "layout.yaml")  # the same

The result is the *assay table* (`ASSAY_COLUMNS`): one row per well and
read with the raw value, its flag, the well's role, cell line, drug, molar
concentration, replicate, the file row it came from, and the plate
metadata. `read_gdsc_raw` gives the same table for GDSC raw screening data.

Combination plates (a map whose wells name ``drug2``/``concentration2``)
read straight into synergy dose matrices::

    from resistlab.io import read_combination_plates

    matrices = read_combination_plates(["run1.txt", "run2.txt"], "combo_map.yaml")

Every reader checks its input and raises `resistlab.errors.FileFormatError`,
`~resistlab.errors.PlateMapError` or `~resistlab.errors.UnitError` with the
file, row and well in the message.
"""

from __future__ import annotations

from resistlab.io._assay import (
    ASSAY_COLUMNS,
    assemble_plate,
    empty_assay_table,
    read_plate_table,
)
from resistlab.io._cells import READ_MARKERS
from resistlab.io.combination_plates import read_combination_plates
from resistlab.io.gdsc import read_gdsc_raw
from resistlab.io.plate_map import (
    MAP_COLUMNS,
    PAIR_COLUMNS,
    PLATE_METADATA_KEYS,
    ROLES,
    PlateMap,
    read_plate_map,
)
from resistlab.io.plate_reader import PlateBlock, PlateExport, read_long_table, read_plate

__all__ = [
    "ASSAY_COLUMNS",
    "MAP_COLUMNS",
    "PAIR_COLUMNS",
    "PLATE_METADATA_KEYS",
    "READ_MARKERS",
    "ROLES",
    "PlateBlock",
    "PlateExport",
    "PlateMap",
    "assemble_plate",
    "empty_assay_table",
    "read_combination_plates",
    "read_gdsc_raw",
    "read_long_table",
    "read_plate",
    "read_plate_map",
    "read_plate_table",
]
