"""Sample plate-reader exports and plate maps for the io tests, with their known truth.

The layouts copy what the instruments write (see ``tests/data/io/README.md``
for the public examples they were modelled on); the numbers come from the
``*_truth`` functions below, so a test can check any well.

Text samples are committed under ``tests/data/io/``; regenerate them with::

    .venv/bin/python tests/io/io_samples.py

Workbooks (``.xlsx``) are built at test time by ``write_*_xlsx`` so that no
binary file lives in the repository.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "io"
ROWS_96 = "ABCDEFGH"
ROWS_384 = "ABCDEFGHIJKLMNOP"

Row = Sequence[object]


# --------------------------------------------------------------------------- truth


def absorbance_truth(plate: int, read: int, row: int, col: int) -> float:
    """OD of a well: distinct for every plate, read, row and column."""
    return round(0.040 + 0.1 * row + 0.01 * col + 1.0 * plate + 2.0 * read, 3)


def luminescence_truth(plate: int, row: int, col: int) -> int:
    """RLU of a well."""
    return 1000 + 100 * row + col + 100_000 * plate


def fluorescence_truth(read: int, row: int, col: int) -> int:
    """RFU of a well (BMG samples)."""
    return 20_000 + 1000 * row + 10 * col - 500 * read


def spark_truth(row: int, col: int) -> float:
    """RLU of a well in the SparkControl sample (written with a decimal comma)."""
    return round(absorbance_truth(0, 0, row, col) * 1000 + 0.25, 2)


#: Wells the samples overwrite with a reader marker: (file, plate, well) -> marker.
MARKERS = {
    ("gen5_two_plates.txt", 0, "B9"): "OVRFLW",
    ("gen5_two_plates.txt", 1, "D5"): "*",
    ("tecan_icontrol.xlsx", 1, "H12"): "OVER",
}

# --------------------------------------------------------------------------- writers


def _text(rows: Sequence[Row], delimiter: str) -> str:
    lines = []
    for row in rows:
        lines.append(delimiter.join("" if c is None else str(c) for c in row))
    return "\r\n".join(lines) + "\r\n"


def write_rows_xlsx(path: Path, sheets: dict[str, Sequence[Row]]) -> Path:
    """Write rows of cells to a workbook, one sheet per key."""
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    workbook.save(path)
    return path


def _grid_header(ncols: int, corner: object = None) -> list[object]:
    return [corner, *range(1, ncols + 1)]


# --------------------------------------------------------------------------- Gen5


def _gen5_plate_header(plate: str, time: str, wavelengths: str) -> list[Row]:
    return [
        [],
        [],
        ["Software Version", "3.12.08"],
        [],
        [],
        [],
        [
            "Experiment File Path:",
            "C:\\Users\\Public\\Documents\\Experiments\\2024-05-02_MTT_defactinib.xpt",
        ],
        ["Protocol File Path:", "C:\\Users\\Public\\Documents\\Protocols\\MTT_570.prt"],
        [],
        [],
        [],
        ["Plate Number", plate],
        ["Date", "5/2/2024"],
        ["Time", time],
        ["Reader Type:", "Synergy H1"],
        ["Reader Serial Number:", "21041512"],
        ["Reading Type", "Reader"],
        [],
        ["Procedure Details"],
        [],
        ["Plate Type", "96 WELL PLATE (Use plate lid)"],
        ["Eject plate on completion", ""],
        ["Read", "MTT"],
        ["", "Absorbance Endpoint"],
        ["", "Full Plate"],
        ["", f"Wavelengths:  {wavelengths}"],
        ["", "Read Speed: Normal,  Delay: 100 msec,  Measurements/Data Point: 8"],
        [],
    ]


def gen5_two_plates_rows() -> list[Row]:
    """Gen5 3.12 text export: two plates, a Layout section, one read "MTT:570"."""
    rows: list[Row] = []
    for plate, time in ((0, "3:14:07 PM"), (1, "3:15:52 PM")):
        rows += _gen5_plate_header(f"Plate {plate + 1}", time, "570")
        rows.append(["Layout"])
        rows.append(_grid_header(12))
        for r, letter in enumerate(ROWS_96):
            ids = ["BLK" if c in (0, 11) else f"SPL{r * 10 + c}" for c in range(12)]
            rows.append([letter, *ids, "Well ID"])
        rows.append([])
        rows.append(["Results"])
        rows.append(_grid_header(12))
        for r, letter in enumerate(ROWS_96):
            cells: list[object] = []
            for c in range(12):
                marker = MARKERS.get(("gen5_two_plates.txt", plate, f"{letter}{c + 1}"))
                cells.append(marker or f"{absorbance_truth(plate, 0, r, c):.3f}")
            rows.append([letter, *cells, "MTT:570"])
        rows += [[], []]
    return rows


def gen5_multiread_rows() -> list[Row]:
    """Gen5 text export: one plate read at 570 and 650 nm, reads interleaved."""
    rows: list[Row] = _gen5_plate_header("Plate 1", "9:02:11 AM", "570, 650")
    rows.append(["Results"])
    rows.append(_grid_header(12))
    for r, letter in enumerate(ROWS_96):
        for read, label in ((0, "MTT:570"), (1, "MTT:650")):
            cells = [f"{absorbance_truth(0, read, r, c):.3f}" for c in range(12)]
            rows.append([letter if read == 0 else None, *cells, label])
    rows.append([])
    return rows


def gen5_384_rows() -> list[Row]:
    """Gen5 Excel-style export of a 384-well luminescence plate: a "Read 1:Lum" section."""
    rows: list[Row] = _gen5_plate_header("Plate 1", "11:45:00 AM", "")[:-7]
    rows += [
        ["Plate Type", "384 WELL PLATE"],
        ["Read", "Luminescence Endpoint"],
        [None, "Full Plate"],
        [None, "Integration Time: 0:01.00 (MM:SS.ss)"],
        [],
        ["Read 1:Lum"],
        [],
        _grid_header(24),
    ]
    for r, letter in enumerate(ROWS_384):
        rows.append([letter, *(luminescence_truth(0, r, c) for c in range(24)), "Read 1:Lum"])
    return rows


# --------------------------------------------------------------------------- Tecan


def _tecan_label(label: str, wavelength: int, plate: int, read: int, start: str) -> list[Row]:
    rows: list[Row] = [
        [label],
        ["Mode", "Absorbance"],
        ["Measurement Wavelength", wavelength, "nm"],
        ["Bandwidth", 9, "nm"],
        ["Number of Flashes", 25],
        ["Settle Time", 0, "ms"],
        ["Start Time:", start],
        [],
        _grid_header(12, "<>"),
    ]
    for r, letter in enumerate(ROWS_96):
        cells: list[object] = []
        for c in range(12):
            marker = MARKERS.get(("tecan_icontrol.xlsx", read, f"{letter}{c + 1}"))
            cells.append(marker or absorbance_truth(plate, read, r, c))
        rows.append([letter, *cells])
    rows.append([])
    return rows


def tecan_icontrol_rows() -> list[Row]:
    """Tecan i-control (Infinite 200 PRO) Excel sheet: Label1 at 570 nm, Label2 at 650 nm."""
    rows: list[Row] = [
        ["Application: Tecan i-control"],
        ["Tecan i-control , 2.0.10.0"],
        [],
        ["Device: infinite 200Pro", None, None, None, "Serial number: 1308004231"],
        ["Serial number of connected stacker:"],
        ["Firmware: V_3.37_07/12_Infinite (Jul 16 2012/15.06.16)"],
        [],
        ["Date:", "2024-05-02"],
        ["Time:", "15:14:07"],
        [],
        ["System", "LAB-PC-07"],
        ["User", "LAB-PC-07\\bench"],
        ["Plate", "Corning 96 Flat Bottom Transparent Polystyrol [COR96ft.pdfx]"],
        ["Plate-ID (Stacker)", "RL-000123"],
        [],
        ["List of actions in this measurement script:"],
        ["Absorbance", "Label1"],
        ["Absorbance", "Label2"],
        [],
    ]
    rows += _tecan_label("Label1", 570, 0, 0, "2024-05-02 15:14:21")
    rows += _tecan_label("Label2", 650, 0, 1, "2024-05-02 15:14:43")
    rows.append(["End Time:", "2024-05-02 15:15:02"])
    return rows


def tecan_spark_de_rows() -> list[Row]:
    """SparkControl CSV in a German locale: ';' between cells, ',' as decimal mark."""
    rows: list[Row] = [
        ["Application: SparkControl Magellan"],
        ["Device: Spark", "Serial number: 1712003457"],
        ["Date:", "02.05.2024"],
        ["Time:", "15:14:07"],
        ["Plate", "Greiner 96 Flat Black [GRE96fb_chimney.pdfx]"],
        [],
        ["Label1"],
        ["Mode", "Luminescence"],
        ["Integration Time", 1000, "ms"],
        ["Start Time:", "02.05.2024 15:14:21"],
        [],
        _grid_header(12, "<>"),
    ]
    for r, letter in enumerate(ROWS_96):
        cells = [f"{spark_truth(r, c):.2f}".replace(".", ",") for c in range(12)]
        rows.append([letter, *cells])
    rows += [[], ["End Time:", "02.05.2024 15:14:58"]]
    return rows


def magellan_table_rows() -> list[Row]:
    """Tecan Magellan table export: column-major 'Well positions', metadata lines below."""
    rows: list[Row] = [["Well positions", "Plate", "Abs570"]]
    for c in range(12):
        for r, letter in enumerate(ROWS_96):
            plate = "MTT-P1" if (r, c) == (0, 0) else None  # only the first row names it
            rows.append([f"{letter}{c + 1}", plate, absorbance_truth(0, 0, r, c)])
    rows += [
        [],
        ["Date of measurement: 2024-05-02/Time of measurement: 15:14:07"],
        ["C:\\Users\\Public\\Documents\\Tecan\\Magellan\\mth\\MTT_570.mth"],
        ["C:\\Users\\Public\\Documents\\Tecan\\Magellan\\wsp\\2024-05-02-001.wsp"],
        ["Unknown user"],
        ["SUNRISE"],
        ["Serial number: 1205002345"],
        ["Measurement mode: Absorbance"],
        ["Measurement wavelength: 570 nm"],
        ["Number of flashes: 1"],
        ["Plate definition file: COR96fc.pdfx"],
        ["Unit: OD"],
        ["Meas. temperature: Abs570: 23.4 °C"],
    ]
    return rows


# --------------------------------------------------------------------------- BMG


def bmg_384_rows() -> list[Row]:
    """BMG MARS CSV (CLARIOstar): resazurin 544/590, raw and blank-corrected, rows O/P short."""
    rows: list[Row] = [
        [
            "User: USER",
            "Path: C:\\Program Files (x86)\\BMG\\CLARIOstar\\User\\Data",
            "Test run no.: 128",
        ],
        ["Test name: Resazurin 544-590", "Date: 02/05/2024", "Time: 15:14:07"],
        [],
        ["ID1: MDA-MB-231 DefR P12", "ID2: defactinib 72 h", "ID3:"],
        ["Fluorescence (FI)"],
        [],
    ]
    for read, title in ((0, "Raw Data (544/590)"), (1, "Blank corrected based on Raw Data")):
        rows += [[title], [], _grid_header(24)]
        for r, letter in enumerate(ROWS_384):
            ncols = 20 if letter in "OP" else 24  # MARS leaves unread wells out
            rows.append([letter, *(fluorescence_truth(read, r, c) for c in range(ncols))])
        rows.append([])
    return rows


BMG_1536_ROWS = {"A": 0, "B": 1, "Z": 25, "a": 26, "f": 31}


def bmg_1536_rows() -> list[Row]:
    """BMG MARS CSV of a 1536-well plate where only some rows were read (a..f = rows 27-32)."""
    rows: list[Row] = [
        [
            "User: USER",
            "Path: C:\\Program Files (x86)\\BMG\\PHERAstar\\User\\Data",
            "Test run no.: 412",
        ],
        ["Test name: CTG1536", "Date: 10/16/2024", "Time: 3:09:52 PM"],
        [],
        ["ID1: 92A_4", "ID2:", "ID3:"],
        ["Luminescence"],
        [],
        ["Raw Data (No filter)"],
        [],
        _grid_header(48),
    ]
    for label, r in BMG_1536_ROWS.items():
        rows.append([label, *(luminescence_truth(0, r, c) for c in range(48))])
    return rows


# --------------------------------------------------------------------------- plain


def plain_96_rows() -> list[Row]:
    """A grid typed or pasted by hand, with A-H / 1-12 labels and a title."""
    rows: list[Row] = [["OD570 2024-05-02"], _grid_header(12)]
    for r, letter in enumerate(ROWS_96):
        rows.append([letter, *(absorbance_truth(0, 0, r, c) for c in range(12))])
    return rows


def plain_96_bare_rows() -> list[Row]:
    """A bare 8x12 block of numbers, no labels."""
    return [[absorbance_truth(0, 0, r, c) for c in range(12)] for r in range(8)]


def plain_384_rowlabels_rows() -> list[Row]:
    """16 rows labelled A-P with 24 values each and no column header."""
    return [
        [letter, *(luminescence_truth(0, r, c) for c in range(24))]
        for r, letter in enumerate(ROWS_384)
    ]


def long_table_rows() -> list[Row]:
    """Tidy table: plate, well, value for two plates (wells zero-padded as some robots write)."""
    rows: list[Row] = [["plate", "well", "value"]]
    for plate, label in enumerate(("P1", "P2")):
        for r, letter in enumerate(ROWS_96):
            for c in range(12):
                rows.append([label, f"{letter}{c + 1:02d}", absorbance_truth(plate, 0, r, c)])
    return rows


# --------------------------------------------------------------------------- plate maps

MAP_YAML = """\
# CellTiter-Glo 3D viability: parental MDA-MB-231 against defactinib (the brief's layout)
plate: {format: 96, readout: CellTiter-Glo, culture: 3D, matrigel_lot: "1234",
        matrigel_percent: 2, seeding_density: 2000, incubation_hours: 72}
cell_line: MDA-MB-231
blocks:
  - drug: defactinib
    rows: B-G
    top_dose: 10 uM
    top_column: 2
    dilution: 3          # 1:3 serial dilution across
    columns: 9           # columns 2..10
  - {role: vehicle, rows: B-G, columns: [11]}
  - {role: blank, rows: B-G, columns: [12]}
replicates: by_row
"""


def map_defactinib_csv_rows() -> list[Row]:
    """The per-well CSV equivalent of `MAP_YAML` (doses written out in nM)."""
    rows: list[Row] = [
        ["# readout: CellTiter-Glo"],
        ["# culture: 3D"],
        ["# matrigel_lot: 1234"],
        ["# matrigel_percent: 2"],
        ["# seeding_density: 2000"],
        ["# incubation_hours: 72"],
        ["well", "role", "cell_line", "drug", "concentration", "unit", "replicate", "note"],
    ]
    for r, letter in enumerate(ROWS_96[1:7], start=1):
        for c in range(1, 10):
            dose = 10_000 / 3 ** (c - 1)
            rows.append(
                [f"{letter}{c + 1}", "sample", "MDA-MB-231", "defactinib", repr(dose), "nM", r, ""]
            )
        rows.append([f"{letter}11", "vehicle", "MDA-MB-231", "", "0", "", r, "DMSO 0.1%"])
        rows.append([f"{letter}12", "blank", "", "", "", "", r, "medium only"])
    return rows


MAP_TWO_LINES_YAML = """\
plate:
  format: 96
  readout: MTT
  culture: 2D
  seeding_density: 3000 cells/well
  incubation_hours: 72 h
  time_zero: no
unit: nM
blocks:
  # parental and defactinib-resistant lines, dilution down the columns
  - drug: defactinib
    cell_line: MDA-MB-231
    rows: B-G
    columns: 2-4
    top_row: B
    top_dose: 30000      # nM, the default unit above
    dilution: 4
  - drug: defactinib
    cell_line: MDA-MB-231-DefR
    rows: B-G
    columns: 5-7
    direction: up        # top dose in row G
    top_dose: 30 uM
    dilution: 1:4
  - {role: vehicle, drug: DMSO, cell_line: MDA-MB-231, rows: H, columns: 2-4}
  - {role: vehicle, drug: DMSO, cell_line: MDA-MB-231-DefR, rows: H, columns: 5-7}
  - role: positive_control
    drug: staurosporine
    cell_line: MDA-MB-231
    wells: [B9, C9]
    concentration: 1 uM
  - {role: blank, wells: "B11, C11, D11", extra: {medium: RPMI}}
  - {drug: defactinib, cell_line: MDA-MB-231, rows: A, columns: 12-10, doses: [1, 2, 3],
     replicate: 7}
"""


SAMPLES = {
    "gen5_two_plates.txt": (gen5_two_plates_rows, "\t"),
    "gen5_multiread.txt": (gen5_multiread_rows, "\t"),
    "tecan_spark_de.csv": (tecan_spark_de_rows, ";"),
    "bmg_mars_384.csv": (bmg_384_rows, ","),
    "bmg_mars_1536.csv": (bmg_1536_rows, ","),
    "plain_96.csv": (plain_96_rows, ","),
    "plain_96_bare.tsv": (plain_96_bare_rows, "\t"),
    "plain_384_rowlabels.csv": (plain_384_rowlabels_rows, ","),
    "long_table.csv": (long_table_rows, ","),
    "map_defactinib.csv": (map_defactinib_csv_rows, ","),
}
TEXTS = {
    "map_defactinib.yaml": MAP_YAML,
    "map_two_lines.yaml": MAP_TWO_LINES_YAML,
}
WORKBOOKS = {
    "tecan_icontrol.xlsx": {"Sheet2": tecan_icontrol_rows},
    "magellan_table.xlsx": {"Sheet1": magellan_table_rows},
    "gen5_384.xlsx": {"Plate 1 - Sheet1": gen5_384_rows},
}


def sample_text(name: str) -> str:
    """The exact text of a committed sample file."""
    if name in TEXTS:
        return TEXTS[name]
    make, delimiter = SAMPLES[name]
    return _text(make(), delimiter)


def write_samples(folder: Path = DATA_DIR) -> list[Path]:
    """Write every text sample into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in [*SAMPLES, *TEXTS]:
        path = folder / name
        path.write_bytes(sample_text(name).encode("utf-8"))
        written.append(path)
    return written


def write_workbook(name: str, folder: Path) -> Path:
    """Build one of the `WORKBOOKS` samples in `folder` (tests use ``tmp_path``)."""
    return write_rows_xlsx(folder / name, {s: make() for s, make in WORKBOOKS[name].items()})


if __name__ == "__main__":
    for written_path in write_samples():
        print(written_path.relative_to(DATA_DIR.parents[1]))
