"""Target naming that depends on the assay, decided from the knowledge base."""

from __future__ import annotations

import pandas as pd

from resistlab.mechanism.knowledge import Knowledge, load_knowledge

__all__ = ["phospho_array_targets"]


def phospho_array_targets(
    evidence: pd.DataFrame, *, knowledge: Knowledge | None = None
) -> pd.DataFrame:
    """Name phospho-RTK array spots by their phosphosite: the array reads ``EGFR`` as pEGFR.

    The knowledge base's RTK-array markers name the phosphorylated receptor (``pEGFR``,
    ``pERBB2``...); a spot whose ``p<name>`` the knowledge base does not know keeps its
    label.

    >>> ev = pd.DataFrame({"target": ["HER2", "EGFR", "Reference"]})
    >>> phospho_array_targets(ev)["target"].tolist()
    ['pERBB2', 'pEGFR', 'Reference']
    """
    kb = knowledge or load_knowledge()

    def rename(name: str) -> str:
        gene = kb.resolve_target(name) or name
        found = kb.resolve_target(f"p{gene}")
        return found if found is not None and kb.targets[found].kind == "phosphosite" else name

    return evidence.assign(target=[rename(str(t)) for t in evidence["target"]])
