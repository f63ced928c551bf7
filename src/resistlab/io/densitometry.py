r"""Western blot and phospho-RTK array densitometry tables, one row per band or spot.

`read_densitometry` reads the tables that gel-imaging software exports and
returns one tidy table (`DENSITOMETRY_COLUMNS`), one row per band:

==============  ==============================================================
column          meaning
==============  ==============================================================
``file``        file name the band came from
``row``         its 1-based row in that file, as a spreadsheet shows it
``blot``        membrane (or array membrane) the band is on
``lane``        lane on that blot (text: ``"3"``; a spot such as ``"A1"``)
``sample``      sample loaded in the lane
``condition``   ``parental``, ``resistant``, ... (what `compare_conditions`
                contrasts)
``cell_line``   cell line
``treatment``   drug or vehicle of the lysate
``replicate``   biological replicate label
``target``      antibody / protein as written (``pSTAT3_Y705``, ``GAPDH``);
                synonyms are resolved later by `resistlab.imaging`
``signal``      background-subtracted band volume / intensity (>= 0)
==============  ==============================================================

Missing annotations are empty (``None``). Numbers are never rescaled.

Layouts (``layout=``; detected from the header when omitted)
--------------------------------------------------------------
``"tidy"``
    A lab table, CSV or XLSX, one row per band: a signal column (``signal``,
    ``intensity``, ``adj_volume``, ``volume``, ``density``, ``value``), a
    target column (``target``, ``antibody``, ``protein``, ``marker``), a lane
    (``lane``) or ``sample`` column, and any of ``condition`` (``group``),
    ``cell_line``, ``treatment``, ``replicate`` (``rep``) and ``blot``
    (``membrane``, ``gel``). Header names are matched ignoring case, spaces
    and punctuation.
``"imagej"``
    The ImageJ / Fiji *Results* table saved as CSV. From the Gel Analyzer
    (the wand clicked inside each lane's peak): an unnamed index column, then
    ``Area`` (the peak area, the band signal) and ``Percent``; one row per
    peak in the order clicked, so row 1 is lane 1 unless the index says
    otherwise. From *Analyze > Measure* on lane rectangles: ``RawIntDen``
    (else ``IntDen``, else ``Mean`` x ``Area``) is the signal, which is not
    background-subtracted -- invert and subtract before measuring. One file
    per antibody; the lanes sheet (below) or ``target=`` (a mapping file ->
    target for several files) names it.
``"image_lab"``
    A Bio-Rad Image Lab *Lane and Band* table export: ``Lane``,
    ``Band No.`` and the background-adjusted volume (``Adj. Vol. (Int)``,
    also written ``Adj. Volume (Int)``); only when no adjusted volume is
    exported is ``Volume (Int)`` used, as is. The target comes from a
    ``target`` / ``antibody`` column, else from ``Band Label``, else from
    the lanes sheet (by ``lane`` and ``band``) or ``target=``.
``"image_studio"``
    A LI-COR Image Studio shape export: ``Name``, ``Signal``, ``Total``,
    ``Bkgnd.``, ``Area``, ... where ``Signal = Total - Bkgnd. x Area``
    (LI-COR's definition). The lane is the ``Lane`` column when present,
    else the shape ``Name``.

Rows above the header (titles, notes, ``#`` comments) are skipped. Image Lab,
Image Studio and ImageJ column names come from the vendors' documentation
(LI-COR Image Studio *Reference*, "Calculation Descriptions"; ImageJ's
``GelAnalyzer``/``PlotsCanvas`` source, which writes ``Area`` and
``Percent``); Image Lab's are those seen in its exports. Other names raise
a clear error.

The lanes sheet (``lanes=``)
----------------------------
Exports name lanes, not samples. A small CSV / XLSX, one row per lane,
says what each lane holds::

    file,lane,blot,sample,condition,cell_line,replicate,target
    pSTAT3.csv,1,B1,P-1,parental,MDA-MB-231,1,pSTAT3_Y705
    pSTAT3.csv,2,B1,R-1,resistant,MDA-MB-231,1,pSTAT3_Y705
    STAT3.csv,1,B1,P-1,parental,MDA-MB-231,1,STAT3

``lane`` is required. ``file`` (a file name; empty = every file) and
``band`` (Image Lab band number) narrow a row; the most specific match wins.
Any of ``blot``, ``sample``, ``condition``, ``cell_line``, ``treatment``,
``replicate`` and ``target`` fill what the export leaves out (a value in the
export wins). With a lanes sheet, every band must find its lane in it.

Blots: a band's ``blot`` is the export's ``blot`` column, else the lanes
sheet's, else ``blot=``, else the lanes sheet's file stem (files annotated by
one sheet are one membrane stripped and re-probed), else the file stem.

Errors (`~resistlab.errors.FileFormatError`) name the file, row and column:
no recognisable header, a missing column, a non-numeric, missing or negative
signal, a lane missing from the lanes sheet, a band without a target, the
same blot / lane / target twice.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from resistlab.errors import FileFormatError, where
from resistlab.io._cells import Cell, Sheet, cell_text, is_blank_row, parse_reading, read_sheets

__all__ = ["DENSITOMETRY_COLUMNS", "DENSITOMETRY_LAYOUTS", "read_densitometry"]

#: Columns of the table `read_densitometry` returns, in order.
DENSITOMETRY_COLUMNS = [
    "file",
    "row",
    "blot",
    "lane",
    "sample",
    "condition",
    "cell_line",
    "treatment",
    "replicate",
    "target",
    "signal",
]

#: Layouts `read_densitometry` reads.
DENSITOMETRY_LAYOUTS = ("tidy", "imagej", "image_lab", "image_studio")

Layout = Literal["tidy", "imagej", "image_lab", "image_studio"]

_ANNOTATIONS = ("blot", "sample", "condition", "cell_line", "treatment", "replicate", "target")

# header key (lower case, punctuation -> "_") -> canonical column
_META_ALIASES: dict[str, str] = {
    "lane": "lane",
    "lane_no": "lane",
    "lane_number": "lane",
    "sample": "sample",
    "sample_name": "sample",
    "sample_id": "sample",
    "condition": "condition",
    "group": "condition",
    "cell_line": "cell_line",
    "cellline": "cell_line",
    "treatment": "treatment",
    "drug": "treatment",
    "replicate": "replicate",
    "rep": "replicate",
    "biological_replicate": "replicate",
    "blot": "blot",
    "blot_id": "blot",
    "membrane": "blot",
    "gel": "blot",
    "target": "target",
    "antibody": "target",
    "protein": "target",
    "marker": "target",
    "file": "file",
    "band": "band",
    "band_no": "band",
    "band_number": "band",
}

_TIDY_SIGNALS = (
    "signal",
    "intensity",
    "band_intensity",
    "adj_volume",
    "adj_vol",
    "adjusted_volume",
    "volume",
    "density",
    "integrated_density",
    "value",
)

_HEADER_SCAN_ROWS = 60


def _key(name: str) -> str:
    """``'Adj. Vol. (Int)'`` -> ``'adj_vol_int'``; ``' '`` -> ``''``."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def _text(cell: Cell) -> str | None:
    text = cell_text(cell).strip()
    return text or None


# --------------------------------------------------------------------------- layouts


def _image_lab_volume(keys: Sequence[str]) -> int | None:
    adjusted = [i for i, k in enumerate(keys) if k.startswith("adj") and "vol" in k]
    if adjusted:
        return adjusted[0]
    raw = [i for i, k in enumerate(keys) if k.startswith("vol") and k.endswith("int")]
    return raw[0] if raw else None


def _detect(keys: Sequence[str]) -> Layout | None:
    found = set(keys)
    if "signal" in found and ({"total", "bkgnd"} & found):
        return "image_studio"
    if "lane" in found and _image_lab_volume(keys) is not None:
        return "image_lab"
    if "area" in found and (
        {"percent", "rawintden", "intden", "label"} & found or (keys and keys[0] == "")
    ):
        return "imagej"
    has_signal = any(k in found for k in _TIDY_SIGNALS)
    has_where = bool({"target", "antibody", "protein", "marker", "lane", "sample"} & found)
    if has_signal and has_where:
        return "tidy"
    return None


@dataclass(frozen=True)
class _Header:
    row: int  # 0-based
    names: list[str]
    keys: list[str]
    layout: Layout


def _find_header(sheet: Sheet, layout: Layout | None) -> _Header:
    for i, row in enumerate(sheet.rows[:_HEADER_SCAN_ROWS]):
        if is_blank_row(row):
            continue
        first = cell_text(row[0]).strip() if row else ""
        if first.startswith("#"):
            continue
        names = [cell_text(c).strip() for c in row]
        keys = [_key(n) for n in names]
        detected = _detect(keys)
        if detected is not None and (layout is None or detected == layout):
            return _Header(i, names, keys, detected)
        if layout is not None and detected is None and _fits(keys, layout):
            return _Header(i, names, keys, layout)
    expected = {
        None: "a header of a tidy table, an ImageJ Results, Image Lab or Image Studio export",
        "tidy": "a header with a signal column and a target, lane or sample column",
        "imagej": "an ImageJ Results header with 'Area'",
        "image_lab": "an Image Lab header with 'Lane' and 'Adj. Vol. (Int)' (or 'Volume (Int)')",
        "image_studio": "an Image Studio header with 'Signal' and 'Total' or 'Bkgnd.'",
    }[layout]
    msg = f"{sheet.where()}found no {expected} in the first {_HEADER_SCAN_ROWS} rows"
    raise FileFormatError(msg)


def _fits(keys: Sequence[str], layout: Layout) -> bool:
    """Whether a header row could belong to `layout` (when the user named it)."""
    found = set(keys)
    if layout == "imagej":
        return "area" in found or "rawintden" in found or "intden" in found
    if layout == "image_lab":
        return _image_lab_volume(keys) is not None
    if layout == "image_studio":
        return "signal" in found
    return any(k in found for k in _TIDY_SIGNALS)


# --------------------------------------------------------------------------- lanes sheet


@dataclass(frozen=True)
class _Lanes:
    file: str
    stem: str
    entries: dict[tuple[str | None, str, str | None], dict[str, str | None]]

    def lookup(self, file: str, lane: str, band: str | None) -> dict[str, str | None] | None:
        stem = Path(file).stem
        for name in (file, stem, None):
            for b in (band, None) if band is not None else (None,):
                hit = self.entries.get((name, lane, b))
                if hit is not None:
                    return hit
        return None


def _read_lanes(path: str | Path) -> _Lanes:
    sheet = read_sheets(path, sheet=0)[0]
    rows = sheet.rows
    start = next(
        (
            i
            for i, r in enumerate(rows)
            if not is_blank_row(r) and not cell_text(r[0]).strip().startswith("#")
        ),
        None,
    )
    if start is None:  # pragma: no cover - read_sheets rejects empty files
        msg = f"{sheet.where()}the lanes sheet is empty"
        raise FileFormatError(msg)
    names = [cell_text(c).strip() for c in rows[start]]
    canon = [_META_ALIASES.get(_key(n), _key(n)) for n in names]
    if "lane" not in canon:
        msg = f"{sheet.where(start)}the lanes sheet needs a 'lane' column; found {names}"
        raise FileFormatError(msg)
    entries: dict[tuple[str | None, str, str | None], dict[str, str | None]] = {}
    for i in range(start + 1, len(rows)):
        row = rows[i]
        if is_blank_row(row):
            continue
        cells = {c: _text(row[j]) if j < len(row) else None for j, c in enumerate(canon)}
        lane = cells.get("lane")
        if lane is None:
            msg = f"{sheet.where(i)}column 'lane' is empty"
            raise FileFormatError(msg)
        file = cells.get("file")
        key = (None if file is None else Path(file).name, lane, cells.get("band"))
        if key in entries:
            msg = f"{sheet.where(i)}lane {lane!r} is listed twice" + (
                f" for file {file!r}" if file else ""
            )
            raise FileFormatError(msg)
        info = {c: cells.get(c) for c in _ANNOTATIONS}
        info["source"] = sheet.source(i)
        entries[key] = info
    path = Path(path)
    return _Lanes(file=path.name, stem=path.stem, entries=entries)


# --------------------------------------------------------------------------- one file


def _signal_column(header: _Header, sheet: Sheet) -> tuple[int, int | None]:
    """Index of the signal column (and of 'Area' when the signal is Mean x Area)."""
    keys = header.keys
    if header.layout == "image_studio":
        return keys.index("signal"), None
    if header.layout == "image_lab":
        index = _image_lab_volume(keys)
        if index is None:
            msg = (
                f"{sheet.where(header.row)}no 'Adj. Vol. (Int)' or 'Volume (Int)' column; "
                f"found {header.names}"
            )
            raise FileFormatError(msg)
        return index, None
    if header.layout == "imagej":
        for name in ("rawintden", "intden"):
            if name in keys:
                return keys.index(name), None
        if "mean" in keys and "area" in keys and "percent" not in keys:
            return keys.index("mean"), keys.index("area")
        if "area" in keys:
            return keys.index("area"), None
        msg = (
            f"{sheet.where(header.row)}no 'Area', 'IntDen' or 'RawIntDen' column; "
            f"found {header.names}"
        )
        raise FileFormatError(msg)
    for name in _TIDY_SIGNALS:
        if name in keys:
            return keys.index(name), None
    msg = (
        f"{sheet.where(header.row)}no signal column (one of {', '.join(_TIDY_SIGNALS)}); "
        f"found {header.names}"
    )
    raise FileFormatError(msg)


def _number(cell: Cell, sheet: Sheet, row: int, column: str) -> float:
    parsed = parse_reading(cell, decimal_comma=sheet.decimal_comma)
    context = f"{sheet.where(row)}column {column!r}: "
    if parsed is None:
        msg = f"{context}signal {cell_text(cell)!r} is not a number"
        raise FileFormatError(msg)
    value, flag = parsed
    if flag:
        msg = f"{context}signal is {flag} ({cell_text(cell) or 'empty'})"
        raise FileFormatError(msg)
    if value < 0:
        msg = (
            f"{context}negative signal {value:g}; band signals are background-subtracted "
            "volumes >= 0 (re-draw the background or set it to 0)"
        )
        raise FileFormatError(msg)
    return value


def _read_one(
    path: Path,
    layout: Layout | None,
    sheet_name: str | int | None,
    lanes: _Lanes | None,
    target: str | None,
    blot: str | None,
) -> list[dict[str, object]]:
    sheet = read_sheets(path, sheet=0 if sheet_name is None else sheet_name)[0]
    header = _find_header(sheet, layout)
    keys = header.keys
    canon = [_META_ALIASES.get(k) for k in keys]
    if header.layout == "image_studio" and "lane" not in canon and "name" in keys:
        canon[keys.index("name")] = "lane"
    if header.layout == "image_lab" and "target" not in canon and "band_label" in keys:
        canon[keys.index("band_label")] = "target"
    signal_at, area_at = _signal_column(header, sheet)
    signal_name = header.names[signal_at] or "signal"
    own_target = "target" in canon
    if header.layout == "tidy" and "lane" not in canon and "sample" not in canon:
        msg = (
            f"{sheet.where(header.row)}a tidy table needs a 'lane' or 'sample' column; "
            f"found {header.names}"
        )
        raise FileFormatError(msg)

    records: list[dict[str, object]] = []
    position = 0
    for i in range(header.row + 1, len(sheet.rows)):
        row = sheet.rows[i]
        if is_blank_row(row):
            continue
        position += 1
        cells: dict[str, str | None] = {}
        for j, column in enumerate(canon):
            if column is not None and column not in cells:
                cells[column] = _text(row[j]) if j < len(row) else None
        cell = row[signal_at] if signal_at < len(row) else None
        signal = _number(cell, sheet, i, signal_name)
        if area_at is not None:
            area_cell = row[area_at] if area_at < len(row) else None
            signal *= _number(area_cell, sheet, i, header.names[area_at])
        lane = cells.get("lane")
        if lane is None and header.layout == "imagej":
            index = _text(row[0]) if header.keys[0] == "" and row else None
            lane = index or str(position)
        if lane is None:
            lane = cells.get("sample")
        if lane is None:
            msg = f"{sheet.where(i)}no lane: column 'lane' (or 'sample') is empty"
            raise FileFormatError(msg)
        info: dict[str, str | None] = {c: cells.get(c) for c in _ANNOTATIONS}
        if lanes is not None:
            found = lanes.lookup(path.name, lane, cells.get("band"))
            if found is None:
                band = cells.get("band")
                msg = (
                    f"{sheet.where(i)}lane {lane!r}"
                    + (f", band {band}" if band else "")
                    + f" has no row for {path.name!r} in the lanes sheet {lanes.file}"
                )
                raise FileFormatError(msg)
            for column in _ANNOTATIONS:
                if info[column] is None:
                    info[column] = found[column]
        if info["target"] is None:
            info["target"] = target
        if info["target"] is None:
            msg = (
                f"{sheet.where(i)}lane {lane!r} has no target: add a target (antibody) "
                "column, a target in the lanes sheet, or pass target="
            )
            raise FileFormatError(msg)
        if info["blot"] is None:
            if blot is not None:
                info["blot"] = blot
            elif lanes is not None and not own_target:
                info["blot"] = lanes.stem
            else:
                info["blot"] = path.stem
        records.append(
            {"file": path.name, "row": i + 1, "lane": lane, **info, "signal": float(signal)}
        )
    if not records:
        msg = f"{sheet.where(header.row)}the table has a header but no bands"
        raise FileFormatError(msg)
    return records


# --------------------------------------------------------------------------- entry point


def read_densitometry(
    path: str | Path | Sequence[str | Path],
    *,
    layout: Layout | None = None,
    lanes: str | Path | None = None,
    target: str | Mapping[str, str] | None = None,
    blot: str | None = None,
    sheet: str | int | None = None,
) -> pd.DataFrame:
    r"""Read Western blot / protein array densitometry into one row per band.

    Parameters
    ----------
    path : str, Path or sequence of them
        One export or several (e.g. one ImageJ Results file per antibody);
        CSV, TSV, TXT or XLSX.
    layout : {"tidy", "imagej", "image_lab", "image_studio"}, optional
        Which export this is; detected from the header when omitted.
    lanes : str or Path, optional
        Lanes sheet saying what each lane holds (see the module docs).
    target : str or mapping, optional
        Target of every band whose file and lanes sheet name none; or a
        mapping file name (or stem) -> target, for one file per antibody.
    blot : str, optional
        Blot label of every band whose file and lanes sheet name none.
    sheet : str or int, optional
        Workbook sheet of XLSX exports (default: the first).

    Returns
    -------
    DataFrame
        Columns `DENSITOMETRY_COLUMNS`, one row per band, in file order.

    Raises
    ------
    FileFormatError
        Naming the file, row and column (see the module docs).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "bands.csv").write_text(
    ...     "lane,condition,target,signal\n"
    ...     "1,parental,pSTAT3_Y705,1200\n"
    ...     "2,resistant,pSTAT3_Y705,4800\n"
    ... )
    >>> table = read_densitometry(folder / "bands.csv")
    >>> table[["blot", "lane", "condition", "signal"]].to_dict("records")[1]
    {'blot': 'bands', 'lane': '2', 'condition': 'resistant', 'signal': 4800.0}
    """
    if layout is not None and layout not in DENSITOMETRY_LAYOUTS:
        msg = f"layout must be one of {', '.join(DENSITOMETRY_LAYOUTS)}, got {layout!r}"
        raise ValueError(msg)
    paths = [Path(path)] if isinstance(path, (str, Path)) else [Path(p) for p in path]
    if not paths:
        msg = "give at least one densitometry file"
        raise ValueError(msg)
    lane_sheet = _read_lanes(lanes) if lanes is not None else None
    records: list[dict[str, object]] = []
    for one in paths:
        if isinstance(target, Mapping):
            named = target.get(one.name, target.get(one.stem))
        else:
            named = target
        records.extend(_read_one(one, layout, sheet, lane_sheet, named, blot))
    table = pd.DataFrame.from_records(records, columns=DENSITOMETRY_COLUMNS)
    table["row"] = table["row"].astype("int64")
    table["signal"] = table["signal"].astype("float64")
    _check_duplicates(table)
    return table


def _check_duplicates(table: pd.DataFrame) -> None:
    keys = ["blot", "lane", "target"]
    repeated = table[table.duplicated(keys, keep=False)]
    if repeated.empty:
        return
    first = repeated.iloc[0]
    same = repeated[(repeated[keys] == first[keys]).all(axis=1)]
    places = "; ".join(f"{f}, row {r}" for f, r in zip(same["file"], same["row"], strict=True))
    msg = (
        f"{where(str(first['file']), row=int(first['row']))}blot {first['blot']!r}, lane "
        f"{first['lane']!r} has target {first['target']!r} more than once ({places}); give "
        "each membrane its own blot label, or map Image Lab bands to targets by 'band'"
    )
    raise FileFormatError(msg)
