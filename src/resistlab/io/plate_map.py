r"""Plate maps: what is in every well, from a per-well table or a compact YAML layout.

`read_plate_map` returns a `PlateMap`: ``.wells``, one row per well of the
plate (wells the map does not mention are ``"empty"``), and ``.metadata``,
the plate-level facts that travel with it. Concentrations are molar.

The tidy ``wells`` table
------------------------
==================  ============================================================
column              meaning
==================  ============================================================
``plate``           plate label the row applies to; missing = every plate
``well``            canonical name, ``"B3"``
``row``, ``col``    0-based position
``role``            ``sample``, ``vehicle``, ``blank``, ``positive_control``,
                    ``empty``
``cell_line``       cell line seeded in the well (missing for blank / empty)
``drug``            drug (or the vehicle's name, e.g. DMSO) -- may be missing;
                    drug 1 of a combination well
``concentration``   molar; 0.0 for vehicle; NaN for blank / empty
``replicate``       replicate number (nullable integer; missing for empty)
``map_source``      where the well was defined: ``"map.csv, row 12"``
``drug2``           only in maps with a second drug (see below): drug 2 of
                    the well; missing where the well has one drug
``concentration2``  its molar dose (0.0 for vehicle; NaN without drug 2)
...                 any other column of a per-well table passes through
==================  ============================================================

Plate metadata keys: ``readout`` (MTT, CCK-8, CellTiter-Glo, ...),
``culture`` (2D / 3D), ``matrigel_lot``, ``matrigel_percent``,
``seeding_density`` (cells per well), ``incubation_hours``, ``time_zero``
(True for a plate read when the drug was added, for GR metrics); plus any
other key given.

Per-well CSV / XLSX
-------------------
One row per well with columns ``well``, ``role``, ``cell_line``, ``drug``,
``concentration``, ``unit`` (nM / uM / mM / M; or a unit in the header,
``concentration_uM``, or in the cell, ``10 uM``), ``replicate`` and
optionally ``plate``; other columns pass through. Lines at the top starting
with ``#`` carry the plate metadata as ``# key: value``::

    # readout: CellTiter-Glo
    # culture: 3D
    # incubation_hours: 72
    well,role,cell_line,drug,concentration,unit,replicate
    B2,sample,MDA-MB-231,defactinib,10,uM,1

Without a ``role`` column, wells with a drug and a dose are ``sample`` and
wells with dose 0 are ``vehicle``. Without a ``replicate`` column, wells
with the same plate, role, cell line, drug and dose are numbered 1, 2, ...
in row-major order.

Compact YAML layout
-------------------
.. code-block:: yaml

    plate:                      # plate metadata (all optional)
      format: 96                # 96 (default), 384 or 1536
      label: Plate 1            # only data plates with this label use the map
      readout: CellTiter-Glo
      culture: 3D
      matrigel_lot: "1234"
      matrigel_percent: 2
      seeding_density: 2000
      incubation_hours: 72
      time_zero: false
    cell_line: MDA-MB-231       # default for every block
    unit: uM                    # default unit for bare numbers
    replicates: by_row          # by_row | by_column | sequential (see below)
    blocks:
      - drug: defactinib        # a dilution series across columns
        rows: B-G               # "B-G", "B,D,F", [B, C], "H"
        columns: 2-10           # "2-10", [2, 3], 11; listed order is kept
        top_dose: 10 uM         # highest concentration, with its unit
        dilution: 3             # each step divides by 3 (also "1:3")
      - {role: vehicle, drug: DMSO, rows: B-G, columns: 11}
      - {role: blank, rows: B-G, columns: 12}
      - {role: positive_control, drug: staurosporine, rows: H, columns: 2-4,
         concentration: 1 uM}
      - {drug: SN-38, cell_line: HCT116, rows: B-G, columns: 1,
         top_row: B, top_dose: 1 uM, dilution: 10}   # series down a column
      - {role: vehicle, drug: DMSO, cell_line: HCT116, rows: A, columns: 1}

The first block can also be written as the task brief wrote it,
``top_column: 2`` with ``columns: 9`` (nine doses from column 2).

Block keys:

* ``role`` -- default ``sample``.
* where: ``rows`` and ``columns`` (each default: the whole plate), or
  ``wells: [B2, C2]``.
* dose, one of: ``concentration`` (same in every well); ``top_dose`` +
  ``dilution``; ``doses: [10, 3.3, 1.1]`` (one per step; bare numbers
  take ``unit``). A series runs along ``direction`` (``right``, ``left``,
  ``down``, ``up``), or from ``top_column`` / ``top_row`` toward the other
  end of ``columns`` / ``rows``; the default is across columns in the order
  listed. With ``top_column`` (``top_row``), an integer ``columns``
  (``rows``) counts the doses.
* ``cell_line``, ``unit`` -- override the top-level defaults.
* ``replicate: 2`` -- one number for the whole block; or ``replicates``:
  ``by_row`` (replicate = position of the row within the block, 1-based),
  ``by_column``, ``sequential`` (numbered like a table without a replicate
  column). Default: the top-level ``replicates``; else ``by_row`` for a
  series across columns, ``by_column`` for a series down rows and
  ``sequential`` for a block with one dose.
* ``extra: {key: value}`` -- extra columns for the block's wells.

Blocks may not overlap; uncovered wells are ``empty``. Vehicle wells get
concentration 0; blank and empty wells NaN.

Two drugs in a well (combination plates)
----------------------------------------
A map whose wells hold two drugs adds the columns ``drug2`` and
``concentration2`` (molar) to ``wells``; maps without a second drug are
unchanged. ``drug`` / ``concentration`` are drug 1.

Per-well table: columns ``drug2`` and ``concentration2`` (``conc2``,
``dose2``; a unit in the header, ``conc2_uM``, or in the cell, ``10 nM``),
and optionally ``unit2`` (else the unit of drug 1 applies). Drug 1 may be
written ``drug1`` / ``concentration1`` (``conc1``, ``dose1``) / ``unit1``.
A monotherapy well names both drugs with one dose 0, or drug 1 alone (empty
``drug2``); without a ``role`` column, a well whose given doses are all 0 is
``vehicle``::

    well,cell_line,drug1,conc1,drug2,conc2,unit
    B2,MDA-MB-231,defactinib,0,ruxolitinib,0.5,uM
    B3,MDA-MB-231,defactinib,1,ruxolitinib,0.5,uM
    H1,MDA-MB-231,DMSO,0,,,uM

YAML: a block with ``drug2`` is a combination block; drug 2's dose is
``concentration2``, ``top_dose2`` + ``dilution2``, or ``doses2`` (bare
numbers take ``unit2``, else ``unit``). When both drugs have a series,
drug 1's runs as a single-drug series does (across ``columns`` unless
``top_row`` / ``direction`` say otherwise) and drug 2's along the other
axis in its listed order (the top dose first); when only one drug has a
series, that series follows the single-drug rules. Doses may include 0::

    blocks:
      - drug: defactinib           # drug 1 across columns 2-7
        drug2: ruxolitinib         # drug 2 down rows B-G
        rows: B-G
        columns: 2-7
        doses: [0, 0.3, 1, 3, 10, 30]
        doses2: [0, 0.1, 0.3, 1, 3, 10]
        unit: uM
      - {role: vehicle, drug: DMSO, rows: B-G, columns: 8}

Replicates of a combination block default to ``sequential`` when both
drugs have a series; the replicate key includes ``drug2`` and
``concentration2``. A second drug is allowed on sample and positive-control
wells only, must differ from drug 1 and needs drug 1.

Checks (each error names the file, the row -- the YAML line of the block --
and the well): wells outside the plate (``Q1`` on a 96-well plate),
duplicated wells, an unknown role, a negative dose, a sample without a dose,
a missing or unknown unit (`~resistlab.errors.UnitError`; a dose of 0 needs
none), and a cell line with sample wells but no vehicle wells on its plate;
for two drugs, a ``drug2`` without its dose (or the reverse), without
``drug``, or equal to ``drug``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from resistlab.errors import PlateMapError, where
from resistlab.io._cells import Cell, Sheet, cell_text, is_blank_row, read_sheets
from resistlab.io._units import molar
from resistlab.wells import (
    check_in_plate,
    parse_columns_spec,
    parse_rows_spec,
    parse_well,
    shape_for_format,
    well_name,
)

__all__ = [
    "MAP_COLUMNS",
    "PAIR_COLUMNS",
    "PLATE_METADATA_KEYS",
    "ROLES",
    "PlateMap",
    "read_plate_map",
]

#: Well roles, in the order the assay table documents them.
ROLES = ("sample", "vehicle", "blank", "positive_control", "empty")

#: Leading columns of `PlateMap.wells`.
MAP_COLUMNS = [
    "plate",
    "well",
    "row",
    "col",
    "role",
    "cell_line",
    "drug",
    "concentration",
    "replicate",
    "map_source",
]

#: Columns of `PlateMap.wells` after `MAP_COLUMNS` in maps with a second drug.
PAIR_COLUMNS = ["drug2", "concentration2"]

#: Plate-level metadata that becomes columns of the assay table.
PLATE_METADATA_KEYS = (
    "readout",
    "culture",
    "matrigel_lot",
    "matrigel_percent",
    "seeding_density",
    "incubation_hours",
    "time_zero",
)

_ROLE_ALIASES: dict[str, str] = {
    "sample": "sample",
    "treated": "sample",
    "treatment": "sample",
    "drug": "sample",
    "vehicle": "vehicle",
    "control": "vehicle",
    "negative_control": "vehicle",
    "neg_control": "vehicle",
    "dmso": "vehicle",
    "untreated": "vehicle",
    "blank": "blank",
    "background": "blank",
    "medium": "blank",
    "media": "blank",
    "medium_only": "blank",
    "no_cells": "blank",
    "positive_control": "positive_control",
    "pos_control": "positive_control",
    "positive": "positive_control",
    "empty": "empty",
    "unused": "empty",
    "none": "empty",
}

_READOUT_NAMES: dict[str, str] = {
    "mtt": "MTT",
    "cck-8": "CCK-8",
    "cck8": "CCK-8",
    "wst-8": "CCK-8",
    "celltiter-glo": "CellTiter-Glo",
    "celltiter glo": "CellTiter-Glo",
    "ctg": "CellTiter-Glo",
    "glo": "CellTiter-Glo",
    "celltiter-glo 3d": "CellTiter-Glo 3D",
    "ctg3d": "CellTiter-Glo 3D",
    "resazurin": "resazurin",
    "alamarblue": "resazurin",
    "srb": "SRB",
}

_CULTURES = {"2d": "2D", "monolayer": "2D", "3d": "3D", "spheroid": "3D", "organoid": "3D"}

# per-well table headers (lower case, spaces/dashes as "_") -> canonical column
_COLUMN_ALIASES: dict[str, str] = {
    "well": "well",
    "wells": "well",
    "well_id": "well",
    "well_position": "well",
    "position": "well",
    "role": "role",
    "type": "role",
    "well_type": "role",
    "cell_line": "cell_line",
    "cellline": "cell_line",
    "cell": "cell_line",
    "cells": "cell_line",
    "line": "cell_line",
    "drug": "drug",
    "compound": "drug",
    "agent": "drug",
    "treatment": "drug",
    "concentration": "concentration",
    "conc": "concentration",
    "dose": "concentration",
    "unit": "unit",
    "units": "unit",
    "concentration_unit": "unit",
    "conc_unit": "unit",
    # combination plates: drug 1 spelled with its number, and drug 2
    "drug1": "drug",
    "drug_1": "drug",
    "compound1": "drug",
    "compound_1": "drug",
    "concentration1": "concentration",
    "concentration_1": "concentration",
    "conc1": "concentration",
    "conc_1": "concentration",
    "dose1": "concentration",
    "dose_1": "concentration",
    "unit1": "unit",
    "unit_1": "unit",
    "conc_unit1": "unit",
    "drug2": "drug2",
    "drug_2": "drug2",
    "compound2": "drug2",
    "compound_2": "drug2",
    "concentration2": "concentration2",
    "concentration_2": "concentration2",
    "conc2": "concentration2",
    "conc_2": "concentration2",
    "dose2": "concentration2",
    "dose_2": "concentration2",
    "unit2": "unit2",
    "unit_2": "unit2",
    "conc_unit2": "unit2",
    "replicate": "replicate",
    "rep": "replicate",
    "replicate_number": "replicate",
    "plate": "plate",
    "plate_id": "plate",
    "plate_label": "plate",
    "barcode": "plate",
}
_CONC_WITH_UNIT = re.compile(
    r"^(?:concentration|conc|dose)[\s_]*([12])?[\s_]*"
    r"(?:[\[(]\s*([^\])]+?)\s*[\])]|_([A-Za-zµμ/]+))$",
    re.IGNORECASE,
)
_DOSE_TEXT = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")

_TOP_KEYS = {"plate", "cell_line", "unit", "replicates", "blocks"}
_BLOCK_KEYS = {
    "role",
    "drug",
    "cell_line",
    "rows",
    "columns",
    "wells",
    "concentration",
    "top_dose",
    "dilution",
    "doses",
    "concentrations",
    "direction",
    "top_column",
    "top_row",
    "unit",
    "replicate",
    "replicates",
    "extra",
    "drug2",
    "concentration2",
    "top_dose2",
    "dilution2",
    "doses2",
    "concentrations2",
    "unit2",
}
#: YAML keys of drug 2's dose, and the drug-1 key each mirrors.
_DOSE2_KEYS = {
    "concentration2": "concentration",
    "top_dose2": "top_dose",
    "dilution2": "dilution",
    "doses2": "doses",
    "concentrations2": "concentrations",
}
_REPLICATE_MODES = {"by_row", "by_column", "sequential"}
_DIRECTIONS = {"right", "left", "down", "up"}


class _MapLoader(yaml.SafeLoader):
    """Safe YAML loader without YAML 1.1's base-60 numbers (``1:3`` stays text)."""


_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_MapLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in {_INT_TAG, _FLOAT_TAG}]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_MapLoader.add_implicit_resolver(
    _INT_TAG,
    re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"),
    list("-+0123456789"),
)
_MapLoader.add_implicit_resolver(
    _FLOAT_TAG,
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9_]+|[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


@dataclass(frozen=True, eq=False)
class PlateMap:
    """What every well of a plate holds.

    Parameters
    ----------
    wells : DataFrame
        One row per well, columns `MAP_COLUMNS` then any pass-through
        columns; see the module documentation.
    metadata : dict
        Plate metadata: every key of `PLATE_METADATA_KEYS` (None when not
        given; ``time_zero`` False) plus any other key given.
    format : int
        Plate size: 96, 384 or 1536.
    file : str
        File name the map came from.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame(
    ...     {
    ...         "well": ["A1", "A2", "A3"],
    ...         "role": ["sample", "sample", "vehicle"],
    ...         "cell_line": "MCF7",
    ...         "drug": ["defactinib", "defactinib", None],
    ...         "concentration": [10, 1, 0],
    ...         "unit": "uM",
    ...     }
    ... )
    >>> plate_map = PlateMap.from_frame(table, metadata={"readout": "mtt"})
    >>> plate_map.wells.loc[:2, ["well", "role", "replicate"]]
      well     role  replicate
    0   A1   sample          1
    1   A2   sample          1
    2   A3  vehicle          1
    >>> plate_map.wells["concentration"].iloc[:3].tolist()
    [1e-05, 1e-06, 0.0]
    >>> plate_map.metadata["readout"], len(plate_map.wells)
    ('MTT', 96)
    """

    wells: pd.DataFrame
    metadata: dict[str, Any] = field(default_factory=dict)
    format: int = 96
    file: str = ""

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        metadata: Mapping[str, Any] | None = None,
        plate_format: int | None = None,
        file: str = "",
    ) -> PlateMap:
        """Build a map from a per-well table shaped like the CSV form.

        Parameters
        ----------
        frame : DataFrame
            Columns as in a per-well CSV (``well``, ``role``, ``cell_line``,
            ``drug``, ``concentration``, ``unit``, ``replicate``, ...).
        metadata : mapping, optional
            Plate metadata (``readout``, ``culture``, ``format``, ...).
        plate_format : {96, 384, 1536}, optional
            Plate size; else ``metadata["format"]``, else 96.
        file : str, optional
            Name used in messages and ``map_source``.

        Raises
        ------
        PlateMapError, UnitError
            As `read_plate_map`.
        """
        names = [str(c) for c in frame.columns]
        rows = [
            [None if _missing(v) else v for v in record]
            for record in frame.itertuples(index=False, name=None)
        ]
        sources = [f"{file or '<table>'}, row {i + 2}" for i in range(len(rows))]
        return _from_records(
            names,
            rows,
            sources,
            [i + 2 for i in range(len(rows))],
            metadata=dict(metadata or {}),
            plate_format=plate_format,
            file=file or "<table>",
        )

    @property
    def plates(self) -> list[str]:
        """Plate labels the map names (empty when it applies to any plate)."""
        return [str(p) for p in self.wells["plate"].dropna().unique()]


# --------------------------------------------------------------------------- helpers


def _missing(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _text(value: object) -> str | None:
    if _missing(value):
        return None
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return str(value).strip()


def _role(value: object, context: str) -> str | None:
    text = _text(value)
    if text is None:
        return None
    key = re.sub(r"[\s\-]+", "_", text.lower())
    role = _ROLE_ALIASES.get(key)
    if role is None:
        msg = f"{context}unknown role {text!r}; expected one of {', '.join(ROLES)}"
        raise PlateMapError(msg)
    return role


def _dose(value: object, unit: object, context: str) -> float:
    """Return a dose in molar from a number (+ `unit`) or a text such as ``'10 uM'``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    else:
        text = str(value)
        match = _DOSE_TEXT.match(text)
        if match is None:
            msg = f"{context}dose {text!r} is not a number (with an optional unit such as '10 uM')"
            raise PlateMapError(msg)
        number = float(match.group(1))
        if match.group(2):
            unit = match.group(2)
    if not math.isfinite(number):
        msg = f"{context}dose {value!r} is not a finite number"
        raise PlateMapError(msg)
    if number < 0:
        msg = f"{context}negative dose {value!r}; concentrations must be >= 0"
        raise PlateMapError(msg)
    if number == 0 and _missing(unit):
        return 0.0  # zero needs no unit (the untreated end of a combination series)
    return float(molar(number, None if _missing(unit) else str(unit), context=context))


def _as_bool(value: object, context: str) -> bool:
    if isinstance(value, bool):
        return value
    text = (_text(value) or "").lower()
    if text in {"true", "yes", "y", "1", "t"}:
        return True
    if text in {"false", "no", "n", "0", "f", ""}:
        return False
    msg = f"{context}time_zero must be true or false, got {value!r}"
    raise PlateMapError(msg)


def _leading_number(value: object, key: str, context: str) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    match = re.match(r"^\s*([-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)", str(value))
    if match is None:
        msg = f"{context}{key} must be a number, got {value!r}"
        raise PlateMapError(msg)
    return float(match.group(1))


def _normalize_metadata(raw: Mapping[str, Any], context: str) -> dict[str, Any]:
    """Return plate metadata with every standard key, values cleaned."""
    meta: dict[str, Any] = {key: None for key in PLATE_METADATA_KEYS}
    meta["time_zero"] = False
    for key, value in raw.items():
        key = str(key).strip()
        if _missing(value) and key != "time_zero":
            continue
        if key == "readout":
            text = str(value).strip()
            meta[key] = _READOUT_NAMES.get(text.lower(), text)
        elif key == "culture":
            text = str(value).strip()
            culture = _CULTURES.get(text.lower())
            if culture is None:
                msg = f"{context}culture must be 2D or 3D, got {value!r}"
                raise PlateMapError(msg)
            meta[key] = culture
        elif key == "matrigel_lot":
            meta[key] = _text(value)
        elif key in {"matrigel_percent", "seeding_density", "incubation_hours"}:
            number = _leading_number(value, key, context)
            if number < 0:
                msg = f"{context}{key} must be >= 0, got {value!r}"
                raise PlateMapError(msg)
            meta[key] = number
        elif key == "time_zero":
            meta[key] = _as_bool(value, context)
        else:
            meta[key] = value
    return meta


def _plate_format(value: object, context: str) -> int:
    try:
        wells = int(str(value).strip().removesuffix("-well").removesuffix(" wells"))
        shape_for_format(wells)
    except ValueError as err:
        msg = f"{context}plate format must be 96, 384 or 1536, got {value!r}"
        raise PlateMapError(msg) from err
    return wells


# --------------------------------------------------------------------------- per-well rows


def _canonical_column(name: str) -> tuple[str, str | None]:
    """Return (canonical name, unit from the header or None)."""
    match = _CONC_WITH_UNIT.match(name.strip())
    if match:
        column = "concentration2" if match.group(1) == "2" else "concentration"
        return column, (match.group(2) or match.group(3))
    key = re.sub(r"[\s\-]+", "_", name.strip().lower())
    return _COLUMN_ALIASES.get(key, name.strip()), None


def _from_records(
    names: Sequence[str],
    rows: Sequence[Sequence[object]],
    sources: Sequence[str],
    row_numbers: Sequence[int],
    *,
    metadata: dict[str, Any],
    plate_format: int | None,
    file: str,
) -> PlateMap:
    """Normalize per-well records (the CSV form) into a `PlateMap`."""
    canon: list[str] = []
    header_units: dict[str, str] = {}
    for name in names:
        column, unit_in_header = _canonical_column(name)
        if unit_in_header is not None:
            header_units[column] = unit_in_header
        canon.append(column)
    header_unit = header_units.get("concentration")
    pair = "drug2" in canon or "concentration2" in canon
    repeated = sorted({c for c in canon if canon.count(c) > 1})
    if repeated:
        msg = f"{where(file)}columns {repeated} appear more than once (after naming aliases)"
        raise PlateMapError(msg)
    if "well" not in canon:
        msg = f"{where(file)}a per-well plate map needs a 'well' column; found {list(names)}"
        raise PlateMapError(msg)
    if plate_format is None:
        plate_format = (
            _plate_format(metadata["format"], where(file)) if "format" in metadata else 96
        )
    meta = _normalize_metadata(
        {k: v for k, v in metadata.items() if k not in {"format", "label"}}, where(file)
    )
    meta["format"] = plate_format
    if "label" in metadata:
        meta["label"] = _text(metadata["label"])
    extras = [n for n, c in zip(names, canon, strict=True) if c not in _COLUMN_ALIASES.values()]

    records = []
    for values, source, line in zip(rows, sources, row_numbers, strict=True):
        cell = dict(zip(canon, values, strict=False))
        raw_well = _text(cell.get("well"))
        context = where(file, row=line, well=raw_well)
        try:
            if raw_well is None:
                msg = "no well name"
                raise ValueError(msg)
            r, c = parse_well(raw_well)
            check_in_plate(r, c, plate_format)
        except ValueError as err:
            msg = f"{context}{err}"
            raise PlateMapError(msg) from err
        well = well_name(r, c)
        context = where(file, row=line, well=well)
        conc_value = cell.get("concentration")
        unit: object = cell.get("unit") if not _missing(cell.get("unit")) else header_unit
        role = _role(cell.get("role"), context) if "role" in canon else None
        drug = _text(cell.get("drug"))
        drug2 = _text(cell.get("drug2"))
        conc2_value = cell.get("concentration2")
        unit2: object = cell.get("unit2")
        if _missing(unit2):
            unit2 = header_units.get("concentration2", unit)
        if role is None and "role" not in canon:
            role = _infer_role(drug, conc_value, unit, context)
            if pair:
                role = _infer_pair_role(role, drug2, conc2_value, unit2, context)
        record = {
            "plate": _text(cell.get("plate")) or meta.get("label"),
            "well": well,
            "row": r,
            "col": c,
            "role": role or "empty",
            "cell_line": _text(cell.get("cell_line")),
            "drug": drug,
            "concentration": _well_dose(role or "empty", conc_value, unit, context),
            "replicate": _replicate(cell.get("replicate"), context),
            "map_source": source,
        }
        if pair:
            record["drug2"] = drug2
            record["concentration2"] = _well_dose2(
                role or "empty", drug, drug2, conc2_value, unit2, context
            )
        for name in extras:
            record[name] = values[names.index(name)] if names.index(name) < len(values) else None
        records.append(record)
    return _build(records, meta, plate_format, file, extras)


def _infer_role(drug: str | None, conc: object, unit: object, context: str) -> str:
    if _missing(conc):
        return "empty" if drug is None else "sample"
    return "vehicle" if _dose(conc, unit if not _missing(unit) else "M", context) == 0 else "sample"


def _infer_pair_role(
    role: str, drug2: str | None, conc2: object, unit: object, context: str
) -> str:
    """Role of a well of a two-drug table without a role column, given drug 1's inference.

    A well is ``vehicle`` when every dose it gives is 0, else ``sample``.
    """
    if _missing(conc2):
        return "sample" if drug2 is not None else role
    dose2 = _dose(conc2, unit if not _missing(unit) else "M", context)
    if role == "empty":  # no drug-1 dose: drug 2 alone decides
        return "vehicle" if dose2 == 0 else "sample"
    return "vehicle" if role == "vehicle" and dose2 == 0 else "sample"


def _well_dose2(
    role: str, drug: str | None, drug2: str | None, value: object, unit: object, context: str
) -> float:
    """Molar dose of drug 2 of a well of a two-drug table (NaN where it has none)."""
    if role in {"blank", "empty"}:
        return math.nan
    if role == "vehicle":
        if not _missing(value) and _dose(value, unit if not _missing(unit) else "M", context):
            msg = f"{context}vehicle well with a non-zero concentration2 {value!r}; use role sample"
            raise PlateMapError(msg)
        return 0.0
    if drug2 is None:
        if not _missing(value):
            msg = f"{context}concentration2 {value!r} is given but drug2 is empty"
            raise PlateMapError(msg)
        return math.nan
    if drug is None:
        msg = f"{context}drug2 {drug2!r} is given but drug (drug 1) is empty"
        raise PlateMapError(msg)
    if drug == drug2:
        msg = f"{context}drug and drug2 are both {drug!r}; a combination needs two drugs"
        raise PlateMapError(msg)
    if _missing(value):
        msg = f"{context}{role} well with drug2 {drug2!r} has no concentration2"
        raise PlateMapError(msg)
    return _dose(value, unit, context)


def _well_dose(role: str, value: object, unit: object, context: str) -> float:
    if role in {"blank", "empty"}:
        return math.nan
    if _missing(value):
        if role == "sample":
            msg = f"{context}sample well has no concentration"
            raise PlateMapError(msg)
        return 0.0 if role == "vehicle" else math.nan
    if role == "vehicle":
        if _dose(value, unit if not _missing(unit) else "M", context) != 0:
            msg = f"{context}vehicle well with a non-zero concentration {value!r}; use role sample"
            raise PlateMapError(msg)
        return 0.0
    return _dose(value, unit, context)


def _replicate(value: object, context: str) -> int | None:
    if _missing(value):
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number != int(number) or number < 1:
        msg = f"{context}replicate must be a whole number >= 1, got {value!r}"
        raise PlateMapError(msg)
    return int(number)


def _build(
    records: list[dict[str, Any]],
    meta: dict[str, Any],
    plate_format: int,
    file: str,
    extras: Sequence[str],
) -> PlateMap:
    """Check duplicates and vehicles, fill empty wells and replicates."""
    pair = any("drug2" in rec for rec in records)
    pair_columns = PAIR_COLUMNS if pair else []
    if pair:
        for rec in records:
            rec.setdefault("drug2", None)
            if _missing(rec.get("concentration2")):
                rec["concentration2"] = 0.0 if rec["role"] == "vehicle" else math.nan
    extras = [name for name in extras if name not in PAIR_COLUMNS]
    seen: dict[tuple[str | None, int, int], str] = {}
    for rec in records:
        key = (rec["plate"], rec["row"], rec["col"])
        if key in seen:
            plate = "" if rec["plate"] is None else f" of plate {rec['plate']!r}"
            msg = (
                f"{rec['map_source']}, well {rec['well']}: duplicated well{plate} "
                f"(first defined at {seen[key]})"
            )
            raise PlateMapError(msg)
        seen[key] = rec["map_source"]

    plates = list(dict.fromkeys(rec["plate"] for rec in records)) or [meta.get("label")]
    nrows, ncols = shape_for_format(plate_format)
    for plate in plates:
        for r in range(nrows):
            for c in range(ncols):
                if (plate, r, c) not in seen:
                    rec = {
                        "plate": plate,
                        "well": well_name(r, c),
                        "row": r,
                        "col": c,
                        "role": "empty",
                        "cell_line": None,
                        "drug": None,
                        "concentration": math.nan,
                        "replicate": None,
                        "map_source": f"{file} (not listed)",
                    }
                    rec.update({name: None for name in extras})
                    if pair:
                        rec.update({"drug2": None, "concentration2": math.nan})
                    records.append(rec)

    frame = pd.DataFrame.from_records(records, columns=[*MAP_COLUMNS, *pair_columns, *extras])
    frame.loc[frame["role"].isin(["blank", "empty"]), "cell_line"] = None
    frame["_plate_key"] = frame["plate"].fillna("\x00")
    frame = frame.sort_values(["_plate_key", "row", "col"], kind="stable").reset_index(drop=True)

    # replicate numbering for wells that have none
    used = frame["role"] != "empty"
    frame.loc[~used, "replicate"] = None
    key_columns = ["_plate_key", "role", "cell_line", "drug", "concentration", *pair_columns]
    keys = frame.loc[used, key_columns]
    keys = keys.fillna(
        {"cell_line": "\x00", "drug": "\x00", "concentration": -1.0}
        | ({"drug2": "\x00", "concentration2": -1.0} if pair else {})
    )
    sequence = keys.groupby(list(keys.columns), sort=False).cumcount() + 1
    need = frame["replicate"].isna() & used
    frame.loc[need, "replicate"] = sequence.reindex(frame.index)[need]

    _check_vehicles(frame, file)
    frame = frame.drop(columns="_plate_key")
    frame = frame.astype(
        {
            "plate": "str",
            "well": "str",
            "row": "int64",
            "col": "int64",
            "role": "str",
            "cell_line": "str",
            "drug": "str",
            "concentration": "float64",
            "replicate": "Int64",
            "map_source": "str",
        }
        | ({"drug2": "str", "concentration2": "float64"} if pair else {})
    )
    return PlateMap(wells=frame, metadata=meta, format=plate_format, file=file)


def _check_vehicles(frame: pd.DataFrame, file: str) -> None:
    for plate_key, wells in frame.groupby("_plate_key", sort=False):
        vehicle = wells[wells["role"] == "vehicle"]
        any_line = vehicle["cell_line"].isna().any()
        covered = set(vehicle["cell_line"].dropna())
        samples = wells[wells["role"] == "sample"]
        for line, group in samples.groupby(samples["cell_line"].fillna("\x00"), sort=False):
            if any_line or line in covered:
                continue
            first = group.iloc[0]
            name = "(no cell line)" if line == "\x00" else repr(line)
            plate = "" if plate_key == "\x00" else f" on plate {plate_key!r}"
            msg = (
                f"{first['map_source']}, well {first['well']}: cell line {name} has "
                f"{len(group)} sample wells but no vehicle wells{plate} to normalize them; "
                f"add wells with role vehicle (in {file})"
            )
            raise PlateMapError(msg)


# --------------------------------------------------------------------------- CSV / XLSX


def _read_table_map(path: Path, sheet: str | int | None) -> PlateMap:
    sheets = read_sheets(path, sheet=0 if sheet is None else sheet)
    table: Sheet = sheets[0]
    meta: dict[str, Any] = {}
    header: int | None = None
    for i, row in enumerate(table.rows):
        if is_blank_row(row):
            continue
        first = cell_text(row[0]) if row else ""
        if first.startswith("#"):
            text = " ".join(cell_text(c) for c in row if c is not None).lstrip("#").strip()
            key, sep, value = text.partition(":")
            if sep and key.strip():
                meta[key.strip()] = value.strip()
            continue
        header = i
        break
    if header is None:
        msg = f"{where(path.name)}no header row found in the plate map"
        raise PlateMapError(msg)
    names = [cell_text(c).strip() for c in table.rows[header]]
    rows: list[list[Cell]] = []
    lines: list[int] = []
    for i in range(header + 1, len(table.rows)):
        row = table.rows[i]
        if is_blank_row(row) or cell_text(row[0]).startswith("#"):
            continue
        rows.append([row[j] if j < len(row) else None for j in range(len(names))])
        lines.append(i + 1)
    file = path.name if table.name is None else f"{path.name}, sheet {table.name!r}"
    plate_format = _plate_format(meta["format"], where(file)) if "format" in meta else None
    return _from_records(
        names,
        [[_numeric_or_text(c) for c in row] for row in rows],
        [f"{file}, row {line}" for line in lines],
        lines,
        metadata=meta,
        plate_format=plate_format,
        file=file,
    )


def _numeric_or_text(cell: Cell) -> object:
    if isinstance(cell, str):
        try:
            return float(cell)
        except ValueError:
            return cell
    return cell


# --------------------------------------------------------------------------- YAML


def _yaml_lines(text: str) -> tuple[dict[str, int], list[int]]:
    """Line numbers (1-based) of top-level keys and of each block."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    keys: dict[str, int] = {}
    blocks: list[int] = []
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            keys[str(key_node.value)] = key_node.start_mark.line + 1
            if key_node.value == "blocks" and isinstance(value_node, yaml.SequenceNode):
                blocks = [item.start_mark.line + 1 for item in value_node.value]
    return keys, blocks


def _read_yaml_map(path: Path) -> PlateMap:
    text = path.read_text(encoding="utf-8")
    try:
        doc = yaml.load(text, Loader=_MapLoader)
        key_lines, block_lines = _yaml_lines(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = None if mark is None else mark.line + 1
        msg = f"{where(path.name, row=line)}invalid YAML: {err}"
        raise PlateMapError(msg) from err
    if not isinstance(doc, dict):
        msg = f"{where(path.name)}a YAML plate map must be a mapping with 'plate' and 'blocks'"
        raise PlateMapError(msg)
    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        line = key_lines.get(str(unknown[0]))
        msg = (
            f"{where(path.name, row=line)}unknown top-level keys {unknown}; "
            f"expected some of {sorted(_TOP_KEYS)}"
        )
        raise PlateMapError(msg)
    plate = doc.get("plate") or {}
    if not isinstance(plate, dict):
        msg = f"{where(path.name, row=key_lines.get('plate'))}'plate' must be a mapping"
        raise PlateMapError(msg)
    context = where(path.name, row=key_lines.get("plate"))
    plate_format = _plate_format(plate["format"], context) if "format" in plate else 96
    meta = _normalize_metadata(
        {k: v for k, v in plate.items() if k not in {"format", "label"}}, context
    )
    meta["format"] = plate_format
    label = _text(plate.get("label"))
    if label is not None:
        meta["label"] = label

    blocks = doc.get("blocks") or []
    if not isinstance(blocks, list) or not blocks:
        msg = f"{where(path.name, row=key_lines.get('blocks'))}'blocks' must be a non-empty list"
        raise PlateMapError(msg)
    defaults = {
        "cell_line": _text(doc.get("cell_line")),
        "unit": doc.get("unit"),
        "replicates": doc.get("replicates"),
    }
    records: list[dict[str, Any]] = []
    extras: list[str] = []
    for number, (block, line) in enumerate(zip(blocks, block_lines, strict=True), start=1):
        source = f"{path.name}, row {line}"
        new = _expand_block(block, number, defaults, plate_format, path.name, line, label)
        for rec in new:
            rec["map_source"] = source
            for key in rec:
                if key not in MAP_COLUMNS and key not in extras:
                    extras.append(key)
        records.extend(new)
    for rec in records:
        for key in extras:
            rec.setdefault(key, None)
    return _build(records, meta, plate_format, path.name, extras)


def _series_axis(block: dict[str, Any], context: str) -> str | None:
    """Return 'columns', 'rows' or None (constant dose) for a block."""
    direction = block.get("direction")
    if direction is not None and str(direction) not in _DIRECTIONS:
        msg = f"{context}direction must be one of {sorted(_DIRECTIONS)}, got {direction!r}"
        raise PlateMapError(msg)
    if "top_column" in block and "top_row" in block:
        msg = f"{context}give top_column or top_row, not both"
        raise PlateMapError(msg)
    series = "top_dose" in block or "doses" in block or "concentrations" in block
    if not series:
        if "top_column" in block or "top_row" in block or "dilution" in block:
            msg = f"{context}top_column/top_row/dilution need a top_dose (or doses)"
            raise PlateMapError(msg)
        return None
    if "top_row" in block or direction in {"down", "up"}:
        return "rows"
    return "columns"


def _positions(
    block: dict[str, Any], axis: str | None, plate_format: int, context: str
) -> tuple[list[int], list[int]]:
    """Rows and columns of a block, each in dose order along a series axis."""
    nrows, ncols = shape_for_format(plate_format)
    try:
        rows = _axis_values(block, "rows", "top_row", nrows, axis == "rows", context)
        cols = _axis_values(block, "columns", "top_column", ncols, axis == "columns", context)
    except ValueError as err:
        msg = f"{context}{err}"
        raise PlateMapError(msg) from err
    return rows, cols


def _axis_values(
    block: dict[str, Any], key: str, top_key: str, size: int, is_series: bool, context: str
) -> list[int]:
    parse = parse_rows_spec if key == "rows" else parse_columns_spec
    spec = block.get(key)
    top = block.get(top_key)
    direction = block.get("direction")
    backwards = direction in {"left", "up"}
    if top is not None:
        tops = parse(top)
        if len(tops) != 1:
            msg = f"{top_key} must be one {key[:-1]}, got {top!r}"
            raise ValueError(msg)
        start = tops[0]
        if isinstance(spec, int) and not isinstance(spec, bool):  # a count of doses
            step = -1 if backwards else 1
            values = [start + step * i for i in range(spec)]
        else:
            values = parse(spec) if spec is not None else list(range(size))
            if start == min(values):
                values = sorted(values)
            elif start == max(values):
                values = sorted(values, reverse=True)
            else:
                msg = f"{top_key} {top!r} is not at an end of {key} {spec!r}"
                raise ValueError(msg)
    else:
        values = parse(spec) if spec is not None else list(range(size))
        if is_series and direction is not None:
            values = sorted(values, reverse=backwards)
    if any(not 0 <= v < size for v in values):
        msg = f"{key} {spec!r} reach beyond the plate, which has {size} {key}"
        raise ValueError(msg)
    return values


def _expand_block(
    block: object,
    number: int,
    defaults: dict[str, Any],
    plate_format: int,
    file: str,
    line: int,
    plate_label: str | None,
) -> list[dict[str, Any]]:
    context = where(file, row=line)
    if not isinstance(block, dict):
        msg = f"{context}block {number} must be a mapping of keys such as rows, columns, drug"
        raise PlateMapError(msg)
    unknown = sorted(set(block) - _BLOCK_KEYS)
    if unknown:
        msg = (
            f"{context}block {number} has unknown keys {unknown}; expected some of "
            f"{sorted(_BLOCK_KEYS)} (put extra columns under 'extra')"
        )
        raise PlateMapError(msg)
    role = _role(block.get("role", "sample"), context) or "sample"
    axis, axis2, block2 = _pair_axes(block, role, number, context)
    unit = block.get("unit", defaults["unit"])

    if "wells" in block:
        if axis is not None or axis2 is not None or "rows" in block or "columns" in block:
            msg = f"{context}'wells' cannot be combined with rows/columns or a dilution series"
            raise PlateMapError(msg)
        wells_spec = block["wells"]
        items = (
            wells_spec if isinstance(wells_spec, list) else re.split(r"\s*,\s*", str(wells_spec))
        )
        positions = []
        for item in items:
            try:
                r, c = parse_well(item)
                check_in_plate(r, c, plate_format)
            except ValueError as err:
                msg = f"{where(file, row=line, well=str(item))}{err}"
                raise PlateMapError(msg) from err
            positions.append((r, c))
        rows = list(dict.fromkeys(r for r, _ in positions))
        cols = list(dict.fromkeys(c for _, c in positions))
    else:
        rows, cols = _positions(block, axis or axis2, plate_format, context)
        positions = [(r, c) for r in rows for c in cols]

    first_well = well_name(*positions[0])
    well_context = where(file, row=line, well=first_well)
    steps = len(cols) if axis == "columns" else len(rows) if axis == "rows" else 0
    doses = _block_doses(block, role, axis, steps, unit, well_context)
    doses2: list[float] = []
    if block2 is not None:
        steps2 = len(cols) if axis2 == "columns" else len(rows) if axis2 == "rows" else 0
        unit2 = block.get("unit2", unit)
        doses2 = _block_doses(block2, role, axis2, steps2, unit2, f"{well_context}drug2: ")

    mode = block.get("replicates") or defaults["replicates"]
    if mode is None and axis is not None and axis2 is not None:
        mode = "sequential"  # a dose matrix: every well its own dose pair
    if mode is None:
        mode = {"rows": "by_column", "columns": "by_row"}.get(axis or axis2 or "", "sequential")
    if mode not in _REPLICATE_MODES:
        msg = f"{context}replicates must be one of {sorted(_REPLICATE_MODES)}, got {mode!r}"
        raise PlateMapError(msg)
    fixed = _replicate(block.get("replicate"), context)
    extra = block.get("extra") or {}
    if not isinstance(extra, dict):
        msg = f"{context}'extra' must be a mapping of column: value"
        raise PlateMapError(msg)
    clash = sorted(set(extra) & {*MAP_COLUMNS, *PAIR_COLUMNS})
    if clash:
        msg = f"{context}'extra' cannot set the map columns {clash}"
        raise PlateMapError(msg)

    cell_line = _text(block.get("cell_line", defaults["cell_line"]))
    drug = _text(block.get("drug"))
    out = []
    drug2 = _text(block.get("drug2"))
    for r, c in positions:
        dose = _dose_at(doses, axis, rows.index(r), cols.index(c))
        if fixed is not None:
            replicate: int | None = fixed
        elif mode == "by_row":
            replicate = rows.index(r) + 1
        elif mode == "by_column":
            replicate = cols.index(c) + 1
        else:
            replicate = None
        rec: dict[str, Any] = {
            "plate": plate_label,
            "well": well_name(r, c),
            "row": r,
            "col": c,
            "role": role,
            "cell_line": cell_line,
            "drug": drug,
            "concentration": dose,
            "replicate": replicate,
        }
        if block2 is not None:
            rec["drug2"] = drug2
            rec["concentration2"] = _dose_at(doses2, axis2, rows.index(r), cols.index(c))
        rec.update(extra)
        out.append(rec)
    return out


def _dose_at(doses: list[float], axis: str | None, row: int, col: int) -> float:
    """Dose of the well at position (`row`, `col`) of a block, along its series `axis`."""
    if axis == "columns":
        return doses[col]
    if axis == "rows":
        return doses[row]
    return doses[0]


def _has_series(block: Mapping[str, Any]) -> bool:
    return "top_dose" in block or "doses" in block or "concentrations" in block


def _pair_axes(
    block: dict[str, Any], role: str, number: int, context: str
) -> tuple[str | None, str | None, dict[str, Any] | None]:
    """Series axes of drug 1 and drug 2 of a block, and drug 2's dose keys as drug-1 keys.

    The third value is None for a block without ``drug2``; else a copy of the
    block whose ``concentration``, ``top_dose``, ... are drug 2's, for
    `_block_doses`.
    """
    given2 = [key for key in _DOSE2_KEYS if key in block]
    if "drug2" not in block:
        if given2:
            msg = f"{context}block {number} gives {given2[0]} but no drug2"
            raise PlateMapError(msg)
        return _series_axis(block, context), None, None
    if role not in {"sample", "positive_control"}:
        msg = f"{context}block {number} is {role} but names drug2; a second drug belongs to samples"
        raise PlateMapError(msg)
    if _text(block.get("drug")) is None:
        msg = f"{context}block {number} names drug2 {block['drug2']!r} but no drug (drug 1)"
        raise PlateMapError(msg)
    if _text(block.get("drug")) == _text(block.get("drug2")):
        msg = f"{context}block {number}: drug and drug2 are both {block['drug']!r}"
        raise PlateMapError(msg)
    if not given2 and role == "sample":
        msg = (
            f"{context}block {number} names drug2 but no dose of it: give concentration2, "
            "top_dose2 + dilution2, or doses2"
        )
        raise PlateMapError(msg)
    if "dilution2" in block and "top_dose2" not in block:
        msg = f"{context}block {number}: dilution2 needs a top_dose2"
        raise PlateMapError(msg)
    dose1_keys = set(_DOSE2_KEYS.values())
    block2 = {k: v for k, v in block.items() if k not in dose1_keys}
    block2.update({_DOSE2_KEYS[key]: block[key] for key in given2})
    if _has_series(block):
        axis = _series_axis(block, context)
        axis2 = None
        if _has_series(block2):
            axis2 = "rows" if axis == "columns" else "columns"
        return axis, axis2, block2
    if "dilution" in block:
        msg = f"{context}block {number}: dilution needs a top_dose (or doses)"
        raise PlateMapError(msg)
    # drug 1 has one dose: top_column / top_row / direction belong to drug 2's series
    return None, _series_axis(block2, context), block2


def _block_doses(
    block: dict[str, Any], role: str, axis: str | None, steps: int, unit: object, context: str
) -> list[float]:
    if role in {"blank", "empty"}:
        return [math.nan] * max(steps, 1)
    if role == "vehicle":
        if axis is not None:
            msg = f"{context}a vehicle block cannot have a dilution series"
            raise PlateMapError(msg)
        if "concentration" in block and _dose(block["concentration"], unit or "M", context) != 0:
            msg = f"{context}vehicle wells with a non-zero concentration; use role sample"
            raise PlateMapError(msg)
        return [0.0]
    if axis is None:
        if "concentration" not in block:
            if role == "positive_control":
                return [math.nan]
            msg = (
                f"{context}sample block without a dose: give concentration, "
                "top_dose + dilution, or doses"
            )
            raise PlateMapError(msg)
        return [_dose(block["concentration"], unit, context)]
    listed = block.get("doses", block.get("concentrations"))
    if listed is not None:
        if not isinstance(listed, list) or len(listed) != steps:
            msg = f"{context}doses must be a list of {steps} values, one per step; got {listed!r}"
            raise PlateMapError(msg)
        return [_dose(v, unit, context) for v in listed]
    top = _dose(block["top_dose"], unit, context)
    factor = _dilution(block.get("dilution"), context)
    return [top / factor**i for i in range(steps)]


def _dilution(value: object, context: str) -> float:
    if value is None:
        msg = f"{context}a top_dose series needs a dilution factor (e.g. dilution: 3)"
        raise PlateMapError(msg)
    text = str(value).strip()
    match = re.fullmatch(r"1\s*:\s*([\d.]+)", text)
    try:
        factor = float(match.group(1) if match else text)
    except ValueError:
        factor = math.nan
    if not factor > 1:
        msg = f"{context}dilution must be a factor > 1 (3 or '1:3' for one in three), got {value!r}"
        raise PlateMapError(msg)
    return factor


# --------------------------------------------------------------------------- entry point


def read_plate_map(path: str | Path, *, sheet: str | int | None = None) -> PlateMap:
    r"""Read a plate map: a per-well CSV/XLSX table or a compact YAML layout.

    Parameters
    ----------
    path : str or Path
        ``.yaml``/``.yml`` layout, or ``.csv``/``.tsv``/``.txt``/``.xlsx``
        per-well table (see the module documentation for both forms).
    sheet : str or int, optional
        Workbook sheet of an XLSX map (default: the first).

    Returns
    -------
    PlateMap
        ``wells`` with one row per well of the plate; concentrations molar.

    Raises
    ------
    PlateMapError
        Unknown or duplicated wells, unknown roles, negative doses, samples
        without a dose, cell lines without vehicle wells, malformed YAML.
    UnitError
        A dose without a unit or with an unknown one.
    FileFormatError
        The file cannot be read at all.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "map.yaml"
    >>> _ = path.write_text(
    ...     "plate: {format: 96, readout: MTT, culture: 2D}\n"
    ...     "cell_line: MCF7\n"
    ...     "blocks:\n"
    ...     "  - {drug: defactinib, rows: A-C, columns: 1-3, top_dose: 9 uM, dilution: 3}\n"
    ...     "  - {role: vehicle, rows: A-C, columns: 4}\n"
    ... )
    >>> wells = read_plate_map(path).wells.set_index("well")
    >>> wells.loc[["A1", "A2", "A3", "A4"], "concentration"].tolist()
    [9e-06, 3e-06, 1e-06, 0.0]
    >>> wells.loc["C2", "replicate"], wells.loc["H12", "role"]
    (np.int64(3), 'empty')
    """
    path = Path(path)
    if path.suffix.lower() in {".yaml", ".yml"}:
        if not path.is_file():
            msg = f"{where(path.name)}no such file: {path}"
            raise PlateMapError(msg)
        return _read_yaml_map(path)
    return _read_table_map(path, sheet)
