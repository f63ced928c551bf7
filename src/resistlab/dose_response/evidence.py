"""Dose-response results as rows of the evidence table (DESIGN.md).

Two contrasts of IC50s bear on a resistance mechanism, both on a log2 scale:

- `fold_resistance_evidence`: the resistant line over its parental line
  (comparison ``resistant_vs_parental``), from a `FoldResistance` or from
  the ``fold_resistance.csv`` table that ``resistlab fit --reference`` writes;
- `drug_holiday_evidence`: the resistant line after drug-free passages over
  the same line kept on drug (comparison ``after_drug_holiday_vs_resistant``).
  A fall back toward the parental IC50 marks a reversible drug-tolerant state;
  an IC50 that persists marks heritable resistance.

The target is ``<drug>_ic50`` (``<drug>_ec50`` for the relative EC50) with
the drug name made canonical through the knowledge base (``VS-6063`` =
defactinib), so ``defactinib_ic50`` is what the mechanism markers name. The
numbers are those of `resistlab.dose_response.fold_resistance`: log2 fold,
its delta-method standard error and the Wald t-test p-value; a censored fold
gives its bound with no se or p-value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from resistlab.dose_response.compare import FoldResistance, fold_resistance
from resistlab.dose_response.fit import CurveFits
from resistlab.errors import InputError

if TYPE_CHECKING:
    from resistlab.mechanism import Knowledge

__all__ = ["drug_holiday_evidence", "drug_response_target", "fold_resistance_evidence"]

_COLUMNS = ["assay", "target", "comparison", "log2_fold_change", "p_value", "se", "n", "source"]


def drug_response_target(
    drug: str, *, metric: str = "ic50", knowledge: Knowledge | None = None
) -> str:
    """Evidence target of a drug's IC50 (or EC50) fold: ``<drug>_<metric>``, canonical.

    Examples
    --------
    >>> drug_response_target("Defactinib"), drug_response_target("VS-6063")
    ('defactinib_ic50', 'defactinib_ic50')
    >>> drug_response_target("Trametinib")
    'trametinib_ic50'
    """
    if knowledge is None:
        from resistlab.mechanism import load_knowledge

        knowledge = load_knowledge()
    try:
        name = knowledge.drug(drug).id
    except KeyError:
        name = drug.strip().lower()
    raw = f"{name}_{metric}"
    return knowledge.resolve_target(raw) or raw


def _from_table(
    table: pd.DataFrame, drug: str | None, source: str, knowledge: Knowledge | None
) -> pd.DataFrame:
    """Evidence rows of a ``fold_resistance.csv`` table (one row per line and drug)."""
    needed = ["log2_fold", "se_log2", "p_value"]
    missing = [c for c in needed if c not in table.columns]
    if "drug" not in table.columns and drug is None:
        missing.append("drug (or pass drug=)")
    if missing:
        msg = f"{source}: fold-resistance table lacks column(s) {missing}"
        raise InputError(msg)
    metric = "ec50" if "ec50_parental" in table.columns else "ic50"
    log2_fold = pd.to_numeric(table["log2_fold"], errors="coerce").to_numpy(dtype=float)
    keep = np.isfinite(log2_fold)
    drugs = [str(d) for d in table["drug"]] if "drug" in table.columns else [str(drug)] * len(table)
    targets = {d: drug_response_target(d, metric=metric, knowledge=knowledge) for d in set(drugs)}
    lines = (
        [f", {r} vs {p}" for r, p in zip(table["cell_line"], table["reference_line"], strict=True)]
        if {"cell_line", "reference_line"} <= set(table.columns)
        else [""] * len(table)
    )
    rows = np.flatnonzero(keep)
    return pd.DataFrame(
        {
            "assay": "dose_response",
            "target": [targets[drugs[i]] for i in rows],
            "comparison": "resistant_vs_parental",
            "log2_fold_change": log2_fold[keep],
            "p_value": pd.to_numeric(table["p_value"], errors="coerce").to_numpy(float)[keep],
            "se": pd.to_numeric(table["se_log2"], errors="coerce").to_numpy(float)[keep],
            "n": np.full(len(rows), np.nan),
            "source": [f"{source}, row {i + 2} ({metric}{lines[i]})" for i in rows],
        },
        columns=_COLUMNS,
    )


def fold_resistance_evidence(
    fold: FoldResistance | pd.DataFrame,
    *,
    drug: str | None = "defactinib",
    source: str = "fold_resistance",
    knowledge: Knowledge | None = None,
) -> pd.DataFrame:
    """Evidence rows of fold resistance (comparison ``resistant_vs_parental``).

    Parameters
    ----------
    fold : FoldResistance or DataFrame
        A `fold_resistance` result, or the ``fold_resistance.csv`` table of
        ``resistlab fit --reference`` (``drug``, ``log2_fold``, ``se_log2``,
        ``p_value``; ``cell_line`` and ``reference_line`` name the rows).
    drug : str, optional
        The drug; a table's own ``drug`` column wins.
    source : str
        Where the numbers came from (a table's rows add ``row <k>``, counting
        the header as row 1).
    knowledge : Knowledge, optional
        For the canonical target; default the packaged knowledge base.

    Returns
    -------
    DataFrame
        The evidence columns, one row per curve pair whose fold is determined.

    Examples
    --------
    >>> from resistlab.dose_response import fit_curves, log_logistic
    >>> x = np.repeat(1e-5 / 3.0 ** np.arange(9), 3)
    >>> wobble = np.tile([1.5, -1.0, -0.5], 9)
    >>> curve = dict(hill_slope=1.0, bottom=5, top=100)
    >>> parental = fit_curves(x, log_logistic(x, ec50=1e-8, **curve) + wobble)
    >>> resistant = fit_curves(x, log_logistic(x, ec50=8e-8, **curve) + wobble)
    >>> row = fold_resistance_evidence(fold_resistance(parental, resistant)).iloc[0]
    >>> row["target"], row["comparison"], round(float(row["log2_fold_change"]), 2)
    ('defactinib_ic50', 'resistant_vs_parental', 3.0)
    """
    if isinstance(fold, pd.DataFrame):
        return _from_table(fold, drug if "drug" not in fold.columns else None, source, knowledge)
    if not isinstance(fold, FoldResistance):
        msg = f"fold must be a FoldResistance or a DataFrame, got {type(fold).__name__}"
        raise TypeError(msg)
    if drug is None:
        msg = "drug= is needed to name the target of a FoldResistance"
        raise ValueError(msg)
    target = drug_response_target(drug, metric=fold.metric, knowledge=knowledge)
    return fold.to_evidence(target=target, source=source)


def drug_holiday_evidence(
    holiday_fits: CurveFits,
    on_drug_fits: CurveFits,
    *,
    drug: str = "defactinib",
    metric: Literal["ic50", "ec50"] = "ic50",
    confidence: float = 0.95,
    source: str = "drug_holiday",
    knowledge: Knowledge | None = None,
) -> pd.DataFrame:
    """Evidence rows of a drug holiday: IC50 after drug-free passages over IC50 on drug.

    ``log2_fold_change`` = log2(IC50 after the holiday / IC50 kept on drug),
    negative when the line re-sensitises; ``se`` and ``p_value`` as
    `fold_resistance` (on-drug fits in the denominator's place).

    Parameters
    ----------
    holiday_fits : CurveFits
        The resistant line after drug-free passages.
    on_drug_fits : CurveFits
        The same line kept on drug (one curve, or one per holiday curve).
    drug, metric, confidence
        As `fold_resistance_evidence` and `fold_resistance`.
    source : str
        Where the numbers came from.
    knowledge : Knowledge, optional
        For the canonical target; default the packaged knowledge base.

    Returns
    -------
    DataFrame
        The evidence columns, comparison ``after_drug_holiday_vs_resistant``.

    Examples
    --------
    >>> from resistlab.dose_response import fit_curves, log_logistic
    >>> x = np.repeat(1e-5 / 3.0 ** np.arange(9), 3)
    >>> wobble = np.tile([1.5, -1.0, -0.5], 9)
    >>> curve = dict(hill_slope=1.0, bottom=5, top=100)
    >>> on_drug = fit_curves(x, log_logistic(x, ec50=8e-8, **curve) + wobble)
    >>> holiday = fit_curves(x, log_logistic(x, ec50=2e-8, **curve) + wobble)
    >>> row = drug_holiday_evidence(holiday, on_drug).iloc[0]
    >>> row["comparison"], round(float(row["log2_fold_change"]), 2), bool(row["p_value"] < 0.05)
    ('after_drug_holiday_vs_resistant', -2.0, True)
    """
    result = fold_resistance(on_drug_fits, holiday_fits, metric=metric, confidence=confidence)
    target = drug_response_target(drug, metric=result.metric, knowledge=knowledge)
    rows = result.to_evidence(target=target, source=f"{source} (holiday / on drug)")
    return rows.assign(comparison="after_drug_holiday_vs_resistant")
