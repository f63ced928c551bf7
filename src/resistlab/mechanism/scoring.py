"""Weigh the evidence table against the knowledge base: a transparent log-odds score per mechanism.

Every evidence row is resolved to a canonical target (synonyms from the knowledge base;
unknown targets are reported, never dropped silently) and matched to the markers that
name that target in the same comparison and a compatible assay. A matched row adds to its
mechanism's log-odds::

    contribution = sign * SCALE * weight * level * strength * size

- ``sign`` is +1 for a supporting marker, -1 for a contradicting one;
- ``weight`` is the marker's weight and ``level`` its CIViC evidence level
  (A 1.0, B 0.95, C 0.9, D 0.8, E 0.7: the literature's strength scales, but never
  silences, what the lab measured);
- ``strength`` is the z-score in the marker's direction, clipped to [0, 3] and divided by
  3: for ``up`` z = log2FC / se, for ``down`` z = -log2FC / se, for ``persist``
  z = (0.585 - |log2FC|) / se (the knowledge base's persistence bound); se comes from the
  row, else from its p-value (two-sided normal), else a row without uncertainty counts as
  z = 1;
- ``size`` is min(1, |log2FC|) for up/down (a two-fold change counts fully), 1 for persist;
- ``SCALE`` = 3, so one clear, two-fold, level-D marker of weight 1 moves the log-odds by
  2.4 (about 11:1).

A marker measured by several assays counts its best row per assay, the second and later
assays at half weight. The confidence is the summed log-odds mapped through a monotone map
fitted on simulated studies with known truth (`resistlab.mechanism.calibration`); the
verdict: ``untested`` when no marker was measured, ``supported`` from 0.9,
``weakly supported`` from 0.7, ``contradicted`` at 0.2 or below, else ``inconclusive``.
These constants are ResistLab defaults, not published numbers.

Next experiments are the unmeasured supporting markers with the largest expected effect on
the ranking: weight x level x (1 - |2 confidence - 1|), so markers of uncertain mechanisms
come first, phrased from ``data/experiments.yaml``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from resistlab.errors import InputError
from resistlab.mechanism.knowledge import Knowledge, Marker, Mechanism, load_knowledge

__all__ = [
    "ASSAYS",
    "EVIDENCE_COLUMNS",
    "MechanismRanking",
    "baseline_rtk_status",
    "score_mechanisms",
]

EVIDENCE_COLUMNS = (
    "assay",
    "target",
    "comparison",
    "log2_fold_change",
    "p_value",
    "se",
    "n",
    "source",
)
ASSAYS = (
    "western",
    "rtk_array",
    "ihc",
    "rnaseq",
    "pathway",
    "dose_response",
    "synergy",
    "spheroid",
)
SCALE = 3.0
LEVEL_FACTOR = {"A": 1.0, "B": 0.95, "C": 0.9, "D": 0.8, "E": 0.7}
SUPPORTED, WEAK, CONTRADICTED = 0.9, 0.7, 0.2


@functools.cache
def _experiments() -> dict[str, Any]:
    text = resources.files("resistlab.mechanism").joinpath("data/experiments.yaml").read_text()
    return dict(yaml.safe_load(text))


def _phrase(marker: Marker, kb: Knowledge) -> str:
    data = _experiments()
    target = kb.targets.get(marker.entity)
    name = target.name if target is not None else marker.entity
    comparison = marker.comparison.replace("_vs_", " versus ").replace("_", " ")
    for entry in data["by_marker"]:
        if entry["entity"] == marker.entity and entry["comparison"] == marker.comparison:
            return str(entry["text"])
    template = str(data["by_assay"][marker.assays[0]])
    return template.format(target=marker.entity, name=name, comparison=comparison)


def _z(row: pd.Series, direction: str, persist: float) -> tuple[float, str]:
    """Z-score of the row in the marker's direction, and a note on where se came from."""
    effect = float(row["log2_fold_change"])
    se = float(row["se"]) if pd.notna(row["se"]) else np.nan
    note = ""
    if not np.isfinite(se) or se <= 0:
        p = float(row["p_value"]) if pd.notna(row["p_value"]) else np.nan
        if np.isfinite(p) and 0 < p < 1 and effect != 0:
            se = abs(effect) / stats.norm.isf(p / 2)
            note = "se from p"
        else:
            note = "no uncertainty given"
            sign = {"up": np.sign(effect), "down": -np.sign(effect)}.get(direction)
            if sign is None:  # persist
                return (1.0 if abs(effect) < persist else -1.0), note
            return float(sign), note
    if direction == "up":
        return effect / se, note
    if direction == "down":
        return -effect / se, note
    return (persist - abs(effect)) / se, note


@dataclass(frozen=True, eq=False)
class MechanismRanking:
    """Mechanisms ranked by the evidence, with what supports, contradicts and is missing.

    Attributes
    ----------
    table : DataFrame
        One row per mechanism, best first: ``mechanism``, ``name``, ``score``
        (log-odds), ``confidence``, ``verdict``, ``supporting``, ``contradicting``,
        ``missing``, ``next_experiments``, ``combinations``,
        ``counts_as_fak_inhibitor_resistance``. ``supporting`` and ``contradicting``
        cite evidence rows as ``evidence #N``, the N-th row of the evidence table
        (1-based), each on the side of its net contribution.
    contributions : DataFrame
        One row per (evidence row, marker) match with its contribution: the audit trail;
        ``evidence_row`` is the same N.
    unresolved : DataFrame
        Evidence rows whose target the knowledge base does not know.
    unmatched : DataFrame
        Rows with a known target that no marker uses in that comparison and assay.
    """

    table: pd.DataFrame
    contributions: pd.DataFrame
    unresolved: pd.DataFrame
    unmatched: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """Return the ranking (``ranking.csv``): one row per mechanism, best first."""
        return self.table.copy()


def _validate(evidence: pd.DataFrame) -> pd.DataFrame:
    missing = [
        c for c in ("assay", "target", "comparison", "log2_fold_change") if c not in evidence
    ]
    if missing:
        msg = f"evidence table lacks column(s) {missing}; it needs {list(EVIDENCE_COLUMNS)}"
        raise InputError(msg)
    table = evidence.copy()
    for column in EVIDENCE_COLUMNS:
        if column not in table:
            table[column] = np.nan if column in ("p_value", "se", "n") else ""
    table["assay"] = table["assay"].astype(str).str.strip().str.lower()
    bad = ~table["assay"].isin(ASSAYS)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        msg = (
            f"evidence row {i + 1}: unknown assay {table['assay'].iloc[i]!r}; "
            f"known assays are {list(ASSAYS)}"
        )
        raise InputError(msg)
    values = pd.to_numeric(table["log2_fold_change"], errors="coerce")
    bad = values.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        msg = (
            f"evidence row {i + 1} ({table['target'].iloc[i]}): log2_fold_change "
            f"{table['log2_fold_change'].iloc[i]!r} is not a number"
        )
        raise InputError(msg)
    table["log2_fold_change"] = values
    for column in ("p_value", "se", "n"):
        table[column] = pd.to_numeric(table[column], errors="coerce")
    return table


def _verdict(tested: bool, confidence: float) -> str:
    if not tested:
        return "untested"
    if confidence >= SUPPORTED:
        return "supported"
    if confidence >= WEAK:
        return "weakly supported"
    if confidence <= CONTRADICTED:
        return "contradicted"
    return "inconclusive"


def _cite(rows: pd.DataFrame) -> str:
    return "; ".join(
        f"{t} ({a}, log2FC {v:+.2f}, evidence #{r})"
        for t, a, v, r in zip(
            rows["target"],
            rows["assay"],
            rows["log2_fold_change"],
            rows["evidence_row"],
            strict=True,
        )
    )


def _net_by_row(mine: pd.DataFrame) -> pd.DataFrame:
    """One row per evidence row with its net contribution, in first-match order.

    An evidence row can match a supporting and a contradicting marker of one mechanism
    (pFAK Y397 that persists under drug supports RTK bypass; one that falls contradicts
    it): it is cited once, on the side its net contribution falls.
    """
    if mine.empty:
        return mine
    net = mine.groupby("evidence_row", sort=False)["contribution"].sum()
    first = mine.drop_duplicates("evidence_row").set_index("evidence_row")
    return first.assign(contribution=net).reset_index()


def _describe(marker: Marker) -> str:
    return f"{marker.entity} {marker.direction} ({marker.comparison}; {'/'.join(marker.assays)})"


def score_mechanisms(
    evidence: pd.DataFrame,
    *,
    knowledge: Knowledge | None = None,
    include_other_drugs: bool = True,
    max_experiments: int = 3,
    calibrated: bool = True,
) -> MechanismRanking:
    """Rank the knowledge base's mechanisms by an evidence table.

    Parameters
    ----------
    evidence : DataFrame
        The evidence table (DESIGN.md): ``assay``, ``target``, ``comparison``,
        ``log2_fold_change`` and, where known, ``p_value``, ``se``, ``n``, ``source``.
    knowledge : Knowledge, optional
        Defaults to the packaged knowledge base.
    include_other_drugs : bool
        Keep mechanisms where FAK drives resistance to another drug (FAK -> Wnt under BRAF
        inhibition); they are ranked but marked ``counts_as_fak_inhibitor_resistance``
        False.
    max_experiments : int
        Next experiments listed per mechanism.
    calibrated : bool
        Map scores to confidences with the shipped isotonic calibration
        (`resistlab.mechanism.calibration`); False gives the raw logistic of the score.

    Raises
    ------
    InputError
        Missing columns, an unknown assay or a non-numeric fold change (naming the row).
    """
    from resistlab.mechanism.calibration import load_calibration

    kb = knowledge or load_knowledge()
    calibration = load_calibration()
    table = _validate(evidence).reset_index(drop=True)
    persist = float(kb.defaults["persist_max_abs_log2_fold_change"].value)
    canonical = [kb.resolve_target(str(t)) for t in table["target"]]
    table["canonical"] = canonical
    known = table["canonical"].notna()
    mechanisms: Sequence[Mechanism] = [
        m for m in kb.mechanisms if include_other_drugs or m.counts_as_fak_inhibitor_resistance
    ]
    records: list[dict[str, Any]] = []
    used = np.zeros(len(table), dtype=bool)
    for mech in mechanisms:
        for k, marker in enumerate(mech.markers):
            rows = table[
                known
                & (table["canonical"] == marker.entity)
                & (table["comparison"].astype(str) == marker.comparison)
                & table["assay"].isin(marker.assays)
            ]
            for i, row in rows.iterrows():
                position = int(str(i))
                z, note = _z(row, marker.direction, persist)
                size = (
                    1.0 if marker.direction == "persist" else min(1.0, abs(row["log2_fold_change"]))
                )
                strength = float(np.clip(z, 0.0, 3.0)) / 3.0
                sign = 1.0 if marker.role == "supports" else -1.0
                value = sign * SCALE * marker.weight * LEVEL_FACTOR[marker.evidence_level]
                used[position] = True
                records.append(
                    {
                        "mechanism": mech.id,
                        "marker": k,
                        "entity": marker.entity,
                        "role": marker.role,
                        "direction": marker.direction,
                        "assay": row["assay"],
                        "evidence_row": position + 1,
                        "target": row["target"],
                        "log2_fold_change": row["log2_fold_change"],
                        "z": z,
                        "contribution": value * strength * size,
                        "note": note,
                        "source": row["source"],
                    }
                )
    contributions = pd.DataFrame(
        records,
        columns=[
            "mechanism",
            "marker",
            "entity",
            "role",
            "direction",
            "assay",
            "evidence_row",
            "target",
            "log2_fold_change",
            "z",
            "contribution",
            "note",
            "source",
        ],
    )
    rows_out = []
    for mech in mechanisms:
        mine = contributions[contributions["mechanism"] == mech.id]
        score = 0.0
        for _, per_marker in mine.groupby("marker"):
            best = []
            for _, per_assay in per_marker.groupby("assay"):
                values = per_assay["contribution"].to_numpy(dtype=float)
                best.append(float(values[np.argmax(np.abs(values))]))
            best.sort(key=abs, reverse=True)
            score += best[0] + 0.5 * sum(best[1:])
        tested = not mine.empty
        if not tested:
            confidence = np.nan
        elif calibrated:
            confidence = float(calibration.confidence(score))
        else:
            confidence = float(1.0 / (1.0 + np.exp(-score)))
        measured = set(mine["marker"])
        # rows whose net contribution moved the score by 0.1 log-odds or more are cited
        cited = _net_by_row(mine)
        supporting = cited[cited["contribution"] >= 0.1]
        contradicting = cited[cited["contribution"] <= -0.1]
        missing = [
            m for k, m in enumerate(mech.markers) if m.role == "supports" and k not in measured
        ]
        uncertainty = 1.0 - abs(2 * confidence - 1) if tested else 1.0
        by_value = sorted(
            missing,
            key=lambda m: -(m.weight * LEVEL_FACTOR[m.evidence_level] * uncertainty),
        )
        experiments: list[str] = []
        for marker in by_value:
            text = _phrase(marker, kb)
            if text not in experiments:
                experiments.append(text)
            if len(experiments) == max_experiments:
                break
        rows_out.append(
            {
                "mechanism": mech.id,
                "name": mech.name,
                "score": score,
                "confidence": confidence,
                "verdict": _verdict(tested, confidence),
                "supporting": _cite(supporting),
                "contradicting": _cite(contradicting),
                "missing": "; ".join(_describe(m) for m in missing),
                "next_experiments": " | ".join(experiments),
                "combinations": "; ".join(mech.combinations),
                "counts_as_fak_inhibitor_resistance": mech.counts_as_fak_inhibitor_resistance,
                "priority": max(
                    (m.weight * LEVEL_FACTOR[m.evidence_level] * uncertainty for m in missing),
                    default=0.0,
                ),
            }
        )
    ranking = pd.DataFrame(rows_out)
    ranking["_tested"] = ranking["verdict"] != "untested"
    ranking = (
        ranking.sort_values(["_tested", "score"], ascending=[False, False], kind="stable")
        .drop(columns="_tested")
        .reset_index(drop=True)
    )
    unresolved = table.loc[~known, list(EVIDENCE_COLUMNS)].copy()
    unresolved.insert(0, "evidence_row", np.flatnonzero(~known.to_numpy()) + 1)
    unmatched_mask = known.to_numpy() & ~used
    unmatched = table.loc[unmatched_mask, list(EVIDENCE_COLUMNS)].copy()
    unmatched.insert(0, "evidence_row", np.flatnonzero(unmatched_mask) + 1)
    return MechanismRanking(ranking, contributions, unresolved, unmatched)


def baseline_rtk_status(
    levels: pd.Series, *, knowledge: Knowledge | None = None
) -> tuple[str, str]:
    """RTK-high, RTK-low or intermediate from parental RTK expression (Marlowe et al. 2016).

    ``levels`` maps RTK genes to the parental line's mean DESeq2-normalized count. The
    thresholds are the knowledge base's defaults (not published numbers). Returns the
    status and a sentence on what it predicts.

    >>> baseline_rtk_status(pd.Series({"ERBB2": 850.0, "EGFR": 40.0}))[0]
    'RTK-high'
    """
    kb = knowledge or load_knowledge()
    high = float(kb.defaults["rtk_high_min_mean_normalized_count"].value)
    low = float(kb.defaults["rtk_low_max_mean_normalized_count"].value)
    values = pd.to_numeric(levels, errors="coerce").dropna()
    if values.empty:
        return "unknown", "no baseline RTK levels given"
    top = values.idxmax()
    if values.max() >= high:
        return "RTK-high", (
            f"RTK-high ({top} at {values.max():.0f}): expect rapid RTK phosphorylation of FAK "
            "Y397 under Defactinib (intrinsic resistance); test an RTK inhibitor combination"
        )
    if values.max() < low:
        return "RTK-low", (
            f"RTK-low (highest {top} at {values.max():.1f}): resistance, if it comes, is "
            "expected to need new RTKs acquired over long exposure"
        )
    return "intermediate", f"intermediate RTK levels (highest {top} at {values.max():.0f})"
