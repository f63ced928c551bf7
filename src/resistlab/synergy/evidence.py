"""Synergy block summaries as rows of the evidence table (DESIGN.md).

`synergy_evidence` turns the per-block table of ``resistlab synergy``
(``blocks.csv``: ``block_id``, ``cell_line``, ``drug1``, ``drug2`` and, per
model, ``<model>_mean``, ``<model>_ci_low``, ``<model>_ci_high``,
``<model>_p_value``) into evidence rows that `resistlab.mechanism.score_mechanisms`
matches against its combination markers.

The scale
---------
A synergy score is not a ratio: it is percentage points of inhibition beyond
the additivity reference (SynergyFinder's sign and scale; positive =
synergy). The row's ``log2_fold_change`` is the block-mean score divided by
``POINTS_PER_LOG2_UNIT`` = 10, so +10 points reads as 1.0 and +15 points as
1.5. Ten points is SynergyFinder's conventional line between "likely
additive" (-10 to 10) and "likely synergistic" (above 10), and 1.0 is where
the mechanism scorer counts an effect at full size (a two-fold change), so a
combination at the usual synergy line weighs as much as a two-fold change in a
marker; smaller scores count in proportion. ``se`` is the width of the
bootstrap interval over ``2 z`` (z = 1.96 for 95 %), on the same scale; the
scorer's z = log2_fold_change / se is therefore the same as mean / se in
points, whatever the scale. ``p_value`` is the bootstrap p-value of mean = 0.

Which blocks
------------
The knowledge base's comparison ``combination_vs_additivity`` is synergy *in
the resistant line*. Blocks of the resistant line (``cell_line=``, or every
line but ``parental=``) get that comparison; blocks of the parental line get
``combination_vs_additivity_parental``, which no marker uses (the scorer lists
them as unmatched: context, not evidence); blocks of any other line are left
out. A table with one cell line (or none named) is taken as the resistant
line's.

The target is ``<drug1>+<drug2>`` with drug names made canonical through the
knowledge base (``VS-6063`` = defactinib, case ignored) and the pair resolved
in either order (``Ruxolitinib`` + ``Defactinib`` = ``defactinib+ruxolitinib``);
a pair the knowledge base does not know keeps its lower-case name.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from resistlab.errors import InputError
from resistlab.provenance import cite, data_row

if TYPE_CHECKING:
    from resistlab.mechanism import Knowledge

__all__ = [
    "POINTS_PER_LOG2_UNIT",
    "SYNERGY_EVIDENCE_COLUMNS",
    "combination_target",
    "synergy_evidence",
]

#: Synergy-score points (percentage points of inhibition) per unit of ``log2_fold_change``.
POINTS_PER_LOG2_UNIT = 10.0

#: Columns of the evidence table (DESIGN.md).
SYNERGY_EVIDENCE_COLUMNS = (
    "assay",
    "target",
    "comparison",
    "log2_fold_change",
    "p_value",
    "se",
    "n",
    "source",
)

_PARENTAL_SUFFIX = "_parental"


def _knowledge(knowledge: Knowledge | None) -> Knowledge:
    if knowledge is not None:
        return knowledge
    from resistlab.mechanism import load_knowledge

    return load_knowledge()


def _drug_id(name: str, kb: Knowledge) -> str:
    try:
        return kb.drug(name).id
    except KeyError:
        return name.strip().lower()


def combination_target(drug1: str, drug2: str, *, knowledge: Knowledge | None = None) -> str:
    """Canonical evidence target of a drug pair, in either order.

    Parameters
    ----------
    drug1, drug2 : str
        Drug names as the table writes them (ids, names or synonyms).
    knowledge : Knowledge, optional
        Defaults to the packaged knowledge base.

    Returns
    -------
    str
        The knowledge base's combination id (``defactinib+ruxolitinib``), else
        ``<drug1>+<drug2>`` in lower case.

    Examples
    --------
    >>> combination_target("Ruxolitinib", "Defactinib")
    'defactinib+ruxolitinib'
    >>> combination_target("VS-6063", "VS-6766")
    'defactinib+avutometinib'
    >>> combination_target("Defactinib", "Trametinib")
    'defactinib+trametinib'
    """
    kb = _knowledge(knowledge)
    first, second = _drug_id(str(drug1), kb), _drug_id(str(drug2), kb)
    for name in (f"{first}+{second}", f"{second}+{first}"):
        found = kb.resolve_target(name)
        if found is not None:
            return found
    return f"{first}+{second}"


def _lines(blocks: pd.DataFrame) -> list[str]:
    if "cell_line" not in blocks.columns:
        return [""] * len(blocks)
    return ["" if pd.isna(v) else str(v).strip() for v in blocks["cell_line"]]


def _comparisons(
    lines: list[str], cell_line: str | None, parental: str | None, comparison: str
) -> list[str | None]:
    """Comparison of each block (None: left out)."""
    named = sorted({line for line in lines if line})
    if cell_line is None and parental is None and len(named) > 1:
        msg = (
            f"the blocks hold several cell lines ({', '.join(named)}); name the resistant "
            "one (cell_line=) or the parental one (parental=)"
        )
        raise InputError(msg)
    for what, value in (("cell_line", cell_line), ("parental", parental)):
        if value is not None and value not in named:
            msg = f"{what}={value!r} is not a cell line of the blocks; the lines are {named}"
            raise InputError(msg)
    out: list[str | None] = []
    for line in lines:
        if parental is not None and line == parental:
            out.append(comparison + _PARENTAL_SUFFIX)
        elif cell_line is None or line == cell_line:
            out.append(comparison)
        else:
            out.append(None)
    return out


def _numbers(blocks: pd.DataFrame, column: str) -> np.ndarray:
    if column not in blocks.columns:
        return np.full(len(blocks), np.nan)
    return pd.to_numeric(blocks[column], errors="coerce").to_numpy(dtype=float)


def synergy_evidence(
    blocks: pd.DataFrame,
    *,
    model: str = "zip",
    cell_line: str | None = None,
    parental: str | None = None,
    comparison: str = "combination_vs_additivity",
    confidence: float = 0.95,
    source: str | None = None,
    knowledge: Knowledge | None = None,
) -> pd.DataFrame:
    """Rows of the evidence table from synergy block summaries, one per kept block.

    Parameters
    ----------
    blocks : DataFrame
        ``blocks.csv`` of ``resistlab synergy`` (or its ``score_blocks``
        table): ``drug1``, ``drug2``, ``<model>_mean`` and, where the data
        had replicates, ``<model>_ci_low``, ``<model>_ci_high``,
        ``<model>_p_value``; ``block_id``, ``cell_line`` and ``n`` (or
        ``n_replicates``) are used when present.
    model : str
        Which score: ``"zip"`` (default, SynergyFinder's default), ``"bliss"``,
        ``"loewe"``, ``"hsa"``.
    cell_line : str, optional
        The resistant line: only its blocks get `comparison`.
    parental : str, optional
        The parental line: its blocks get ``<comparison>_parental``.
    comparison : str
        Comparison of the resistant line's blocks.
    confidence : float
        Coverage of the bootstrap interval, to turn its width into ``se``.
    source : str, optional
        File the blocks came from, as written (one block per row, header first):
        each evidence row cites its block's spreadsheet row there. Default
        ``"synergy blocks"`` (no file).
    knowledge : Knowledge, optional
        Knowledge base for the canonical target names; default the packaged one.

    Returns
    -------
    DataFrame
        `SYNERGY_EVIDENCE_COLUMNS`; ``log2_fold_change`` = mean score / 10
        (module docs), blocks without a score left out.

    Raises
    ------
    InputError
        Missing columns, several cell lines and no `cell_line` / `parental`,
        or a named line that is not in the table.

    Examples
    --------
    >>> blocks = pd.DataFrame({
    ...     "block_id": ["R1"], "cell_line": ["DefR"], "drug1": ["Ruxolitinib"],
    ...     "drug2": ["Defactinib"], "zip_mean": [15.0], "zip_ci_low": [11.08],
    ...     "zip_ci_high": [18.92], "zip_p_value": [0.001]})
    >>> row = synergy_evidence(blocks).iloc[0]
    >>> row["target"], row["comparison"], float(row["log2_fold_change"]), round(float(row["se"]), 3)
    ('defactinib+ruxolitinib', 'combination_vs_additivity', 1.5, 0.2)
    """
    if not 0.0 < confidence < 1.0:
        msg = f"confidence must be strictly between 0 and 1, got {confidence}"
        raise ValueError(msg)
    mean_column = f"{model}_mean"
    missing = [c for c in ("drug1", "drug2", mean_column) if c not in blocks.columns]
    if missing:
        models = sorted(c[: -len("_mean")] for c in blocks.columns if str(c).endswith("_mean"))
        msg = f"synergy blocks lack column(s) {missing}" + (
            f"; the table scores {', '.join(models)}" if models else ""
        )
        raise InputError(msg)
    kb = _knowledge(knowledge)
    comparisons = _comparisons(_lines(blocks), cell_line, parental, comparison)
    mean = _numbers(blocks, mean_column)
    low = _numbers(blocks, f"{model}_ci_low")
    high = _numbers(blocks, f"{model}_ci_high")
    p_value = _numbers(blocks, f"{model}_p_value")
    count_column = next((c for c in ("n", "n_replicates") if c in blocks.columns), None)
    n = _numbers(blocks, count_column) if count_column else np.full(len(blocks), np.nan)
    z = float(stats.norm.ppf(0.5 + confidence / 2.0))
    with np.errstate(invalid="ignore"):
        se = (high - low) / (2.0 * z) / POINTS_PER_LOG2_UNIT
    se = np.where(np.isfinite(se) & (se > 0), se, np.nan)
    ids = (
        [str(b) for b in blocks["block_id"]]
        if "block_id" in blocks.columns
        else [str(i + 1) for i in range(len(blocks))]
    )

    def place(i: int) -> str:  # a file cites its spreadsheet row (the table's i-th row)
        return cite(source, data_row(i)) if source else "synergy blocks"

    rows = []
    for i, (d1, d2) in enumerate(zip(blocks["drug1"], blocks["drug2"], strict=True)):
        if comparisons[i] is None or not math.isfinite(mean[i]):
            continue
        interval = (
            f", {confidence:.0%} CI [{low[i]:.1f}, {high[i]:.1f}]"
            if math.isfinite(low[i]) and math.isfinite(high[i])
            else ", no bootstrap CI"
        )
        rows.append(
            {
                "assay": "synergy",
                "target": combination_target(str(d1), str(d2), knowledge=kb),
                "comparison": comparisons[i],
                "log2_fold_change": mean[i] / POINTS_PER_LOG2_UNIT,
                "p_value": p_value[i],
                "se": se[i],
                "n": n[i],
                "source": (
                    f"{place(i)}, block {ids[i]} ({model.upper()} mean {mean[i]:+.1f} points"
                    f"{interval}; log2_fold_change = points / {POINTS_PER_LOG2_UNIT:g})"
                ),
            }
        )
    table = pd.DataFrame(rows, columns=list(SYNERGY_EVIDENCE_COLUMNS))
    for column in ("log2_fold_change", "p_value", "se", "n"):
        table[column] = table[column].astype(float)
    return table
