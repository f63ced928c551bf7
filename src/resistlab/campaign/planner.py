"""The dose ladder of a campaign, from the parental dose-response fit.

Practice (McDermott et al. 2014; Kadomoto et al. 2025): start at the
parental IC10-IC20, raise the dose 1.5-2x whenever the cells have
recovered, stop at 5-10x the parental IC50. With a Hill slope of 1 the
IC20 is a quarter of the IC50 (``IC_f = IC50 (f / (1 - f))^(1/h)``), so
reaching 10x takes ``ceil(ln 40 / ln 2) = 6`` escalations at 2x and 10 at
1.5x; at 2-4 weeks a step that is 3-10 months, inside the 3-18 months
labs report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from resistlab.dose_response import CurveFits
from resistlab.errors import AnalysisError

__all__ = ["DosePlan", "dose_ladder", "plan_campaign", "plan_from_ic50"]


@dataclass(frozen=True)
class DosePlan:
    """A campaign's planned doses (molar).

    Attributes
    ----------
    parental_ic50, parental_ic50_low, parental_ic50_high : float
        Parental IC50 and its 95 % interval.
    start_level : float
        Percent effect of the start dose (10 or 20).
    start_dose, start_low, start_high : float
        The start dose (ICx) and its 95 % interval.
    factor : float
        Escalation factor.
    target_fold, target_dose : float
        Target as a multiple of the parental IC50, and as a dose.
    ladder : tuple of float
        Doses from the start to the target; the last is the target itself.
    weeks_per_step : tuple of float
        Assumed (shortest, longest) weeks at each dose.
    """

    parental_ic50: float
    parental_ic50_low: float
    parental_ic50_high: float
    start_level: float
    start_dose: float
    start_low: float
    start_high: float
    factor: float
    target_fold: float
    target_dose: float
    ladder: tuple[float, ...]
    weeks_per_step: tuple[float, float] = (2.0, 4.0)

    @property
    def n_escalations(self) -> int:
        """Dose increases from the start dose to the target."""
        return len(self.ladder) - 1

    @property
    def expected_weeks(self) -> tuple[float, float]:
        """Escalation time if every dose takes the shortest / longest assumed weeks."""
        low, high = self.weeks_per_step
        return low * len(self.ladder), high * len(self.ladder)

    def to_frame(self) -> pd.DataFrame:
        """One row per rung: step, dose, multiple of the parental IC50, of the start."""
        return pd.DataFrame(
            {
                "step": range(1, len(self.ladder) + 1),
                "dose": self.ladder,
                "x_parental_ic50": [d / self.parental_ic50 for d in self.ladder],
                "x_start": [d / self.start_dose for d in self.ladder],
            }
        )


def dose_ladder(start: float, factor: float, target: float) -> tuple[float, ...]:
    """Doses ``start * factor**k`` below the target, then the target.

    Examples
    --------
    >>> [round(d, 3) for d in dose_ladder(0.25, 2.0, 10.0)]
    [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 10.0]
    """
    if not start > 0 or not target > 0:
        msg = f"start and target doses must be positive, got {start} and {target}"
        raise ValueError(msg)
    if not factor > 1:
        msg = f"escalation factor must be > 1, got {factor}"
        raise ValueError(msg)
    if target <= start:
        return (target,)
    n = math.ceil(math.log(target / start) / math.log(factor) - 1e-9)
    return (*(start * factor**k for k in range(n)), target)


def plan_campaign(
    fits: CurveFits,
    *,
    index: int = 0,
    start_level: float = 20.0,
    factor: float = 2.0,
    target_fold: float = 10.0,
    weeks_per_step: tuple[float, float] = (2.0, 4.0),
) -> DosePlan:
    """Plan a campaign from the parental line's dose-response fit.

    Parameters
    ----------
    fits : CurveFits
        Parental fit(s), molar doses; `index` picks the curve.
    start_level : float
        Start at the absolute IC10 (10) or IC20 (20), or any level.
    factor : float
        Escalation factor (1.5-2 in practice).
    target_fold : float
        Stop at this multiple of the parental IC50 (5-10 in practice).

    Raises
    ------
    AnalysisError
        If the parental IC50 or the start dose is censored: the plate did
        not bracket them, so the campaign cannot be planned from it.
    """
    one = fits.take(index)
    ic50 = one.effective_dose(50.0)
    start = one.effective_dose(start_level)
    for name, ed in (("IC50", ic50), (f"IC{start_level:g}", start)):
        if ed.censor[0]:
            msg = (
                f"parental {name} is censored ({ed.censor[0]} {ed.estimate[0]:.3g}): "
                "re-test the parental line over a wider dose range before planning"
            )
            raise AnalysisError(msg)
    return _plan(
        float(ic50.estimate[0]),
        (float(ic50.lower[0]), float(ic50.upper[0])),
        start_level,
        (float(start.estimate[0]), float(start.lower[0]), float(start.upper[0])),
        factor,
        target_fold,
        weeks_per_step,
    )


def plan_from_ic50(
    ic50: float,
    *,
    hill_slope: float = 1.0,
    start_level: float = 20.0,
    factor: float = 2.0,
    target_fold: float = 10.0,
    weeks_per_step: tuple[float, float] = (2.0, 4.0),
) -> DosePlan:
    """Plan from an IC50 alone, assuming a full-range curve with `hill_slope`.

    ``IC_f = IC50 (f / (1 - f))^(1 / h)``; no intervals (NaN).

    Examples
    --------
    >>> plan = plan_from_ic50(1e-6, start_level=20, factor=2, target_fold=5)
    >>> plan.start_dose, plan.n_escalations
    (2.5e-07, 5)
    """
    f = start_level / 100.0
    start = ic50 * (f / (1.0 - f)) ** (1.0 / hill_slope)
    nan = math.nan
    return _plan(
        ic50, (nan, nan), start_level, (start, nan, nan), factor, target_fold, weeks_per_step
    )


def _plan(
    ic50: float,
    ic50_ci: tuple[float, float],
    start_level: float,
    start: tuple[float, float, float],
    factor: float,
    target_fold: float,
    weeks_per_step: tuple[float, float],
) -> DosePlan:
    if not target_fold > 0:
        msg = f"target_fold must be positive, got {target_fold}"
        raise ValueError(msg)
    target = target_fold * ic50
    return DosePlan(
        parental_ic50=ic50,
        parental_ic50_low=ic50_ci[0],
        parental_ic50_high=ic50_ci[1],
        start_level=float(start_level),
        start_dose=start[0],
        start_low=start[1],
        start_high=start[2],
        factor=float(factor),
        target_fold=float(target_fold),
        target_dose=target,
        ladder=dose_ladder(start[0], factor, target),
        weeks_per_step=weeks_per_step,
    )
