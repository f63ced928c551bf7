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

RNA-seq inputs become the pandas tables `resistlab.rnaseq` takes: a genes x
samples ``int64`` count matrix from featureCounts output or a plain table
(`read_counts`), the design from a sample sheet (`read_sample_sheet`), and
Salmon quantifications summarised to genes as tximport does (`read_salmon`,
`read_tx2gene`, returning a `Tximport`)::

    from resistlab.io import read_counts, read_salmon, read_sample_sheet

    counts = read_counts("featureCounts.txt")
    design = read_sample_sheet("samples.csv", samples=counts.columns, required=["condition"])
    txi = read_salmon({"P1": "salmon/P1", "R1": "salmon/R1"}, "tx2gene.tsv")

Western blot and protein-array densitometry (tidy tables, ImageJ Results,
Image Lab and Image Studio exports, with a lanes sheet) read into one row per
band with `read_densitometry`.

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
from resistlab.io.counts import SPECIAL_COUNT_ROWS, read_counts, read_sample_sheet
from resistlab.io.densitometry import (
    DENSITOMETRY_COLUMNS,
    DENSITOMETRY_LAYOUTS,
    read_densitometry,
)
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
from resistlab.io.tximport import QUANT_COLUMNS, Tximport, read_salmon, read_tx2gene

__all__ = [
    "ASSAY_COLUMNS",
    "DENSITOMETRY_COLUMNS",
    "DENSITOMETRY_LAYOUTS",
    "MAP_COLUMNS",
    "PAIR_COLUMNS",
    "PLATE_METADATA_KEYS",
    "QUANT_COLUMNS",
    "READ_MARKERS",
    "ROLES",
    "SPECIAL_COUNT_ROWS",
    "PlateBlock",
    "PlateExport",
    "PlateMap",
    "Tximport",
    "assemble_plate",
    "empty_assay_table",
    "read_combination_plates",
    "read_counts",
    "read_densitometry",
    "read_gdsc_raw",
    "read_long_table",
    "read_plate",
    "read_plate_map",
    "read_plate_table",
    "read_salmon",
    "read_sample_sheet",
    "read_tx2gene",
]
