"""Resistance-induction campaigns: records, planner, decision rules, simulator (pure logic)."""

from __future__ import annotations

from resistlab.campaign.growth import (
    GrowthEstimate,
    GrowthRatio,
    PassageGrowth,
    compare_growth,
    growth_rate,
    passage_growth,
    pooled_growth,
)
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
from resistlab.campaign.planner import DosePlan, dose_ladder, plan_campaign, plan_from_ic50
from resistlab.campaign.rules import (
    ACTION_KINDS,
    Action,
    CampaignStatus,
    RuleConfig,
    next_actions,
)

__all__ = [
    "ACTION_KINDS",
    "MORPHOLOGIES",
    "PHASES",
    "Action",
    "Campaign",
    "CampaignRecord",
    "CampaignStatus",
    "CellLine",
    "Cryostock",
    "DosePlan",
    "DoseResponseLink",
    "DoseStep",
    "Drug",
    "GrowthEstimate",
    "GrowthRatio",
    "MediumChange",
    "Passage",
    "PassageGrowth",
    "RuleConfig",
    "compare_growth",
    "dose_ladder",
    "growth_rate",
    "next_actions",
    "passage_growth",
    "plan_campaign",
    "plan_from_ic50",
    "pooled_growth",
]
