"""Resistance-induction campaigns: records, planner, decision rules, simulator (pure logic)."""

from __future__ import annotations

from resistlab.campaign.model import (
    MORPHOLOGIES,
    PHASES,
    Campaign,
    CampaignRecord,
    CellLine,
    Cryostock,
    DoseResponseLink,
    DoseStep,
    Drug,
    MediumChange,
    Passage,
)

__all__ = [
    "MORPHOLOGIES",
    "PHASES",
    "Campaign",
    "CampaignRecord",
    "CellLine",
    "Cryostock",
    "DoseResponseLink",
    "DoseStep",
    "Drug",
    "MediumChange",
    "Passage",
]
