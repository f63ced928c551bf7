"""Quality control of combination dose matrices, batched over blocks.

Four checks a reader of synergy scores needs before trusting them:

:func:`correct_baseline`
    SynergyFinder's ``correct_baseline`` option ("non", "part", "all").
:func:`flag_outliers`
    Replicate values far from the rest of their well.
:func:`single_agent_warnings`
    Degenerate monotherapy curves and a control well off 0 % inhibition.
:func:`combination_qc`
    All of it as one table, one row per block, every finding spelled out.

Baseline correction follows SynergyFinder (``CorrectBaseLine``): each drug is
fitted alone (LL.4 on its monotherapy wells with the control well), the
*baseline* ``b`` is the minimum fitted response, and every corrected value is
``y - (100 - y) / 100 * b``. Versions disagree on how the two drugs' minima
are pooled. SynergyFinder 3 takes the minimum over all single-drug fits: its
development source (``CorrectBaseLine(response.mat, method)``, the version
that handles more than two drugs) computes ``min(min(fit_row), min(fit_col))``,
and the SynergyFinder Plus web user guide ("Correct Baseline", 2021) says
"Pick the minimum fitted response value from all the models fitted ... as
baseline". SynergyFinder 1 and 2 averaged the two minima
(``(min(fit_row) + min(fit_col)) / 2``). ``pooling="min"`` (the default)
follows version 3 and ``pooling="mean"`` follows versions 1 and 2.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Literal

import numpy as np
import pandas as pd

from resistlab.dose_response import FLAG_REASONS
from resistlab.synergy._fit_marginals import Marginals, fit_marginals
from resistlab.synergy.data import DoseMatrices
from resistlab.synergy.models import _check

__all__ = [
    "BaselineWarning",
    "combination_qc",
    "correct_baseline",
    "flag_outliers",
    "single_agent_warnings",
]

_METHODS = ("none", "part", "all")
_POOLINGS = ("min", "mean")
#: Median of |X - Y| for independent X, Y ~ N(0, sigma^2), in units of sigma:
#: sqrt(2) * Phi^-1(3/4).
_PAIR_MEDIAN = float(np.sqrt(2.0) * 0.6744897501960817)
#: Fewest replicates a well needs before any of its values can be flagged.
_MIN_REPLICATES = 3
#: At most this many outliers are listed by value in a block's warnings.
_LIST_OUTLIERS = 5
#: Bits of FLAG_REASONS meaning the fit did not produce a usable curve.
_FAILED_BITS = (0, 1, 2)
_FLAT_BIT = 3
_EC50_OUTSIDE_BIT = 6


class BaselineWarning(UserWarning):
    """A block's baseline could not be estimated, so the block was left uncorrected."""


def correct_baseline(
    m: DoseMatrices,
    method: Literal["none", "part", "all"],
    *,
    pooling: Literal["min", "mean"] = "min",
) -> DoseMatrices:
    """Shift each block's baseline towards 0 % inhibition, as SynergyFinder's ``correct_baseline``.

    Each drug of a block is fitted alone (LL.4, every replicate a point,
    the control well at dose 0; :func:`fit_marginals` with
    ``mode="resistlab"``). The baseline ``b`` of the block is the minimum of
    the fitted responses at the tested doses, the control included, pooled
    over the two drugs by `pooling`. Each replicate value ``y`` then becomes
    ``y - (100 - y) / 100 * b``: 100 % stays 100 %, and a value equal to a
    negative baseline ``b`` moves to ``b**2 / 100`` (1 for ``b = -10``), close
    to 0.

    Parameters
    ----------
    m : DoseMatrices
        Percent inhibition of one or many blocks.
    method : {"none", "part", "all"}
        "none": no correction (SynergyFinder's "non"). "part": only the
        replicate values below 0 are corrected. "all": every value is. As in
        SynergyFinder the formula is applied whatever the sign of ``b``: a
        positive baseline lowers the values it corrects.
    pooling : {"min", "mean"}
        How the two drugs' minimum fitted responses make the baseline:
        "min", their minimum (SynergyFinder 3), or "mean", their average
        (SynergyFinder 1 and 2). See the module docstring.

    Returns
    -------
    DoseMatrices
        A new object; `m` is not modified. Blocks whose baseline cannot be
        estimated (no single-agent fit) are returned unchanged, with a
        :class:`BaselineWarning` naming them.

    Raises
    ------
    TypeError
        If `m` is not DoseMatrices.
    ValueError
        If `method` or `pooling` is not one of the allowed values.

    Examples
    --------
    >>> c = np.array([[0.0, 1e-8, 1e-7, 1e-6, 1e-5]])
    >>> mono = -10 + 100 * c / (c + 1e-7)  # curves starting at -10 % inhibition
    >>> y = np.broadcast_to(np.maximum(mono[:, :, None], mono[:, None, :]), (1, 2, 5, 5))
    >>> m = DoseMatrices(("b1",), ("A",), ("B",), c, c, y)
    >>> out = correct_baseline(m, "all")
    >>> round(float(out.response[0, 0, 0, 0]), 4)  # control: -10 -> (-10) ** 2 / 100
    1.0
    >>> float(correct_baseline(m, "part").response[0, 0, 4, 4]) == float(y[0, 0, 4, 4])
    True
    """
    m = _check(m)
    if method not in _METHODS:
        msg = (
            f"Invalid value ({method!r}) for argument 'method'; should be 'none', 'part' or 'all'."
        )
        raise ValueError(msg)
    _check_pooling(pooling)
    response = m.response.copy()
    if method == "none":
        return replace(m, response=response)
    with np.errstate(invalid="ignore"):
        negative = response < 0
    todo = np.arange(len(m)) if method == "all" else np.flatnonzero(negative.any(axis=(1, 2, 3)))
    if todo.size == 0:
        return replace(m, response=response)
    part = m.take(todo)
    baseline = _baseline(_fit(part), pooling)
    missing = ~np.isfinite(baseline)
    if missing.any():
        names = ", ".join(part.block_ids[i] for i in np.flatnonzero(missing))
        msg = (
            f"baseline not estimable (single-agent fit failed) for block(s) {names}; "
            "left uncorrected"
        )
        warnings.warn(msg, BaselineWarning, stacklevel=2)
    b = np.where(missing, 0.0, baseline)[:, None, None, None]
    y = response[todo]
    corrected = y - (100.0 - y) / 100.0 * b
    if method == "part":
        corrected = np.where(negative[todo], corrected, y)
    response[todo] = corrected
    return replace(m, response=response)


def flag_outliers(m: DoseMatrices, *, threshold: float = 4.5) -> np.ndarray:
    """Replicate values far from the other replicates of their well.

    A value ``y`` of a well with at least 3 replicates is an outlier when
    ``|y - median of the well| > threshold * s``, with ``s`` a robust
    standard deviation of the replicates pooled over all wells of the block.
    This is the modified z-score of Iglewicz and Hoaglin (1993; ``M =
    0.6745 (y - median) / MAD``, outlier when ``|M| > 3.5``) with two
    changes for dose matrices:

    Scale
        With 3 values the MAD of a well is set by a single distance (2 of the
        3 are 0 or equal). A MAD of the residuals pooled over wells is also
        unusable: a third of the residuals are exactly 0, and it estimates
        0.47 sigma instead of sigma for normal triplicates. Instead ``s =
        median |y_i - y_j| / (sqrt(2) * 0.6745)`` over all replicate pairs
        within the wells of the block, which is consistent for sigma with any
        number of replicates. An outlier spoils only the pairs of its own
        well, so the pool tolerates many.
    Threshold
        3.5 is meant for one sample; a block tests every value at once (192
        in an 8 x 8 matrix in triplicate). With normal errors, 3.5 flags
        about 0.2 % of clean values in triplicate (simulated), so about 28 %
        of clean 8 x 8 triplicate blocks would show a false outlier. The
        default 4.5 flags about 0.016 % of clean values: about 3 % of such
        blocks (2 % of 6 x 6, 1 % of 8 x 8 in quadruplicate).

    Parameters
    ----------
    m : DoseMatrices
        Percent inhibition with replicates.
    threshold : float
        Distance from the well median, in pooled standard deviations.

    Returns
    -------
    ndarray of shape (B, K, R, C), bool
        True at the outlying replicate values. Wells with fewer than 3
        replicates, and blocks whose replicates all agree exactly (zero
        spread), are never flagged.

    Raises
    ------
    TypeError
        If `m` is not DoseMatrices.
    ValueError
        If `threshold` is not a positive number.

    Examples
    --------
    >>> c = np.array([[0.0, 1e-6, 1e-5]])
    >>> well = np.array([[0.0, 20.0, 40.0], [30.0, 50.0, 70.0], [50.0, 60.0, 90.0]])
    >>> y = well + np.array([-1.0, 0.0, 1.0])[None, :, None, None]  # triplicates, spread 1
    >>> y[0, 2, 1, 1] = 80.0  # one replicate of well (1, 1) far off
    >>> m = DoseMatrices(("b1",), ("A",), ("B",), c, c, y)
    >>> np.argwhere(flag_outliers(m)).tolist()
    [[0, 2, 1, 1]]
    """
    m = _check(m)
    _check_threshold(threshold)
    scores, _ = _outlier_scores(m.response)
    with np.errstate(invalid="ignore"):
        return scores > threshold


def single_agent_warnings(
    m: DoseMatrices,
    marginals: Marginals | None = None,
    *,
    min_effect: float = 10.0,
    control_tolerance: float = 20.0,
    ec50_fold: float = 10.0,
) -> list[list[str]]:
    """Warnings about each block's monotherapy curves and control well, as text.

    Per block, in this order:

    * the control well (replicate mean) is missing or more than
      `control_tolerance` points from 0 % inhibition, typical of a plate or
      normalisation problem;
    * per drug, the fit failed (too few points, not converged, numerical
      failure), or the curve is flat (no significant dose effect, F test
      p > 0.05). Both are :data:`~resistlab.dose_response.FLAG_REASONS` of
      the fit;
    * per drug, the ec50 is `ec50_fold` times or more beyond the tested doses
      (above the top dose or below the lowest). The default fit keeps the
      ec50 within one decade of the tested doses, so with ``ec50_fold=10``
      this means the ec50 sits at that limit: the data would put it further
      out, and the potency is not estimable from these doses. It is not
      reported for flat or failed curves;
    * per drug, the largest fitted response over the tested doses (the
      observed replicate means if there is no fit) is below `min_effect`
      % inhibition;
    * per drug, any other fit flag (lack of fit, step, ec50 outside the tested
      range, imprecise...), as ``"drug1 (A) fit: <reason>"``.

    Parameters
    ----------
    m : DoseMatrices
        Percent inhibition of one or many blocks.
    marginals : Marginals, optional
        Single-agent fits of `m` to reuse. By default they are computed with
        ``fit_marginals(..., mode="resistlab")``.
    min_effect : float
        Smallest acceptable monotherapy maximal effect, percent inhibition.
    control_tolerance : float
        Largest acceptable distance of the control well from 0 %, in points.
    ec50_fold : float
        How far beyond the tested doses (fold) an ec50 is reported. The default
        fits never place an ec50 beyond 10-fold, so larger values only act on
        `marginals` fitted without that limit (``mode="synergyfinder"``).

    Returns
    -------
    list of list of str
        One list per block, empty when nothing was found.

    Raises
    ------
    TypeError
        If `m` is not DoseMatrices.
    ValueError
        If `marginals` does not have one fit per block, or a limit is not
        positive.

    Examples
    --------
    >>> c = np.array([[0.0, 1e-8, 1e-7, 1e-6, 1e-5]])
    >>> mono = 90 * c / (c + 1e-7)
    >>> y = mono[:, :, None] + mono[:, None, :] - mono[:, :, None] * mono[:, None, :] / 100
    >>> y = np.broadcast_to(y[:, None], (1, 2, 5, 5)).copy()
    >>> y[0, :, 0, 0] = 35.0  # a control well far from 0 % inhibition
    >>> single_agent_warnings(DoseMatrices(("b1",), ("A",), ("B",), c, c, y))[0][0]
    'control well at 35.0 % inhibition, more than 20 points from 0 %: check plate normalisation'
    """
    m = _check(m)
    for name, value in (
        ("min_effect", min_effect),
        ("control_tolerance", control_tolerance),
        ("ec50_fold", ec50_fold),
    ):
        if not (np.isfinite(value) and value > 0):
            msg = f"{name} must be a positive number, got {value!r}"
            raise ValueError(msg)
    if marginals is None:
        marginals = _fit(m)
    elif len(marginals.drug1) != len(m) or len(marginals.drug2) != len(m):
        msg = (
            f"marginals must hold one fit per block ({len(m)}), "
            f"got {len(marginals.drug1)} and {len(marginals.drug2)}"
        )
        raise ValueError(msg)
    facts = _single_agent_facts(m, marginals)
    control = m.mean_response[:, 0, 0]
    out = []
    for i in range(len(m)):
        found = []
        if np.isnan(control[i]):
            found.append("control well missing (no response at both doses 0)")
        elif abs(control[i]) > control_tolerance:
            found.append(
                f"control well at {control[i]:.1f} % inhibition, more than "
                f"{control_tolerance:g} points from 0 %: check plate normalisation"
            )
        for k, drug in ((1, m.drug1[i]), (2, m.drug2[i])):
            found.extend(
                _drug_warnings(
                    f"drug{k} ({drug})",
                    facts[k],
                    i,
                    min_effect=min_effect,
                    ec50_fold=ec50_fold,
                )
            )
        out.append(found)
    return out


def combination_qc(
    m: DoseMatrices,
    *,
    outlier_threshold: float = 4.5,
    min_effect: float = 10.0,
    control_tolerance: float = 20.0,
    ec50_fold: float = 10.0,
    pooling: Literal["min", "mean"] = "min",
) -> pd.DataFrame:
    """One row per block: what the QC found, in words and in numbers.

    Runs :func:`flag_outliers` and :func:`single_agent_warnings` on one set
    of single-agent fits and adds the baseline of :func:`correct_baseline`.
    Nothing is silent: every finding is a phrase in ``qc_warnings``,
    including checks that could not be made (no well with 3 replicates).

    Parameters
    ----------
    m : DoseMatrices
        Percent inhibition of one or many blocks.
    outlier_threshold : float
        `threshold` of :func:`flag_outliers`.
    min_effect, control_tolerance, ec50_fold : float
        Limits of :func:`single_agent_warnings`.
    pooling : {"min", "mean"}
        Pooling of the baseline, as in :func:`correct_baseline`.

    Returns
    -------
    DataFrame
        Columns ``block_id``, ``drug1``, ``drug2``; ``n_outliers`` (flagged
        replicate values) and ``replicate_sd`` (the pooled robust standard
        deviation they are measured in, percentage points; NaN without
        replicates); ``control_response`` (replicate mean of the control
        well, percent inhibition); ``baseline`` (SynergyFinder's baseline,
        percent inhibition); ``drug1_ec50``, ``drug2_ec50`` (molar) and
        ``drug1_emax``, ``drug2_emax`` (largest fitted monotherapy response,
        percent inhibition); ``qc_warnings``, the findings joined by ``"; "``
        (``""`` when there are none).

    Raises
    ------
    TypeError
        If `m` is not DoseMatrices.
    ValueError
        If a limit is not positive or `pooling` is unknown.

    Examples
    --------
    >>> c = np.array([[0.0, 1e-8, 1e-7, 1e-6, 1e-5]])
    >>> mono = 90 * c / (c + 1e-7)
    >>> y = mono[:, :, None] + mono[:, None, :] - mono[:, :, None] * mono[:, None, :] / 100
    >>> y = y[:, None] + np.array([-1.0, 0.0, 1.0])[None, :, None, None]  # triplicates
    >>> y[0, 1, 2, 3] = 20.0  # one replicate far below its well (about 91 %)
    >>> qc = combination_qc(DoseMatrices(("b1",), ("A",), ("B",), c, c, y))
    >>> int(qc.loc[0, "n_outliers"]), qc.loc[0, "qc_warnings"][:40]
    (1, '1 outlier replicate value (more than 4.5')
    """
    m = _check(m)
    _check_threshold(outlier_threshold)
    _check_pooling(pooling)
    marginals = _fit(m)
    texts = single_agent_warnings(
        m,
        marginals,
        min_effect=min_effect,
        control_tolerance=control_tolerance,
        ec50_fold=ec50_fold,
    )
    scores, scale = _outlier_scores(m.response)
    with np.errstate(invalid="ignore"):
        outliers = scores > outlier_threshold
    assessable = np.any(m.n_replicates >= _MIN_REPLICATES, axis=(1, 2))
    facts = _single_agent_facts(m, marginals)
    median = _well_medians(m.response)
    for i in range(len(m)):
        if not assessable[i]:
            texts[i].append(
                f"replicate outliers not assessed (no well has {_MIN_REPLICATES} "
                "or more replicates)"
            )
        elif not scale[i] > 0:
            texts[i].append("replicate outliers not assessed (replicates agree exactly)")
        elif outliers[i].any():
            texts[i].append(
                _outlier_text(m, i, outliers[i], median[i], scale[i], outlier_threshold)
            )
    return pd.DataFrame(
        {
            "block_id": list(m.block_ids),
            "drug1": list(m.drug1),
            "drug2": list(m.drug2),
            "n_outliers": outliers.sum(axis=(1, 2, 3)),
            "replicate_sd": scale,
            "control_response": m.mean_response[:, 0, 0],
            "baseline": _baseline(marginals, pooling),
            "drug1_ec50": marginals.drug1.ec50,
            "drug2_ec50": marginals.drug2.ec50,
            "drug1_emax": facts[1]["emax"],
            "drug2_emax": facts[2]["emax"],
            "qc_warnings": ["; ".join(t) for t in texts],
        }
    )


# --- helpers -------------------------------------------------------------------------------


def _check_pooling(pooling: str) -> None:
    if pooling not in _POOLINGS:
        msg = f"Invalid value ({pooling!r}) for argument 'pooling'; should be 'min' or 'mean'."
        raise ValueError(msg)


def _check_threshold(threshold: float) -> None:
    if not (np.isfinite(threshold) and threshold > 0):
        msg = f"threshold must be a positive number of standard deviations, got {threshold!r}"
        raise ValueError(msg)


def _fit(m: DoseMatrices) -> Marginals:
    return fit_marginals(m.conc1, m.conc2, m.response, mode="resistlab")


def _row_min(values: np.ndarray) -> np.ndarray:
    """Minimum of each row ignoring NaN; NaN for rows without a number (no warning)."""
    out = np.full(values.shape[0], np.nan)
    has = np.isfinite(values).any(axis=1)
    out[has] = np.nanmin(values[has], axis=1)
    return out


def _row_max(values: np.ndarray) -> np.ndarray:
    return -_row_min(-values)


def _baseline(marginals: Marginals, pooling: str) -> np.ndarray:
    """SynergyFinder's baseline per block: the minimum fitted single-agent response."""
    low1 = _row_min(marginals.pred1)
    low2 = _row_min(marginals.pred2)
    both = np.column_stack([low1, low2])
    if pooling == "min":
        return _row_min(both)
    return (low1 + low2) / 2.0


def _pair_scale(response: np.ndarray) -> np.ndarray:
    """Pooled robust sd per block from all within-well replicate differences (NaN if none)."""
    b_count, k_count = response.shape[:2]
    if k_count < 2:
        return np.full(b_count, np.nan)
    first, second = np.triu_indices(k_count, 1)
    with np.errstate(invalid="ignore"):
        gaps = np.abs(response[:, first] - response[:, second]).reshape(b_count, -1)
    scale = np.full(b_count, np.nan)
    has = np.isfinite(gaps).any(axis=1)
    scale[has] = np.nanmedian(gaps[has], axis=1) / _PAIR_MEDIAN
    return scale


def _well_medians(response: np.ndarray) -> np.ndarray:
    """Replicate median of each well with at least 3 replicates, shape (B, R, C); NaN elsewhere."""
    enough = np.sum(~np.isnan(response), axis=1) >= _MIN_REPLICATES
    median = np.full(enough.shape, np.nan)
    if enough.any():
        values = np.moveaxis(response, 1, -1)[enough]  # (wells, K), >= 3 numbers each
        median[enough] = np.nanmedian(values, axis=1)
    return median


def _outlier_scores(response: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """|y - well median| / pooled sd, shape (B, K, R, C) (NaN where not assessable); the sd."""
    scale = _pair_scale(response)
    median = _well_medians(response)
    usable = np.where(scale > 0, scale, np.nan)
    with np.errstate(invalid="ignore"):
        scores = np.abs(response - median[:, None]) / usable[:, None, None, None]
    return scores, scale


def _single_agent_facts(m: DoseMatrices, marginals: Marginals) -> dict[int, dict[str, np.ndarray]]:
    """Per drug (1, 2): flag bits, ec50, tested dose range and maximal effect of each block."""
    observed = m.mean_response
    facts: dict[int, dict[str, np.ndarray]] = {}
    for k, fits, pred, conc, mono in (
        (1, marginals.drug1, marginals.pred1, m.conc1, observed[:, :, 0]),
        (2, marginals.drug2, marginals.pred2, m.conc2, observed[:, 0, :]),
    ):
        positive = conc > 0
        doses = np.where(positive, conc, np.nan)
        fitted_max = _row_max(np.where(positive, pred, np.nan))
        observed_max = _row_max(np.where(positive, mono, np.nan))
        facts[k] = {
            "bits": fits.flag_bits.astype(np.int64),
            "ec50": fits.ec50,
            "low": _row_min(doses),
            "high": _row_max(doses),
            "emax": np.where(np.isfinite(fitted_max), fitted_max, observed_max),
        }
    return facts


def _drug_warnings(
    label: str,
    facts: dict[str, np.ndarray],
    i: int,
    *,
    min_effect: float,
    ec50_fold: float,
) -> list[str]:
    """List the warnings about one drug of block `i`."""
    bits = int(facts["bits"][i])
    found = [f"{label}: fit failed ({_reason(k)})" for k in _FAILED_BITS if bits >> k & 1]
    failed = bool(found)
    flat = bool(bits >> _FLAT_BIT & 1)
    if flat:
        found.append(f"{label}: {_reason(_FLAT_BIT)}")
    handled = {*_FAILED_BITS, _FLAT_BIT}
    ec50, low, high = facts["ec50"][i], facts["low"][i], facts["high"][i]
    if not (failed or flat) and np.isfinite(ec50):
        tolerance = 1.0 - 1e-6  # the fit's ec50 limit is exactly one decade out
        if ec50 >= ec50_fold * high * tolerance:
            found.append(
                f"{label}: ec50 {ec50:.3g} M is {ec50 / high:.3g}x the top dose {high:.3g} M "
                f"(at least {ec50_fold:g}x beyond the tested doses: potency not estimable)"
            )
            handled.add(_EC50_OUTSIDE_BIT)
        elif ec50 * ec50_fold <= low / tolerance:
            found.append(
                f"{label}: ec50 {ec50:.3g} M is 1/{low / ec50:.3g} of the lowest dose {low:.3g} M "
                f"(at least {ec50_fold:g}x beyond the tested doses: potency not estimable)"
            )
            handled.add(_EC50_OUTSIDE_BIT)
    emax = facts["emax"][i]
    if np.isfinite(emax) and emax < min_effect:
        found.append(
            f"{label}: maximal effect {emax:.1f} % inhibition, below {min_effect:g} % "
            "(little or no single-agent activity)"
        )
    found.extend(
        f"{label} fit: {_reason(k)}"
        for k in range(len(FLAG_REASONS))
        if bits >> k & 1 and k not in handled
    )
    return found


def _reason(bit: int) -> str:
    """Text of a fit flag without "; ", which separates the findings of a block."""
    return FLAG_REASONS[bit].replace("; ", ", ")


def _outlier_text(
    m: DoseMatrices,
    i: int,
    flagged: np.ndarray,
    median: np.ndarray,
    scale: float,
    threshold: float,
) -> str:
    """Describe the flagged replicate values of block `i`."""
    where = np.argwhere(flagged)  # (replicate, row, column), in order
    n = len(where)
    items = [
        f"{m.response[i, k, r, c]:.1f} vs median {median[r, c]:.1f} at "
        f"{m.conc1[i, r]:.3g} M x {m.conc2[i, c]:.3g} M"
        for k, r, c in where[:_LIST_OUTLIERS]
    ]
    if n > _LIST_OUTLIERS:
        items.append(f"... ({n - _LIST_OUTLIERS} more)")
    noun = "value" if n == 1 else "values"
    return (
        f"{n} outlier replicate {noun} (more than {threshold:g} robust SD = "
        f"{threshold * scale:.1f} points from the well median): " + ", ".join(items)
    )
