"""GDSC raw screening data (CancerRxGene) as an assay table.

The Genomics of Drug Sensitivity in Cancer project publishes raw plate data
as one CSV row per well: ``RESEARCH_PROJECT, BARCODE, SCAN_ID, DATE_CREATED,
SCAN_DATE, CELL_ID, MASTER_CELL_ID, COSMIC_ID, CELL_LINE_NAME,
SEEDING_DENSITY, DRUGSET_ID, ASSAY, DURATION, POSITION, TAG, DRUG_ID, CONC,
INTENSITY`` (format described in the gdscIC50 vignette "GDSC raw data",
CancerRxGene/gdscIC50). ``POSITION`` numbers wells row-wise (48 columns on a
1536-well plate, 24 on a 384-well plate), ``CONC`` is micromolar and
``DURATION`` is in days.

``TAG`` says what a well holds; `GDSC_TAG_ROLES` turns it into a role:

* ``L1-D1-S`` -- library drug 1 at dose 1 (the highest), single agent;
  ``R1-D1-S`` a reference compound: ``sample``.
* ``PC-1``, ``PC1-D1-S`` -- positive control: ``positive_control``.
* ``NC-1`` -- negative control treated with DMSO: ``vehicle``, the wells
  gdscIC50's ``normalizeData`` divides by.
* ``NC-0`` -- untreated negative control (no DMSO): ``empty`` by default, so
  that normalization matches gdscIC50; ``vehicle`` with
  ``untreated_as_vehicle=True``. The ``tag`` column keeps it either way.
* ``B`` -- blank, medium without cells: ``blank``.
* ``UN-USED`` (no cells, usually the plate edge), ``FAIL`` (drug withdrawn
  from screening) and ``SC`` (seeding control at a different density):
  ``empty``, excluded from analysis.
* ``DMSO`` at the same position as a drug tag is back-filling and is
  dropped; alone it is a ``vehicle``.

Combination tags (``-C``, anchors ``A1-S``) are not read yet.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from resistlab.errors import FileFormatError, where
from resistlab.io._assay import ASSAY_COLUMNS, ASSAY_DTYPES
from resistlab.io._units import molar
from resistlab.wells import describe_format, shape_for_format, well_name

__all__ = ["GDSC_COLUMNS", "GDSC_TAG_ROLES", "read_gdsc_raw"]

#: Columns a GDSC raw data file must have.
GDSC_COLUMNS = (
    "BARCODE",
    "SCAN_ID",
    "CELL_LINE_NAME",
    "SEEDING_DENSITY",
    "ASSAY",
    "DURATION",
    "POSITION",
    "TAG",
    "DRUG_ID",
    "CONC",
    "INTENSITY",
)

#: TAG pattern -> role, first match wins (from the gdscIC50 "GDSC raw data" vignette).
GDSC_TAG_ROLES: tuple[tuple[str, str], ...] = (
    (r"[LR]\d+-D\d+-S", "sample"),
    (r"[LR]\d+-S", "sample"),
    (r"PC-?\d*(-D\d+)?(-S)?", "positive_control"),
    (r"NC-1", "vehicle"),
    (r"NC-0", "empty"),
    (r"B", "blank"),
    (r"UN-USED", "empty"),
    (r"FAIL", "empty"),
    (r"SC", "empty"),
    (r"DMSO", "vehicle"),
)

_COMBINATION = re.compile(r"^(A\d+-[SC]|[LR]\d+(-D\d+)?-C)$")

#: ASSAY codes -> readout names used in the assay table.
_READOUTS = {"Glo": "CellTiter-Glo", "Syto60": "Syto60", "Resazurin": "resazurin"}

_EXTRA = ["tag", "barcode", "scan_id", "drugset_id", "cosmic_id", "position"]


def _role_of(tag: str) -> str | None:
    for pattern, role in GDSC_TAG_ROLES:
        if re.fullmatch(pattern, tag):
            return role
    return None


def read_gdsc_raw(
    path: str | Path,
    *,
    plate_format: int | None = None,
    untreated_as_vehicle: bool = False,
) -> pd.DataFrame:
    r"""Read a GDSC raw data CSV into the assay table.

    Parameters
    ----------
    path : str or Path
        GDSC raw data CSV (columns `GDSC_COLUMNS` at least).
    plate_format : {384, 1536}, optional
        Plate size; 1536 when any ``POSITION`` exceeds 384, else 384.
    untreated_as_vehicle : bool, default False
        Count untreated ``NC-0`` wells as vehicle too (by default only the
        DMSO-treated ``NC-1`` wells are, as in gdscIC50).

    Returns
    -------
    DataFrame
        The assay table (see `resistlab.io.ASSAY_COLUMNS`), one row per
        plate position in the file: ``plate`` is the barcode (barcode/scan
        when a barcode was scanned more than once), ``read`` is
        ``"INTENSITY"``, ``drug`` the ``DRUG_ID``, ``concentration`` molar,
        ``readout`` from ``ASSAY`` (``Glo`` is CellTiter-Glo),
        ``incubation_hours`` = 24 x ``DURATION``; extra columns ``tag``,
        ``barcode``, ``scan_id``, ``drugset_id``, ``cosmic_id``, ``position``.

    Raises
    ------
    FileFormatError
        Missing columns, an unknown or combination TAG, a position outside
        the plate, a position listed twice, a sample without a concentration
        or a negative concentration; the message names the file, row and well.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "gdsc.csv"
    >>> head = "BARCODE,SCAN_ID,CELL_LINE_NAME,SEEDING_DENSITY,ASSAY,DURATION,"
    >>> head += "POSITION,TAG,DRUG_ID,CONC,INTENSITY"
    >>> rows = ["7,1,A549,500,Glo,4,49,L1-D1-S,1003,0.1,2000", "7,1,A549,500,Glo,4,50,NC-1,,,9000"]
    >>> _ = path.write_text("\n".join([head, *rows]))
    >>> table = read_gdsc_raw(path, plate_format=1536)
    >>> table[["well", "role", "drug", "concentration", "value", "source"]]
      well     role  drug  concentration   value           source
    0   B1   sample  1003   1.000000e-07  2000.0  gdsc.csv, row 2
    1   B2  vehicle   NaN   0.000000e+00  9000.0  gdsc.csv, row 3
    """
    path = Path(path)
    name = path.name
    try:
        raw = pd.read_csv(path, dtype={"BARCODE": str, "TAG": str, "CELL_LINE_NAME": str})
    except FileNotFoundError as err:
        msg = f"{where(name)}no such file: {path}"
        raise FileFormatError(msg) from err
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        msg = f"{where(name)}cannot parse as CSV: {err}"
        raise FileFormatError(msg) from err
    missing = [c for c in GDSC_COLUMNS if c not in raw.columns]
    if missing:
        msg = f"{where(name)}not a GDSC raw data file: columns {missing} are missing"
        raise FileFormatError(msg)
    if raw.empty:
        return pd.DataFrame(columns=[*ASSAY_COLUMNS, *_EXTRA])
    line = np.arange(len(raw)) + 2  # spreadsheet row (header is row 1)
    raw = raw.assign(_line=line)

    tags = raw["TAG"].fillna("").astype(str).str.strip()
    roles = {}
    for tag in tags.unique():
        first_line = int(raw.loc[tags == tag, "_line"].iloc[0])
        if _COMBINATION.match(tag):
            msg = (
                f"{where(name, row=first_line)}combination treatment TAG {tag!r} is not supported; "
                "read_gdsc_raw reads single-agent screens"
            )
            raise FileFormatError(msg)
        tag_role = _role_of(tag)
        if tag_role is None:
            msg = f"{where(name, row=first_line)}unknown GDSC TAG {tag!r}"
            raise FileFormatError(msg)
        if tag == "NC-0" and untreated_as_vehicle:
            tag_role = "vehicle"
        roles[tag] = tag_role
    raw = raw.assign(_tag=tags, _role=tags.map(roles))

    # positions and plate size
    position = pd.to_numeric(raw["POSITION"], errors="coerce")
    if position.isna().any() or (position % 1 != 0).any() or (position < 1).any():
        bad = raw.loc[position.isna() | (position % 1 != 0) | (position < 1)].iloc[0]
        msg = f"{where(name, row=int(bad['_line']))}POSITION {bad['POSITION']} is not a well number"
        raise FileFormatError(msg)
    position = position.astype(np.int64)
    if plate_format is None:
        plate_format = 1536 if position.max() > 384 else 384
    nrows, ncols = shape_for_format(plate_format)
    outside = position > nrows * ncols
    if outside.any():
        bad = raw.loc[outside].iloc[0]
        msg = (
            f"{where(name, row=int(bad['_line']))}POSITION {bad['POSITION']} is outside the "
            f"{describe_format(plate_format)} plate"
        )
        raise FileFormatError(msg)
    raw = raw.assign(_pos=position)

    # plates: the barcode, made unique per scan when a barcode was scanned twice
    barcode = raw["BARCODE"].astype(str)
    scans = raw.groupby(barcode)["SCAN_ID"].transform("nunique")
    raw = raw.assign(
        _plate=np.where(scans > 1, barcode + "/" + raw["SCAN_ID"].astype(str), barcode)
    )

    # DMSO back-filling beside a drug tag is not a separate well
    key = ["_plate", "_pos"]
    per_well = raw.groupby(key)["_tag"].transform("size")
    raw = raw.loc[~((raw["_tag"] == "DMSO") & (per_well > 1))]
    repeated = raw.duplicated(key, keep=False)
    if repeated.any():
        dup = raw.loc[repeated].sort_values(["_plate", "_pos", "_line"])
        first, second = dup.iloc[0], dup.iloc[1]
        well = well_name(*divmod(int(first["_pos"]) - 1, ncols))
        msg = (
            f"{where(name, row=int(second['_line']), well=well)}position {first['_pos']} of plate "
            f"{first['_plate']} appears twice (also row {first['_line']}: TAG {first['_tag']!r} "
            f"and {second['_tag']!r}); combination wells are not supported"
        )
        raise FileFormatError(msg)

    role = raw["_role"].copy()
    no_drug = (role == "sample") & raw["DRUG_ID"].isna()
    role[no_drug] = "empty"  # as gdscIC50's removeMissingDrugs: no drug id, no analysis
    conc_um = pd.to_numeric(raw["CONC"], errors="coerce")
    needs = role == "sample"
    if (needs & conc_um.isna()).any():
        bad = raw.loc[needs & conc_um.isna()].iloc[0]
        msg = (
            f"{where(name, row=int(bad['_line']))}sample TAG {bad['_tag']!r} has no CONC "
            "(micromolar concentration)"
        )
        raise FileFormatError(msg)
    if (conc_um < 0).any():
        bad = raw.loc[conc_um < 0].iloc[0]
        msg = f"{where(name, row=int(bad['_line']))}negative CONC {bad['CONC']!r}"
        raise FileFormatError(msg)
    concentration = pd.Series(molar(conc_um.to_numpy(), "uM"), index=raw.index)
    concentration[role == "vehicle"] = 0.0
    concentration[role.isin(["blank", "empty"])] = np.nan

    drug_id = pd.to_numeric(raw["DRUG_ID"], errors="coerce")
    drug_name = drug_id.map(
        lambda d: None if pd.isna(d) else str(int(d)) if d == int(d) else str(d)
    )
    drug_name[role.isin(["vehicle", "blank", "empty"])] = None

    r, c = np.divmod(raw["_pos"].to_numpy() - 1, ncols)
    value = pd.to_numeric(raw["INTENSITY"], errors="coerce")
    assay = raw["ASSAY"].astype(str)
    table = pd.DataFrame(
        {
            "plate": raw["_plate"].to_numpy(),
            "read": "INTENSITY",
            "well": [well_name(i, j) for i, j in zip(r, c, strict=True)],
            "row": r,
            "col": c,
            "value": value.to_numpy(dtype=float),
            "read_flag": np.where(value.isna(), "missing", ""),
            "role": role.to_numpy(),
            "cell_line": raw["CELL_LINE_NAME"].where(~role.isin(["blank", "empty"])).to_numpy(),
            "drug": drug_name.to_numpy(),
            "concentration": concentration.to_numpy(),
            "replicate": pd.NA,
            "source": [f"{name}, row {n}" for n in raw["_line"]],
            "readout": assay.map(lambda a: _READOUTS.get(a, a)).to_numpy(),
            "culture": "2D",
            "matrigel_lot": None,
            "matrigel_percent": np.nan,
            "seeding_density": pd.to_numeric(raw["SEEDING_DENSITY"], errors="coerce").to_numpy(),
            "incubation_hours": 24.0 * pd.to_numeric(raw["DURATION"], errors="coerce").to_numpy(),
            "time_zero": False,
            "tag": raw["_tag"].to_numpy(),
            "barcode": barcode.loc[raw.index].to_numpy(),
            "scan_id": raw["SCAN_ID"].to_numpy(),
            "drugset_id": raw["DRUGSET_ID"].to_numpy() if "DRUGSET_ID" in raw else pd.NA,
            "cosmic_id": raw["COSMIC_ID"].to_numpy() if "COSMIC_ID" in raw else pd.NA,
            "position": raw["_pos"].to_numpy(),
        }
    )
    table = table.sort_values(["plate", "row", "col"], kind="stable").reset_index(drop=True)
    used = table["role"] != "empty"
    groups = table.loc[used, ["plate", "role", "drug", "concentration"]].fillna(
        {"drug": "\x00", "concentration": -1.0}
    )
    table.loc[used, "replicate"] = groups.groupby(list(groups.columns), sort=False).cumcount() + 1
    return table.astype({c: ASSAY_DTYPES[c] for c in ASSAY_COLUMNS})
