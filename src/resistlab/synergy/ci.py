"""Chou-Talalay combination index (CI) and dose-reduction index (DRI).

The median-effect equation (Chou 1976; Chou & Talalay 1984, *Adv Enzyme
Regul* 22:27-55; Chou 2006, *Pharmacol Rev* 58:621-681) describes each drug
alone by ``fa / fu = (D / Dm) ** m``, with ``fa`` the fraction affected
(here ``inhibition / 100``), ``fu = 1 - fa``, ``Dm`` the median-effect dose
and ``m`` the slope. It is fitted, as in CompuSyn, by linear regression of
``log(fa / fu)`` on ``log D`` (the median-effect plot); ``r`` is that plot's
linear correlation. The dose of drug ``i`` alone that gives effect ``fa`` is

    Dx_i = Dm_i * (fa / (1 - fa)) ** (1 / m_i)

and a combination ``(d1, d2)`` producing ``fa`` has (mutually exclusive
drugs, the classic form)

    CI = d1 / Dx1 + d2 / Dx2          (< 1 synergy, 1 additive, > 1 antagonism)
    DRI_i = Dx_i / d_i                (fold dose reduction of drug i), so CI = 1/DRI1 + 1/DRI2.

Two readings are computed:

* **per well**: the CI of each combination well at that well's own observed
  ``fa`` (replicate mean), for every design;
* **fixed-ratio series**: where combination wells share one ``d1 : d2``
  ratio (the diagonals of a checkerboard diluted by the same factor for both
  drugs), the series is fitted with its own median-effect equation in the
  total dose ``D = d1 + d2``, and CI and DRI follow at any effect level:
  the chosen `levels` (e.g. ED50, ED75, ED90) and the Fa-CI curve a Fa-CI
  (Chou-Talalay) plot draws.

``fa`` must lie strictly between 0 and 1: at ``fa <= 0`` or ``fa >= 1``
``fa / fu`` has no logarithm and ``Dx`` no value. Such points are left out of
the median-effect fits and their CI is NaN with the reason in ``notes``; so
is every value that depends on a fit that is undefined (fewer than two usable
doses) or on a drug whose effect does not rise with dose (``m <= 0``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from resistlab.synergy.data import DoseMatrices

__all__ = ["CombinationIndex", "combination_index", "median_effect_dose"]

#: Relative tolerance under which two d1:d2 ratios are the same fixed ratio.
_RATIO_TOLERANCE = 1e-3


def median_effect_dose(fa: ArrayLike, dm: ArrayLike, m: ArrayLike) -> np.ndarray:
    """Dose giving fraction affected `fa` by the median-effect equation.

    ``Dx = Dm * (fa / (1 - fa)) ** (1 / m)``; NaN where ``fa`` is outside (0, 1)
    or ``m <= 0`` (no effect rising with dose). Arguments broadcast.

    Examples
    --------
    >>> median_effect_dose([0.5, 0.75, 1.0], 2e-7, 1.0).tolist()
    [2e-07, 6e-07, nan]
    """
    f = np.asarray(fa, dtype=float)
    dose = np.asarray(dm, dtype=float)
    slope = np.asarray(m, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = dose * (f / (1.0 - f)) ** (1.0 / slope)
    ok = (f > 0) & (f < 1) & (slope > 0) & np.isfinite(dose)
    return np.where(ok, out, np.nan)


def _median_effect_fit(doses: np.ndarray, fa: np.ndarray) -> tuple[np.ndarray, ...]:
    """Batch median-effect regression over rows: Dm, m, r, n (points used).

    Points are used where the dose is positive and ``0 < fa < 1``.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        use = np.isfinite(doses) & (doses > 0) & np.isfinite(fa) & (fa > 0) & (fa < 1)
        x = np.where(use, np.log(np.where(use, doses, 1.0)), 0.0)
        y = np.where(use, np.log(np.where(use, fa / (1.0 - fa), 1.0)), 0.0)
        n = use.sum(axis=-1)
        mean_x = x.sum(axis=-1) / n
        mean_y = y.sum(axis=-1) / n
        dx = np.where(use, x - mean_x[..., None], 0.0)
        dy = np.where(use, y - mean_y[..., None], 0.0)
        sxx = np.sum(dx * dx, axis=-1)
        sxy = np.sum(dx * dy, axis=-1)
        syy = np.sum(dy * dy, axis=-1)
        ok = (n >= 2) & (sxx > 0)
        m = np.where(ok, sxy / sxx, np.nan)
        log_dm = mean_x - mean_y / m
        dm = np.where(ok & (m != 0), np.exp(log_dm), np.nan)
        r = np.where(ok & (syy > 0), sxy / np.sqrt(sxx * syy), np.nan)
    return dm, m, r, n


@dataclass(frozen=True)
class CombinationIndex:
    """Chou-Talalay combination indices of many blocks.

    Doses are molar; arrays have one row per block (B) over the R x C grid.

    Attributes
    ----------
    block_ids, drug1, drug2 : tuple of str
        As in the input.
    conc1 : ndarray of shape (B, R)
        Concentrations of drug 1 (rows), NaN padded.
    conc2 : ndarray of shape (B, C)
        Concentrations of drug 2 (columns).
    dm, m, r : ndarray of shape (B, 2)
        Median-effect dose (molar), slope and median-effect-plot correlation
        of drug 1 and drug 2 alone.
    n_points : ndarray of int, shape (B, 2)
        Monotherapy points (replicates counted) with ``0 < fa < 1`` in each fit.
    fa : ndarray of shape (B, R, C)
        Fraction affected of each well (replicate mean of inhibition / 100).
    ci : ndarray of shape (B, R, C)
        Per-well CI at the well's own ``fa``; NaN for monotherapy and control
        wells and where undefined (see `notes`).
    dx : ndarray of shape (B, 2, R, C)
        Dose of drug 1 / drug 2 alone giving the well's ``fa``.
    dri : ndarray of shape (B, 2, R, C)
        Dose-reduction indices ``Dx_i / d_i`` of the combination wells.
    notes : ndarray of str, shape (B, R, C)
        Why a well has no CI, or a caution ("" when none).
    levels : tuple of float
        Effect levels (percent) of the fixed-ratio table.
    fixed_ratio : DataFrame
        One row per block, fixed-ratio series and effect level (see
        `level_frame`).
    fa_ci_curves : DataFrame
        CI of each fixed-ratio series over a grid of ``fa`` (see `fa_ci_frame`).
    """

    block_ids: tuple[str, ...]
    drug1: tuple[str, ...]
    drug2: tuple[str, ...]
    conc1: np.ndarray
    conc2: np.ndarray
    dm: np.ndarray
    m: np.ndarray
    r: np.ndarray
    n_points: np.ndarray
    fa: np.ndarray
    ci: np.ndarray
    dx: np.ndarray
    dri: np.ndarray
    notes: np.ndarray
    levels: tuple[float, ...]
    fixed_ratio: pd.DataFrame
    fa_ci_curves: pd.DataFrame

    def __len__(self) -> int:
        return len(self.block_ids)

    def single_agent_dose(self, level: float) -> np.ndarray:
        """Dose of each drug alone reaching `level` percent effect, shape (B, 2).

        ``Dx = Dm (fa / (1 - fa)) ** (1 / m)`` with ``fa = level / 100``; NaN where
        the drug's median-effect fit is undefined or ``m <= 0``.
        """
        if not 0.0 < level < 100.0:
            msg = f"level must be a percent effect strictly between 0 and 100, got {level}"
            raise ValueError(msg)
        return median_effect_dose(level / 100.0, self.dm, self.m)

    def to_frame(self) -> pd.DataFrame:
        """One row per block and dose pair: fa, CI, Dx and DRI of each drug, note.

        Monotherapy and control wells are included (CI NaN) so the table joins
        the other models' well tables on ``block_id, conc1, conc2``.
        """
        n_blocks, n_rows, n_cols = self.fa.shape
        index = np.indices((n_blocks, n_rows, n_cols)).reshape(3, -1)
        b, i, j = index
        c1 = self.conc1[b, i]
        c2 = self.conc2[b, j]
        keep = np.isfinite(c1) & np.isfinite(c2)
        b, i, j, c1, c2 = b[keep], i[keep], j[keep], c1[keep], c2[keep]
        return pd.DataFrame(
            {
                "block_id": np.asarray(self.block_ids, dtype=object)[b],
                "drug1": np.asarray(self.drug1, dtype=object)[b],
                "drug2": np.asarray(self.drug2, dtype=object)[b],
                "conc1": c1,
                "conc2": c2,
                "fa": self.fa[b, i, j],
                "ci": self.ci[b, i, j],
                "dx1": self.dx[b, 0, i, j],
                "dx2": self.dx[b, 1, i, j],
                "dri1": self.dri[b, 0, i, j],
                "dri2": self.dri[b, 1, i, j],
                "note": self.notes[b, i, j].astype(str),
            }
        )

    def median_effect_frame(self) -> pd.DataFrame:
        """One row per block and drug: Dm (molar), m, r and points of the median-effect fit."""
        frames = []
        for k, names in enumerate((self.drug1, self.drug2)):
            frames.append(
                pd.DataFrame(
                    {
                        "block_id": list(self.block_ids),
                        "drug": list(names),
                        "position": k + 1,
                        "dm": self.dm[:, k],
                        "m": self.m[:, k],
                        "r": self.r[:, k],
                        "n_points": self.n_points[:, k],
                    }
                )
            )
        out = pd.concat(frames, ignore_index=True)
        return out.sort_values(["block_id", "position"], kind="stable", ignore_index=True)

    def level_frame(self) -> pd.DataFrame:
        """CI and DRI at the chosen effect levels, one row per block, fixed ratio and level.

        Columns: ``block_id, drug1, drug2, ratio`` (d1 / d2), ``fraction1``
        (d1 / (d1 + d2)), ``n_wells``, the series' median-effect fit
        ``dm_combo`` (total molar dose), ``m_combo``, ``r_combo``, then
        ``level`` (percent), ``fa``, the doses of the combination reaching it
        (``dose1``, ``dose2``), of each drug alone (``dx1``, ``dx2``), ``ci``,
        ``dri1``, ``dri2`` and ``note``. Empty when no block has a fixed-ratio
        series (CI at an effect level needs one; use the per-well CI then).
        """
        return self.fixed_ratio.copy()

    def fa_ci_frame(self) -> pd.DataFrame:
        """Tabulate the data of a Fa-CI plot: fitted curves and observed wells.

        Columns ``block_id, source, ratio, fa, ci``: ``source`` is ``"curve"``
        for the CI of each fixed-ratio series over a grid of ``fa`` (the
        simulated line of a Fa-CI plot) and ``"well"`` for each combination
        well's (fa, CI) point (``ratio`` = its d1 / d2).
        """
        wells = self.to_frame()
        wells = wells[np.isfinite(wells["ci"])]
        points = pd.DataFrame(
            {
                "block_id": wells["block_id"],
                "source": "well",
                "ratio": wells["conc1"] / wells["conc2"],
                "fa": wells["fa"],
                "ci": wells["ci"],
            }
        )
        curves = self.fa_ci_curves.assign(source="curve")[list(points.columns)]
        parts = [p for p in (curves, points) if len(p)]
        if not parts:
            return points.reset_index(drop=True)
        return pd.concat(parts, ignore_index=True)


def _ratio_series(c1: np.ndarray, c2: np.ndarray, has_data: np.ndarray) -> list[np.ndarray]:
    """Group combination wells (flat indices) sharing one d1:d2 ratio."""
    g1, g2 = np.meshgrid(c1, c2, indexing="ij")
    combo = np.isfinite(g1) & np.isfinite(g2) & (g1 > 0) & (g2 > 0) & has_data
    flat = np.flatnonzero(combo)
    if flat.size == 0:
        return []
    log_ratio = np.log(g1.ravel()[flat] / g2.ravel()[flat])
    order = np.argsort(log_ratio, kind="stable")
    groups: list[list[int]] = [[int(flat[order[0]])]]
    anchor = log_ratio[order[0]]
    for k in order[1:]:
        if log_ratio[k] - anchor <= _RATIO_TOLERANCE:
            groups[-1].append(int(flat[k]))
        else:
            groups.append([int(flat[k])])
            anchor = log_ratio[k]
    return [np.array(g) for g in groups]


def combination_index(
    m: DoseMatrices,
    *,
    levels: Sequence[float] = (50.0, 75.0, 90.0),
    min_ratio_wells: int = 3,
    fa_grid: ArrayLike | None = None,
) -> CombinationIndex:
    """Chou-Talalay CI and DRI of every combination well and fixed-ratio series.

    Parameters
    ----------
    m : DoseMatrices
        Responses in percent inhibition: ``fa = inhibition / 100`` (normalise
        to the control upstream; values outside (0, 100) are undefined here).
    levels : sequence of float
        Effect levels in percent, strictly between 0 and 100, at which each
        fixed-ratio series reports CI and DRI (ED50, ED75, ED90 by default).
    min_ratio_wells : int
        Fewest combination wells with one d1:d2 ratio that make a fixed-ratio
        series (at least 2; each must leave two wells with ``0 < fa < 1``).
    fa_grid : array_like, optional
        Fractions affected of the Fa-CI curves; default 0.02, 0.04, ..., 0.98.

    Returns
    -------
    CombinationIndex

    Examples
    --------
    A Loewe-additive surface of two drugs with ``m = 1`` (``Dm1 = 1 uM``,
    ``Dm2 = 0.3 uM``): ``fa / fu = d1 / Dm1 + d2 / Dm2``.

    >>> c1 = np.array([0, 0.25, 0.5, 1, 2]) * 1e-6
    >>> c2 = np.array([0, 0.25, 0.5, 1, 2]) * 0.3e-6
    >>> u = c1[:, None] / 1e-6 + c2[None, :] / 0.3e-6
    >>> mats = DoseMatrices(("b",), ("A",), ("B",), c1[None], c2[None],
    ...                     (100 * u / (1 + u))[None, None])
    >>> res = combination_index(mats)
    >>> np.unique(np.round(res.ci[0, 1:, 1:], 9)).tolist()  # every combination well
    [1.0]
    >>> lv = res.level_frame()  # the three diagonals with >= 3 wells, at ED50/75/90
    >>> sorted(lv["ratio"].round(3).unique().tolist()), lv["ci"].round(9).unique().tolist()
    ([1.667, 3.333, 6.667], [1.0])
    """
    if not isinstance(m, DoseMatrices):
        msg = f"m must be a DoseMatrices, got {type(m).__name__}"
        raise TypeError(msg)
    level_values = tuple(float(v) for v in levels)
    bad = [v for v in level_values if not 0.0 < v < 100.0]
    if bad:
        msg = f"levels must be percent effects strictly between 0 and 100, got {bad}"
        raise ValueError(msg)
    if min_ratio_wells < 2:
        msg = f"min_ratio_wells must be at least 2, got {min_ratio_wells}"
        raise ValueError(msg)
    grid = np.linspace(0.02, 0.98, 49) if fa_grid is None else np.asarray(fa_grid, dtype=float)
    if grid.ndim != 1 or np.any((grid <= 0) | (grid >= 1)):
        msg = "fa_grid must be a 1-D array of fractions strictly between 0 and 1"
        raise ValueError(msg)

    n_blocks, n_rep, n_rows, n_cols = m.response.shape
    fa_points = m.response / 100.0  # (B, K, R, C)
    # single agents: drug 1 in column 0, drug 2 in row 0, every replicate a point
    dose1 = np.broadcast_to(m.conc1[:, None, :], (n_blocks, n_rep, n_rows)).reshape(n_blocks, -1)
    dose2 = np.broadcast_to(m.conc2[:, None, :], (n_blocks, n_rep, n_cols)).reshape(n_blocks, -1)
    fit1 = _median_effect_fit(dose1, fa_points[:, :, :, 0].reshape(n_blocks, -1))
    fit2 = _median_effect_fit(dose2, fa_points[:, :, 0, :].reshape(n_blocks, -1))
    dm = np.column_stack([fit1[0], fit2[0]])
    slope = np.column_stack([fit1[1], fit2[1]])
    r = np.column_stack([fit1[2], fit2[2]])
    n_points = np.column_stack([fit1[3], fit2[3]]).astype(int)

    fa = m.mean_response / 100.0  # (B, R, C)
    d1 = np.broadcast_to(m.conc1[:, :, None], fa.shape)
    d2 = np.broadcast_to(m.conc2[:, None, :], fa.shape)
    dx = np.stack(
        [
            median_effect_dose(fa, dm[:, 0, None, None], slope[:, 0, None, None]),
            median_effect_dose(fa, dm[:, 1, None, None], slope[:, 1, None, None]),
        ],
        axis=1,
    )
    combo = (d1 > 0) & (d2 > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ci = np.where(combo, d1 / dx[:, 0] + d2 / dx[:, 1], np.nan)
        dri = np.where(combo[:, None], dx / np.stack([d1, d2], axis=1), np.nan)
    dose_max = _max_positive(m.conc1, m.conc2)
    notes = _well_notes(fa, d1, d2, dm, slope, dx, dose_max)

    level_columns = [
        "block_id", "drug1", "drug2", "ratio", "fraction1", "n_wells", "dm_combo", "m_combo",
        "r_combo", "level", "fa", "dose1", "dose2", "dx1", "dx2", "ci", "dri1", "dri2", "note",
    ]  # fmt: skip
    # one entry per series: its scalars, then arrays over levels and over the fa grid
    series_rows: list[tuple[object, ...]] = []
    level_values_parts: list[dict[str, np.ndarray]] = []
    curve_ci: list[np.ndarray] = []
    fa_levels = np.asarray(level_values) / 100.0
    for b in range(n_blocks):
        has_data = np.isfinite(fa[b])
        for series in _ratio_series(m.conc1[b], m.conc2[b], has_data):
            if series.size < min_ratio_wells:
                continue
            rows_at, cols_at = np.unravel_index(series, (n_rows, n_cols))
            s1 = m.conc1[b, rows_at]
            s2 = m.conc2[b, cols_at]
            ratio = float(np.median(s1 / s2))
            fraction1 = ratio / (1.0 + ratio)
            total = np.broadcast_to((s1 + s2)[None, :], (n_rep, series.size)).ravel()
            points = fa_points[b][:, rows_at, cols_at].ravel()
            dm_c, m_c, r_c, _ = (float(v[0]) for v in _median_effect_fit(total[None], points[None]))
            if not np.isfinite(m_c):
                note = "series median-effect fit undefined (fewer than two wells with 0 < fa < 1)"
            elif m_c <= 0:
                note = "series effect does not rise with dose (m <= 0)"
            elif not (np.isfinite(dm[b]).all() and np.all(slope[b] > 0)):
                note = "single-agent median-effect fit undefined or m <= 0"
            else:
                note = ""
            series_rows.append(
                (
                    m.block_ids[b], m.drug1[b], m.drug2[b], ratio, fraction1, int(series.size),
                    dm_c, m_c, r_c, note,
                )
            )  # fmt: skip
            level_values_parts.append(
                _ratio_level(fa_levels, fraction1, dm_c, m_c, dm[b], slope[b])
            )
            curve_ci.append(_ratio_level(grid, fraction1, dm_c, m_c, dm[b], slope[b])["ci"])
    fixed_ratio = _series_table(series_rows, level_values_parts, level_values, level_columns)
    n_series = len(series_rows)
    curves = pd.DataFrame(
        {
            "block_id": np.repeat(np.asarray([r[0] for r in series_rows], dtype=object), grid.size),
            "ratio": np.repeat(np.asarray([r[3] for r in series_rows], dtype=float), grid.size),
            "fa": np.tile(grid, n_series),
            "ci": np.concatenate(curve_ci) if curve_ci else np.empty(0),
        }
    )
    return CombinationIndex(
        block_ids=m.block_ids,
        drug1=m.drug1,
        drug2=m.drug2,
        conc1=m.conc1.copy(),
        conc2=m.conc2.copy(),
        dm=dm,
        m=slope,
        r=r,
        n_points=n_points,
        fa=fa,
        ci=ci,
        dx=np.where(combo[:, None], dx, np.nan),
        dri=dri,
        notes=notes,
        levels=level_values,
        fixed_ratio=fixed_ratio,
        fa_ci_curves=curves,
    )


def _series_table(
    series_rows: list[tuple[object, ...]],
    level_parts: list[dict[str, np.ndarray]],
    level_values: tuple[float, ...],
    columns: list[str],
) -> pd.DataFrame:
    """Build the fixed-ratio table: each series' scalars repeated over the effect levels."""
    n_levels = len(level_values)
    scalars = ["block_id", "drug1", "drug2", "ratio", "fraction1", "n_wells"]
    scalars += ["dm_combo", "m_combo", "r_combo", "note"]
    data: dict[str, np.ndarray] = {}
    for k, name in enumerate(scalars):
        values = np.asarray([row[k] for row in series_rows], dtype=object)
        data[name] = np.repeat(values, n_levels)
    data["level"] = np.tile(np.asarray(level_values, dtype=float), len(series_rows))
    for name in ("fa", "dose1", "dose2", "dx1", "dx2", "ci", "dri1", "dri2"):
        parts = [part[name] for part in level_parts]
        data[name] = np.concatenate(parts) if parts else np.empty(0)
    table = pd.DataFrame(data)[columns]
    for name in ("ratio", "fraction1", "dm_combo", "m_combo", "r_combo"):
        table[name] = table[name].astype(float)
    table["n_wells"] = table["n_wells"].astype(int)
    for name in ("block_id", "drug1", "drug2", "note"):
        table[name] = table[name].astype(str)
    return table


def _max_positive(conc1: np.ndarray, conc2: np.ndarray) -> np.ndarray:
    """Highest tested concentration of each drug, shape (B, 2)."""
    out = np.full((conc1.shape[0], 2), np.nan)
    for k, conc in enumerate((conc1, conc2)):
        finite = np.where(np.isfinite(conc), conc, -np.inf)
        out[:, k] = finite.max(axis=1)
    return out


def _ratio_level(
    fa: np.ndarray, fraction1: float, dm_c: float, m_c: float, dm: np.ndarray, slope: np.ndarray
) -> dict[str, np.ndarray]:
    """Doses, CI and DRI of one fixed-ratio series at fractions affected `fa`."""
    total = median_effect_dose(fa, dm_c, m_c)
    dose1, dose2 = total * fraction1, total * (1.0 - fraction1)
    dx1 = median_effect_dose(fa, dm[0], slope[0])
    dx2 = median_effect_dose(fa, dm[1], slope[1])
    return {
        "fa": fa,
        "dose1": dose1,
        "dose2": dose2,
        "dx1": dx1,
        "dx2": dx2,
        "ci": dose1 / dx1 + dose2 / dx2,
        "dri1": dx1 / dose1,
        "dri2": dx2 / dose2,
    }


def _well_notes(
    fa: np.ndarray,
    d1: np.ndarray,
    d2: np.ndarray,
    dm: np.ndarray,
    slope: np.ndarray,
    dx: np.ndarray,
    dose_max: np.ndarray,
) -> np.ndarray:
    """Reason per well why its CI is undefined, or a caution; "" otherwise."""
    notes = np.full(fa.shape, "", dtype=object)
    combo = (d1 > 0) & (d2 > 0)
    for k in (1, 0):
        label = f"drug {k + 1}"
        no_fit = ~np.isfinite(dm[:, k])
        flat = np.isfinite(dm[:, k]) & ~(slope[:, k] > 0)
        notes = np.where(
            combo & no_fit[:, None, None],
            f"{label} median-effect fit undefined (fewer than two doses with 0 < fa < 1)",
            notes,
        )
        notes = np.where(
            combo & flat[:, None, None], f"{label} effect does not rise with dose (m <= 0)", notes
        )
    with np.errstate(invalid="ignore"):
        extrapolated = combo & np.any(dx > dose_max[:, :, None, None], axis=1) & (notes == "")
        notes = np.where(
            extrapolated, "defined, but Dx extrapolated beyond the tested single-agent doses", notes
        )
        notes = np.where(combo & (fa >= 1), "fa >= 1: CI undefined", notes)
        notes = np.where(combo & (fa <= 0), "fa <= 0: CI undefined", notes)
    notes = np.where(np.isnan(fa) & np.isfinite(d1) & np.isfinite(d2), "missing", notes)
    notes = np.where((d1 == 0) & (d2 == 0), "control", notes)
    notes = np.where((d1 > 0) ^ (d2 > 0), "monotherapy", notes)
    return notes.astype(object)
