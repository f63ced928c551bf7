"""Mechanisms of resistance: the shipped knowledge base of FAK-inhibitor resistance.

The knowledge is data (``resistlab/mechanism/data/*.yaml``, each validated against a JSON
Schema in ``data/schema/``): mechanisms with CIViC-style evidence and their markers, drugs,
combinations, approvals, published IC50s, canonical targets with synonyms, and references
whose ``verified`` flag says whether the fact was read in a primary text::

    from resistlab.mechanism import load_knowledge

    kb = load_knowledge()
    kb.resolve_target("p-STAT3 Tyr705")  # 'pSTAT3_Y705'
    kb.markers_for("HER2")  # markers whose entity is ERBB2

`score_mechanisms` weighs an evidence table (DESIGN.md) against it: a transparent
log-odds score per mechanism with its confidence, verdict, supporting, contradicting and
missing evidence, next experiments and combinations.
"""

from __future__ import annotations

from resistlab.mechanism.knowledge import (
    KNOWLEDGE_FILES,
    Approval,
    Combination,
    Default,
    Drug,
    Fact,
    Knowledge,
    Marker,
    Mechanism,
    Mode,
    PublishedIC50,
    Reference,
    Target,
    TargetResolution,
    load_knowledge,
    read_knowledge,
    validate,
)
from resistlab.mechanism.scoring import (
    ASSAYS,
    EVIDENCE_COLUMNS,
    MechanismRanking,
    baseline_rtk_status,
    score_mechanisms,
)
from resistlab.mechanism.troubleshoot import (
    GuideWalk,
    load_guides,
    match_guides,
    walk_guide,
)

__all__ = [
    "ASSAYS",
    "EVIDENCE_COLUMNS",
    "KNOWLEDGE_FILES",
    "Approval",
    "Combination",
    "Default",
    "Drug",
    "Fact",
    "GuideWalk",
    "Knowledge",
    "Marker",
    "Mechanism",
    "MechanismRanking",
    "Mode",
    "PublishedIC50",
    "Reference",
    "Target",
    "TargetResolution",
    "baseline_rtk_status",
    "load_guides",
    "load_knowledge",
    "match_guides",
    "read_knowledge",
    "score_mechanisms",
    "validate",
    "walk_guide",
]
