"""Plate-reader exports: find every plate grid in a file, whatever wrote it.

`read_plate` reads what a bench scientist exports from the reader software
and returns a `PlateExport`: one `PlateBlock` per plate and read, each a 2-D
array of raw signal with a per-well flag, the header metadata, and the file
row every value came from.

Layouts understood (learned from public example exports and parsers, see
``tests/data/io/README.md``):

* **Labelled grids anywhere in a sheet** -- a row ``1 2 ... 12`` (or 24, 48)
  followed by rows labelled ``A``..``H`` (``A``..``P``; ``A``..``AF`` or BMG's
  ``a``..``f`` for rows 27-32 of a 1536-well plate). Metadata lines around
  the grids are parsed into ``metadata``. Rows a reader skipped are
  ``"missing"``.
* **BioTek Gen5** text/Excel exports: ``Software Version``, ``Plate Number``
  ... header, several plates one after another, a ``Results`` grid whose
  rows end in a read label (``570``, ``LUM:Lum``); several reads interleave
  as unlabelled continuation lines. ``Layout`` grids (well IDs) are skipped.
* **Tecan i-control / SparkControl** (Infinite, Spark): ``<>`` in the grid
  corner, ``Label1`` sections with ``Mode``, ``Measurement Wavelength``.
* **Tecan Magellan** table exports: a ``Well positions`` column, one column
  per measurement label, ``Date of measurement: ...`` lines below.
* **BMG Labtech MARS** (Omega, CLARIOstar, PHERAstar) CSV: ``User:``,
  ``Test name:``, ``ID1:`` header cells and one ``Raw Data (450)`` grid per
  channel.
* **Plain grids** with or without ``A..H`` / ``1..12`` labels, and **long
  tables** (``well, value[, plate][, read]``, see `read_long_table`).

Overflow and unreadable markers (``OVRFLW``, ``OVER``, ``*``, ...; see
`resistlab.io._cells.READ_MARKERS`) become NaN with a ``read_flag``; any
other text in a data cell is a `~resistlab.errors.FileFormatError` naming
the file, row and well.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from resistlab.errors import FileFormatError, where
from resistlab.io._cells import Cell, Sheet, cell_text, is_blank_row, parse_reading, read_sheets
from resistlab.wells import (
    PLATE_FORMATS,
    describe_format,
    format_for_shape,
    parse_well,
    row_index,
    shape_for_format,
    smallest_format,
    well_name,
)

__all__ = ["PlateBlock", "PlateExport", "read_long_table", "read_plate"]

#: Column order of `PlateBlock.to_frame` / `PlateExport.to_frame`.
READ_COLUMNS = ["plate", "read", "well", "row", "col", "value", "read_flag", "source"]

# Header keys (lower case, without a trailing colon) -> canonical metadata key.
_CANONICAL_KEYS: dict[str, str] = {
    "software version": "software_version",
    "application": "software",
    "reader type": "reader",
    "reader": "reader",
    "device": "reader",
    "instrument": "reader",
    "reader serial number": "serial_number",
    "serial number": "serial_number",
    "date": "date",
    "date of measurement": "date",
    "time": "time",
    "time of measurement": "time",
    "start time": "start_time",
    "wavelengths": "wavelength",
    "wavelength": "wavelength",
    "measurement wavelength": "wavelength",
    "plate type": "plate_type",
    "plate": "plate_type",
    "plate definition file": "plate_type",
    "plate number": "plate_number",
    "barcode": "barcode",
    "plate barcode": "barcode",
    "plate-id (stacker)": "barcode",
    "plate id": "barcode",
    "mode": "mode",
    "measurement mode": "mode",
    "read": "read_step",
    "test name": "protocol",
    "protocol file path": "protocol",
    "experiment file path": "experiment",
    "user": "user",
    "label": "label",
    "test run no.": "run",
}

# Cell texts that identify an instrument's export (lower case, matched at the start of a cell).
_SIGNATURES: dict[str, tuple[str, ...]] = {
    "BioTek Gen5": (
        "software version",
        "reader type:",
        "procedure details",
        "plate number",
        "reader serial number:",
    ),
    "Tecan SparkControl": ("sparkcontrol", "application: sparkcontrol"),
    "Tecan i-control": (
        "application: tecan i-control",
        "tecan i-control",
        "<>",
        "list of actions in this measurement script:",
    ),
    "Tecan Magellan": ("date of measurement:", "well positions", "meas. temperature:"),
    "BMG Labtech MARS": ("test name:", "raw data (", "test run no.:", "id1:"),
}

# Grid titles that name a section, not a read.
_GENERIC_TITLES = {"results", "result", "data", "raw data", "values", "plate", "measurement"}
# Grid titles / trailing labels of annotation grids that hold no readings.
_LAYOUT_TITLES = {"layout", "plate layout", "well id", "well ids", "sample ids", "content"}

_WELL_HEADERS = {
    "well",
    "wells",
    "well position",
    "well positions",
    "well id",
    "wellid",
    "well name",
}
_ROW_HEADERS = {"well row", "row"}
_COL_HEADERS = {"well col", "well column", "col", "column"}
_PLATE_HEADERS = {"plate", "plate id", "plate name", "plate label", "barcode", "plate barcode"}
_READ_HEADERS = {"read", "read label", "channel", "wavelength", "label", "measurement"}
_VALUE_HEADERS = {
    "value",
    "values",
    "signal",
    "intensity",
    "raw",
    "raw data",
    "od",
    "absorbance",
    "fluorescence",
    "luminescence",
    "rlu",
    "counts",
}
_TEXT_HEADERS = {"content", "sample", "sample id", "group", "type", "role", "name", "id"}

_KEY_VALUE = re.compile(r"^([A-Za-z][^:]{1,59}?)\s*:\s*(.*)$")
_MODE_LINE = re.compile(r"(?i)^(absorbance|fluorescence|luminescence|alpha|time.resolved)\b")
_LABEL_LINE = re.compile(r"(?i)^label\s*\d+$")
_ROW_LABEL = re.compile(r"^[A-Za-z]{1,2}$")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, eq=False)
class PlateBlock:
    """One plate read once: a grid of raw signal with flags and provenance.

    Parameters
    ----------
    plate : str
        Plate label ("Plate 1", a barcode, the file name).
    read : str
        Read label ("570", "Lum", "Label1").
    values : ndarray of shape (rows, cols)
        Raw signal; NaN where nothing usable was read.
    flags : ndarray of shape (rows, cols), optional
        Per-well ``read_flag``: ``""`` for a good reading, ``"overflow"``,
        ``"unreadable"`` or ``"missing"`` (no value in the file). Defaults to
        ``""`` for finite values and ``"missing"`` for NaN.
    metadata : dict of str to str, optional
        Header fields: ``reader``, ``software``, ``date``, ``wavelength``,
        ``plate_type``, ``barcode``, ... plus any other ``key: value`` lines.
    file : str, optional
        File name the block was read from.
    sheet : str, optional
        Workbook sheet name.
    file_rows : ndarray of shape (rows, cols), optional
        1-based file row of each value (0 where the value is not in the file).

    Examples
    --------
    >>> import numpy as np
    >>> block = PlateBlock(plate="P1", read="570", values=np.arange(96.0).reshape(8, 12))
    >>> block.format, float(block.values[1, 2])
    (96, 14.0)
    >>> block.to_frame().loc[14, ["well", "read_flag", "source"]].tolist()
    ['B3', '', '']
    """

    plate: str
    read: str
    values: np.ndarray
    flags: np.ndarray | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    file: str = ""
    sheet: str | None = None
    file_rows: np.ndarray | None = None

    def __post_init__(self) -> None:
        values = np.array(self.values, dtype=float)
        if values.ndim != 2:
            msg = f"values must be a 2-D (rows, cols) array, got shape {values.shape}"
            raise ValueError(msg)
        format_for_shape(*values.shape)
        if self.flags is None:
            flags = np.where(np.isnan(values), "missing", "").astype("<U16")
        else:
            flags = np.array(self.flags, dtype="<U16")
            if flags.shape != values.shape:
                msg = f"flags shape {flags.shape} differs from values shape {values.shape}"
                raise ValueError(msg)
        if self.file_rows is None:
            file_rows = np.zeros(values.shape, dtype=np.int64)
        else:
            file_rows = np.array(self.file_rows, dtype=np.int64)
            if file_rows.shape != values.shape:
                msg = f"file_rows shape {file_rows.shape} differs from values shape {values.shape}"
                raise ValueError(msg)
        for array in (values, flags, file_rows):
            array.setflags(write=False)
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "flags", flags)
        object.__setattr__(self, "file_rows", file_rows)
        object.__setattr__(self, "metadata", dict(self.metadata))

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, cols)`` of the plate."""
        rows, cols = self.values.shape
        return rows, cols

    @property
    def format(self) -> int:
        """Number of wells: 96, 384 or 1536."""
        return format_for_shape(*self.shape)

    def source(self, row: int, col: int) -> str:
        """Where the value of 0-based `row`, `col` came from, e.g. ``'x.csv, row 12'``."""
        assert self.file_rows is not None  # set in __post_init__
        line = int(self.file_rows[row, col])
        file = self.file if self.sheet is None else f"{self.file}, sheet {self.sheet!r}"
        if not file:
            return ""
        return f"{file}, row {line}" if line else file

    def to_frame(self) -> pd.DataFrame:
        """Return one row per well: plate, read, well, row, col, value, read_flag, source."""
        rows, cols = self.shape
        rr, cc = np.divmod(np.arange(rows * cols), cols)
        assert self.flags is not None
        return pd.DataFrame(
            {
                "plate": self.plate,
                "read": self.read,
                "well": [well_name(r, c) for r, c in zip(rr, cc, strict=True)],
                "row": rr.astype(np.int64),
                "col": cc.astype(np.int64),
                "value": self.values.ravel(),
                "read_flag": self.flags.ravel(),
                "source": [self.source(r, c) for r, c in zip(rr, cc, strict=True)],
            },
            columns=READ_COLUMNS,
        )


@dataclass(frozen=True, eq=False)
class PlateExport:
    """Everything found in one plate-reader export.

    Parameters
    ----------
    blocks : tuple of PlateBlock
        One block per plate and read, in file order.
    format : str
        Detected layout: ``"BioTek Gen5"``, ``"Tecan i-control"``,
        ``"Tecan SparkControl"``, ``"Tecan Magellan"``, ``"BMG Labtech MARS"``,
        ``"Plain grid"`` or ``"Long table"``.
    file : str, optional
        File name.
    metadata : dict of str to str, optional
        Header fields shared by every block.

    Examples
    --------
    >>> import numpy as np
    >>> block = PlateBlock(plate="P1", read="570", values=np.ones((8, 12)))
    >>> PlateExport(blocks=(block,), format="Plain grid").summary()
    'Plain grid export: 1 plate x 1 read, 8x12 (96-well)'
    """

    blocks: tuple[PlateBlock, ...]
    format: str
    file: str = ""
    metadata: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "blocks", tuple(self.blocks))
        object.__setattr__(self, "metadata", dict(self.metadata))

    def __len__(self) -> int:
        return len(self.blocks)

    def __iter__(self) -> Iterator[PlateBlock]:
        return iter(self.blocks)

    @property
    def plates(self) -> list[str]:
        """Plate labels in file order."""
        return list(dict.fromkeys(b.plate for b in self.blocks))

    @property
    def reads(self) -> list[str]:
        """Read labels in file order."""
        return list(dict.fromkeys(b.read for b in self.blocks))

    def block(self, plate: str | None = None, read: str | None = None) -> PlateBlock:
        """Return the one block matching `plate` and `read` (either may be omitted).

        Raises
        ------
        KeyError
            If no block or more than one block matches.
        """
        found = [
            b
            for b in self.blocks
            if (plate is None or b.plate == plate) and (read is None or b.read == read)
        ]
        if len(found) != 1:
            msg = (
                f"{len(found)} blocks match plate={plate!r}, read={read!r}; "
                f"plates {self.plates}, reads {self.reads}"
            )
            raise KeyError(msg)
        return found[0]

    def summary(self) -> str:
        """One sentence describing what was found.

        Examples
        --------
        >>> import numpy as np
        >>> values = np.ones((8, 12))
        >>> values[0, 0] = np.nan
        >>> flags = np.full((8, 12), "", dtype=object)
        >>> flags[0, 0] = "overflow"
        >>> blocks = tuple(
        ...     PlateBlock(plate=p, read="570", values=values, flags=flags) for p in ("1", "2")
        ... )
        >>> PlateExport(blocks=blocks, format="BioTek Gen5").summary()
        'BioTek Gen5 export: 2 plates x 1 read, 8x12 (96-well); 2 wells flagged (2 overflow)'
        """
        plates = self.plates
        reads_per_plate = {p: sum(b.plate == p for b in self.blocks) for p in plates}
        n_reads = set(reads_per_plate.values())
        if len(n_reads) == 1:
            k = n_reads.pop()
            count = f"{_plural(len(plates), 'plate')} x {_plural(k, 'read')}"
        else:
            count = f"{_plural(len(self.blocks), 'block')} on {_plural(len(plates), 'plate')}"
        shapes = ", ".join(describe_format(n) for n in dict.fromkeys(b.format for b in self.blocks))
        text = f"{self.format} export: {count}, {shapes}"
        flags = Counter(
            str(f)
            for b in self.blocks
            for f in np.asarray(b.flags).ravel()
            if f not in ("", "missing")
        )
        if flags:
            detail = ", ".join(f"{n} {flag}" for flag, n in flags.most_common())
            text += f"; {_plural(sum(flags.values()), 'well')} flagged ({detail})"
        missing = sum(int((np.asarray(b.flags) == "missing").sum()) for b in self.blocks)
        if missing:
            text += f"; {_plural(missing, 'well')} without a value"
        return text

    def to_frame(self) -> pd.DataFrame:
        """Return all blocks as one tidy table (see `PlateBlock.to_frame`)."""
        if not self.blocks:
            return pd.DataFrame(columns=READ_COLUMNS)
        return pd.concat([b.to_frame() for b in self.blocks], ignore_index=True)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# --------------------------------------------------------------------------- metadata


def _canonical(key: str) -> str:
    clean = key.strip().rstrip(":").strip()
    return _CANONICAL_KEYS.get(clean.lower(), clean)


def _put(meta: dict[str, str], key: str, value: str) -> None:
    key = _canonical(key)
    value = value.strip()
    if not key:
        return
    if key == "wavelength":
        value = re.sub(r"(?i)\s*nm$", "", value)
    if key == "date" and "/time of measurement:" in value.lower():  # Tecan Magellan
        date, _, time = re.split(r"(?i)/(time of measurement):", value, maxsplit=1)
        value = date.strip()
        meta["time"] = time.strip()
    meta[key] = value


def _parse_meta_row(row: list[Cell], meta: dict[str, str]) -> None:
    """Update `meta` from one header line (several vendor conventions)."""
    cells = [cell_text(c).strip() for c in row if c is not None]
    cells = [c for c in cells if c]
    if not cells:
        return
    if len(cells) == 1:
        text = cells[0]
        match = _KEY_VALUE.match(text)
        if match and match.group(2):
            _put(meta, match.group(1), match.group(2))
        elif _LABEL_LINE.match(text):
            meta["label"] = text
        elif _MODE_LINE.match(text):
            meta["mode"] = text
        return
    pairs = [_KEY_VALUE.match(c) for c in cells]
    if all(p is not None and p.group(2) for p in pairs):  # BMG: "User: X", "Path: Y"
        for p in pairs:
            assert p is not None
            _put(meta, p.group(1), p.group(2))
        return
    first, rest = cells[0], cells[1:]
    first_pair = pairs[0]
    if first.endswith(":") or first_pair is None or not first_pair.group(2):
        _put(meta, first, " ".join(rest))
        return
    for p in pairs:  # Tecan: "Device: infinite 200Pro", "Serial number: 1234"
        if p is not None and p.group(2):
            _put(meta, p.group(1), p.group(2))


def _finish_metadata(meta: dict[str, str], fmt: str) -> dict[str, str]:
    out = dict(meta)
    if fmt == "BioTek Gen5" and "software_version" in out:
        out.setdefault("software", f"Gen5 {out['software_version']}")
    elif fmt == "BMG Labtech MARS":
        out.setdefault("software", "MARS")
        match = re.search(r"\\BMG\\([^\\]+)\\", out.get("Path", ""))
        if match:
            out.setdefault("reader", match.group(1))
    elif fmt == "Tecan Magellan":
        out.setdefault("software", "Magellan")
    return out


def _detect_format(sheets: Sequence[Sheet]) -> str | None:
    texts = [
        cell_text(c).strip().lower()
        for s in sheets
        for row in s.rows[:400]
        for c in row
        if isinstance(c, str)
    ]
    hits = {
        fmt: sum(any(t.startswith(marker) for t in texts) for marker in markers)
        for fmt, markers in _SIGNATURES.items()
    }
    if hits["Tecan SparkControl"]:
        return "Tecan SparkControl"
    best = max(hits, key=lambda f: hits[f])
    return best if hits[best] >= 2 else None


# --------------------------------------------------------------------------- grids


@dataclass
class _GridLine:
    head: str
    plate_row: int
    file_row: int
    cells: list[Cell]
    label: str | None


@dataclass
class _Grid:
    first_row: int  # 0-based file row of the header (or first labelled row)
    ncols: int
    title: str | None
    lines: list[_GridLine]


@dataclass
class _RawBlock:
    plate: str | None
    read: str
    values: np.ndarray
    flags: np.ndarray
    file_rows: np.ndarray
    metadata: dict[str, str]
    sheet: Sheet


def _is_int_cell(cell: Cell, expected: int) -> bool:
    if isinstance(cell, float):
        return cell == expected
    if isinstance(cell, str) and re.fullmatch(r"0*\d+", cell):
        return int(cell) == expected
    return False


def _header_at(row: list[Cell]) -> tuple[int, int] | None:
    """Return ``(corner column, number of columns)`` if `row` is a 1..N header."""
    for j in range(len(row) - 1):
        if not _is_int_cell(row[j + 1], 1):
            continue
        corner = row[j]
        if isinstance(corner, float) or (
            isinstance(corner, str) and re.fullmatch(r"[\d.]+", corner)
        ):
            continue
        n = 1
        while j + 1 + n < len(row) and _is_int_cell(row[j + 1 + n], n + 1):
            n += 1
        if n in {cols for _, cols in PLATE_FORMATS.values()}:
            return j, n
    return None


def _grid_row_index(label: str, ncols: int) -> int:
    if ncols == 48 and len(label) == 1 and label.islower():  # BMG 1536: rows 27-32 are a..f
        return 26 + row_index(label)
    return row_index(label)


def _collect(rows: list[list[Cell]], start: int, corner: int, ncols: int) -> list[_GridLine]:
    lines: list[_GridLine] = []
    last: int | None = None
    k = start
    while k < len(rows):
        row = rows[k]
        head = row[corner] if corner < len(row) else None
        cells = [row[corner + 1 + m] if corner + 1 + m < len(row) else None for m in range(ncols)]
        trailing = [c for c in row[corner + 1 + ncols :] if c is not None]
        label = cell_text(trailing[0]).strip() if len(trailing) == 1 else None
        if isinstance(head, str) and _is_row_label(head, ncols):
            last = _grid_row_index(head, ncols)
            lines.append(_GridLine(head, last, k, cells, label))
        elif head is None and last is not None and label and any(c is not None for c in cells):
            lines.append(_GridLine("", last, k, cells, label))  # Gen5: further reads of a row
        else:
            break
        k += 1
    return lines


def _is_row_label(text: str, ncols: int) -> bool:
    # single letters always (so "I" on an 8x12 grid is reported, not skipped);
    # two letters only where they exist (AA..AF on 32x48 grids)
    if re.fullmatch(r"[A-Za-z]", text):
        return True
    return ncols == 48 and re.fullmatch(r"A[A-Fa-f]", text) is not None


def _title_above(rows: list[list[Cell]], first_row: int, corner: int) -> str | None:
    k = first_row - 1
    while k >= 0 and is_blank_row(rows[k]):
        k -= 1
    if k < 0:
        return None
    cells = [c for c in rows[k] if c is not None]
    if len(cells) == 1:
        return cell_text(cells[0]).strip()
    return None


def _headerless_start(row: list[Cell]) -> tuple[int, int] | None:
    """Return ``(corner, N)`` for a row ``A v1 ... vN`` that has no 1..N header."""
    nonempty = [j for j, c in enumerate(row) if c is not None]
    if not nonempty:
        return None
    j = nonempty[0]
    if row[j] not in ("A", "a"):
        return None
    values = row[j + 1 :]
    if len(values) in {cols for _, cols in PLATE_FORMATS.values()} and any(
        parse_reading(c) is not None and c is not None for c in values
    ):
        return j, len(values)
    return None


def _scan_sheet(sheet: Sheet, fmt: str | None) -> tuple[list[_RawBlock], dict[str, str]]:
    """Find labelled grids, keeping the metadata state as lines go by."""
    rows = sheet.rows
    meta: dict[str, str] = {}
    grids: list[tuple[_Grid, dict[str, str]]] = []
    i = 0
    while i < len(rows):
        found = _header_at(rows[i])
        first_data = i + 1
        if found is None:
            found = _headerless_start(rows[i])
            first_data = i
        if found is not None:
            corner, ncols = found
            lines = _collect(rows, first_data, corner, ncols)
            if lines:
                title = _title_above(rows, i, corner)
                grids.append((_Grid(i, ncols, title, lines), dict(meta)))
                i = lines[-1].file_row + 1
                continue
        _parse_meta_row(rows[i], meta)
        i += 1
    # keys that only appear after the grids (Magellan, Tecan end lines) apply to all
    blocks: list[_RawBlock] = []
    for grid, snapshot in grids:
        for key, value in meta.items():
            snapshot.setdefault(key, value)
        blocks.extend(_grid_blocks(sheet, grid, _finish_metadata(snapshot, fmt or "")))
    return blocks, meta


def _read_from_title(title: str | None) -> str | None:
    if not title:
        return None
    match = re.fullmatch(r"(?i)raw\s*data\s*\((.*)\)", title)
    if match:
        return match.group(1).strip() or None
    if title.lower() in _GENERIC_TITLES:
        return None
    if ":" in title:  # Gen5 "Read 1:570"
        return title.rsplit(":", 1)[1].strip() or None
    return title


def _read_from_label(label: str) -> str:
    # Gen5 trailing labels are "step:read" ("abs450:450", "LUM:Lum"); keep the read part
    return label.rsplit(":", 1)[1].strip() if ":" in label else label


def _grid_blocks(sheet: Sheet, grid: _Grid, meta: dict[str, str]) -> list[_RawBlock]:
    title = grid.title
    labels = {ln.label for ln in grid.lines}
    if (title or "").lower() in _LAYOUT_TITLES or all(
        lab is not None and lab.lower() in _LAYOUT_TITLES for lab in labels
    ):
        return []  # Gen5 "Layout" section: well IDs, not readings
    has_number = any(
        (r := parse_reading(c, decimal_comma=sheet.decimal_comma)) is not None and r[1] == ""
        for ln in grid.lines
        for c in ln.cells
    )
    if not has_number:
        return []  # an annotation grid (sample names), not readings
    shape = next(s for s in PLATE_FORMATS.values() if s[1] == grid.ncols)
    nrows = shape[0]
    by_read: dict[str | None, list[_GridLine]] = {}
    for ln in grid.lines:
        if ln.plate_row >= nrows:
            msg = (
                f"{sheet.where(ln.file_row, well=f'{ln.head}1')}row label {ln.head!r} does not "
                f"fit the {describe_format(format_for_shape(*shape))} plate of this "
                f"{grid.ncols}-column grid"
            )
            raise FileFormatError(msg)
        by_read.setdefault(ln.label, []).append(ln)
    out = []
    for label, lines in by_read.items():
        values = np.full(shape, np.nan)
        flags = np.full(shape, "missing", dtype="<U16")
        file_rows = np.zeros(shape, dtype=np.int64)
        for ln in lines:
            if file_rows[ln.plate_row, 0]:
                well = well_name(ln.plate_row, 0)
                msg = (
                    f"{sheet.where(ln.file_row, well=well)}row {ln.head or well[:-1]} appears "
                    f"twice in this grid (also row {file_rows[ln.plate_row, 0]}): duplicated wells"
                )
                raise FileFormatError(msg)
            for col, cell in enumerate(ln.cells):
                reading = parse_reading(cell, decimal_comma=sheet.decimal_comma)
                if reading is None:
                    msg = (
                        f"{sheet.where(ln.file_row, well=well_name(ln.plate_row, col))}"
                        f"non-numeric read {cell_text(cell)!r}; expected a number or a reader "
                        "marker (OVRFLW, OVER, *, ...)"
                    )
                    raise FileFormatError(msg)
                values[ln.plate_row, col], flags[ln.plate_row, col] = reading
                file_rows[ln.plate_row, col] = ln.file_row + 1
        read = (
            (_read_from_label(label) if label else None)
            or _read_from_title(title)
            or meta.get("label")
            or meta.get("wavelength")
            or "value"
        )
        block_meta = dict(meta)
        if label:
            block_meta["read_label"] = label
        if re.fullmatch(r"\d{3,4}", read):
            block_meta.setdefault("wavelength", read)
        out.append(
            _RawBlock(
                plate=meta.get("plate_number") or meta.get("barcode") or None,
                read=read,
                values=values,
                flags=flags,
                file_rows=file_rows,
                metadata=block_meta,
                sheet=sheet,
            )
        )
    return out


def _bare_grids(sheet: Sheet, fmt_meta: dict[str, str]) -> list[_RawBlock]:
    """Return unlabelled grids: runs of 8/16/32 rows of 12/24/48 numbers (header optional)."""
    rows = sheet.rows
    out: list[_RawBlock] = []
    k = 0
    while k < len(rows):
        if is_blank_row(rows[k]) or not _mostly_numeric(rows[k], sheet):
            k += 1
            continue
        start = first = k
        while k < len(rows) and not is_blank_row(rows[k]) and _mostly_numeric(rows[k], sheet):
            k += 1
        if _is_column_header(rows[start]):  # "1 2 ... 12" above rows without labels
            start += 1
        run = rows[start:k]
        if not run:
            continue
        width = max(len(r) for r in run)
        shape = next(
            (s for s in PLATE_FORMATS.values() if s == (len(run), width)),
            None,
        )
        if shape is None:
            continue
        values = np.full(shape, np.nan)
        flags = np.full(shape, "missing", dtype="<U16")
        file_rows = np.zeros(shape, dtype=np.int64)
        for r, row in enumerate(run):
            for c in range(width):
                cell = row[c] if c < len(row) else None
                reading = parse_reading(cell, decimal_comma=sheet.decimal_comma)
                if reading is None:
                    msg = (
                        f"{sheet.where(start + r, well=well_name(r, c))}non-numeric read "
                        f"{cell_text(cell)!r}; expected a number or a reader marker "
                        "(OVRFLW, OVER, *, ...)"
                    )
                    raise FileFormatError(msg)
                values[r, c], flags[r, c] = reading
                file_rows[r, c] = start + r + 1
        title = _title_above(rows, first, 0)
        out.append(
            _RawBlock(
                plate=None,
                read=_read_from_title(title) or "value",
                values=values,
                flags=flags,
                file_rows=file_rows,
                metadata=dict(fmt_meta),
                sheet=sheet,
            )
        )
    return out


def _is_column_header(row: list[Cell]) -> bool:
    cells = row[1:] if row and row[0] is None else row
    return len(cells) in {c for _, c in PLATE_FORMATS.values()} and all(
        _is_int_cell(cell, n) for n, cell in enumerate(cells, start=1)
    )


def _mostly_numeric(row: list[Cell], sheet: Sheet) -> bool:
    cells = [c for c in row if c is not None]
    numeric = sum(
        (r := parse_reading(c, decimal_comma=sheet.decimal_comma)) is not None and r[1] == ""
        for c in cells
    )
    return bool(cells) and numeric * 2 >= len(cells) and numeric >= 2


# --------------------------------------------------------------------------- long tables


def _find_long_header(sheet: Sheet, well_column: str | None) -> tuple[int, list[str]] | None:
    for i, row in enumerate(sheet.rows[:200]):
        names = [cell_text(c).strip() for c in row]
        lower = [n.lower() for n in names]
        if well_column is not None:
            if well_column in names:
                return i, names
            continue
        if any(n in _WELL_HEADERS for n in lower):
            return i, names
        if any(n in _ROW_HEADERS for n in lower) and any(n in _COL_HEADERS for n in lower):
            return i, names
    return None


def _pick(names: list[str], wanted: set[str], explicit: str | None, what: str) -> int | None:
    if explicit is not None:
        if explicit not in names:
            msg = f"no {what} column {explicit!r}; columns are {[n for n in names if n]}"
            raise KeyError(msg)
        return names.index(explicit)
    for j, n in enumerate(names):
        if n.lower() in wanted:
            return j
    return None


def _long_blocks(
    sheet: Sheet,
    *,
    plate_format: int | None,
    well_column: str | None,
    value_column: str | Sequence[str] | None,
    plate_column: str | None,
    read_column: str | None,
) -> tuple[list[_RawBlock], bool]:
    found = _find_long_header(sheet, well_column)
    if found is None:
        return [], False
    header, names = found
    lower = [n.lower() for n in names]
    try:
        well_j = _pick(names, _WELL_HEADERS, well_column, "well")
        plate_j = _pick(names, _PLATE_HEADERS, plate_column, "plate")
        read_j = _pick(names, _READ_HEADERS, read_column, "read")
    except KeyError as err:
        msg = f"{sheet.where(header)}{err.args[0]}"
        raise FileFormatError(msg) from err
    row_j = col_j = None
    if well_j is None:
        row_j = next(j for j, n in enumerate(lower) if n in _ROW_HEADERS)
        col_j = next(j for j, n in enumerate(lower) if n in _COL_HEADERS)

    # the table runs until a blank line or a one-cell metadata line
    end = header + 1
    while end < len(sheet.rows):
        row = sheet.rows[end]
        if is_blank_row(row) or sum(c is not None for c in row) <= 1:
            break
        end += 1
    body = list(range(header + 1, end))

    used = {j for j in (well_j, plate_j, read_j, row_j, col_j) if j is not None}
    if value_column is not None:
        wanted = [value_column] if isinstance(value_column, str) else list(value_column)
        missing = [v for v in wanted if v not in names]
        if missing:
            msg = f"{sheet.where(header)}no value column {missing}; columns are {names}"
            raise FileFormatError(msg)
        value_js = [names.index(v) for v in wanted]
    else:
        value_js = [
            j
            for j, n in enumerate(lower)
            if j not in used and (n in _VALUE_HEADERS or n.startswith("raw data"))
        ]
        if not value_js:
            value_js = [
                j
                for j, n in enumerate(lower)
                if j not in used and n not in _TEXT_HEADERS and _column_numeric(sheet, body, j)
            ]
    if not value_js:
        msg = f"{sheet.where(header)}no column of readings beside the well column; columns: {names}"
        raise FileFormatError(msg)
    if read_j is not None and len(value_js) != 1:
        msg = (
            f"{sheet.where(header)}a table with a read column needs exactly one value column, "
            f"found {[names[j] for j in value_js]}"
        )
        raise FileFormatError(msg)

    # wells
    positions: list[tuple[int, int, int]] = []  # (file row, plate row, plate col)
    for k in body:
        row = sheet.rows[k]
        try:
            if well_j is not None:
                text = cell_text(row[well_j] if well_j < len(row) else None)
                r, c = parse_well(text)
            else:
                assert row_j is not None and col_j is not None
                r = row_index(cell_text(row[row_j] if row_j < len(row) else None))
                c = int(float(cell_text(row[col_j] if col_j < len(row) else None))) - 1
                if c < 0:
                    msg = f"column {c + 1} is not a column number"
                    raise ValueError(msg)
        except ValueError as err:
            msg = f"{sheet.where(k)}{err}"
            raise FileFormatError(msg) from err
        positions.append((k, r, c))
    if not positions:
        msg = f"{sheet.where(header)}the table below this header has no rows"
        raise FileFormatError(msg)
    if plate_format is None:
        try:
            plate_format = smallest_format(
                max(p[1] for p in positions), max(p[2] for p in positions)
            )
        except ValueError as err:
            k, r, c = max(positions, key=lambda p: (p[1], p[2]))
            msg = f"{sheet.where(k, well=well_name(r, c))}{err}"
            raise FileFormatError(msg) from err
    shape = shape_for_format(plate_format)
    for k, r, c in positions:
        if r >= shape[0] or c >= shape[1]:
            msg = (
                f"{sheet.where(k, well=well_name(r, c))}well {well_name(r, c)} is outside the "
                f"{describe_format(plate_format)} plate"
            )
            raise FileFormatError(msg)

    meta: dict[str, str] = {}
    for k in list(range(header)) + list(range(end, len(sheet.rows))):
        _parse_meta_row(sheet.rows[k], meta)

    plates: dict[int, str | None] = {}
    for k, _, _ in positions:
        row = sheet.rows[k]
        cell = row[plate_j] if plate_j is not None and plate_j < len(row) else None
        plates[k] = cell_text(cell).strip() or None
    named = {p for p in plates.values() if p is not None}
    if len(named) == 1:  # Magellan fills the plate cell of the first row only
        plates = dict.fromkeys(plates, named.pop())

    blocks: dict[tuple[str | None, str], _RawBlock] = {}
    for k, r, c in positions:
        row = sheet.rows[k]
        plate = plates[k]
        for j in value_js:
            if read_j is not None:
                read = cell_text(row[read_j] if read_j < len(row) else None).strip() or "value"
            else:
                read = _read_from_title(names[j]) or names[j] or "value"
            key = (plate, read)
            if key not in blocks:
                blocks[key] = _RawBlock(
                    plate=plate,
                    read=read,
                    values=np.full(shape, np.nan),
                    flags=np.full(shape, "missing", dtype="<U16"),
                    file_rows=np.zeros(shape, dtype=np.int64),
                    metadata=dict(meta),
                    sheet=sheet,
                )
            block = blocks[key]
            well = well_name(r, c)
            if block.file_rows[r, c]:
                msg = (
                    f"{sheet.where(k, well=well)}well {well} appears twice"
                    f"{'' if plate is None else f' for plate {plate!r}'}, read {read!r} "
                    f"(also row {block.file_rows[r, c]})"
                )
                raise FileFormatError(msg)
            cell = row[j] if j < len(row) else None
            reading = parse_reading(cell, decimal_comma=sheet.decimal_comma)
            if reading is None:
                msg = (
                    f"{sheet.where(k, well=well)}non-numeric read {cell_text(cell)!r} in column "
                    f"{names[j]!r}; expected a number or a reader marker (OVRFLW, OVER, *, ...)"
                )
                raise FileFormatError(msg)
            block.values[r, c], block.flags[r, c] = reading
            block.file_rows[r, c] = k + 1
    return list(blocks.values()), True


def _column_numeric(sheet: Sheet, body: list[int], j: int) -> bool:
    cells = [sheet.rows[k][j] for k in body if j < len(sheet.rows[k])]
    cells = [c for c in cells if c is not None]
    numeric = sum(
        (r := parse_reading(c, decimal_comma=sheet.decimal_comma)) is not None and r[1] == ""
        for c in cells
    )
    return numeric > 0 and numeric * 2 >= len(cells)


# --------------------------------------------------------------------------- entry points


def _finish(raw: list[_RawBlock], *, path: Path, fmt: str, plate_format: int | None) -> PlateExport:
    sheets_with_blocks = list(dict.fromkeys(b.sheet.name for b in raw))
    seen: Counter[tuple[str, str]] = Counter()
    blocks = []
    for b in raw:
        shape = b.values.shape
        if plate_format is not None and shape != shape_for_format(plate_format):
            msg = (
                f"{where(path.name)}expected {describe_format(plate_format)} plates, found a "
                f"{describe_format(format_for_shape(*shape))} grid (read {b.read!r})"
            )
            raise FileFormatError(msg)
        default = (
            b.sheet.name if len(sheets_with_blocks) > 1 and b.sheet.name is not None else path.stem
        )
        plate = b.plate or default
        seen[(plate, b.read)] += 1
        if seen[(plate, b.read)] > 1:
            plate = f"{plate} #{seen[(plate, b.read)]}"
        blocks.append(
            PlateBlock(
                plate=plate,
                read=b.read,
                values=b.values,
                flags=b.flags,
                metadata=b.metadata,
                file=path.name,
                sheet=b.sheet.name,
                file_rows=b.file_rows,
            )
        )
    shared = dict(blocks[0].metadata) if blocks else {}
    for block in blocks[1:]:
        shared = {k: v for k, v in shared.items() if block.metadata.get(k) == v}
    return PlateExport(blocks=tuple(blocks), format=fmt, file=path.name, metadata=shared)


def read_plate(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    plate_format: int | None = None,
) -> PlateExport:
    r"""Read a plate-reader export: every plate and read in the file.

    Parameters
    ----------
    path : str or Path
        CSV, TSV, TXT or XLSX export (BioTek Gen5, Tecan i-control,
        SparkControl or Magellan, BMG MARS, a plain grid or a long table).
    sheet : str or int, optional
        Workbook sheet to read; all sheets when omitted (then a plate found
        on a sheet is labelled by the sheet name unless the header names it).
        Give it when a workbook also holds other numeric grids, such as a
        dose layout.
    plate_format : {96, 384, 1536}, optional
        Expected plate size; required grids to match, and sets the size of a
        long table (otherwise the smallest plate that holds its wells).

    Returns
    -------
    PlateExport

    Raises
    ------
    FileFormatError
        If no plate data is found, a data cell holds text that is not a
        reader marker, a row label does not fit the plate, or a well repeats.
        The message names the file, row and well.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> lines = [",".join([""] + [str(c) for c in range(1, 13)])]
    >>> for i, r in enumerate("ABCDEFGH"):
    ...     lines.append(",".join([r] + [str(10 * i + c) for c in range(12)]))
    >>> _ = (folder / "od.csv").write_text("\n".join(lines))
    >>> export = read_plate(folder / "od.csv")
    >>> export.summary()
    'Plain grid export: 1 plate x 1 read, 8x12 (96-well)'
    >>> export.blocks[0].values[1, 2], export.to_frame().loc[14, "source"]
    (np.float64(12.0), 'od.csv, row 3')
    """
    path = Path(path)
    sheets = read_sheets(path, sheet=sheet)
    fmt = _detect_format(sheets)
    raw: list[_RawBlock] = []
    for s in sheets:
        blocks, _ = _scan_sheet(s, fmt)
        raw.extend(blocks)
    kind = fmt or "Plain grid"
    if not raw:
        for s in sheets:
            blocks, _ = _long_blocks(
                s,
                plate_format=plate_format,
                well_column=None,
                value_column=None,
                plate_column=None,
                read_column=None,
            )
            raw.extend(_with_format_metadata(blocks, fmt))
        kind = fmt or "Long table"
    if not raw:
        for s in sheets:
            meta: dict[str, str] = {}
            for row in s.rows:
                if not _mostly_numeric(row, s):
                    _parse_meta_row(row, meta)
            raw.extend(_bare_grids(s, _finish_metadata(meta, fmt or "")))
        kind = fmt or "Plain grid"
    if not raw:
        msg = (
            f"{where(path.name)}no plate data found: expected a header row 1..12 (or 1..24, "
            "1..48) above rows labelled A, B, ...; a table with a 'well' column; or a bare "
            "8x12, 16x24 or 32x48 grid of numbers"
        )
        raise FileFormatError(msg)
    return _finish(raw, path=path, fmt=kind, plate_format=plate_format)


def _with_format_metadata(blocks: list[_RawBlock], fmt: str | None) -> list[_RawBlock]:
    for b in blocks:
        b.metadata = _finish_metadata(b.metadata, fmt or "")
    return blocks


def read_long_table(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    plate_format: int | None = None,
    well_column: str | None = None,
    value_column: str | Sequence[str] | None = None,
    plate_column: str | None = None,
    read_column: str | None = None,
) -> PlateExport:
    r"""Read a tidy table with one row per well (and plate, and read).

    Columns are found by name (case-insensitive) unless given: the well
    (``well``, ``Well positions``, or ``Well Row`` + ``Well Col``), an
    optional plate (``plate``, ``barcode``), an optional read (``read``,
    ``channel``, ``wavelength``) and the readings (``value``, ``signal``,
    ``Raw Data (...)``, or every other numeric column, each its own read).
    ``key: value`` lines above or below the table become metadata.

    Parameters
    ----------
    path : str or Path
        CSV, TSV, TXT or XLSX file.
    sheet : str or int, optional
        Workbook sheet; all sheets when omitted.
    plate_format : {96, 384, 1536}, optional
        Plate size; the smallest that holds every well when omitted.
    well_column, value_column, plate_column, read_column : str, optional
        Column names to use instead of detecting them; `value_column` may be
        a list (one read per column).

    Returns
    -------
    PlateExport

    Raises
    ------
    FileFormatError
        If there is no well column, a well name is invalid or outside the
        plate, a well repeats, or a reading is text that is not a marker.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "long.csv"
    >>> _ = path.write_text("well,value\nA1,0.5\nB3,OVRFLW\nH12,0.25\n")
    >>> export = read_long_table(path)
    >>> block = export.blocks[0]
    >>> block.values[0, 0], block.flags[1, 2], block.flags[0, 1], block.format
    (np.float64(0.5), np.str_('overflow'), np.str_('missing'), 96)
    """
    path = Path(path)
    sheets = read_sheets(path, sheet=sheet)
    fmt = _detect_format(sheets)
    raw: list[_RawBlock] = []
    for s in sheets:
        blocks, _ = _long_blocks(
            s,
            plate_format=plate_format,
            well_column=well_column,
            value_column=value_column,
            plate_column=plate_column,
            read_column=read_column,
        )
        raw.extend(_with_format_metadata(blocks, fmt))
    if not raw:
        msg = (
            f"{where(path.name)}no table with a well column found "
            f"(looked for {sorted(_WELL_HEADERS)})"
        )
        raise FileFormatError(msg)
    return _finish(raw, path=path, fmt=fmt or "Long table", plate_format=plate_format)
