"""Write the bundled example study's raw plate-reader exports (seeded, reproducible).

    .venv/bin/python examples/make_examples.py

A Defactinib-resistance study in MDA-MB-231 cells, 3D Matrigel, CellTiter-Glo,
72 h: the parental line and its resistant derivative (MDA-MB-231-DefR) side by
side on each plate, three runs on different days (run 3 on a new Matrigel lot),
and a time-zero plate read at drug addition (for GR metrics). The plates are
BioTek Gen5 text exports, as the reader writes them, with a YAML plate map each.

Cell numbers follow the GR model of Hafner et al. (2016): the drug lowers the
growth rate, GR(c) = GRinf + (1 - GRinf) / (1 + (c / GEC50) ** h), and
x(c) = x0 * 2 ** (log2(x_ctrl / x0) * log2(1 + GR(c))). The truth is written to
``truth.yaml`` beside the exports so the analysis can be checked against it.

The campaign that made the resistant line comes from the campaign simulator
(`resistlab.campaign.simulate`), calibrated to the parental line above and
driven by the project's decision rules; it is entered through the store's
checked writes and shipped as a store export, ``campaign/lab.json``, which
`resistlab import` (and `make demo`) loads into the SQLite default.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import yaml

HERE = Path(__file__).resolve().parent
OUT = HERE / "dose_response"
SEED = 20240502

ROWS = "ABCDEFGH"
TOP_DOSE_UM = 50.0
DILUTION = 3.0
N_DOSES = 9
INCUBATION_H = 72.0
SEEDING = 3000
SIGNAL_PER_CELL = 12.0  # RLU per cell
BLANK_RLU = 310.0
NOISE_CV = 0.06

LINES = {
    "MDA-MB-231": {"rows": "BCD", "doubling_h": 26.0, "gr_inf": -0.35, "gec50_um": 1.2, "h": 1.3},
    "MDA-MB-231-DefR": {
        "rows": "EFG",
        "doubling_h": 34.0,
        "gr_inf": 0.05,
        "gec50_um": 7.5,
        "h": 1.1,
    },
}
RUNS = [
    {"name": "run1", "date": "5/2/2024", "matrigel_lot": "A12", "lot_shift": 1.0, "time0": True},
    {"name": "run2", "date": "5/9/2024", "matrigel_lot": "A12", "lot_shift": 1.0, "time0": False},
    {"name": "run3", "date": "5/23/2024", "matrigel_lot": "B07", "lot_shift": 1.8, "time0": False},
]


def doses_um() -> np.ndarray:
    return TOP_DOSE_UM / DILUTION ** np.arange(N_DOSES)


def cells_at_end(line: dict, dose_um: np.ndarray, shift: float) -> np.ndarray:
    control = SEEDING * 2 ** (INCUBATION_H / line["doubling_h"])
    gr = line["gr_inf"] + (1 - line["gr_inf"]) / (
        1 + (dose_um / (line["gec50_um"] * shift)) ** line["h"]
    )
    return SEEDING * 2 ** (np.log2(control / SEEDING) * np.log2(1 + gr))


def plate_signal(rng: np.random.Generator, run: dict, *, time_zero: bool) -> np.ndarray:
    """RLU of every well of an 8x12 plate (rows A/H and empty wells read medium only)."""
    cells = np.zeros((8, 12))
    for line in LINES.values():
        for r in line["rows"]:
            i = ROWS.index(r)
            if time_zero:
                cells[i, 0:11] = SEEDING
                continue
            cells[i, 1:10] = cells_at_end(line, doses_um(), run["lot_shift"])
            cells[i, 10] = cells_at_end(line, np.array([0.0]), 1.0)[0]
            cells[i, 0] = 0.03 * SEEDING  # staurosporine 1 uM kills nearly all
    signal = BLANK_RLU + SIGNAL_PER_CELL * cells
    noisy = signal * rng.lognormal(0.0, NOISE_CV, signal.shape)
    return np.round(noisy)


def gen5_text(values: np.ndarray, *, run: dict, plate: str, time_zero: bool) -> str:
    """A BioTek Gen5 plate export (tab-separated text) of one luminescence read."""
    protocol = "CTG_time0" if time_zero else "CTG_72h"
    lines = [
        "",
        "",
        "Software Version\t3.12.08",
        "",
        "",
        "",
        f"Experiment File Path:\tC:\\Users\\Public\\Documents\\Experiments\\{run['name']}"
        f"_{protocol}_defactinib.xpt",
        f"Protocol File Path:\tC:\\Users\\Public\\Documents\\Protocols\\{protocol}.prt",
        "",
        "",
        "",
        f"Plate Number\t{plate}",
        f"Date\t{run['date']}",
        "Time\t10:41:17 AM",
        "Reader Type:\tSynergy H1",
        "Reader Serial Number:\t21041512",
        "Reading Type\tReader",
        "",
        "Procedure Details",
        "",
        "Plate Type\t96 WELL PLATE (Use plate lid)",
        "Eject plate on completion\t",
        "Read\tLum",
        "\tLuminescence Endpoint",
        "\tFull Plate",
        "\tIntegration Time: 0:01.00 (MM:SS.ss)",
        "\tFilter Set 1",
        "\t    Emission: Hole",
        "\t    Optics: Top,  Gain: 135",
        "\tRead Speed: Normal,  Delay: 100 msec",
        "",
        "Results",
        "\t" + "\t".join(str(c) for c in range(1, 13)),
    ]
    for i, r in enumerate(ROWS):
        cells = "\t".join(f"{v:.0f}" for v in values[i])
        lines.append(f"{r}\t{cells}\tLum")
    lines += ["", ""]
    return "\r\n".join(lines)


def plate_map(run: dict, *, time_zero: bool, lines: dict | None = None) -> dict:
    """The YAML plate map of a run; `lines` (default `LINES`) names each line's rows."""
    blocks: list[dict] = []
    for name, line in (LINES if lines is None else lines).items():
        rows = f"{line['rows'][0]}-{line['rows'][-1]}"
        if time_zero:
            blocks.append(
                {
                    "role": "vehicle",
                    "drug": "none",
                    "cell_line": name,
                    "rows": rows,
                    "columns": "1-11",
                }
            )
            continue
        blocks += [
            {
                "drug": "defactinib",
                "cell_line": name,
                "rows": rows,
                "columns": "2-10",
                "top_dose": f"{TOP_DOSE_UM:g} uM",
                "dilution": int(DILUTION),
            },
            {"role": "vehicle", "drug": "DMSO", "cell_line": name, "rows": rows, "columns": 11},
            {
                "role": "positive_control",
                "drug": "staurosporine",
                "cell_line": name,
                "rows": rows,
                "columns": 1,
                "concentration": "1 uM",
            },
        ]
    blocks.append({"role": "blank", "rows": "B-G", "columns": 12})
    return {
        "plate": {
            "format": 96,
            "readout": "CellTiter-Glo",
            "culture": "3D",
            "matrigel_lot": run["matrigel_lot"],
            "matrigel_percent": 2,
            "seeding_density": SEEDING,
            "incubation_hours": 0 if time_zero else int(INCUBATION_H),
            "time_zero": time_zero,
            "run": run["name"],
        },
        "replicates": "by_row",
        "blocks": blocks,
    }


def retest_plate(rng: np.random.Generator, doses: np.ndarray, responses: np.ndarray):
    """Lay a simulated re-test (10 doses x 3 + vehicle) on a 96-well plate, as RLU."""
    levels = np.unique(doses[doses > 0])[::-1]  # highest dose in column 2
    values = BLANK_RLU * rng.lognormal(0.0, 0.03, (8, 12))  # medium everywhere else
    vehicle_rlu = SIGNAL_PER_CELL * 2e4
    for j, level in enumerate(levels):
        wells = np.flatnonzero(np.isclose(doses, level))
        for k, w in enumerate(wells[:3]):
            values[1 + k, 1 + j] = BLANK_RLU + vehicle_rlu * responses[w] / 100.0
    vehicle = np.flatnonzero(doses == 0)
    for k, w in enumerate(vehicle[:3]):
        values[1 + k, 11] = BLANK_RLU + vehicle_rlu * responses[w] / 100.0
    layout = {
        "plate": {
            "format": 96,
            "readout": "CellTiter-Glo",
            "culture": "2D",
            "seeding_density": 2000,
            "incubation_hours": 72,
            "time_zero": False,
        },
        "cell_line": None,
        "replicates": "by_row",
        "blocks": [
            {
                "drug": "defactinib",
                "rows": "B-D",
                "columns": f"2-{1 + len(levels)}",
                "doses": [f"{d * 1e9:.6g} nM" for d in levels],
            },
            {"role": "vehicle", "drug": "DMSO", "rows": "B-D", "columns": 12},
            {"role": "blank", "rows": "E-G", "columns": "2-4"},
        ],
    }
    return np.round(values), layout


def write_campaign(rng: np.random.Generator) -> None:
    """Simulate the escalation campaign; ship its record as a store export and its plates."""
    import tempfile

    from resistlab.campaign import LabProtocol, population_model, simulate_campaign
    from resistlab.store import Store, export_json, replay_record

    parental = LINES["MDA-MB-231"]
    model = population_model(
        ic50=0.85e-6,  # the pooled parental IC50 of the example plates
        hill_slope=1.3,
        bottom=0.05,
        doubling_time_hours=parental["doubling_h"],
    )
    protocol = LabProtocol(
        campaign_name="MDA-MB-231-DefR",
        cell_line="MDA-MB-231",
        cellosaurus="CVCL_0062",
        start=date(2023, 9, 4),
    )
    run = simulate_campaign(model=model, protocol=protocol, seed=SEED)
    folder = HERE / "campaign"
    folder.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'lab.db'}"
        store = Store(url)
        replay_record(store, run.record)
        store.close()
        export_json(url, folder / "lab.json")
    for assay in run.assays:
        stem = f"retest_{assay.day.isoformat()}_{assay.drug_free_passages}drugfree"
        values, layout = retest_plate(rng, assay.doses, assay.responses)
        layout["cell_line"] = assay.cell_line
        meta = {"name": stem, "date": f"{assay.day.month}/{assay.day.day}/{assay.day.year}"}
        text = gen5_text(values, run=meta, plate="Plate 1", time_zero=False)
        (folder / f"{stem}.txt").write_text(text, encoding="utf-8", newline="")
        header = (
            f"# Plate map of {stem}.txt: IC50 re-test of {assay.cell_line} after "
            f"{assay.drug_free_passages} drug-free passages (simulated)\n"
        )
        body = yaml.safe_dump(layout, sort_keys=False)
        (folder / f"{stem}.map.yaml").write_text(header + body, encoding="utf-8")


def main() -> None:
    rng = np.random.default_rng(SEED)
    OUT.mkdir(parents=True, exist_ok=True)
    for run in RUNS:
        for time_zero in (False, True) if run["time0"] else (False,):
            stem = f"{run['name']}_time0" if time_zero else run["name"]
            values = plate_signal(rng, run, time_zero=time_zero)
            text = gen5_text(values, run=run, plate="Plate 1", time_zero=time_zero)
            (OUT / f"{stem}.txt").write_text(text, encoding="utf-8", newline="")
            header = f"# Plate map of {stem}.txt (generated by examples/make_examples.py)\n"
            body = yaml.safe_dump(plate_map(run, time_zero=time_zero), sort_keys=False)
            (OUT / f"{stem}.map.yaml").write_text(header + body, encoding="utf-8")
    truth = {
        "note": "simulation truth for the example plates (GR model, Hafner et al. 2016)",
        "seed": SEED,
        "lines": LINES,
        "runs": RUNS,
        "doses_uM": doses_um().tolist(),
    }
    (OUT / "truth.yaml").write_text(yaml.safe_dump(truth, sort_keys=False), encoding="utf-8")
    write_campaign(np.random.default_rng(SEED + 1))


if __name__ == "__main__":
    main()
