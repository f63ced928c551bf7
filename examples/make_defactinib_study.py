"""Write the bundled Defactinib-resistance study folder (seeded, reproducible).

    .venv/bin/python examples/make_defactinib_study.py [OUTPUT_FOLDER]

The study: MDA-MB-231 (parental) against MDA-MB-231-DefR, grown in 3D
Matrigel, read with CellTiter-Glo. Every raw file is written the way the
instrument or the lab's spreadsheet writes it, with a planted mechanism --
RTK upregulation with bypass phosphorylation of FAK Y397 plus moderate STAT3
activation, not a reversible drug-tolerant state -- so that the analysis can
be checked against a known truth (``truth.yaml``; see the folder's README).

Default output: ``examples/defactinib-study``. The parental/DefR dose-response
plates are regenerated with `make_examples` (same seed, same bytes as
``examples/dose_response``); the campaign store export and the RNA-seq counts
are copied from ``examples/campaign`` and ``examples/rnaseq``.
"""

from __future__ import annotations

import io
import shutil
import sys
from pathlib import Path

import numpy as np
import yaml

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import make_examples as mx  # noqa: E402  (a script beside this one, not a package)

OUT = HERE / "defactinib-study"
SEED = 20240716
PARENTAL = "MDA-MB-231"
RESISTANT = "MDA-MB-231-DefR"
HOLIDAY = "MDA-MB-231-DefR-holiday"

# --------------------------------------------------------------------------- planted truth

#: Drug holiday: DefR after 6 drug-free passages keeps its resistance (GEC50 ratio 0.9).
HOLIDAY_LINES = {
    RESISTANT: {**mx.LINES[RESISTANT], "rows": "BCD"},
    HOLIDAY: {**mx.LINES[RESISTANT], "rows": "EFG", "gec50_um": 0.9 * 7.5},
}
HOLIDAY_RUNS = [
    {"name": "holiday_run1", "date": "6/20/2024", "matrigel_lot": "B07", "lot_shift": 1.0},
    {"name": "holiday_run2", "date": "6/27/2024", "matrigel_lot": "B07", "lot_shift": 1.0},
    {"name": "holiday_run3", "date": "7/3/2024", "matrigel_lot": "C21", "lot_shift": 1.0},
]

#: Western blot antibodies: file slug -> (antibody as the lab writes it, band level in
#: LI-COR units for parental vehicle, channel).
ANTIBODIES = {
    "pFAK_Y397": ("p-FAK (Tyr397)", 18000.0, 800),
    "FAK": ("FAK", 26000.0, 700),
    "pSTAT3_Y705": ("p-STAT3 (Tyr705)", 9000.0, 800),
    "STAT3": ("STAT3", 30000.0, 700),
    "pAKT_S473": ("p-AKT (Ser473)", 12000.0, 800),
    "AKT": ("pan-AKT", 24000.0, 700),
    "pERK": ("p-ERK1/2 (Thr202/Tyr204)", 15000.0, 800),
    "ERK": ("ERK1/2", 35000.0, 700),
    "HER2": ("HER2", 6000.0, 800),
    "EGFR": ("EGFR", 14000.0, 800),
    "GAPDH": ("GAPDH", 60000.0, 700),
}

#: Band level relative to parental + vehicle, per (condition, treatment). Phospho bands
#: carry their total's change, so phospho/total is the ratio of the two rows.
WESTERN = {
    #              parental veh, parental drug, resistant veh, resistant drug
    "FAK": (1.0, 1.0, 1.05, 1.05),
    "pFAK_Y397": (1.0, 1.0 / 8.0, 1.05 * 1.5, 1.05 * 1.3),  # bypass: persists in DefR
    "STAT3": (1.0, 1.0, 1.15, 1.15),
    "pSTAT3_Y705": (1.0, 1.0, 1.15 * 2.5, 1.15 * 2.5),  # pSTAT3/STAT3 x2.5
    "AKT": (1.0, 1.0, 0.95, 0.95),
    "pAKT_S473": (1.0, 1.0, 0.95 * 1.1, 0.95 * 1.1),  # within 1.2x
    "ERK": (1.0, 1.0, 1.0, 1.0),
    "pERK": (1.0, 1.0, 0.92, 0.92),  # within 1.2x
    "HER2": (1.0, 1.0, 4.5, 4.5),
    "EGFR": (1.0, 1.0, 2.3, 2.3),
    "GAPDH": (1.0, 1.0, 1.0, 1.0),
}
LANES = [  # lane -> (condition, treatment, cell line, sample prefix)
    ("parental", "vehicle", PARENTAL, "P-V"),
    ("parental", "defactinib", PARENTAL, "P-D"),
    ("resistant", "vehicle", RESISTANT, "R-V"),
    ("resistant", "defactinib", RESISTANT, "R-D"),
]
BLOT_DATES = ["2024-06-04", "2024-06-11", "2024-06-18"]

#: Phospho-RTK array: RTK -> (level as a fraction of the reference spots in parental,
#: fold in DefR). Spots are the lab's own gridding, in duplicate.
RTK_ARRAY = {
    "pEGFR": (0.22, 3.0),
    "pERBB2": (0.08, 6.0),
    "pERBB3": (0.05, 1.0),
    "pERBB4": (0.01, 1.0),
    "pFGFR1": (0.03, 1.0),
    "pFGFR2": (0.01, 1.0),
    "pFGFR3": (0.02, 1.0),
    "pINSR": (0.06, 1.0),
    "pIGF1R": (0.09, 1.0),
    "pAXL": (0.07, 4.0),
    "pDTK": (0.02, 1.0),
    "pMER": (0.03, 1.0),
    "pMET": (0.18, 1.0),
    "pMSPR": (0.01, 1.0),
    "pPDGFRA": (0.01, 1.0),
    "pPDGFRB": (0.04, 1.0),
    "pKIT": (0.005, 1.0),
    "pFLT3": (0.005, 1.0),
    "pRET": (0.01, 1.0),
    "pROR1": (0.05, 1.0),
    "pTIE2": (0.01, 1.0),
    "pVEGFR2": (0.02, 1.0),
    "pEPHA2": (0.30, 1.0),
    "pEPHB2": (0.04, 1.0),
    "pDDR1": (0.12, 1.0),
}
MEMBRANES = [  # membrane, condition, cell line, replicate (lysate)
    ("M1", "parental", PARENTAL, 1),
    ("M2", "resistant", RESISTANT, 1),
    ("M3", "parental", PARENTAL, 2),
    ("M4", "resistant", RESISTANT, 2),
]

#: Combination plates (resistant line): partner -> (unit, top dose, IC50, Hill, bottom
#: viability, planted mean Bliss excess in % points over the combination wells).
DEFACTINIB_DEFR = {"top_um": 30.0, "ic50_um": 12.0, "h": 1.0, "bottom": 0.30}  # as the DefR plates
PARTNERS = {
    "lapatinib": {"top_um": 10.0, "ic50_um": 4.0, "h": 1.0, "bottom": 0.10, "excess": 15.0},
    "ruxolitinib": {"top_um": 30.0, "ic50_um": 14.0, "h": 1.0, "bottom": 0.20, "excess": 5.0},
    "avutometinib": {"top_um": 1.0, "ic50_um": 0.12, "h": 0.9, "bottom": 0.35, "excess": 0.0},
}
COMBO_DILUTION = 3.0
#: Noise seed of the combination plates. With 3 plates per pair the block means scatter
#: by about +-2 points around the planted excess (shared monotherapy wells); this seed was
#: picked among SEED+3..SEED+14 as one whose draw sits within 1 point of the planted means.
SYNERGY_SEED = SEED + 9
COMBO_RUNS = [
    {"name": "run1", "date": "7/9/2024"},
    {"name": "run2", "date": "7/16/2024"},
    {"name": "run3", "date": "7/23/2024"},
]

# --------------------------------------------------------------------------- helpers


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="")


def _write_map(path: Path, header: str, layout: dict) -> None:
    _write_text(path, header + yaml.safe_dump(layout, sort_keys=False))


def _csv(rows: list[list[object]]) -> str:
    out = io.StringIO()
    for row in rows:
        out.write(",".join(_field(v) for v in row) + "\r\n")
    return out.getvalue()


def _field(value: object) -> str:
    text = "" if value is None else str(value)
    return f'"{text}"' if any(c in text for c in ',"\n') else text


# --------------------------------------------------------------------------- dose response


def write_dose_response(out: Path) -> list[dict[str, str]]:
    """Parental vs DefR plates, exactly as ``make_examples`` writes them (same seed)."""
    folder = out / "dose_response"
    rng = np.random.default_rng(mx.SEED)
    plates = []
    for run in mx.RUNS:
        for time_zero in (False, True) if run["time0"] else (False,):
            stem = f"{run['name']}_time0" if time_zero else run["name"]
            values = mx.plate_signal(rng, run, time_zero=time_zero)
            text = mx.gen5_text(values, run=run, plate="Plate 1", time_zero=time_zero)
            _write_text(folder / f"{stem}.txt", text)
            header = f"# Plate map of {stem}.txt (generated by examples/make_examples.py)\n"
            _write_map(folder / f"{stem}.map.yaml", header, mx.plate_map(run, time_zero=time_zero))
            plates.append(
                {"export": f"dose_response/{stem}.txt", "map": f"dose_response/{stem}.map.yaml"}
            )
    return plates


def _holiday_signal(rng: np.random.Generator, run: dict) -> np.ndarray:
    cells = np.zeros((8, 12))
    for line in HOLIDAY_LINES.values():
        for r in line["rows"]:
            i = mx.ROWS.index(r)
            cells[i, 1:10] = mx.cells_at_end(line, mx.doses_um(), run["lot_shift"])
            cells[i, 10] = mx.cells_at_end(line, np.array([0.0]), 1.0)[0]
            cells[i, 0] = 0.03 * mx.SEEDING
    signal = mx.BLANK_RLU + mx.SIGNAL_PER_CELL * cells
    return np.round(signal * rng.lognormal(0.0, mx.NOISE_CV, signal.shape))


def _holiday_map(run: dict) -> dict:
    return mx.plate_map(run, time_zero=False, lines=HOLIDAY_LINES)


def write_holiday(out: Path, rng: np.random.Generator) -> list[dict[str, str]]:
    """DefR kept on 4 uM defactinib beside DefR after 6 drug-free passages."""
    folder = out / "dose_response"
    plates = []
    for run in HOLIDAY_RUNS:
        stem = run["name"]
        values = _holiday_signal(rng, run)
        text = mx.gen5_text(values, run=run, plate="Plate 1", time_zero=False)
        _write_text(folder / f"{stem}.txt", text)
        header = (
            f"# Plate map of {stem}.txt: drug holiday. Rows B-D {RESISTANT} kept on "
            f"defactinib; rows E-G {HOLIDAY}, the same line after 6 drug-free passages\n"
        )
        _write_map(folder / f"{stem}.map.yaml", header, _holiday_map(run))
        plates.append(
            {"export": f"dose_response/{stem}.txt", "map": f"dose_response/{stem}.map.yaml"}
        )
    return plates


# --------------------------------------------------------------------------- western blots


def _image_studio_export(rng: np.random.Generator, blot: int, slug: str, levels: np.ndarray) -> str:
    """One LI-COR Image Studio shape table (CSV) of one probed image, one shape per lane."""
    channel = ANTIBODIES[slug][2]  # the antibody itself is named in the lanes sheet
    image = f"blot{blot}_{BLOT_DATES[blot - 1].replace('-', '')}_{slug}"
    rows: list[list[object]] = [
        ["Image Name", "Channel", "Name", "Signal", "Total", "Area", "Bkgnd.", "Type"]
    ]
    for lane, level in enumerate(levels, start=1):
        area = int(rng.integers(1150, 1290))
        bkgnd = round(float(rng.uniform(3.0, 9.0)) * (1.6 if channel == 800 else 1.0), 2)
        signal = round(float(level), 1)
        total = signal + bkgnd * area
        rows.append(
            [image, channel, lane, f"{signal:.1f}", f"{total:.2f}", area, f"{bkgnd:.2f}", "Band"]
        )
    return _csv(rows)


def write_western(out: Path, rng: np.random.Generator) -> list[str]:
    """3 biological replicate blots x 11 probes (Image Studio exports) + the lanes sheet."""
    folder = out / "blots"
    exports = []
    lane_rows: list[list[object]] = [
        ["file", "lane", "blot", "sample", "condition", "cell_line", "treatment", "replicate",
         "target"]
    ]  # fmt: skip
    for blot in (1, 2, 3):
        loading = rng.lognormal(0.0, 0.15, len(LANES))  # uneven loading per lane
        for slug, (antibody, base, _) in ANTIBODIES.items():
            exposure = rng.lognormal(0.0, 0.25)  # per image: antibody lot, scan intensity
            change = np.asarray(WESTERN[slug])
            biology = rng.lognormal(0.0, 0.08, len(LANES))  # lysate-to-lysate
            levels = base * exposure * loading * change * biology
            name = f"blot{blot}_{slug}.csv"
            _write_text(folder / name, _image_studio_export(rng, blot, slug, levels))
            exports.append(f"blots/{name}")
            for lane, (condition, treatment, line, prefix) in enumerate(LANES, start=1):
                lane_rows.append(
                    [name, lane, f"blot{blot}", f"{prefix}-{blot}", condition, line,
                     treatment, blot, antibody]
                )  # fmt: skip
    _write_text(folder / "lanes.csv", _csv(lane_rows))
    return exports


# --------------------------------------------------------------------------- RTK array


def _array_spots() -> list[tuple[str, str]]:
    """(coordinate, target): reference pairs in three corners, RTKs in duplicate, PBS."""
    spots = [("A1", "Reference"), ("A2", "Reference"), ("A23", "Reference"), ("A24", "Reference")]
    spots += [("F1", "Reference"), ("F2", "Reference")]
    for k, rtk in enumerate(RTK_ARRAY):
        row = "BCD"[k // 12]
        col = 1 + 2 * (k % 12)
        spots += [(f"{row}{col}", rtk), (f"{row}{col + 1}", rtk)]
    spots += [("F23", "PBS"), ("F24", "PBS")]
    return spots


def write_rtk_array(out: Path, rng: np.random.Generator) -> list[str]:
    """Film scans of the phospho-RTK membranes quantified in ImageJ, in a lab table."""
    header = [
        "# Phospho-RTK array (Proteome Profiler Human Phospho-RTK, ARY001B), 300 ug lysate",
        "# Film exposure 3 min; spots quantified in ImageJ (inverted, 1.8 mm circle, "
        "integrated density); coordinates = our gridding of the scan, see the kit insert",
    ]
    rows: list[list[object]] = [
        ["Membrane", "Lane", "Target", "Condition", "Cell line", "Replicate", "Integrated Density"]
    ]
    spots = _array_spots()
    for membrane, condition, line, replicate in MEMBRANES:
        reference = 2.4e5 * rng.lognormal(0.0, 0.2)  # exposure of this membrane
        background = 9.0e3 * rng.lognormal(0.0, 0.1)
        membrane_rtk = {rtk: rng.lognormal(0.0, 0.12) for rtk in RTK_ARRAY}
        for coordinate, target in spots:
            if target == "Reference":
                level = 1.0
            elif target == "PBS":
                level = 0.0
            else:
                base, fold = RTK_ARRAY[target]
                level = base * (fold if condition == "resistant" else 1.0)
                level *= membrane_rtk[target]
            value = background * rng.lognormal(0.0, 0.06) + reference * level * rng.lognormal(
                0.0, 0.07
            )
            rows.append([membrane, coordinate, target, condition, line, replicate, f"{value:.0f}"])
    name = "phospho_rtk_array_imagej.csv"
    _write_text(out / "rtk_array" / name, "\r\n".join(header) + "\r\n" + _csv(rows))
    return [f"rtk_array/{name}"]


# --------------------------------------------------------------------------- combinations


def _hill_viability(dose_um: np.ndarray, p: dict) -> np.ndarray:
    with np.errstate(divide="ignore"):
        ratio = np.where(dose_um > 0, (dose_um / p["ic50_um"]) ** p["h"], 0.0)
    return p["bottom"] + (1.0 - p["bottom"]) / (1.0 + ratio)


def _series(top_um: float) -> np.ndarray:
    """Doses down the matrix, top first, ending with 0 (6 levels)."""
    return np.append(top_um / COMBO_DILUTION ** np.arange(5), 0.0)


def _combination(partner: str, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """(viability, Bliss excess) on the 6x6 matrix when each drug shifts the other's IC50.

    Each drug's IC50 is divided by ``1 + alpha * d / (d + IC50)`` of the other
    drug's dose ``d``: a mutual potency shift, as when one drug shuts the
    bypass the other leaves open. ``alpha = 0`` is Bliss independence.
    """
    p = PARTNERS[partner]
    d1 = _series(DEFACTINIB_DEFR["top_um"])[None, :]
    d2 = _series(p["top_um"])[:, None]
    shift1 = 1.0 + alpha * d2 / (d2 + p["ic50_um"])
    shift2 = 1.0 + alpha * d1 / (d1 + DEFACTINIB_DEFR["ic50_um"])
    v1 = _hill_viability(d1, {**DEFACTINIB_DEFR, "ic50_um": DEFACTINIB_DEFR["ic50_um"] / shift1})
    v2 = _hill_viability(d2, {**p, "ic50_um": p["ic50_um"] / shift2})
    viability = v1 * v2
    bliss = _hill_viability(d1, DEFACTINIB_DEFR) * _hill_viability(d2, p)
    combo = (d1 > 0) & (d2 > 0)
    return viability, float((bliss - viability)[combo].mean() * 100.0)


def combination_viability(partner: str) -> np.ndarray:
    """True viability (fraction of vehicle) on the 6x6 matrix: rows partner, columns defactinib.

    Rows run from the partner's top dose (B) to 0 (G), columns from defactinib's
    top dose (2) to 0 (7). The potency shift of `_combination` is solved (by
    bisection) so that the mean Bliss excess over the 25 combination wells is
    the planted one, in % inhibition points.
    """
    target = PARTNERS[partner]["excess"]
    low, high = 0.0, 200.0
    for _ in range(80):
        mid = 0.5 * (low + high)
        low, high = (mid, high) if _combination(partner, mid)[1] < target else (low, mid)
    return _combination(partner, 0.5 * (low + high))[0]


def write_synergy(out: Path, rng: np.random.Generator) -> list[dict[str, str]]:
    """Per pair and run, one 96-well plate: a 6x6 matrix in B-G x 2-7, vehicle and blanks."""
    folder = out / "synergy"
    plates = []
    control_cells = mx.SEEDING * 2 ** (mx.INCUBATION_H / mx.LINES[RESISTANT]["doubling_h"])
    for partner, p in PARTNERS.items():
        stem = f"defactinib_{partner}"
        layout = {
            "plate": {
                "format": 96,
                "readout": "CellTiter-Glo",
                "culture": "3D",
                "matrigel_lot": "C21",
                "matrigel_percent": 2,
                "seeding_density": mx.SEEDING,
                "incubation_hours": int(mx.INCUBATION_H),
                "time_zero": False,
            },
            "cell_line": RESISTANT,
            "unit": "uM",
            "blocks": [
                {
                    "drug": "defactinib",
                    "drug2": partner,
                    "rows": "B-G",
                    "columns": "2-7",
                    "doses": [float(f"{d:.4g}") for d in _series(DEFACTINIB_DEFR["top_um"])],
                    "doses2": [float(f"{d:.4g}") for d in _series(p["top_um"])],
                },
                {"role": "vehicle", "drug": "DMSO", "rows": "B-G", "columns": 8},
                {
                    "role": "positive_control",
                    "drug": "staurosporine",
                    "rows": "B-G",
                    "columns": 9,
                    "concentration": "1 uM",
                },
                {"role": "blank", "rows": "B-G", "columns": 11},
            ],
        }
        header = (
            f"# Plate map of synergy/{stem}_run*.txt: defactinib (columns 2-7, 30 uM down "
            f"3-fold to 0) x {partner} (rows B-G, {p['top_um']:g} uM down 3-fold to 0), "
            f"{RESISTANT}; one plate per run\n"
        )
        _write_map(folder / f"{stem}.map.yaml", header, layout)
        viability = combination_viability(partner)
        for run in COMBO_RUNS:
            cells = np.zeros((8, 12))
            run_factor = rng.lognormal(0.0, 0.05)  # day-to-day growth
            cells[1:7, 1:7] = control_cells * run_factor * viability
            cells[1:7, 7] = control_cells * run_factor
            cells[1:7, 8] = 0.03 * mx.SEEDING
            signal = mx.BLANK_RLU + mx.SIGNAL_PER_CELL * cells
            values = np.round(signal * rng.lognormal(0.0, mx.NOISE_CV, signal.shape))
            meta = {"name": f"{stem}_{run['name']}", "date": run["date"]}
            text = mx.gen5_text(values, run=meta, plate="Plate 1", time_zero=False)
            _write_text(folder / f"{stem}_{run['name']}.txt", text)
            plates.append(
                {
                    "export": f"synergy/{stem}_{run['name']}.txt",
                    "map": f"synergy/{stem}.map.yaml",
                }
            )
    return plates


# --------------------------------------------------------------------------- copies, study


def copy_inputs(out: Path) -> None:
    """The campaign store export and the RNA-seq counts, as shipped in ``examples/``."""
    (out / "campaign").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(HERE / "campaign" / "lab.json", out / "campaign" / "lab.json")
    (out / "rnaseq").mkdir(parents=True, exist_ok=True)
    for name in ("featureCounts.txt.gz", "samples.csv"):
        shutil.copyfile(HERE / "rnaseq" / name, out / "rnaseq" / name)


# IHC of xenograft sections, scored by a pathologist and entered by hand: H-scores (0-300),
# mean of 5 tumours per line; log2 of the H-score ratio, p from the lab's Mann-Whitney test.
IHC_ROWS = (
    ("ihc", "p-STAT3 (Tyr705)", "resistant_vs_parental", 45.0, 102.0, 0.016, 5),
    ("ihc", "HER2", "resistant_vs_parental", 28.0, 118.0, 0.008, 5),
)


def write_hand_evidence(out: Path) -> None:
    """The lab's hand-written evidence table (the DESIGN.md format) for the IHC results."""
    rows = [["assay", "target", "comparison", "log2_fold_change", "p_value", "se", "n", "source"]]
    for assay, target, comparison, parental, resistant, p, n in IHC_ROWS:
        rows.append(
            [
                assay,
                target,
                comparison,
                f"{np.log2(resistant / parental):.3f}",
                p,
                "",
                n,
                f"xenograft sections, H-score {parental:g} -> {resistant:g} (mean of {n} tumours)",
            ]
        )
    _write_text(out / "evidence" / "ihc_xenografts.csv", _csv(rows))


def _flow(items: list) -> str:
    return "[" + ", ".join(items) + "]"


def study_yaml(
    plates: list[dict[str, str]],
    holiday: list[dict[str, str]],
    western: list[str],
    rtk: list[str],
    synergy: list[dict[str, str]],
) -> str:
    def plate_lines(items: list[dict[str, str]], indent: str) -> list[str]:
        return [f"{indent}- {{export: {p['export']}, map: {p['map']}}}" for p in items]

    lines = [
        "# The Defactinib-resistance example study (written by examples/make_defactinib_study.py)",
        "# Paths are relative to this folder. See README.md for what each file is.",
        'study: "Defactinib resistance in MDA-MB-231 (3D Matrigel)"',
        "drug: defactinib",
        f"parental: {PARENTAL}",
        f"resistant: {RESISTANT}",
        "dose_response:",
        "  plates:",
        *plate_lines(plates, "    "),
        "  drug_holiday:",
        f"    line: {HOLIDAY}",
        "    plates:",
        *plate_lines(holiday, "      "),
        "campaign: campaign/lab.json",
        "western:",
        "  exports:",
        *[f"    - {w}" for w in western],
        "  lanes: blots/lanes.csv",
        "  layout: image_studio",
        "  loading_control: GAPDH",
        "rtk_array:",
        f"  exports: {_flow(rtk)}",
        "  layout: tidy",
        "rnaseq:",
        "  counts: rnaseq/featureCounts.txt.gz",
        "  samples: rnaseq/samples.csv",
        '  design: "~ batch + condition"',
        "  contrast: [condition, resistant, parental]",
        "synergy:",
        "  plates:",
        *plate_lines(synergy, "    "),
        "evidence: [evidence/ihc_xenografts.csv]   # hand-written evidence tables (CSV)",
        "",
    ]
    return "\n".join(lines)


def _ratio(a: str, b: str, lane: int, ref: int) -> float:
    """Planted (a / b in `lane`) over (a / b in lane `ref`), b = "" for the level itself."""
    level = WESTERN[a][lane] / (WESTERN[b][lane] if b else 1.0)
    base = WESTERN[a][ref] / (WESTERN[b][ref] if b else 1.0)
    return round(level / base, 4)


def truth() -> dict:
    """The planted numbers, for tests and the README."""
    pairs = {"pFAK_Y397": "FAK", "pSTAT3_Y705": "STAT3", "pAKT_S473": "AKT", "pERK": "ERK"}
    return {
        "note": "simulation truth of the defactinib-study example (not an instrument file)",
        "seed": SEED,
        "dose_response": {
            "model": "GR model of examples/make_examples.py (Hafner et al. 2016)",
            "lines": {
                name: {k: v for k, v in line.items() if k != "rows"}
                for name, line in [*mx.LINES.items(), (HOLIDAY, HOLIDAY_LINES[HOLIDAY])]
            },
            "fold_resistance_gec50": round(
                mx.LINES[RESISTANT]["gec50_um"] / mx.LINES[PARENTAL]["gec50_um"], 4
            ),
            "holiday_vs_resistant_gec50": round(
                HOLIDAY_LINES[HOLIDAY]["gec50_um"] / HOLIDAY_LINES[RESISTANT]["gec50_um"], 4
            ),
        },
        "western": {
            "resistant_vs_parental_vehicle": {
                **{f"{p}/{t}": _ratio(p, t, 2, 0) for p, t in pairs.items()},
                "HER2": _ratio("HER2", "", 2, 0),
                "EGFR": _ratio("EGFR", "", 2, 0),
            },
            "defactinib_vs_vehicle": {
                "parental pFAK_Y397/FAK": _ratio("pFAK_Y397", "FAK", 1, 0),
                "resistant pFAK_Y397/FAK": _ratio("pFAK_Y397", "FAK", 3, 2),
            },
            "noise": "lane loading sd 0.15, image exposure sd 0.25, lysate sd 0.08 (log)",
        },
        "rtk_array": {
            rtk: {"parental_level": base, "fold_resistant": fold}
            for rtk, (base, fold) in RTK_ARRAY.items()
        },
        "synergy": {
            "line": RESISTANT,
            "defactinib": DEFACTINIB_DEFR,
            "partners": PARTNERS,
            "mean_bliss_excess": {f"defactinib+{k}": v["excess"] for k, v in PARTNERS.items()},
        },
        "rnaseq": "examples/rnaseq/truth.csv (examples/make_rnaseq.py)",
    }


def main(out: Path = OUT) -> Path:
    """Write the whole study folder under `out` (default examples/defactinib-study)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    plates = write_dose_response(out)
    holiday = write_holiday(out, np.random.default_rng(SEED))
    western = write_western(out, np.random.default_rng(SEED + 1))
    rtk = write_rtk_array(out, np.random.default_rng(SEED + 2))
    synergy = write_synergy(out, np.random.default_rng(SYNERGY_SEED))
    copy_inputs(out)
    write_hand_evidence(out)
    _write_text(out / "study.yaml", study_yaml(plates, holiday, western, rtk, synergy))
    _write_text(out / "truth.yaml", yaml.safe_dump(truth(), sort_keys=False))
    return out


if __name__ == "__main__":
    folder = main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
    print(f"wrote {folder}")
