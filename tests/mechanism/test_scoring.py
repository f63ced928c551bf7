"""Scenario tests: planted evidence ranks its mechanism first with the expected verdict."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from resistlab.errors import InputError
from resistlab.mechanism import load_knowledge
from resistlab.mechanism.scoring import EVIDENCE_COLUMNS, baseline_rtk_status, score_mechanisms

KB = load_knowledge()
FAK_MECHANISMS = [m.id for m in KB.mechanisms if m.counts_as_fak_inhibitor_resistance]


def _row(marker, rng: np.random.Generator, *, strength: float = 2.0) -> dict:
    effect = {"up": strength, "down": -strength, "persist": 0.05}[marker.direction]
    effect += rng.normal(0, 0.1)
    se = 0.3 if marker.direction != "persist" else 0.08
    return {
        "assay": marker.assays[0],
        "target": marker.entity,
        "comparison": marker.comparison,
        "log2_fold_change": effect,
        "p_value": np.nan,
        "se": se,
        "n": 3,
        "source": f"planted {marker.entity}",
    }


def _planted(mechanism: str, rng: np.random.Generator, *, role: str = "supports") -> pd.DataFrame:
    mech = KB.mechanism(mechanism)
    rows = [_row(m, rng) for m in mech.markers if m.role == role]
    return pd.DataFrame(rows, columns=list(EVIDENCE_COLUMNS))


@pytest.mark.parametrize("mechanism", FAK_MECHANISMS)
def test_planted_mechanism_ranks_first_and_is_supported(
    mechanism: str, rng: np.random.Generator
) -> None:
    ranking = score_mechanisms(_planted(mechanism, rng)).table
    assert ranking.iloc[0]["mechanism"] == mechanism
    assert ranking.iloc[0]["verdict"] == "supported"
    assert ranking.iloc[0]["confidence"] >= 0.9
    others = ranking.iloc[1:]
    assert (others["verdict"] != "supported").all()


@pytest.mark.parametrize(
    "mechanism", ["stat3_hyperactivation", "rtk_bypass", "mapk_erk_reactivation"]
)
def test_contradicting_evidence_lowers_confidence(mechanism: str, rng: np.random.Generator) -> None:
    support = _planted(mechanism, rng).head(2)  # two clear markers: supported on their own
    against = _planted(mechanism, rng, role="contradicts")
    alone = score_mechanisms(support).table.set_index("mechanism").loc[mechanism]
    assert alone["verdict"] == "supported"
    mixed = score_mechanisms(pd.concat([support, against])).table.set_index("mechanism")
    assert mixed.loc[mechanism, "confidence"] < alone["confidence"] - 0.2
    assert mixed.loc[mechanism, "verdict"] != "supported"
    assert mixed.loc[mechanism, "contradicting"] != ""
    # overwhelming support keeps the capped confidence, but the score still drops
    everything = _planted(mechanism, rng)
    full = score_mechanisms(everything).table.set_index("mechanism").loc[mechanism]
    both = score_mechanisms(pd.concat([everything, against])).table.set_index("mechanism")
    assert both.loc[mechanism, "score"] < full["score"]
    assert both.loc[mechanism, "confidence"] <= full["confidence"]
    only_against = score_mechanisms(against).table.set_index("mechanism").loc[mechanism]
    assert only_against["verdict"] == "contradicted"


def test_one_clear_marker_is_weakly_supported_and_two_are_supported(
    rng: np.random.Generator,
) -> None:
    mech = KB.mechanism("stat3_hyperactivation")
    blot = next(m for m in mech.supporting if m.entity == "pSTAT3_Y705")
    signature = next(m for m in mech.supporting if m.entity == "STAT3_TARGETS")
    one = score_mechanisms(pd.DataFrame([_row(blot, rng)])).table.set_index("mechanism")
    assert one.loc["stat3_hyperactivation", "verdict"] == "weakly supported"
    two = score_mechanisms(pd.DataFrame([_row(blot, rng), _row(signature, rng)]))
    assert two.table.set_index("mechanism").loc["stat3_hyperactivation", "verdict"] == "supported"


def test_flat_markers_argue_against_after_calibration(rng: np.random.Generator) -> None:
    """Measured but flat supporting markers: present mechanisms rarely look like that."""
    mech = KB.mechanism("mapk_erk_reactivation")
    rows = []
    for marker in mech.supporting[:2]:
        row = _row(marker, rng)
        row["log2_fold_change"] = 0.05
        rows.append(row)
    table = score_mechanisms(pd.DataFrame(rows)).table.set_index("mechanism")
    assert table.loc["mapk_erk_reactivation", "score"] == pytest.approx(0.0, abs=0.2)
    assert table.loc["mapk_erk_reactivation", "verdict"] == "contradicted"


def test_empty_evidence_is_untested_everywhere_with_next_experiments() -> None:
    ranking = score_mechanisms(pd.DataFrame(columns=list(EVIDENCE_COLUMNS))).table
    assert (ranking["verdict"] == "untested").all()
    assert ranking["confidence"].isna().all()
    assert (ranking["next_experiments"].str.len() > 0).all()
    rtk = ranking.set_index("mechanism").loc["rtk_bypass", "next_experiments"]
    assert "phospho-RTK array" in rtk and "pFAK Y397" in rtk


def test_synonyms_resolve_and_unknown_targets_are_reported() -> None:
    ev = pd.DataFrame(
        [
            ("rnaseq", "HER2", "resistant_vs_parental", 2.2, 1e-8, np.nan, 6, "de.csv row 3"),
            ("western", "p-STAT3 Tyr705", "resistant_vs_parental", 0.1, 0.9, np.nan, 3, "b"),
            ("rnaseq", "NOTAGENE1", "resistant_vs_parental", 3.0, 1e-9, np.nan, 6, "de.csv"),
        ],
        columns=list(EVIDENCE_COLUMNS),
    )
    result = score_mechanisms(ev)
    rtk = result.table.set_index("mechanism").loc["rtk_bypass"]
    assert "HER2 (rnaseq" in rtk["supporting"]
    assert list(result.unresolved["target"]) == ["NOTAGENE1"]
    assert list(result.unresolved["evidence_row"]) == [3]
    audit = result.contributions
    assert set(audit["evidence_row"]) == {1, 2}


def test_p_value_stands_in_for_a_missing_se() -> None:
    base = ("western", "pSTAT3_Y705", "resistant_vs_parental", 1.5)
    with_p = pd.DataFrame([(*base, 1e-4, np.nan, 3, "x")], columns=list(EVIDENCE_COLUMNS))
    with_se = pd.DataFrame([(*base, np.nan, 1.5 / 3.8906, 3, "x")], columns=list(EVIDENCE_COLUMNS))
    a = score_mechanisms(with_p).contributions["z"].iloc[0]
    b = score_mechanisms(with_se).contributions["z"].iloc[0]
    assert a == pytest.approx(b, rel=1e-4)  # z of p = 1e-4 two-sided is 3.8906 (normal table)


def test_other_drug_mechanisms_are_marked_and_can_be_left_out() -> None:
    empty = pd.DataFrame(columns=list(EVIDENCE_COLUMNS))
    table = score_mechanisms(empty).table.set_index("mechanism")
    assert not table.loc["wnt_beta_catenin", "counts_as_fak_inhibitor_resistance"]
    fak_only = score_mechanisms(empty, include_other_drugs=False).table
    assert "wnt_beta_catenin" not in set(fak_only["mechanism"])


def test_bad_evidence_names_the_row() -> None:
    ev = pd.DataFrame(
        [("western", "pERK", "resistant_vs_parental", 1.0), ("blot", "pERK", "x", 1.0)],
        columns=["assay", "target", "comparison", "log2_fold_change"],
    )
    with pytest.raises(InputError, match=r"row 2: unknown assay 'blot'"):
        score_mechanisms(ev)
    with pytest.raises(InputError, match="lacks column"):
        score_mechanisms(ev.drop(columns="comparison"))


def test_baseline_rtk_status_uses_the_knowledge_base_thresholds() -> None:
    high = float(KB.defaults["rtk_high_min_mean_normalized_count"].value)
    low = float(KB.defaults["rtk_low_max_mean_normalized_count"].value)
    assert baseline_rtk_status(pd.Series({"ERBB2": high, "EGFR": 1.0}))[0] == "RTK-high"
    assert baseline_rtk_status(pd.Series({"ERBB2": low * 0.5}))[0] == "RTK-low"
    assert baseline_rtk_status(pd.Series({"ERBB2": (high + low) / 2}))[0] == "intermediate"


def test_a_row_matching_both_sides_is_cited_once_on_its_net_side() -> None:
    # pFAK Y397 under drug matches RTK bypass's "persists" (supports) and "falls"
    # (contradicts) markers; a small fall with a tight se persists on balance.
    ev = pd.DataFrame(
        [("western", "pFAK_Y397", "drug_vs_vehicle", -0.24, np.nan, 0.1, 3, "b.csv, row 4")],
        columns=list(EVIDENCE_COLUMNS),
    )
    result = score_mechanisms(ev)
    audit = result.contributions[result.contributions["mechanism"] == "rtk_bypass"]
    assert set(audit["role"]) == {"supports", "contradicts"}  # both markers matched
    net = audit["contribution"].sum()
    rtk = result.table.set_index("mechanism").loc["rtk_bypass"]
    cited_in = [c for c in ("supporting", "contradicting") if "evidence #1)" in rtk[c]]
    assert cited_in == ["supporting" if net > 0 else "contradicting"]
    # a clear fall is cited only as contradicting
    ev.loc[0, "log2_fold_change"] = -2.0
    rtk = score_mechanisms(ev).table.set_index("mechanism").loc["rtk_bypass"]
    assert "evidence #1)" in rtk["contradicting"] and "evidence #1)" not in rtk["supporting"]
