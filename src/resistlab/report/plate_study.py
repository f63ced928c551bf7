"""The viability-plate workflow: assay tables in, every dose-response result out.

`analyse_plates` runs the analyses of one or more plates (pure: no files);
`write_plate_study` writes the tables and figures (the only I/O here).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from resistlab._atomic import atomic_path
from resistlab.dose_response import CurveFits, CurveTable, fit_frame, gr_metrics
from resistlab.dose_response.compare import compare_curves, fold_resistance
from resistlab.dose_response.gr import GRMetrics
from resistlab.plates import normalize_plate, plate_qc, run_variability
from resistlab.plates.qc import PlateQC
from resistlab.plates.variability import RunVariability

__all__ = ["FittedCurves", "PlateStudy", "analyse_plates", "write_plate_study"]

#: Curve keys of per-run fits and of fits pooled over runs.
RUN_KEYS = ("plate", "cell_line", "drug")
POOLED_KEYS = ("cell_line", "drug")


@dataclass(frozen=True)
class FittedCurves:
    """Curves (points) and their fits, with the results table."""

    curves: CurveTable
    fits: CurveFits
    table: pd.DataFrame

    def index_of(self, **keys: str) -> int:
        """Row of the curve whose key columns equal `keys`."""
        match = np.ones(len(self.curves.keys), dtype=bool)
        for name, value in keys.items():
            match &= (self.curves.keys[name] == value).to_numpy()
        hits = np.flatnonzero(match)
        if hits.size != 1:
            msg = f"expected one curve for {keys}, found {hits.size}"
            raise KeyError(msg)
        return int(hits[0])


@dataclass(frozen=True)
class PlateStudy:
    """Everything the plates say about sensitivity and resistance.

    Attributes
    ----------
    wells : DataFrame
        Normalised assay table (one row per well; viability in % of vehicle).
    qc : PlateQC
        Per-plate quality control.
    runs : FittedCurves
        One curve per plate (run), cell line and drug.
    pooled : FittedCurves
        One curve per cell line and drug over all runs.
    variability : RunVariability or None
        Between-run IC50 variability and the metadata that differed.
    fold : DataFrame or None
        Fold resistance of each line against the reference line, per drug.
    shift_tests : DataFrame or None
        Extra-sum-of-squares F tests of a shared IC50 (ec50) and of one shared
        curve between each line and the reference.
    gr : GRMetrics or None
        GR metrics where a time-zero plate exists.
    notes : tuple of str
        What was skipped and why.
    """

    wells: pd.DataFrame
    qc: PlateQC
    runs: FittedCurves
    pooled: FittedCurves
    variability: RunVariability | None
    fold: pd.DataFrame | None
    shift_tests: pd.DataFrame | None
    gr: GRMetrics | None
    notes: tuple[str, ...] = field(default=())


def _curve_rows(wells: pd.DataFrame) -> pd.DataFrame:
    """Sample wells plus, for each drug, the same plate and line's vehicle wells at dose 0."""
    usable = wells[~wells["time_zero"].fillna(False).astype(bool)]
    samples = usable[usable["role"] == "sample"]
    vehicle = usable[usable["role"] == "vehicle"]
    drugs = samples[["plate", "cell_line", "drug"]].drop_duplicates()
    vehicle_rows = vehicle.drop(columns=["drug"]).merge(drugs, on=["plate", "cell_line"])
    vehicle_rows["concentration"] = 0.0
    rows = pd.concat([samples, vehicle_rows], ignore_index=True)
    return rows.sort_values(["plate", "cell_line", "drug", "concentration"], kind="stable")


def _fit(
    rows: pd.DataFrame,
    keys: Sequence[str],
    progress: Callable[[int, int], None] | None,
) -> FittedCurves:
    curves, fits = fit_frame(
        rows,
        dose="concentration",
        response="viability",
        by=list(keys),
        default_control=100.0,
        source="normalised plates",
        progress=progress,
    )
    table = pd.concat([curves.keys.reset_index(drop=True), fits.to_frame()], axis=1)
    return FittedCurves(curves=curves, fits=fits, table=table)


def analyse_plates(
    assay: pd.DataFrame,
    *,
    reference_line: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> PlateStudy:
    """Normalise, check, fit and compare viability plates.

    Parameters
    ----------
    assay : DataFrame
        Assay table(s) of `resistlab.io.assemble_plate`, plates named
        uniquely; time-zero plates (``time_zero`` True) enable GR metrics.
    reference_line : str, optional
        The parental line: fold resistance and shift tests compare every
        other line treated with the same drug against it.
    progress : callable, optional
        ``progress(done, total)`` during the fits.

    Returns
    -------
    PlateStudy
    """
    notes: list[str] = []
    wells = normalize_plate(assay)
    qc = plate_qc(assay)
    rows = _curve_rows(wells)
    runs = _fit(rows, RUN_KEYS, progress)
    pooled = _fit(rows, POOLED_KEYS, None)

    variability = None
    run_table = runs.table.copy()
    metadata = [
        c
        for c in (
            "readout",
            "culture",
            "matrigel_lot",
            "matrigel_percent",
            "seeding_density",
            "incubation_hours",
        )
        if c in wells.columns
    ]
    if metadata:
        meta = wells.groupby("plate", sort=False)[metadata].first().reset_index()
        run_table = run_table.merge(meta, on="plate", how="left")
    if run_table["plate"].nunique() > 1:
        variability = run_variability(
            run_table.rename(columns={"ic50_censor": "ic50_censor"}), metadata=tuple(metadata)
        )
    else:
        notes.append("one run only: no between-run variability")

    fold = shift = None
    if reference_line is None:
        notes.append("no reference (parental) line given: fold resistance not computed")
    else:
        fold, shift = _compare_lines(rows, pooled, reference_line, notes)

    gr = _gr(wells, notes)
    return PlateStudy(
        wells=wells,
        qc=qc,
        runs=FittedCurves(runs.curves, runs.fits, run_table),
        pooled=pooled,
        variability=variability,
        fold=fold,
        shift_tests=shift,
        gr=gr,
        notes=tuple(notes),
    )


def _compare_lines(
    rows: pd.DataFrame,
    pooled: FittedCurves,
    reference: str,
    notes: list[str],
) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    keys = pooled.curves.keys
    if reference not in set(keys["cell_line"]):
        notes.append(f"reference line {reference!r} not on the plates: no fold resistance")
        return None, None
    folds = []
    tests = []
    for drug in keys.loc[keys["cell_line"] == reference, "drug"]:
        ref_index = pooled.index_of(cell_line=reference, drug=drug)
        others = keys[(keys["drug"] == drug) & (keys["cell_line"] != reference)]
        for line in others["cell_line"]:
            index = pooled.index_of(cell_line=line, drug=drug)
            result = fold_resistance(
                pooled.fits.take(ref_index), pooled.fits.take(index)
            ).to_frame()
            result.insert(0, "drug", drug)
            result.insert(1, "reference_line", reference)
            result.insert(2, "cell_line", line)
            folds.append(result)
            pair = rows[(rows["drug"] == drug) & rows["cell_line"].isin([reference, line])]
            for shared in (("ec50",), "all"):
                comparison = compare_curves(
                    pair["concentration"].to_numpy(float),
                    pair["viability"].to_numpy(float),
                    pair["cell_line"].to_numpy(object),
                    shared=shared,
                )
                tests.append(
                    {
                        "drug": drug,
                        "reference_line": reference,
                        "cell_line": line,
                        "test": "shared ec50" if shared != "all" else "one curve",
                        "f": comparison.f_statistic,
                        "df_num": comparison.df_shared - comparison.df_separate,
                        "df_den": comparison.df_separate,
                        "p_value": comparison.p_value,
                        "converged": comparison.converged,
                    }
                )
    if not folds:
        notes.append(f"no other line shares a drug with {reference!r}: no fold resistance")
        return None, None
    return pd.concat(folds, ignore_index=True), pd.DataFrame(tests)


def _gr(wells: pd.DataFrame, notes: list[str]) -> GRMetrics | None:
    """GR metrics of every endpoint plate that has a time-zero plate of the same run."""
    time_zero = wells["time_zero"].fillna(False).astype(bool)
    if not time_zero.any():
        notes.append("no time-zero plate: GR metrics not computed")
        return None
    if "run" not in wells.columns:
        notes.append("time-zero plate present but no 'run' key in the plate maps: GR skipped")
        return None
    zero = wells[time_zero & wells["role"].isin(["vehicle", "sample"])]
    x0 = zero.groupby(["run", "cell_line"])["signal"].mean().rename("cell_count__time0")
    end = wells[~time_zero & (wells["role"] == "sample")]
    table = end.merge(x0.reset_index(), on=["run", "cell_line"], how="inner")
    if table.empty:
        notes.append("no endpoint plate shares a run with a time-zero plate: GR skipped")
        return None
    table = table.assign(
        cell_count=table["signal"],
        cell_count__ctrl=table["vehicle_mean"],
        agent=table["drug"],
        time=table["incubation_hours"],
    )
    columns = [
        "run",
        "cell_line",
        "agent",
        "time",
        "concentration",
        "cell_count",
        "cell_count__ctrl",
        "cell_count__time0",
    ]
    return gr_metrics(table[columns], keys=["run", "cell_line", "agent", "time"])


def _atomic_csv(frame: pd.DataFrame, path: Path) -> None:
    with atomic_path(path) as temporary:
        frame.to_csv(temporary, index=False)


def write_plate_study(
    study: PlateStudy, out_dir: str | Path, *, figures: bool = True
) -> list[Path]:
    """Write the study's tables (CSV) and figures (PNG) into `out_dir`; return the paths.

    Each file is written to a temporary name and renamed, so an interrupted
    run leaves no half-written file.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def table(frame: pd.DataFrame, name: str) -> None:
        path = out / name
        _atomic_csv(frame, path)
        written.append(path)

    table(study.pooled.table, "curves.csv")
    table(study.runs.table, "curves_by_run.csv")
    table(study.wells, "wells.csv")
    table(study.qc.to_frame(), "qc.csv")
    table(study.qc.issues_frame(), "qc_issues.csv")
    if study.variability is not None:
        table(study.variability.to_frame(), "run_variability.csv")
    if study.fold is not None:
        table(study.fold, "fold_resistance.csv")
    if study.shift_tests is not None:
        table(study.shift_tests, "shift_tests.csv")
    if study.gr is not None:
        table(study.gr.to_frame(), "gr_metrics.csv")
    if figures:
        from resistlab.report._study_figures import write_study_figures

        written += write_study_figures(study, out)
    return written
