"""Combination plates (exports + a two-drug plate map) read back as the dose matrices they encode.

The plates are drawn from known surfaces: a Bliss-independent surface of two
Hill monotherapies on the parental line, a Loewe-additive surface plus a
planted excess on the resistant line. Signal = blank + vehicle level x
(1 - inhibition / 100), so blank subtraction and % of vehicle must give the
truth back exactly when there is no noise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from io_samples import ROWS_96, _gen5_plate_header, _grid_header, _text

from resistlab.errors import PlateMapError
from resistlab.io import PAIR_COLUMNS, read_combination_plates, read_plate_map

UM = 1e-6
DEF_UM = [0.0, 0.1, 0.3, 1.0, 3.0]  # drug 1 (defactinib), across columns 2-6 / 7-11
RUX_UM = [0.0, 0.3, 1.0, 3.0]  # drug 2 (ruxolitinib), down rows A-D / E-H
LINES = {"MDA-MB-231": "ABCD", "MDA-MB-231-DefR": "EFGH"}
BLANK, VEHICLE = 0.05, 1.2


def hill(dose, ec50, h=1.0):
    dose = np.asarray(dose, dtype=float)
    return 100.0 * dose**h / (dose**h + ec50**h)


def loewe_additive(c1, c2, ec1, ec2):
    """Inhibition of a Loewe-additive pair of Hill-1 drugs with Emax 100: c1/ec1 + c2/ec2."""
    x = c1 / ec1 + c2 / ec2
    return 100.0 * x / (1.0 + x)


def truth(line: str) -> np.ndarray:
    """Inhibition (%) of every (defactinib, ruxolitinib) dose pair, shape (5, 4)."""
    c1 = np.array(DEF_UM)[:, None]
    c2 = np.array(RUX_UM)[None, :]
    if line == "MDA-MB-231":
        y1, y2 = hill(c1, 0.5), hill(c2, 2.0)
        return y1 + y2 - y1 * y2 / 100.0  # Bliss independence
    excess = 8.0 * ((c1 > 0) & (c2 > 0))
    return loewe_additive(c1, c2, 3.0, 4.0) + excess


YAML_MAP = """\
plate: {format: 96, readout: CellTiter-Glo, run: run1}
unit: uM
blocks:
"""
for _line, _rows in LINES.items():
    for _rep, _cols in ((1, "2-6"), (2, "7-11")):
        YAML_MAP += (
            f"  - {{drug: defactinib, drug2: ruxolitinib, cell_line: {_line}, "
            f"rows: {_rows[0]}-{_rows[-1]}, columns: {_cols}, doses: {DEF_UM}, "
            f"doses2: {RUX_UM}, replicate: {_rep}}}\n"
        )
    YAML_MAP += (
        f"  - {{role: vehicle, drug: DMSO, cell_line: {_line}, rows: {_rows[0]}-{_rows[-1]}, "
        "columns: 1}\n"
    )
YAML_MAP += "  - {role: blank, rows: A-H, columns: 12}\n"


def plate_values(rng: np.random.Generator | None, cv: float = 0.0) -> np.ndarray:
    """Signal of the 8x12 plate the YAML map describes (noise-free when `rng` is None)."""
    values = np.full((8, 12), BLANK)
    for line, rows in LINES.items():
        y = truth(line)
        for r, letter in enumerate(rows):
            row = ROWS_96.index(letter)
            values[row, 0] += VEHICLE  # vehicle, column 1
            for start in (1, 6):  # replicate matrices in columns 2-6 and 7-11
                values[row, start : start + 5] += VEHICLE * (1 - y[:, r] / 100.0)
    if rng is not None:
        values *= rng.lognormal(0.0, cv, values.shape)
    return values


def gen5_text(values: np.ndarray, label: str = "Lum") -> str:
    rows = _gen5_plate_header("Plate 1", "10:41:17 AM", "Lum")
    rows.append(["Results"])
    rows.append(_grid_header(12))
    for r, letter in enumerate(ROWS_96):
        rows.append([letter, *(f"{v:.12g}" for v in values[r]), label])
    rows.append([])
    return _text(rows, "\t")


def write_plate(tmp_path, values, name="combo_run1.txt"):
    export = tmp_path / name
    export.write_text(gen5_text(values))
    plate_map = tmp_path / "combo.map.yaml"
    plate_map.write_text(YAML_MAP)
    return export, plate_map


# --------------------------------------------------------------------------- the map


def test_yaml_map_places_both_drugs_and_the_vehicle_control(tmp_path):
    _, path = write_plate(tmp_path, plate_values(None))
    wells = read_plate_map(path).wells.set_index("well")
    assert [c for c in wells.columns if c in PAIR_COLUMNS] == PAIR_COLUMNS
    # defactinib runs across columns, ruxolitinib down rows, in listed order
    assert wells.loc["A2", ["drug", "drug2"]].tolist() == ["defactinib", "ruxolitinib"]
    assert wells.loc["A2", ["concentration", "concentration2"]].tolist() == [0.0, 0.0]
    assert wells.loc["C5", "concentration"] == pytest.approx(1.0 * UM)
    assert wells.loc["C5", "concentration2"] == pytest.approx(1.0 * UM)
    assert wells.loc["H11", "concentration"] == pytest.approx(3.0 * UM)
    assert wells.loc["H11", "concentration2"] == pytest.approx(3.0 * UM)
    assert wells.loc["C10", "replicate"] == 2
    assert wells.loc["E1", ["role", "cell_line", "concentration", "concentration2"]].tolist() == [
        "vehicle",
        "MDA-MB-231-DefR",
        0.0,
        0.0,
    ]
    assert pd.isna(wells.loc["A12", "concentration2"])


def test_single_drug_maps_keep_their_columns(tmp_path):
    path = tmp_path / "one.yaml"
    path.write_text(
        "cell_line: MCF7\nblocks:\n"
        "  - {drug: d, rows: A, columns: 1-3, top_dose: 1 uM, dilution: 3}\n"
        "  - {role: vehicle, rows: A, columns: 4}\n"
    )
    assert not set(PAIR_COLUMNS) & set(read_plate_map(path).wells.columns)


def test_csv_map_with_numbered_drug_columns_and_units(tmp_path):
    path = tmp_path / "map.csv"
    path.write_text(
        "well,cell_line,drug1,conc1,drug2,conc2 (nM),unit\n"
        "B2,PC-9,defactinib,0,ruxolitinib,300,uM\n"
        "B3,PC-9,defactinib,1,ruxolitinib,300,uM\n"
        "B4,PC-9,defactinib,1,,,uM\n"
        "B5,PC-9,defactinib,0,ruxolitinib,0,uM\n"
        "B6,PC-9,DMSO,0,,,uM\n"
    )
    wells = read_plate_map(path).wells.set_index("well")
    assert wells.loc["B2", ["role", "concentration", "concentration2"]].tolist() == [
        "sample",
        0.0,
        pytest.approx(3e-7),
    ]
    assert wells.loc["B3", "concentration"] == pytest.approx(1e-6)
    assert pd.isna(wells.loc["B4", "drug2"]) and np.isnan(wells.loc["B4", "concentration2"])
    # every dose 0: vehicle, whatever the drug columns say
    assert wells.loc["B5", "role"] == "vehicle"
    assert wells.loc["B6", ["role", "concentration2"]].tolist() == ["vehicle", 0.0]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("B2,sample,PC-9,A,1,B,,uM", r"map\.csv, row 2, well B2: sample well with drug2 'B' "),
        ("B2,sample,PC-9,A,1,,1,uM", r"well B2: concentration2 1\.0 is given but drug2 is empty"),
        ("B2,sample,PC-9,,1,B,1,uM", r"well B2: drug2 'B' is given but drug \(drug 1\)"),
        ("B2,sample,PC-9,A,1,A,1,uM", r"well B2: drug and drug2 are both 'A'"),
        ("B2,vehicle,PC-9,A,0,B,2,uM", r"well B2: vehicle well with a non-zero concentration2"),
    ],
)
def test_csv_pair_errors_name_file_row_and_well(tmp_path, row, message):
    path = tmp_path / "map.csv"
    path.write_text(
        f"well,role,cell_line,drug,conc,drug2,conc2,unit\n{row}\nH1,vehicle,PC-9,,0,,,uM\n"
    )
    with pytest.raises(PlateMapError, match=message):
        read_plate_map(path)


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ("{drug: A, rows: A, columns: 1-2, doses: [0, 1], doses2: [0, 1]}", "but no drug2"),
        ("{drug: A, drug2: B, rows: A, columns: 1-2, doses: [0, 1]}", "no dose of it"),
        ("{role: vehicle, drug: A, drug2: B, rows: A, columns: 1}", "a second drug belongs"),
        (
            "{drug: A, drug2: B, rows: A-B, columns: 1-2, doses: [0, 1], doses2: [1]}",
            "drug2: doses",
        ),
    ],
)
def test_yaml_pair_errors_name_file_and_row(tmp_path, block, message):
    path = tmp_path / "map.yaml"
    path.write_text(
        f"cell_line: X\nunit: uM\nblocks:\n  - {block}\n  - {{role: vehicle, wells: H1}}\n"
    )
    with pytest.raises(PlateMapError, match=rf"map\.yaml, row 4.*{message}"):
        read_plate_map(path)


# --------------------------------------------------------------------------- read back


def test_noise_free_plates_read_back_as_the_truth(tmp_path):
    export, plate_map = write_plate(tmp_path, plate_values(None))
    m = read_combination_plates(export, plate_map)
    assert m.block_ids == (
        "MDA-MB-231/defactinib+ruxolitinib/run1",
        "MDA-MB-231-DefR/defactinib+ruxolitinib/run1",
    )
    assert m.cell_line == ("MDA-MB-231", "MDA-MB-231-DefR")
    assert m.drug1 == ("defactinib",) * 2 and m.drug2 == ("ruxolitinib",) * 2
    np.testing.assert_allclose(m.conc1, np.tile(np.array(DEF_UM) * UM, (2, 1)), rtol=1e-12)
    np.testing.assert_allclose(m.conc2, np.tile(np.array(RUX_UM) * UM, (2, 1)), rtol=1e-12)
    # two replicate matrices; the control (0, 0) also holds the line's 4 vehicle wells
    assert m.response.shape == (2, 6, 5, 4)
    counts = m.n_replicates
    assert (counts[:, 0, 0] == 6).all()
    assert (counts.reshape(2, -1)[:, 1:] == 2).all()
    for b, line in enumerate(LINES):
        for k in range(2):
            np.testing.assert_allclose(m.response[b, k], truth(line), atol=1e-8)
        np.testing.assert_allclose(m.mean_response[b], truth(line), atol=1e-8)


def test_noisy_plates_keep_replicates_and_their_mean_is_near_the_truth(tmp_path, rng):
    export, plate_map = write_plate(tmp_path, plate_values(rng, cv=0.03))
    m = read_combination_plates([export], [plate_map])
    for b, line in enumerate(LINES):
        reps = m.response[b, :2, 1:, 1:]
        assert np.ptp(reps, axis=0).max() > 0.1  # replicates are kept, not averaged
        assert np.abs(m.mean_response[b] - truth(line)).max() < 8.0
        assert np.abs(m.mean_response[b] - truth(line)).mean() < 2.5
    assert abs(np.nanmean(m.response[:, :, 0, 0])) < 2.0  # controls: 0 % inhibition


def test_runs_split_blocks_and_by_pools_them(tmp_path):
    first, plate_map = write_plate(tmp_path, plate_values(None))
    second = tmp_path / "combo_run2.txt"
    second.write_text(gen5_text(plate_values(None)))
    map2 = tmp_path / "combo2.map.yaml"
    map2.write_text(YAML_MAP.replace("run: run1", "run: run2"))
    split = read_combination_plates([first, second], [plate_map, map2])
    assert len(split) == 4
    assert split.block_ids[2] == "MDA-MB-231/defactinib+ruxolitinib/run2"
    pooled = read_combination_plates([first, second], [plate_map, map2], by=())
    assert pooled.block_ids == (
        "MDA-MB-231/defactinib+ruxolitinib",
        "MDA-MB-231-DefR/defactinib+ruxolitinib",
    )
    assert (pooled.n_replicates[:, 1:, 1:] == 4).all()  # two plates x two matrices
    np.testing.assert_allclose(pooled.mean_response[1], truth("MDA-MB-231-DefR"), atol=1e-8)


def test_single_drug_wells_and_reversed_pairs_join_the_block(tmp_path):
    """A CSV map: drug-1-alone wells without drug2, pair wells written B + A."""
    y1, y2 = hill(np.array([0.0, 1.0]), 1.0), hill(np.array([0.0, 2.0]), 2.0)
    surface = y1[:, None] + y2[None, :] - y1[:, None] * y2[None, :] / 100
    rows = ["well,cell_line,drug,conc,drug2,conc2,unit,role"]
    values = {}
    for r, letter in enumerate("AB"):  # two replicates, one per row
        rows += [
            f"{letter}1,PC-9,DMSO,0,,,uM,vehicle",
            f"{letter}2,PC-9,A,1,,,uM,sample",  # A alone, no drug2
            f"{letter}3,PC-9,B,2,A,0,uM,sample",  # B alone, written as B + A
            f"{letter}4,PC-9,B,2,A,1,uM,sample",  # the combination, reversed
            f"{letter}12,,,,,,,blank",
        ]
        for col, y in ((1, 0.0), (2, surface[1, 0]), (3, surface[0, 1]), (4, surface[1, 1])):
            values[f"{letter}{col}"] = BLANK + VEHICLE * (1 - y / 100) + 0.0 * r
        values[f"{letter}12"] = BLANK
    (tmp_path / "map.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "plate.csv").write_text(
        "well,value\n" + "\n".join(f"{w},{float(v)!r}" for w, v in values.items()) + "\n"
    )
    m = read_combination_plates(tmp_path / "plate.csv", tmp_path / "map.csv")
    assert (m.block_ids, m.drug1, m.drug2) == (("PC-9/B+A",), ("B",), ("A",))
    np.testing.assert_allclose(m.conc1[0], [0.0, 2e-6])
    np.testing.assert_allclose(m.mean_response[0], surface.T, atol=1e-9)
    assert m.n_replicates[0].tolist() == [[2, 2], [2, 2]]


# --------------------------------------------------------------------------- errors


def _csv_plate(tmp_path, map_rows: list[str]) -> tuple:
    (tmp_path / "map.csv").write_text("well,role,cell_line,drug,conc,drug2,conc2,unit\n" +
                                      "\n".join(map_rows) + "\n")  # fmt: skip
    (tmp_path / "plate.csv").write_text(
        "well,value\n" + "\n".join(f"{r.split(',')[0]},0.5" for r in map_rows) + "\n"
    )
    return tmp_path / "plate.csv", tmp_path / "map.csv"


def test_a_single_drug_well_no_pair_uses_is_named(tmp_path):
    plate, plate_map = _csv_plate(
        tmp_path,
        [
            "A1,vehicle,PC-9,,0,,,uM",
            "A2,sample,PC-9,A,1,B,0,uM",
            "A3,sample,PC-9,A,0,B,1,uM",
            "A4,sample,PC-9,defactnib,1,,,uM",
        ],
    )
    with pytest.raises(
        PlateMapError, match=r"map\.csv, well A4 \(plate plate\.csv\): .*'defactnib' alone"
    ):
        read_combination_plates(plate, plate_map)


def test_a_block_without_a_monotherapy_is_named(tmp_path):
    plate, plate_map = _csv_plate(
        tmp_path,
        ["A1,vehicle,PC-9,,0,,,uM", "A2,sample,PC-9,A,1,B,0,uM", "A3,sample,PC-9,A,1,B,1,uM"],
    )
    with pytest.raises(PlateMapError, match=r"well A2 .*block PC-9/A\+B has no wells of 'B' alone"):
        read_combination_plates(plate, plate_map)


def test_a_map_without_a_second_drug_is_refused(tmp_path):
    plate, plate_map = _csv_plate(tmp_path, ["A1,vehicle,PC-9,,0,,,uM", "A2,sample,PC-9,A,1,,,uM"])
    with pytest.raises(PlateMapError, match=r"map\.csv: no well names a second drug"):
        read_combination_plates(plate, plate_map)


def test_several_reads_need_a_choice(tmp_path):
    values = plate_values(None)
    rows = _gen5_plate_header("Plate 1", "9:02:11 AM", "570, 650")
    rows += [["Results"], _grid_header(12)]
    for r, letter in enumerate(ROWS_96):
        rows.append([letter, *values[r], "MTT:570"])
        rows.append([None, *(0.5 * values[r]), "MTT:650"])
    export = tmp_path / "two_reads.txt"
    export.write_text(_text(rows, "\t"))
    _, plate_map = write_plate(tmp_path, values)
    with pytest.raises(ValueError, match=r"two_reads\.txt: the export holds several reads"):
        read_combination_plates(export, plate_map)
    m = read_combination_plates(export, plate_map, read="650")
    np.testing.assert_allclose(m.mean_response[0], truth("MDA-MB-231"), atol=1e-8)


def test_a_block_without_a_usable_control_says_why(tmp_path):
    values = plate_values(None)
    values[:, 0] = BLANK / 2  # vehicle wells read below the blank
    export, plate_map = write_plate(tmp_path, values)
    with pytest.raises(PlateMapError, match=r"no usable control \(vehicle\) well \(vehicle signal"):
        read_combination_plates(export, plate_map)
