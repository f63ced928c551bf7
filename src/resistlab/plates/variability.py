"""Run-to-run variability of fitted IC50s, and the metadata that differ between runs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from resistlab.errors import InputError
from resistlab.plates._table import list_names
from resistlab.units import format_molar

__all__ = ["DEFAULT_METADATA", "RunVariability", "run_variability"]

#: Metadata columns compared between runs by default.
DEFAULT_METADATA: tuple[str, ...] = (
    "readout",
    "culture",
    "matrigel_lot",
    "matrigel_percent",
    "seeding_density",
    "incubation_hours",
)

_REQUIRED = ("cell_line", "drug", "plate", "ic50")
_CENSOR = ("", ">", "<")
_SUMMARY_COLUMNS = [
    "cell_line",
    "drug",
    "n_runs",
    "n_used",
    "n_censored",
    "n_missing",
    "geometric_mean_ic50",
    "sd_log10_ic50",
    "fold_range",
    "cv_percent",
    "min_ic50",
    "max_ic50",
    "differing_metadata",
    "message",
]
_DIFFERENCE_COLUMNS = [
    "cell_line",
    "drug",
    "column",
    "value",
    "n_runs",
    "runs",
    "geometric_mean_ic50",
]


@dataclass(frozen=True)
class RunVariability:
    """Run-to-run spread of IC50 per cell line and drug.

    Attributes
    ----------
    summary : DataFrame
        One row per (cell_line, drug):

        ``n_runs``
            Runs (plates) with a fit.
        ``n_used``
            Runs with an uncensored, finite IC50: the statistics use these.
        ``n_censored``, ``n_missing``
            Runs with a censored IC50 (``>`` or ``<``) and with no IC50 (NaN).
        ``geometric_mean_ic50``
            ``10 ** mean(log10 ic50)``, molar.
        ``sd_log10_ic50``
            SD (ddof 1) of log10 IC50; NaN with fewer than 2 runs used.
        ``fold_range``
            Largest over smallest IC50 (1 with one run, NaN with none).
        ``cv_percent``
            Geometric coefficient of variation,
            ``100 sqrt(exp((ln 10 * sd_log10_ic50) ** 2) - 1)``, the CV of a
            log-normal quantity such as an IC50.
        ``min_ic50``, ``max_ic50``
            Extremes of the runs used, molar.
        ``differing_metadata``
            Metadata columns whose values differ between the runs, joined by
            ``", "`` (``""`` when none).
        ``message``
            One sentence for a person, e.g. ``"IC50 varies 4.1-fold across 3
            runs; matrigel_lot differs (A12, B07)"``.
    differences : DataFrame
        One row per (cell_line, drug, differing column, value): ``n_runs``
        and ``runs`` (plate names) with that value, and the
        ``geometric_mean_ic50`` of their uncensored runs.
    metadata : tuple of str
        The metadata columns compared.
    metadata_missing : tuple of str
        Requested metadata columns absent from the fits (not compared).
    """

    summary: pd.DataFrame
    differences: pd.DataFrame
    metadata: tuple[str, ...]
    metadata_missing: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """Return the summary, one row per cell line and drug (a copy)."""
        return self.summary.copy()

    @property
    def messages(self) -> tuple[str, ...]:
        """The ``message`` of every (cell_line, drug), prefixed with both."""
        return tuple(
            f"{cell_line} / {drug}: {message}"
            for cell_line, drug, message in zip(
                self.summary["cell_line"],
                self.summary["drug"],
                self.summary["message"],
                strict=True,
            )
        )


def run_variability(
    fits: pd.DataFrame,
    *,
    metadata: Sequence[str] = DEFAULT_METADATA,
) -> RunVariability:
    """Summarise how much IC50 varies between runs and which conditions differed.

    Parameters
    ----------
    fits : DataFrame
        One row per fitted curve and run, with ``cell_line``, ``drug``,
        ``plate`` (the run; one fit per cell line, drug and plate), ``ic50``
        (molar; NaN for a failed fit), optionally ``ic50_censor`` (``""``,
        ``">"`` above the highest dose, ``"<"`` below the lowest; missing
        means ``""``) and the metadata columns.
    metadata : sequence of str
        Columns compared between runs.  Columns absent from `fits` are
        skipped and listed in ``metadata_missing``.

    Returns
    -------
    RunVariability

    Raises
    ------
    InputError
        If a required column is missing, an IC50 is zero or negative, a
        censor mark is not ``""``, ``">"`` or ``"<"``, or a cell line and
        drug has two fits from the same plate.
    TypeError
        If `fits` is not a DataFrame.

    Notes
    -----
    Censored IC50s are only bounds (``>`` 10 µM says the curve never fell
    to 50 % within the tested range); they are counted and left out of every
    statistic, and the message says so.  Because they lie outside the tested
    range, the true spread is usually larger than the one reported (the fold
    range of the uncensored runs is a lower bound of the fold range of all
    runs).  Two runs are too few to estimate a spread well; the statistics
    are reported anyway, with the number of runs beside them.

    Examples
    --------
    >>> import pandas as pd
    >>> fits = pd.DataFrame({
    ...     "cell_line": "OVCAR-8", "drug": "defactinib", "plate": ["R1", "R2", "R3"],
    ...     "ic50": [1.0e-6, 2.0e-6, 4.1e-6],
    ...     "culture": "3D", "matrigel_lot": ["A12", "A12", "B07"],
    ... })
    >>> result = run_variability(fits, metadata=("culture", "matrigel_lot"))
    >>> result.to_frame().loc[0, "message"]
    'IC50 varies 4.1-fold across 3 runs; matrigel_lot differs (A12, B07)'
    >>> from resistlab.units import format_molar
    >>> format_molar(result.to_frame().loc[0, "geometric_mean_ic50"])
    '2.02 µM'
    """
    if not isinstance(fits, pd.DataFrame):
        msg = f"fits must be a pandas DataFrame, not {type(fits).__name__}"
        raise TypeError(msg)
    if isinstance(metadata, str):
        msg = f"metadata must be a sequence of column names, not the string {metadata!r}"
        raise TypeError(msg)
    missing = [column for column in _REQUIRED if column not in fits.columns]
    if missing:
        msg = (
            f"fits lacks the column(s) {', '.join(missing)}; it needs "
            f"{', '.join(_REQUIRED)} (and optionally ic50_censor and metadata columns)"
        )
        raise InputError(msg)
    present = tuple(column for column in metadata if column in fits.columns)
    absent = tuple(column for column in metadata if column not in fits.columns)

    frame = _checked(fits)
    summaries: list[dict[str, object]] = []
    differences: list[dict[str, object]] = []
    for (cell_line, drug), runs in frame.groupby(["cell_line", "drug"], sort=False):
        summary, differing = _summarise(runs, present)
        summaries.append({"cell_line": cell_line, "drug": drug, **summary})
        for row in differing:
            differences.append({"cell_line": cell_line, "drug": drug, **row})
    return RunVariability(
        summary=pd.DataFrame(summaries, columns=_SUMMARY_COLUMNS),
        differences=pd.DataFrame(differences, columns=_DIFFERENCE_COLUMNS),
        metadata=present,
        metadata_missing=absent,
    )


def _checked(fits: pd.DataFrame) -> pd.DataFrame:
    """Validate the fits and return a frame with ``ic50`` float and ``censor`` str."""
    frame = fits.reset_index(drop=True).copy()
    for column in ("cell_line", "drug", "plate"):
        absent = frame[column].isna()
        if absent.any():
            first = int(np.flatnonzero(absent.to_numpy())[0])
            msg = f"fits, row {first + 1}: {column} is missing"
            raise InputError(msg)
    ic50 = pd.to_numeric(frame["ic50"], errors="coerce")
    not_number = ic50.isna() & frame["ic50"].notna()
    if not_number.any():
        first = int(np.flatnonzero(not_number.to_numpy())[0])
        msg = (
            f"fits, plate {frame['plate'].iloc[first]!s}: ic50 {frame['ic50'].iloc[first]!r} is "
            "not a number (molar)"
        )
        raise InputError(msg)
    frame["ic50"] = ic50.astype(float)
    bad = frame["ic50"] <= 0
    if bad.any():
        first = int(np.flatnonzero(bad.to_numpy())[0])
        row = frame.iloc[first]
        msg = (
            f"fits, {row['cell_line']} / {row['drug']}, plate {row['plate']}: ic50 "
            f"{float(row['ic50']):g} is not positive; IC50s are concentrations in molar"
        )
        raise InputError(msg)
    if "ic50_censor" in frame.columns:
        censor = frame["ic50_censor"].astype(str).fillna("").str.strip()
    else:
        censor = pd.Series("", index=frame.index, dtype=str)
    unknown = ~censor.isin(_CENSOR)
    if unknown.any():
        first = int(np.flatnonzero(unknown.to_numpy())[0])
        row = frame.iloc[first]
        msg = (
            f"fits, {row['cell_line']} / {row['drug']}, plate {row['plate']}: ic50_censor "
            f"{censor.iloc[first]!r} is not one of '', '>', '<'"
        )
        raise InputError(msg)
    frame["censor"] = censor
    repeated = frame.duplicated(["cell_line", "drug", "plate"], keep=False)
    if repeated.any():
        first = int(np.flatnonzero(repeated.to_numpy())[0])
        row = frame.iloc[first]
        msg = (
            f"fits, {row['cell_line']} / {row['drug']}: plate {row['plate']} has more than one "
            "fit; give one fit per run (average technical replicates, or give them distinct "
            "plate names)"
        )
        raise InputError(msg)
    return frame


def _format_value(value: Any) -> str:
    """Show a metadata value: ``'A12'``, ``'5000'``, ``'2.5'``, ``'missing'``."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "missing"
    if isinstance(value, float | np.floating):
        return f"{float(value):g}"
    return str(value)


def _geometric_mean(values: np.ndarray) -> float:
    return float(10.0 ** np.mean(np.log10(values))) if values.size else math.nan


def _summarise(
    runs: pd.DataFrame, metadata: tuple[str, ...]
) -> tuple[dict[str, object], list[dict[str, object]]]:
    """Statistics, message and metadata differences of one (cell_line, drug)."""
    ic50 = runs["ic50"].to_numpy(dtype=float)
    censor = runs["censor"].to_numpy(dtype=str)
    finite = np.isfinite(ic50)
    used_mask = finite & (censor == "")
    censored_mask = finite & (censor != "")
    used = ic50[used_mask]
    n_used = int(used.size)
    log10 = np.log10(used)
    sd = float(np.std(log10, ddof=1)) if n_used >= 2 else math.nan
    fold = float(used.max() / used.min()) if n_used else math.nan
    cv = 100.0 * math.sqrt(math.expm1((math.log(10.0) * sd) ** 2)) if n_used >= 2 else math.nan

    differing: list[str] = []
    difference_rows: list[dict[str, object]] = []
    phrases: list[str] = []
    for column in metadata:
        labels = runs[column].map(_format_value)
        order = list(dict.fromkeys(labels))
        if len(order) < 2:
            continue
        differing.append(column)
        phrases.append(f"{column} differs ({', '.join(order)})")
        for label in order:
            members = (labels == label).to_numpy()
            difference_rows.append(
                {
                    "column": column,
                    "value": label,
                    "n_runs": int(members.sum()),
                    "runs": ", ".join(str(plate) for plate in runs["plate"][members]),
                    "geometric_mean_ic50": _geometric_mean(ic50[members & used_mask]),
                }
            )

    n_runs = len(runs)
    if n_used >= 2:
        fold_text = f"{fold:.1f}" if fold < 10 else f"{fold:.0f}"
        head = f"IC50 varies {fold_text}-fold across {n_used} runs"
    elif n_used == 1:
        head = "only 1 run with an uncensored IC50; run-to-run variability not estimated"
    else:
        head = "no run with an uncensored IC50; variability not estimated"
    parts = [head]
    if n_runs >= 2:
        parts += phrases or ["the recorded metadata are identical"]
    censored = runs[censored_mask]
    if len(censored):
        bounds = list_names(
            f"{plate!s}: {mark!s} {format_molar(float(value))}"
            for plate, mark, value in zip(
                censored["plate"], censored["censor"], censored["ic50"], strict=True
            )
        )
        parts.append(
            f"{len(censored)} censored IC50(s) ({bounds}) excluded from the statistics; "
            "the true spread is likely larger"
        )
    n_missing = int((~finite).sum())
    if n_missing:
        parts.append(f"{n_missing} run(s) without an IC50 ({list_names(runs['plate'][~finite])})")
    summary: dict[str, object] = {
        "n_runs": n_runs,
        "n_used": n_used,
        "n_censored": int(censored_mask.sum()),
        "n_missing": n_missing,
        "geometric_mean_ic50": _geometric_mean(used),
        "sd_log10_ic50": sd,
        "fold_range": fold,
        "cv_percent": cv,
        "min_ic50": float(used.min()) if n_used else math.nan,
        "max_ic50": float(used.max()) if n_used else math.nan,
        "differing_metadata": ", ".join(differing),
        "message": "; ".join(parts),
    }
    return summary, difference_rows
