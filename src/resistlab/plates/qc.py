"""Quality control of viability plates: Z', vehicle CV, signal window, edges, saturation."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from resistlab.errors import InputError
from resistlab.plates._table import (
    CELL_ROLES,
    GROUP_KEYS,
    check_assay_table,
    list_names,
    location,
    plate_shapes,
    working_frame,
)
from resistlab.plates.normalize import missing_vehicle, normalized_work

__all__ = ["SATURATION_FLAG", "PlateQC", "QCIssue", "Severity", "flag_saturated", "plate_qc"]

Severity = Literal["error", "warning", "info"]

#: Read flags that mean the detector saturated (matched case-insensitively).
SATURATION_FLAG = re.compile(r"ov(?:er)?fl|saturat|^over$|^>", re.IGNORECASE)

_SEVERITY_RANK: dict[str, int] = {"error": 0, "warning": 1, "info": 2}
_KEYS = list(GROUP_KEYS)


@dataclass(frozen=True)
class QCIssue:
    """One finding of `plate_qc`, for a person to read.

    Attributes
    ----------
    severity : {"error", "warning", "info"}
        ``error``: the plate's numbers cannot be trusted as they are (no
        vehicle, overlapping controls); ``warning``: below an acceptance
        threshold or suspicious wells; ``info``: worth knowing, not a fault.
    check : str
        Machine-readable name of the rule (``"z_prime"``, ``"edge_effect"``, …).
    plate, read : str
        Where.
    cell_line : str or None
        The cell line, or None for findings about the whole plate and read.
    message : str
        A sentence naming the plate, read, cell line, value and threshold.
    wells : tuple of str
        The wells concerned, when the finding is about particular wells.
    """

    severity: Severity
    check: str
    plate: str
    read: str
    cell_line: str | None
    message: str
    wells: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.severity}: {self.message}"


@dataclass(frozen=True)
class PlateQC:
    """Quality metrics and findings for each plate, read and cell line.

    Attributes
    ----------
    metrics : DataFrame
        One row per plate, read and cell line (see `plate_qc` for columns).
    issues : tuple of QCIssue
        Every finding, errors first; nothing found is left out.
    flagged_wells : DataFrame
        One row per well and finding (``check`` is ``"saturation"``,
        ``"negative_signal"``, ``"high_viability"`` or ``"unusable_well"``),
        with ``plate``, ``read``, ``well``, ``cell_line``, ``role``, ``value``,
        ``signal``, ``viability``, ``detail`` (and ``source`` when the table
        has it), for highlighting on a plate map.
    thresholds : Mapping
        The keyword arguments `plate_qc` ran with.
    """

    metrics: pd.DataFrame
    issues: tuple[QCIssue, ...]
    flagged_wells: pd.DataFrame
    thresholds: Mapping[str, object] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """Return the metrics, one row per plate, read and cell line (a copy)."""
        return self.metrics.copy()

    def issues_frame(self) -> pd.DataFrame:
        """Return the issues as a table, one row per finding."""
        columns = ["severity", "check", "plate", "read", "cell_line", "message", "wells"]
        rows = [
            (i.severity, i.check, i.plate, i.read, i.cell_line, i.message, ", ".join(i.wells))
            for i in self.issues
        ]
        return pd.DataFrame(rows, columns=columns)

    @property
    def passed(self) -> bool:
        """True when no finding is an error or a warning."""
        return all(issue.severity == "info" for issue in self.issues)


def plate_qc(
    table: pd.DataFrame,
    *,
    min_z_prime: float = 0.5,
    max_vehicle_cv: float = 20.0,
    min_signal_window: float = 2.0,
    min_vehicle_wells: int = 3,
    max_signal: float | None = None,
    plateau_min_wells: int = 3,
    negative_sd: float = 3.0,
    max_viability: float = 150.0,
    edge_alpha: float = 0.01,
    edge_min_effect: float = 0.10,
    edge_depth: int = 1,
    edge_min_viability: float = 20.0,
    plate_shape: tuple[int, int] | None = None,
) -> PlateQC:
    """Check the quality of viability plates, per plate, read and cell line.

    Nothing is removed: every problem becomes a `QCIssue` (and, for single
    wells, a row of ``flagged_wells``).  The checks and their default
    thresholds:

    * **Z'-factor** (Zhang, Chung & Oldenburg 1999),
      ``1 - 3 (sd_v + sd_p) / |mean_v - mean_p|`` with the vehicle wells as
      negative (full-signal) control and the ``positive_control`` wells as
      positive (full-kill) control; computed only when both have >= 2 usable
      wells.  ``Z' >= min_z_prime`` (0.5, "excellent assay" in Zhang 1999 and
      IUPAC 2011) passes, ``0 <= Z' < 0.5`` is a warning, ``Z' < 0`` (the
      control bands overlap) an error.
    * **Vehicle CV %**, ``100 sd / mean`` of the blank-subtracted vehicle
      signal (so background does not flatter it); above ``max_vehicle_cv``
      (20 %, the plate-uniformity limit of the NIH Assay Guidance Manual;
      pass 10 for a stricter lab standard) is a warning.  Fewer than ``min_vehicle_wells`` usable
      vehicle wells is a warning; none at all, or a vehicle signal <= 0 after
      blank subtraction, an error.
    * **Signal window** (Iversen et al. 2006),
      ``(|mean_v - mean_p| - 3 (sd_v + sd_p)) / sd_v``, with positive
      controls; below ``min_signal_window`` (2, Assay Guidance Manual) is a
      warning.  ``signal_to_background`` (raw vehicle / raw blank mean) is
      reported without a threshold.
    * **Edge effect**: see Notes.  A warning when ``p < edge_alpha`` (0.01)
      and the edge/interior ratio differs from 1 by at least
      ``edge_min_effect`` (10 %); an info when it cannot be tested; a warning
      when every vehicle well lies on the edge (an edge effect would then
      shift every viability on the plate and cannot be separated from it).
    * **Saturation** (warning, per well): a reader flag meaning overflow
      (`SATURATION_FLAG`); a plateau, the plate and read maximum repeated
      exactly in ``plateau_min_wells`` (3) or more wells; a raw value at or
      above ``max_signal`` (the reader's linear limit, when given).
    * **Out of range** (warning, per well): a cell well whose blank-subtracted
      signal lies below the blank beyond its noise, i.e. below the one-sided
      prediction limit ``-t(q, n - 1) s sqrt(1 + 1/n)`` of a cell-free well,
      with ``s`` and ``n`` the SD and number of the usable blanks and
      ``q = Phi(negative_sd)`` (``negative_sd`` = 3: the 3-SD tail, widened
      for estimating the blank from few wells; needs >= 2 blanks); a
      viability above ``max_viability`` (150 %).
    * **Blanks** missing (warning, nothing was subtracted; info when only
      one is usable, so negative reads cannot be checked) and **unusable
      wells** (info, flagged or without value, kept with NaN viability).

    Parameters
    ----------
    table : DataFrame
        The assay table (see `normalize_plate`); it is not modified.
    min_z_prime, max_vehicle_cv, min_signal_window, min_vehicle_wells : float
        Acceptance thresholds, as above.
    max_signal : float, optional
        The reader's upper linear limit in raw units; None skips that check.
    plateau_min_wells : int
        How many wells must share the plate maximum to call it a plateau.
    negative_sd, max_viability : float
        Out-of-range limits, as above (viability in %).
    edge_alpha, edge_min_effect : float
        Significance level and minimum relative effect of the edge test.
    edge_depth : int
        How many outer rings count as edge (1: the outermost row and column
        on each side; 2 is common for 384- and 1536-well plates).
    edge_min_viability : float
        Replicate groups whose mean viability is below this (in %) are left
        out of the edge test, where the signal is mostly noise.
    plate_shape : tuple of int, optional
        (rows, columns) of every plate; by default the smallest standard
        format (6 … 1536 wells) holding the plate's wells.

    Returns
    -------
    PlateQC
        ``metrics`` has one row per plate, read and cell line with
        ``plate, read, cell_line, time_zero, n_wells, n_unusable, n_blank,
        blank_mean, blank_sd, n_vehicle, vehicle_mean, vehicle_sd,
        vehicle_cv_percent, n_positive, positive_mean, positive_sd, z_prime,
        signal_window, signal_to_background, edge_ratio, edge_p_value,
        edge_n_edge, edge_n_interior, edge_n_groups, vehicle_edge_fraction,
        n_saturated, n_negative, n_high_viability, status`` (means and SDs of
        blank-subtracted signal; ``status`` is ``"error"``, ``"warning"`` or
        ``"pass"``, the worst finding for that row or its whole plate and
        read).

    Raises
    ------
    InputError
        If the table is malformed (as for `normalize_plate`) or a threshold is
        out of range.  A cell line without vehicle wells is a finding here,
        not an exception.

    Notes
    -----
    The edge test asks whether wells on the outer ring(s) of the plate read
    systematically higher or lower than interior wells that received the
    same treatment, the signature of evaporation and temperature gradients
    during a 72-96 h incubation.  Within one plate, read and cell line, the
    wells are split into replicate groups (all vehicle wells; the sample
    wells of each drug and concentration).  Only groups with at least one
    edge and one interior usable well, and a mean viability of at least
    ``edge_min_viability``, take part.  Inside each group the signals are
    ranked and the edge wells' rank sum is compared with its expectation; the
    groups are combined by van Elteren's stratified Wilcoxon test (van
    Elteren 1960; rank sums weighted by ``1 / (n_group + 1)``, tie-corrected
    variance, normal approximation, two-sided ``edge_p_value``).  Working on
    ranks inside groups makes the test free of the dose-response shape and of
    the noise level, which differs between doses.  ``edge_ratio`` is the
    effect size: the weighted geometric mean over groups of
    ``mean(edge signal) / mean(interior signal)``, weights
    ``n_edge n_interior / n_group`` (0.8 means edge wells read 20 % low).

    Limits: it needs treatment groups that straddle the edge, so it has no
    power on layouts that keep the outer ring empty or put whole dilution
    series on it (then ``edge_n_groups`` is 0 and an info says so); it
    detects a uniform edge shift, not gradients across the plate or
    row/column artefacts of a dispenser; ranks inside triplicates carry
    little information, so on one 96-well plate a 25 % edge loss reaches
    p ~ 0.005 and a 10 % loss often goes unflagged (a t-test on log signal
    would be somewhat more powerful, but one bubble or outlier well would
    raise false alarms); the normal approximation is rough with fewer than
    about 10 edge wells; and each plate is tested separately, without
    correction for the number of plates.

    References
    ----------
    Zhang JH, Chung TDY, Oldenburg KR (1999). A simple statistical parameter
    for use in evaluation and validation of high throughput screening assays.
    J Biomol Screen 4:67-73.

    Iversen PW, Eastwood BJ, Sittampalam GS, Cox KL (2006). A comparison of
    assay performance measures in screening assays: signal window, Z' factor,
    and assay variability ratio. J Biomol Screen 11:247-252.

    Iversen PW et al. (2012). HTS assay validation. In: Assay Guidance Manual,
    Eli Lilly & Company and NCATS.

    van Elteren PH (1960). On the combination of independent two-sample tests
    of Wilcoxon. Bull Inst Int Stat 37:351-361.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({
    ...     "plate": "P1", "read": "A570",
    ...     "well": ["A1", "A2", "B1", "B2", "B3", "B4", "C1", "C2", "C3", "C4"],
    ...     "value": [0.10, 0.10, 1.05, 1.15, 1.10, 1.10, 0.12, 0.14, 0.13, 0.13],
    ...     "role": ["blank"] * 2 + ["vehicle"] * 4 + ["positive_control"] * 4,
    ...     "cell_line": [None] * 2 + ["PC-9"] * 8,
    ... })
    >>> qc = plate_qc(table)
    >>> row = qc.to_frame().iloc[0]
    >>> print(f"Z' {row['z_prime']:.2f}, CV {row['vehicle_cv_percent']:.1f} %, {row['status']}")
    Z' 0.85, CV 4.1 %, pass
    >>> qc.passed, len(qc.issues)
    (True, 0)
    """
    _check_thresholds(
        min_vehicle_wells=min_vehicle_wells,
        plateau_min_wells=plateau_min_wells,
        negative_sd=negative_sd,
        edge_alpha=edge_alpha,
        edge_depth=edge_depth,
        max_vehicle_cv=max_vehicle_cv,
    )
    thresholds: dict[str, object] = {
        "min_z_prime": min_z_prime,
        "max_vehicle_cv": max_vehicle_cv,
        "min_signal_window": min_signal_window,
        "min_vehicle_wells": min_vehicle_wells,
        "max_signal": max_signal,
        "plateau_min_wells": plateau_min_wells,
        "negative_sd": negative_sd,
        "max_viability": max_viability,
        "edge_alpha": edge_alpha,
        "edge_min_effect": edge_min_effect,
        "edge_depth": edge_depth,
        "edge_min_viability": edge_min_viability,
        "plate_shape": plate_shape,
    }
    check_assay_table(table)
    work = normalized_work(working_frame(table))
    shapes = plate_shapes(work, plate_shape=plate_shape)
    work["edge"] = _is_edge(work, shapes, depth=edge_depth)

    metrics = _metrics(work)
    edge = _edge_effect(work, min_viability=edge_min_viability)
    metrics = metrics.join(edge, on=_KEYS)
    metrics["edge_n_groups"] = metrics["edge_n_groups"].fillna(0).astype(int)
    metrics["edge_n_edge"] = metrics["edge_n_edge"].fillna(0).astype(int)
    metrics["edge_n_interior"] = metrics["edge_n_interior"].fillna(0).astype(int)

    flagged = _flag_wells(
        work,
        table,
        max_signal=max_signal,
        plateau_min_wells=plateau_min_wells,
        negative_sd=negative_sd,
        max_viability=max_viability,
    )
    for check, column in (
        ("saturation", "n_saturated"),
        ("negative_signal", "n_negative"),
        ("high_viability", "n_high_viability"),
    ):
        counts = (
            flagged[flagged["check"] == check]
            .groupby(_KEYS, sort=False, dropna=False)
            .size()
            .rename(column)
        )
        metrics = metrics.join(counts, on=_KEYS)
        metrics[column] = metrics[column].fillna(0).astype(int)

    issues: list[QCIssue] = []
    issues += _vehicle_issues(work, metrics, min_vehicle_wells=min_vehicle_wells)
    issues += _blank_issues(work)
    issues += _control_issues(
        metrics,
        min_z_prime=min_z_prime,
        max_vehicle_cv=max_vehicle_cv,
        min_signal_window=min_signal_window,
    )
    issues += _edge_issues(metrics, alpha=edge_alpha, min_effect=edge_min_effect)
    issues += _well_issues(flagged, negative_sd=negative_sd, max_viability=max_viability)
    issues.sort(key=lambda issue: _SEVERITY_RANK[issue.severity])
    metrics["status"] = _status(metrics, issues)
    return PlateQC(
        metrics=metrics.reset_index(drop=True),
        issues=tuple(issues),
        flagged_wells=flagged.reset_index(drop=True),
        thresholds=thresholds,
    )


def flag_saturated(
    table: pd.DataFrame,
    *,
    max_signal: float | None = None,
    plateau_min_wells: int = 3,
    flag: str = "saturated",
) -> pd.DataFrame:
    """Return a copy of the table with saturated wells given a read flag.

    Wells on a plateau at the plate and read maximum (repeated in at least
    `plateau_min_wells` wells) or at or above `max_signal` get `flag` in
    ``read_flag`` (wells that already have a flag keep it), so
    `normalize_plate` leaves them out of every mean.  `plate_qc` reports the
    same wells without changing anything.

    Parameters
    ----------
    table : DataFrame
        The assay table.
    max_signal : float, optional
        The reader's upper linear limit in raw units.
    plateau_min_wells : int
        How many wells must share the maximum to call it a plateau.
    flag : str
        The flag to write.

    Returns
    -------
    DataFrame
        A new table (``read_flag`` added when absent).

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({
    ...     "plate": "P1", "read": "lum", "well": ["A1", "A2", "A3", "A4", "A5"],
    ...     "value": [65535.0, 65535.0, 65535.0, 30000.0, 120.0],
    ...     "role": ["vehicle"] * 4 + ["blank"], "cell_line": ["H1975"] * 4 + [None],
    ... })
    >>> flag_saturated(table)["read_flag"].tolist()
    ['saturated', 'saturated', 'saturated', '', '']
    """
    if plateau_min_wells < 2:
        msg = f"plateau_min_wells must be at least 2, got {plateau_min_wells}"
        raise InputError(msg)
    if not flag.strip():
        msg = "flag must be a non-empty read flag such as 'saturated'"
        raise InputError(msg)
    check_assay_table(table)
    work = working_frame(table)
    plateau, above, _ = _saturation(
        work, max_signal=max_signal, plateau_min_wells=plateau_min_wells
    )
    out = table.copy()
    current = work["flag"]
    out["read_flag"] = current.where(~((plateau | above) & current.eq("")), flag)
    return out


# --------------------------------------------------------------------------- internals


def _check_thresholds(
    *,
    min_vehicle_wells: int,
    plateau_min_wells: int,
    negative_sd: float,
    edge_alpha: float,
    edge_depth: int,
    max_vehicle_cv: float,
) -> None:
    problems = []
    if min_vehicle_wells < 1:
        problems.append(f"min_vehicle_wells must be at least 1, got {min_vehicle_wells}")
    if plateau_min_wells < 2:
        problems.append(f"plateau_min_wells must be at least 2, got {plateau_min_wells}")
    if not negative_sd >= 0:
        problems.append(f"negative_sd must be >= 0, got {negative_sd}")
    if not 0 < edge_alpha < 1:
        problems.append(f"edge_alpha must lie between 0 and 1, got {edge_alpha}")
    if edge_depth < 1:
        problems.append(f"edge_depth must be at least 1, got {edge_depth}")
    if not max_vehicle_cv > 0:
        problems.append(f"max_vehicle_cv must be > 0 (a percentage), got {max_vehicle_cv}")
    if problems:
        msg = "; ".join(problems)
        raise InputError(msg)


def _is_edge(work: pd.DataFrame, shapes: Mapping[str, tuple[int, int]], *, depth: int) -> pd.Series:
    """Return True for wells within `depth` of the plate border."""
    n_rows = work["plate"].map({plate: shape[0] for plate, shape in shapes.items()})
    n_cols = work["plate"].map({plate: shape[1] for plate, shape in shapes.items()})
    row, col = work["row"], work["col"]
    return (row < depth) | (row >= n_rows - depth) | (col < depth) | (col >= n_cols - depth)


def _summary(values: pd.Series, keys: list[pd.Series], prefix: str) -> pd.DataFrame:
    """Count, mean and SD (ddof=1) of non-missing values per group."""
    grouped = values.groupby(keys, sort=False, dropna=False)
    return pd.DataFrame(
        {
            f"n_{prefix}": grouped.count(),
            f"{prefix}_mean": grouped.mean(),
            f"{prefix}_sd": grouped.std(ddof=1),
        }
    )


def _metrics(work: pd.DataFrame) -> pd.DataFrame:
    """Per plate, read and cell line: counts, control statistics, Z', SW."""
    cells = work[work["role"].isin(CELL_ROLES)]
    grouped = cells.groupby(_KEYS, sort=False)
    metrics = pd.DataFrame(
        {
            "time_zero": grouped["time_zero"].any(),
            "n_wells": grouped.size(),
            "n_unusable": grouped["usable"].agg(lambda usable: int((~usable).sum())),
        }
    )
    keys = [cells[key] for key in _KEYS]
    vehicle = _summary(cells["signal"].where(cells["role"].eq("vehicle")), keys, "vehicle")
    positive = _summary(
        cells["signal"].where(cells["role"].eq("positive_control")), keys, "positive"
    )
    metrics = metrics.join(vehicle).join(positive).reset_index()

    blanks = work["value"].where(work["usable"] & work["role"].eq("blank"))
    blank = _summary(blanks, [work["plate"], work["read"]], "blank")
    metrics = metrics.join(blank, on=["plate", "read"])

    mean_v, sd_v = metrics["vehicle_mean"], metrics["vehicle_sd"]
    mean_p, sd_p = metrics["positive_mean"], metrics["positive_sd"]
    separation = (mean_v - mean_p).abs()
    metrics["vehicle_cv_percent"] = (100.0 * sd_v / mean_v).where(mean_v > 0)
    metrics["z_prime"] = (1.0 - 3.0 * (sd_v + sd_p) / separation).where(separation > 0)
    metrics["signal_window"] = ((separation - 3.0 * (sd_v + sd_p)) / sd_v).where(sd_v > 0)
    raw_vehicle = mean_v + metrics["blank_mean"]
    metrics["signal_to_background"] = (raw_vehicle / metrics["blank_mean"]).where(
        metrics["blank_mean"] > 0
    )
    usable_vehicle = cells[cells["usable"] & cells["role"].eq("vehicle")]
    fraction = (
        usable_vehicle.groupby(_KEYS, sort=False)["edge"].mean().rename("vehicle_edge_fraction")
    )
    metrics = metrics.join(fraction, on=_KEYS)
    for column in ("n_vehicle", "n_positive", "n_blank"):
        metrics[column] = metrics[column].fillna(0).astype(int)
    order = [
        "plate",
        "read",
        "cell_line",
        "time_zero",
        "n_wells",
        "n_unusable",
        "n_blank",
        "blank_mean",
        "blank_sd",
        "n_vehicle",
        "vehicle_mean",
        "vehicle_sd",
        "vehicle_cv_percent",
        "n_positive",
        "positive_mean",
        "positive_sd",
        "z_prime",
        "signal_window",
        "signal_to_background",
        "vehicle_edge_fraction",
    ]
    return metrics[order]


def _edge_effect(work: pd.DataFrame, *, min_viability: float) -> pd.DataFrame:
    """Van Elteren test of edge vs interior wells within replicate groups.

    Returns one row per (plate, read, cell_line) that has at least one group
    with both edge and interior wells, indexed by those keys.
    """
    columns = ["edge_ratio", "edge_p_value", "edge_n_edge", "edge_n_interior", "edge_n_groups"]
    candidates = work[
        work["usable"] & work["role"].isin(["vehicle", "sample"]) & work["signal"].notna()
    ].copy()
    vehicle = candidates["role"].eq("vehicle")
    concentration = candidates["concentration"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        log_dose = np.where(concentration > 0, np.round(np.log10(concentration), 3), -999.0)
    candidates["drug_key"] = candidates["drug"].where(~vehicle, "")
    candidates["dose_key"] = np.where(vehicle.to_numpy(), 0.0, log_dose)
    strata = [*_KEYS, "role", "drug_key", "dose_key"]
    grouped = candidates.groupby(strata, sort=False)
    candidates["group_viability"] = grouped["viability"].transform("mean")
    candidates["n_group"] = grouped["signal"].transform("size")
    candidates["n_group_edge"] = grouped["edge"].transform("sum")
    keep = (
        (candidates["group_viability"] >= min_viability)
        & (candidates["n_group_edge"] > 0)
        & (candidates["n_group_edge"] < candidates["n_group"])
    )
    candidates = candidates[keep]
    if candidates.empty:
        return pd.DataFrame(columns=columns, index=pd.MultiIndex.from_tuples([], names=_KEYS))

    grouped = candidates.groupby(strata, sort=False)
    candidates["rank"] = grouped["signal"].rank(method="average")
    candidates["edge_rank"] = candidates["rank"].where(candidates["edge"], 0.0)
    candidates["edge_signal"] = candidates["signal"].where(candidates["edge"])
    candidates["interior_signal"] = candidates["signal"].where(~candidates["edge"])
    per_group = grouped.agg(
        n=("signal", "size"),
        n_edge=("edge", "sum"),
        rank_sum=("edge_rank", "sum"),
        edge_mean=("edge_signal", "mean"),
        interior_mean=("interior_signal", "mean"),
    )
    ties = candidates.groupby([*strata, "signal"], sort=False).size()
    tie_term = (ties.astype(float) ** 3 - ties).groupby(level=list(range(len(strata)))).sum()
    per_group["tie_term"] = tie_term.reindex(per_group.index).fillna(0.0)

    n = per_group["n"].astype(float)
    n_edge = per_group["n_edge"].astype(float)
    n_interior = n - n_edge
    expected = n_edge * (n + 1.0) / 2.0
    variance = n_edge * n_interior / 12.0 * ((n + 1.0) - per_group["tie_term"] / (n * (n - 1.0)))
    per_group["score"] = (per_group["rank_sum"] - expected) / (n + 1.0)
    per_group["score_variance"] = variance / (n + 1.0) ** 2
    ratio_ok = (per_group["edge_mean"] > 0) & (per_group["interior_mean"] > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = pd.Series(
            np.log((per_group["edge_mean"] / per_group["interior_mean"]).to_numpy()),
            index=per_group.index,
        )
    weight = (n_edge * n_interior / n).where(ratio_ok, 0.0)
    per_group["weighted_log_ratio"] = (log_ratio * weight).where(ratio_ok, 0.0)
    per_group["weight"] = weight
    per_group["n_interior"] = n_interior

    combined = per_group.groupby(level=list(range(len(_KEYS))), sort=False).agg(
        score=("score", "sum"),
        score_variance=("score_variance", "sum"),
        weighted_log_ratio=("weighted_log_ratio", "sum"),
        weight=("weight", "sum"),
        edge_n_edge=("n_edge", "sum"),
        edge_n_interior=("n_interior", "sum"),
        edge_n_groups=("n", "size"),
    )
    variance_total = combined["score_variance"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        z = combined["score"].to_numpy() / np.sqrt(variance_total)
    p_value = np.where(variance_total > 0, 2.0 * stats.norm.sf(np.abs(z)), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = pd.Series(
            np.exp((combined["weighted_log_ratio"] / combined["weight"]).to_numpy()),
            index=combined.index,
        )
    result = pd.DataFrame(
        {
            "edge_ratio": ratio.where(combined["weight"] > 0),
            "edge_p_value": p_value,
            "edge_n_edge": combined["edge_n_edge"].astype(int),
            "edge_n_interior": combined["edge_n_interior"].astype(int),
            "edge_n_groups": combined["edge_n_groups"].astype(int),
        },
        index=combined.index,
    )
    result.index.names = _KEYS
    return result


def _saturation(
    work: pd.DataFrame, *, max_signal: float | None, plateau_min_wells: int
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Masks of plateau wells and wells at or above `max_signal`, and the plate maxima."""
    value = work["value"].where(np.isfinite(work["value"]))
    plate_max = value.groupby([work["plate"], work["read"]], sort=False).transform("max")
    at_max = (
        pd.Series(
            np.isclose(value.to_numpy(), plate_max.to_numpy(), rtol=1e-9, atol=0.0),
            index=work.index,
        )
        & value.notna()
    )
    n_at_max = at_max.groupby([work["plate"], work["read"]], sort=False).transform("sum")
    plateau = at_max & (n_at_max >= plateau_min_wells) & (plate_max > 0)
    if max_signal is None:
        above = pd.Series(False, index=work.index)
    else:
        above = (value >= max_signal).fillna(False)
    return plateau, above, plate_max


def _flag_wells(
    work: pd.DataFrame,
    table: pd.DataFrame,
    *,
    max_signal: float | None,
    plateau_min_wells: int,
    negative_sd: float,
    max_viability: float,
) -> pd.DataFrame:
    """One row per well and per-well finding."""
    plateau, above, plate_max = _saturation(
        work, max_signal=max_signal, plateau_min_wells=plateau_min_wells
    )
    overflow = work["flag"].str.contains(SATURATION_FLAG, regex=True)
    cell = work["role"].isin(CELL_ROLES)
    parts: list[pd.DataFrame] = []

    def add(mask: pd.Series, check: str, detail: pd.Series) -> None:
        if mask.any():
            selected = work.loc[mask, [*_KEYS, "well", "role", "value", "signal", "viability"]]
            selected = selected.assign(check=check, detail=detail[mask])
            parts.append(selected)

    max_text = plate_max.map(lambda value: f"{value:.6g}")
    saturation_detail = pd.Series("", index=work.index, dtype=str)
    saturation_detail = saturation_detail.mask(overflow, "reader flag '" + work["flag"] + "'")
    saturation_detail = saturation_detail.mask(
        plateau & ~overflow, "plateau at the plate maximum " + max_text
    )
    saturation_detail = saturation_detail.mask(
        above & ~overflow & ~plateau, f"at or above max_signal {max_signal}"
    )
    add(overflow | plateau | above, "saturation", saturation_detail)

    blanks = work["value"].where(work["usable"] & work["role"].eq("blank"))
    limit = _negative_limit(blanks, [work["plate"], work["read"]], negative_sd=negative_sd)
    negative = cell & work["usable"] & (work["signal"] < limit).fillna(False)
    negative_detail = work["signal"].map(lambda value: f"signal {value:.4g}") + limit.map(
        lambda value: f" below the blank noise limit {value:.4g}"
    )
    add(negative, "negative_signal", negative_detail)

    high = cell & (work["viability"] > max_viability)
    high_detail = work["viability"].map(lambda value: f"viability {value:.1f} %")
    add(high, "high_viability", high_detail)

    unusable = cell & ~work["usable"] & ~overflow
    unusable_detail = work["viability_note"]
    add(unusable, "unusable_well", unusable_detail)

    columns = [
        *_KEYS,
        "well",
        "role",
        "check",
        "value",
        "signal",
        "viability",
        "detail",
    ]
    if not parts:
        flagged = pd.DataFrame({column: pd.Series(dtype=object) for column in columns})
    else:
        flagged = pd.concat(parts)[columns]
    if "source" in table.columns:
        flagged["source"] = table["source"].reindex(flagged.index)
    return flagged


def _negative_limit(blanks: pd.Series, keys: list[pd.Series], *, negative_sd: float) -> pd.Series:
    """Lower prediction limit of the blank-subtracted signal of a cell-free well.

    A well whose true cell signal is 0 reads ``blank + e`` and its signal is
    ``e - mean(blanks)``, with variance ``sd**2 (1 + 1/n)``.  With `sd`
    estimated from the same ``n`` blanks, the one-sided limit at the normal
    tail probability of `negative_sd` SDs is
    ``-t(q, n - 1) * s * sqrt(1 + 1/n)``, ``q = Phi(negative_sd)``.  NaN
    (no check) with fewer than two blanks.
    """
    grouped = blanks.groupby(keys, sort=False)
    n = grouped.transform("count").astype(float)
    sd = grouped.transform("std")
    quantile = float(stats.norm.cdf(negative_sd))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = stats.t.ppf(quantile, (n - 1.0).to_numpy())
    factor = pd.Series(t, index=blanks.index) * np.sqrt(1.0 + 1.0 / n)
    return (-factor * sd).where(n >= 2)


def _issue(
    severity: Severity,
    check: str,
    row: Mapping[str, Any],
    message: str,
    wells: tuple[str, ...] = (),
) -> QCIssue:
    cell_line = row.get("cell_line")
    return QCIssue(
        severity=severity,
        check=check,
        plate=str(row["plate"]),
        read=str(row["read"]),
        cell_line=None if cell_line is None or pd.isna(cell_line) else str(cell_line),
        message=f"{location(row['plate'], row['read'], cell_line)}: {message}",
        wells=wells,
    )


def _records(metrics: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {str(key): value for key, value in record.items()} for record in metrics.to_dict("records")
    ]


def _vehicle_issues(
    work: pd.DataFrame, metrics: pd.DataFrame, *, min_vehicle_wells: int
) -> list[QCIssue]:
    issues: list[QCIssue] = []
    missing = missing_vehicle(work)
    missing_keys = set()
    for lacking in _records(missing):
        missing_keys.add((lacking["plate"], lacking["read"], lacking["cell_line"]))
        issues.append(
            _issue(
                "error",
                "vehicle_missing",
                lacking,
                f"{lacking['n_sample']} sample well(s) ({lacking['wells']}) but no vehicle "
                "wells; viability cannot be normalised",
            )
        )
    n_vehicle_wells = work[work["role"].eq("vehicle")].groupby(_KEYS, sort=False).size().to_dict()
    for row in _records(metrics):
        key = (row["plate"], row["read"], row["cell_line"])
        if key in missing_keys:
            continue
        total = int(n_vehicle_wells.get(key, 0))
        usable = int(row["n_vehicle"])
        mean = float(row["vehicle_mean"])
        if total == 0:
            if not row["time_zero"]:
                continue
            issues.append(
                _issue(
                    "info",
                    "vehicle_missing",
                    row,
                    "time-zero plate without vehicle wells; signal is kept, viability is NaN",
                )
            )
        elif usable == 0:
            issues.append(
                _issue(
                    "error",
                    "vehicle_unusable",
                    row,
                    f"none of the {total} vehicle wells is usable (flagged or no value); "
                    "viability cannot be normalised",
                )
            )
        elif not mean > 0:
            issues.append(
                _issue(
                    "error",
                    "vehicle_signal",
                    row,
                    f"the blank-subtracted vehicle signal is {mean:.4g} (<= 0); the blank "
                    "reads as high as the cells, so viability is NaN",
                )
            )
        elif usable < min_vehicle_wells:
            issues.append(
                _issue(
                    "warning",
                    "vehicle_count",
                    row,
                    f"only {usable} usable vehicle well(s) (fewer than {min_vehicle_wells}); "
                    "the normalisation and its CV rest on too few wells",
                )
            )
    return issues


def _blank_issues(work: pd.DataFrame) -> list[QCIssue]:
    issues: list[QCIssue] = []
    per_read = work.groupby(["plate", "read"], sort=False).agg(
        n_blank=("n_blank", "first"),
        n_blank_wells=("role", lambda roles: int((roles == "blank").sum())),
        has_cells=("role", lambda roles: bool(roles.isin(CELL_ROLES).any())),
    )
    for row in _records(per_read.reset_index()):
        if row["has_cells"] and row["n_blank"] == 1:
            issues.append(
                _issue(
                    "info",
                    "no_blank",
                    row,
                    "only one usable blank well: the blank noise is unknown, so negative "
                    "reads are not checked",
                )
            )
        if not row["has_cells"] or row["n_blank"] > 0:
            continue
        what = (
            "no blank wells"
            if row["n_blank_wells"] == 0
            else f"none of the {row['n_blank_wells']} blank wells is usable"
        )
        issues.append(
            _issue(
                "warning",
                "no_blank",
                row,
                f"{what}; nothing was subtracted, so background inflates every viability "
                "(most at high kill)",
            )
        )
    return issues


def _control_issues(
    metrics: pd.DataFrame,
    *,
    min_z_prime: float,
    max_vehicle_cv: float,
    min_signal_window: float,
) -> list[QCIssue]:
    issues: list[QCIssue] = []
    for row in _records(metrics):
        cv = float(row["vehicle_cv_percent"])
        if np.isfinite(cv) and cv > max_vehicle_cv:
            issues.append(
                _issue(
                    "warning",
                    "vehicle_cv",
                    row,
                    f"vehicle CV {cv:.1f} % exceeds {max_vehicle_cv:g} % "
                    f"({row['n_vehicle']} wells)",
                )
            )
        z_prime = float(row["z_prime"])
        if int(row["n_positive"]) == 0:
            if not row["time_zero"]:
                issues.append(
                    _issue(
                        "info",
                        "z_prime",
                        row,
                        "no positive-control wells, so Z' and the signal window are not computed",
                    )
                )
        elif not np.isfinite(z_prime):
            issues.append(
                _issue(
                    "info",
                    "z_prime",
                    row,
                    f"Z' not computed: {row['n_vehicle']} usable vehicle and "
                    f"{row['n_positive']} usable positive-control wells (2 of each needed)",
                )
            )
        elif z_prime < 0:
            issues.append(
                _issue(
                    "error",
                    "z_prime",
                    row,
                    f"Z' = {z_prime:.2f} < 0: vehicle and positive-control bands overlap; "
                    "the plate cannot separate live from dead",
                )
            )
        elif z_prime < min_z_prime:
            issues.append(
                _issue(
                    "warning",
                    "z_prime",
                    row,
                    f"Z' = {z_prime:.2f} is below {min_z_prime:g} (Zhang 1999: >= 0.5 is an "
                    "excellent assay)",
                )
            )
        window = float(row["signal_window"])
        if np.isfinite(window) and int(row["n_positive"]) >= 2 and window < min_signal_window:
            issues.append(
                _issue(
                    "warning",
                    "signal_window",
                    row,
                    f"signal window {window:.2f} is below {min_signal_window:g}",
                )
            )
    return issues


def _edge_issues(metrics: pd.DataFrame, *, alpha: float, min_effect: float) -> list[QCIssue]:
    issues: list[QCIssue] = []
    for row in _records(metrics):
        ratio = float(row["edge_ratio"])
        p_value = float(row["edge_p_value"])
        fraction = float(row["vehicle_edge_fraction"])
        if fraction == 1.0 and int(row["n_vehicle"]) > 0:
            issues.append(
                _issue(
                    "warning",
                    "vehicle_on_edge",
                    row,
                    "every vehicle well lies on the outer ring; an edge effect would shift "
                    "all viabilities and cannot be separated from them",
                )
            )
        if int(row["edge_n_groups"]) == 0:
            issues.append(
                _issue(
                    "info",
                    "edge_effect",
                    row,
                    "edge effect not testable: no replicate group has wells both on the "
                    "edge and in the interior",
                )
            )
        elif np.isfinite(p_value) and p_value < alpha and abs(ratio - 1.0) >= min_effect:
            direction = "low" if ratio < 1 else "high"
            issues.append(
                _issue(
                    "warning",
                    "edge_effect",
                    row,
                    f"edge wells read {abs(ratio - 1.0) * 100:.0f} % {direction} "
                    f"(edge/interior ratio {ratio:.2f}, p = {p_value:.2g}, "
                    f"{row['edge_n_edge']} edge vs {row['edge_n_interior']} interior wells "
                    f"in {row['edge_n_groups']} replicate groups)",
                )
            )
    return issues


def _well_issues(
    flagged: pd.DataFrame,
    *,
    negative_sd: float,
    max_viability: float,
) -> list[QCIssue]:
    texts = {
        "saturation": ("warning", "saturated read(s); the true signal is higher than recorded"),
        "negative_signal": (
            "warning",
            f"signal below the blank beyond its noise ({negative_sd:g}-SD prediction limit)",
        ),
        "high_viability": ("warning", f"viability above {max_viability:g} % of vehicle"),
        "unusable_well": ("info", "unusable (kept with NaN viability)"),
    }
    issues: list[QCIssue] = []
    if flagged.empty:
        return issues
    for (plate, read, cell_line, check), wells in flagged.groupby(
        [*_KEYS, "check"], sort=False, dropna=False
    ):
        severity, text = texts[str(check)]
        level: Severity = "info" if severity == "info" else "warning"
        names = tuple(str(well) for well in wells["well"])
        details = sorted(set(wells["detail"].astype(str)))
        detail = f" [{'; '.join(details[:3])}{'; …' if len(details) > 3 else ''}]"
        issues.append(
            _issue(
                level,
                str(check),
                {"plate": plate, "read": read, "cell_line": cell_line},
                f"{len(names)} well(s) with {text}: {list_names(names)}{detail}",
                names,
            )
        )
    return issues


def _status(metrics: pd.DataFrame, issues: list[QCIssue]) -> list[str]:
    worst: dict[tuple[str, str, str | None], int] = {}
    for issue in issues:
        key = (issue.plate, issue.read, issue.cell_line)
        worst[key] = min(worst.get(key, 2), _SEVERITY_RANK[issue.severity])
    status = []
    for plate, read, cell_line in zip(
        metrics["plate"], metrics["read"], metrics["cell_line"], strict=True
    ):
        rank = min(
            worst.get((str(plate), str(read), str(cell_line)), 2),
            worst.get((str(plate), str(read), None), 2),
        )
        status.append({0: "error", 1: "warning"}.get(rank, "pass"))
    return status
